#!/bin/bash
# systemd_deliver.t — the delivery units under a real systemd:
# tambo-deliver.path starts the runner as soon as the port-25 handler
# queues a message, tambo-deliver.timer is armed, the runner works inside
# its sandbox (DNS-free route to an smtp-sink on the host's loopback,
# SRS key written to /var/lib/tambo), DKIM keys are readable by the
# delivery service's group tambo-dkim and not by the smtpd identity, and
# mail submitted locally leaves DKIM-signed.
#
# Boots systemd in a container as systemd.t does (see there); needs root,
# systemd-nspawn, nsenter, swaks and smtp-sink, otherwise it skips.

# shellcheck disable=SC2016,SC2317
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${TAMBO_BUILD:-$TOP/build}
NAME=tambo-d$$
PLAN=17
EXPOSURE_MAX=2.0

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root"
for c in systemd-nspawn nsenter swaks systemd-analyze ss; do
	command -v "$c" >/dev/null 2>&1 || skip "no $c"
done
[ -x /usr/sbin/smtp-sink ] || skip "no smtp-sink (postfix)"
[ -x /usr/lib/systemd/systemd ] || skip "no /usr/lib/systemd/systemd"
for p in libexec/tambo/smtpd libexec/tambo/deliver libexec/tambo/remote bin/tambo; do
	[ -x "$B/$p" ] || skip "not built: $B/$p"
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

tmp=$(mktemp -d /tmp/tambo-sd-deliver.XXXXXX) || exit 1
chmod 755 "$tmp"
NSPAWN_PID=
PID1=
SINK_PID=
in_ct() { nsenter -t "$PID1" -a "$@"; }
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
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
	local p t
	for _ in $(seq 1 50); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		for t in "$@"; do [ "$p" = "$t" ] && continue 2; done
		if [ -z "$(ss -Htanl "( sport = :$p )" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
PORT=$(free_port) && SINK=$(free_port "$PORT") || { echo "Bail out! no port"; exit 1; }

# --- the receiver on the host: what the container's runner delivers ------
mkdir -p "$tmp/sink"
chmod 777 "$tmp/sink"
/usr/sbin/smtp-sink -u nobody -R / -d "$tmp/sink/%M." "127.0.0.1:$SINK" 50 \
	2>"$tmp/sink.log" &
SINK_PID=$!

# --- staging ---------------------------------------------------------------
stage=$tmp/stage
mkdir -p "$stage/libexec/tambo" "$stage/bin" "$stage/units" "$stage/conf"
for p in "$B"/libexec/tambo/*; do
	[ -f "$p" ] && [ -x "$p" ] && cp "$p" "$stage/libexec/tambo/"
done
[ -f "$B/libexec/tambo/tls.so" ] &&
	install -m 0644 "$B/libexec/tambo/tls.so" "$stage/libexec/tambo/tls.so"
cp "$B/bin/tambo" "$stage/bin/tambo"
cp "$TOP"/units/tambo-smtp.socket "$TOP"/units/tambo-smtp@.service \
	"$TOP"/units/tambo-deliver.service "$TOP"/units/tambo-deliver.timer \
	"$TOP"/units/tambo-deliver.path "$TOP"/units/tambo.sysusers \
	"$TOP"/units/tambo.tmpfiles "$stage/units/"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$PORT" \
	>"$stage/conf/socket-port.conf"
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

check "sysusers.d: user tambo and group tambo-dkim" \
	in_ct sh -c 'systemd-sysusers /opt/tambo-test/units/tambo.sysusers &&
		id -u tambo && getent group tambo-dkim &&
		systemd-tmpfiles --create /opt/tambo-test/units/tambo.tmpfiles'

# Mail for example.test goes to the catch-all, forwarded to remote.test;
# every remote domain is routed to the host's smtp-sink.
check "configuration: catch-all forward, route to the host's smtp-sink" \
	in_ct sh -c 'tambo -C /etc/tambo init example.test \
			--hostname mx.example.test &&
		echo "*: you@remote.test" >>/etc/tambo/domains/example.test/aliases &&
		echo "route * = [127.0.0.1]:$1 tls=none" >>/etc/tambo/tambo.conf &&
		chgrp -R tambo /etc/tambo && chmod -R g+rX,o-rwx /etc/tambo' sh "$SINK"

# --- DKIM keys: group tambo-dkim, not the handlers' identity ---------------
DKIM=no
if [ -x "$B/libexec/tambo/dkimsign" ]; then
	if out=$(in_ct sh -c 'tambo -C /etc/tambo dkim keygen example.test &&
		k=$(ls /etc/tambo/domains/example.test/dkim/*.key | head -1) &&
		stat -c "%G %a" $k | grep -qx "tambo-dkim 640" &&
		! setpriv --reuid=tambo --regid=tambo --clear-groups cat $k \
			>/dev/null 2>&1 &&
		setpriv --reuid=tambo --regid=tambo \
			--groups="$(getent group tambo-dkim | cut -d: -f3)" \
			cat $k >/dev/null' 2>&1); then
		ok "DKIM keys: tambo-dkim 0640; unreadable as the smtpd identity, readable with the group"
		DKIM=yes
	else
		not_ok "DKIM keys: tambo-dkim 0640, unreadable as the smtpd identity" "$out"
	fi
else
	skip_test "DKIM keys" "no dkimsign built"
fi

# --- units -------------------------------------------------------------------
in_ct mkdir -p /etc/systemd/system/tambo-smtp.socket.d \
	/etc/systemd/system/tambo-smtp@.service.d \
	/etc/systemd/system/tambo-deliver.service.d
in_ct cp /opt/tambo-test/conf/socket-port.conf \
	/etc/systemd/system/tambo-smtp.socket.d/test-port.conf
if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
	in_ct cp /opt/tambo-test/conf/sanitize.conf /etc/systemd/system/tambo-smtp@.service.d/
	in_ct cp /opt/tambo-test/conf/sanitize.conf /etc/systemd/system/tambo-deliver.service.d/
fi
check "tambo-smtp.socket, tambo-deliver.path and .timer active" \
	in_ct sh -c 'cd /opt/tambo-test/units &&
		systemctl link "$PWD/tambo-smtp.socket" "$PWD/tambo-smtp@.service" \
			"$PWD/tambo-deliver.service" "$PWD/tambo-deliver.timer" \
			"$PWD/tambo-deliver.path" &&
		systemctl daemon-reload &&
		systemctl start tambo-smtp.socket tambo-deliver.path \
			tambo-deliver.timer &&
		systemctl is-active tambo-smtp.socket tambo-deliver.path \
			tambo-deliver.timer'

# --- a message to the catch-all leaves at once, with SRS ---------------------
sink_wait() {	# pattern: until a sink file matches (15 s)
	for _ in $(seq 1 75); do
		grep -lE "$1" "$tmp"/sink/* 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
t0=$(date +%s.%N)
out=$(swaks --server 127.0.0.1 --port "$PORT" --timeout 20 \
	--to anyone@example.test --from author@sender.example \
	--helo client.example --header "Subject: via-path" 2>&1)
if printf '%s\n' "$out" | grep -q '^<-  250 2\.0\.0'; then
	ok "swaks: port 25 accepts mail for the catch-all"
else
	not_ok "swaks: port 25 accepts mail for the catch-all" "$out"
fi
if f=$(sink_wait 'Subject: via-path'); then
	t1=$(date +%s.%N)
	ok "the path unit started the runner: forwarded in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
	check "forwarded to the catch-all's target with an SRS sender" \
		grep -qE '^X-Mail-Args: <SRS0=[^>]*=sender.example=author@example.test>' "$f"
else
	not_ok "the path unit started the runner within 15 s" \
		"$(in_ct journalctl -u tambo-deliver.service -o cat --no-pager | tail -n 20)"
	not_ok "forwarded with an SRS sender" "nothing received"
fi
check "the runner logged event=delivered to the journal" \
	sh -c 'nsenter -t "$1" -a journalctl -u tambo-deliver.service -o cat \
		--no-pager | grep -q "event=delivered to=you@remote.test"' sh "$PID1"
check "the runner wrote its SRS key to /var/lib/tambo (tambo 0600)" \
	in_ct sh -c 'stat -c "%U %a" /var/lib/tambo/srs.key | grep -qx "tambo 600"'
check "the queue is empty" \
	in_ct sh -c '[ -z "$(tambo -C /etc/tambo queue list)" ]'

# --- local submission is DKIM-signed by the runner ---------------------------
if [ $DKIM = yes ]; then
	in_ct sh -c 'printf "From: u@example.test\nTo: y@remote.test\nSubject: signed-local\n\nhello\n" |
		setpriv --reuid=tambo --regid=tambo --clear-groups \
		/usr/libexec/tambo/enqueue -C /etc/tambo -f u@example.test y@remote.test' >/dev/null 2>&1
	if f=$(sink_wait 'Subject: signed-local'); then
		check "locally submitted mail arrives DKIM-signed (d=example.test)" \
			grep -qE '^DKIM-Signature:.*d=example\.test' "$f"
	else
		not_ok "locally submitted mail arrives DKIM-signed" \
			"$(in_ct journalctl -u tambo-deliver.service -o cat --no-pager | tail -n 20)"
	fi
else
	skip_test "locally submitted mail arrives DKIM-signed" "no dkimsign"
fi

check "tambo-deliver.service ended successfully (no failed runs)" \
	in_ct sh -c '[ "$(systemctl show -P Result tambo-deliver.service)" = success ]'
check "the timer is armed" \
	in_ct sh -c 'systemctl list-timers --all --no-legend | grep -q tambo-deliver.timer'

if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
	check "no sanitizer reports in the journal" \
		sh -c '! nsenter -t "$1" -a journalctl -u tambo-deliver.service \
			-u "tambo-smtp@*" -o cat --no-pager |
			grep -E "Sanitizer|runtime error"' sh "$PID1"
else
	skip_test "no sanitizer reports in the journal" "not a sanitizer build"
fi

sec=$(systemd-analyze security --offline=true --no-pager "$TOP/units/tambo-deliver.service" 2>&1)
level=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	skip_test "systemd-analyze security rates tambo-deliver.service" "no --offline"
elif awk -v l="$level" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }'; then
	ok "systemd-analyze security rates tambo-deliver.service $level (<= $EXPOSURE_MAX)"
else
	not_ok "systemd-analyze security rates tambo-deliver.service <= $EXPOSURE_MAX ($level)"
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
