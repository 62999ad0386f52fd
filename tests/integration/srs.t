#!/bin/bash
# srs.t — SRS end to end: addresses made by `tambo srs forward` (the code
# the delivery runner forwards with), bounces to them from swaks on port 25
# (valid: queued; forged, expired, malformed: 550 5.1.1, catch-all or
# not), `tambo srs reverse`, and pyspf against a real DNS server: the
# rewritten sender passes the forwarding domain's SPF record where the
# original sender fails its own.
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/dns.sh
. "$TOP/tests/lib/dns.sh"

for p in systemd-socket-activate swaks ss; do
	command -v "$p" >/dev/null 2>&1 || tap_skip_all "no $p"
done

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
c=$tmp/c
make_instance "$c" || { echo "Bail out! instance"; exit 1; }
# A known key: the forged addresses below are then forged for sure.
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
	> "$c/state/srs.key"
port=$(free_port)
start_smtpd "$c" "$port" mx || { echo "Bail out! server"; exit 1; }

tambo() { "$B/bin/tambo" -C "$c" "$@"; }
bounce() {	# swaks sends a bounce (null sender) to $1; sets out and rc
	out=$(swaks --server 127.0.0.1 --port "$port" \
		--helo mx.origin.example --from '<>' --to "$1" \
		--header 'Subject: Undelivered Mail Returned to Sender' 2>&1)
	rc=$?
}
queued_id() { printf '%s\n' "$out" | grep -Eo 'queued as [0-9A-F]{18}' |
	grep -Eo '[0-9A-F]{18}'; }

# --- addresses made by the real code -------------------------------------
good=$(tambo srs forward alice@origin.example example.test)
tap_ok $? "tambo srs forward exits 0"
tap_like "$good" '^SRS0=[A-Z2-7]{4}=[A-Z2-7]{2}=origin\.example=alice@example\.test$' \
	"the forwarded sender is SRS0=HHHH=TT=origin.example=alice@example.test"
tap_is "$(tambo srs reverse "$good")" alice@origin.example \
	"tambo srs reverse gives the original sender back"
tap_is "$(tambo srs reverse "${good%@*}")" alice@origin.example \
	"tambo srs reverse takes the local part alone too"
old=$(tambo srs forward --now -$((30 * 86400)) alice@origin.example \
	example.test)
tap_ok $? "tambo srs forward --now 30 days ago"
err=$(tambo srs reverse "$old" 2>&1)
st=$?
tap_is "$st/$err" "65/tambo: $old: expired" "reverse of a 30-day-old address: expired"
recent=$(tambo srs forward --now -$((20 * 86400)) carol@origin.example \
	example.test)
forged=SRS0=AAAA=AA=origin.example=alice@example.test
# the hash of alice's address, for mallory
mallory=$(printf '%s' "$good" | sed 's/=alice@/=mallory@/')
err=$(tambo srs reverse "$forged" 2>&1)
tap_is "$?/$err" "65/tambo: $forged: bad hash" "reverse of a forged address: bad hash"
err=$(tambo srs reverse "$mallory" 2>&1)
tap_is "$?/$err" "65/tambo: $mallory: bad hash" \
	"reverse of a valid hash moved to another sender: bad hash"
long=$(printf 'a%.0s' $(seq 40))@origin.example
tambo srs forward "$long" example.test >/dev/null 2>&1
tap_is $? 65 "a sender whose SRS local part would pass 64 octets: exit 65"

# --- bounces on port 25 ---------------------------------------------------
bounce "$good"
tap_is "$rc" 0 "bounce to a valid SRS address: swaks exits 0"
tap_like "$out" '<- +250 2\.1\.5' "bounce to a valid SRS address: RCPT 250"
tap_like "$out" '<- +250 2\.0\.0 .*queued as [0-9A-F]{18}' \
	"bounce to a valid SRS address: queued"
id=$(queued_id)
tap_like "$(tambo queue list | grep "^$id ")" " <> <$good>\$" \
	"queued from <> for the SRS recipient as sent"
tap_is "$(queue_count "$c")" 1 "the queue holds that bounce"

lower=$(printf '%s' "$good" | tr 'A-Z' 'a-z')
bounce "$lower"
tap_like "$out" '<- +250 2\.0\.0 .*queued as' \
	"bounce to the SRS address in lower case: queued"
bounce "$recent"
tap_like "$out" '<- +250 2\.0\.0 .*queued as' \
	"bounce to a 20-day-old SRS address: queued"

n=$(queue_count "$c")
for case in "forged:$forged" "moved hash:$mallory" "expired:$old" \
	"forged, catch-all domain:SRS0=AAAA=AA=origin.example=alice@catchall.test" \
	"malformed, catch-all domain:SRS0=garbage@catchall.test"; do
	what=${case%%:*}
	bounce "${case#*:}"
	tap_like "$out" '<\*\* +550 5\.1\.1' "bounce to $what SRS address: 550 5.1.1"
done
tap_is "$(queue_count "$c")" "$n" "none of those was queued"

# the same on a catch-all domain, not SRS: the catch-all takes it
bounce postmaster-of-nothing@catchall.test
tap_like "$out" '<- +250 2\.0\.0 .*queued as' "a plain address on the catch-all domain: queued"

log=$(cat "$c/smtpd.log")
tap_like "$log" "event=rcpt to=\"$good\" reply=\"250 2\\.1\\.5\" srs=ok" \
	"log: srs=ok for the valid address"
tap_like "$log" "event=rcpt to=\"$forged\" reply=\"550 5\\.1\\.1\" srs=\"bad hash\"" \
	"log: srs=\"bad hash\" for the forged one"
tap_like "$log" "event=rcpt to=\"$old\" reply=\"550 5\\.1\\.1\" srs=expired" \
	"log: srs=expired for the old one"
tap_like "$log" 'event=rcpt to="SRS0=garbage@catchall\.test" reply="550 5\.1\.1" srs=malformed' \
	"log: srs=malformed"
tap_ok "$(grep -cE 'AddressSanitizer|runtime error|LeakSanitizer' \
	"$c/smtpd.log" | grep -qx 0; echo $?)" "no sanitizer report"

# --- SPF: why the sender is rewritten -------------------------------------
if ! have_dns || ! $PY -c 'import spf, dns.resolver' 2>/dev/null; then
	tap_ok 0 "SPF check # SKIP needs dnsmasq and python3-spf"
	tap_done
	exit
fi
start_dns "$tmp/dns" \
	--txt-record=example.test,"v=spf1 ip4:192.0.2.1 -all" \
	--txt-record=origin.example,"v=spf1 ip4:198.51.100.7 -all" ||
	{ echo "Bail out! dnsmasq"; exit 1; }
spf_result() {	# sender: pyspf's result for a message from 192.0.2.1
	$PY - "$DNS_PORT" "$1" <<'PY'
import sys
import dns.resolver
import spf

r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = int(sys.argv[1])
dns.resolver.default_resolver = r
res, why = spf.check2(i="192.0.2.1", s=sys.argv[2], h="mx.example.test")
print(res)
PY
}
tap_is "$(spf_result "$good")" pass \
	"SPF of the SRS sender from the forwarder (192.0.2.1): pass"
tap_is "$(spf_result alice@origin.example)" fail \
	"SPF of the original sender from the forwarder: fail"
tap_is "$(spf_result "$(tambo srs reverse "$good")")" fail \
	"(the address the bounce goes back to is the original one)"
tap_done
