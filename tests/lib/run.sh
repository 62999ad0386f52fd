#!/bin/sh
# run.sh — `make run`: a tambo instance on loopback, in the foreground.
#
# The configuration, spool, certificates and logs live in build/run (made
# on first use and kept between runs).  Ctrl-C stops it.
set -eu
B=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${RUN_DIR:-$B/run}
PORT=${PORT:-2525}
SUB=${SUB_PORT:-5870}
SUBS=${SUBS_PORT:-4650}
# The demo never sends to the Internet: every remote domain is routed to
# a local smtp-sink that files what it receives under $DIR/outbox.
OUT=${OUT_PORT:-2526}

if [ ! -f "$DIR/tambo.conf" ]; then
	"$B/bin/tambo" -C "$DIR" init example.test --hostname mx.example.test
	echo demo-password | "$B/bin/tambo" -C "$DIR" user add \
		demo@example.test --password-stdin
	printf '\n# make run: remote mail goes to a local stand-in for the Internet.\nroute * = [127.0.0.1]:%s tls=may\n' \
		"$OUT" >> "$DIR/tambo.conf"
	printf 'auth_socket = auth.sock\nlocal_socket = local.sock\n' \
		>> "$DIR/tambo.conf"
	if "$B/bin/tambo" -C "$DIR" dkim keygen example.test >/dev/null 2>&1
	then
		echo "DKIM keys made under $DIR/domains/example.test/dkim/"
	fi
fi
# A private test CA and certificates for mx.example.test (RSA and ECDSA),
# valid for a year: mail clients must trust $DIR/pki/ca.pem, or skip
# checks.  Made again when missing or expiring within a week.
if [ ! -d "$DIR/certs" ] || ! openssl x509 -checkend 604800 -noout \
	-in "$DIR/certs/mx.example.test/fullchain.pem" >/dev/null 2>&1; then
	rm -rf "$DIR/pki" "$DIR/certs"
	MKCERTS_DAYS=365 sh "$TOP/tests/lib/mkcerts.sh" "$DIR/pki"
	cp -r "$DIR/pki/certs" "$DIR/certs"
fi

pids=""
trap 'kill $pids 2>/dev/null; exit 0' INT TERM EXIT
mkdir -p "$DIR/outbox"
chmod 777 "$DIR/outbox"
/usr/sbin/smtp-sink -u "$(id -un)" -R / \
	-d "$(cd "$DIR" && pwd)/outbox/%Y%m%d%H%M%S." \
	"127.0.0.1:$OUT" 100 2>>"$DIR/log" &
pids="$pids $!"
# The password checker and the local socket for sendmail, as
# tambo-auth.socket and tambo-local.socket would serve them.
rm -f "$DIR/auth.sock" "$DIR/local.sock"
systemd-socket-activate -l "$DIR/auth.sock" \
	"$B/libexec/tambo/authd" -C "$DIR" --idle 0 2>>"$DIR/log" &
pids="$pids $!"
systemd-socket-activate -l "$DIR/local.sock" -a --inetd \
	"$B/libexec/tambo/smtpd" -C "$DIR" --mode local 2>>"$DIR/log" &
pids="$pids $!"
# The delivery runner, as tambo-deliver.timer and .path would start it;
# the line of a run that found nothing to do is left out of the log, and
# a failed run (logged) does not end the loop.
(while :; do "$B/libexec/tambo/deliver" -C "$DIR" 2>&1 >/dev/null |
	grep -v '^<6>prog=deliver event=pass delivered=0 deferred=0 bounced=0$' \
	>>"$DIR/log" || :
	sleep 1
done) &
pids="$pids $!"
for spec in "$SUB submission" "$SUBS submissions"; do
	set -- $spec
	systemd-socket-activate -l "127.0.0.1:$1" -a --inetd \
		"$B/libexec/tambo/smtpd" -C "$DIR" --mode "$2" 2>>"$DIR/log" &
	pids="$pids $!"
done

cat <<TXT

tambo is running on loopback (configuration, queue and log in $DIR):

  127.0.0.1:$PORT   port-25 mode: mail from anywhere for example.test
  127.0.0.1:$SUB   submission with STARTTLS and AUTH
  127.0.0.1:$SUBS   submission over implicit TLS and AUTH
  demo user: demo@example.test, password demo-password

From another terminal:

  swaks --server 127.0.0.1:$PORT --to demo@example.test --from you@example.org
  swaks --server 127.0.0.1:$SUB --tls --auth PLAIN \\
        --auth-user demo@example.test --auth-password demo-password \\
        --from demo@example.test --to friend@example.org
  swaks --server 127.0.0.1:$SUBS --tlsc --auth PLAIN \\
        --auth-user demo@example.test --auth-password demo-password \\
        --from demo@example.test --to friend@example.org
  printf 'Subject: hi\\n\\nfrom a script\\n' |
        TAMBO_CONFIG_DIR=$DIR $B/bin/sendmail friend@example.org

The delivery runner runs every second: mail for example.test lands in
$DIR/state/mail/example.test/demo/new/; mail for anywhere else is
DKIM-signed and handed to a local smtp-sink standing in for the Internet,
which files it under $DIR/outbox/.  Mail still waiting:

  $B/bin/tambo -C $DIR queue mailq

Log lines (one key=value line per event) follow; Ctrl-C stops tambo.

TXT
tail -n 0 -f "$DIR/log" &
pids="$pids $!"
systemd-socket-activate -l "127.0.0.1:$PORT" -a --inetd \
	"$B/libexec/tambo/smtpd" -C "$DIR" --mode mx 2>>"$DIR/log"
