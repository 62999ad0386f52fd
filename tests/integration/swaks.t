#!/bin/bash
# swaks.t — swaks and Postfix's smtp-source as clients of the port-25
# handler: pipelining, a large attachment, mixed good and bad recipients,
# relaying refused, plain SMTP (HELO), and 50 messages over 10 parallel
# connections.
. "$(dirname "$0")/../lib/common.sh"

for p in systemd-socket-activate swaks ss; do
	command -v "$p" >/dev/null 2>&1 || tap_skip_all "no $p"
done

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
c=$tmp/c
make_instance "$c" || { echo "Bail out! instance"; exit 1; }
port=$(free_port)
start_smtpd "$c" "$port" mx || { echo "Bail out! server"; exit 1; }

sw() {	# swaks against our server; sets out and rc
	out=$(swaks --server 127.0.0.1 --port "$port" --helo client.example \
		--from a@other.example "$@" 2>&1)
	rc=$?
}
queued_id() { printf '%s\n' "$out" | grep -Eo 'queued as [0-9A-F]{18}' |
	grep -Eo '[0-9A-F]{18}'; }
list_line() { "$B/bin/tambo" -C "$c" queue list | grep "^$1 "; }

# --- pipelining -------------------------------------------------------------------
sw --pipeline --to alice@example.test,bob@example.test
tap_is "$rc" 0 "--pipeline: swaks exits 0"
# swaks sends MAIL, RCPT, RCPT, DATA as one group, then reads the replies.
order=$(printf '%s\n' "$out" | grep -E '^ -> (MAIL|RCPT|DATA)|^<- +(250 2\.1|354)' |
	sed -E 's/^ -> ([A-Z]+).*/\1/; s/^<- +([0-9]{3}).*/\1/' | tr '\n' ' ')
tap_is "$order" "MAIL RCPT RCPT DATA 250 250 250 354 " \
	"--pipeline: the commands went out as one group before the replies"
tap_like "$out" '<- +250 2\.0\.0 Ok: queued as [0-9A-F]{18}' "--pipeline: 250 queued"
id=$(queued_id)
tap_like "$(list_line "$id")" '<a@other\.example> <alice@example\.test> <bob@example\.test>$' \
	"--pipeline: queued for both recipients"
tap_is "$(queue_count "$c")" 1 "queue holds 1 message"

# --- a 5 MB attachment ---------------------------------------------------------------
head -c 5242880 /dev/urandom > "$tmp/big.bin"
sw --to alice@example.test --attach-type application/octet-stream \
	--attach @"$tmp/big.bin" --suppress-data
tap_is "$rc" 0 "5 MiB attachment: swaks exits 0"
tap_like "$out" '<- +250 2\.0\.0 Ok: queued as [0-9A-F]{18}' "5 MiB attachment: 250 queued"
id=$(queued_id)
size=$(list_line "$id" | awk '{print $2}')
tap_ok "$(test "${size:-0}" -ge 5242880; echo $?)" \
	"queue list size $size >= 5 MiB"
$PY - "$c/spool/queue/$id" "$tmp/big.bin" <<'PY'
import email, email.policy, sys
d = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(d[d.index(b"\n\n") + 2:], policy=email.policy.default)
want = open(sys.argv[2], "rb").read()
got = [p.get_content() for p in m.iter_attachments()]
sys.exit(0 if want in got else 1)
PY
tap_ok $? "the attachment decoded from the queue file is the file sent"
tap_is "$(queue_count "$c")" 2 "queue holds 2 messages"

# --- several recipients, one unknown ------------------------------------------------
sw --to alice@example.test,nobody@example.test,bob@example.test
tap_is "$rc" 0 "one unknown recipient among three: swaks exits 0 (some RCPT accepted)"
tap_like "$out" '<\*\* +550 5\.1\.1 ' "swaks reports 550 5.1.1 for the unknown one"
tap_like "$out" '<- +250 2\.0\.0 Ok: queued as ' "the message is queued"
id=$(queued_id)
tap_like "$(list_line "$id")" '<a@other\.example> <alice@example\.test> <bob@example\.test>$' \
	"queued for the two known recipients only"

# --- relaying -------------------------------------------------------------------------------
n=$(queue_count "$c")
sw --to x@gmail.com
tap_is "$rc" 24 "relay attempt: swaks exits 24 (no RCPTs accepted)"
tap_like "$out" '<\*\* +554 5\.7\.1 ' "relay attempt: 554 5.7.1"
tap_is "$(queue_count "$c")" "$n" "relay attempt: nothing queued"
sw --to alice@example.test,x@gmail.com
tap_like "$out" '<\*\* +554 5\.7\.1 ' "relay recipient among local ones: 554 5.7.1"
id=$(queued_id)
tap_like "$(list_line "$id")" '<a@other\.example> <alice@example\.test>$' \
	"only the local recipient is queued"

# --- plain SMTP ---------------------------------------------------------------------------
sw --protocol SMTP --to alice@example.test
tap_is "$rc" 0 "--protocol SMTP: swaks exits 0"
tap_like "$out" '^ -> HELO client\.example' "--protocol SMTP: HELO sent"
tap_like "$out" '<- +250 2\.0\.0 Ok: queued as ' "--protocol SMTP: queued"
id=$(queued_id)
tap_like "$(grep '^protocol ' "$c/spool/queue/$id")" '^protocol SMTP$' \
	"--protocol SMTP: envelope says protocol SMTP"
tap_like "$(cat "$c/spool/queue/$id")" 'with SMTP id '"$id" "Received: says with SMTP"
tap_is "$(tmp_count "$c")" 0 "spool/tmp is empty"
tap_is "$(grep -c 'event=error' "$c/smtpd.log")" 0 "no event=error in the log"

# --- 50 messages over 10 parallel connections (smtp-source) ---------------------------------
if command -v smtp-source >/dev/null 2>&1; then
	d=$tmp/load
	make_instance "$d" || { echo "Bail out! instance"; exit 1; }
	lport=$(free_port)
	start_smtpd "$d" "$lport" mx || { echo "Bail out! server"; exit 1; }
	timeout 60 smtp-source -s 10 -m 50 -l 4096 -M client.example \
		-f a@other.example -t alice@example.test "127.0.0.1:$lport" \
		>"$tmp/source.out" 2>&1
	tap_is "$?" 0 "smtp-source exits 0"
	tap_is "$(queue_count "$d")" 50 "queue holds exactly 50"
	tap_is "$(tmp_count "$d")" 0 "spool/tmp is empty"
	tap_is "$(grep -c 'event=queued' "$d/smtpd.log")" 50 "50 event=queued lines"
	tap_is "$(grep -c 'event=error' "$d/smtpd.log")" 0 "no event=error"
	tap_is "$(grep -c 'event=connect' "$d/smtpd.log")" 50 "50 connections"
	tap_is "$(grep -c 'event=disconnect reason=quit messages=1 errors=0' "$d/smtpd.log")" 50 \
		"50 sessions ended with QUIT, one message each, no errors"
	list=$("$B/bin/tambo" -C "$d" queue list)
	tap_is "$(printf '%s\n' "$list" |
		awk '$2 >= 4096 && $3 == "<a@other.example>" && $4 == "<alice@example.test>" && NF == 4' |
		wc -l)" 50 "queue list: 50 messages of >= 4096 octets from a@ to alice@"
else
	for i in $(seq 8); do tap_ok 0 "smtp-source check $i # SKIP no smtp-source"; done
fi

tap_done
