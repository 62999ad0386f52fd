#!/bin/bash
# tambo.t — bin/tambo end to end: init, user add|del|list|passwd|
# authenticate, queue list, -C and TAMBO_CONFIG_DIR, exit codes (tambo(8)).
. "$(dirname "$0")/../lib/common.sh"

tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
unset TAMBO_CONFIG_DIR
c=$tmp/c
T() { "$B/bin/tambo" -C "$c" "$@"; }

# --- init -----------------------------------------------------------------
out=$(T init example.test --hostname MX.Example.TEST 2>&1)
tap_is "$?" 0 "init exits 0"
tap_is "$out" "tambo: example.test ready in $c (hostname mx.example.test)" \
	"init says what it made"
conf=$(cat "$c/tambo.conf" 2>/dev/null)
tap_like "$conf" '^hostname = mx\.example\.test$' \
	"tambo.conf: hostname from --hostname, in lower case"
tap_like "$conf" '^spool = spool$' "tambo.conf: spool = spool"
tap_like "$conf" '^state = state$' "tambo.conf: state = state"
tap_ok "$(test -f "$c/domains/example.test/users" &&
	! test -s "$c/domains/example.test/users"; echo $?)" \
	"domains/example.test/users exists and is empty"
tap_ok "$(test -f "$c/domains/example.test/aliases"; echo $?)" \
	"domains/example.test/aliases exists"
tap_is "$(grep -v '^#' "$c/domains/example.test/aliases" | grep -c .)" 0 \
	"aliases holds only comments"
tap_ok "$(test -d "$c/spool/tmp" && test -d "$c/spool/queue"; echo $?)" \
	"spool/tmp and spool/queue made"
tap_is "$(stat -c %a "$c/domains/example.test/users")" 640 "users is mode 0640"

conf_sum=$(sha256sum < "$c/tambo.conf")
out=$(T init example.test --hostname other.example 2>&1)
tap_is "$?" 0 "init again exits 0"
tap_like "$out" 'tambo\.conf kept as it was' "init again says tambo.conf is kept"
tap_is "$(sha256sum < "$c/tambo.conf")" "$conf_sum" "init again leaves tambo.conf alone"

T init Example.TEST >/dev/null 2>&1
tap_is "$?" 0 "init Example.TEST exits 0"
tap_is "$(ls "$c/domains")" "example.test" \
	"init Example.TEST reuses example.test's directory (one dir)"

for d in bad..name a/b a.-x.test "exa mple.test"; do
	out=$(T init "$d" 2>&1)
	rc=$?
	tap_is "$rc" 65 "init '$d' exits 65 (EX_DATAERR)"
	tap_like "$out" 'not a valid domain name' "init '$d' says why"
done
# A leading "-" reads as an option: a usage error, nothing created.
T init -x >/dev/null 2>&1
tap_is "$?" 64 "init -x exits 64 (EX_USAGE: an unknown option)"
tap_is "$(ls "$c/domains")" "example.test" "no directory made for the bad domains"

# --- user add ---------------------------------------------------------------
U=$c/domains/example.test/users
A=$c/domains/example.test/aliases
echo 'pw-alice' | T user add alice@example.test --password-stdin
tap_is "$?" 0 "user add alice exits 0"
# shellcheck disable=SC2016 # a literal $y$
tap_like "$(cat "$U")" '^alice:\$y\$[^:]+$' "users: alice with a yescrypt (\$y\$) hash"
tap_like "$(cat "$A")" '^postmaster: alice$' "the first user becomes postmaster: alice"
aliases_sum=$(sha256sum < "$A")
echo 'pw-bob' | T user add Bob@example.test --password-stdin
tap_is "$?" 0 "user add Bob exits 0"
# shellcheck disable=SC2016
tap_like "$(cat "$U")" '^bob:\$y\$' "local part stored in lower case"
tap_is "$(sha256sum < "$A")" "$aliases_sum" "a second user does not change aliases"
tap_is "$(grep -c '^postmaster:' "$A")" 1 "still one postmaster line"
tap_is "$(stat -c %a "$U")" 640 "users is still mode 0640 after rewrites"

out=$(echo 'x' | T user add alice@example.test --password-stdin 2>&1)
tap_is "$?" 65 "user add of an existing user exits 65"
tap_like "$out" 'user exists' "and says the user exists"
out=$(echo 'x' | T user add carol@nowhere.test --password-stdin 2>&1)
tap_is "$?" 65 "user add for a non-local domain exits 65"
tap_like "$out" 'run: tambo init nowhere\.test' "and says to run init"
out=$(printf '\n' | T user add dave@example.test --password-stdin 2>&1)
tap_is "$?" 65 "user add with an empty password exits 65"
tap_is "$(grep -c '^dave:' "$U")" 0 "and adds nobody"

# --- user list ----------------------------------------------------------------
out=$(T user list)
tap_is "$?" 0 "user list exits 0"
tap_is "$out" "$(printf 'alice@example.test\nbob@example.test')" "user list prints addresses"
T init second.test >/dev/null 2>&1
echo 'pw-z' | T user add zed@second.test --password-stdin
tap_is "$(T user list second.test)" "zed@second.test" "user list DOMAIN lists that domain only"
tap_is "$(T user list | wc -l)" 3 "user list lists every domain"

# --- authenticate -------------------------------------------------------------
out=$(echo 'pw-alice' | T user authenticate alice@example.test --password-stdin)
tap_is "$?" 0 "authenticate with the right password exits 0"
tap_is "$out" "Authentication succeeded" "and prints Authentication succeeded"
out=$(echo 'pw-wrong' | T user authenticate alice@example.test --password-stdin)
tap_is "$?" 77 "authenticate with a wrong password exits 77"
tap_is "$out" "Authentication failed" "and prints Authentication failed"
out=$(echo 'pw-alice' | T user authenticate nobody@example.test --password-stdin)
tap_is "$?" 77 "authenticate of an unknown user exits 77"
tap_is "$out" "Authentication failed" "and prints Authentication failed"
out=$(echo 'pw-alice' | T user authenticate ALICE@Example.Test --password-stdin)
tap_is "$?" 0 "authenticate is case-insensitive in the address"

# --- passwd ---------------------------------------------------------------------
old=$(grep '^alice:' "$U")
echo 'pw-alice-2' | T user passwd alice@example.test --password-stdin
tap_is "$?" 0 "user passwd exits 0"
tap_ok "$(test "$(grep '^alice:' "$U")" != "$old"; echo $?)" "passwd changed the hash"
echo 'pw-alice' | T user authenticate alice@example.test --password-stdin >/dev/null
tap_is "$?" 77 "the old password fails"
echo 'pw-alice-2' | T user authenticate alice@example.test --password-stdin >/dev/null
tap_is "$?" 0 "the new password works"
out=$(echo 'x' | T user passwd nobody@example.test --password-stdin 2>&1)
tap_is "$?" 67 "passwd of an unknown user exits 67 (EX_NOUSER)"

# --password=X works, with a warning
err=$(T user passwd bob@example.test --password=pw-bob-2 2>&1 >/dev/null)
tap_is "$?" 0 "passwd --password=X exits 0"
tap_like "$err" 'warning: .*--password-stdin' "--password=X warns on stderr"
out=$(T user authenticate bob@example.test --password=pw-bob-2 2>/dev/null)
tap_is "$out" "Authentication succeeded" "the password set with --password=X works"

# modes and group survive rewrites
chmod 0600 "$U"
chgrp daemon "$U"
echo 'pw-e' | T user add erin@example.test --password-stdin
tap_is "$(stat -c '%a %G' "$U")" "600 daemon" "a rewrite keeps the users file's mode and group"
chmod 0640 "$U"
chgrp root "$U"

# --- del --------------------------------------------------------------------------
T user del bob@example.test
tap_is "$?" 0 "user del exits 0"
tap_is "$(grep -c '^bob:' "$U")" 0 "bob is gone from users"
tap_is "$(T user list example.test)" "$(printf 'alice@example.test\nerin@example.test')" \
	"user list no longer shows bob"
out=$(T user del bob@example.test 2>&1)
tap_is "$?" 67 "user del again exits 67 (EX_NOUSER)"
tap_like "$out" 'no such user' "and says no such user"
tap_like "$(cat "$A")" '^postmaster: alice$' "del leaves aliases alone"
tap_is "$(stat -c %a "$U")" 640 "users is mode 0640 after del"

# --- queue list -------------------------------------------------------------------
out=$(T queue list 2>&1)
tap_is "$?" 0 "queue list on an empty queue exits 0"
tap_is "$out" "" "and prints nothing"
id1=$(printf 'Subject: one\n\nfirst\n' |
	"$B/libexec/tambo/enqueue" -C "$c" -f a@other.example alice@example.test 2>/dev/null)
id2=$(printf 'Subject: two\n\nsecond\n' |
	"$B/libexec/tambo/enqueue" -C "$c" bob@example.test x@other.example 2>/dev/null)
size_of() {	# octets after the envelope's empty line
	$PY -c 'import sys; d = open(sys.argv[1], "rb").read(); print(len(d) - d.index(b"\n\n") - 2)' "$1"
}
s1=$(size_of "$c/spool/queue/$id1")
s2=$(size_of "$c/spool/queue/$id2")
out=$(T queue list)
tap_is "$?" 0 "queue list exits 0"
tap_is "$out" "$(printf '%s %s <a@other.example> <alice@example.test>\n%s %s <> <bob@example.test> <x@other.example>' \
	"$id1" "$s1" "$id2" "$s2")" "queue list: ID SIZE <sender> <rcpt>... in arrival order"

# --- -C and TAMBO_CONFIG_DIR ----------------------------------------------------------
d2=$tmp/d2
"$B/bin/tambo" -C "$d2" init env.test >/dev/null
echo 'pw' | "$B/bin/tambo" -C "$d2" user add u@env.test --password-stdin
tap_is "$(TAMBO_CONFIG_DIR=$d2 "$B/bin/tambo" user list)" "u@env.test" \
	"TAMBO_CONFIG_DIR selects the directory"
tap_is "$(TAMBO_CONFIG_DIR=$d2 "$B/bin/tambo" -C "$c" user list second.test)" \
	"zed@second.test" "-C wins over TAMBO_CONFIG_DIR"
out=$(TAMBO_CONFIG_DIR=$d2 "$B/bin/tambo" queue list)
tap_is "$?:$out" "0:" "queue list through TAMBO_CONFIG_DIR (empty queue)"

# --- usage ------------------------------------------------------------------------------
T frobnicate >/dev/null 2>&1
tap_is "$?" 64 "unknown command exits 64 (EX_USAGE)"
T user frob a@example.test </dev/null >/dev/null 2>&1
tap_is "$?" 64 "unknown user verb exits 64"
T queue frob >/dev/null 2>&1
tap_is "$?" 64 "unknown queue verb exits 64"
"$B/bin/tambo" >/dev/null 2>&1
tap_is "$?" 64 "no command exits 64"
"$B/bin/tambo" -C "$tmp/none" queue list >/dev/null 2>&1
tap_is "$?" 78 "queue list without tambo.conf exits 78 (EX_CONFIG)"

tap_done
