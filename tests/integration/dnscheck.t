#!/bin/bash
# dnscheck.t — `tambo dns records` and `tambo dns check` (tambo(8)) against
# a real DNS server: dnsmasq on a loopback port (tests/lib/dns.sh), named
# by resolver = in tambo.conf.
#
# example.test is sent from mx.example.test, addresses 192.0.2.1 and
# 2001:db8::1, with an RSA and an Ed25519 DKIM key made by openssl.  The
# DKIM values served are computed here from the keys (SubjectPublicKeyInfo
# for rsa, the raw 32 octets for ed25519, RFC 8463), so the check also
# proves that dkimsign --public-key prints the right key.
#
# First all records right: every line OK, exit 0.  Then one kind of wrong
# record at a time, each verdict line and the exit status checked: SPF
# without the IPv6 address, no SPF, two SPF records, a DKIM key that does
# not match, a PTR that is not forward-confirmed, no PTR, no DMARC, a bad
# DMARC policy, DMARC without v=DMARC1 first, MX elsewhere, no MX, a DNS
# server that does not answer (75).  Last, the records `dns records`
# prints: each expected line, TXT strings of at most 255 octets, and,
# served by dnsmasq as printed, a check that says OK throughout.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dns.sh"

have_dns || tap_skip_all "no dnsmasq (dnsmasq-base)"
command -v openssl >/dev/null 2>&1 || tap_skip_all "no openssl"
[ -x "$B/libexec/tambo/dkimsign" ] || tap_skip_all "dkimsign not built"

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
c=$tmp/c
D=example.test
H=mx.example.test
T() { "$B/bin/tambo" -C "$c" "$@"; }

"$B/bin/tambo" -C "$c" init "$D" --hostname "$H" >/dev/null ||
	{ echo "Bail out! tambo init"; exit 1; }
mkdir -p "$c/domains/$D/dkim"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$c/domains/$D/dkim/rsa1.key" 2>/dev/null &&
openssl genpkey -algorithm ED25519 -out "$c/domains/$D/dkim/ed1.key" \
	2>/dev/null &&
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$tmp/other.key" 2>/dev/null ||
	{ echo "Bail out! openssl genpkey"; exit 1; }
spki() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null; }
RSA_P=$(spki "$c/domains/$D/dkim/rsa1.key" | base64 -w0)
ED_P=$(spki "$c/domains/$D/dkim/ed1.key" | tail -c 32 | base64 -w0)
OTHER_P=$(spki "$tmp/other.key" | base64 -w0)
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }	# as an ERE

# --- the records, right ----------------------------------------------------
MX=(--mx-host=$D,$H,10)
HOST=(--host-record=$H,192.0.2.1,2001:db8::1	# A, AAAA and both PTRs
	"--txt-record=$H,v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all")
SPF=("--txt-record=$D,v=spf1 ip4:192.0.2.1 include:_spf.$D -all"
	"--txt-record=_spf.$D,v=spf1 ip6:2001:db8::/64 ~all")
DKIM=("--txt-record=rsa1._domainkey.$D,v=DKIM1; k=rsa; p=$RSA_P"
	"--txt-record=ed1._domainkey.$D,v=DKIM1; k=ed25519; p=$ED_P")
DMARC=("--txt-record=_dmarc.$D,v=DMARC1; p=reject; rua=mailto:dmarc@$D")

serve() {	# dnsmasq options: the records for the next check
	if [ -z "${DNS_PID:-}" ]; then
		start_dns "$tmp/dns" --ipv6 "$@"
	else
		restart_dns "$@"
	fi || { echo "Bail out! dnsmasq"; exit 1; }
}
check() {	# runs tambo dns check; sets out and rc
	out=$(T dns check "$D" 2>&1)
	rc=$?
}
line() {	# the verdict line of an item ("SPF example.test 192.0.2.1")
	printf '%s\n' "$out" | grep -E "^[A-Z]+ +$1  "
}
verdict() {	# status item name...
	local st=$1 item=$2
	shift 2
	tap_like "$(line "$item")" "^$st +$item  found: " "$*"
}

serve "${MX[@]}" "${HOST[@]}" "${SPF[@]}" "${DKIM[@]}" "${DMARC[@]}"
cat >>"$c/tambo.conf" <<EOF
addresses = 192.0.2.1 2001:db8::1
resolver = [::1]:$DNS_PORT
EOF

check
tap_is "$rc" 0 "all right: exit 0"
tap_is "$(printf '%s\n' "$out" | grep -c .)" 14 "all right: 14 lines"
tap_is "$(printf '%s\n' "$out" | grep -vc '^OK  ')" 0 "all right: every line OK"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
tap_like "$(line "MX $D")" "found: 10 $H  expected: $H\$" "MX: what was found"
tap_like "$(line "SPF $D 2001:db8::1")" \
	'found: pass \("ip6:2001:db8::/64" in _spf\.example\.test; 1 of 10 DNS lookups\)' \
	"SPF: the IPv6 address passes through the include"
tap_like "$(line "SPF $D 192.0.2.1")" 'found: pass \("ip4:192\.0\.2\.1" in example\.test' \
	"SPF: the IPv4 address passes"
verdict OK "SPF $H" "SPF: the host name has its own record"
tap_like "$(line "SPF $H 2001:db8::1")" '^OK +SPF mx\.example\.test 2001:db8::1  found: pass' \
	"SPF: the host name's record passes its IPv6 address"
verdict OK "SPF $H 192\.0\.2\.1" "SPF: and its IPv4 address"
verdict OK "DKIM rsa1\._domainkey\.$D" "DKIM: the RSA key matches"
verdict OK "DKIM ed1\._domainkey\.$D" "DKIM: the Ed25519 key matches"
tap_like "$(line "DKIM ed1._domainkey.$D")" "found: k=ed25519; p=$(re "${ED_P:0:10}")" \
	"DKIM: the Ed25519 line shows k= and p="
verdict OK "DMARC _dmarc\.$D" "DMARC: p=reject is valid"
verdict OK "A $H" "A of the host"
verdict OK "AAAA $H" "AAAA of the host"
tap_like "$(line "PTR 2001:db8::1")" "^OK +PTR 2001:db8::1  found: $H  expected: $H, which resolves back to 2001:db8::1\$" \
	"PTR of the IPv6 address, forward-confirmed"
verdict OK "PTR 192\.0\.2\.1" "PTR of the IPv4 address"

# --- one wrong thing at a time --------------------------------------------
serve "${MX[@]}" "${HOST[@]}" "${DKIM[@]}" "${DMARC[@]}" \
	"--txt-record=$D,v=spf1 ip4:192.0.2.1 -all"
check
tap_is "$rc" 1 "SPF without the IPv6 address: exit 1"
verdict OK "SPF $D 192\.0\.2\.1" "  the IPv4 address still passes"
tap_like "$(line "SPF $D 2001:db8::1")" '^WRONG +SPF example\.test 2001:db8::1  found: fail \("-all" in example\.test.*expected: pass$' \
	"  the IPv6 address fails, and says why"
tap_is "$(printf '%s\n' "$out" | grep -vc '^OK  ')" 1 "  only that line is not OK"

serve "${MX[@]}" "${HOST[@]}" "${DKIM[@]}" "${DMARC[@]}" \
	"--txt-record=$D,google-site-verification=abc"
check
tap_is "$rc" 1 "no SPF record: exit 1"
tap_like "$(line "SPF $D")" '^MISSING +SPF example\.test  found: no v=spf1 record  expected: v=spf1 ip4:192\.0\.2\.1 ip6:2001:db8::1 -all$' \
	"  MISSING, with the record to publish"
tap_is "$(line "SPF $D 192.0.2.1")" "" "  no per-address SPF lines"

serve "${MX[@]}" "${SPF[@]}" "${DKIM[@]}" "${DMARC[@]}" "${HOST[0]}"
check
tap_is "$rc" 1 "no SPF record for the host name: exit 1"
tap_like "$(line "SPF $H")" '^MISSING +SPF mx\.example\.test  found: nothing  expected: v=spf1 ip4:192\.0\.2\.1 ip6:2001:db8::1 -all$' \
	"  MISSING, with the record to publish"
tap_is "$(printf '%s\n' "$out" | grep -vc '^OK  ')" 1 "  only that line is not OK"

serve "${MX[@]}" "${HOST[@]}" "${DKIM[@]}" "${DMARC[@]}" "${SPF[@]}" \
	"--txt-record=$D,v=spf1 mx -all"
check
tap_is "$rc" 1 "two SPF records: exit 1"
tap_like "$(line "SPF $D")" '^WRONG +SPF example\.test  found: 2 v=spf1 records .*expected: exactly one$' \
	"  WRONG: two records"

serve "${MX[@]}" "${HOST[@]}" "${SPF[@]}" "${DMARC[@]}" \
	"--txt-record=rsa1._domainkey.$D,v=DKIM1; k=rsa; p=$OTHER_P" \
	"--txt-record=ed1._domainkey.$D,v=DKIM1; k=rsa; p=$ED_P"
check
tap_is "$rc" 1 "DKIM keys that do not match: exit 1"
tap_like "$(line "DKIM rsa1._domainkey.$D")" "^WRONG .*found: k=rsa; p=${OTHER_P:0:10}.*expected: k=rsa; p=${RSA_P:0:10}" \
	"  WRONG: another RSA key, both shown"
tap_like "$(line "DKIM ed1._domainkey.$D")" "^WRONG .*found: k=rsa; .*expected: k=ed25519; " \
	"  WRONG: the right p= with the wrong k="

serve "${MX[@]}" "${SPF[@]}" "${DKIM[@]}" "${DMARC[@]}" \
	--host-record=$H,192.0.2.9,2001:db8::1 \
	--ptr-record=1.2.0.192.in-addr.arpa,$H
check
tap_is "$rc" 1 "PTR not forward-confirmed: exit 1"
tap_like "$(line "PTR 192.0.2.1")" "^WRONG +PTR 192\.0\.2\.1  found: $H \(not forward-confirmed: $H resolves to 192\.0\.2\.9\)" \
	"  WRONG: the name resolves elsewhere"
tap_like "$(line "A $H")" "^WRONG +A $H  found: 192\.0\.2\.9  expected: 192\.0\.2\.1\$" \
	"  and the host's A record is WRONG"
verdict OK "PTR 2001:db8::1" "  the IPv6 PTR is still OK"

serve "${MX[@]}" "${SPF[@]}" "${DKIM[@]}" "${DMARC[@]}" \
	--address=/$H/192.0.2.1 --address=/$H/2001:db8::1 \
	--ptr-record=1.2.0.192.in-addr.arpa,other.example.net
check
tap_is "$rc" 1 "PTR missing or naming another host: exit 1"
tap_like "$(line "PTR 2001:db8::1")" '^MISSING +PTR 2001:db8::1  found: nothing \(no such name\)' \
	"  MISSING: no IPv6 PTR"
tap_like "$(line "PTR 192.0.2.1")" "^WRONG +PTR 192\.0\.2\.1  found: other\.example\.net  expected: $H" \
	"  WRONG: the IPv4 PTR names another host"

serve "${MX[@]}" "${HOST[@]}" "${SPF[@]}" "${DKIM[@]}"
check
tap_is "$rc" 1 "no DMARC: exit 1"
tap_like "$(line "DMARC _dmarc.$D")" '^MISSING +DMARC _dmarc\.example\.test  found: nothing \(no such name\)  expected: v=DMARC1; p=quarantine; rua=mailto:postmaster@example\.test$' \
	"  MISSING, with the record to publish"
tap_is "$(printf '%s\n' "$out" | grep -vc '^OK  ')" 1 "  only that line is not OK"

serve "${MX[@]}" "${HOST[@]}" "${SPF[@]}" "${DKIM[@]}" \
	"--txt-record=_dmarc.$D,v=DMARC1; p=monitor"
check
tap_is "$rc" 1 "bad DMARC policy: exit 1"
tap_like "$(line "DMARC _dmarc.$D")" '^WRONG .*found: v=DMARC1; p=monitor \(p= must be none, quarantine or reject\)' \
	"  WRONG: p=monitor"

serve "${MX[@]}" "${HOST[@]}" "${SPF[@]}" "${DKIM[@]}" \
	"--txt-record=_dmarc.$D,p=reject; v=DMARC1"
check
tap_is "$rc" 1 "DMARC with v= not first: exit 1"
tap_like "$(line "DMARC _dmarc.$D")" '^MISSING .*found: no v=DMARC1 record' \
	"  MISSING: not a DMARC record"

serve "${HOST[@]}" "${SPF[@]}" "${DKIM[@]}" "${DMARC[@]}" \
	--mx-host=$D,mail.other.example.net,10
check
tap_is "$rc" 1 "MX pointing elsewhere: exit 1"
tap_like "$(line "MX $D")" "^WRONG +MX $D  found: 10 mail\.other\.example\.net  expected: $H\$" \
	"  WRONG, with the MX found"

serve "${HOST[@]}" "${DKIM[@]}" "${DMARC[@]}" "--txt-record=$D,v=spf1 mx -all"
check
tap_is "$rc" 1 "no MX: exit 1"
tap_like "$(line "MX $D")" "^MISSING +MX $D  found: nothing  expected: $H\$" \
	"  MISSING (the name exists: no data)"
tap_like "$(line "SPF $D 192.0.2.1")" '^WRONG .*found: fail' \
	"  and SPF's mx matches nothing"

# --- DNS down, usage --------------------------------------------------------
dead=$(free_port)
sed -i "s/^resolver = .*/resolver = 127.0.0.1:$dead/" "$c/tambo.conf"
check
tap_is "$rc" 75 "no DNS server answering: exit 75 (EX_TEMPFAIL)"
tap_like "$(line "MX $D")" 'temporary DNS failure' "  and says so"
sed -i "s/^resolver = .*/resolver = [::1]:$DNS_PORT/" "$c/tambo.conf"

T dns check >/dev/null 2>&1
tap_is "$?" 64 "dns check without a domain: exit 64"
T dns frobnicate "$D" >/dev/null 2>&1
tap_is "$?" 64 "dns with an unknown word: exit 64"
cp "$c/tambo.conf" "$tmp/conf.saved"
echo "addresses = 192.0.2.1 mx.example.test" >>"$c/tambo.conf"
out=$(T dns check "$D" 2>&1)
tap_is "$?" 78 "addresses = with a name: exit 78 (EX_CONFIG)"
tap_like "$out" 'addresses: not an IPv4 or IPv6 address: mx\.example\.test' \
	"  and says which"
cp "$tmp/conf.saved" "$c/tambo.conf"
out=$(T dns check other.example 2>&1)
tap_is "$?" 65 "a domain this server does not have: exit 65"
tap_like "$out" 'not a domain of this server' "  and says so"

# --- records, and the round trip -------------------------------------------
out=$(T dns records "$D" 2>&1)
tap_is "$?" 0 "dns records: exit 0"
records=$out
have() {	# regex name
	tap_like "$records" "$1" "records: $2"
}
have "^$D\.	3600	IN	MX	10 $H\.\$" "MX"
have "^$H\.	3600	IN	A	192\.0\.2\.1\$" "A"
have "^$H\.	3600	IN	AAAA	2001:db8::1\$" "AAAA"
have "^$D\.	3600	IN	TXT	\"v=spf1 ip4:192\.0\.2\.1 ip6:2001:db8::1 -all\"\$" "SPF"
have "^$H\.	3600	IN	TXT	\"v=spf1 ip4:192\.0\.2\.1 ip6:2001:db8::1 -all\"\$" \
	"the host name's SPF"
have "^ed1\._domainkey\.$D\.	3600	IN	TXT	\"v=DKIM1; k=ed25519; p=$(re "$ED_P")\"\$" \
	"Ed25519 DKIM, p= the raw public key"
have "^rsa1\._domainkey\.$D\.	3600	IN	TXT	\"v=DKIM1; k=rsa; p=" "RSA DKIM"
have "^_dmarc\.$D\.	3600	IN	TXT	\"v=DMARC1; p=quarantine; rua=mailto:postmaster@$D\"\$" \
	"DMARC"
have "^1\.2\.0\.192\.in-addr\.arpa\.	3600	IN	PTR	$H\.\$" "IPv4 PTR"
have "^1(\.0){23}\.8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa\.	3600	IN	PTR	$H\.\$" \
	"IPv6 PTR (nibbles)"

# The zone-file lines as dnsmasq options, with the TXT strings checked.
mapfile -t opts < <($PY - <<'PY' "$records"
import shlex, sys
for line in sys.argv[1].splitlines():
    if not line or line.startswith(";"):
        continue
    f = shlex.split(line, posix=True)
    name, ttl, cls, typ = f[0].rstrip("."), f[1], f[2], f[3]
    assert ttl.isdigit() and cls == "IN", line
    if typ == "MX":
        print("--mx-host=%s,%s,%s" % (name, f[5].rstrip("."), f[4]))
    elif typ in ("A", "AAAA"):
        print("--address=/%s/%s" % (name, f[4]))
    elif typ == "PTR":
        print("--ptr-record=%s,%s" % (name, f[4].rstrip(".")))
    elif typ == "TXT":
        strings = f[4:]
        for s in strings:
            if len(s.encode()) > 255:
                print("TOO-LONG %s" % name)
        print("--txt-record=%s,%s" % (name, ",".join(strings)))
    else:
        print("UNKNOWN %s" % line)
PY
)
tap_is "$(printf '%s\n' "${opts[@]}" | grep -c '^TOO-LONG')" 0 \
	"records: every TXT string at most 255 octets"
tap_is "$(printf '%s\n' "${opts[@]}" | grep -c '^UNKNOWN')" 0 \
	"records: only MX, A, AAAA, TXT and PTR lines"
tap_like "$(printf '%s\n' "$records" | grep "^rsa1\._domainkey")" '" "' \
	"records: the RSA value is split into several strings"
tap_is "${#opts[@]}" 10 "records: 10 records"
serve "${opts[@]}"
check
tap_is "$rc" 0 "the records as printed, served: check exits 0"
tap_is "$(printf '%s\n' "$out" | grep -vc '^OK  ')" 0 \
	"the records as printed, served: every line OK"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'

tap_done
