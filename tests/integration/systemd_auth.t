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
# Boots systemd in a container as systemd.t does (see there); needs root,
# systemd-nspawn, nsenter, swaks, certtool and a built tls.so, otherwise
# it skips.

# shellcheck disable=SC2016,SC2317
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${TAMBO_BUILD:-$TOP/build}
NAME=tambo-a$$
PLAN=18
EXPOSURE_MAX=2.0
IDLE=5

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root"
for c in systemd-nspawn nsenter swaks systemd-analyze ss certtool; do
	command -v "$c" >/dev/null 2>&1 || skip "no $c"
done
[ -x /usr/lib/systemd/systemd ] || skip "no /usr/lib/systemd/systemd"
for p in libexec/tambo/smtpd libexec/tambo/authd libexec/tambo/tls.so bin/tambo; do
	[ -e "$B/$p" ] || skip "not built: $B/$p"
done

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
skip_test() { n=$((n + 1)); echo "ok $n - $1 # skip $2"; }
check() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d" "$out"; fi
}

tmp=$(mktemp -d /tmp/tambo-sd-auth.XXXXXX) || exit 1
chmod 755 "$tmp"
NSPAWN_PID=
PID1=
in_ct() { nsenter -t "$PID1" -a "$@"; }
cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		[ -n "$PID1" ] && in_ct systemctl --no-block poweroff >/dev/null 2>&1
		for _ in $(seq 1 100); do
			kill -0 "$NSPAWN_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$NSPAWN_PID" 2>/dev/null
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "1..$PLAN"

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if [ -z "$(ss -Htanl "( sport = :$p )" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
PORT=$(free_port) || { echo "Bail out! no port"; exit 1; }
SUB_USER=u@example.test
SUB_PASS="auth-pass-$$-$RANDOM"

# --- staging ---------------------------------------------------------------
stage=$tmp/stage
mkdir -p "$stage/libexec/tambo" "$stage/bin" "$stage/units" "$stage/conf"
for p in "$B"/libexec/tambo/*; do
	[ -f "$p" ] && [ -x "$p" ] && cp "$p" "$stage/libexec/tambo/"
done
install -m 0644 "$B/libexec/tambo/tls.so" "$stage/libexec/tambo/tls.so"
cp "$B/bin/tambo" "$stage/bin/tambo"
cp "$TOP"/units/tambo-auth.socket "$TOP"/units/tambo-auth.service \
	"$TOP"/units/tambo-submission.socket \
	"$TOP"/units/tambo-submission@.service \
	"$TOP"/units/tambo.sysusers "$TOP"/units/tambo.tmpfiles "$stage/units/"
cp "$TOP/tests/integration/authd_client.py" "$stage/"
sh "$TOP/tests/lib/mkcerts.sh" "$stage/pki" >/dev/null 2>&1 ||
	{ echo "Bail out! mkcerts.sh"; exit 1; }
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$PORT" \
	>"$stage/conf/socket-port.conf"
printf '[Service]\nExecStart=\nExecStart=/usr/libexec/tambo/authd --idle %s\n' \
	"$IDLE" >"$stage/conf/idle.conf"
# Sanitizer builds: LeakSanitizer stops the world with ptrace (@debug).
{
	echo '[Service]'
	echo 'SystemCallFilter=@debug'
	printf 'Environment="ASAN_OPTIONS=%s" "UBSAN_OPTIONS=%s"\n' \
		"${ASAN_OPTIONS:-detect_leaks=1}" \
		"${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
} >"$stage/conf/sanitize.conf"

# --- boot --------------------------------------------------------------------
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
			[ "$(readlink "/proc/$c/exe" 2>/dev/null)" = /usr/lib/systemd/systemd ] && PID1=$c
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
running | degraded) ok "systemd boots in container $NAME ($state)" ;;
*)
	not_ok "systemd boots (state '$state')" "$(tail -n 30 "$tmp/nspawn.log")"
	echo "Bail out! no container"
	exit 1
	;;
esac

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
in_ct mkdir -p /etc/systemd/system/tambo-submission.socket.d \
	/etc/systemd/system/tambo-submission@.service.d \
	/etc/systemd/system/tambo-auth.service.d
in_ct cp /opt/tambo-test/conf/socket-port.conf \
	/etc/systemd/system/tambo-submission.socket.d/test-port.conf
in_ct cp /opt/tambo-test/conf/idle.conf \
	/etc/systemd/system/tambo-auth.service.d/test-idle.conf
if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
	in_ct cp /opt/tambo-test/conf/sanitize.conf /etc/systemd/system/tambo-submission@.service.d/
	in_ct cp /opt/tambo-test/conf/sanitize.conf /etc/systemd/system/tambo-auth.service.d/
fi
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
		c=$(in_ct journalctl -u tambo-auth.service -o cat --no-pager |
			grep -cE "event=auth-check client=127\.0\.0\.1 user=$SUB_USER result=$1 cached=$2 ")
		[ "$c" = "$3" ] && return 0
		sleep 0.2
	done
	echo "want $3 lines result=$1 cached=$2, got $c"
	in_ct journalctl -u tambo-auth.service -o cat --no-pager | tail -n 20
	return 1
}

r1=$(login "$SUB_PASS")
r2=$(login "$SUB_PASS")
if [ "$r1 $r2" = "235 235" ]; then
	ok "two submission sessions: AUTH PLAIN 235 each"
else
	not_ok "two submission sessions: AUTH PLAIN 235 each (got '$r1' '$r2')" \
		"$(in_ct journalctl -u 'tambo-submission@*' -o cat --no-pager | tail -n 20)"
fi
cached_pair() { journal_auth ok no 1 && journal_auth ok yes 1; }
check "tambo-auth.service: the first checked in full, the second from the cache" \
	cached_pair
check "the handlers reached authd from their sandbox (no event=authd-unavailable)" \
	sh -c '! nsenter -t "$1" -a journalctl -u "tambo-submission@*" -o cat \
		--no-pager | grep "event=authd-unavailable"' sh "$PID1"
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
		in_ct journalctl -u tambo-auth.service -o cat --no-pager |
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
		"$(in_ct journalctl -u tambo-auth.service -o cat --no-pager | tail -n 10)"
fi

if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
	check "no sanitizer reports in the journal" \
		sh -c '! nsenter -t "$1" -a journalctl -u tambo-auth.service \
			-u "tambo-submission@*" -o cat --no-pager |
			grep -E "Sanitizer|runtime error"' sh "$PID1"
else
	skip_test "no sanitizer reports in the journal" "not a sanitizer build"
fi

sec=$(systemd-analyze security --offline=true --no-pager "$TOP/units/tambo-auth.service" 2>&1)
level=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	skip_test "systemd-analyze security rates tambo-auth.service" "no --offline"
elif awk -v l="$level" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }'; then
	ok "systemd-analyze security rates tambo-auth.service $level (<= $EXPOSURE_MAX)"
else
	not_ok "systemd-analyze security rates tambo-auth.service <= $EXPOSURE_MAX ($level)"
fi

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
