#!/bin/bash
# run.t — `make run`'s instance (tests/lib/run.sh) as a user meets it:
# started on a fresh directory, it takes mail on its port-25 stand-in for
# the demo user's Maildir, on submission with STARTTLS and on implicit TLS
# (certificates verified against its CA, the demo password), and from the
# sendmail command; remote mail reaches its smtp-sink DKIM-signed, with
# signatures that verify against the records `tambo dns records` prints;
# the runner keeps running when it has nothing to do and keeps those idle
# runs out of the log; Ctrl-C stops every process it started.
. "$(dirname "$0")/../lib/common.sh"

command -v systemd-socket-activate >/dev/null 2>&1 ||
	tap_skip_all "no systemd-socket-activate"
[ -x /usr/sbin/smtp-sink ] || tap_skip_all "no smtp-sink (postfix)"
command -v swaks >/dev/null 2>&1 || tap_skip_all "no swaks"
command -v openssl >/dev/null 2>&1 || tap_skip_all "no openssl"

tmp=$(mktemp -d) && chmod 755 "$tmp" || { echo "Bail out! mktemp"; exit 1; }
at_exit "rm -rf $tmp"
unset TAMBO_CONFIG_DIR
export RUN_DIR=$tmp/run PORT SUB_PORT SUBS_PORT OUT_PORT
# run.sh listens only after its set-up (keys, certificates): ports below
# the ephemeral range, which a client of a test alongside cannot take.
PORT=$(late_port) && SUB_PORT=$(late_port "$PORT") &&
	SUBS_PORT=$(late_port "$PORT" "$SUB_PORT") &&
	OUT_PORT=$(late_port "$PORT" "$SUB_PORT" "$SUBS_PORT") ||
	{ echo "Bail out! no free port"; exit 1; }

# A process group of its own with SIGINT handled, as in a terminal (a
# command started with & here inherits SIGINT ignored), so that the test
# can send the Ctrl-C a terminal would send to all of it.
$PY -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' sh "$TOP/tests/lib/run.sh" "$B" \
	> "$tmp/out" 2>&1 < /dev/null &
leader=$!
at_exit "kill -KILL -- -$leader"

started=no
for _ in $(seq 1 600); do
	grep -q '^Log lines' "$tmp/out" 2>/dev/null && { started=yes; break; }
	kill -0 "$leader" 2>/dev/null || break
	sleep 0.1
done
listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}
all_listening() {
	local p
	for p in "$PORT" "$SUB_PORT" "$SUBS_PORT" "$OUT_PORT"; do
		listening "$p" || return 1
	done
}
for _ in $(seq 1 100); do
	all_listening && break
	sleep 0.1
done
if [ $started = yes ] && all_listening; then
	tap_ok 0 "make run: the instance is up, on the four ports asked for"
else
	tap_ok 1 "make run: the instance is up"
	sed 's/^/#   /' "$tmp/out" >&2
	echo "Bail out! run.sh did not start"
	exit 1
fi
out=$(cat "$tmp/out")
tap_like "$out" "demo user: demo@example.test, password demo-password" \
	"it names the demo user and password"
tap_like "$out" "127\\.0\\.0\\.1:$SUB_PORT +submission with STARTTLS" \
	"it names the submission port"
tap_ok "$([ -f "$RUN_DIR/pki/ca.pem" ] &&
	[ -f "$RUN_DIR/certs/mx.example.test/fullchain.pem" ]; echo $?)" \
	"a CA and certificates for mx.example.test were made"
tap_ok "$(ls "$RUN_DIR"/domains/example.test/dkim/*.key >/dev/null 2>&1
	echo $?)" "DKIM keys were made for example.test"

outbox_has() {	# subject: the outbox file holding it, within 15 s
	local f
	for _ in $(seq 1 150); do
		f=$(grep -l "^Subject: $1\$" "$RUN_DIR"/outbox/* 2>/dev/null |
			head -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}
"$B/bin/tambo" -C "$RUN_DIR" dns records example.test > "$tmp/records" \
	2>/dev/null
dkim_ok() {	# file name
	local v rc
	v=$(/usr/bin/python3 "$TOP/tests/integration/dkim_verify.py" \
		--records "$tmp/records" "$1" 2>&1)
	rc=$?
	tap_ok $rc "$2: DKIM-signed as example.test, every signature verifies"
	[ $rc = 0 ] || printf '#   %s\n' "$v" >&2
}

# --- port-25 mode: mail for the demo user lands in its Maildir --------------
sw=$(swaks --server 127.0.0.1 --port "$PORT" --timeout 20 \
	--to demo@example.test --from you@example.org --helo client.example \
	--header "Subject: run-in" 2>&1)
tap_like "$sw" '<-  250 2\.0\.0 Ok: queued as' "port-25 mode: queued"
got=
for _ in $(seq 1 150); do
	got=$(grep -l '^Subject: run-in$' \
		"$RUN_DIR"/state/mail/example.test/demo/new/* 2>/dev/null)
	[ -n "$got" ] && break
	sleep 0.1
done
tap_ok "$([ -n "$got" ]; echo $?)" \
	"port-25 mode: delivered to the demo user's Maildir by the runner"

# --- submission, STARTTLS and implicit TLS ---------------------------------
for spec in "$SUB_PORT --tls STARTTLS" "$SUBS_PORT --tlsc implicit-TLS"; do
	set -- $spec
	sw=$(swaks --server 127.0.0.1 --port "$1" --timeout 20 "$2" \
		--tls-verify --tls-ca-path "$RUN_DIR/pki/ca.pem" \
		--tls-sni mx.example.test \
		--auth PLAIN --auth-user demo@example.test \
		--auth-password demo-password --from demo@example.test \
		--to friend@example.org --helo client.example \
		--header "Subject: run-$3" 2>&1)
	tap_like "$sw" '<~  235 2\.7\.0' \
		"$3: the certificate verifies and the demo password logs in"
	tap_like "$sw" '<~  250 2\.0\.0 Ok: queued as' "$3: queued"
	if f=$(outbox_has "run-$3"); then
		tap_ok 0 "$3: handed to the stand-in for the Internet"
		dkim_ok "$f" "$3"
	else
		tap_ok 1 "$3: handed to the stand-in for the Internet"
		tap_ok 1 "$3: DKIM-signed (nothing arrived)"
		tail -n 20 "$RUN_DIR/log" | sed 's/^/#   /' >&2
	fi
done

# --- the runner keeps going while idle; idle runs are not logged ------------
sleep 4
printf 'Subject: run-sendmail\n\nfrom a script\n' |
	TAMBO_CONFIG_DIR=$RUN_DIR "$B/bin/sendmail" -f demo@example.test \
	friend@example.org
tap_is "$?" 0 "sendmail through the local socket exits 0"
if f=$(outbox_has run-sendmail); then
	tap_ok 0 "sendmail, after the runner sat idle: delivered"
	dkim_ok "$f" "sendmail"
else
	tap_ok 1 "sendmail, after the runner sat idle: delivered"
	tap_ok 1 "sendmail: DKIM-signed (nothing arrived)"
fi
# As cron sends it: no -f, so from root@ the host name, mx.example.test,
# which is not a local domain: signed as example.test, the local domain
# above it (DMARC's relaxed alignment takes it for mx.example.test).
printf 'Subject: run-cron\n\nfrom cron\n' |
	TAMBO_CONFIG_DIR=$RUN_DIR "$B/bin/sendmail" friend@example.org
if f=$(outbox_has run-cron); then
	tap_like "$(grep -i '^From:' "$f")" "<$(id -un)@mx\\.example\\.test>" \
		"cron's mail: From: login@hostname"
	dkim_ok "$f" "cron's mail"
else
	tap_ok 1 "cron's mail: delivered"
	tap_ok 1 "cron's mail: DKIM-signed (nothing arrived)"
fi
# A From: domain that merely ends like a local one is not signed as it.
printf 'From: <x@notexample.test>\nSubject: run-foreign\n\nnot ours\n' |
	TAMBO_CONFIG_DIR=$RUN_DIR "$B/bin/sendmail" -f demo@example.test \
	friend@example.org
if f=$(outbox_has run-foreign); then
	tap_is "$(grep -c '^DKIM-Signature:' "$f")" 0 \
		"From: x@notexample.test is not signed as example.test"
else
	tap_ok 1 "From: x@notexample.test: delivered"
fi
tap_is "$(grep -c 'event=pass delivered=0 deferred=0 bounced=0' \
	"$RUN_DIR/log")" 0 "the runner's idle passes are not in the log"
tap_like "$(cat "$RUN_DIR/log")" 'event=pass delivered=1' \
	"the runner's passes that delivered are"
tap_is "$("$B/bin/tambo" -C "$RUN_DIR" queue list)" "" "the queue is empty"

# --- Ctrl-C stops all of it ------------------------------------------------
kill -INT -- -"$leader" 2>/dev/null
gone=no
for _ in $(seq 1 100); do
	if ! pgrep -g "$leader" >/dev/null; then
		gone=yes
		break
	fi
	sleep 0.1
done
tap_is "$gone" yes "Ctrl-C: every process of the instance has ended"
left=
for p in "$PORT" "$SUB_PORT" "$SUBS_PORT" "$OUT_PORT"; do
	listening "$p" && left="$left $p"
done
tap_is "$left" "" "Ctrl-C: nothing listens on its ports any more"

tap_done
