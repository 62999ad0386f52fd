#!/bin/bash
# crash.t — kill -9 of a handler: mid-DATA nothing is queued; just after
# "250 ... queued as ID" the message is in queue/, whole.
#
# A small Python client holds the connection open at the chosen moment and
# says so through a file; the handler is the child of the
# systemd-socket-activate that start_smtpd runs for our port.
. "$(dirname "$0")/../lib/common.sh"

command -v systemd-socket-activate >/dev/null 2>&1 ||
	tap_skip_all "no systemd-socket-activate"
command -v pgrep >/dev/null 2>&1 || tap_skip_all "no pgrep"

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
c=$tmp/c
make_instance "$c" || { echo "Bail out! instance"; exit 1; }
port=$(free_port)
start_smtpd "$c" "$port" mx || { echo "Bail out! server"; exit 1; }
sdpid=$(pgrep -f "systemd-socket-activate -l 127.0.0.1:$port " | head -1)
[ -n "$sdpid" ] || { echo "Bail out! no systemd-socket-activate pid"; exit 1; }

# client.py MODE PORT STATEFILE MSGFILE
#   half: EHLO, MAIL, RCPT, DATA, then 800 kB of the 1 MB message (far
#         more than the spool's write buffer) without the final dot; "ready"
#   full: the whole message for alice and bob; the 250 line
# Then it waits for the server to hang up (at most 15 s) and writes "closed".
cat > "$tmp/client.py" <<'PY'
import socket, sys, time
mode, port, state, msgfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), 5)
f = s.makefile("rb")

def reply():
    lines = []
    while True:
        l = f.readline()
        if not l:
            raise SystemExit("connection closed early: %r" % lines)
        lines.append(l)
        if l[3:4] != b"-":
            return lines

def cmd(line, want):
    s.sendall(line + b"\r\n")
    r = reply()
    if not r[-1].startswith(want):
        raise SystemExit("%r -> %r" % (line, r))
    return r[-1]

reply()
cmd(b"EHLO client.example", b"250")
cmd(b"MAIL FROM:<a@other.example>", b"250")
cmd(b"RCPT TO:<alice@example.test>", b"250")
if mode == "full":
    cmd(b"RCPT TO:<bob@example.test>", b"250")
cmd(b"DATA", b"354")
body = b"From: a@other.example\r\nTo: alice@example.test\r\nSubject: crash\r\n\r\n"
body += b"".join(b"line %05d of the body, padded to be a bit longer\r\n" % i
                 for i in range(20000))
body += b"The last line.\r\n"
open(msgfile, "wb").write(body)
if mode == "half":
    s.sendall(body[:800000])	# of about 1 MB
    open(state, "w").write("ready\n")
else:
    s.sendall(body + b".\r\n")
    r = reply()
    open(state, "w").write(r[-1].decode().rstrip("\r\n") + "\n")
s.settimeout(15)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
open(state, "a").write("closed\n")
PY

wait_for() {	# file pattern: up to 10 s
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

handler_pid() {	# the one child of systemd-socket-activate
	pgrep -P "$sdpid"
}

kill_handler() {	# pid: SIGKILL, then wait until it is gone or a zombie
	local pid=$1 st
	kill -9 "$pid" || return 1
	for _ in $(seq 200); do
		st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

# --- 1. killed in the middle of DATA --------------------------------------
$PY "$tmp/client.py" half "$port" "$tmp/state1" "$tmp/msg1" &
cpid=$!
wait_for "$tmp/state1" ready
tap_is "$(cat "$tmp/state1" 2>/dev/null)" ready "client is in the middle of DATA"
pids=$(handler_pid)
tap_is "$(printf '%s\n' "$pids" | grep -c .)" 1 "one handler process for the connection"
pid=$(printf '%s\n' "$pids" | head -1)
tap_like "$(readlink "/proc/$pid/exe" 2>/dev/null)" '/smtpd$' \
	"the handler is smtpd (pid $pid)"
# Wait until the handler has written part of it to spool/tmp.
for _ in $(seq 100); do
	find "$c/spool/tmp" -maxdepth 1 -type f -size +100k | grep -q . && break
	sleep 0.05
done
tmp_before=$(tmp_count "$c")
tap_is "$tmp_before" 1 "the message being received is in spool/tmp"
left=$(find "$c/spool/tmp" -maxdepth 1 -type f -printf '%f\n' | head -1)
tap_ok "$(find "$c/spool/tmp/$left" -size +100k | grep -q .; echo $?)" \
	"more than 100 kB of the body already reached spool/tmp/$left"
kill_handler "$pid"
tap_ok $? "handler killed with SIGKILL"
wait "$cpid"
tap_like "$(cat "$tmp/state1")" closed "client saw the connection close"

tap_is "$(queue_count "$c")" 0 "nothing in queue/ after the crash"
out=$("$B/bin/tambo" -C "$c" queue list 2>&1)
rc=$?
tap_is "$rc" 0 "queue list exits 0"
tap_is "$out" "" "queue list prints nothing"
if [ -n "$left" ]; then
	tap_ok "$(test ! -e "$c/spool/queue/$left"; echo $?)" \
		"the leftover tmp/$left is not in queue/"
else
	tap_ok 0 "no leftover in tmp/ (nothing to find in queue/)"
fi
tap_is "$(grep -c 'event=queued' "$c/smtpd.log")" 0 "no queued event logged"

# The server goes on: a new connection queues normally.
out=$($PY - "$port" <<'PY' 2>&1
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example")
code, msg = s.ehlo()
s.mail("a@other.example")
s.rcpt("alice@example.test")
code, msg = s.data(b"Subject: after\r\n\r\nstill here\r\n")
print(code, msg.decode())
s.quit()
PY
)
tap_like "$out" '^250 2\.0\.0 Ok: queued as [0-9A-F]{18}$' "a new connection is accepted and queued"
id2=$(printf '%s\n' "$out" | grep -Eo '[0-9A-F]{18}$')
tap_is "$(queue_count "$c")" 1 "queue holds exactly that one message"
list=$("$B/bin/tambo" -C "$c" queue list)
tap_like "$list" "^$id2 [0-9]+ <a@other\\.example> <alice@example\\.test>\$" \
	"queue list shows exactly it"
tap_is "$(printf '%s\n' "$list" | grep -c .)" 1 "queue list has one line"

# --- 2. killed just after "250 queued" --------------------------------------
$PY "$tmp/client.py" full "$port" "$tmp/state2" "$tmp/msg2" &
cpid=$!
wait_for "$tmp/state2" '^250'
line=$(head -1 "$tmp/state2")
tap_like "$line" '^250 2\.0\.0 Ok: queued as [0-9A-F]{18}$' "client got 250 queued"
id=$(printf '%s\n' "$line" | grep -Eo '[0-9A-F]{18}$')
pid=$(handler_pid | head -1)
tap_ok "$(test -n "$pid" && test -d "/proc/$pid"; echo $?)" \
	"the handler is still alive, waiting for the next command"
kill_handler "$pid"
tap_ok $? "handler killed with SIGKILL"
wait "$cpid"

tap_ok "$(test -f "$c/spool/queue/$id"; echo $?)" "queue/$id exists"
tap_is "$(queue_count "$c")" 2 "queue holds 2 messages"
tap_is "$(tmp_count "$c")" "$tmp_before" "spool/tmp gained nothing"
want_tail=$(printf 'The last line.\r\n' | od -An -c)
got_tail=$(tail -c 16 "$c/spool/queue/$id" | od -An -c)
tap_is "$got_tail" "$want_tail" "the file ends with the message's last line and CRLF"
# the stored message after the Received: field is the message sent
$PY - "$c/spool/queue/$id" "$tmp/msg2" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
msg = open(sys.argv[2], "rb").read()
ok = data.endswith(b"\r\n" + msg) and len(data) - data.index(b"\n\n") - 2 >= len(msg)
sys.exit(0 if ok else 1)
PY
tap_ok $? "the whole message is stored, byte for byte"
list=$("$B/bin/tambo" -C "$c" queue list)
tap_like "$list" "^$id [0-9]+ <a@other\\.example> <alice@example\\.test> <bob@example\\.test>\$" \
	"queue list shows $id with both recipients"
tap_like "$(grep "event=queued" "$c/smtpd.log" | tail -1)" "id=$id" \
	"the queued event was logged before the kill"

tap_done
