#!/bin/bash
# listenfd.t — the connection handed over as systemd's Accept=yes does it
# (fd 3, LISTEN_FDS/LISTEN_PID, no --inetd), then inetd style (fd 0/1),
# over IPv4 and IPv6: swaks gets its 250, the message is queued, and the
# connect line logs the client's address and port.
. "$(dirname "$0")/../lib/common.sh"

for p in systemd-socket-activate swaks ss; do
	command -v "$p" >/dev/null 2>&1 || tap_skip_all "no $p"
done

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"

# A free TCP port on an address (the one free_port gives is IPv4 only).
free_port_on() {
	$PY - "$1" <<'PY'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])
s.close()
PY
}

# serve DIR LISTEN PORT [--inetd]: systemd-socket-activate, handlers' stderr
# to DIR/smtpd.log; waits for the listening socket.
serve() {
	local dir=$1 addr=$2 port=$3 i
	shift 3
	systemd-socket-activate -l "$addr:$port" -a "$@" \
		"$B/libexec/tambo/smtpd" -C "$dir" --mode mx \
		</dev/null >/dev/null 2>>"$dir/smtpd.log" &
	at_exit "kill $!"
	for i in $(seq 100); do
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# run_case NAME LISTEN-ADDR CLIENT-ADDR SWAKS-FAMILY [--inetd]
run_case() {
	local name=$1 laddr=$2 caddr=$3 fam=$4 dir port lport out rc log id
	shift 4
	dir=$tmp/$name
	make_instance "$dir" || { echo "Bail out! instance"; exit 1; }
	port=$(free_port_on "$caddr")
	serve "$dir" "$laddr" "$port" "$@" ||
		{ echo "Bail out! server for $name"; exit 1; }
	lport=$(free_port_on "$caddr")
	out=$(swaks "$fam" --server "$caddr" --port "$port" \
		--local-interface "$caddr" --local-port "$lport" \
		--helo client.example --from a@other.example \
		--to alice@example.test --body "via $name" 2>&1)
	rc=$?
	tap_is "$rc" 0 "$name: swaks exits 0"
	tap_like "$out" '<- +250 2\.0\.0 Ok: queued as [0-9A-F]{18}' \
		"$name: 250 queued"
	tap_is "$(queue_count "$dir")" 1 "$name: queue holds 1 message"
	id=$(printf '%s\n' "$out" | grep -Eo 'queued as [0-9A-F]{18}' |
		grep -Eo '[0-9A-F]{18}')
	tap_like "$("$B/bin/tambo" -C "$dir" queue list)" \
		"^$id [0-9]+ <a@other\\.example> <alice@example\\.test>\$" \
		"$name: queue list shows it"
	log=$(cat "$dir/smtpd.log")
	tap_like "$log" "event=connect mode=mx client=$caddr port=$lport( |\$)" \
		"$name: log: event=connect mode=mx client=$caddr port=$lport"
	tap_like "$(grep '^client ' "$dir/spool/queue/$id")" "^client $caddr\$" \
		"$name: envelope records client $caddr"
	if [ "$caddr" = ::1 ]; then
		tap_like "$(cat "$dir/spool/queue/$id")" \
			'^Received: from client\.example \(\[IPv6:::1\]\)' \
			"$name: Received: names [IPv6:::1]"
	else
		tap_like "$(cat "$dir/spool/queue/$id")" \
			"^Received: from client\\.example \\(\\[$caddr\\]\\)" \
			"$name: Received: names [$caddr]"
	fi
	tap_like "$log" 'event=disconnect reason=quit messages=1 errors=0' \
		"$name: the session ended with QUIT, one message, no errors"
	tap_is "$(grep -c 'event=error' "$dir/smtpd.log")" 0 "$name: no error logged"
}

run_case listen4 127.0.0.1 127.0.0.1 -4
run_case inetd4 127.0.0.1 127.0.0.1 -4 --inetd

have6=no
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' &&
	$PY -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' \
	2>/dev/null; then
	have6=yes
fi
if [ "$have6" = yes ]; then
	run_case listen6 '[::1]' ::1 -6
	run_case inetd6 '[::1]' ::1 -6 --inetd
else
	for i in $(seq 18); do
		tap_ok 0 "IPv6 check $i # SKIP ::1 is not configured"
	done
fi

tap_done
