#!/bin/bash
# fullfs.t — the spool on a tiny tmpfs that fills up: the sender is told
# "452 4.3.1" (try later), the queue is left as it was, tmp/ is cleaned, and
# mail flows again once there is room.
#
# Needs root (mount); otherwise it skips.
. "$(dirname "$0")/../lib/common.sh"

[ "$(id -u)" = 0 ] || tap_skip_all "needs root to mount a tmpfs"
command -v systemd-socket-activate >/dev/null 2>&1 ||
	tap_skip_all "no systemd-socket-activate"

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
m=$tmp/m
mkdir "$m"
mount -t tmpfs -o size=512k,mode=0750 tmpfs "$m" 2>/dev/null ||
	tap_skip_all "cannot mount a tmpfs"
# Runs after the handlers are stopped (at_exit runs in reverse order).
at_exit "umount $m || umount -l $m"

c=$tmp/c
make_instance "$c" || { echo "Bail out! instance"; exit 1; }
sed -i "s|^spool = .*|spool = $m|" "$c/tambo.conf"
mkdir -m 0750 "$m/tmp" "$m/queue"
port=$(free_port)
start_smtpd "$c" "$port" mx || { echo "Bail out! server"; exit 1; }

# send.py PORT SIZE: one message of about SIZE octets to alice; prints
# "CODE TEXT" of the reply that ended the transaction (DATA's or the dot's).
cat > "$tmp/send.py" <<'PY'
import smtplib, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
body = b"From: a@other.example\r\nTo: alice@example.test\r\nSubject: fill\r\n\r\n"
line = b"x" * 70 + b"\r\n"
body += line * max(1, size // len(line))
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=15)
s.ehlo()
s.mail("a@other.example")
s.rcpt("alice@example.test")
try:
    code, msg = s.data(body)
except smtplib.SMTPDataError as e:
    code, msg = e.smtp_code, e.smtp_error
print(code, msg.decode())
try:
    s.quit()
except smtplib.SMTPException:
    pass
PY
send() { $PY "$tmp/send.py" "$port" "$1" 2>&1; }

queued='^250 2\.0\.0 Ok: queued as [0-9A-F]{18}$'
full='^452 4\.3\.1 '

spool_sums() { (cd "$m/queue" && sha256sum -- *); }
spool_tmp() { find "$m/tmp" -mindepth 1 | wc -l; }
# queue_count looks in $c/spool: this spool is elsewhere
spool_queued() { find "$m/queue" -maxdepth 1 -type f -regex '.*/[0-9A-F]*' | wc -l; }

fill() {	# leave about $1 octets free (0: fill up to ENOSPC)
	local avail
	if [ "$1" -eq 0 ]; then
		dd if=/dev/zero of="$m/filler" bs=4k 2>/dev/null
		# dd fails at ENOSPC, as it should
		return 0
	fi
	avail=$(stat -f -c '%a*%S' "$m")
	avail=$((avail - $1))
	[ "$avail" -gt 0 ] || return 1
	head -c "$avail" /dev/zero > "$m/filler"
}

# --- three messages while there is room -----------------------------------
for i in 1 2 3; do
	tap_like "$(send 10000)" "$queued" "message $i queued"
done
tap_is "$(spool_queued)" 3 "3 messages in the queue"
before=$(spool_sums)
list_before=$("$B/bin/tambo" -C "$c" queue list)

# --- the disk is full ------------------------------------------------------
fill 0
free=$(stat -f -c '%a' "$m")
tap_is "$free" 0 "the file system is full (0 blocks free)"
out=$(send 2000)
tap_like "$out" "$full" "a message on a full disk gets 452 4.3.1"
tap_is "$(spool_queued)" 3 "nothing new in queue/"
tap_is "$(spool_tmp)" 0 "tmp/ is empty"
tap_is "$(spool_sums)" "$before" "the 3 earlier messages are unchanged (sha256)"
list=$("$B/bin/tambo" -C "$c" queue list)
tap_is "$list" "$list_before" "queue list shows the same 3 messages"
tap_is "$(printf '%s\n' "$list" | grep -c .)" 3 "queue list has 3 lines"
tap_like "$(grep 'event=error' "$c/smtpd.log")" 'No space left on device' \
	"the handler logged the ENOSPC error"

# --- room again ------------------------------------------------------------
rm -f "$m/filler"
tap_like "$(send 2000)" "$queued" "after removing the filler, a message is queued"
tap_is "$(spool_queued)" 4 "4 messages in the queue"
tap_is "$(spool_tmp)" 0 "tmp/ is empty"
before=$(spool_sums)

# --- the disk fills up in the middle of DATA ------------------------------
fill 102400
tap_ok $? "about 100 KiB left free"
out=$(send 307200)
tap_like "$out" "$full" "a 300 KiB message with 100 KiB free gets 452 4.3.1"
tap_is "$(spool_queued)" 4 "nothing new in queue/"
tap_is "$(spool_tmp)" 0 "tmp/ is empty"
tap_is "$(spool_sums)" "$before" "the earlier messages are unchanged (sha256)"
tap_is "$("$B/bin/tambo" -C "$c" queue list | grep -c .)" 4 "queue list shows 4 messages"

rm -f "$m/filler"
tap_like "$(send 307200)" "$queued" "with room again, the 300 KiB message is queued"
tap_is "$(spool_queued)" 5 "5 messages in the queue"
tap_is "$(spool_tmp)" 0 "tmp/ is empty"

tap_done
