#!/bin/bash
# status.t — tambo test-send and tambo status on an instance (tambo(8)):
# test-send queues a message as the local sendmail does; with --wait the
# runner delivers it through a route to Postfix's smtp-sink, DKIM-signed
# (python3-dkim verifies it) and the sink's reply is printed; a route to a
# closed port gives "deferred" and exit 75 within the wait, a sink that
# refuses with 5xx gives "bounced" and exit 1.  tambo status counts the
# queue and the deferred messages, rates certificates that expire in 5
# days (WARN) or have expired (FAIL), lists the DKIM keys, counts the
# sessions open on port 25 (WARN when busy), and exits 1 only when
# something FAILs.  The systemd parts: systemd_status.t.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

[ -x /usr/sbin/smtp-sink ] || tap_skip_all "smtp-sink (postfix) not installed"
command -v certtool >/dev/null 2>&1 || tap_skip_all "certtool (gnutls-bin) not installed"

tmp_instance || { echo "Bail out! instance"; exit 1; }
T="$B/bin/tambo"

# Two receivers: one that takes everything, one that refuses RCPT (5xx).
okport=$(free_port)
badport=$(free_port)
closed=$(free_port)
if ! sink_start "$tmp/sink" "$okport" ||
	! sink_start "$tmp/bad" "$badport" -f rcpt ||
	! wait_port "$okport" || ! wait_port "$badport"; then
	echo "Bail out! smtp-sink"
	exit 1
fi

cat >> "$c/tambo.conf" <<EOF
route routed.test = [127.0.0.1]:$okport tls=none
route closed.test = [127.0.0.1]:$closed tls=none
route refuse.test = [127.0.0.1]:$badport tls=none
connect_timeout = 5
EOF

# --- test-send without --wait: queued like local sendmail mail ------------
out=$("$T" -C "$c" test-send x@routed.test 2>"$tmp/err")
tap_is "$?" 0 "test-send without --wait exits 0"
id=$(printf '%s\n' "$out" | sed -n 's/^\([0-9A-F]\{18\}\): queued.*/\1/p')
tap_like "$out" '^[0-9A-F]{18}: queued, from <postmaster@example\.test> to <x@routed\.test>$' \
	"prints the queue id; From: defaults to postmaster of the hostname's domain"
tap_is "$(queue_count "$c")" 1 "the message is in the queue"
show=$("$T" -C "$c" queue show "$id")
tap_like "$show" 'client: local' "envelope: client local (as the local sendmail's)"
tap_like "$show" "auth: $(id -un)" "envelope: the invoking user"
f="$c/spool/queue/$id"
tap_like "$(cat "$f")" 'Subject: tambo test message from mx\.example\.test' "Subject names the host"
tap_like "$(cat "$f")" "Message-ID: <$id\\.test@mx\\.example\\.test>" "Message-ID @hostname"
tap_like "$(cat "$f")" 'Content-Type: text/plain; charset=UTF-8' "text/plain UTF-8"
tap_like "$(cat "$f")" '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} ' "a Date field"
"$T" -C "$c" test-send 'not an address' >/dev/null 2>&1
tap_is "$?" 65 "a bad address: EX_DATAERR"
"$T" -C "$c" test-send --wait x x@routed.test >/dev/null 2>&1
tap_is "$?" 64 "a bad --wait: EX_USAGE"

# --- --wait: delivered, DKIM-signed, the sink's reply shown ---------------
"$T" -C "$c" dkim keygen example.test --selector s1 --type ed25519 >/dev/null 2>&1
"$T" -C "$c" dkim keygen example.test --selector s2 --type rsa >/dev/null 2>&1
out=$("$T" -C "$c" test-send --from alice@example.test --wait 20 \
	y@routed.test 2>"$tmp/err")
tap_is "$?" 0 "test-send --wait: exit 0 when delivered"
tap_like "$out" '^y@routed\.test: delivered: 250 2\.0\.0 .*\(127\.0\.0\.1' \
	"one line for the recipient: delivered, the sink's 250 reply, the relay"
f=$(grep -l '^Subject: tambo test message' "$tmp"/sink/* 2>/dev/null | head -1)
tap_ok "$([ -n "$f" ]; echo $?)" "the sink received the test message"
if [ -n "$f" ]; then
	tap_like "$(cat "$f")" 'X-Mail-Args: <alice@example\.test>' "sent from --from"
	v=$(/usr/bin/python3 "$TOP/tests/lib/sink_dkim.py" "$f" \
	    "$B/libexec/tambo/dkimsign" "$c/domains/example.test/dkim")
	tap_is "$v" "2 True" "DKIM-signed by the runner (Ed25519 and RSA); python3-dkim verifies both"
else
	tap_ok 1 "sent from --from"
	tap_ok 1 "DKIM-signed"
fi

# --- --wait: a closed port is deferred, exit 75 within the wait -------------
t0=$(date +%s)
out=$("$T" -C "$c" test-send --wait 2 z@closed.test 2>"$tmp/err")
rc=$?
t1=$(date +%s)
tap_is "$rc" 75 "closed port: exit 75 (still queued)"
tap_like "$out" '^z@closed\.test: deferred: .*(refused|connect)' "the recipient is reported deferred with the error"
tap_ok "$([ $((t1 - t0)) -le 12 ]; echo $?)" "within the wait ($((t1 - t0)) s)"
deferred_id=$(printf '%s\n' "$out" | sed -n 's/^\([0-9A-F]\{18\}\): queued.*/\1/p')

# --- --wait: a 5xx refusal bounces, exit 1 -------------------------------------
out=$("$T" -C "$c" test-send --wait 20 w@refuse.test 2>"$tmp/err")
tap_is "$?" 1 "5xx: exit 1"
tap_like "$out" '^w@refuse\.test: bounced: 5[0-9][0-9] ' "the recipient is reported bounced with the 5xx reply"

# --- as root: the files belong to the spool's owner --------------------------
if [ "$(id -u)" = 0 ]; then
	c2=$tmp/c2
	"$T" -C "$c2" init example.test --hostname mx.example.test >/dev/null
	echo "route * = [127.0.0.1]:$closed tls=none" >> "$c2/tambo.conf"
	chown -R nobody "$c2/spool" "$c2/state"
	out=$("$T" -C "$c2" test-send --wait 1 r@routed.test 2>"$tmp/err")
	tap_is "$?" 75 "as root, spool owned by nobody: deferred"
	id2=$(printf '%s\n' "$out" | sed -n 's/^\([0-9A-F]\{18\}\): queued.*/\1/p')
	tap_is "$(stat -c %U "$c2/spool/queue/$id2" "$c2/spool/queue/$id2.state" 2>&1 | sort -u)" \
		nobody "queue and state files belong to the spool's owner"
else
	tap_ok 0 "# SKIP not root"
	tap_ok 0 "# SKIP not root"
fi

# --- status: the queue ------------------------------------------------------------
# Now queued: the first message (never attempted), the deferred one, and
# the DSN for the refused one (for postmaster, not yet delivered).
n=$(queue_count "$c")
st=$("$T" -C "$c" status 2>&1)
rc=$?
printf '%s\n' "$st" | sed 's/^/# /'
tap_like "$st" "^  WARN +$n messages queued, 1 deferred, oldest " "queue: $n messages, 1 deferred"
tap_like "$st" "WARN +deferred to closed\\.test: 1 recipient, last error: " \
	"the deferred destination and its last error"
tap_like "$st" "WARN +no certificates" "no certificates: WARN"
tap_like "$st" "OK +example\\.test: selector s1: ed25519" "DKIM: the Ed25519 key"
tap_like "$st" "OK +example\\.test: selector s2: rsa-2048" "DKIM: the RSA key"
tap_like "$st" "WARN +catchall\\.test: no DKIM keys" "DKIM: a domain without keys is WARN"
tap_like "$st" "systemd not running, services not checked" "services: no systemd here"
tap_is "$rc" 0 "nothing FAILs: exit 0"
"$T" -C "$c" queue delete "$deferred_id" >/dev/null
tap_like "$("$T" -C "$c" status)" "^  (OK|WARN) +$((n - 1)) messages queued, 0 deferred" \
	"after queue delete: one fewer, none deferred"

# --- status: certificates ------------------------------------------------------
cert() {	# folder days-from-now-to-expiry (negative: expired)
	local d=$c/certs/$1 act exp
	mkdir -p "$d"
	act=$(date -u -d "$(( $2 < 0 ? $2 - 10 : -1 )) days" '+%Y-%m-%d %H:%M:%S')
	exp=$(date -u -d "$2 days" '+%Y-%m-%d %H:%M:%S')
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile="$d/privkey.pem" >/dev/null 2>&1
	printf 'cn = "%s"\ndns_name = "%s"\ndns_name = "www.%s"\ntls_www_server\nsigning_key\nactivation_date = "%s"\nexpiration_date = "%s"\n' \
		"$1" "$1" "$1" "$act" "$exp" >"$tmp/tmpl"
	certtool --generate-self-signed --load-privkey="$d/privkey.pem" \
		--template="$tmp/tmpl" --outfile="$d/fullchain.pem" >/dev/null 2>&1
}
cert good.example 60
cert soon.example 5
st=$("$T" -C "$c" status 2>&1)
rc=$?
tap_like "$st" "OK +good\\.example: good\\.example www\\.good\\.example: expires [0-9-]+ \\((59|60) days left\\)" \
	"a certificate with 60 days left: OK, its names and expiry"
tap_like "$st" "WARN +soon\\.example: soon\\.example www\\.soon\\.example: expires [0-9-]+ \\([45] days left\\)" \
	"a certificate expiring in 5 days: WARN"
tap_is "$rc" 0 "WARN alone: exit 0"
cert old.example -3
mkdir -p "$c/certs/broken.example"
echo "not a certificate" > "$c/certs/broken.example/fullchain.pem"
st=$("$T" -C "$c" status 2>&1)
rc=$?
tap_like "$st" "FAIL +old\\.example: old\\.example www\\.old\\.example: expired " "an expired certificate: FAIL"
tap_like "$st" "FAIL +broken\\.example: fullchain\\.pem: " "an unreadable certificate: FAIL"
tap_is "$rc" 1 "something FAILs: exit 1"
rm -rf "$c/certs/old.example" "$c/certs/broken.example"
"$T" -C "$c" status >/dev/null 2>&1
tap_is "$?" 0 "fixed: exit 0 again"

# --- status: a DKIM key that is not a key, --since, bad arguments -------------
mkdir -p "$c/domains/catchall.test/dkim"
echo garbage > "$c/domains/catchall.test/dkim/bad.key"
st=$("$T" -C "$c" status --since 2d 2>&1)
rc=$?
tap_like "$st" "FAIL +catchall\\.test: selector bad: not a private key" "a broken DKIM key: FAIL"
tap_is "$rc" 1 "and exit 1"
tap_like "$st" "activity \\(journal, last 2 days\\)" "--since 2d"
rm -f "$c/domains/catchall.test/dkim/bad.key"
"$T" -C "$c" status --since 12 >/dev/null 2>&1
tap_is "$?" 0 "--since 12 (hours)"
"$T" -C "$c" status --since soon >/dev/null 2>&1
tap_is "$?" 64 "--since soon: EX_USAGE"
"$T" -C "$tmp/nowhere" status >/dev/null 2>&1
tap_is "$?" 1 "no configuration: exit 1"

# --- sessions: the handlers' session tables ----------------------------------
tap_like "$("$T" -C "$c" status 2>&1)" 'port 25: no session yet' \
	"sessions: no table yet"
if command -v systemd-socket-activate >/dev/null && command -v ss >/dev/null; then
	echo "busy_sessions = 2" >>"$c/tambo.conf"
	port=$(free_port)
	start_smtpd "$c" "$port" mx || { echo "Bail out! smtpd"; exit 1; }
	# hold N: N clients that read the greeting and stay; their pids in $held
	held=
	hold() {
		local i
		for i in $(seq "$1"); do
			$PY -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.recv(512); print("up", flush=True); time.sleep(30)' "$port" >"$tmp/hold.$i" &
			held="$held $!"
			at_exit "kill $! 2>/dev/null"
		done
		for _ in $(seq 100); do
			[ "$(cat "$tmp"/hold.* 2>/dev/null | grep -c up)" -ge "$1" ] && return
			sleep 0.05
		done
	}
	hold 1
	tap_like "$("$T" -C "$c" status 2>&1)" 'OK +port 25: 1 session open \(busy at 2\)' \
		"sessions: one open, counted"
	rm -f "$tmp"/hold.*
	hold 2
	st=$("$T" -C "$c" status 2>&1)
	tap_like "$st" 'WARN +port 25: busy, 2 sessions or more open: a client idle 10 s is closed' \
		"sessions: at busy_sessions, WARN"
	tap_like "$st" 'port 587: no session yet' "sessions: each port its own table"
	# shellcheck disable=SC2086 # one pid per word
	kill $held 2>/dev/null
	wait $held 2>/dev/null
fi

tap_done
