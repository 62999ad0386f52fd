#!/bin/bash
# authd.t — the password checker (tambo-authd(8)) under
# systemd-socket-activate without -a (Accept=no: one process, the listening
# socket passed in), as tambo-auth.socket runs it: right and wrong
# passwords, the cache (its log says cached=yes|no: one yescrypt check for
# many logins), a changed users file forgets, wrong passwords are never
# cached, peers other than root and authd's user are refused, malformed
# requests, exit after the idle time and on SIGTERM; then smtpd asking it
# over auth_socket (python smtplib, STARTTLS + AUTH PLAIN), and smtpd
# checking by itself once authd is gone.
. "$(dirname "$0")/../lib/common.sh"
command -v certtool >/dev/null || tap_skip_all "certtool (gnutls-bin) missing"
command -v setpriv >/dev/null || tap_skip_all "setpriv missing"
[ -x "$B/libexec/tambo/authd" ] || tap_skip_all "authd not built"
[ -f "$B/libexec/tambo/tls.so" ] || tap_skip_all "no TLS plugin built"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (a peer as nobody)"

tmp=$(mktemp -d)
chmod 755 "$tmp"	# nobody must reach the socket to be refused by authd
at_exit "rm -rf $tmp"
make_instance "$tmp/c" || { echo "Bail out! instance"; exit 1; }
sh "$TOP/tests/lib/mkcerts.sh" "$tmp/pki" >/dev/null ||
	{ echo "Bail out! certs"; exit 1; }
cp -r "$tmp/pki/certs" "$tmp/c/certs"
printf 'auth_max_delay = 1\nauth_socket = %s\n' "$tmp/auth.sock" \
	>>"$tmp/c/tambo.conf"
CLIENT=$TOP/tests/integration/authd_client.py
LOG=$tmp/authd.log
ask() { $PY "$CLIENT" ask "$sock" "$@"; }
# checks of authd's log: lines of event=auth-check for user with result
checks() {	# user result cached
	grep -cE "event=auth-check client=[^ ]+ user=$1 result=$2 cached=$3 " \
		"$LOG"
}

start_authd() {	# socket log [authd options]: sets authd_pid
	local s=$1 l=$2 i
	shift 2
	systemd-socket-activate -l "$s" "$B/libexec/tambo/authd" -C "$tmp/c" \
		"$@" >/dev/null 2>>"$l" &
	authd_pid=$!
	at_exit "kill $authd_pid"
	for i in $(seq 100); do
		[ -S "$s" ] && { chmod 666 "$s"; return 0; }
		sleep 0.05
	done
	return 1
}

sock=$tmp/auth.sock
start_authd "$sock" "$LOG"
tap_ok $? "authd listens on $sock (systemd-socket-activate, Accept=no)"
pid=$authd_pid

# --- right and wrong, and the cache ------------------------------------------
tap_is "$(ask alice@example.test secret)" ok "right password: ok"
tap_is "$(checks alice@example.test ok no)" 1 "the first is checked (cached=no)"
tap_is "$(ask alice@example.test secret)" ok "again: ok"
tap_is "$(checks alice@example.test ok yes)" 1 "the second comes from the cache (cached=yes)"
for i in $(seq 20); do ask alice@example.test secret; done >"$tmp/twenty"
tap_is "$(sort -u "$tmp/twenty")" ok "20 more: all ok"
tap_is "$(checks alice@example.test ok no) $(checks alice@example.test ok yes)" \
	"1 21" "22 logins, one yescrypt check"
tap_is "$(ask alice@example.test wrong)" fail "wrong password: fail"
tap_is "$(ask alice@example.test wrong)" fail "the same wrong password again: fail"
tap_is "$(checks alice@example.test fail no)" 2 "each wrong password is checked in full"
tap_is "$(grep -c 'result=fail cached=yes' "$LOG")" 0 "no failure ever comes from the cache"
tap_is "$(ask alice@example.test secret)" ok "the right one still ok after failures"
tap_is "$(ask nobody@example.test secret)" fail "unknown user: fail"
tap_is "$(ask alice@elsewhere.example secret)" fail "a domain not ours: fail"
tap_is "$(ask info@bücher.example secret2)" ok "an IDN domain: ok"
tap_is "$(ask Alice@Example.TEST secret)" ok "the user in another case: ok"
tap_like "$(grep 'event=auth-check' "$LOG")" 'client=192\.0\.2\.1 user=' \
	"the client's address is on the line"
tap_is "$(grep -c -e secret -e wrong "$LOG")" 0 "no password in the log"

# --- the users file changes ----------------------------------------------
echo s3cond | "$B/bin/tambo" -C "$tmp/c" user passwd alice@example.test \
	--password-stdin
tap_is "$(ask alice@example.test secret)" fail "after tambo user passwd: the old password fails"
tap_is "$(ask alice@example.test s3cond)" ok "the new one is ok"
tap_is "$(checks alice@example.test ok no)" 2 "checked in full"
tap_is "$(ask alice@example.test s3cond)" ok "and then from the cache"
tap_is "$(checks alice@example.test ok yes)" 23 "cached=yes"
echo other | "$B/bin/tambo" -C "$tmp/c" user add carol@example.test \
	--password-stdin
ask alice@example.test s3cond >/dev/null
tap_is "$(checks alice@example.test ok no)" 3 \
	"any change to the domain's users file (a user added): checked in full"
"$B/bin/tambo" -C "$tmp/c" user del alice@example.test
tap_is "$(ask alice@example.test s3cond)" fail "a deleted user: fail at once"

# --- who may ask, and what -------------------------------------------------
# closed at once: the client may not even get its request out
tap_like "$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	$PY "$CLIENT" ask "$sock" info@bücher.example secret2)" \
	'^(none|error: (Broken pipe|Connection reset by peer))$' \
	"a peer as nobody: no answer"
tap_like "$(grep 'event=auth-refused' "$LOG")" \
	"event=auth-refused uid=$(id -u nobody) pid=[0-9]+" \
	"refused and logged with its uid"
tap_is "$($PY "$CLIENT" raw "$sock" 474554202f20485454502f312e300d0a0d0a)" none \
	"not the protocol: no answer"
tap_is "$($PY "$CLIENT" raw "$sock" 74616d626f2d617574683100750070770074776f20776f7264730000)" \
	none "a malformed request: no answer"
tap_is "$(grep -c 'event=warning.*bad request' "$LOG")" 2 "both logged"
tap_is "$(ask info@bücher.example secret2)" ok "authd serves on"

# --- smtpd asks authd --------------------------------------------------------
p587=$(free_port)
start_smtpd "$tmp/c" "$p587" submission || { echo "Bail out! 587"; exit 1; }
smtp() { $PY "$CLIENT" smtp "$p587" "$tmp/pki/ca.pem" "$@"; }
echo pw-of-dave | "$B/bin/tambo" -C "$tmp/c" user add dave@example.test \
	--password-stdin
tap_is "$(smtp dave@example.test pw-of-dave)" 235 "submission: AUTH through authd: 235"
tap_is "$(smtp dave@example.test pw-of-dave)" 235 "a second connection: 235"
tap_is "$(checks dave@example.test ok no) $(checks dave@example.test ok yes)" "1 1" \
	"authd: the second connection's check came from the cache"
tap_like "$(grep 'user=dave@example.test result=ok' "$LOG")" 'client=127\.0\.0\.1 ' \
	"authd logs the SMTP client's address"
tap_is "$(smtp dave@example.test nope pw-of-dave)" "535 235" \
	"a wrong password, then the right one: 535, 235"
tap_is "$(checks dave@example.test fail no)" 1 "the wrong one went to authd"
tap_is "$(grep -c 'event=auth .*user=dave@example.test result=ok' "$tmp/c/smtpd.log")" 3 \
	"smtpd logs each AUTH as before"
tap_is "$(grep -c 'event=authd-unavailable' "$tmp/c/smtpd.log")" 0 \
	"smtpd found authd each time"

# --- SIGTERM, then smtpd checks by itself ----------------------------------
kill "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
tap_like "$(tail -n 1 "$LOG")" 'event=authd-exit reason=signal requests=[0-9]+ cached=[0-9]+ refused=1' \
	"SIGTERM: authd exits and says so"
tap_is "$(smtp dave@example.test nope pw-of-dave)" "535 235" \
	"no authd: smtpd checks by itself (535, 235)"
tap_is "$(grep -c 'event=authd-unavailable' "$tmp/c/smtpd.log")" 1 \
	"logged once for the session"
tap_like "$(grep 'event=authd-unavailable' "$tmp/c/smtpd.log")" \
	"socket=$tmp/auth.sock error=\"Connection refused\" check=in-process" \
	"with the socket and the reason"
rm -f "$sock"
tap_is "$(smtp dave@example.test pw-of-dave)" 235 "without a socket file at all: 235"

# --- the idle time --------------------------------------------------------------
start_authd "$tmp/idle.sock" "$tmp/idle.log" --idle 1
idle_pid=$authd_pid
tap_is "$($PY "$CLIENT" ask "$tmp/idle.sock" info@bücher.example secret2)" ok \
	"authd --idle 1: ok"
for i in $(seq 100); do kill -0 "$idle_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$idle_pid" 2>/dev/null
tap_ok $((! $?)) "it exits after a second without requests"
tap_like "$(tail -n 1 "$tmp/idle.log")" 'event=authd-exit reason=idle requests=1 cached=0 refused=0' \
	"and says why"
if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
	tap_is "$(grep -cE 'Sanitizer|runtime error' "$LOG" "$tmp/idle.log" |
		awk -F: '{ s += $2 } END { print s }')" 0 "no sanitizer reports"
fi
tap_done
