# common.sh — shared helpers for the shell TAP tests (sourced).
#
#   TOP        repository top;  B  the build under test (TAMBO_BUILD)
#   tap_ok COND-STATUS NAME     tap_is GOT WANT NAME     tap_done
#   tap_like TEXT REGEX NAME    tap_unlike TEXT REGEX NAME
#   free_port                   an unused TCP port on 127.0.0.1
#   make_instance DIR           a configuration made by `tambo init`
#   start_smtpd DIR PORT [MODE] systemd-socket-activate on 127.0.0.1:PORT
#   queue_count DIR             messages in DIR's queue
# Everything started is stopped by the EXIT trap (add with at_exit).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${TAMBO_BUILD:-$TOP/build}
PY=/usr/bin/python3
export LC_ALL=C

_tap_n=0
_tap_fail=0
_at_exit=()

tap_ok() {	# status name...
	local st=$1; shift
	_tap_n=$((_tap_n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_fail=$((_tap_fail + 1))
	fi
}

tap_is() {	# got want name...
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$*"
		# diagnostics on stderr, which prove shows without -v
		echo "#   got:  '$got'" >&2
		echo "#   want: '$want'" >&2
	fi
}

tap_like() {	# text regex name...
	local text=$1 re=$2; shift 2
	if printf '%s' "$text" | grep -Eq -- "$re"; then
		tap_ok 0 "$*"
	else
		tap_ok 1 "$*"
		{
			echo "#   '$re' not found in:"
			printf '%s\n' "$text" | head -20 | sed 's/^/#     /'
		} >&2
	fi
}

tap_unlike() {	# text regex name...: regex is not in text
	local text=$1 re=$2; shift 2
	if printf '%s' "$text" | grep -Eq -- "$re"; then
		tap_ok 1 "$*"
		{
			echo "#   '$re' found in:"
			printf '%s\n' "$text" | grep -E -- "$re" | head -5 |
				sed 's/^/#     /'
		} >&2
	else
		tap_ok 0 "$*"
	fi
}

tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

tap_done() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
}

at_exit() {
	_at_exit+=("$*")
}

_run_at_exit() {
	local i
	for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do
		eval "${_at_exit[$i]}" >/dev/null 2>&1 || true
	done
}
trap _run_at_exit EXIT

free_port() {
	$PY - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# late_port: a port for a socket that starts listening seconds later (in
# a container, on both loopback addresses, or after a set-up).  Drawn from
# 20000-32767, below the kernel's ephemeral range (ip_local_port_range,
# 32768 and up), and tested with ss rather than bound: by the time the
# socket listens, a client of a test running alongside could have been
# given an ephemeral port, and the listener would fail on it.
# shellcheck disable=SC2120 # TAKEN... may be none
late_port() {	# [TAKEN...]
	local p t
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 12768))
		for t in "$@"; do
			[ "$p" = "$t" ] && continue 2
		done
		if [ -z "$(ss -Htanl "( sport = :$p )" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# tmp_instance: a temporary directory $tmp (readable by the users the
# programs drop to, removed at exit) holding an instance in $c
# (make_instance); TAMBO_CONFIG_DIR unset.
tmp_instance() {
	tmp=$(mktemp -d) && chmod 755 "$tmp" || return 1
	at_exit "rm -rf $tmp"
	unset TAMBO_CONFIG_DIR
	c=$tmp/c
	make_instance "$c"
}

make_instance() {	# dir: example.test with alice (password "secret"),
			# alias bob -> alice, catchall.test with "*",
			# bücher.example with info
	local dir=$1
	"$B/bin/tambo" -C "$dir" init example.test --hostname mx.example.test \
		>/dev/null || return 1
	echo secret | "$B/bin/tambo" -C "$dir" user add alice@example.test \
		--password-stdin || return 1
	echo "bob: alice" >> "$dir/domains/example.test/aliases"
	"$B/bin/tambo" -C "$dir" init catchall.test >/dev/null || return 1
	echo "*: alice@example.test" >> "$dir/domains/catchall.test/aliases"
	"$B/bin/tambo" -C "$dir" init bücher.example >/dev/null || return 1
	echo secret2 | "$B/bin/tambo" -C "$dir" user add info@bücher.example \
		--password-stdin || return 1
}

# sink_start DIR PORT [smtp-sink options]: Postfix's smtp-sink on
# 127.0.0.1:PORT as nobody, each message it receives a file in DIR (made
# writable for it), its complaints in DIR.log; its pid in SINK_PID,
# stopped at exit.  Does not wait: wait_port PORT does.
sink_start() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir" && chmod 777 "$dir" || return 1
	/usr/sbin/smtp-sink -u nobody -R / -d "$dir/%M." "$@" \
		"127.0.0.1:$port" 100 2>>"$dir.log" &
	SINK_PID=$!
	at_exit "kill $SINK_PID"
}

wait_port() {	# port: until something accepts on 127.0.0.1:port (5 s)
	$PY - "$1" <<'PY'
import socket, sys, time
end = time.time() + 5
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

start_smtpd() {	# dir port [mode] [extra systemd-socket-activate args]
	local dir=$1 port=$2 mode=${3:-mx}
	shift 3 2>/dev/null || shift $#
	systemd-socket-activate -l "127.0.0.1:$port" -a --inetd "$@" \
		"$B/libexec/tambo/smtpd" -C "$dir" --mode "$mode" \
		>/dev/null 2>>"$dir/smtpd.log" &
	local pid=$!
	at_exit "kill $pid"
	# A probe connection would be logged as a session: wait on the
	# listening socket instead.
	local i
	for i in $(seq 100); do
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

queue_count() {
	find "$1/spool/queue" -maxdepth 1 -type f -regex '.*/[0-9A-F]*' | wc -l
}

tmp_count() {
	find "$1/spool/tmp" -maxdepth 1 -type f | wc -l
}
