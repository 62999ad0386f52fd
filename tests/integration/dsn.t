#!/bin/bash
# Delivery status notifications (RFC 3464, RFC 6522, RFC 6533) as the dsn
# module builds them: the unit test writes each case's report, original
# and expectations to a directory, and dsn_check.py reads them back with
# Python's email package and checks structure, fields and line limits.
. "$(dirname "$0")/../lib/common.sh"
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
[ -x "$B/tests/unit/dsn" ] || { echo "Bail out! $B/tests/unit/dsn not built"; exit 1; }
if ! DSN_DUMP_DIR=$tmp "$B/tests/unit/dsn" >"$tmp/unit.tap" 2>&1; then
	echo "Bail out! tests/unit/dsn failed:"
	grep -v '^ok' "$tmp/unit.tap" | head -20 | sed 's/^/# /'
	exit 1
fi
exec $PY "$TOP/tests/integration/dsn_check.py" "$tmp"
