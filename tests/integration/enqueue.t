#!/bin/bash
# enqueue.t — libexec/tambo/enqueue: line ends, envelope, refusals and
# exit codes (tambo-enqueue(8)).
. "$(dirname "$0")/../lib/common.sh"

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
unset TAMBO_CONFIG_DIR
c=$tmp/c
make_instance "$c" || { echo "Bail out! instance"; exit 1; }
E="$B/libexec/tambo/enqueue"

# body ID: the stored message after the Received: field, as it is on disk
body() {
	$PY - "$c/spool/queue/$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
m = d[d.index(b"\n\n") + 2:]
assert m.startswith(b"Received: "), m[:40]
i = 0
while True:		# the field and its continuation lines
    j = m.index(b"\r\n", i) + 2
    i = j
    if m[i:i + 1] not in (b" ", b"\t"):
        break
sys.stdout.buffer.write(m[i:])
PY
}
envelope() { sed -n '1,/^$/p' "$c/spool/queue/$1"; }

# enq INPUT-FILE ARGS...: sets rc, id (stdout) and err (stderr)
enq() {
	local in=$1
	shift
	id=$("$E" -C "$c" "$@" < "$in" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
}

# --- line ends ---------------------------------------------------------------
printf 'From: me@other.example\nSubject: lf\n\nline one\n.\nline three\n' > "$tmp/lf"
enq "$tmp/lf" -f me@other.example alice@example.test
tap_is "$rc" 0 "LF input: exit 0"
tap_like "$id" '^[0-9A-F]{18}$' "prints a queue id"
sed 's/$/\r/' "$tmp/lf" > "$tmp/lf.crlf"
body "$id" > "$tmp/got"
tap_ok "$(cmp -s "$tmp/got" "$tmp/lf.crlf"; echo $?)" \
	"LF input is stored with CRLF (a lone dot line stays as it is)"
tap_like "$err" "^<6>id=$id event=queued " "log line on stderr: id=ID event=queued"
tap_like "$("$B/bin/tambo" -C "$c" queue list)" \
	"^$id [0-9]+ <me@other\\.example> <alice@example\\.test>\$" "queue list shows the id"
env=$(envelope "$id")
tap_like "$env" '^from <me@other\.example>$' "-f sender recorded as from <sender>"
tap_like "$env" '^client local$' "envelope: client local"
tap_like "$env" '^protocol local$' "envelope: protocol local"
tap_like "$env" '^smtputf8 no$' "envelope: smtputf8 no for ASCII"
tap_like "$(sed -n '/^$/,$p' "$c/spool/queue/$id" | sed -n 2p)" \
	"^Received: by mx\\.example\\.test \\(tambo\\) with local id $id"$'\r'"?\$" \
	"Received: by the hostname, with local, with the id"

printf 'Subject: crlf\r\n\r\nkept\r\nas is\r\n' > "$tmp/crlf"
enq "$tmp/crlf" alice@example.test
tap_is "$rc" 0 "CRLF input: exit 0"
body "$id" > "$tmp/got"
tap_ok "$(cmp -s "$tmp/got" "$tmp/crlf"; echo $?)" "CRLF input is stored unchanged"
tap_like "$(envelope "$id")" '^from <>$' "no -f: from <>"

printf 'Subject: end\n\nno line end at the end' > "$tmp/nolf"
enq "$tmp/nolf" alice@example.test
tap_is "$rc" 0 "last line without LF: exit 0"
body "$id" > "$tmp/got"
printf 'Subject: end\r\n\r\nno line end at the end\r\n' > "$tmp/want"
tap_ok "$(cmp -s "$tmp/got" "$tmp/want"; echo $?)" "a last line without LF gets CRLF"

printf 'Subject: crlf-end\r\n\r\nlast\r' > "$tmp/cr"
enq "$tmp/cr" alice@example.test
body "$id" > "$tmp/got"
printf 'Subject: crlf-end\r\n\r\nlast\r\n' > "$tmp/want"
tap_ok "$(test "$rc" = 0 && cmp -s "$tmp/got" "$tmp/want"; echo $?)" \
	"a last line ending in CR gets only the LF"

# --- recipients --------------------------------------------------------------
enq "$tmp/crlf" -f me@other.example alice@example.test x@other.example bob@example.test
tap_is "$rc" 0 "several recipients: exit 0"
tap_is "$(grep '^rcpt ' "$c/spool/queue/$id")" \
	"$(printf 'rcpt notify=- orcpt=- <alice@example.test>\nrcpt notify=- orcpt=- <x@other.example>\nrcpt notify=- orcpt=- <bob@example.test>')" \
	"one rcpt line each, in the order given"
tap_like "$("$B/bin/tambo" -C "$c" queue list | grep "^$id ")" \
	' <me@other\.example> <alice@example\.test> <x@other\.example> <bob@example\.test>$' \
	"queue list shows the three recipients"
tap_like "$err" "nrcpt=3" "log says nrcpt=3"

enq "$tmp/crlf" 'info@bücher.example'
tap_is "$rc" 0 "UTF-8 recipient: exit 0"
tap_like "$(envelope "$id")" '^smtputf8 yes$' "a UTF-8 recipient sets smtputf8 yes"
tap_like "$(envelope "$id")" '^rcpt notify=- orcpt=- <info@bücher\.example>$' \
	"the UTF-8 recipient is recorded as given"

enq "$tmp/crlf" -- -dash@example.test
tap_is "$rc" 0 "-- lets a recipient start with -"

# --- refusals: nothing queued, tmp/ empty -------------------------------------
n=$(queue_count "$c")
printf 'Subject: nul\n\nbad\0byte\n' > "$tmp/nul"
enq "$tmp/nul" alice@example.test
tap_is "$rc" 65 "NUL in the input: exit 65"
tap_like "$err" 'NUL' "and says NUL"
tap_is "$id" "" "no id printed"
tap_is "$(queue_count "$c")" "$n" "nothing queued"
tap_is "$(tmp_count "$c")" 0 "tmp/ empty"

{ printf 'Subject: long\n\n'; head -c 999 /dev/zero | tr '\0' a; printf '\n'; } > "$tmp/l999"
enq "$tmp/l999" alice@example.test
tap_is "$rc" 65 "a 999-octet line: exit 65"
tap_is "$(queue_count "$c"):$(tmp_count "$c")" "$n:0" "nothing queued, tmp/ empty"
{ printf 'Subject: long\n\n'; head -c 998 /dev/zero | tr '\0' a; printf '\n'; } > "$tmp/l998"
enq "$tmp/l998" alice@example.test
tap_is "$rc" 0 "a 998-octet line is accepted"
n=$(queue_count "$c")

printf 'Subject: cr\n\nbare\rcr\n' > "$tmp/barecr"
enq "$tmp/barecr" alice@example.test
tap_is "$rc" 65 "a bare CR: exit 65"

for r in 'a@' '<x>' 'a%b@c' 'x@[127.0.0.1]' 'h!u@example.test' ''; do
	enq "$tmp/crlf" "$r"
	tap_is "$rc" 65 "bad recipient '$r': exit 65"
done
tap_like "$err" 'bad recipient address' "says bad recipient address"
enq "$tmp/crlf" -f 'a@' alice@example.test
tap_is "$rc" 65 "bad sender: exit 65"
enq "$tmp/crlf" -f me@other.example
tap_is "$rc" 64 "no recipients: exit 64 (EX_USAGE)"
enq "$tmp/crlf" -z alice@example.test
tap_is "$rc" 64 "unknown option: exit 64"
tap_is "$(queue_count "$c"):$(tmp_count "$c")" "$n:0" "none of these queued anything"

# --- our own trouble: 75 ---------------------------------------------------------
u=$tmp/u
chmod 0711 "$tmp"	# let nobody reach $u
mkdir -m 0755 "$u"
"$B/bin/tambo" -C "$u/c" init example.test >/dev/null
chown -R nobody "$u/c"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
	as_nobody test -x "$E"; then
	as_nobody "$E" -C "$u/c" alice@example.test < "$tmp/crlf" >/dev/null 2>&1
	tap_is "$?" 0 "as the owner of a readable config dir: exit 0"
	chmod 000 "$u/c"
	out=$(as_nobody "$E" -C "$u/c" alice@example.test < "$tmp/crlf" 2>&1)
	tap_is "$?" 75 "unreadable config dir: exit 75 (EX_TEMPFAIL)"
	tap_like "$out" 'tambo\.conf: Permission denied' "and says why"
	chmod 0750 "$u/c"
	tap_is "$(find "$u/c/spool/queue" -type f | wc -l)" 1 "only the first of the two queued"
else
	for i in 1 2 3 4; do tap_ok 0 "unreadable config dir $i # SKIP needs root and setpriv"; done
fi

m=$tmp/m
cp -a "$c" "$m"
rm -rf "$m/spool"
"$E" -C "$m" alice@example.test < "$tmp/crlf" >/dev/null 2>"$tmp/err"
tap_is "$?" 75 "spool missing: exit 75 (EX_TEMPFAIL)"
tap_ok "$(test ! -e "$m/spool"; echo $?)" "and the spool is not created"
"$E" -C "$tmp/nothing" alice@example.test < "$tmp/crlf" >/dev/null 2>&1
tap_is "$?" 75 "no tambo.conf: exit 75"

# TAMBO_CONFIG_DIR
id=$(TAMBO_CONFIG_DIR=$c "$E" alice@example.test < "$tmp/crlf" 2>/dev/null)
tap_ok "$(test -f "$c/spool/queue/$id"; echo $?)" "TAMBO_CONFIG_DIR selects the instance"

tap_done
