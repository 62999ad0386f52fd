#!/bin/bash
# systemd_auth.t — the password checker's units under a real systemd:
# tambo-submission.socket pulls in tambo-auth.socket (Wants=), the socket
# is /run/tambo/auth.sock (tambo:tambo 0660), and a submission handler in
# its sandbox (PrivateNetwork=, ProtectSystem=strict, PrivateUsers=)
# connects to it: swaks logs in twice from the host, and the journal of
# tambo-auth.service shows the first check done in full and the second
# from the cache, with no handler falling back to its own check.  Then a
# wrong password (checked in full), a local user who may not connect,
# root who may, the idle exit (shortened by a drop-in) and a fresh start
# with an empty cache on the next login, and the unit's exposure rating.
#
# Boots systemd in a container as tests/lib/nspawn.sh describes; needs root,
# systemd-nspawn, nsenter, swaks, certtool and a built tls.so, otherwise
# it skips.

# shellcheck disable=SC2016,SC2317
set -u
# shellcheck source-path=SCRIPTDIR source=../lib/nspawn.sh
. "$(dirname "$0")/../lib/nspawn.sh"

IDLE=5
nspawn_need swaks ss certtool
nspawn_need_built libexec/tambo/smtpd libexec/tambo/authd \
	libexec/tambo/tls.so bin/tambo
nspawn_begin tambo-a$$ 20

PORT=$(free_port) || { echo "Bail out! no port"; exit 1; }
SUB_USER=u@example.test
SUB_PASS="auth-pass-$$-$RANDOM"

# --- staging ---------------------------------------------------------------
nspawn_stage tambo-auth.socket tambo-auth.service \
	tambo-submission.socket tambo-submission@.service ||
	{ echo "Bail out! staging"; exit 1; }
cp "$TOP/tests/integration/authd_client.py" "$stage/"
sh "$TOP/tests/lib/mkcerts.sh" "$stage/pki" >/dev/null 2>&1 ||
	{ echo "Bail out! mkcerts.sh"; exit 1; }

# --- boot --------------------------------------------------------------------
nspawn_boot

check "user tambo, spool and state; /etc/tambo readable by tambo; certificates; $SUB_USER" \
	in_ct sh -c 'systemd-sysusers /opt/tambo-test/units/tambo.sysusers &&
		systemd-tmpfiles --create /opt/tambo-test/units/tambo.tmpfiles &&
		tambo -C /etc/tambo init example.test --hostname mx.example.test &&
		cp -r /opt/tambo-test/pki/certs /etc/tambo/certs &&
		printf "%s\n" "$2" | tambo -C /etc/tambo user add "$1" \
			--password-stdin &&
		chgrp -R tambo /etc/tambo && chmod -R g+rX,o-rwx /etc/tambo' \
	sh "$SUB_USER" "$SUB_PASS"

# --- units -------------------------------------------------------------------
nspawn_listen tambo-submission.socket "127.0.0.1:$PORT"
printf '[Service]\nExecStart=\nExecStart=/usr/libexec/tambo/authd --idle %s\n' \
	"$IDLE" | nspawn_dropin tambo-auth.service test-idle.conf
nspawn_sanitize tambo-submission@.service tambo-auth.service
check "starting tambo-submission.socket starts tambo-auth.socket too (Wants=)" \
	in_ct sh -c 'cd /opt/tambo-test/units &&
		systemctl link "$PWD/tambo-auth.socket" "$PWD/tambo-auth.service" \
			"$PWD/tambo-submission.socket" \
			"$PWD/tambo-submission@.service" &&
		systemctl daemon-reload &&
		systemctl start tambo-submission.socket &&
		systemctl is-active tambo-submission.socket tambo-auth.socket'
check "/run/tambo/auth.sock is a socket, tambo:tambo 0660; authd not started yet" \
	in_ct sh -c '[ -S /run/tambo/auth.sock ] &&
		[ "$(stat -c "%U:%G %a" /run/tambo/auth.sock)" = "tambo:tambo 660" ] ||
		{ stat -c "%n %U:%G %a" /run/tambo/auth.sock; exit 1; }
		! systemctl -q is-active tambo-auth.service'

# --- logins from the host ------------------------------------------------------
# login PASSWORD: swaks from the host, STARTTLS and AUTH PLAIN, then QUIT;
# prints the AUTH reply code.
login() {
	swaks --server 127.0.0.1 --port "$PORT" --timeout 20 --tls \
		--tls-verify --tls-ca-path "$stage/pki/ca.pem" \
		--tls-sni mx.example.test --helo client.example \
		--auth PLAIN --auth-user "$SUB_USER" --auth-password "$1" \
		--quit-after AUTH 2>&1 |
		sed -n 's/^<~\*\{0,1\} *\(2[0-9][0-9]\|5[0-9][0-9]\) [0-9]\.7\..*/\1/p' |
		tail -n 1
}
# journal_auth RESULT CACHED COUNT: tambo-auth.service logged COUNT checks
# of SUB_USER with that result (waits up to 5 s).
journal_auth() {
	local c
	for _ in $(seq 1 25); do
		c=$(ct_journal tambo-auth.service |
			grep -cE "event=auth-check client=127\.0\.0\.1 user=$SUB_USER result=$1 cached=$2 ")
		[ "$c" = "$3" ] && return 0
		sleep 0.2
	done
	echo "want $3 lines result=$1 cached=$2, got $c"
	ct_journal tambo-auth.service | tail -n 20
	return 1
}

r1=$(login "$SUB_PASS")
r2=$(login "$SUB_PASS")
if [ "$r1 $r2" = "235 235" ]; then
	ok "two submission sessions: AUTH PLAIN 235 each"
else
	not_ok "two submission sessions: AUTH PLAIN 235 each (got '$r1' '$r2')" \
		"$(ct_journal 'tambo-submission@*' | tail -n 20)"
fi
cached_pair() { journal_auth ok no 1 && journal_auth ok yes 1; }
check "tambo-auth.service: the first checked in full, the second from the cache" \
	cached_pair
check "the handlers reached authd from their sandbox (no event=authd-unavailable)" \
	in_ct sh -c '! journalctl -u "tambo-submission@*" -o cat --no-pager |
		grep "event=authd-unavailable"'
check "authd runs as tambo, one process" \
	in_ct sh -c 'p=$(systemctl show -P MainPID tambo-auth.service) &&
		[ "$p" -gt 0 ] && [ "$(ps -o user= -p "$p")" = tambo ]'

r=$(login wrong-password)
if [ "$r" = 535 ]; then ok "a wrong password: 535"; else not_ok "a wrong password: 535 (got '$r')"; fi
check "the wrong password was checked in full, not cached" \
	journal_auth fail no 1

check "a local user other than tambo cannot connect to the socket" \
	in_ct sh -c 'out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		python3 /opt/tambo-test/authd_client.py ask /run/tambo/auth.sock \
		"$1" "$2") && [ "$out" = "error: Permission denied" ] ||
		{ echo "$out"; exit 1; }' sh "$SUB_USER" "$SUB_PASS"
check "root may ask: ok" \
	in_ct sh -c '[ "$(python3 /opt/tambo-test/authd_client.py ask \
		/run/tambo/auth.sock "$1" "$2" 127.0.0.1)" = ok ]' \
	sh "$SUB_USER" "$SUB_PASS"

# --- idle exit, and a fresh start ---------------------------------------------
idle_exit() {
	for _ in $(seq 1 75); do
		in_ct systemctl -q is-active tambo-auth.service || break
		sleep 0.2
	done
	! in_ct systemctl -q is-active tambo-auth.service &&
		in_ct systemctl -q is-active tambo-auth.socket &&
		ct_journal tambo-auth.service |
		grep -E "event=authd-exit reason=idle requests=4 cached=2 refused=0"
}
check "after ${IDLE}s without requests authd exits (reason=idle); the socket listens on" \
	idle_exit
# Inside systemd-nspawn the services get EPERM from mlock(2) whatever
# their limits (nspawn's system call filter, not the unit's): that
# warning alone is expected here.
check "tambo-auth.service ended successfully, no error or other warning logged" \
	in_ct sh -c '[ "$(systemctl show -P Result tambo-auth.service)" = success ] &&
		! journalctl -u tambo-auth.service -o cat --no-pager |
		grep -E "event=(error|warning)" |
		grep -v "what=\"cannot lock the cache in memory\""'
r=$(login "$SUB_PASS")
if [ "$r" = 235 ] && journal_auth ok no 2 >/dev/null; then
	ok "the next login starts authd again, with an empty cache (cached=no)"
else
	not_ok "the next login starts authd again, with an empty cache (got '$r')" \
		"$(ct_journal tambo-auth.service | tail -n 10)"
fi

# --- load: 20 clients at once, 100 messages ---------------------------------
# tests/bench/subload.c: each session STARTTLS, AUTH PLAIN, messages; every
# one accepted, every login checked by the one authd process (from its
# cache), no handler falling back to its own check.
if cc -O2 -std=c17 -pthread -o "$tmp/subload" "$TOP/tests/bench/subload.c" \
	$(pkg-config --cflags --libs gnutls) 2>"$tmp/cc.err"; then
	load_run() {
		timeout 300 "$tmp/subload" -s 20 -m 100 -M 2 -T 120 -w 60 \
			-n mx.example.test -u "$SUB_USER" -p "$SUB_PASS" \
			-f "$SUB_USER" -t someone@remote.example 127.0.0.1 "$PORT"
	}
	load_once_more 'reply to the greeting' load_run
	if [ $rc = 0 ] && printf '%s\n' "$out" | grep -q '^messages=100 failed=0 '; then
		ok "load: 20 parallel STARTTLS + AUTH sessions, 100 messages accepted$again"
	else
		not_ok "load: 100 messages over 20 parallel sessions (exit $rc)" "$out" \
			"$(ct_warnings 30)"
	fi
	check "load: no handler fell back to its own check; authd one process" \
		in_ct sh -c '! journalctl -o cat --no-pager | grep -q "event=authd-unavailable" &&
			[ "$(pgrep -c -u tambo -x authd)" = 1 ]'
else
	skip_test "load: subload" "cannot build tests/bench/subload.c"
	skip_test "load: authd" "cannot build tests/bench/subload.c"
fi

nspawn_no_sanitizer_reports tambo-auth.service 'tambo-submission@*'
nspawn_rate tambo-auth.service
nspawn_poweroff
nspawn_done
