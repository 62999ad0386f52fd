#!/bin/bash
# deliver.t — the delivery runner end to end (tambo-deliver(8)): queued
# mail reaches Postfix's smtp-sink through an MX record served by dnsmasq
# and through a route; 4xx then accepted (retry schedule, --now);
# 5xx and expiry give a DSN that lands in the sender's Maildir; never a
# bounce to <>; catch-all forwarding with SRS; a pipe alias; local
# Maildir delivery; two runners at once deliver each message once;
# kill -9 of a runner loses nothing; the queue tools.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/dns.sh"

[ -x /usr/sbin/smtp-sink ] || tap_skip_all "smtp-sink (postfix) not installed"
have_dns || tap_skip_all "dnsmasq not installed"

tmp_instance || { echo "Bail out! instance"; exit 1; }
T="$B/bin/tambo"
E="$B/libexec/tambo/enqueue"
D="$B/libexec/tambo/deliver"

sinkport=$(free_port)
# start_sink [smtp-sink options]: (re)start the receiver on $sinkport
sinkpid=
start_sink() {
	[ -n "$sinkpid" ] && kill "$sinkpid" 2>/dev/null && wait "$sinkpid" 2>/dev/null
	sink_start "$tmp/sink" "$sinkport" "$@" || return 1
	sinkpid=$SINK_PID
	wait_port "$sinkport"
}
sink_count() { find "$tmp/sink" -type f | wc -l; }
sink_clear() { find "$tmp/sink" -type f -delete; }

start_dns "$tmp" \
	--mx-host=remote.test,mx.remote.test,10 \
	--host-record=mx.remote.test,127.0.0.1 \
	--host-record=nullmx.test,127.0.0.1 \
	--dns-rr=nullmx.test,15,00000000 \
	--txt-record=forward.test,"v=spf1 ip4:127.0.0.1 -all" ||
	{ echo "Bail out! dnsmasq"; exit 1; }

cat >> "$c/tambo.conf" <<EOF
resolver = $(dns_resolver)
mx_port = $sinkport
tls_policy remote.test = none
route routed.test = [127.0.0.1]:$sinkport tls=none
route gmail.test = [127.0.0.1]:$sinkport tls=none
route sender.test = [127.0.0.1]:$sinkport tls=none
EOF
start_sink

msg() {	# subject
	printf 'From: alice@example.test\nTo: someone\nSubject: %s\nMessage-ID: <%s@example.test>\n\nbody of %s\n' \
		"$1" "$1" "$1"
}
enq() {	# sender rcpt... (message on stdin); prints the id
	local from=$1; shift
	"$E" -C "$c" -f "$from" "$@" 2>>"$tmp/enqueue.log"
}
run() { "$D" -C "$c" "$@" 2>>"$tmp/deliver.log"; }
maildir_count() {	# user@domain
	local u=${1%@*} d=${1#*@}
	find "$c/state/mail/$d/$u/new" -type f 2>/dev/null | wc -l
}

# --- MX delivery ---------------------------------------------------------
id=$(msg mx1 | enq alice@example.test bob@remote.test)
tap_like "$id" '^[0-9A-F]{18}$' "enqueued for remote.test"
run
tap_is "$?" 0 "deliver exits 0"
tap_is "$(queue_count "$c")" 0 "the message left the queue"
tap_is "$(sink_count)" 1 "smtp-sink received it (MX from dnsmasq, mx_port)"
f=$(find "$tmp/sink" -type f | head -1)
tap_like "$(cat "$f")" 'X-Rcpt-Args: <bob@remote.test>' "the right recipient"
tap_like "$(cat "$f")" 'X-Mail-Args: <alice@example.test>' "the right sender"
tap_like "$(cat "$f")" 'Subject: mx1' "the message"
tap_like "$(cat "$tmp/deliver.log")" "id=$id event=delivered .*to=bob@remote.test" \
	"log: event=delivered with the queue id"
tap_like "$(cat "$tmp/deliver.log")" "event=removed" "log: event=removed"
sink_clear

# A state file whose message is gone (a crash between the two unlinks) is
# removed by the next run; other files in the queue are not the runner's.
printf 'attempts 1\n' > "$c/spool/queue/$id.state"
: > "$c/spool/queue/notes.txt"
run
tap_ok "$([ ! -e "$c/spool/queue/$id.state" ]; echo $?)" \
	"an orphaned state file is removed by the next run"
tap_ok "$([ -e "$c/spool/queue/notes.txt" ]; echo $?)" \
	"a file that is not a queue file is left alone"
rm -f "$c/spool/queue/notes.txt"

# --- several messages, one connection ------------------------------------
for i in 1 2 3 4 5; do msg "batch$i" | enq alice@example.test "u$i@routed.test" >/dev/null; done
: > "$tmp/sink.log"
run
tap_is "$(sink_count)" 5 "five messages delivered through the route"
tap_is "$(queue_count "$c")" 0 "queue empty"
conns=$(grep -c 'event=connect' "$tmp/deliver.log")
tap_ok "$([ "$conns" -ge 1 ]; echo $?)" "connection lines logged ($conns)"
sink_clear

# --- 4xx, then accepted ---------------------------------------------------
start_sink -r rcpt
id=$(msg retry | enq alice@example.test carol@routed.test)
now=$(date +%s)
run --now "$now"
tap_is "$(queue_count "$c")" 1 "4xx: the message stays queued"
show=$("$T" -C "$c" queue show "$id")
tap_like "$show" 'attempts: 1' "queue show: one attempt"
tap_like "$show" 'target: queued smtp carol@routed.test \(4[0-9][0-9] 4\.' \
	"queue show: the 4xx reply kept with the target"
next=$(sed -n 's/^next //p' "$c/spool/queue/$id.state")
tap_is "$next" "$((now + 60))" "next attempt in 1 minute"
run --now "$((now + 30))"
tap_is "$(grep -c 'event=deferred' "$tmp/deliver.log")" 1 \
	"not retried before its time"
mq=$("$T" -C "$c" queue mailq)
tap_like "$mq" "^-Queue ID" "mailq: header line"
tap_like "$mq" "$id .*alice@example.test" "mailq: id and sender"
tap_like "$mq" "carol@routed.test" "mailq: recipient"
tap_like "$mq" "Kbytes in 1 Request" "mailq: summary"
start_sink
run --now "$((now + 61))"
tap_is "$(queue_count "$c")" 0 "after the retry time: delivered"
tap_is "$(sink_count)" 1 "exactly once"
tap_ok "$([ ! -e "$c/spool/queue/$id.state" ]; echo $?)" "state file removed"
sink_clear

# --- 5xx: DSN to the sender (a local Maildir) -----------------------------
start_sink -f rcpt
before=$(maildir_count alice@example.test)
id=$(msg doomed | enq alice@example.test dave@routed.test)
run
run	# the DSN itself is delivered by the next pass (or the same run)
tap_is "$(queue_count "$c")" 0 "5xx: message gone, DSN delivered"
tap_is "$(maildir_count alice@example.test)" "$((before + 1))" \
	"the DSN landed in alice's Maildir"
dsn=$(cat "$(ls -t "$c"/state/mail/example.test/alice/new/* | head -1)")
tap_like "$dsn" 'Content-Type: multipart/report; *report-type="?delivery-status' \
	"DSN is multipart/report"
tap_like "$dsn" 'Final-Recipient: rfc822; *dave@routed.test' "Final-Recipient"
tap_like "$dsn" 'Action: failed' "Action: failed"
tap_like "$dsn" 'Status: 5\.' "Status 5.x.x"
tap_like "$dsn" 'Diagnostic-Code: smtp; *5[0-9][0-9]' "the remote reply"
tap_like "$dsn" 'Return-Path: <>' "sent from the null sender"
tap_like "$(cat "$tmp/deliver.log")" 'event=dsn kind=failure' "log: event=dsn"

# --- never a bounce to <> --------------------------------------------------
before=$(grep -c 'event=dsn' "$tmp/deliver.log")
id=$(msg nullsender | "$E" -C "$c" erin@routed.test 2>/dev/null)
run
tap_is "$(queue_count "$c")" 0 "null sender, 5xx: removed"
tap_is "$(grep -c 'event=dsn' "$tmp/deliver.log")" "$before" "and no DSN"
start_sink

# --- null MX: immediate failure -------------------------------------------
id=$(msg nullmx | enq alice@example.test x@nullmx.test)
run; run
tap_is "$(queue_count "$c")" 0 "null MX: bounced at once"
dsn=$(cat "$(ls -t "$c"/state/mail/example.test/alice/new/* | head -1)")
tap_like "$dsn" 'Final-Recipient: rfc822; *x@nullmx.test' "DSN for the null MX recipient"
tap_like "$dsn" 'Status: 5\.1\.10' "Status 5.1.10 (RFC 7505)"

# --- expiry -----------------------------------------------------------------
start_sink -r rcpt
id=$(msg expire | enq alice@example.test frank@routed.test)
arr=$(date +%s)
run --now "$arr"
tap_is "$(queue_count "$c")" 1 "deferred"
before=$(maildir_count alice@example.test)
run --now "$((arr + 5 * 86400 + 60))"
run
tap_is "$(queue_count "$c")" 0 "after the queue lifetime: returned"
dsn=$(cat "$(ls -t "$c"/state/mail/example.test/alice/new/* | head -1)")
tap_like "$dsn" 'Final-Recipient: rfc822; *frank@routed.test' "expiry DSN names the recipient"
tap_like "$dsn" 'Status: 4\.4\.7' "Status 4.4.7 (delivery time expired)"
tap_is "$(maildir_count alice@example.test)" "$((before + 1))" "one DSN"
start_sink
sink_clear

# --- local Maildir, alias, pipe ------------------------------------------
echo "pipe: | cat > $tmp/piped; echo \"\$SENDER \$RECIPIENT\" > $tmp/pipe-env" \
	>> "$c/domains/example.test/aliases"
chmod 777 "$tmp"
before=$(maildir_count alice@example.test)
id=$(msg local | enq someone@elsewhere.test bob@example.test pipe@example.test)
run
tap_is "$(queue_count "$c")" 0 "local deliveries done"
tap_is "$(maildir_count alice@example.test)" "$((before + 1))" \
	"alias bob -> alice: in alice's Maildir"
f=$(ls -t "$c"/state/mail/example.test/alice/new/* | head -1)
tap_like "$(head -3 "$f")" 'Return-Path: <someone@elsewhere.test>' "Return-Path"
tap_like "$(head -3 "$f")" 'Delivered-To: alice@example.test' "Delivered-To"
tap_ok "$(grep -c $'\r' "$f" | grep -qx 0; echo $?)" "Maildir file has LF line ends"
tap_like "$(cat "$tmp/piped" 2>/dev/null)" 'Subject: local' "the pipe got the message"
tap_is "$(cat "$tmp/pipe-env" 2>/dev/null)" "someone@elsewhere.test pipe@example.test" \
	"SENDER and RECIPIENT in the environment"

# --- an alias loop is returned, not dropped -------------------------------------
printf 'loop1: loop2\nloop2: loop1\n' >> "$c/domains/example.test/aliases"
before=$(maildir_count alice@example.test)
id=$(msg loop | enq alice@example.test loop1@example.test)
run; run
tap_is "$(queue_count "$c")" 0 "alias loop: message settled"
dsn=$(cat "$(ls -t "$c"/state/mail/example.test/alice/new/* | head -1)")
tap_like "$dsn" 'Status: 5\.4\.6' "alias loop: a DSN with 5.4.6 to the sender"

# --- catch-all forwarding with SRS ------------------------------------------
"$T" -C "$c" init forward.test >/dev/null
echo "*: me@gmail.test" >> "$c/domains/forward.test/aliases"
id=$(msg fwd | enq author@sender.test anything@forward.test)
run
tap_is "$(queue_count "$c")" 0 "forwarded"
f=$(find "$tmp/sink" -type f | head -1)
tap_like "$(cat "$f")" 'X-Rcpt-Args: <me@gmail.test>' "to the catch-all's target"
tap_like "$(cat "$f")" 'X-Mail-Args: <SRS0=[^=]+=[^=]+=sender.test=author@forward.test>' \
	"envelope sender rewritten with SRS in the forwarding domain"
srs=$(sed -n 's/^X-Mail-Args: <\(SRS0[^>]*\)>.*/\1/p' "$f")
cp "$f" "$tmp/fwd.body"
tap_like "$(cat "$tmp/fwd.body")" 'Subject: fwd' "message forwarded"
tap_ok "$(grep -q '^Message-ID: <fwd@example.test>' "$tmp/fwd.body"; echo $?)" \
	"original header fields unchanged"
# SPF at the receiver: the SRS sender's domain authorises us
spf=$(/usr/bin/python3 - "$srs" "$(dns_resolver)" <<'PY' 2>&1
import sys
try:
    import spf, dns.resolver
except ImportError as e:
    print("skip", e); sys.exit(0)
host, port = sys.argv[2].rsplit(":", 1)
r = dns.resolver.Resolver(configure=False)
r.nameservers = [host]
r.port = int(port)
dns.resolver.default_resolver = r
print(spf.check2(i="127.0.0.1", s=sys.argv[1], h="mx.example.test")[0])
PY
)
if [ "${spf%% *}" = skip ]; then
	tap_ok 0 "# SKIP pyspf with pydns not available ($spf)"
else
	tap_is "$spf" pass "pyspf: the SRS sender passes SPF at the receiver"
fi
sink_clear

# --- the author's DKIM signature survives forwarding ------------------------
if [ -x "$B/libexec/tambo/dkimsign" ]; then
	"$B/libexec/tambo/dkimsign" --keygen ed25519 "$tmp/author.key" 2>/dev/null
	printf 'From: author@sender.test\nTo: anything@forward.test\nSubject: authored\nDate: Mon, 23 Nov 2026 12:00:00 +0000\nMessage-ID: <authored@sender.test>\n\nsigned by the author\n' |
		"$B/libexec/tambo/dkimsign" -d sender.test -s a -k "$tmp/author.key" > "$tmp/authored" 2>/dev/null
	enq author@sender.test anything@forward.test < "$tmp/authored" >/dev/null
	run
	f=$(grep -l '^Subject: authored' "$tmp"/sink/* | head -1)
	tap_is "$(grep -c '^DKIM-Signature:' "$f")" 1 "forwarded mail is not signed again as its author's domain"
	v=$(/usr/bin/python3 - "$f" "$B/libexec/tambo/dkimsign" "$tmp/author.key" <<'PY'
import sys, subprocess, dkim
lines = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").split(b"\n")
while lines and lines[0].startswith(b"X-"):
    lines.pop(0)
msg = b"\r\n".join(lines)
def dnsfunc(name, timeout=5):
    return subprocess.run([sys.argv[2], "--public-key", sys.argv[3]],
                          capture_output=True).stdout.strip()
print(dkim.verify(msg, dnsfunc=dnsfunc))
PY
)
	tap_is "$v" True "the author's DKIM signature still verifies after forwarding"
	sink_clear
else
	tap_ok 0 "# SKIP no dkimsign"
	tap_ok 0 "# SKIP no dkimsign"
fi

# --- a bounce to the SRS address goes back to the original sender ---------
srsrcpt=$srs
id=$(printf 'From: MAILER-DAEMON@gmail.test\nSubject: bounce\n\nreturned\n' |
	"$E" -C "$c" "$srsrcpt" 2>>"$tmp/enqueue.log")
run
f=$(find "$tmp/sink" -type f | head -1)
tap_like "$(cat "$f" 2>/dev/null)" 'X-Rcpt-Args: <author@sender.test>' \
	"a bounce to the SRS address is returned to the original sender"
sink_clear

# --- two runners at once: each message once --------------------------------
start_sink
for i in $(seq 40); do msg "para$i" | enq alice@example.test "p$i@routed.test" >/dev/null; done
run & p1=$!
run & p2=$!
wait $p1 $p2
run
tap_is "$(queue_count "$c")" 0 "two runners: queue empty"
tap_is "$(sink_count)" 40 "two runners: 40 messages, no duplicates"
sink_clear

# --- kill -9 mid-delivery loses nothing ------------------------------------
start_sink -W data:1:100
for i in $(seq 10); do msg "kill$i" | enq alice@example.test "k$i@routed.test" >/dev/null; done
"$D" -C "$c" 2>>"$tmp/deliver.log" & p=$!
sleep 1.5
kill -9 $p 2>/dev/null
pkill -9 -f "remote -C $c" 2>/dev/null
wait $p 2>/dev/null
start_sink
run --flush
run --flush
tap_is "$(queue_count "$c")" 0 "after kill -9 and a new run: queue empty"
got=$(find "$tmp/sink" -type f -exec grep -h '^Subject: kill' {} + | sort -u | wc -l)
tap_is "$got" 10 "all 10 messages arrived (duplicates allowed, no loss)"
sink_clear

# --- delay warning, once ------------------------------------------------------
echo "delay_warning = 4h" >> "$c/tambo.conf"
start_sink -r rcpt
id=$(msg delayed | enq alice@example.test slow@routed.test)
arr=$(date +%s)
run --now "$arr"
before=$(maildir_count alice@example.test)
run --now "$((arr + 4 * 3600 + 60))" --flush
run
tap_is "$(maildir_count alice@example.test)" "$((before + 1))" \
	"after delay_warning: one delay report to the sender"
dsn=$(cat "$(ls -t "$c"/state/mail/example.test/alice/new/* | head -1)")
tap_like "$dsn" 'Action: delayed' "Action: delayed"
tap_like "$dsn" 'Will-Retry-Until: ' "Will-Retry-Until"
tap_is "$(queue_count "$c")" 1 "the message itself stays queued"
run --now "$((arr + 6 * 3600))" --flush
run
tap_is "$(maildir_count alice@example.test)" "$((before + 1))" "no second warning"
"$T" -C "$c" queue delete "$id" >/dev/null
sed -i '/^delay_warning/d' "$c/tambo.conf"

# --- run by root, the runner works as the spool's owner ----------------------
c2=$tmp/c2
make_instance "$c2" >/dev/null
echo "route * = [127.0.0.1]:$sinkport tls=none" >> "$c2/tambo.conf"
chmod -R o+rX "$c2"
chown -R nobody "$c2/spool" "$c2/state"
start_sink -r rcpt
id=$(msg owner | "$E" -C "$c2" -f alice@example.test x@routed.test bob@example.test 2>/dev/null)
tap_is "$(stat -c %U "$c2/spool/queue/$id")" nobody "enqueue as root: the queue file goes to the spool's owner"
"$D" -C "$c2" 2>>"$tmp/deliver.log"
tap_is "$(stat -c %U "$c2/spool/queue/$id.state" 2>/dev/null)" nobody \
	"deliver as root: the state file belongs to the spool's owner"
tap_is "$(stat -c %U "$(ls "$c2"/state/mail/example.test/alice/new/* | head -1)" 2>/dev/null)" nobody \
	"and so does the Maildir file"
start_sink
"$D" -C "$c2" --flush 2>>"$tmp/deliver.log"
tap_is "$(queue_count "$c2")" 0 "and the service's user can finish the message"
sink_clear

# --- mail from a local user leaves DKIM-signed, and verifies ---------------------
if [ -x "$B/libexec/tambo/dkimsign" ]; then
	"$T" -C "$c" dkim keygen example.test --selector s1 --type ed25519 >/dev/null 2>&1
	"$T" -C "$c" dkim keygen example.test --selector s2 --type rsa >/dev/null 2>&1
	printf 'From: Alice <alice@example.test>\nTo: x@routed.test\nSubject: signed\nDate: Mon, 23 Nov 2026 12:00:00 +0000\nMessage-ID: <signed@example.test>\n\nsigned body\n' |
		enq alice@example.test x@routed.test >/dev/null
	run
	f=$(grep -l '^Subject: signed' "$tmp"/sink/* | head -1)
	tap_like "$(cat "$f")" '^DKIM-Signature: .*' "the runner signed it"
	# The sink's X- lines are not part of the message; verify the rest
	# with python3-dkim, the keys' records from dkimsign --public-key.
	v=$(/usr/bin/python3 "$TOP/tests/lib/sink_dkim.py" "$f" \
	    "$B/libexec/tambo/dkimsign" "$c/domains/example.test/dkim")
	tap_is "$v" "2 True" "two signatures (Ed25519 and RSA), both verify with python3-dkim"
	rm -f "$c"/domains/example.test/dkim/*.key
	sink_clear
else
	tap_ok 0 "# SKIP no dkimsign"
	tap_ok 0 "# SKIP no dkimsign"
fi

# --- queue tools -------------------------------------------------------------
start_sink -r rcpt
id=$(msg tooldel | enq alice@example.test g@routed.test)
tap_like "$("$T" -C "$c" queue show "$id")" 'state: not yet attempted' "show before a pass"
tap_like "$("$T" -C "$c" queue delete "$id")" "$id: deleted" "queue delete"
tap_is "$(queue_count "$c")" 0 "deleted: gone"
id=$(msg toolbounce | enq alice@example.test h@routed.test)
run
before=$(maildir_count alice@example.test)
"$T" -C "$c" queue bounce "$id" >/dev/null 2>>"$tmp/deliver.log"
run
tap_is "$(queue_count "$c")" 0 "queue bounce: returned"
tap_is "$(maildir_count alice@example.test)" "$((before + 1))" "queue bounce: DSN to the sender"
start_sink
id=$(msg toolflush | enq alice@example.test i@routed.test)
"$T" -C "$c" queue flush 2>>"$tmp/deliver.log"
tap_is "$(queue_count "$c")" 0 "queue flush delivers now"
tap_like "$("$T" -C "$c" queue mailq)" "Mail queue is empty" "mailq: empty queue"
"$T" -C "$c" queue show 0123456789ABCDEF01 2>/dev/null
tap_is "$?" 66 "queue show of an unknown id: EX_NOINPUT"

# --- success reports (RFC 3461 6.2.1) -------------------------------------
# NOTIFY=SUCCESS: a next hop that offers DSN (smtp-sink does) is given the
# NOTIFY= and reports success itself, so none comes from here; one without
# DSN (smtp-sink -N) gets the message, and the sender a "relayed" report.
send_success() {	# subject recipient: through sendmail -N success, two passes
	sink_clear
	msg "$1" | "$B/bin/sendmail" -C "$c" -f alice@example.test \
		-N success "$2" 2>>"$tmp/enqueue.log"
	run
	run
}
before=$(maildir_count alice@example.test)
send_success success1 s1@routed.test
tap_is "$(queue_count "$c")" 0 "NOTIFY=SUCCESS to a DSN server: delivered"
tap_like "$(cat "$tmp"/sink/* 2>/dev/null)" 'X-Rcpt-Args: <s1@routed\.test> NOTIFY=SUCCESS' \
	"NOTIFY=SUCCESS passed on with the recipient"
tap_is "$(maildir_count alice@example.test)" "$before" \
	"no success report from here: the DSN server sends it"
tap_like "$(grep 'to=s1@routed.test' "$tmp/deliver.log")" 'event=delivered' \
	"logged as delivered"
start_sink -N
send_success success2 s2@routed.test
tap_is "$(queue_count "$c")" 0 "NOTIFY=SUCCESS to a server without DSN: delivered"
tap_unlike "$(cat "$tmp"/sink/* 2>/dev/null)" 'NOTIFY=' \
	"no NOTIFY= to a server that does not offer DSN"
tap_is "$(maildir_count alice@example.test)" "$((before + 1))" \
	"a success report to the sender"
dsn=$(cat "$(ls -t "$c"/state/mail/example.test/alice/new/* | head -1)")
tap_like "$dsn" 'Final-Recipient: rfc822; *s2@routed\.test' \
	"success report: Final-Recipient"
tap_like "$dsn" 'Action: relayed' "success report: Action: relayed"
tap_like "$dsn" 'Status: 2\.' "success report: Status 2.x.x"

tap_done
