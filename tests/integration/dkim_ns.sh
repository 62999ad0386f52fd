#!/bin/bash
# dkim_ns.sh — run a command where the DNS is a private dnsmasq on
# 127.0.0.1:53: inside new network, mount and PID namespaces (dkimsign.t
# starts it with `unshare --net --mount --pid --fork`), so that verifiers
# which can only use /etc/resolv.conf (opendkim-testmsg) ask it too.
#
#   dkim_ns.sh DIR COMMAND [ARG...]
#
# DIR/dnsmasq.conf holds the records (dnsmasq options without "--", one
# per line); dnsmasq logs to DIR/dnsmasq.log.  /etc/resolv.conf is
# replaced, for this namespace only, by a bind mount of DIR/resolv.conf.
# Everything started here ends with the namespace.  Exit status: the
# command's, or 69 when the DNS could not be set up.
set -u
dir=$1
shift
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/dns.sh
. "$(dirname "$0")/../lib/dns.sh"

ip link set lo up || exit 69
# mounts made here must not reach the parent namespace
mount --make-rprivate / 2>/dev/null
echo "nameserver 127.0.0.1" > "$dir/resolv.conf"
mount --bind "$dir/resolv.conf" /etc/resolv.conf || exit 69
dnsmasq=$(PATH=$PATH:/usr/sbin:/sbin command -v dnsmasq) || exit 69
"$dnsmasq" --keep-in-foreground --conf-file="$dir/dnsmasq.conf" \
	--no-resolv --no-hosts --no-poll --port=53 --listen-address=127.0.0.1 \
	--bind-interfaces --pid-file= --user=root --log-queries \
	--log-facility="$dir/dnsmasq.log" --local=/#/ \
	>>"$dir/dnsmasq.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
# until it answers (any rcode), at most 5 s
_dns_wait 53 || exit 69
"$@"
