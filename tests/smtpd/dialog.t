#!/bin/bash
# SMTP dialog scripts (tests/smtpd/dialogs/*.dialog) against the handler on
# a socketpair: replies, enhanced codes, queue contents, log lines.
. "$(dirname "$0")/../lib/common.sh"
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
make_instance "$tmp/conf" || { echo "Bail out! cannot make an instance"; exit 1; }
$PY "$TOP/tests/lib/dialog.py" "$B/libexec/tambo/smtpd" "$tmp/conf" \
	"$TOP/tests/smtpd/dialogs"
