#!/bin/bash
# sendmail.t — bin/sendmail (and mailq) against `smtpd --mode local` on a
# Unix socket served by systemd-socket-activate, as tambo-local.socket
# does it: -t, -f, -F, -i, recipients on the command line, header fields
# added when missing, Bcc: removed, DSN options, exit codes with the
# server's reply on stderr, an ordinary user (nobody) who gets their own
# sender and is refused another, -bs, mailq and -q, and the fallback that
# writes the spool directly when no server listens (tambo-sendmail(8)).
. "$(dirname "$0")/../lib/common.sh"

for p in systemd-socket-activate setpriv; do
	command -v "$p" >/dev/null 2>&1 || tap_skip_all "no $p"
done
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (runs as nobody too)"
[ -x "$B/bin/sendmail" ] || tap_skip_all "not built: $B/bin/sendmail"

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
unset TAMBO_CONFIG_DIR
c=$tmp/c
make_instance "$c" || { echo "Bail out! instance"; exit 1; }
sock=$tmp/local.sock
echo "local_socket = $sock" >> "$c/tambo.conf"
# nobody must reach the socket and read tambo.conf to find it
chmod 0755 "$tmp" "$c"
chmod 0644 "$c/tambo.conf"
SM=$B/bin/sendmail
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"

start_local() {
	rm -f "$sock"
	systemd-socket-activate -l "$sock" -a --inetd \
		"$B/libexec/tambo/smtpd" -C "$c" --mode local \
		</dev/null >/dev/null 2>>"$tmp/smtpd.log" &
	sapid=$!
	at_exit "kill $sapid"
	for _ in $(seq 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	chmod 0666 "$sock"	# SocketMode=0666 in tambo-local.socket
}

# sm INPUT ARGS...: run sendmail as root; sets rc, out, err
sm() {
	local in=$1
	shift
	out=$(printf '%b' "$in" | "$SM" -C "$c" "$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
	cat "$tmp/err" >> "$tmp/allerr"
}
# sm_nobody INPUT ARGS...: the same as user nobody
sm_nobody() {
	local in=$1
	shift
	out=$(printf '%b' "$in" | $NOBODY "$SM" -C "$c" "$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
	cat "$tmp/err" >> "$tmp/allerr"
}
# tap_has TEXT STRING NAME: STRING (which may span lines) is in TEXT
tap_has() {
	local text=$1 want=$2
	shift 2
	if [[ $text == *"$want"* ]]; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$*"
		printf '%s\n' "$text" | head -20 | sed 's/^/#     /'
	fi
}
last_id() { "$B/bin/tambo" -C "$c" queue list | tail -1 | cut -d' ' -f1; }
envelope() { sed -n '1,/^$/p' "$c/spool/queue/$1"; }
message() { sed '1,/^$/d' "$c/spool/queue/$1" | tr -d '\r'; }
# the handler logs after sendmail has its reply: wait for a line
wait_log() {
	for _ in $(seq 100); do
		grep -Eq -- "$1" "$tmp/smtpd.log" && return 0
		sleep 0.05
	done
	return 1
}

start_local
tap_ok "$(test -S "$sock"; echo $?)" "smtpd --mode local listens on $sock"

# --- -t: recipients from the header, Bcc: removed, fields added ----------
sm 'Subject: report\nTo: Bob <bob@example.test>, carol@remote.example\nCc: "Doe, J" <jd@remote.example>\nBcc: hidden@remote.example\n\nall is well\n' -t
tap_is "$rc" 0 "-t: exit 0"
tap_is "$err$out" "" "-t: silent on success"
id=$(last_id)
tap_like "$("$B/bin/tambo" -C "$c" queue list | tail -1)" \
	"^$id [0-9]+ <root@mx\\.example\\.test> <bob@example\\.test> <carol@remote\\.example> <jd@remote\\.example> <hidden@remote\\.example>\$" \
	"-t: envelope from root@hostname to To, Cc and Bcc addresses"
msg=$(message "$id")
tap_like "$msg" '^Received: from local user root \(uid 0\)$' \
	"Received: names the local user"
tap_ok "$(printf '%s\n' "$msg" | grep -qi '^Bcc:\|hidden@'; test $? = 1; echo $?)" \
	"Bcc: is removed from the message"
tap_like "$msg" '^From: root <root@mx\.example\.test>$' \
	"From: added (GECOS name, login@hostname)"
tap_like "$msg" '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [+-][0-9]{4}$' \
	"Date: added in RFC 5322 form"
tap_like "$msg" '^Message-ID: <[0-9]{14}\.[0-9A-F]{16}@mx\.example\.test>$' \
	"Message-ID: added with the host name"
tap_has "$msg" $'\nSubject: report\nTo: Bob <bob@example.test>, carol@remote.example\nCc: "Doe, J" <jd@remote.example>\nFrom: ' \
	"the header fields given are kept, in order, before those added"
tap_like "$(sed '1,/^$/d' "$c/spool/queue/$id" | tail -c 14 | od -c | tr -s ' ')" \
	'w e l l \\r \\n' "stored with CRLF line ends"
wait_log "event=queued id=$id"
tap_like "$(cat "$tmp/smtpd.log")" 'event=local user=root uid=0 privileged=1' \
	"the handler logs the local user"

# --- -f, command-line recipients, fields kept, -F ---------------------------
sm 'From: Ops <ops@example.test>\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <given@example.test>\nSubject: x\n\nbody\n' \
	-f daemon@other.example 'alice@example.test, Bob <bob@example.test>' root
tap_is "$rc" 0 "-f and recipient arguments: exit 0"
id=$(last_id)
env=$(envelope "$id")
tap_like "$env" '^from <daemon@other\.example>$' "-f sets the envelope sender"
tap_has "$env" $'rcpt notify=- orcpt=- <alice@example.test>\nrcpt notify=- orcpt=- <bob@example.test>\nrcpt notify=- orcpt=- <root@mx.example.test>' \
	"comma-separated arguments; a bare name gets @hostname"
msg=$(message "$id")
tap_is "$(printf '%s\n' "$msg" | grep -c '^From:\|^Date:\|^Message-ID:')" 3 \
	"From:, Date: and Message-ID: given are not added again"
tap_like "$msg" '^Message-ID: <given@example\.test>$' "the given Message-ID: stays"

sm 'Subject: cron\n\nout\n' -FCronDaemon -i -B8BITMIME -oem -odi alice
tap_is "$rc" 0 "cron's options (-FCronDaemon -i -B8BITMIME -oem -odi): exit 0"
id=$(last_id)
tap_like "$(message "$id")" '^From: CronDaemon <root@mx\.example\.test>$' \
	"-F gives the From: name"
tap_like "$(envelope "$id")" '^body 8BITMIME$' "-B8BITMIME sets BODY=8BITMIME"

sm 'Subject: name\n\nx\n' -F $'J\xc3\xb6rg "the" Admin' -f '<>' alice@example.test
id=$(last_id)
tap_like "$(message "$id")" '^From: =\?UTF-8\?B\?SsO2cmcgInRoZSIgQWRtaW4=\?= <root@mx\.example\.test>$' \
	"a UTF-8 name is an RFC 2047 encoded-word; -f '<>' gives From: login@host"
tap_like "$(envelope "$id")" '^from <>$' "-f '<>' is the null sender (root may)"
sm 'Subject: q\n\nx\n' -F 'Doe, John' alice@example.test
tap_like "$(message "$(last_id)")" '^From: "Doe, John" <root@mx\.example\.test>$' \
	"a name with specials is quoted"

# --- the lone dot ----------------------------------------------------------
sm 'Subject: dots\n\none\n.\n..two\n.three\nlast\n' -i alice@example.test
tap_is "$rc" 0 "-i: exit 0"
tap_has "$(message "$(last_id)")" $'\n\none\n.\n..two\n.three\nlast' \
	"-i: a lone dot and leading dots are message text"
sm 'Subject: dots\n\none\n.\nnot sent\n' alice@example.test
tap_is "$rc" 0 "no -i: exit 0"
msg=$(message "$(last_id)")
tap_has "$msg" $'\n\none' "no -i: a lone dot ends the message"
tap_ok "$(printf '%s\n' "$msg" | grep -q 'not sent'; test $? = 1; echo $?)" \
	"no -i: what follows the dot is not sent"
sm 'Subject: dots\n\n.leading\n' -oi alice@example.test
tap_has "$(message "$(last_id)")" $'\n\n.leading' "-oi: a leading dot stays single"
sm 'no header at all\nsecond\n' alice@example.test
msg=$(message "$(last_id)")
tap_has "$msg" $'@mx.example.test>\n\nno header at all\nsecond' \
	"input without a header: fields added, then an empty line, then the text"

sm 'From sender@host Mon Jan  1 00:00:00 2024\nSubject: mbox\nBcc: a@remote.example,\n  b@remote.example\nTo: alice@example.test\n\nx\n' -t
tap_is "$rc" 0 "a leading mbox From_ line and a folded Bcc:: exit 0"
id=$(last_id)
msg=$(message "$id")
tap_ok "$(printf '%s\n' "$msg" | grep -q 'From sender@host\|Bcc\|remote\.example'; test $? = 1; echo $?)" \
	"the From_ line and the whole folded Bcc: are gone"
tap_like "$(envelope "$id")" '<b@remote\.example>$' "the folded Bcc:'s second address is a recipient"
sm 'Subject: utf8\n\nx\n' $'j\xc3\xb6rg@remote.example'
tap_is "$rc" 0 "a UTF-8 recipient: exit 0"
tap_like "$(envelope "$(last_id)")" '^smtputf8 yes$' "a UTF-8 recipient: SMTPUTF8"
cp "$c/tambo.conf" "$tmp/tambo.conf.saved"
echo "max_message_size = 1024" >> "$c/tambo.conf"
n=$(queue_count "$c")
sm "Subject: big\n\n$(head -c 1200 /dev/zero | tr '\0' x)\n" alice@example.test
tap_is "$rc" 65 "an input over max_message_size: exit 65"
tap_like "$err" 'message too big' "said so"
tap_is "$(queue_count "$c")" "$n" "nothing queued"
cp "$tmp/tambo.conf.saved" "$c/tambo.conf"

# --- DSN options -------------------------------------------------------------
sm 'Subject: dsn\n\nx\n' -N failure,delay -R hdrs -V 'job 42' alice@example.test
tap_is "$rc" 0 "-N -R -V: exit 0"
env=$(envelope "$(last_id)")
tap_like "$env" '^ret HDRS$' "-R hdrs: RET=HDRS"
tap_like "$env" '^envid job\+2042$' "-V: ENVID as xtext"
tap_like "$env" '^rcpt notify=FAILURE,DELAY ' "-N: NOTIFY on each recipient"
sm 'x\n' -N sometimes alice@example.test
tap_is "$rc" 64 "-N with a bad value: exit 64 (EX_USAGE)"

# --- refusals and exit codes ------------------------------------------------
sm 'Subject: two\n\nx\n' alice@example.test nosuch@example.test
tap_is "$rc" 67 "a recipient refused with 5xx: exit 67 (EX_NOUSER)"
tap_like "$err" '^sendmail: <nosuch@example\.test>: 550 5\.1\.1 No such user here$' \
	"the server's reply on stderr"
tap_like "$("$B/bin/tambo" -C "$c" queue list | tail -1)" '<alice@example\.test>$' \
	"the accepted recipient still gets the message"
sm 'Subject: bare\n\na\rb\n' alice@example.test
tap_is "$rc" 65 "a message the server refuses (bare CR): exit 65 (EX_DATAERR)"
tap_like "$err" '554 5\.6\.0' "with the 554 reply on stderr"
sm 'x\n'
tap_is "$rc" 64 "no recipients: exit 64"
sm 'Subject: t\n\nx\n' -t
tap_is "$rc" 64 "-t without To:, Cc: or Bcc:: exit 64"
sm 'x\n' 'not an address@'
tap_is "$rc" 65 "a bad recipient address: exit 65"
sm 'x\n' -k alice@example.test
tap_is "$rc" 64 "an unknown option: exit 64"
sm '' -bi
tap_is "$rc" 0 "-bi (newaliases): nothing to do, exit 0"

# --- an ordinary user ---------------------------------------------------------
sm_nobody 'Subject: from nobody\n\nhi\n' alice@example.test
tap_is "$rc" 0 "nobody: exit 0"
id=$(last_id)
tap_like "$(envelope "$id")" '^from <nobody@mx\.example\.test>$' \
	"nobody's envelope sender is nobody@hostname"
tap_like "$(envelope "$id")" '^auth nobody$' "the envelope names the local user"
tap_like "$(message "$id")" '^Received: from local user nobody \(uid 65534\)$' \
	"Received: from local user nobody (uid 65534)"
wait_log "event=local user=nobody uid=65534 privileged=0"
tap_ok $? "log: event=local user=nobody uid=65534 privileged=0"
n=$(queue_count "$c")
sm_nobody 'Subject: forged\n\nhi\n' -f root@mx.example.test alice@example.test
tap_is "$rc" 69 "nobody with -f root@hostname: exit 69 (EX_UNAVAILABLE)"
tap_like "$err" '^sendmail: MAIL FROM:<root@mx\.example\.test>: 550 5\.7\.1 ' \
	"refused with 550 5.7.1, on stderr"
tap_is "$(queue_count "$c")" "$n" "nothing queued"
sm_nobody 'Subject: null\n\nhi\n' -f '<>' alice@example.test
tap_is "$rc" 69 "nobody with -f '<>': refused"
sm_nobody 'Subject: own\n\nhi\n' -f Nobody+cron@example.test alice@example.test
tap_is "$rc" 0 "nobody as nobody+cron@<a local domain>: accepted"
sm_nobody 'To: someone@remote.example\n\nhi\n' -t
tap_is "$rc" 0 "nobody may send to remote addresses"

# --- -bs ---------------------------------------------------------------------
out=$(printf 'EHLO localhost\r\nMAIL FROM:<root@mx.example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: bs\r\n\r\nbody\r\n.\r\nQUIT\r\n' |
	"$SM" -C "$c" -bs 2>"$tmp/err")
rc=$?
tap_is "$rc" 0 "-bs: exit 0"
tap_like "$out" $'^220 mx\\.example\\.test ESMTP tambo\r$' "-bs: the server's greeting"
tap_like "$out" '^250 2\.0\.0 Ok: queued as [0-9A-F]{18}' "-bs: the message is queued"
tap_like "$out" '^221 2\.0\.0' "-bs: QUIT answered"

# --- mailq and -q --------------------------------------------------------------
# On an instance of its own with an empty queue: a flush there does nothing.
c2=$tmp/c2
make_instance "$c2" || { echo "Bail out! instance 2"; exit 1; }
mkdir "$tmp/bin"
ln -s "$SM" "$tmp/bin/mailq"
want=$("$B/bin/tambo" -C "$c2" queue mailq 2>&1)
wantrc=$?
got=$("$tmp/bin/mailq" -C "$c2" 2>&1)
tap_is "$?" "$wantrc" "mailq (a symlink to sendmail) exits as tambo queue mailq"
tap_is "$got" "$want" "mailq prints what tambo queue mailq prints"
got=$("$SM" -C "$c2" -bp 2>&1)
tap_is "$got" "$want" "sendmail -bp is mailq"
want=$("$B/bin/tambo" -C "$c2" queue flush 2>&1)
wantrc=$?
got=$("$SM" -C "$c2" -q 2>&1)
tap_is "$?" "$wantrc" "sendmail -q exits as tambo queue flush"
tap_is "$got" "$want" "sendmail -q prints what tambo queue flush prints"

# --- no server: the spool written directly -------------------------------------
kill "$sapid"
wait "$sapid" 2>/dev/null
rm -f "$sock"
n=$(queue_count "$c")
sm 'Subject: direct\n\nno server\n' alice@example.test nosuch@example.test
tap_is "$rc" 67 "no socket, root: the unknown recipient gives exit 67"
tap_is "$(queue_count "$c")" $((n + 1)) "no socket, root: the message is in the queue"
id=$(last_id)
env=$(envelope "$id")
tap_like "$env" '^protocol local$' "written directly: protocol local"
tap_like "$env" '^from <root@mx\.example\.test>$' "written directly: from root@hostname"
tap_like "$env" '^rcpt notify=- orcpt=- <alice@example\.test>$' \
	"written directly: the known recipient"
tap_ok "$(envelope "$id" | grep -q nosuch; test $? = 1; echo $?)" \
	"written directly: not the unknown one"
msg=$(message "$id")
tap_has "$msg" "Received: by mx.example.test (tambo) with local id $id" \
	"written directly: Received: with local"
tap_like "$msg" '^Message-ID: <[0-9.A-F]+@mx\.example\.test>$' \
	"written directly: Message-ID added"
tap_is "$(tmp_count "$c")" 0 "nothing left in spool/tmp"
sm_nobody 'x\n' alice@example.test
tap_is "$rc" 75 "no socket, nobody (cannot write the spool): exit 75"
tap_like "$err" 'cannot reach the mail server at .*local\.sock.*not sent' \
	"with a clear message"
tap_is "$(queue_count "$c")" $((n + 1)) "and nothing queued"
out=$(printf 'QUIT\r\n' | "$SM" -C "$c" -bs 2>/dev/null)
tap_is "$?" 75 "-bs without a server: exit 75"
tap_like "$out" '^421 4\.3\.0 ' "-bs without a server: a 421 greeting"

if grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/smtpd.log" "$tmp/allerr"; then
	tap_ok 1 "no sanitizer report"
	grep -E -A5 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/smtpd.log" "$tmp/allerr" | sed 's/^/# /'
else
	tap_ok 0 "no sanitizer report"
fi
tap_done
