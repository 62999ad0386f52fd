#!/bin/sh
# run-libfuzzer.sh — `make fuzz`: longer libFuzzer runs of the parsers.
#
#   sh tests/fuzz/run-libfuzzer.sh [NAME ...]
#
# Builds every target (or the NAMEs given: addr, smtpcmd, ...) with clang
# -fsanitize=fuzzer,address,undefined, then fuzzes each in turn for
# FUZZ_TIME seconds (default 60), starting from the committed corpus
# (tests/fuzz/corpus/NAME/, read only) and writing what it finds to a work
# directory, which is kept:
#
#   $FUZZ_WORK/fuzz_NAME      the fuzzer
#   $FUZZ_WORK/new/NAME/      inputs that reached new code
#   $FUZZ_WORK/crash/NAME-*   crashing inputs, if any
#   $FUZZ_WORK/NAME.log       libFuzzer's output
#
# At the end it says how many new inputs each target found and how to merge
# the useful ones into the committed corpus (-merge=1 -use_counters=0
# keeps only inputs that reach new edges); FUZZ_MERGE=1 does that merge
# itself.  Run from the repository top.
#
# Environment: FUZZ_TIME (seconds per target), FUZZ_WORK (default: a new
# directory under ${TMPDIR:-/tmp}), FUZZ_JOBS (parallel fuzzing processes
# per target, default 1), FUZZ_ARGS (more libFuzzer options), CLANG,
# TAMBO_FUZZ_STRICT=1 (also report the known bugs, fuzz.h).
# Exit status 0, or 1 when a target crashed, 2 when nothing could be built.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_ARGS=${FUZZ_ARGS:-}
FUZZ_MERGE=${FUZZ_MERGE:-0}
export LC_ALL=C

# shellcheck source-path=SCRIPTDIR source=libfuzzer.sh
. "$TOP/tests/fuzz/libfuzzer.sh"

if [ -z "${FUZZ_WORK:-}" ]; then
	FUZZ_WORK=$(mktemp -d "${TMPDIR:-/tmp}/tambo-fuzz.XXXXXX") || exit 2
fi
mkdir -p "$FUZZ_WORK/crash" || exit 2

if [ $# -gt 0 ]; then
	targets=$*
else
	targets=$(lf_targets)
fi
for t in $targets; do
	[ -f "$TOP/tests/fuzz/fuzz_$t.c" ] || {
		echo "run-libfuzzer: no target $t (tests/fuzz/fuzz_$t.c)" >&2
		exit 2
	}
done

if ! reason=$(lf_probe "$FUZZ_WORK"); then
	echo "run-libfuzzer: $reason" >&2
	exit 2
fi
echo "building in $FUZZ_WORK ..."
if ! lf_build "$FUZZ_WORK"; then
	echo "run-libfuzzer: build failed:" >&2
	grep -E 'error' "$FUZZ_WORK/build.log" | head -20 >&2
	exit 2
fi

status=0
summary=
for t in $targets; do
	mkdir -p "$FUZZ_WORK/new/$t"
	echo "fuzz_$t: ${FUZZ_TIME}s ..."
	jobs=
	[ "$FUZZ_JOBS" -le 1 ] || jobs="-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS"
	before=$(find "$FUZZ_WORK/new/$t" -type f | wc -l)
	# shellcheck disable=SC2046,SC2086
	(cd "$FUZZ_WORK" && "$FUZZ_WORK/fuzz_$t" $(lf_opts "$t") $jobs \
		-max_total_time="$FUZZ_TIME" \
		-artifact_prefix="$FUZZ_WORK/crash/$t-" $FUZZ_ARGS \
		"$FUZZ_WORK/new/$t" "$TOP/tests/fuzz/corpus/$t") \
		>"$FUZZ_WORK/$t.log" 2>&1
	st=$?
	after=$(find "$FUZZ_WORK/new/$t" -type f | wc -l)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$FUZZ_WORK/$t.log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		"$FUZZ_WORK/$t.log" | awk '{ s += $1 } END { print s + 0 }')
	line="fuzz_$t: $((after - before)) new inputs, $runs runs, ${cov:-cov: ?}"
	crashes=$(find "$FUZZ_WORK/crash" -name "$t-*" -type f | wc -l)
	if [ "$st" -ne 0 ] || [ "$crashes" -gt 0 ]; then
		status=1
		line="$line, CRASHED (exit $st, $crashes inputs in $FUZZ_WORK/crash/)"
		grep -E 'broken invariant|ERROR: |SUMMARY: |runtime error' \
			"$FUZZ_WORK/$t.log" | head -5
	fi
	echo "$line"
	summary="$summary$line
"
	if [ "$FUZZ_MERGE" = 1 ] && [ "$after" -gt 0 ]; then
		# shellcheck disable=SC2046
		"$FUZZ_WORK/fuzz_$t" $(lf_merge_opts "$t") \
			"$TOP/tests/fuzz/corpus/$t" "$FUZZ_WORK/new/$t" \
			>"$FUZZ_WORK/$t.merge.log" 2>&1 &&
			echo "fuzz_$t: merged: $(grep -oE 'MERGE-OUTER: [0-9]+ new files' \
				"$FUZZ_WORK/$t.merge.log")"
	fi
done

echo
echo "summary (work directory $FUZZ_WORK):"
printf '%s' "$summary"
if [ "$FUZZ_MERGE" != 1 ]; then
	echo
	echo "To add the inputs that reach new code to the committed corpus:"
	for t in $targets; do
		[ -n "$(ls -A "$FUZZ_WORK/new/$t" 2>/dev/null)" ] || continue
		echo "  $FUZZ_WORK/fuzz_$t $(lf_merge_opts "$t") \\"
		echo "    tests/fuzz/corpus/$t $FUZZ_WORK/new/$t"
	done
	echo "(or run again with FUZZ_MERGE=1); keep the corpora small."
fi
if [ "$status" -ne 0 ]; then
	echo
	echo "A crash is a bug: put its input in tests/fuzz/crashes/NAME/ (not the"
	echo "corpus) and report it with the stack in $FUZZ_WORK/NAME.log."
fi
exit "$status"
