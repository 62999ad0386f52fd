#!/bin/bash
# netns.t — two hosts in network namespaces joined by a veth pair, IPv6
# and IPv4: a sender (tambo's runner, dnsmasq as its DNS) and a receiver
# (tambo's smtpd on port 25 with a certificate from a test CA).  Checks
# delivery over IPv6 first, the certificate verified (tls_policy verify),
# TLS recorded by the receiver, ip_preference ipv4, falling back to IPv4
# when the IPv6 address is gone, and STARTTLS required but not offered
# (deferred, then delivered once the receiver has its certificate).
. "$(dirname "$0")/../lib/common.sh"

[ "$(id -u)" = 0 ] || tap_skip_all "needs root"
command -v ip >/dev/null || tap_skip_all "no ip (iproute2)"
command -v certtool >/dev/null || tap_skip_all "no certtool"
DNSMASQ=$(PATH=$PATH:/usr/sbin command -v dnsmasq) || tap_skip_all "no dnsmasq"
[ -x "$B/libexec/tambo/remote" ] || tap_skip_all "no remote built"

tmp=$(mktemp -d)
chmod 755 "$tmp"
at_exit "rm -rf $tmp"
unset TAMBO_CONFIG_DIR
S=tsnd$$ R=trcv$$
ip netns add $S && ip netns add $R || tap_skip_all "cannot create network namespaces"
at_exit "ip netns del $S"
at_exit "ip netns del $R"
# Deleting a namespace leaves its processes running: end them first.
at_exit "ip netns pids $S | xargs -r kill; ip netns pids $R | xargs -r kill"
ip link add "v$S" type veth peer name "v$R" || tap_skip_all "no veth"
ip link set "v$S" netns $S
ip link set "v$R" netns $R
ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
ns $S ip link set lo up
ns $R ip link set lo up
ns $S ip addr add 10.77.0.1/24 dev "v$S"
ns $R ip addr add 10.77.0.2/24 dev "v$R"
ns $S ip -6 addr add fd77::1/64 dev "v$S" nodad
ns $R ip -6 addr add fd77::2/64 dev "v$R" nodad
ns $S ip link set "v$S" up
ns $R ip link set "v$R" up
tap_like "$(ns $S ip -4 route get 10.77.0.2)" "dev v$S" "IPv4 route between the namespaces"
tap_like "$(ns $S ip -6 route get fd77::2)" "dev v$S" "IPv6 route between the namespaces"

# --- the receiver: tambo on port 25, dual stack ------------------------------
sh "$TOP/tests/lib/mkcerts.sh" "$tmp/pki" >/dev/null 2>&1 || { echo "Bail out! mkcerts"; exit 1; }
r=$tmp/r
"$B/bin/tambo" -C "$r" init example.test --hostname mx.example.test >/dev/null
echo "alice: |cat >/dev/null" >> "$r/domains/example.test/aliases"
ip netns exec $R systemd-socket-activate -l 25 -a --inetd \
	"$B/libexec/tambo/smtpd" -C "$r" --mode mx 2>>"$r/smtpd.log" >/dev/null &
rpid=$!
at_exit "kill $rpid"
for _ in $(seq 50); do
	ns $R ss -Hltn 'sport = :25' | grep -q . && break
	sleep 0.1
done

# --- the sender: its DNS and configuration ------------------------------------
ip netns exec $S "$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --port=53 \
	--listen-address=127.0.0.1 --bind-interfaces --local=/#/ \
	--mx-host=example.test,mx.example.test,10 \
	--host-record=mx.example.test,10.77.0.2,fd77::2 \
	--pid-file="$tmp/dnsmasq.pid" 2>"$tmp/dnsmasq.log" &
dpid=$!
at_exit "kill $dpid"
sleep 0.3
s=$tmp/s
"$B/bin/tambo" -C "$s" init sender.test --hostname out.sender.test >/dev/null
cat >> "$s/tambo.conf" <<EOF
resolver = 127.0.0.1:53
tls_policy example.test = verify
connect_timeout = 3
EOF
export TAMBO_TLS_CA_FILE=$tmp/pki/ca.pem

send() {	# subject: queue one message and run the sender's runner
	printf 'From: me@sender.test\nSubject: %s\n\nhello\n' "$1" |
		"$B/libexec/tambo/enqueue" -C "$s" -f me@sender.test alice@example.test \
		>/dev/null 2>>"$tmp/enqueue.log"
	: > "$tmp/deliver.log"
	ns $S "$B/libexec/tambo/deliver" -C "$s" --flush 2>>"$tmp/deliver.log"
}
rqueue() { find "$r/spool/queue" -maxdepth 1 -type f -regex '.*/[0-9A-F]*' | wc -l; }

# No certificate yet: STARTTLS is not offered, verify cannot be met.
send notls
tap_is "$(queue_count "$s")" 1 "receiver without STARTTLS, tls_policy verify: deferred"
tap_like "$(cat "$tmp/deliver.log")" 'event=deferred .*dsn=4\.7\.' \
	"deferred with a 4.7.x status"
tap_is "$(rqueue)" 0 "nothing sent in plaintext"

# The certificate arrives (as acme.sh would put it): the next run delivers.
cp -r "$tmp/pki/certs" "$r/certs"
ns $S "$B/libexec/tambo/deliver" -C "$s" --flush 2>"$tmp/deliver.log"
log=$(cat "$tmp/deliver.log")
tap_is "$(queue_count "$s")" 0 "with a certificate: delivered"
tap_like "$log" 'event=connect relay=mx\.example\.test\[fd77::2\]:25 tls="?TLS1\.[23]' \
	"over IPv6 first, with TLS"
tap_like "$log" 'verified=yes' "the certificate verified against the CA"
tap_is "$(rqueue)" 1 "the receiver queued it"
f=$(find "$r/spool/queue" -maxdepth 1 -type f -regex '.*/[0-9A-F]*' | head -1)
tap_like "$(cat "$f")" 'from out\.sender\.test \(.*fd77::1.*\)' \
	"the receiver saw the sender's IPv6 address and EHLO name"
tap_like "$(cat "$f")" 'with ESMTPS' "the receiver recorded ESMTPS"

# ip_preference ipv4
echo "ip_preference = ipv4" >> "$s/tambo.conf"
send v4
tap_like "$(cat "$tmp/deliver.log")" 'event=delivered .*relay=mx\.example\.test\[10\.77\.0\.2\]:25' \
	"ip_preference ipv4: delivered over IPv4"
sed -i '/^ip_preference/d' "$s/tambo.conf"

# The IPv6 address goes away: the runner falls back to IPv4.
ns $R ip -6 addr del fd77::2/64 dev "v$R"
send fallback
log=$(cat "$tmp/deliver.log")
tap_is "$(queue_count "$s")" 0 "IPv6 unreachable: still delivered"
tap_like "$log" 'event=attempt relay=mx\.example\.test\[fd77::2\]' "the IPv6 attempt logged"
tap_like "$log" 'event=delivered .*relay=mx\.example\.test\[10\.77\.0\.2\]:25' \
	"then IPv4"
tap_is "$(rqueue)" 3 "three messages at the receiver"

tap_done
