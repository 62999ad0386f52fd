#!/bin/bash
# remote.t — the SMTP client (tambo-remote(8)) against real peers on
# loopback: dnsmasq serving MX/A/AAAA records, Postfix's smtp-sink (plain,
# and told to fail RCPT, DATA or the connection), a tambo smtpd with
# certificates from mkcerts.sh (STARTTLS verified with the test CA, AUTH
# on the submission ports 587 and 465, SIZE, DSN), and remote_peer.py for
# what those cannot do (a 421 greeting, dropping idle connections, no
# EHLO, a broken TLS handshake).  Both input forms, results and exit
# codes, MX order, IPv6 first, TLS policies, SMTPUTF8, big messages.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dns.sh"
have_dns || tap_skip_all "dnsmasq (dnsmasq-base) missing"
command -v smtp-sink >/dev/null || PATH=$PATH:/usr/sbin
command -v smtp-sink >/dev/null || tap_skip_all "smtp-sink (postfix) missing"
command -v certtool >/dev/null || tap_skip_all "certtool (gnutls-bin) missing"
[ -f "$B/libexec/tambo/tls.so" ] || tap_skip_all "no TLS plugin built"
ip -6 addr show dev lo 2>/dev/null | grep -q '::1' ||
	tap_skip_all "no IPv6 on loopback"
unset TAMBO_CONFIG_DIR TAMBO_TLS_CA_FILE

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
REMOTE=$B/libexec/tambo/remote

# --- peers ------------------------------------------------------------------
sh "$TOP/tests/lib/mkcerts.sh" "$tmp/pki" || { echo "Bail out! certs"; exit 1; }
# the receiving tambo: example.test (alice, bob), a 2 MB size limit
make_instance "$tmp/r" || { echo "Bail out! instance"; exit 1; }
cp -r "$tmp/pki/certs" "$tmp/r/certs"
echo "max_message_size = 2000000" >> "$tmp/r/tambo.conf"
pr=$(free_port)
psub=$(free_port)
start_smtpd "$tmp/r" "$pr" mx || { echo "Bail out! smtpd"; exit 1; }
start_smtpd "$tmp/r" "$psub" submission || { echo "Bail out! submission"; exit 1; }
p465=$(free_port)
start_smtpd "$tmp/r" "$p465" submissions || { echo "Bail out! submissions"; exit 1; }

sink() {	# name addr:port [smtp-sink options]: dumps in $tmp/NAME/
	local name=$1 listen=$2
	shift 2
	mkdir -p "$tmp/$name"
	smtp-sink -u root -d "$tmp/$name/%M." "$@" "$listen" 100 \
		>/dev/null 2>&1 &
	at_exit "kill $!"
}
ps=$(free_port)
sink sink4 "127.0.0.1:$ps"
sink sink6 "[::1]:$ps"
prcpt=$(free_port)
sink rcpt4 "127.0.0.1:$prcpt" -r RCPT
pdata=$(free_port)
sink data4 "127.0.0.1:$pdata" -r DATA
pdrop=$(free_port)
sink drop "127.0.0.1:$pdrop" -q .
peer() {	# name addr port [remote_peer.py options]: log in $tmp/NAME.log
	local name=$1
	shift
	$PY "$TOP/tests/integration/remote_peer.py" "$1" "$2" \
		"$tmp/$name.log" "${@:3}" >/dev/null 2>&1 &
	at_exit "kill $!"
	for _ in $(seq 100); do
		grep -q listening "$tmp/$name.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
peer busy 127.0.0.2 "$ps" --greet "421 4.3.2 too busy" ||
	{ echo "Bail out! peer"; exit 1; }
preuse=$(free_port)
peer reuse 127.0.0.1 "$preuse" --close-after 1 || { echo "Bail out! peer"; exit 1; }
phelo=$(free_port)
peer helo 127.0.0.1 "$phelo" --ehlo-fail "502 5.5.2 no EHLO here" ||
	{ echo "Bail out! peer"; exit 1; }
pbroken=$(free_port)
peer broken 127.0.0.1 "$pbroken" --broken-tls 1 ||
	{ echo "Bail out! peer"; exit 1; }
for p in "$ps" "$prcpt" "$pdata" "$pdrop"; do
	wait_port "$p" || { echo "Bail out! smtp-sink on $p"; exit 1; }
done

start_dns "$tmp/dns" \
	--mx-host=sink.test,mx.sink.test,10 \
	--mx-host=xn--bcher-kva.test,mx.sink.test,10 \
	--host-record=mx.sink.test,127.0.0.1 \
	--mx-host=pref.test,down.pref.test,10 \
	--mx-host=pref.test,up.pref.test,20 \
	--host-record=down.pref.test,127.0.0.3 \
	--host-record=up.pref.test,127.0.0.1 \
	--mx-host=busy.test,mx1.busy.test,10 \
	--mx-host=busy.test,mx2.busy.test,20 \
	--host-record=mx1.busy.test,127.0.0.2 \
	--host-record=mx2.busy.test,127.0.0.1 \
	--mx-host=dual.test,mx.dual.test,10 \
	--host-record=mx.dual.test,127.0.0.1,::1 \
	--host-record=implicit.test,127.0.0.1 \
	--dns-rr=nullmx.test,15,000000 \
	--mx-host=example.test,mx.example.test,10 \
	--host-record=mx.example.test,127.0.0.1 ||
	{ echo "Bail out! dnsmasq"; exit 1; }

# --- the sending side: one configuration per situation ----------------------
"$B/bin/tambo" -C "$tmp/c" init sender.test --hostname out.sender.test \
	>/dev/null || { echo "Bail out! init"; exit 1; }
printf 'alice@example.test:secret\n' > "$tmp/auth"
cat >> "$tmp/c/tambo.conf" <<EOF
resolver = $(dns_resolver)
connect_timeout = 5
route rcpt4.test = [127.0.0.1]:$prcpt
route data4.test = [127.0.0.1]:$pdata
route drop.test = [127.0.0.1]:$pdrop
route reuse.test = [127.0.0.1]:$preuse
route helo.test = [127.0.0.1]:$phelo
route busy2.test = [127.0.0.2]:$ps
route broken.test = [127.0.0.1]:$pbroken
route enc.test = [127.0.0.1]:$ps tls=encrypt
route smtps.test = mx.example.test:$p465 tls=smtps auth=$tmp/auth
route wrongname.test = [127.0.0.1]:$pr tls=verify
route other.example = [127.0.0.1]:$psub tls=encrypt auth=$tmp/auth
EOF
conf() {	# name lines...: a copy of c with more lines
	local d=$tmp/$1
	shift
	mkdir -p "$d"
	cp "$tmp/c/tambo.conf" "$d/tambo.conf"
	printf '%s\n' "$@" >> "$d/tambo.conf"
}
conf cs "mx_port = $ps"
conf cs4 "mx_port = $ps" "ip_preference = ipv4only"
conf cr "mx_port = $pr"
conf crv "mx_port = $pr" "tls_policy example.test = verify"

# remote CONF ARGS... < input: stdout in $out, status in $st, log in $log
remote() {
	local c=$1
	shift
	out=$("$REMOTE" -C "$tmp/$c" "$@" 2>"$tmp/remote.err")
	st=$?
	log=$(cat "$tmp/remote.err")
	cat "$tmp/remote.err" >> "$tmp/remote.log"
}
count() { find "$tmp/$1" -type f | wc -l; }
connects() { grep -c 'event=connect ' "$tmp/r/smtpd.log"; }

# --- the single-message form ------------------------------------------------
remote cs -f someone@sender.test -r bob@sink.test sink.test < <(printf 'Subject: one\n\nhello\n')
tap_is "$st" 0 "single message: exit 0"
tap_is "$out" "result - bob@sink.test delivered 250 2.0.0 mx.sink.test Ok
end -" "single message: result and end lines"
tap_like "$log" 'event=connect relay=mx\.sink\.test\[127\.0\.0\.1\]:[0-9]+ tls=none' \
	"no STARTTLS offered (policy may): plaintext, logged tls=none"
tap_like "$log" 'event=delivered to=bob@sink\.test relay=mx\.sink\.test\[127\.0\.0\.1\]:[0-9]+ code=250 dsn=2\.0\.0 tls=none text=Ok' \
	"event=delivered line"
tap_is "$(count sink4)" 1 "smtp-sink got it"

# --- MX order, IPv6 first, ip_preference ------------------------------------
remote cs -f someone@sender.test -r a@pref.test pref.test < <(printf 'Subject: pref\n\nx\n')
tap_like "$out" '^result - a@pref\.test delivered 250 2\.0\.0 up\.pref\.test Ok' \
	"first MX down: the second (preference 20) delivers"
tap_like "$log" 'event=attempt relay=down\.pref\.test\[127\.0\.0\.3\]:[0-9]+ error=.*refused' \
	"the refused first MX is logged"

remote cs -f someone@sender.test -r a@busy.test busy.test \
	< <(printf 'Subject: busy\n\nx\n')
tap_like "$out" '^result - a@busy\.test delivered 250 2\.0\.0 mx2\.busy\.test ' \
	"first MX greets with 421: the second delivers"
tap_like "$log" 'event=attempt relay=mx1\.busy\.test\[127\.0\.0\.2\]:[0-9]+ error="mx1\.busy\.test\[127\.0\.0\.2\]:[0-9]+ said: 421 too busy' \
	"... the greeting logged"

remote cs -f someone@sender.test -r a@dual.test dual.test < <(printf 'Subject: dual\n\nx\n')
tap_like "$out" 'delivered 250' "dual-stack MX: delivered"
tap_like "$log" 'event=connect relay=mx\.dual\.test\[::1\]' "IPv6 (AAAA) tried first"
tap_is "$(count sink6)" 1 "the IPv6 smtp-sink got it"
remote cs4 -f someone@sender.test -r a@dual.test dual.test < <(printf 'Subject: dual4\n\nx\n')
tap_like "$log" 'event=connect relay=mx\.dual\.test\[127\.0\.0\.1\]' \
	"ip_preference = ipv4only: the A record"
tap_is "$(count sink6)" 1 "... and not the IPv6 one"

remote cs -f someone@sender.test -r a@implicit.test implicit.test < <(printf 'Subject: implicit\n\nx\n')
tap_like "$out" '^result - a@implicit\.test delivered 250 2\.0\.0 implicit\.test ' \
	"no MX record: the implicit MX (the domain's A record)"

remote cs -f someone@sender.test -r 'info@bücher.test' bücher.test \
	< <(printf 'Subject: idn\n\nx\n')
tap_like "$out" '^result - info@bücher\.test delivered 250 2\.0\.0 mx\.sink\.test ' \
	"IDN destination: MX of the A-label domain"
tap_like "$(cat "$tmp"/sink4/* | grep -a X-Rcpt-Args)" \
	'X-Rcpt-Args: <info@xn--bcher-kva\.test>' "... and the recipient sent in A-labels"

# --- DNS failures -----------------------------------------------------------
remote cs -f someone@sender.test -r a@nx.test -r b@nx.test nx.test < <(printf 'Subject: nx\n\nx\n')
tap_is "$st" 69 "NXDOMAIN: exit 69 (all permanent)"
tap_like "$out" '^result - a@nx\.test perm 550 5\.1\.2 - ' "NXDOMAIN: perm 550 5.1.2"
tap_like "$out" 'result - b@nx\.test perm 550 5\.1\.2 - ' "... for every recipient"
remote cs -f someone@sender.test -r a@nullmx.test nullmx.test < <(printf 'Subject: null\n\nx\n')
tap_like "$out" '^result - a@nullmx\.test perm 556 5\.1\.10 - ' "null MX: perm 556 5.1.10"
tap_like "$log" 'event=bounced to=a@nullmx\.test relay=- code=556 dsn=5\.1\.10' \
	"event=bounced line"

# --- smtp-sink told to fail -------------------------------------------------
remote c -f someone@sender.test -r a@rcpt4.test rcpt4.test < <(printf 'Subject: r\n\nx\n')
tap_is "$st" 75 "4xx to RCPT: exit 75"
tap_like "$out" '^result - a@rcpt4\.test temp 450 4\.3\.0 127\.0\.0\.1 Error: command failed' \
	"4xx to RCPT: temp with the server's reply"
tap_like "$log" 'event=deferred to=a@rcpt4\.test' "event=deferred line"
remote c -f someone@sender.test -r a@data4.test -r b@data4.test data4.test < <(printf 'Subject: d\n\nx\n')
tap_like "$out" 'result - a@data4\.test temp 450 4\.3\.0 .*
result - b@data4\.test temp 450 4\.3\.0 ' "4xx to DATA: temp for all recipients"
remote c -f someone@sender.test -r a@drop.test drop.test < <(printf 'Subject: q\n\nx\n')
tap_is "$st" 75 "connection dropped after the final dot: exit 75"
tap_like "$out" '^result - a@drop\.test temp 451 4\.4\.2 127\.0\.0\.1 lost connection .*end of data' \
	"... temp 4.4.2 (sent again later, never lost)"

remote cs -f someone@sender.test -r 'jösé@sink.test' -r plain@sink.test \
		--smtputf8 sink.test < <(printf 'Subject: u\n\nx\n')
tap_like "$out" '^result - jösé@sink\.test perm 553 5\.6\.7 mx\.sink\.test ' \
	"non-ASCII local part, server without SMTPUTF8: perm 5.6.7"
tap_like "$out" 'result - plain@sink\.test delivered 250 ' \
	"... the ASCII recipient is still delivered"

# a 5 MB message, with LF line ends
head -c 3750000 /dev/urandom | base64 -w 76 > "$tmp/big"
remote cs -f someone@sender.test -r big@sink.test sink.test \
	< <(printf 'Subject: big\n\n'; cat "$tmp/big")
tap_like "$out" 'result - big@sink\.test delivered 250 ' "a 5 MB message is delivered"
f=$(grep -l '^Subject: big' "$tmp"/sink4/* 2>/dev/null | head -1)
tap_ok "$(sed -n '/^Subject: big$/,$p' "$f" 2>/dev/null | tail -n +3 |
	head -n -1 | cmp -s - "$tmp/big"; echo $?)" \
	"... and arrives intact"

# --- a tambo smtpd with STARTTLS --------------------------------------------
before=$(connects)
bare="Subject: bare LF

first line
.hidden
..two dots
.
last line without an end"
size=$(printf '%s' "$bare" | wc -c)
{
	printf 'job J1\nmail someone@sender.test\nrcpt alice@example.test\n'
	printf 'data %d\n%s' "$size" "$bare"
	printf 'job J2\nmail <> ret=hdrs envid=E2\nrcpt alice@example.test notify=failure orcpt=rfc822;alice@example.test\n'
	printf 'rcpt nobody@example.test\ndata 18\nSubject: second\n\n\n'
	printf 'job J3\nmail someone@sender.test body=8bitmime\nrcpt bob@example.test\ndata 16\nSubject: third\n\n'
} > "$tmp/jobs"
TAMBO_TLS_CA_FILE=$tmp/pki/ca.pem remote cr --batch example.test < "$tmp/jobs"
tap_is "$st" 0 "batch of 3 jobs: exit 0"
tap_like "$out" '^result J1 alice@example\.test delivered 250 2\.0\.0 mx\.example\.test Ok: queued as [0-9A-F]{18}
end J1
result J2 alice@example\.test delivered 250 .*
result J2 nobody@example\.test perm 550 5\.1\.1 mx\.example\.test .*
end J2
result J3 bob@example\.test delivered 250 .*
end J3$' "batch: results in order, one end line per job"
tap_is "$(($(connects) - before))" 1 "the 3 jobs share one connection"
tap_is "$(queue_count "$tmp/r")" 3 "the receiver queued 3 messages"
tap_like "$log" 'event=connect relay=mx\.example\.test\[127\.0\.0\.1\]:[0-9]+ tls="TLS1\.3 TLS_[A-Z0-9_]+" verified=yes' \
	"STARTTLS, verified against the CA file, logged with version and cipher"
tap_like "$log" 'id=J2 event=bounced to=nobody@example\.test' "log lines carry the job's id"
q=$(grep -l '^Subject: bare LF' "$tmp"/r/spool/queue/* 2>/dev/null | head -1)
tap_like "$(cat "$q" 2>/dev/null)" 'with ESMTPS id' "received over TLS"
tap_is "$(sed -n '/^Subject: bare LF/,$p' "$q" 2>/dev/null | od -An -c | tr -s ' \n' ' ')" \
	"$(printf 'Subject: bare LF\r\n\r\nfirst line\r\n.hidden\r\n..two dots\r\n.\r\nlast line without an end\r\n' | od -An -c | tr -s ' \n' ' ')" \
	"bare LF lines arrive with CRLF, dot-stuffing undone by the server"
q2=$(grep -l '^Subject: second' "$tmp"/r/spool/queue/* 2>/dev/null | head -1)
tap_like "$(sed -n '1,/^$/p' "$q2" 2>/dev/null | tr '\n' ' ')" \
	'from <> .*ret HDRS .*envid E2 rcpt notify=FAILURE orcpt=rfc822;alice@example\.test <alice@example\.test>' \
	"DSN offered: RET, ENVID, NOTIFY and ORCPT passed on"
q3=$(grep -l '^Subject: third' "$tmp"/r/spool/queue/* 2>/dev/null | head -1)
tap_like "$(sed -n '1,/^$/p' "$q3" 2>/dev/null)" '^body 8BITMIME$' \
	"body=8bitmime: BODY=8BITMIME"

# SIZE: the receiver's limit is 2 MB
TAMBO_TLS_CA_FILE=$tmp/pki/ca.pem remote cr -f someone@sender.test \
	-r alice@example.test example.test \
	< <(printf 'Subject: too big\n\n'; head -c 3000000 "$tmp/big")
tap_is "$st" 69 "SIZE exceeded: exit 69"
tap_like "$out" '^result - alice@example\.test perm 552 5\.3\.4 mx\.example\.test message size [0-9]+ exceeds' \
	"SIZE exceeded: perm 5.3.4, refused without sending"

# verify policy, certificate from an unknown CA
remote crv -f someone@sender.test -r alice@example.test example.test < <(printf 'Subject: v\n\nx\n')
tap_is "$st" 75 "tls_policy verify, unverifiable certificate: exit 75"
tap_like "$out" '^result - alice@example\.test temp 451 4\.7\.5 mx\.example\.test certificate of mx\.example\.test\[127\.0\.0\.1\]:[0-9]+ not verified' \
	"... temp 4.7.5"
remote cr -f someone@sender.test -r alice@example.test example.test < <(printf 'Subject: v\n\nx\n')
tap_like "$out" 'delivered 250' "tls_policy may, same certificate: delivered"
tap_like "$log" 'tls="TLS1\.3 [^"]*" verified=no why=' "... logged verified=no with the reason"

TAMBO_TLS_CA_FILE=$tmp/pki/ca.pem remote c -f someone@sender.test \
	-r alice@example.test wrongname.test < <(printf 'x\n')
tap_like "$out" '^result - alice@example\.test temp 451 4\.7\.5 127\.0\.0\.1 certificate .* not verified: .*name' \
	"tls=verify, trusted CA but another name: temp 4.7.5 (name mismatch)"

# a route with AUTH PLAIN over STARTTLS to the submission port
remote c -f alice@example.test -r friend@other.example other.example < <(printf 'Subject: relayed\n\nx\n')
tap_is "$st" 0 "route tls=encrypt auth=FILE: exit 0"
tap_like "$out" '^result - friend@other\.example delivered 250 2\.0\.0 127\.0\.0\.1 Ok: queued' \
	"... delivered through the relay"
tap_like "$(cat "$tmp/r/smtpd.log")" 'event=auth .*user=alice@example\.test result=ok' \
	"the relay saw AUTH PLAIN succeed"
tap_like "$log" 'event=auth .*mech=PLAIN user=alice@example\.test result=ok' \
	"remote logs the AUTH (no password)"
tap_ok "$(grep -q secret "$tmp/remote.log"; echo $((! $?)))" "the password is in no log line"

# --- scripted peers: a server that drops idle connections, one without EHLO
printf 'job R1\nmail a@sender.test\nrcpt x@reuse.test\ndata 4\none\n' > "$tmp/jobs"
printf 'job R2\nmail a@sender.test\nrcpt y@reuse.test\ndata 4\ntwo\n' >> "$tmp/jobs"
remote c --batch reuse.test < "$tmp/jobs"
tap_like "$out" '^result R1 x@reuse\.test delivered 250 2\.0\.0 127\.0\.0\.1 queued as M1
end R1
result R2 y@reuse\.test delivered 250 2\.0\.0 127\.0\.0\.1 queued as M1
end R2$' "connection closed by the server between jobs: connected again"
tap_is "$(grep -c connect "$tmp/reuse.log")" 2 "... two connections"
remote c -f a@sender.test -r x@helo.test helo.test < <(printf 'x\n')
tap_like "$out" '^result - x@helo\.test delivered 250 ' "EHLO refused: HELO"
printf 'job B1\nmail a@sender.test\nrcpt x@busy2.test\ndata 4\none\n' > "$tmp/jobs"
printf 'job B2\nmail a@sender.test\nrcpt y@busy2.test\ndata 4\ntwo\n' >> "$tmp/jobs"
n=$(grep -c connect "$tmp/busy.log")
remote c --batch busy2.test < "$tmp/jobs"
tap_like "$out" '^result B1 x@busy2\.test temp 421 4\.4\.1 127\.0\.0\.2 127\.0\.0\.2\[127\.0\.0\.2\]:[0-9]+ said: 421 too busy \(in reply to the greeting\)
end B1
result B2 y@busy2\.test temp 421 4\.4\.1 127\.0\.0\.2 .*
end B2$' "every address failed: temp 4.4.1 with the last error, for each job"
tap_is "$(($(grep -c connect "$tmp/busy.log") - n))" 1 \
	"... and the second job does not try again"

remote c -f a@sender.test -r x@broken.test broken.test < <(printf 'x\n')
tap_like "$out" '^result - x@broken\.test delivered 250 ' \
	"TLS handshake fails under may: sent again in plaintext"
tap_is "$(grep -c connect "$tmp/broken.log") $(grep -c starttls "$tmp/broken.log")" \
	"2 1" "... on a second connection, without STARTTLS"
tap_like "$log" 'event=attempt relay=127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+ error=.*handshake' \
	"... the failed handshake logged"
remote c -f a@sender.test -r x@enc.test enc.test < <(printf 'x\n')
tap_like "$out" '^result - x@enc\.test temp 451 4\.7\.4 127\.0\.0\.1 .*does not offer STARTTLS' \
	"tls=encrypt to a server without STARTTLS: temp 4.7.4"
TAMBO_TLS_CA_FILE=$tmp/pki/ca.pem remote c -f alice@example.test \
	-r friend@other.example smtps.test < <(printf 'Subject: 465\n\nx\n')
tap_like "$out" '^result - friend@other\.example delivered 250 2\.0\.0 mx\.example\.test Ok: queued' \
	"route tls=smtps (implicit TLS, port 465) with AUTH: delivered"
tap_like "$log" 'event=connect relay=mx\.example\.test\[127\.0\.0\.1\]:[0-9]+ tls="TLS1\.3 [^"]*" verified=yes' \
	"... verified against the relay's name"

# --- bad input ----------------------------------------------------------------
remote cs --batch sink.test < <(printf 'job X\nmail a@sender.test\nrcpt b@sink.test\ndata 100\nshort')
tap_is "$st" 75 "batch input cut short: exit 75"
tap_is "$out" "" "... and no result for the cut job"
remote cs --batch sink.test < <(printf 'job X\nfrom a@sender.test\n')
tap_is "$st" 75 "unknown job line: exit 75"
"$REMOTE" -C "$tmp/nonexistent" --batch sink.test </dev/null 2>/dev/null
tap_is "$?" 75 "configuration unreadable: exit 75"
"$REMOTE" -C "$tmp/c" sink.test </dev/null 2>/dev/null
tap_is "$?" 64 "usage error: exit 64"
remote cs -f someone@sender.test -r 'not an address' sink.test \
	< <(printf 'x\n')
tap_like "$out" "^result - not an address perm 553 5\\.1\\.3 - " \
	"a recipient that does not parse: perm 5.1.3, nothing sent"

tap_done
