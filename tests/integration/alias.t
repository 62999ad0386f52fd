#!/bin/bash
# alias.t — `tambo alias add|del|list` (tambo(8), tambo-domains(5)): round
# trips, the catch-all, pipe targets, IDN domains in either spelling,
# refusals (unknown domain, self-loops, users, bad targets), comments and
# other lines kept byte for byte, the file's mode kept; then end to end:
# smtpd (port 25 mode) accepts the new alias, the runner delivers it to a
# Maildir and a pipe, and after `alias del` smtpd says 550 5.1.1.
. "$(dirname "$0")/../lib/common.sh"

tmp_instance || { echo "Bail out! instance"; exit 1; }
T() { "$B/bin/tambo" -C "$c" "$@"; }
A=$c/domains/example.test/aliases
IA=$c/domains/bücher.example/aliases
# run: out and rc of a tambo command, stdout and stderr together
run() { out=$(T "$@" 2>&1); rc=$?; }
entries() { grep -v '^#' "$1"; }	# the file without its comments

# --- list ------------------------------------------------------------------
run alias list
tap_is "$rc" 0 "alias list exits 0"
tap_is "$out" "postmaster@bücher.example: info
*@catchall.test: alice@example.test
bob@example.test: alice
postmaster@example.test: alice" \
	"list: every domain, sorted, the catch-all as *@domain"
run alias list example.test
tap_is "$out" "bob@example.test: alice
postmaster@example.test: alice" "list DOMAIN: that domain only"

# --- add / del round trips ----------------------------------------------
run alias add team@example.test alice carol@remote.test
tap_is "$rc" 0 "add team: alice, carol@remote.test exits 0"
tap_is "$(grep '^team:' "$A")" "team: alice, carol@remote.test" \
	"the file has the new line"
run alias list example.test
tap_like "$out" '^team@example\.test: alice, carol@remote\.test$' "list shows it"
run alias add Team@Example.TEST ALICE carol@REMOTE.test bob
tap_is "$rc" 0 "add again with known targets (other case) exits 0"
tap_is "$(grep -ci '^team:' "$A")" 1 "still one line for team"
tap_is "$(grep '^team:' "$A")" "team: alice, carol@remote.test, bob" \
	"a target already present is not added twice; a new one is appended"
tap_like "$out" 'ALICE is already a target' "and says which were there"
run alias del team@example.test carol@remote.test
tap_is "$rc" 0 "del one target exits 0"
tap_is "$(grep '^team:' "$A")" "team: alice, bob" "only that target is gone"
run alias del team@example.test dave@remote.test
tap_is "$rc" 67 "del of a target the alias lacks exits 67"
tap_like "$out" 'dave@remote\.test is not one of its targets' "and says so"
run alias del team@example.test alice bob
tap_is "$rc" 0 "del of the last targets exits 0"
tap_is "$(grep -c '^team:' "$A")" 0 "an alias without targets is removed"
T alias add team@example.test alice bob
run alias del team@example.test
tap_is "$rc" 0 "del ADDRESS (no targets) exits 0"
tap_is "$(grep -c '^team:' "$A")" 0 "the whole line is gone"
run alias del team@example.test
tap_is "$rc" 67 "del of a missing alias exits 67 (EX_NOUSER)"
tap_like "$out" 'team@example\.test: no such alias' "and says no such alias"

# --- catch-all ----------------------------------------------------------
run alias add '*@example.test' alice
tap_is "$rc" 0 "add *@example.test exits 0"
tap_is "$(grep '^\*:' "$A")" "*: alice" "the catch-all line is '*: alice'"
run alias list example.test
tap_is "$(printf '%s\n' "$out" | head -1)" "*@example.test: alice" \
	"list shows it as *@example.test, sorted first"
run alias add '*@example.test' nobody
tap_is "$rc" 65 "catch-all to an unknown local part of its domain exits 65"
tap_like "$out" 'lead back to itself' "(that would be the catch-all itself)"
run alias del '*@example.test'
tap_is "$rc" 0 "del *@example.test exits 0"
tap_is "$(grep -c '^\*:' "$A")" 0 "the catch-all is gone"

# --- pipes ------------------------------------------------------------------
run alias add orders@example.test "| cat > $tmp/x, with a comma"
tap_is "$rc" 0 "add a pipe target exits 0"
tap_is "$(grep '^orders:' "$A")" "orders: | cat > $tmp/x, with a comma" \
	"the pipe is written '| command'"
run alias add orders@example.test alice
tap_is "$(grep '^orders:' "$A")" "orders: alice, | cat > $tmp/x, with a comma" \
	"an address added later goes before the pipe (a pipe takes the rest)"
run alias add orders@example.test '|other'
tap_is "$rc" 65 "a second pipe on the line exits 65"
tap_like "$out" 'one command' "and says a line holds one command"
run alias add orders@example.test '|   '
tap_is "$rc" 65 "an empty command exits 65"
run alias del orders@example.test "|cat > $tmp/x, with a comma"
tap_is "$rc" 0 "del the pipe (spaces after | as the operator likes)"
tap_is "$(grep '^orders:' "$A")" "orders: alice" "only the pipe is gone"
T alias del orders@example.test

# --- IDN --------------------------------------------------------------------
run alias add team@bücher.example info
tap_is "$rc" 0 "add team@bücher.example (U-labels) exits 0"
run alias add team@xn--bcher-kva.example someone@münchen.example
tap_is "$rc" 0 "add team@xn--bcher-kva.example (A-labels) exits 0"
tap_is "$(grep '^team:' "$IA")" "team: info, someone@xn--mnchen-3ya.example" \
	"both spellings edit one line; target domains go in as A-labels"
run alias add sales@xn--bcher-kva.example team@Bücher.Example
tap_is "$(grep '^sales:' "$IA")" "sales: team@xn--bcher-kva.example" \
	"a target in a local IDN domain is checked and normalised"
run alias list xn--bcher-kva.example
tap_is "$out" "postmaster@bücher.example: info
sales@bücher.example: team@xn--bcher-kva.example
team@bücher.example: info, someone@xn--mnchen-3ya.example" \
	"list DOMAIN in A-labels lists the U-label directory"
run alias del team@bücher.example someone@xn--mnchen-3ya.example
tap_is "$(grep '^team:' "$IA")" "team: info" "del by the A-label spelling"
tap_is "$(ls "$c/domains")" "bücher.example
catchall.test
example.test" "no directory made for the other spelling"

# --- refusals -----------------------------------------------------------
run alias add x@nowhere.test alice@example.test
tap_is "$rc" 67 "add for a domain that is not local exits 67"
tap_like "$out" 'nowhere\.test: not a local domain' "and says it is not local"
tap_ok "$([ ! -e "$c/domains/nowhere.test" ]; echo $?)" "and creates nothing"
run alias list nowhere.test
tap_is "$rc" 67 "list of a domain that is not local exits 67"
run alias del x@nowhere.test
tap_is "$rc" 67 "del for a domain that is not local exits 67"
for t in loop LOOP loop@example.test loop+tag loop@EXAMPLE.test; do
	run alias add loop@example.test "$t"
	tap_is "$rc/$(grep -c '^loop:' "$A")" "65/0" "self-loop target '$t' refused"
done
tap_like "$out" 'loop@example\.test: loop@EXAMPLE\.test would lead back to itself' \
	"with a clear message"
run alias add alice@example.test bob@remote.test
tap_is "$rc" 65 "an alias named like a user exits 65"
tap_like "$out" 'is a user' "and says the user would win"
echo 'alice: bob' >> "$A"
run alias del alice@example.test
tap_is "$rc/$(grep -c '^alice:' "$A")" "0/0" \
	"del removes a hand-written alias named like a user"
run alias add x@example.test nobody
tap_is "$rc" 67 "a bare local part that is nobody exits 67"
tap_like "$out" 'nobody@example\.test: no such user or alias' "and says so"
for t in 'a b@remote.test' 'x@[192.0.2.1]' '"q,x"@remote.test' 'a@b@c' \
    'a%b@remote.test' 'x@bad..domain'; do
	run alias add x@example.test "$t"
	tap_is "$rc" 65 "bad target '$t' exits 65"
done
for a in 'x:y@example.test' '#x@example.test' 'example.test' '@example.test'; do
	run alias add "$a" alice
	tap_is "$rc" 65 "bad alias address '$a' exits 65"
done
run alias add x@example.test
tap_is "$rc" 64 "add without a target exits 64"
run alias frob
tap_is "$rc" 64 "an unknown alias command exits 64"
run alias list a b
tap_is "$rc" 64 "list with two domains exits 64"
tap_is "$(grep -c '^x:' "$A")" 0 "none of the refusals wrote anything"

# --- the rest of the file, byte for byte; mode and owner -------------------
printf '%s\n' '# local: target, target' '' '   # an indented comment: x, y' \
	'bob: alice' 'no colon here' '  Staff  :  alice ,bob  ' \
	'staff: carol@remote.test' > "$A"
printf 'crlf: alice\r\n# the end, without a newline' >> "$A"
chmod 0604 "$A"
cp "$A" "$tmp/before"
run alias add staff@example.test dave@remote.test
tap_is "$rc" 0 "add to a line written by hand (blanks, other case) exits 0"
tap_like "$out" 'another line for staff' \
	"warns of the second staff line, which the server never reads"
{
	printf '%s\n' '# local: target, target' '' '   # an indented comment: x, y' \
		'bob: alice' 'no colon here' \
		'  Staff  : alice, bob, dave@remote.test' \
		'staff: carol@remote.test'
	printf 'crlf: alice\r\n# the end, without a newline'
} > "$tmp/want"
cmp -s "$A" "$tmp/want"
tap_ok $? "only the first staff line changed (key, leading blanks kept)"
run alias add crlf@example.test bob
tap_is "$(grep -c $'^crlf: alice, bob\r$' "$A")" 1 "a CRLF line keeps its CR"
run alias add new@example.test alice
tap_is "$(tail -n 2 "$A")" "# the end, without a newline
new: alice" "a new line goes at the end (after a newline for the last line)"
tap_is "$(head -5 "$A")" "$(head -5 "$tmp/before")" "the lines before are untouched"
tap_is "$(stat -c %a "$A")" 604 "the file keeps its mode (0604)"
run alias list example.test
tap_is "$out" "bob@example.test: alice
crlf@example.test: alice, bob
new@example.test: alice
Staff@example.test: alice, bob, dave@remote.test" \
	"list shows what the server reads (first line of a key, key as written)"
run alias del staff@example.test
tap_is "$(grep -ci 'staff' "$A")" 0 "del of the whole alias removes the shadowed line too"
tap_is "$(stat -c %a "$A")" 604 "still mode 0604"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$A"
	T alias add owner@example.test alice
	tap_is "$(stat -c %U "$A")" nobody "run as root: the file keeps its owner"
fi
cp "$A" "$tmp/before"
# shellcheck disable=SC2046 # one argument per address
run alias add many@example.test $(seq -f 'recipient%g@remote-domain.test' 400)
tap_is "$rc" 65 "targets over 8191 octets exit 65"
tap_like "$out" 'exceed 8191 octets' "and say so"
cmp -s "$A" "$tmp/before"
tap_ok $? "and the file is unchanged"
rm "$c/domains/catchall.test/aliases"
run alias add info@catchall.test alice@example.test
tap_is "$rc" 0 "add when the aliases file is missing exits 0"
tap_is "$(cat "$c/domains/catchall.test/aliases")" "info: alice@example.test" \
	"the file is created with the line"
tap_is "$(stat -c %a "$c/domains/catchall.test/aliases")" 640 \
	"a new file is mode 0640"
tap_is "$(find "$c/domains" -name '*.tmp*' | wc -l)" 0 "no temporary files left"

# --- end to end: smtpd and the delivery runner read what was written -------
if ! command -v systemd-socket-activate >/dev/null || ! command -v ss >/dev/null; then
	echo "# no systemd-socket-activate: end-to-end part skipped"
	tap_done
	exit
fi
port=$(free_port)
start_smtpd "$c" "$port" mx || { echo "Bail out! smtpd"; exit 1; }
# send RCPT...: one message; prints "RCPT code enhanced" per recipient and
# "DATA code" (no DATA when nobody was accepted)
send() {
	$PY - "$port" "$@" <<'PY'
import smtplib, sys
port, rcpts = int(sys.argv[1]), sys.argv[2:]
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example")
s.ehlo()
s.mail("sender@elsewhere.example")
ok = 0
for r in rcpts:
    code, text = s.rcpt(r)
    print(r, code, text.decode().split(" ")[0])
    ok += code == 250
if ok:
    code, _ = s.data(b"From: sender@elsewhere.example\r\nTo: news\r\n"
                     b"Subject: alias-e2e\r\n\r\nhello\r\n")
    print("DATA", code)
else:
    s.rset()
s.quit()
PY
}
maildir_count() { find "$c/state/mail/$1/new" -type f 2>/dev/null | wc -l; }

# a pipe of a runner started as root runs as nobody: a directory it may write
mkdir "$tmp/pipe" && chmod 777 "$tmp/pipe"
run alias add news@example.test alice "| cat > $tmp/pipe/piped"
tap_is "$rc" 0 "add news: alice, | cat > FILE"
run alias add news@bücher.example info
before=$(maildir_count example.test/alice)
out=$(send news@example.test news@xn--bcher-kva.example 2>&1)
tap_like "$out" '^news@example\.test 250 ' "smtpd accepts news@example.test"
tap_like "$out" '^news@xn--bcher-kva\.example 250 ' \
	"smtpd accepts news@xn--bcher-kva.example"
tap_like "$out" '^DATA 250$' "the message is queued"
"$B/libexec/tambo/deliver" -C "$c" --now "$(date +%s)" 2>>"$tmp/deliver.log"
tap_is "$?" 0 "deliver exits 0"
tap_is "$(queue_count "$c")" 0 "the queue is empty"
tap_is "$(maildir_count example.test/alice)" "$((before + 1))" \
	"the alias delivered to alice's Maildir"
tap_is "$(maildir_count xn--bcher-kva.example/info)" 1 \
	"the IDN alias delivered to info's Maildir"
tap_like "$(cat "$tmp/pipe/piped" 2>/dev/null)" 'Subject: alias-e2e' \
	"the pipe target got the message"

run alias del news@example.test
tap_is "$rc" 0 "alias del news@example.test"
out=$(send news@example.test 2>&1)
tap_like "$out" '^news@example\.test 550 5\.1\.1$' \
	"after del, smtpd refuses news@example.test with 550 5.1.1"
run alias del news@bücher.example info
out=$(send news@xn--bcher-kva.example 2>&1)
tap_like "$out" '550 5\.1\.1$' "and news@bücher.example likewise"

tap_done
