#!/bin/bash
# systemd_local.t — tambo-local.socket and tambo-local@.service under a
# real systemd, with sendmail run inside the container.
#
# Boots systemd in a container as systemd.t does (systemd-nspawn,
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

# The single-quoted scripts run in the container's shell:
# shellcheck disable=SC2016

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${TAMBO_BUILD:-$TOP/build}
NAME=tambo-l$$
PLAN=18
EXPOSURE_MAX=2.0

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root"
for c in systemd-nspawn nsenter systemd-analyze; do
	command -v "$c" >/dev/null 2>&1 || skip "no $c"
done
[ -x /usr/lib/systemd/systemd ] || skip "no /usr/lib/systemd/systemd"
for p in libexec/tambo/smtpd bin/tambo bin/sendmail; do
	[ -x "$B/$p" ] || skip "not built: $B/$p"
done
[ -d /usr/libexec ] || skip "no /usr/libexec to overlay"

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /'
	done
}
skip_test() {
	n=$((n + 1))
	echo "ok $n - $1 # skip $2"
}
check() {	# DESCRIPTION COMMAND...
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$d"
	else
		not_ok "$d" "$out"
	fi
}

tmp=$(mktemp -d /tmp/tambo-systemd-local.XXXXXX) || exit 1
NSPAWN_PID=
PID1=

in_ct() {
	nsenter -t "$PID1" -a "$@"
}

cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		[ -n "$PID1" ] &&
			in_ct systemctl --no-block poweroff >/dev/null 2>&1
		for _ in $(seq 1 100); do
			kill -0 "$NSPAWN_PID" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$NSPAWN_PID" 2>/dev/null; then
			echo "# container $NAME did not power off; killing nspawn"
			kill -KILL "$NSPAWN_PID" 2>/dev/null
		fi
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "1..$PLAN"

# --- staging ----------------------------------------------------------------

stage=$tmp/stage
mkdir -p "$stage/libexec/tambo" "$stage/bin" "$stage/units" "$stage/conf"
for p in "$B"/libexec/tambo/*; do
	[ -f "$p" ] && [ -x "$p" ] && cp "$p" "$stage/libexec/tambo/"
done
cp "$B/bin/tambo" "$B/bin/sendmail" "$stage/bin/"
cp "$TOP/units/tambo-local.socket" "$TOP/units/tambo-local@.service" \
	"$TOP/units/tambo.sysusers" "$TOP/units/tambo.tmpfiles" "$stage/units/"
{
	echo '[Service]'
	echo 'SystemCallFilter=@debug'
	printf 'Environment="ASAN_OPTIONS=%s" "UBSAN_OPTIONS=%s"\n' \
		"${ASAN_OPTIONS:-detect_leaks=1}" \
		"${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
} >"$stage/conf/sanitize.conf"

# --- boot -------------------------------------------------------------------

systemd-nspawn -D / --volatile=yes --register=no --keep-unit -M "$NAME" \
	--boot --console=pipe \
	--bind-ro="$stage:/opt/tambo-test" \
	--overlay-ro="/usr/libexec:$stage/libexec:/usr/libexec" \
	--overlay-ro="/usr/bin:$stage/bin:/usr/bin" \
	systemd.unit=basic.target systemd.mask=systemd-firstboot.service \
	>"$tmp/nspawn.log" 2>&1 </dev/null &
NSPAWN_PID=$!

state=
for _ in $(seq 1 300); do
	if [ -z "$PID1" ]; then
		for c in $(pgrep -P "$NSPAWN_PID"); do
			if [ "$(readlink "/proc/$c/exe" 2>/dev/null)" = /usr/lib/systemd/systemd ]; then
				PID1=$c
			fi
		done
	fi
	kill -0 "$NSPAWN_PID" 2>/dev/null || break
	if [ -n "$PID1" ]; then
		state=$(in_ct systemctl is-system-running 2>/dev/null)
		case $state in running | degraded) break ;; esac
	fi
	sleep 0.2
done
case $state in
running | degraded)
	ok "systemd boots in container $NAME ($state)"
	;;
*)
	not_ok "systemd boots in container $NAME (state '$state')" \
		"$(tail -n 30 "$tmp/nspawn.log")"
	echo "Bail out! no container"
	exit 1
	;;
esac

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
if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
	in_ct mkdir -p /etc/systemd/system/tambo-local@.service.d
	in_ct cp /opt/tambo-test/conf/sanitize.conf \
		/etc/systemd/system/tambo-local@.service.d/sanitize.conf
fi

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
		"$(in_ct journalctl -u 'tambo-local@*' -o cat --no-pager | tail -n 20)"
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
		j=$(in_ct journalctl -u 'tambo-local@*' -o cat --no-pager 2>/dev/null)
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

instances_done() {
	local left
	for _ in $(seq 1 50); do
		left=$(in_ct systemctl list-units --all --plain --no-legend \
			'tambo-local@*' 2>/dev/null)
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	printf '%s\n' "$left"
	return 1
}
check "every tambo-local@ instance exited 0 and was collected" instances_done
accepted=$(in_ct systemctl show -P NAccepted tambo-local.socket 2>&1)
if [ "$accepted" = 3 ]; then
	ok "tambo-local.socket accepted 3 connections"
else
	not_ok "tambo-local.socket accepted 3 connections (got '$accepted')"
fi
if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
	check "no sanitizer reports in the journal" \
		sh -c '! nsenter -t "$1" -a journalctl -u "tambo-local@*" -o cat \
			--no-pager | grep -E "Sanitizer|runtime error"' sh "$PID1"
else
	skip_test "no sanitizer reports in the journal" "not a sanitizer build"
fi

# --- sandbox rating ---------------------------------------------------------------

sec=$(systemd-analyze security --offline=true --no-pager \
	"$TOP/units/tambo-local@.service" 2>&1)
level=$(printf '%s\n' "$sec" |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$level" ] && printf '%s\n' "$sec" | grep -q 'unrecognized option'; then
	skip_test "systemd-analyze security rates tambo-local@.service" \
		"no --offline in this systemd"
elif [ -n "$level" ] && awk -v l="$level" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }'; then
	ok "systemd-analyze security rates tambo-local@.service $level (<= $EXPOSURE_MAX)"
else
	not_ok "systemd-analyze security rates tambo-local@.service <= $EXPOSURE_MAX (got '$level')" \
		"$(printf '%s\n' "$sec" | grep -E '✗|Overall')"
fi

# --- power off -----------------------------------------------------------------------

in_ct systemctl --no-block poweroff >/dev/null 2>&1
for _ in $(seq 1 100); do
	kill -0 "$NSPAWN_PID" 2>/dev/null || break
	sleep 0.2
done
if kill -0 "$NSPAWN_PID" 2>/dev/null; then
	not_ok "container powers off within 20 s"
else
	wait "$NSPAWN_PID" 2>/dev/null
	ok "container powers off"
	NSPAWN_PID=
fi

[ $n = $PLAN ] || echo "# planned $PLAN tests, ran $n"
exit $((failed > 254 ? 254 : failed))
