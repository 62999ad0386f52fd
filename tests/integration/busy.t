#!/bin/bash
# busy.t — a flood of idle connections (tambo.conf(5) busy_sessions,
# busy_timeout): below the mark an idle client keeps its session for
# command_timeout; once busy_sessions sessions are open at once, every
# session whose client keeps it waiting busy_timeout seconds is closed with
# 421 4.4.2 and logged, a client that keeps talking is served and its mail
# queued, and when the flood is gone the server is no longer busy; on
# port 465 a client that never starts its TLS handshake is given up the
# same way.  Handlers under systemd-socket-activate, clients in Python.
. "$(dirname "$0")/../lib/common.sh"

for p in systemd-socket-activate ss; do
	command -v "$p" >/dev/null 2>&1 || tap_skip_all "no $p"
done

tmp_instance || { echo "Bail out! instance"; exit 1; }
cat >>"$c/tambo.conf" <<EOF
busy_sessions = 3
busy_timeout = 1
EOF
port=$(free_port)
start_smtpd "$c" "$port" mx || { echo "Bail out! server"; exit 1; }

# clients PORT PLAN: one client per word of PLAN, started 0.3 s apart,
# each printing "N SECONDS REPLY" when the server closes it (or "N open" if
# it is still open at the end, 6 s after the last start).  A word "idle"
# reads the greeting and waits; "talk" sends NOOP every 0.3 s and then a
# message to alice@example.test, printing the final reply; "tls" (port
# 465) connects and sends nothing, not even a TLS hello.
clients() {
	$PY - "$@" <<'PY'
import socket, sys, threading, time
port, plan = int(sys.argv[1]), sys.argv[2:]
out = {}

def reply(f):
    line = f.readline()
    last = line
    while line[3:4] == "-":
        line = f.readline()
        last = line
    return last.strip()

def run(n, kind, t0):
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(20)
    f = s.makefile("r", newline="\r\n")
    if kind != "tls":
        reply(f)
    start = time.time()
    try:
        if kind == "talk":
            s.sendall(b"EHLO client.example\r\n"); reply(f)
            for _ in range(12):
                time.sleep(0.3)
                s.sendall(b"NOOP\r\n")
                r = reply(f)
                if not r.startswith("250"):
                    out[n] = "%d talk-cut %s" % (n, r)
                    return
            s.sendall(b"MAIL FROM:<a@other.example>\r\n"); reply(f)
            s.sendall(b"RCPT TO:<alice@example.test>\r\n"); reply(f)
            s.sendall(b"DATA\r\n"); reply(f)
            s.sendall(b"Subject: busy\r\n\r\nstill here\r\n.\r\n")
            out[n] = "%d talk %s" % (n, reply(f))
            s.sendall(b"QUIT\r\n")
            return
        r = f.readline()
        out[n] = "%d %.1f %s" % (n, time.time() - start, r.strip() or "EOF")
    except socket.timeout:
        out[n] = "%d open" % n

threads = []
for i, k in enumerate(plan):
    t = threading.Thread(target=run, args=(i, k, time.time()), daemon=True)
    t.start()
    threads.append(t)
    time.sleep(0.3)
end = time.time() + 6
for t in threads:
    t.join(max(0, end - time.time()))
for i in range(len(plan)):
    print(out.get(i, "%d open" % i))
PY
}

# --- below the mark: two idle clients keep their sessions -------------------
out=$(clients "$port" idle idle)
tap_is "$out" "$(printf '0 open\n1 open')" \
	"two idle sessions (below busy_sessions = 3): neither closed in 6 s"

# --- the mark: three sessions, the idle ones go -----------------------------
out=$(clients "$port" idle idle idle talk)
echo "$out" | sed 's/^/# /' >&2
cut=$(printf '%s\n' "$out" |
	awk '$3 == "421" && $4 == "4.4.2" && $2 + 0 < 5 { n++ } END { print n + 0 }')
tap_is "$cut" 3 "busy: the three idle sessions get 421 4.4.2 within 5 s"
tap_like "$out" '^0 [0-9.]+ 421 4\.4\.2 Server busy' \
	"the reply says why"
tap_like "$out" '^3 talk 250 2\.0\.0 ' \
	"a client that keeps talking is served meanwhile: message queued"
tap_like "$(cat "$c/smtpd.log")" 'event=disconnect reason="idle while busy"' \
	"log: event=disconnect reason=\"idle while busy\""
tap_is "$(queue_count "$c")" 1 "the talking client's message is in the queue"

# --- after the flood: not busy any more --------------------------------------
sleep 0.5
out=$(clients "$port" idle)
tap_is "$out" "0 open" "the flood gone: an idle session is left alone again"

# --- port 465: a client that never starts its TLS handshake ---------------
sh "$TOP/tests/lib/mkcerts.sh" "$tmp/pki" >/dev/null 2>&1 &&
	cp -r "$tmp/pki/certs" "$c/certs" || { echo "Bail out! certs"; exit 1; }
port465=$(free_port)
start_smtpd "$c" "$port465" submissions ||
	{ echo "Bail out! server 465"; exit 1; }
out=$(clients "$port465" tls tls)
tap_is "$out" "$(printf '0 open\n1 open')" \
	"465, below the mark: two silent clients keep their handshakes waiting"
out=$(clients "$port465" tls tls tls)
echo "$out" | sed 's/^/# /' >&2
cut=$(printf '%s\n' "$out" | awk '$3 == "EOF" && $2 + 0 < 5 { n++ } END { print n + 0 }')
tap_is "$cut" 3 "465, busy: three silent clients closed within 5 s"
tap_like "$(cat "$c/smtpd.log")" 'event=reject cmd=TLS .*tls handshake: idle while busy' \
	"log: the handshake given up, idle while busy"

# --- busy_sessions = 0: never busy -------------------------------------------
sed -i 's/^busy_sessions = 3$/busy_sessions = 0/' "$c/tambo.conf"
out=$(clients "$port" idle idle idle idle)
tap_is "$(printf '%s\n' "$out" | grep -c ' open$')" 4 \
	"busy_sessions = 0: four idle sessions all stay"

tap_done
