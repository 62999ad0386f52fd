#!/bin/bash
# Python's smtplib as the client, through systemd-socket-activate.
. "$(dirname "$0")/../lib/common.sh"
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
make_instance "$tmp/c" || { echo "Bail out! instance"; exit 1; }
port=$(free_port)
start_smtpd "$tmp/c" "$port" mx || { echo "Bail out! server"; exit 1; }
$PY "$TOP/tests/integration/smtplib_client.py" "$port" "$tmp/c"
