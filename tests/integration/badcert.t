#!/bin/bash
# A broken certificate: STARTTLS answers 454 4.7.0, the log names the file
# and the reason, and the session goes on in plaintext.
. "$(dirname "$0")/../lib/common.sh"
[ -f "$B/libexec/tambo/tls.so" ] || tap_skip_all "no TLS plugin built"
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
"$B/bin/tambo" -C "$tmp/c" init example.test --hostname mx.example.test \
	>/dev/null || { echo "Bail out! instance"; exit 1; }
mkdir -p "$tmp/c/certs/mx.example.test" "$tmp/c/certs/other.example"
echo "not a certificate" > "$tmp/c/certs/mx.example.test/fullchain.pem"
echo "not a key" > "$tmp/c/certs/mx.example.test/privkey.pem"
cat > "$tmp/broken.dialog" <<'DIALOG'
# title: broken and missing certificates
ARGS: --mode submission
C: EHLO client.example
SALL: 250-STARTTLS
C: STARTTLS
S: 454 4\.7\.0
C: NOOP
S: 250 2\.0\.0
C: MAIL FROM:<alice@example.test>
S: 530 5\.7\.0
LOG: event=error what="no usable TLS certificate"
LOG: mx\.example\.test/(fullchain|privkey)\.pem
LOG: other\.example/(fullchain|privkey)\.pem
DIALOG
exec $PY "$TOP/tests/lib/dialog.py" "$B/libexec/tambo/smtpd" "$tmp/c" \
	"$tmp/broken.dialog"
