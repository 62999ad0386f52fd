#!/bin/bash
# fuzz.t — the parsers' fuzz targets (tests/fuzz/fuzz_*.c), three ways.
#
# 1. The committed corpus of each target (tests/fuzz/corpus/NAME/) is
#    replayed through $TAMBO_BUILD/tests/fuzz/fuzz_NAME-replay, which `make`
#    builds with gcc (under the ASan pass, instrumented).  Any input that
#    crashes or breaks an invariant is a failure.
# 2. Inputs of known, reported and unfixed bugs (tests/fuzz/crashes/NAME/)
#    are replayed with TAMBO_FUZZ_STRICT=1 as TODO tests: "not ok # TODO"
#    while the bug is there; when one passes, the bug is fixed and the input
#    belongs in the corpus (and the target's relaxation can go, fuzz.h).
# 3. When clang's libFuzzer works (clang, libclang-rt-dev), each target is
#    built with -fsanitize=fuzzer,address,undefined in a temporary
#    directory and fuzzed for $TAMBO_FUZZ_SECONDS (default 5) seconds,
#    all targets at once, from a copy of its corpus.  Skipped in the
#    ASan pass (TAMBO_SANITIZE set), which replays only.
#
# Nothing is written to the repository or to build/.  `make fuzz`
# (run-libfuzzer.sh) is the longer run that grows the corpora.

set -u
export LC_ALL=C

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${TAMBO_BUILD:-$TOP/build}
SECONDS_EACH=${TAMBO_FUZZ_SECONDS:-5}
FUZZ=$TOP/tests/fuzz

# shellcheck source-path=SCRIPTDIR source=libfuzzer.sh
. "$FUZZ/libfuzzer.sh"

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {	# name, then lines of diagnostics
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /'
	done
}
skip_test() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
todo_test() {	# status name reason
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2 # TODO $3"
	else
		echo "not ok $n - $2 # TODO $3"
	fi
}

# The first lines worth reading in a crash log.
crash_lines() {
	grep -E 'broken invariant|ERROR: |SUMMARY: |runtime error|^ +#[0-9]+ .*(libexec/common|tests/fuzz)/' \
		"$1" | grep -v 'fuzz_fail' | head -12
}

hex_of() {
	od -An -tx1 -v "$1" | tr -d ' \n' | cut -c1-512
}

mapfile -t targets < <(lf_targets)
crashes=()
for t in "${targets[@]}"; do
	for f in "$FUZZ/crashes/$t"/*; do
		[ -f "$f" ] && crashes+=("$f")
	done
done
echo "1..$((2 * ${#targets[@]} + ${#crashes[@]}))"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tambo-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

# --- 1. the corpora, replayed ---------------------------------------------
for t in "${targets[@]}"; do
	bin=$B/tests/fuzz/fuzz_$t-replay
	corpus=$FUZZ/corpus/$t
	if [ ! -x "$bin" ]; then
		not_ok "fuzz_$t: replay" "not built: $bin (run make)"
		continue
	fi
	if [ ! -d "$corpus" ]; then
		not_ok "fuzz_$t: replay" "no corpus: $corpus"
		continue
	fi
	count=$(find "$corpus" -maxdepth 1 -type f | wc -l)
	# In braces, so that bash's own "Aborted" goes to the log too.
	if { "$bin" "$corpus"; } >"$WORK/replay-$t.log" 2>&1; then
		ok "fuzz_$t: replay of $count corpus inputs"
	else
		mapfile -t why < <(grep -E 'crashed on input' "$WORK/replay-$t.log";
			crash_lines "$WORK/replay-$t.log")
		not_ok "fuzz_$t: replay of $count corpus inputs" "${why[@]}"
	fi
done

# --- 2. known crashes, TODO -----------------------------------------------
for f in ${crashes[@]+"${crashes[@]}"}; do
	t=${f%/*}
	t=${t##*/}
	bin=$B/tests/fuzz/fuzz_$t-replay
	name="fuzz_$t: crashes/$t/${f##*/} no longer crashes"
	if [ ! -x "$bin" ]; then
		not_ok "$name" "not built: $bin (run make)"
		continue
	fi
	{ TAMBO_FUZZ_STRICT=1 "$bin" "$f"; } >/dev/null 2>&1
	todo_test $(($? == 0 ? 0 : 1)) "$name" "known bug, reported"
done

# --- 3. a short real fuzz run ---------------------------------------------
why_skip=
if [ -n "${TAMBO_SANITIZE:-}" ]; then
	why_skip="the ASan pass replays only"
elif ! lf_build "$WORK/lf" >/dev/null 2>&1; then
	# Our code, or the toolchain?
	mkdir -p "$WORK/probe"
	if reason=$(lf_probe "$WORK/probe"); then
		mapfile -t why < <(grep -E 'error' "$WORK/lf/build.log" | head -10)
		for t in "${targets[@]}"; do
			not_ok "fuzz_$t: libFuzzer build" "${why[@]}"
		done
		exit 1
	fi
	why_skip="libFuzzer unavailable: $reason"
fi
if [ -n "$why_skip" ]; then
	for t in "${targets[@]}"; do
		skip_test "fuzz_$t: libFuzzer ${SECONDS_EACH}s" "$why_skip"
	done
	[ "$failed" -eq 0 ]
	exit
fi

pids=()
for t in "${targets[@]}"; do
	mkdir -p "$WORK/new/$t" "$WORK/seed/$t" "$WORK/art"
	cp "$FUZZ/corpus/$t"/* "$WORK/seed/$t"/ 2>/dev/null
	# shellcheck disable=SC2046
	"$WORK/lf/fuzz_$t" $(lf_opts "$t") -max_total_time="$SECONDS_EACH" \
		-artifact_prefix="$WORK/art/$t-" \
		"$WORK/new/$t" "$WORK/seed/$t" >"$WORK/run-$t.log" 2>&1 &
	pids+=($!)
done
i=0
for t in "${targets[@]}"; do
	wait "${pids[$i]}"
	st=$?
	i=$((i + 1))
	log=$WORK/run-$t.log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
	new=$(find "$WORK/new/$t" -type f | wc -l)
	name="fuzz_$t: libFuzzer ${SECONDS_EACH}s, ${runs:-?} runs, ${cov:-cov: ?}, $new new inputs"
	art=$(find "$WORK/art" -name "$t-*" -type f | head -1)
	if [ "$st" -eq 0 ] && [ -z "$art" ]; then
		ok "$name"
		continue
	fi
	mapfile -t why < <(crash_lines "$log")
	[ -z "$art" ] || why+=("input (hex): $(hex_of "$art")")
	[ ${#why[@]} -gt 0 ] || mapfile -t why < <(tail -5 "$log")
	why+=("exit status $st; reproduce: build as in tests/fuzz/libfuzzer.sh,"
		"then put the input in tests/fuzz/crashes/$t/ and report it")
	not_ok "$name" "${why[@]}"
done
[ "$failed" -eq 0 ]
