# dns.sh — a real DNS server for the shell tests: dnsmasq (package
# dnsmasq-base) on a free loopback port, answering only from the records a
# test gives it (sourced after common.sh).
#
#   have_dns                     0 when dnsmasq is installed
#   start_dns DIR [--ipv6] [DNSMASQ-OPTION...]
#                                start dnsmasq on 127.0.0.1 (and [::1] with
#                                --ipv6) at a free port, log queries to
#                                DIR/dnsmasq.log, wait until it answers,
#                                stop it at exit; sets DNS_PORT and DNS_PID
#   restart_dns [DNSMASQ-OPTION...]
#                                the same server again, same port, new records
#   stop_dns                     stop it now
#   dns_resolver                 "127.0.0.1:PORT" for tambo.conf's resolver =
#
# Records are dnsmasq options, e.g.
#   --mx-host=example.test,mx.example.test,10
#   --host-record=mx.example.test,192.0.2.1,2001:db8::1   (A, AAAA and PTR)
#   --txt-record=example.test,"v=spf1 mx -all"   (one string per comma-
#                                separated part; dnsmasq splits > 255 octets)
#   --ptr-record=1.2.0.192.in-addr.arpa,mx.example.test
#   --address=/name/192.0.2.9    (beware: also answers for every subdomain)
#   --dns-rr=null.example,15,000000               (any type, rdata in hex)
# Every name it has no record for is NXDOMAIN (--local=/#/), and a name
# with records of other types is NODATA: nothing is ever forwarded.

_dns_dir=
_dns_ipv6=
_dns_atexit=

have_dns() {
	_dns_bin >/dev/null
}

_dns_bin() {
	PATH=$PATH:/usr/sbin:/sbin command -v dnsmasq
}

# Until the server answers a question (any rcode), at most 5 s.
_dns_wait() {	# port
	$PY - "$1" <<'PY'
import socket, sys, time
q = bytes.fromhex("123401000001000000000000" "0570726f6265" "00" "00010001")
end = time.time() + 5
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.1)
    try:
        s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
        if s.recv(512)[:2] == q[:2]:
            sys.exit(0)
    except OSError:
        time.sleep(0.05)
    finally:
        s.close()
sys.exit(1)
PY
}

_dns_run() {	# port options...
	local port=$1 bin listen
	shift
	bin=$(_dns_bin) || return 1
	listen=(--listen-address=127.0.0.1)
	[ -z "$_dns_ipv6" ] || listen+=(--listen-address=::1)
	"$bin" --keep-in-foreground --conf-file=/dev/null --no-resolv \
		--no-hosts --no-poll --port="$port" "${listen[@]}" \
		--bind-interfaces --pid-file= --log-queries \
		--log-facility="$_dns_dir/dnsmasq.log" --local=/#/ "$@" \
		>>"$_dns_dir/dnsmasq.log" 2>&1 &
	DNS_PID=$!
	if _dns_wait "$port"; then
		DNS_PORT=$port
		if [ -z "$_dns_atexit" ]; then
			_dns_atexit=1
			at_exit stop_dns
		fi
		return 0
	fi
	kill "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
	DNS_PID=
	return 1
}

start_dns() {	# dir [--ipv6] options...
	_dns_dir=$1
	shift
	_dns_ipv6=
	if [ "${1:-}" = --ipv6 ]; then
		_dns_ipv6=1
		shift
	fi
	mkdir -p "$_dns_dir" || return 1
	local i port
	# A port free for TCP may be taken for UDP (or on ::1): try again.
	for i in 1 2 3 4 5; do
		port=$(free_port) || return 1
		_dns_run "$port" "$@" && return 0
	done
	echo "# dns.sh: dnsmasq did not start; see $_dns_dir/dnsmasq.log"
	return 1
}

stop_dns() {
	[ -n "${DNS_PID:-}" ] || return 0
	kill "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
	DNS_PID=
}

restart_dns() {	# options...
	local port=$DNS_PORT i
	stop_dns
	# The port was ours a moment ago; the kernel may need a moment.
	for i in 1 2 3 4 5; do
		_dns_run "$port" "$@" && return 0
	done
	echo "# dns.sh: dnsmasq did not restart on port $port"
	return 1
}

dns_resolver() {
	echo "127.0.0.1:$DNS_PORT"
}
