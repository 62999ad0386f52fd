#!/bin/bash
# STARTTLS on port 25, and swaks as the TLS client on 25, 587 and 465.
. "$(dirname "$0")/../lib/common.sh"
command -v certtool >/dev/null || tap_skip_all "certtool (gnutls-bin) missing"
[ -f "$B/libexec/tambo/tls.so" ] || tap_skip_all "no TLS plugin built"
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
make_instance "$tmp/c" || { echo "Bail out! instance"; exit 1; }
sh "$TOP/tests/lib/mkcerts.sh" "$tmp/pki" || { echo "Bail out! certs"; exit 1; }
cp -r "$tmp/pki/certs" "$tmp/c/certs"
p25=$(free_port)
p587=$(free_port)
p465=$(free_port)
start_smtpd "$tmp/c" "$p25" mx || { echo "Bail out! 25"; exit 1; }
start_smtpd "$tmp/c" "$p587" submission || { echo "Bail out! 587"; exit 1; }
start_smtpd "$tmp/c" "$p465" submissions || { echo "Bail out! 465"; exit 1; }

qid() { printf '%s\n' "$1" | sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p'; }

out=$(swaks --server "127.0.0.1:$p25" --tls --helo client.example \
	--from someone@other.example --to alice@example.test 2>&1)
tap_ok $? "swaks STARTTLS on port 25: exit 0"
id=$(qid "$out")
tap_like "$(cat "$tmp/c/spool/queue/$id" 2>/dev/null)" \
	'with ESMTPS id [0-9A-F]{18}' "port 25 over TLS: Received: says ESMTPS"
out=$(swaks --server "127.0.0.1:$p25" --tls --helo client.example \
	--from someone@other.example --to someone@gmail.example 2>&1)
tap_like "$out" '554 5\.7\.1' "port 25 over TLS still refuses to relay"
out=$(swaks --server "127.0.0.1:$p25" --helo client.example --auth PLAIN \
	--auth-user alice@example.test --auth-password secret --tls \
	--from alice@example.test --to someone@gmail.example 2>&1)
tap_like "$out" 'AUTH.*not advertised|No authentication type succeeded|502 5\.5\.1|Host did not advertise authentication' \
	"port 25 offers no AUTH"

out=$(swaks --server "127.0.0.1:$p587" --tls --auth PLAIN \
	--auth-user alice@example.test --auth-password secret \
	--from alice@example.test --to friend@other.example 2>&1)
tap_ok $? "swaks STARTTLS + AUTH PLAIN on 587"
id=$(qid "$out")
tap_like "$(cat "$tmp/c/spool/queue/$id" 2>/dev/null)" \
	'with ESMTPSA id [0-9A-F]{18}' "587: Received: says ESMTPSA"
out=$(swaks --server "127.0.0.1:$p465" --tlsc --auth LOGIN \
	--auth-user alice@example.test --auth-password secret \
	--from alice@example.test --to friend@other.example 2>&1)
tap_ok $? "swaks implicit TLS + AUTH LOGIN on 465"
out=$(swaks --server "127.0.0.1:$p587" --tls --auth PLAIN \
	--auth-user alice@example.test --auth-password secret \
	--from bob@other.example --to friend@other.example 2>&1)
tap_like "$out" '550 5\.7\.1' "587: someone else's sender refused"
out=$(swaks --server "127.0.0.1:$p587" --auth PLAIN \
	--auth-user alice@example.test --auth-password secret \
	--from alice@example.test --to friend@other.example 2>&1)
tap_like "$out" 'did not advertise|538 5\.7\.11|No authentication' \
	"587 without TLS: no AUTH"
tap_like "$(grep -c 'event=tls' "$tmp/c/smtpd.log")" '^[4-9]$|^[1-9][0-9]+$' \
	"TLS sessions logged"
tap_done
