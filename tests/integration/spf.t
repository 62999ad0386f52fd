#!/bin/bash
# spf.t — the SPF check of mail arriving on port 25 (tambo-smtpd(8)):
# swaks against smtpd --mode mx, the sender domains' records served by
# dnsmasq on loopback (resolver =).  The client is 127.0.0.1, so the check
# runs with spf_check = all; with the default (yes) a loopback client is
# not checked.
#
#   pass.test      v=spf1 ip4:127.0.0.1 -all      -> 250, Received-SPF: pass
#   fail.test      v=spf1 ip4:192.0.2.1 -all      -> 550 5.7.23
#   soft.test      v=spf1 ip4:192.0.2.1 ~all      -> 250, softfail
#   none.test      no record                      -> 250, none
#   broken.test    v=spf1 ip4:bad -all            -> 250, permerror
#   a resolver that does not answer               -> 451 4.7.24
#   <> with HELO helo.test (v=spf1 -all)           -> 550 5.7.23 (identity=helo)
# Submission and authenticated sessions are never checked.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dns.sh"

for p in systemd-socket-activate swaks ss; do
	command -v "$p" >/dev/null 2>&1 || tap_skip_all "no $p"
done
have_dns || tap_skip_all "no dnsmasq (dnsmasq-base)"

tmp_instance || { echo "Bail out! instance"; exit 1; }
start_dns "$tmp" \
	"--txt-record=pass.test,v=spf1 ip4:127.0.0.1 -all" \
	"--txt-record=fail.test,v=spf1 ip4:192.0.2.1 -all" \
	"--txt-record=soft.test,v=spf1 ip4:192.0.2.1 ~all" \
	"--txt-record=broken.test,v=spf1 ip4:bad -all" \
	"--txt-record=helo.test,v=spf1 -all" \
	--host-record=none.test,192.0.2.7 ||
	{ echo "Bail out! dnsmasq"; exit 1; }
cat >> "$c/tambo.conf" <<EOF
resolver = $(dns_resolver)
spf_check = all
EOF
port=$(free_port)
start_smtpd "$c" "$port" mx || { echo "Bail out! smtpd"; exit 1; }

send() {	# from [helo] [subject]: swaks's transcript
	swaks --server 127.0.0.1 --port "$port" --timeout 30 \
		--from "$1" --to alice@example.test \
		--helo "${2:-client.example}" \
		--header "Subject: ${3:-spf-test}" 2>&1
}
stored() {	# subject: the queue file holding it
	grep -l "^Subject: $1" "$c"/spool/queue/* 2>/dev/null | head -n 1
}

out=$(send someone@pass.test client.example spf-pass)
tap_like "$out" '<-  250 2\.0\.0 Ok: queued' "pass: the message is queued"
f=$(stored spf-pass)
tap_like "$(cat "$f" 2>/dev/null)" \
	'Received-SPF: pass \(mx\.example\.test: "ip4:127\.0\.0\.1" in pass\.test\)' \
	"pass: Received-SPF: pass, with the mechanism that matched"
tap_like "$(cat "$f" 2>/dev/null)" \
	'client-ip=127\.0\.0\.1; envelope-from="someone@pass\.test";' \
	"pass: client-ip and envelope-from in the field"
tap_like "$(sed -n '/^Received-SPF:/,$p' "$f" 2>/dev/null | sed -n 4p)" \
	'^Received: from client\.example' \
	"pass: the field sits above our Received: field (RFC 7208 9.1)"

out=$(send someone@fail.test client.example spf-fail)
tap_like "$out" '<\*\* 550 5\.7\.23 SPF validation failed' \
	"fail: MAIL FROM refused with 550 5.7.23"
tap_is "$(stored spf-fail)" "" "fail: nothing queued"
tap_like "$(cat "$c/smtpd.log")" \
	'event=spf result=fail identity=mailfrom domain=fail\.test client=127\.0\.0\.1 why="\\"-all\\" in fail\.test' \
	"fail: logged with the domain and why"

out=$(send someone@soft.test client.example spf-soft)
tap_like "$out" '<-  250 2\.0\.0 Ok: queued' "softfail: queued"
tap_like "$(cat "$(stored spf-soft)" 2>/dev/null)" '^Received-SPF: softfail ' \
	"softfail: recorded"

out=$(send someone@none.test client.example spf-none)
tap_like "$out" '<-  250 2\.0\.0 Ok: queued' "no SPF record: queued"
tap_like "$(cat "$(stored spf-none)" 2>/dev/null)" '^Received-SPF: none ' \
	"no SPF record: none recorded"

out=$(send someone@broken.test client.example spf-broken)
tap_like "$out" '<-  250 2\.0\.0 Ok: queued' "a broken record: queued"
tap_like "$(cat "$(stored spf-broken)" 2>/dev/null)" '^Received-SPF: permerror ' \
	"a broken record: permerror recorded"

out=$(send '<>' helo.test spf-helo)
tap_like "$out" '<\*\* 550 5\.7\.23' \
	"the null sender: the HELO name's record decides (-all)"
tap_like "$(cat "$c/smtpd.log")" 'event=spf result=fail identity=helo domain=helo\.test' \
	"the null sender: logged with identity=helo"
out=$(send '<>' client.example spf-null)
tap_like "$out" '<-  250 2\.0\.0 Ok: queued' \
	"the null sender from a HELO name without a record: queued"

# --- a resolver that does not answer: 451 4.7.24, and the client retries ---
dead=$(free_port)
cp "$c/tambo.conf" "$tmp/conf.saved"
sed -i "s/^resolver = .*/resolver = 127.0.0.1:$dead/" "$c/tambo.conf"
out=$(send someone@pass.test client.example spf-temp)
tap_like "$out" '<\*\* 451 4\.7\.24 SPF validation error' \
	"the DNS does not answer: 451 4.7.24 (temperror)"
cp "$tmp/conf.saved" "$c/tambo.conf"

# --- not checked: spf_check = yes with a loopback client, or no -----------
sed -i 's/^spf_check = all$/spf_check = yes/' "$c/tambo.conf"
out=$(send someone@fail.test client.example spf-loopback)
tap_like "$out" '<-  250 2\.0\.0 Ok: queued' \
	"spf_check = yes: a client at a loopback address is not checked"
tap_unlike "$(cat "$(stored spf-loopback)" 2>/dev/null)" 'Received-SPF' \
	"  and its message has no Received-SPF: field"
sed -i 's/^spf_check = yes$/spf_check = no/' "$c/tambo.conf"
out=$(send someone@fail.test client.example spf-off)
tap_like "$out" '<-  250 2\.0\.0 Ok: queued' "spf_check = no: not checked"
printf 'spf_check = maybe\n' >> "$c/tambo.conf"
out=$(send someone@pass.test)
tap_like "$out" '<\*\* 421 4\.3\.0' \
	"spf_check = maybe: the configuration is refused (421 4.3.0)"

tap_done
