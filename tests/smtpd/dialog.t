#!/bin/bash
# SMTP dialog scripts (tests/smtpd/dialogs/*.dialog) against the handler on
# a socketpair: replies, enhanced codes, queue contents, log lines.
. "$(dirname "$0")/../lib/common.sh"
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
make_instance "$tmp/conf" || { echo "Bail out! cannot make an instance"; exit 1; }
# a known SRS key, so that the forged SRS addresses of srs-*.dialog stay so
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
	> "$tmp/conf/state/srs.key"
$PY "$TOP/tests/lib/dialog.py" "$B/libexec/tambo/smtpd" "$tmp/conf" \
	"$TOP/tests/smtpd/dialogs"
