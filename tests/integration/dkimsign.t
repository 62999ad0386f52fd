#!/bin/bash
# dkimsign.t — libexec/tambo/dkimsign and tambo dkim keygen
# (tambo-dkimsign(8), tambo(8)).
#
# Keys (generation, permissions, the TXT values), the RFC 8463 Appendix A
# vectors reproduced exactly (Ed25519 is deterministic, and so is
# RSASSA-PKCS1-v1_5), RFC 6376 Appendix A's body hash, the output (the
# signatures, then the message byte for byte, read from a pipe, a file or
# a file at an offset), exit statuses and their log lines, a 100 MB
# message in flat memory, and the keys of a domain (--domain-keys).
#
# Then the verifiers, with the keys served by a real DNS server: a corpus
# of awkward messages (tests/data/dkim/corpus, plus long lines) signed with
# RSA-2048 and Ed25519, relaxed and simple, is checked by python3-dkim,
# Mail::DKIM and opendkim-testmsg; a forged body and a forged header must
# fail in each.  opendkim-testmsg can only ask the resolver of
# /etc/resolv.conf, so all three run in private network, mount and PID
# namespaces (unshare) where dnsmasq answers on 127.0.0.1:53
# (dkim_ns.sh).  Mail::DKIM of Debian 12 knows no Ed25519: its Ed25519
# checks are skipped when it says so.
. "$(dirname "$0")/../lib/common.sh"

D=$B/libexec/tambo/dkimsign
T=$B/bin/tambo
DATA=$TOP/tests/data/dkim
HERE=$TOP/tests/integration
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
unset TAMBO_CONFIG_DIR
umask 022

tap_skip() {	# name reason
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

# sig FILE INDEX TAG: the value of a tag of the INDEXth DKIM-Signature,
# white space removed.
sig() {
	$PY - "$@" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
head = data.split(b"\n\n", 1)[0]
fields = re.findall(rb"^DKIM-Signature:(.*(?:\n[ \t].*)*)", head,
    re.M | re.I)
tags = {}
for t in fields[int(sys.argv[2])].split(b";"):
    k, _, v = t.partition(b"=")
    tags[re.sub(rb"\s", b"", k)] = re.sub(rb"\s", b"", v)
sys.stdout.write(tags.get(sys.argv[3].encode(), b"").decode())
PY
}

# run IN ARGS...: dkimsign; sets rc, out (file $tmp/out), err
run() {
	local in=$1
	shift
	"$D" "$@" < "$in" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	err=$(cat "$tmp/err")
}

# --- keys ----------------------------------------------------------------
"$D" --keygen rsa "$tmp/rsa.key"
tap_is "$?" 0 "--keygen rsa: exit 0"
tap_is "$(stat -c %a "$tmp/rsa.key")" 600 "the key file is 0600"
tap_is "$(head -1 "$tmp/rsa.key")" "-----BEGIN PRIVATE KEY-----" \
	"PEM PKCS#8"
"$D" --keygen ed25519 "$tmp/ed.key"
tap_is "$?" 0 "--keygen ed25519: exit 0"
cp "$tmp/ed.key" "$tmp/ed.copy"
"$D" --keygen ed25519 "$tmp/ed.key" 2>"$tmp/err"
tap_is "$?" 73 "--keygen over an existing file: 73 (EX_CANTCREAT)"
tap_ok "$(cmp -s "$tmp/ed.key" "$tmp/ed.copy"; echo $?)" \
	"the existing key is left as it was"
"$D" --keygen rsa --bits 1024 "$tmp/small.key" 2>/dev/null
tap_is "$?:$(test -e "$tmp/small.key"; echo $?)" 64:1 \
	"--keygen rsa --bits 1024: refused (64), no file"
"$D" --keygen dsa "$tmp/dsa.key" 2>/dev/null
tap_is "$?" 64 "--keygen dsa: 64"
"$D" --keygen rsa --bits 3072 "$tmp/rsa3072.key"
tap_is "$?" 0 "--keygen rsa --bits 3072"

pub=$("$D" --public-key "$tmp/rsa.key")
tap_like "$pub" '^v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA[A-Za-z0-9+/]+=*$' \
	"--public-key RSA-2048: v=DKIM1; k=rsa; p=SubjectPublicKeyInfo"
tap_like "$("$D" --public-key "$tmp/ed.key")" \
	'^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$' \
	"--public-key Ed25519: the raw 32-octet key (RFC 8463 4.2)"
cp "$DATA"/rfc8463-*.key "$tmp/"
chmod 600 "$tmp"/rfc8463-*.key
tap_is "$("$D" --public-key "$tmp/rfc8463-brisbane.key" 2>/dev/null)" \
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" \
	"RFC 8463 A.2: brisbane's public key"
tap_is "$("$D" --public-key "$tmp/rfc8463-test.key" 2>/dev/null)" \
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB" \
	"RFC 8463 A.2: test's public key (a PKCS#1 file)"

# --- RFC 8463 Appendix A: the same b= as the RFC --------------------------
A3=(-t 1528637909 --tag i=@football.example.com --tag q=dns/txt
    -h 'from : to : subject : date : message-id : from : subject : date')
run "$DATA/rfc8463.msg" -d football.example.com -s brisbane \
	-k "$tmp/rfc8463-brisbane.key" -d football.example.com -s test \
	-k "$tmp/rfc8463-test.key" --allow-small-rsa "${A3[@]}"
tap_is "$rc" 0 "RFC 8463 A.3: exit 0"
cp "$tmp/out" "$tmp/rfc8463.signed"
tap_is "$(sig "$tmp/out" 0 bh)" "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=" \
	"RFC 8463 A.3: bh="
tap_is "$(sig "$tmp/out" 0 b)" \
	"/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==" \
	"RFC 8463 A.3: the Ed25519 b= exactly"
tap_is "$(sig "$tmp/out" 1 b)" \
	"F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2JzdA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=" \
	"RFC 8463 A.3: the RSA b= exactly"
tap_is "$(sig "$tmp/out" 0 a) $(sig "$tmp/out" 1 a)" \
	"ed25519-sha256 rsa-sha256" "a= of both"
run "$DATA/rfc8463.msg" -d football.example.com -s test \
	-k "$tmp/rfc8463-test.key"
tap_is "$rc:$(wc -c < "$tmp/out")" 75:0 \
	"an RSA key of 1024 bits without --allow-small-rsa: 75, no output"
tap_like "$err" "event=error what=\"dkim key\" file=$tmp/rfc8463-test.key reason=\"RSA key of 1024 bits" \
	"... and the log line names the file and the reason"

# --- RFC 6376 Appendix A: simple/simple, its h= and its bh= ----------------
run "$DATA/rfc6376.msg" -c simple/simple -d example.com -s brisbane \
	-k "$tmp/rsa.key" --tag q=dns/txt --tag i=joe@football.example.com \
	-h 'Received : From : To : Subject : Date : Message-ID'
tap_is "$rc" 0 "RFC 6376 A.2: exit 0"
tap_is "$(sig "$tmp/out" 0 bh)" "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=" \
	"RFC 6376 A.2: the same bh= (simple body)"
tap_is "$(sig "$tmp/out" 0 c);$(sig "$tmp/out" 0 h)" \
	"simple/simple;Received:From:To:Subject:Date:Message-ID" \
	"RFC 6376 A.2: c= and h= as the example has them"
mkdir -p "$tmp/v"
cp "$tmp/out" "$tmp/v/rfc6376.rsa-simple.eml"

# --- the output: signatures, then the message unchanged --------------------
K=(-d example.test -s r -k "$tmp/rsa.key" -d example.test -s e -k "$tmp/ed.key")
all_same=0 all_tail=0 all_eol=0 n=0
for m in "$DATA"/corpus/*.eml; do
	n=$((n + 1))
	"$D" "${K[@]}" -t 1700000000 < "$m" > "$tmp/file.out" 2>/dev/null
	"$D" "${K[@]}" -t 1700000000 < <(cat "$m") > "$tmp/pipe.out" 2>/dev/null
	# a file whose offset is not 0: dd reads 7 octets, dkimsign the rest
	printf 'XXXXXXX' | cat - "$m" > "$tmp/offset.in"
	{ dd of=/dev/null bs=7 count=1 2>/dev/null
	  "$D" "${K[@]}" -t 1700000000 > "$tmp/offset.out" 2>/dev/null; } \
		< "$tmp/offset.in"
	cmp -s "$tmp/file.out" "$tmp/pipe.out" &&
		cmp -s "$tmp/file.out" "$tmp/offset.out" ||
		{ all_same=1; echo "# differs: $m"; }
	size=$(wc -c < "$m")
	tail -c "$size" "$tmp/file.out" | cmp -s - "$m" ||
		{ all_tail=1; echo "# not unchanged: $m"; }
	# the new fields end their lines as the message's first line does
	first=$(head -1 "$m" | od -An -c | tr -d ' \n' | grep -c '\\r\\n$')
	sigcr=$(head -1 "$tmp/file.out" | od -An -c | tr -d ' \n' |
		grep -c '\\r\\n$')
	[ "$first" = "$sigcr" ] ||
		{ all_eol=1; echo "# line ends differ: $m"; }
done
tap_ok "$all_same" "pipe, file and file at an offset give the same output ($n messages)"
tap_ok "$all_tail" "the message follows the signatures byte for byte"
tap_ok "$all_eol" "the signature fields use the message's line ends (LF or CRLF)"
tap_is "$(head -c 16 "$tmp/file.out")" "DKIM-Signature: " "output starts with the signature"

# --- exit statuses ---------------------------------------------------------
M=$DATA/corpus/crlf.eml
run "$M" -d example.test -s x -k "$tmp/missing.key"
tap_is "$rc:$(wc -c < "$tmp/out")" 75:0 "missing key: 75, nothing on stdout"
tap_like "$err" "^<3>prog=dkimsign event=error what=\"dkim key\" file=$tmp/missing.key reason=\"cannot read\" detail=\"No such file or directory\"" \
	"missing key: the log line names the file and the reason"
echo "not a key" > "$tmp/junk.key"
run "$M" -d example.test -s x -k "$tmp/junk.key"
tap_is "$rc:$(wc -c < "$tmp/out")" 75:0 "invalid key: 75"
tap_like "$err" "file=$tmp/junk.key reason=\"not a PEM private key\"" \
	"invalid key: logged"
run "$M" -d example.test -s x -k "$tmp"
tap_is "$rc" 75 "a directory for a key: 75"
run "$M" -d example.test -s r -k "$tmp/rsa.key" -d example.test -s x \
	-k "$tmp/missing.key"
tap_is "$rc:$(wc -c < "$tmp/out")" 75:0 \
	"one good key and one missing: 75, nothing signed half"
printf 'To: b@example.net\r\nSubject: no from\r\n\r\nbody\r\n' > "$tmp/nofrom"
run "$tmp/nofrom" "${K[@]}"
tap_is "$rc:$(wc -c < "$tmp/out")" 65:0 "no From field: 65 (EX_DATAERR), no output"
tap_like "$err" 'event=dkim status=refused reason="no From field"' \
	"no From: logged"
$PY -c 'import sys
sys.stdout.write("From: a@example.test\r\n" + "X-Big: " + "x" * 998 + "\r\n")
sys.stdout.write(("X-Big: " + "x" * 998 + "\r\n") * 1100 + "\r\nbody\r\n")' \
	> "$tmp/bighead"
run "$tmp/bighead" "${K[@]}"
tap_is "$rc:$(wc -c < "$tmp/out")" 65:0 "header section over 1 MiB: 65"
run "$M"
tap_is "$rc" 64 "no key: usage, 64"
run "$M" -d example.test -s r
tap_is "$rc" 64 "-d and -s without -k: 64"
run "$M" -d example.test -s r -k "$tmp/rsa.key" -c relaxed/nofws
tap_is "$rc" 64 "-c relaxed/nofws: 64"
run "$M" -d example.test -s r -k "$tmp/rsa.key" -h to:subject
tap_is "$rc" 64 "-h without From: 64"
run "$M" -d 'exa mple.test' -s r -k "$tmp/rsa.key"
tap_is "$rc" 64 "a bad -d: 64"
run "$M" -d example.test -s 'r/../x' -k "$tmp/rsa.key"
tap_is "$rc" 64 "a bad selector: 64"
run "$M" -d example.test -s r -k "$tmp/rsa.key" -x 3600 -t 1700000000 \
	-c simple/relaxed
tap_is "$rc" 0 "-x 3600 -t 1700000000 -c simple/relaxed: 0"
tap_is "$(sig "$tmp/out" 0 t) $(sig "$tmp/out" 0 x) $(sig "$tmp/out" 0 c)" \
	"1700000000 1700003600 simple/relaxed" "t=, x= = t + 3600, c="
tap_is "$(sig "$tmp/out" 0 l)" "" "no l= tag"
tap_like "$(sig "$tmp/out" 0 h)" '^from:from:subject:subject:date:date:message-id:message-id:to:to$' \
	"h=: present fields, each once more (oversigned)"
tap_like "$err" '^<6>prog=dkimsign event=dkim status=signed d=example.test s=r a=rsa-sha256 bits=2048 c=simple/relaxed size=[0-9]+$' \
	"one log line per signature"

# --- the keys of a domain, and tambo dkim keygen ---------------------------
c=$tmp/conf
"$T" -C "$c" init example.test --hostname mx.example.test >/dev/null
run "$M" -C "$c" --domain-keys example.test
tap_is "$rc:$(wc -c < "$tmp/out")" 75:0 "--domain-keys without keys: 75"
tap_like "$err" "file=$c/domains/example.test/dkim reason=" \
	"... logged with the directory"
before=$(date -u +%Y%m%d)
kout=$("$T" -C "$c" dkim keygen example.test 2>&1)
tap_is "$?" 0 "tambo dkim keygen: exit 0"
after=$(date -u +%Y%m%d)
kd=$c/domains/example.test/dkim
r=$(cd "$kd" && ls *r.key 2>/dev/null) e=$(cd "$kd" && ls *e.key 2>/dev/null)
tap_like "$r $e" "^[0-9]{8}r\\.key [0-9]{8}e\\.key\$" \
	"two keys with dated selectors (YYYYMMDDr, YYYYMMDDe)"
tap_ok "$([ "${r%r.key}" = "$before" ] || [ "${r%r.key}" = "$after" ]; echo $?)" \
	"the date is today's (UTC)"
tap_is "$(stat -c %a "$kd") $(stat -c %a "$kd/$r") $(stat -c %a "$kd/$e")" \
	"750 600 600" "dkim/ 0750, keys 0600 (no group tambo-dkim here)"
rpub=$("$D" --public-key "$kd/$r" 2>/dev/null)
epub=$("$D" --public-key "$kd/$e" 2>/dev/null)
tap_like "$rpub" "^v=DKIM1; k=rsa; p=MIIBIjAN" "the RSA key is 2048 bits"
# the zone-file lines: strings of at most 255 octets that join to the value
zone=$(printf '%s\n' "$kout" | grep "_domainkey")
joined=$(printf '%s\n' "$zone" | grep "^${r%.key}\\._domainkey" |
	$PY -c 'import re,sys; s=sys.stdin.read(); p=re.findall(r"\"([^\"]*)\"", s)
print("".join(p) if all(len(x) <= 255 for x in p) and len(p) > 1 else "BAD")')
tap_is "$joined" "$rpub" "RSA record: split into 255-octet strings, the --public-key value"
tap_is "$(printf '%s\n' "$zone" | grep "^${e%.key}\\.")" \
	"${e%.key}._domainkey.example.test.	3600	IN	TXT	\"$epub\"" \
	"Ed25519 record: one string"
"$T" -C "$c" dkim keygen example.test >/dev/null 2>&1
tap_is "$?" 73 "keygen again the same day: refused (73), keys kept"
"$T" -C "$c" dkim keygen example.test --type ed25519 --selector extra \
	>/dev/null 2>&1
tap_is "$?:$(test -f "$kd/extra.key"; echo $?)" 0:0 "--type ed25519 --selector extra"
"$T" -C "$c" dkim keygen nowhere.test >/dev/null 2>&1
tap_is "$?" 65 "keygen for a domain that is not ours: 65"
"$T" -C "$c" dkim keygen example.test --type rsa --bits 1024 --selector s \
	>/dev/null 2>&1
tap_is "$?:$(test -e "$kd/s.key"; echo $?)" 64:1 "--bits 1024: refused"
echo "README: not a key" > "$kd/README"
run "$M" -C "$c" --domain-keys example.test -t 1700000000
tap_is "$rc" 0 "--domain-keys: exit 0"
tap_is "$(grep -c '^DKIM-Signature:' "$tmp/out")" 3 \
	"one signature per .key file (other files ignored)"
tap_is "$(sig "$tmp/out" 0 s) $(sig "$tmp/out" 1 s) $(sig "$tmp/out" 2 s)" \
	"${e%.key} ${r%.key} extra" "selectors from the file names, in order"
tap_is "$(sig "$tmp/out" 0 d)" "example.test" "d= the domain"
TAMBO_CONFIG_DIR=$c "$D" --domain-keys EXAMPLE.test < "$M" >/dev/null 2>&1
tap_is "$?" 0 "TAMBO_CONFIG_DIR, and the domain in any case"
cp "$tmp/out" "$tmp/v/domain-keys.three.eml"
echo "junk" > "$kd/zzz.key"
run "$M" -C "$c" --domain-keys example.test
tap_is "$rc:$(wc -c < "$tmp/out")" 75:0 "--domain-keys with an invalid key file: 75, no output"
tap_like "$err" "file=$kd/zzz.key reason=\"not a PEM private key\"" \
	"... the log line names it"
rm -f "$kd/zzz.key"

# group tambo-dkim, in a private mount namespace with its own /etc/group
if unshare --mount true 2>/dev/null; then
	cp /etc/group "$tmp/group"
	echo "tambo-dkim:x:4242:" >> "$tmp/group"
	unshare --mount sh -c "mount --bind '$tmp/group' /etc/group &&
		'$T' -C '$c' dkim keygen example.test --type rsa --selector grp" \
		>/dev/null 2>&1
	tap_is "$(stat -c '%a %g' "$kd/grp.key" 2>&1) $(stat -c '%a %g' "$kd")" \
		"640 4242 750 4242" "with group tambo-dkim: keys 0640 and dkim/ 0750, both its"
else
	tap_skip "group tambo-dkim" "no unshare --mount"
fi

# --- a 100 MB message in flat memory ---------------------------------------
$PY - "$tmp/big.eml" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: a@example.test\r\nTo: b@example.net\r\nSubject: big\r\n"
            b"Date: Sun, 23 Nov 2025 10:00:00 +0000\r\n"
            b"Message-ID: <big@example.test>\r\n\r\n")
    line = b"The quick brown fox  jumps over\tthe lazy dog 0123456789 " * 17 + b"\r\n"
    block = line * 1000
    for _ in range(100 * 1024 * 1024 // len(block)):
        f.write(block)
PY
mkdir -p "$tmp/big"
limit=16384
[ -z "${TAMBO_SANITIZE:-}" ] || limit=65536	# ASan's shadow memory
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$tmp/rss.file" "$D" -d example.test -s r \
		-k "$tmp/rsa.key" < "$tmp/big.eml" > "$tmp/big/big.rsa.eml" 2>/dev/null
	st=$?
	cat "$tmp/big.eml" | /usr/bin/time -f %M -o "$tmp/rss.pipe" "$D" \
		"${K[@]}" > /dev/null 2>/dev/null
	rss_file=$(tail -1 "$tmp/rss.file") rss_pipe=$(tail -1 "$tmp/rss.pipe")
	echo "# 100 MB message: peak RSS ${rss_file} KiB from a file, ${rss_pipe} KiB from a pipe (limit $limit KiB)"
	tap_ok "$([ "$st" = 0 ] && [ "$rss_file" -lt "$limit" ]; echo $?)" \
		"100 MB from a file: exit 0, peak RSS $rss_file KiB < $limit KiB"
	tap_ok "$([ "$rss_pipe" -lt "$limit" ]; echo $?)" \
		"100 MB from a pipe (kept in a temporary file): peak RSS $rss_pipe KiB < $limit KiB"
else
	"$D" -d example.test -s r -k "$tmp/rsa.key" < "$tmp/big.eml" \
		> "$tmp/big/big.rsa.eml" 2>/dev/null
	tap_skip "peak RSS of a 100 MB message" "no /usr/bin/time (package time)"
	tap_skip "peak RSS from a pipe" "no /usr/bin/time (package time)"
fi
rm -f "$tmp/big.eml"

# --- the verifiers ----------------------------------------------------------
# The corpus and long lines, each with one key and one canonicalisation.
$PY - "$tmp/long-lines.eml" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: a@example.test\r\nTo: b@example.net\r\nSubject: long "
            b"lines\r\nDate: Sun, 23 Nov 2025 10:00:00 +0000\r\n"
            b"X-Long: " + b"h" * 1500 + b"\r\n\r\n")
    f.write(b"x" * 20000 + b"\r\n" + b"y  " * 4000 + b"\r\nshort\r\n")
PY
msgs=("$DATA"/corpus/*.eml "$tmp/long-lines.eml")
variants="rsa-relaxed:r:rsa.key:relaxed/relaxed ed-relaxed:e:ed.key:relaxed/relaxed
rsa-simple:r:rsa.key:simple/simple ed-simple:e:ed.key:simple/simple"
for m in "${msgs[@]}"; do
	name=$(basename "$m" .eml)
	for v in $variants; do
		IFS=: read -r tag sel key canon <<<"$v"
		"$D" -d example.test -s "$sel" -k "$tmp/$key" -c "$canon" < "$m" \
			> "$tmp/v/$name.$tag.eml" 2>/dev/null
	done
done
"$D" "${K[@]}" < "$DATA/corpus/folded.eml" > "$tmp/v/folded.both.eml" 2>/dev/null
# forgeries after signing: a body line and a header field changed
for m in crlf lf folded 8bit; do
	for tag in rsa-relaxed ed-relaxed rsa-simple ed-simple; do
		s=$tmp/v/$m.$tag.eml
		$PY - "$s" "$tmp/v/$m.$tag.forged-body.eml" \
			"$tmp/v/$m.$tag.forged-header.eml" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
eol = b"\r\n" if b"\r\n" in d[:200] else b"\n"
h, b = d.split(eol + eol, 1)
open(sys.argv[2], "wb").write(h + eol + eol + b.replace(b"e", b"E", 1))
h2 = h.replace(b"\nTo: Bob", b"\nTo: Mallory", 1)
assert h2 != h
open(sys.argv[3], "wb").write(h2 + eol + eol + b)
PY
	done
done
cp "$tmp/rfc8463.signed" "$tmp/v/rfc8463.both.eml"
# As the receivers get them: SMTP ends the last line before the final dot
# (dkimsign signs that form; tambo's spool already has it).
for f in "$tmp"/v/*.eml; do
	[ -z "$(tail -c 1 "$f")" ] || printf '\r\n' >> "$f"
done

# the DNS records
{
	echo "txt-record=r._domainkey.example.test,\"$("$D" --public-key "$tmp/rsa.key")\""
	echo "txt-record=e._domainkey.example.test,\"$("$D" --public-key "$tmp/ed.key")\""
	echo "txt-record=brisbane._domainkey.example.com,\"$("$D" --public-key "$tmp/rsa.key")\""
	echo "txt-record=brisbane._domainkey.football.example.com,\"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\""
	echo "txt-record=test._domainkey.football.example.com,\"$("$D" --public-key "$tmp/rfc8463-test.key" 2>/dev/null)\""
	for k in "$kd"/*.key; do
		s=$(basename "$k" .key)
		echo "txt-record=$s._domainkey.example.test,\"$("$D" --public-key "$k" 2>/dev/null)\""
	done
} > "$tmp/dnsmasq.conf"

cat > "$tmp/verify.sh" <<EOF
cd "$tmp/v" || exit 1
$PY "$HERE/dkim_verify.py" *.eml > "$tmp/py.out" 2>"$tmp/py.err"
perl "$HERE/dkim_verify.pl" *.eml > "$tmp/pl.out" 2>"$tmp/pl.err"
for f in *.eml; do
	case \$f in *.both.eml|*.three.eml) continue ;; esac
	opendkim-testmsg < "\$f" > /dev/null 2>>"$tmp/od.err"
	echo "\$f \$?"
done > "$tmp/od.out"
opendkim-testmsg < "$tmp/big/big.rsa.eml" > /dev/null 2>>"$tmp/od.err"
echo "big.rsa.eml \$?" >> "$tmp/od.out"
EOF
if ! command -v dnsmasq >/dev/null 2>&1 && [ ! -x /usr/sbin/dnsmasq ]; then
	echo "Bail out! dnsmasq missing (package dnsmasq-base)"
	exit 1
fi
if ! unshare --net --mount --pid --fork true 2>/dev/null; then
	tap_skip "the verifiers" "no network namespaces here (unshare needs root)"
	tap_done
	exit
fi
unshare --net --mount --pid --fork bash "$HERE/dkim_ns.sh" "$tmp" \
	bash "$tmp/verify.sh"
tap_is "$?" 0 "verifiers ran in a namespace with dnsmasq on 127.0.0.1:53"

pl_ed=$(grep -c 'ed25519-sha256 invalid_(unsupported_algorithm' "$tmp/pl.out")
pl_version=$(perl -MMail::DKIM -e 'print $Mail::DKIM::VERSION' 2>/dev/null)

# check FILE IDX WANT(pass|fail): each verifier's verdict
check() {
	local f=$1 i=$2 want=$3 got alg
	got=$(awk -v f="$f" -v i="$i" '$1 == f && $2 == i { print $3 }' "$tmp/py.out")
	tap_is "$got" "$want" "python3-dkim: $f #$i $want"
	got=$(awk -v f="$f" -v i="$i" '$1 == f && $2 == i { print $3 }' "$tmp/pl.out")
	alg=$(awk -v f="$f" -v i="$i" '$1 == f && $2 == i { print $4 }' "$tmp/pl.out")
	if [ "$alg" = ed25519-sha256 ] && [ "$got" = invalid ] && [ "$pl_ed" -gt 0 ]; then
		tap_skip "Mail::DKIM: $f #$i" "Mail::DKIM $pl_version has no Ed25519"
	else
		[ "$want" = pass ] || [ "$got" = pass ] || got=fail
		tap_is "$got" "$want" "Mail::DKIM: $f #$i $want"
	fi
}
check_od() {	# FILE WANT
	local got
	got=$(awk -v f="$1" '$1 == f { print $2 }' "$tmp/od.out")
	case $1 in
	no-separator.*-simple.eml)
		tap_skip "opendkim-testmsg: $1" "a message without a body, simple: opendkim-testmsg differs from python3-dkim and Mail::DKIM"
		return ;;
	esac
	if [ "$2" = pass ]; then
		tap_is "$got" 0 "opendkim-testmsg: $1 passes"
	else
		tap_ok "$([ -n "$got" ] && [ "$got" != 0 ]; echo $?)" \
			"opendkim-testmsg: $1 fails (exit $got)"
	fi
}

for f in $(cd "$tmp/v" && ls *.eml); do
	case $f in
	*.forged-*)
		check "$f" 0 fail
		check_od "$f" fail ;;
	*.both.eml)
		check "$f" 0 pass
		check "$f" 1 pass ;;
	*.three.eml)
		check "$f" 0 pass
		check "$f" 1 pass
		check "$f" 2 pass ;;
	*)
		check "$f" 0 pass
		check_od "$f" pass ;;
	esac
done
check_od big.rsa.eml pass
# diagnostics for failures
if [ "$_tap_fail" -gt 0 ]; then
	sed 's/^/# py: /' "$tmp/py.err" | head -20
	sed 's/^/# pl: /' "$tmp/pl.err" | head -20
	sed 's/^/# od: /' "$tmp/od.err" | head -20
fi
tap_done
