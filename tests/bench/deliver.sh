#!/bin/bash
# tests/bench/deliver.sh -- delivery throughput: a full queue emptied to a
# receiver on loopback, tambo's delivery runner against the queue manager
# of a private Postfix instance, on the same machine in the same run.
#
# The receiver is Postfix's smtp-sink on 127.0.0.1 (nothing dumped; its
# -c counters give the messages and sessions received).  Every run starts
# with MESSAGES messages (the same ~4 KiB message, one recipient in
# bench.test) waiting in the queue, and ends when the queue is empty:
#
#   tambo     an instance made by `tambo init`, with `route bench.test =
#             [127.0.0.1]:PORT tls=none`; the messages are put into the
#             spool once by libexec/tambo/enqueue (not timed) and a copy
#             of them goes into queue/ before each run; timed: `deliver
#             -C DIR` until it exits.  The sender's domain (client.test)
#             has no DKIM key there, so nothing is signed, as in Postfix.
#             Two configurations: tambo's
#             defaults (delivery_processes 8, destination_concurrency 4)
#             and destination_concurrency = 20, the figure of Postfix's
#             default_destination_concurrency_limit
#   postfix   a private instance (postfix -c DIR, its own queue), relayhost
#             = [127.0.0.1]:PORT and defer_transports = smtp: smtp-source
#             hands the messages to its smtpd and they wait in the
#             deferred queue; Postfix is restarted (so that its CPU figure
#             counts the delivery only); timed: `postqueue -f` until
#             incoming, active, deferred and maildrop hold no file.  Its
#             queue manager also removes the defer log that
#             defer_transports made for each message
#
# Figures: messages/s (median over the runs), CPU ms per message (user +
# system: tambo's runner and every process it started and waited for;
# Postfix's master process tree during the flush) and the ratio of the
# rates.  A run counts only when the queue is empty afterwards and
# smtp-sink received exactly MESSAGES messages.
#
# Usage: tests/bench/deliver.sh [BUILD]     (default TOP/build)
#
# Everything lives in one temporary directory under /var/tmp, removed at
# the end; /etc/postfix is never touched.  Run as root (Postfix).
# Knobs (environment):
#   BENCH_DELIVER_MESSAGES  messages per run (2000)
#   BENCH_DELIVER_REPEAT    runs per configuration (3)
#   BENCH_DELIVER_BUDGET    seconds after which no further round of runs
#                           starts (120); there is always one round
#   BENCH_SIZE              body bytes of the message (4096)
#   BENCH_DELIVER_FIGURES   FILE: also write the figures there as
#                           "KEY SERVER VALUE" lines (tests/bench/run)
#   BENCH_KEEP=1            keep the temporary directory (logs)
#
# Exit status: 0 when every figure was taken, 1 otherwise.

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd) || { echo "deliver.sh: no build $1" >&2; exit 1; }
PY=/usr/bin/python3

N_MSG=${BENCH_DELIVER_MESSAGES:-2000}
REPEAT=${BENCH_DELIVER_REPEAT:-3}
BUDGET=${BENCH_DELIVER_BUDGET:-120}
SIZE=${BENCH_SIZE:-4096}
FIGURES=${BENCH_DELIVER_FIGURES:-}
RUN_TIMEOUT=120		# seconds, one delivery run
FROM=a@client.test
RCPT=r@bench.test
CONFIGS=(tambo tambo20 postfix)
declare -A TITLE=(
    [tambo]="tambo, defaults (8 processes, 4 per destination)"
    [tambo20]="tambo, destination_concurrency = 20"
    [postfix]="Postfix, defaults (20 per destination)")

W= TB= SINK_PID= PFC= PFQ= PFPORT= SINKPORT= LOAD_START=
FAILED=0
NOTES=()
declare -A VALS FIG

say() { printf '%s\n' "$*" >&2; }
die() { say "deliver.sh: $*"; exit 1; }
fail() { say "deliver.sh: FAILED: $*"; FAILED=1; }

now() { date +%s.%N; }

free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# median V...: the median of numbers (mean of the middle two if even).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) exit 1
		  if (NR % 2) print v[(NR + 1) / 2]
		  else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# descendants PID: PID's children, grandchildren, ... (not PID itself).
descendants() {
	ps -e -o pid=,ppid= | awk -v top="$1" '
	    { parent[$1] = $2 }
	    END { for (p in parent) {
		    q = parent[p]; n = 0
		    while (q > 1 && n++ < 64) {
			    if (q == top) { print p; break }
			    q = parent[q]
		    } } }'
}

# cpu_ticks PID: CPU clock ticks used so far by PID's process tree: every
# live process in it plus what the reaped ones used (cutime, cstime).
cpu_ticks() {
	local p
	for p in "$1" $(descendants "$1"); do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 }
	    END { print t + 0 }'
}

# wait_listen PORT: until something listens on 127.0.0.1:PORT (~10 s).
wait_listen() {
	local i
	for ((i = 0; i < 200; i++)); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# ------------------------------------------------------------- smtp-sink

sink_start() {
	SINKPORT=$(free_port) || return 1
	/usr/sbin/smtp-sink -c -u nobody "127.0.0.1:$SINKPORT" 1000 \
	    >"$W/sink.out" 2>"$W/sink.err" &
	SINK_PID=$!
	wait_listen "$SINKPORT"
}

# sink_counts: "MESSAGES SESSIONS" received since smtp-sink started (its
# counters, one \r-terminated line per update).  A session is counted
# when it ends: first wait (~5 s at most) until no client is connected.
sink_counts() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -z $(ss -Htn state established "( sport = :$SINKPORT )" \
		    2>/dev/null) ]] && break
		sleep 0.05
	done
	tr '\r' '\n' <"$W/sink.out" | awk '
	    /mesg=/ { for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "mesg") m = kv[2]
			if (kv[1] == "sess") s = kv[2] } }
	    END { printf "%d %d\n", m, s }'
}

# ----------------------------------------------------------------- tambo

# tambo_setup NAME [CONF-LINE...]: instance W/NAME (local domain
# local.test) with bench.test routed to the sink, and the CONF-LINEs.
tambo_setup() {
	local c=$W/$1
	shift
	"$TB/bin/tambo" -C "$c" init local.test --hostname mx.local.test \
	    >>"$W/tambo-init.log" 2>&1 || {
		say "tambo init:"; cat "$W/tambo-init.log" >&2; return 1; }
	{
		echo "route bench.test = [127.0.0.1]:$SINKPORT tls=none"
		(($# == 0)) || printf '%s\n' "$@"
	} >>"$c/tambo.conf" || return 1
}

# tambo_template: MESSAGES messages enqueued once into W/template's
# spool; each run copies its queue/.
tambo_template() {
	local i c=$W/template
	tambo_setup template || return 1
	for ((i = 0; i < N_MSG; i++)); do
		"$TB/libexec/tambo/enqueue" -C "$c" -f "$FROM" "$RCPT" \
		    <"$W/msg" >/dev/null 2>>"$W/enqueue.log" || {
			say "enqueue failed:"; tail -n 3 "$W/enqueue.log" >&2
			return 1; }
	done
	[[ $(ls -A "$c/spool/queue" | wc -l) == "$N_MSG" ]]
}

# run_tambo NAME: prints "rate=MSG/S cpu=MS/MSG sessions=N".
run_tambo() {
	local c=$W/$1 t rc m0 s0 m1 s1 left
	local TIMEFORMAT='%3R %3U %3S'
	[[ -z $(ls -A "$c/spool/queue") ]] || {
		say "$1: queue not empty before the run"; return 1; }
	cp -a "$W/template/spool/queue/." "$c/spool/queue/" || return 1
	sync
	read -r m0 s0 < <(sink_counts)
	{ time timeout "$RUN_TIMEOUT" "$TB/libexec/tambo/deliver" -C "$c" \
	    2>>"$W/$1-deliver.log"; } 2>"$W/time.out"
	rc=$?
	read -r m1 s1 < <(sink_counts)
	left=$(ls -A "$c/spool/queue" | wc -l)
	if ((rc != 0 || left != 0 || m1 - m0 != N_MSG)); then
		say "$1: deliver exit $rc, $left files left in the queue," \
		    "smtp-sink received $((m1 - m0)) of $N_MSG"
		tail -n 5 "$W/$1-deliver.log" >&2
		find "$c/spool/queue" -type f -delete
		return 1
	fi
	read -r t < <(tail -n 1 "$W/time.out")
	awk -v n="$N_MSG" -v t="$t" -v s="$((s1 - s0))" 'BEGIN {
	    split(t, x, " ")
	    printf "rate=%.1f cpu=%.3f sessions=%d\n", n / x[1],
		(x[2] + x[3]) * 1000 / n, s }'
}

# --------------------------------------------------------------- Postfix

pf_setup() {
	local d=$W/postfix
	PFC=$d/etc
	PFQ=$d/queue
	mkdir -p "$PFC" "$PFQ" "$d/data" || return 1
	chown postfix "$d/data" || return 1
	PFPORT=$(free_port) || return 1
	cat >"$PFC/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PFQ
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.local.test
mydomain = local.test
myorigin = \$myhostname
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:$SINKPORT
defer_transports = smtp
smtp_tls_security_level = none
smtpd_banner = \$myhostname ESMTP
biff = no
maillog_file = $d/maillog
EOF
	# The stock services, none chrooted; smtpd on our port only, for
	# filling the queue.
	cat >"$PFC/master.cf" <<EOF
127.0.0.1:$PFPORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	postfix -c "$PFC" check >>"$d/setup.log" 2>&1 || {
		say "postfix check:"; cat "$d/setup.log" >&2; return 1; }
}

pf_master_pid() {
	local pid
	[[ -n $PFQ ]] || return 1
	read -r pid <"$PFQ/pid/master.pid" 2>/dev/null || return 1
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

pf_start() {
	postfix -c "$PFC" start >>"$W/postfix/setup.log" 2>&1 || {
		say "postfix start:"; tail -n 5 "$W/postfix/setup.log" >&2
		return 1; }
	wait_listen "$PFPORT"
}

pf_stop() {
	local pid i
	pid=$(pf_master_pid) || return 0
	postfix -c "$PFC" stop >>"$W/postfix/setup.log" 2>&1
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	say "deliver.sh: postfix master $pid still running, killing it"
	kill -KILL "$pid" $(descendants "$pid") 2>/dev/null
	return 0
}

# pf_count [QUEUE...]: files in Postfix's queues (default: all that hold
# mail on its way).
pf_count() {
	local q=("$@") d=() x
	((${#q[@]})) || q=(maildrop incoming active deferred)
	for x in "${q[@]}"; do
		d+=("$PFQ/$x")
	done
	find "${d[@]}" -type f 2>/dev/null | wc -l
}

# pf_wait_empty: when Postfix's queues (maildrop, incoming, active,
# deferred) are empty, print the time (as `now` does); fail after
# RUN_TIMEOUT seconds.  One process that looks every 10 ms and stops
# at the first file it sees, so as to take little CPU from Postfix.
pf_wait_empty() {
	"$PY" - "$PFQ" "$RUN_TIMEOUT" <<'EOF'
import os, sys, time

top, limit = sys.argv[1], float(sys.argv[2])

def busy(d):
    try:
        with os.scandir(d) as it:
            for e in it:
                if not e.is_dir(follow_symlinks=False) or busy(e.path):
                    return True
    except FileNotFoundError:
        pass
    return False

end = time.time() + limit
queues = [os.path.join(top, q)
          for q in ("maildrop", "incoming", "active", "deferred")]
while any(busy(q) for q in queues):
    if time.time() > end:
        sys.exit(1)
    time.sleep(0.01)
print("%.6f" % time.time())
EOF
}

# pf_fill: MESSAGES messages through smtpd into the deferred queue.
pf_fill() {
	local i
	timeout "$RUN_TIMEOUT" smtp-source -d -s 10 -m "$N_MSG" -F "$W/msg" \
	    -f "$FROM" -t "$RCPT" "127.0.0.1:$PFPORT" >"$W/source.out" 2>&1 || {
		say "smtp-source against postfix failed:"
		tail -n 5 "$W/source.out" >&2; return 1; }
	# defer_transports: the queue manager moves each to deferred/.
	for ((i = 0; i < 600; i++)); do
		(($(pf_count maildrop incoming active) == 0 &&
		    $(pf_count deferred) == N_MSG)) && return 0
		sleep 0.1
	done
	say "postfix: $(pf_count deferred) of $N_MSG messages deferred," \
	    "$(pf_count maildrop incoming active) still on their way"
	return 1
}

# run_postfix: prints "rate=MSG/S cpu=MS/MSG sessions=N".  Postfix runs
# only during its runs: started to fill its queue, restarted for the
# flush, stopped after it (closing the connections it keeps cached, so
# that smtp-sink counts them).
run_postfix() {
	local top t0 t1 c0 c1 m0 s0 m1 s1 left
	pf_start || return 1
	pf_fill || { postsuper -c "$PFC" -d ALL >/dev/null 2>&1; pf_stop
		return 1; }
	pf_stop
	pf_start || return 1
	top=$(pf_master_pid) || { pf_stop; return 1; }
	sync
	read -r m0 s0 < <(sink_counts)
	c0=$(cpu_ticks "$top")
	t0=$(now)
	postqueue -c "$PFC" -f >>"$W/postfix/setup.log" 2>&1 || {
		say "postqueue -f failed"; pf_stop
		postsuper -c "$PFC" -d ALL >/dev/null 2>&1; return 1; }
	t1=$(pf_wait_empty)
	c1=$(cpu_ticks "$top")
	left=$(pf_count)
	pf_stop
	read -r m1 s1 < <(sink_counts)
	if ((left != 0 || m1 - m0 != N_MSG)); then
		say "postfix: $left files left in the queue, smtp-sink" \
		    "received $((m1 - m0)) of $N_MSG"
		postsuper -c "$PFC" -d ALL >/dev/null 2>&1
		return 1
	fi
	awk -v n="$N_MSG" -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" \
	    -v hz="$(getconf CLK_TCK)" -v s="$((s1 - s0))" 'BEGIN {
	    printf "rate=%.1f cpu=%.3f sessions=%d\n", n / (b - a),
		c * 1000 / hz / n, s }'
}

# ------------------------------------------------------------------ main

cleanup() {
	trap - EXIT INT TERM
	pf_stop
	[[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null
	if [[ -n $W && -d $W ]]; then
		if [[ ${BENCH_KEEP:-0} == 1 ]]; then
			say "deliver.sh: kept $W"
		else
			rm -rf "$W"
		fi
	fi
}

# ratio A B: A / B with two decimals, or "-".
ratio() {
	[[ $1 != - && $2 != - ]] || { echo -; return; }
	awk -v a="$1" -v b="$2" \
	    'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

print_table() {
	local c p=${FIG[postfix.rate]:--}
	printf '\ndelivery: %s queued messages of %s bytes to smtp-sink on loopback\n' \
	    "$N_MSG" "$(wc -c <"$W/msg")"
	printf '%-52s %8s %10s %9s\n' configuration msg/s "CPU ms/msg" /postfix
	for c in "${CONFIGS[@]}"; do
		printf '%-52s %8s %10s %9s\n' "${TITLE[$c]}" \
		    "${FIG[$c.rate]:--}" "${FIG[$c.cpu]:--}" \
		    "$(ratio "${FIG[$c.rate]:--}" "$p")"
	done
	printf 'medians of up to %s runs; /postfix = msg/s over Postfix'"'"'s msg/s\n' \
	    "$REPEAT"
	printf 'load average at start: %s, at end: %s\n' "$LOAD_START" \
	    "$(cut -d' ' -f1-3 /proc/loadavg)"
	((${#NOTES[@]} == 0)) || printf 'note: %s\n' "${NOTES[@]}"
}

# write_figures FILE: the figures as tests/bench/run takes them.
write_figures() {
	local f=$1
	{
		[[ -n ${FIG[tambo.rate]:-} ]] && printf '%s\n' \
		    "deliver_rate tambo ${FIG[tambo.rate]}" \
		    "deliver_cpu tambo ${FIG[tambo.cpu]}"
		[[ -n ${FIG[tambo20.rate]:-} ]] && printf '%s\n' \
		    "deliver20_rate tambo ${FIG[tambo20.rate]}" \
		    "deliver20_cpu tambo ${FIG[tambo20.cpu]}"
		[[ -n ${FIG[postfix.rate]:-} ]] && printf '%s\n' \
		    "deliver_rate postfix ${FIG[postfix.rate]}" \
		    "deliver_cpu postfix ${FIG[postfix.cpu]}" \
		    "deliver20_rate postfix ${FIG[postfix.rate]}" \
		    "deliver20_cpu postfix ${FIG[postfix.cpu]}"
		true
	} >"$f"
}

main() {
	local b c r i out f k t0 order
	[[ $(id -u) == 0 ]] || die "run as root (a private Postfix instance)"
	for b in postfix postqueue postsuper smtp-source /usr/sbin/smtp-sink; do
		command -v "$b" >/dev/null || die "$b not found (package postfix)"
	done
	[[ -x $B/libexec/tambo/deliver && -x $B/libexec/tambo/enqueue &&
	    -x $B/bin/tambo ]] || die "no tambo programs in $B (run make first)"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	W=$(mktemp -d /var/tmp/tambo-deliver-bench.XXXXXX) || die "mktemp"
	chmod 755 "$W"	# Postfix daemons and smtp-sink run unprivileged
	# A copy, so that a rebuild during the run cannot change the
	# programs measured; the bin/ libexec/ layout is kept.
	TB=$W/build
	mkdir -p "$TB" && cp -a "$B/bin" "$B/libexec" "$TB/" ||
	    die "cannot copy $B"

	# The message: a few header fields and SIZE bytes of body.
	{
		printf 'From: %s\nTo: %s\nSubject: delivery bench\n\n' \
		    "$FROM" "$RCPT"
		for ((i = 0; i < SIZE; i += 64)); do
			printf '%063d\n' "$i"
		done
	} >"$W/msg" || die "cannot write the message"

	say "deliver.sh: $(postconf -d -h mail_version 2>/dev/null |
	    sed 's/^/Postfix /'); tambo from $B; work in $W"
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	say "deliver.sh: $(nproc) CPUs; load average at start: $LOAD_START"
	sink_start || die "smtp-sink does not listen"
	tambo_setup tambo || die "tambo set-up failed"
	tambo_setup tambo20 "destination_concurrency = 20" ||
	    die "tambo set-up failed"
	pf_setup || die "postfix set-up failed"
	say "deliver.sh: enqueueing $N_MSG messages for tambo (not timed)"
	tambo_template || die "cannot fill tambo's queue"

	t0=$SECONDS
	for ((r = 1; r <= REPEAT; r++)); do
		if ((r > 1 && SECONDS - t0 > BUDGET)); then
			NOTES+=("$((r - 1)) run(s) per configuration only (time budget of $BUDGET s spent)")
			break
		fi
		order=("${CONFIGS[@]}")
		((r % 2 == 0)) && order=($(printf '%s\n' "${CONFIGS[@]}" | tac))
		for c in "${order[@]}"; do
			if [[ $c == postfix ]]; then
				out=$(run_postfix)
			else
				out=$(run_tambo "$c")
			fi
			if (($? != 0)); then
				fail "$c: run $r"
				continue
			fi
			say "  run $r: $c $out"
			for f in $out; do
				VALS[$c.${f%%=*}]+=" ${f#*=}"
			done
		done
	done
	for k in "${!VALS[@]}"; do
		FIG[$k]=$(median ${VALS[$k]})
	done
	for c in "${CONFIGS[@]}"; do
		[[ -n ${FIG[$c.rate]:-} ]] || fail "$c: no figure"
	done
	print_table
	[[ -z $FIGURES ]] || write_figures "$FIGURES" ||
	    fail "cannot write $FIGURES"
	((FAILED == 0))
}

main "$@"
