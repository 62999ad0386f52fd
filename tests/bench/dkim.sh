#!/bin/bash
# tests/bench/dkim.sh — DKIM signing: tambo's dkimsign against
# opendkim-testmsg (libopendkim, C) and dkimpy's dkimsign (python3-dkim),
# same machine, same run, same keys and messages.
#
#   tests/bench/dkim.sh [BUILD]        (default: build)
#
# Figures, each the median of DKIM_BENCH_REPEAT runs:
#   msgs/s  4 KiB messages, one process per message, one after another,
#           as the delivery runner runs the filter (process start-up,
#           key loading and one signature each)
#   MB/s    one large message (DKIM_BENCH_MB megabytes, default 50):
#           canonicalisation and hashing of the body
# for an RSA-2048 key and an Ed25519 key, relaxed/relaxed, and the ratios
# tambo / other (above 1: tambo is faster).  A tool that is missing, or
# cannot sign with a key type (an opendkim built without Ed25519), shows
# "-".  Every output is checked to start with a DKIM-Signature field.
#
# Knobs: DKIM_BENCH_MESSAGES (C programs, default 200),
# DKIM_BENCH_MESSAGES_PY (dkimpy, default 30), DKIM_BENCH_MB (50),
# DKIM_BENCH_REPEAT (3), DKIM_BENCH_KEEP=1 keeps the work directory.
# Exit status 1 when tambo's dkimsign failed.

set -uo pipefail
export LC_ALL=C

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${1:-${TAMBO_BUILD:-$TOP/build}}
case $B in /*) ;; *) B=$TOP/$B ;; esac
D=$B/libexec/tambo/dkimsign
PY=/usr/bin/python3
N=${DKIM_BENCH_MESSAGES:-200}
NPY=${DKIM_BENCH_MESSAGES_PY:-30}
MB=${DKIM_BENCH_MB:-50}
REPEAT=${DKIM_BENCH_REPEAT:-3}
OPENDKIM=$(PATH=$PATH:/usr/sbin command -v opendkim-testmsg || true)
DKIMPY=
[ -x /usr/bin/dkimsign ] && DKIMPY=/usr/bin/dkimsign

say() { printf '%s\n' "$*" >&2; }
[ -x "$D" ] || { say "dkim bench: $D not built (make)"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/var/tmp}/tambo-dkimbench.XXXXXX") || exit 1
if [ "${DKIM_BENCH_KEEP:-0}" = 1 ]; then
	say "dkim bench: work directory $W"
else
	trap 'rm -rf "$W"' EXIT
fi

# --- keys, in each tool's format -------------------------------------------
"$D" --keygen rsa "$W/rsa.pem" && "$D" --keygen ed25519 "$W/ed.pem" ||
	{ say "dkim bench: dkimsign --keygen failed"; exit 1; }
# dkimpy takes an Ed25519 key as the base64 of its 32-octet seed
$PY - "$W/ed.pem" "$W/ed.dkimpy" <<'PY'
import base64, sys
der = base64.b64decode("".join(l for l in open(sys.argv[1])
                               if not l.startswith("-----")))
open(sys.argv[2], "w").write(base64.b64encode(der[-32:]).decode() + "\n")
PY

# --- messages ----------------------------------------------------------------
$PY - "$W/small.eml" "$W/large.eml" "$MB" <<'PY'
import sys
head = (b"From: Alice <alice@example.test>\r\nTo: Bob <bob@example.net>\r\n"
        b"Subject: benchmark\r\nDate: Sun, 23 Nov 2025 10:00:00 +0000\r\n"
        b"Message-ID: <bench@example.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\n")
line = b"Lorem ipsum dolor sit amet,  consectetur\tadipiscing elit, sed do.\r\n"
small = head + line * ((4096 - len(head)) // len(line))
open(sys.argv[1], "wb").write(small)
with open(sys.argv[2], "wb") as f:
    f.write(head)
    block = line * 16384
    for _ in range(int(sys.argv[3]) * 1024 * 1024 // len(block)):
        f.write(block)
PY
LARGE_MB=$(( $(stat -c %s "$W/large.eml") / 1000000 ))

# sign TOOL KEYTYPE: one signing of stdin to stdout
sign() {
	case $1:$2 in
	tambo:rsa)	"$D" -d example.test -s r -k "$W/rsa.pem" ;;
	tambo:ed)	"$D" -d example.test -s e -k "$W/ed.pem" ;;
	opendkim:rsa)	"$OPENDKIM" -d example.test -s r -k "$W/rsa.pem" ;;
	opendkim:ed)	"$OPENDKIM" -d example.test -s e -k "$W/ed.pem" ;;
	dkimpy:rsa)	"$DKIMPY" --hcanon relaxed --bcanon relaxed r \
			    example.test "$W/rsa.pem" ;;
	dkimpy:ed)	"$DKIMPY" --hcanon relaxed --bcanon relaxed \
			    --signalg ed25519-sha256 e example.test "$W/ed.dkimpy" ;;
	esac
}

# works TOOL KEYTYPE: signs the small message into a DKIM-Signature?
works() {
	sign "$1" "$2" < "$W/small.eml" > "$W/check.out" 2>"$W/check.err" &&
		grep -qi '^DKIM-Signature:' "$W/check.out"
}

now_ns() { date +%s%N; }

median() {	# numbers on stdin
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# rate_msgs TOOL KEYTYPE COUNT: messages per second, one process each
rate_msgs() {
	local t0 t1 i
	t0=$(now_ns)
	for ((i = 0; i < $3; i++)); do
		sign "$1" "$2" < "$W/small.eml" > /dev/null 2>&1 || return 1
	done
	t1=$(now_ns)
	awk -v n="$3" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f\n", n / (ns / 1e9) }'
}

# rate_mb TOOL KEYTYPE: MB/s on the large message (from a file)
rate_mb() {
	local t0 t1
	t0=$(now_ns)
	sign "$1" "$2" < "$W/large.eml" > /dev/null 2>&1 || return 1
	t1=$(now_ns)
	awk -v mb="$(stat -c %s "$W/large.eml")" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.1f\n", mb / 1e6 / (ns / 1e9) }'
}

declare -A FIG
TOOLS=(tambo)
[ -n "$OPENDKIM" ] && TOOLS+=(opendkim)
[ -n "$DKIMPY" ] && TOOLS+=(dkimpy)
status=0
for tool in "${TOOLS[@]}"; do
	for kt in rsa ed; do
		if ! works "$tool" "$kt"; then
			say "dkim bench: $tool cannot sign with $kt: $(head -c 200 "$W/check.err")"
			[ "$tool" = tambo ] && status=1
			FIG[$tool:$kt:msgs]=- FIG[$tool:$kt:mb]=-
			continue
		fi
		count=$N
		[ "$tool" = dkimpy ] && count=$NPY
		say "dkim bench: $tool $kt: $REPEAT x $count messages, $REPEAT x ${LARGE_MB} MB"
		sign "$tool" "$kt" < "$W/small.eml" > /dev/null 2>&1	# warm-up
		for ((r = 0; r < REPEAT; r++)); do
			rate_msgs "$tool" "$kt" "$count" || echo FAIL
		done > "$W/$tool.$kt.msgs"
		for ((r = 0; r < REPEAT; r++)); do
			rate_mb "$tool" "$kt" || echo FAIL
		done > "$W/$tool.$kt.mb"
		if grep -q FAIL "$W/$tool.$kt.msgs" "$W/$tool.$kt.mb"; then
			say "dkim bench: $tool $kt: a run failed"
			[ "$tool" = tambo ] && status=1
		fi
		FIG[$tool:$kt:msgs]=$(grep -v FAIL "$W/$tool.$kt.msgs" | median)
		FIG[$tool:$kt:mb]=$(grep -v FAIL "$W/$tool.$kt.mb" | median)
	done
done

ratio() {	# a b
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"
		else printf "%.2f\n", a / b }'
}

printf '\nDKIM signing, median of %d runs (relaxed/relaxed; %s)\n' \
	"$REPEAT" "$(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-22s %10s %10s %10s %10s %10s\n' "" tambo opendkim dkimpy \
	"tambo/odk" "tambo/py"
for fig in msgs mb; do
	for kt in rsa ed; do
		case $fig:$kt in
		msgs:rsa) label="4 KiB msgs/s RSA-2048" ;;
		msgs:ed)  label="4 KiB msgs/s Ed25519" ;;
		mb:rsa)   label="${LARGE_MB} MB: MB/s RSA-2048" ;;
		mb:ed)    label="${LARGE_MB} MB: MB/s Ed25519" ;;
		esac
		t=${FIG[tambo:$kt:$fig]:--}
		o=${FIG[opendkim:$kt:$fig]:--}
		p=${FIG[dkimpy:$kt:$fig]:--}
		printf '%-22s %10s %10s %10s %10s %10s\n' "$label" "$t" "$o" "$p" \
			"$(ratio "$t" "$o")" "$(ratio "$t" "$p")"
	done
done
printf '(messages per process: dkimpy %d, others %d; ratio > 1: tambo faster)\n' \
	"$NPY" "$N"
exit "$status"
