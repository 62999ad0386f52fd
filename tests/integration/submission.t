#!/bin/bash
# Submission on 587 (STARTTLS) and 465 (implicit TLS) with AUTH: Python's
# smtplib/ssl and gnutls-cli as clients, certificates made by mkcerts.sh.
. "$(dirname "$0")/../lib/common.sh"
command -v certtool >/dev/null || tap_skip_all "certtool (gnutls-bin) missing"
[ -f "$B/libexec/tambo/tls.so" ] || tap_skip_all "no TLS plugin built"
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
make_instance "$tmp/c" || { echo "Bail out! instance"; exit 1; }
sh "$TOP/tests/lib/mkcerts.sh" "$tmp/pki" || { echo "Bail out! certs"; exit 1; }
cp -r "$tmp/pki/certs" "$tmp/c/certs"
# quick throttling for the test: deny after 10, wait at most 1 s
printf 'auth_max_delay = 1\n' >> "$tmp/c/tambo.conf"
p587=$(free_port)
p465=$(free_port)
start_smtpd "$tmp/c" "$p587" submission || { echo "Bail out! 587"; exit 1; }
start_smtpd "$tmp/c" "$p465" submissions || { echo "Bail out! 465"; exit 1; }
$PY "$TOP/tests/integration/submission_client.py" "$p587" "$p465" \
	"$tmp/c" "$tmp/pki"
