#!/bin/bash
# systemd_local.t — tambo-local.socket and tambo-local@.service under a
# real systemd, with sendmail run inside the container.
#
# Boots systemd in a container as tests/lib/nspawn.sh does (systemd-nspawn,
# --volatile=yes, the built programs overlaid on /usr/libexec/tambo and
# /usr/bin), applies the sysusers.d and tmpfiles.d files, makes /etc/tambo
# with `tambo init`, links and starts tambo-local.socket, then runs
# /usr/bin/sendmail inside (nsenter) as root and as an ordinary user
# (carol, uid 4242, made by sysusers): the socket at
# /run/tambo/local.sock is mode 0666, the message is queued by a handler
# running as tambo (spool file tambo:tambo), the handler names the peer
# from SO_PEERCRED through the unit's sandbox (carol is uid 4242, not the
# overflow uid 65534 of a private user namespace), carol gets the sender
# carol@hostname and is refused root's, every instance exits 0, and
# systemd-analyze security rates the service.
#
# Needs root, systemd-nspawn and nsenter; otherwise it skips.
# TAMBO_BUILD selects the build tree; TAMBO_SANITIZE=1 marks an ASan/UBSan
# build (a drop-in lets LeakSanitizer work; the journal is searched for
# reports).

# Functions run through check() and the single-quoted scripts run by the
# container's shell, which shellcheck cannot follow:
# shellcheck disable=SC2016,SC2317

set -u
# shellcheck source-path=SCRIPTDIR source=../lib/nspawn.sh
. "$(dirname "$0")/../lib/nspawn.sh"

nspawn_need
nspawn_need_built libexec/tambo/smtpd bin/tambo bin/sendmail
nspawn_begin tambo-l$$ 23

# --- staging ----------------------------------------------------------------

nspawn_stage tambo-local.socket tambo-local@.service ||
	{ echo "Bail out! staging"; exit 1; }

# --- boot -------------------------------------------------------------------

nspawn_boot

# --- users, directories, configuration ---------------------------------------

check "sysusers.d and tmpfiles.d: users tambo and carol, the spool" \
	in_ct sh -c 'systemd-sysusers /opt/tambo-test/units/tambo.sysusers &&
		systemd-tmpfiles --create /opt/tambo-test/units/tambo.tmpfiles &&
		echo "u carol 4242 \"Carol\" /" | systemd-sysusers - &&
		[ "$(id -u carol)" = 4242 ] && id -u tambo &&
		[ "$(stat -c "%U:%G %a" /var/spool/tambo/queue)" = "tambo:tambo 750" ]'
check "tambo init: /etc/tambo, tambo.conf 0640 root:tambo, unreadable by carol" \
	in_ct sh -c 'tambo -C /etc/tambo init example.test \
			--hostname mx.example.test >/dev/null &&
		chgrp -R tambo /etc/tambo && chmod -R g+rX,o-rwx /etc/tambo &&
		setpriv --reuid=tambo --regid=tambo --clear-groups \
			cat /etc/tambo/tambo.conf >/dev/null &&
		! setpriv --reuid=carol --regid=carol --clear-groups \
			cat /etc/tambo/tambo.conf 2>/dev/null'
nspawn_sanitize tambo-local@.service

# --- the socket ----------------------------------------------------------------

check "tambo-local.socket is active" \
	in_ct sh -c 'systemctl link /opt/tambo-test/units/tambo-local.socket \
			/opt/tambo-test/units/tambo-local@.service >/dev/null &&
		systemctl daemon-reload &&
		systemctl start tambo-local.socket &&
		systemctl is-active tambo-local.socket'
check "/run/tambo/local.sock is a socket, mode 0666" \
	in_ct sh -c '[ -S /run/tambo/local.sock ] &&
		[ "$(stat -c %a /run/tambo/local.sock)" = 666 ] ||
		{ ls -la /run/tambo; exit 1; }'

# --- sendmail as root ----------------------------------------------------------

out=$(in_ct sh -c 'printf "To: bob@remote.example\nSubject: from root\n\nhello\n" |
	/usr/bin/sendmail -t' 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then
	ok "sendmail -t as root: exit 0, silent"
else
	not_ok "sendmail -t as root: exit 0, silent (exit $rc)" "$out" \
		"$(ct_journal 'tambo-local@*' | tail -n 20)"
fi
ql=$(in_ct tambo -C /etc/tambo queue list 2>&1)
id1=$(printf '%s\n' "$ql" | sed -n 's/^\([0-9A-F]\{18\}\) .*<root@mx\.example\.test> <bob@remote\.example>$/\1/p')
if [ -n "$id1" ]; then
	ok "queued from root@mx.example.test to bob@remote.example ($id1)"
else
	not_ok "queued from root@mx.example.test to bob@remote.example" "$ql"
fi
check "the spool file is tambo's, with Received: from local user root (uid 0)" \
	in_ct sh -c 'f=/var/spool/tambo/queue/$1 && [ -n "$1" ] &&
		[ "$(stat -c %U:%G "$f")" = tambo:tambo ] &&
		grep -q "^Received: from local user root (uid 0)" "$f" ||
		{ ls -la /var/spool/tambo/queue; exit 1; }' sh "$id1"

# --- sendmail as carol ---------------------------------------------------------

CAROL="setpriv --reuid=carol --regid=carol --clear-groups"
out=$(in_ct sh -c 'printf "Subject: from carol\n\nhi\n" |
	'"$CAROL"' /usr/bin/sendmail alice@remote.example' 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then
	ok "sendmail as carol (tambo.conf unreadable: the default socket): exit 0"
else
	not_ok "sendmail as carol: exit 0 (exit $rc)" "$out"
fi
ql=$(in_ct tambo -C /etc/tambo queue list 2>&1)
id2=$(printf '%s\n' "$ql" | sed -n 's/^\([0-9A-F]\{18\}\) .*<carol@mx\.example\.test> <alice@remote\.example>$/\1/p')
if [ -n "$id2" ]; then
	ok "queued from carol@mx.example.test ($id2)"
else
	not_ok "queued from carol@mx.example.test" "$ql"
fi
journal_local() {
	local j
	for _ in $(seq 1 25); do
		j=$(ct_journal 'tambo-local@*' 2>/dev/null)
		printf '%s\n' "$j" | grep -Eq "$1" && return 0
		sleep 0.2
	done
	printf '%s\n' "$j" | tail -n 20
	return 1
}
check "journal: event=local user=carol uid=4242 privileged=0" \
	journal_local 'event=local user=carol uid=4242 privileged=0'
check "journal: the session as root was privileged=1" \
	journal_local 'event=local user=root uid=0 privileged=1'
out=$(in_ct sh -c 'printf "Subject: forged\n\nhi\n" |
	'"$CAROL"' /usr/bin/sendmail -f root@mx.example.test alice@remote.example' 2>&1)
rc=$?
if [ $rc = 69 ] && printf '%s\n' "$out" | grep -q '550 5\.7\.1'; then
	ok "carol with -f root@mx.example.test: exit 69, 550 5.7.1"
else
	not_ok "carol with -f root@mx.example.test: exit 69, 550 5.7.1 (exit $rc)" "$out"
fi

# --- the instances ---------------------------------------------------------------

check "every tambo-local@ instance exited 0 and was collected" \
	nspawn_instances_clean tambo-local
accepted=$(in_ct systemctl show -P NAccepted tambo-local.socket 2>&1)
if [ "$accepted" = 3 ]; then
	ok "tambo-local.socket accepted 3 connections"
else
	not_ok "tambo-local.socket accepted 3 connections (got '$accepted')"
fi
# --- a burst: more clients at once than the socket takes ---------------------
# tambo-local.socket runs at most MaxConnections= handlers (64) and closes
# the connections beyond that at once; here a drop-in lowers it to 4 and
# 80 sendmail runs as carol start at once.  sendmail tries again until a
# handler is free, so every message is queued and every run exits 0
# (carol cannot write the spool: there is no fallback for her).
check "burst: tambo-local.socket restarted with MaxConnections=4" \
	in_ct sh -c 'mkdir -p /run/systemd/system/tambo-local.socket.d &&
		printf "[Socket]\nMaxConnections=4\n" \
			>/run/systemd/system/tambo-local.socket.d/limit.conf &&
		systemctl daemon-reload && systemctl restart tambo-local.socket &&
		[ "$(systemctl show -P MaxConnections tambo-local.socket)" = 4 ]'
in_ct sh -c 'rm -f /tmp/burst.rc
	i=0
	while [ $i -lt 80 ]; do
		i=$((i + 1))
		( printf "Subject: burst %s\n\nhi\n" $i |
			'"$CAROL"' /usr/bin/sendmail burst$i@remote.example
		  echo $? >>/tmp/burst.rc ) &
	done
	wait' >/dev/null 2>&1
rcs=$(in_ct sh -c 'sort /tmp/burst.rc | uniq -c' 2>&1)
if [ "$(printf '%s\n' "$rcs" | awk '$2 == 0 { print $1 }')" = 80 ]; then
	ok "burst: 80 sendmail runs at once all exit 0"
else
	not_ok "burst: 80 sendmail runs at once all exit 0" "$rcs"
fi
queued=$(in_ct tambo -C /etc/tambo queue list 2>&1 | grep -c '<burst[0-9]*@remote\.example>')
if [ "$queued" = 80 ]; then
	ok "burst: 80 messages queued"
else
	not_ok "burst: 80 messages queued (got $queued)"
fi
dropped=$(ct_journal tambo-local.socket 2>/dev/null | grep -c 'dropping connection')
if [ "$dropped" -gt 0 ]; then
	ok "burst: the socket dropped $dropped connections at its limit; sendmail tried again"
else
	not_ok "burst: the socket dropped connections at its limit" \
		"no 'dropping connection' in the journal: the retry was not exercised"
fi
check "burst: every tambo-local@ instance exited 0 and was collected" \
	nspawn_instances_clean tambo-local
nspawn_no_sanitizer_reports 'tambo-local@*'

# --- sandbox rating ---------------------------------------------------------------

nspawn_rate tambo-local@.service

# --- power off -----------------------------------------------------------------------

nspawn_poweroff
nspawn_done
