# libfuzzer.sh — building the fuzz targets with clang's libFuzzer (sourced
# by fuzz.t and run-libfuzzer.sh; POSIX sh).
#
#   lf_cc ARGS...        $CLANG with the fuzzing flags
#   lf_probe DIR         0 when $CLANG links and runs a -fsanitize=fuzzer
#                        program (DIR: scratch space); the reason on stdout
#   lf_build DIR [NAME]  the library sources compiled once into DIR/obj, then
#                        DIR/fuzz_NAME for each target (or only NAME);
#                        the compiler's complaints in DIR/build.log
#   lf_targets           the target names (fuzz_*.c without fuzz_ and .c)
#   lf_opts NAME         libFuzzer options suited to a target
#   lf_merge_opts NAME   options to merge new inputs into its corpus
#
# Needs TOP (the repository top).  Nothing is written outside DIR: the
# library is compiled from libexec/common/*.c directly, not taken from
# build/, because a fuzzer needs every object instrumented for coverage.

CLANG=${CLANG:-clang}

# clang with the fuzzing flags, then "$@".
lf_cc() {
	"$CLANG" -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined \
		'-DSYSCONFDIR="/etc"' -I"$TOP/libexec/common" "$@"
}

lf_targets() {
	for f in "$TOP"/tests/fuzz/fuzz_*.c; do
		[ -f "$f" ] || continue
		f=${f##*/fuzz_}
		echo "${f%.c}"
	done
}

lf_probe() {
	command -v "$CLANG" >/dev/null 2>&1 || {
		echo "no $CLANG"
		return 1
	}
	cat >"$1/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
	lf_cc -o "$1/probe" "$1/probe.c" >"$1/probe.log" 2>&1 || {
		echo "$CLANG -fsanitize=fuzzer does not link (libclang-rt-dev?)"
		return 1
	}
	"$1/probe" -runs=1 >>"$1/probe.log" 2>&1 || {
		echo "a -fsanitize=fuzzer program does not run"
		return 1
	}
	return 0
}

lf_build() {
	_dir=$1
	_only=${2:-}
	mkdir -p "$_dir/obj" || return 1
	rm -f "$_dir"/obj/*.o "$_dir"/obj/*.o.log
	: >"$_dir/build.log"
	# The library once, four compilers at a time.
	_pids=
	_fail=0
	for _src in "$TOP"/libexec/common/*.c; do
		_o=$_dir/obj/$(basename "$_src" .c).o
		lf_cc -c -o "$_o" "$_src" >"$_o.log" 2>&1 &
		_pids="$_pids $!"
		# shellcheck disable=SC2086
		set -- $_pids
		if [ $# -ge 4 ]; then
			wait "$1" || _fail=1
			shift
			_pids="$*"
		fi
	done
	for _p in $_pids; do
		wait "$_p" || _fail=1
	done
	cat "$_dir"/obj/*.o.log >>"$_dir/build.log" 2>/dev/null
	for _src in "$TOP"/libexec/common/*.c; do
		[ -f "$_dir/obj/$(basename "$_src" .c).o" ] || _fail=1
	done
	[ "$_fail" = 0 ] || return 1
	# An archive, so a target links only the modules it uses (and not,
	# say, the TLS ones with their libraries), as with build/.
	rm -f "$_dir/libtambo.a"
	${AR:-ar} rcs "$_dir/libtambo.a" "$_dir"/obj/*.o \
		>>"$_dir/build.log" 2>&1 || return 1
	for _t in $(lf_targets); do
		[ -z "$_only" ] || [ "$_only" = "$_t" ] || continue
		lf_cc -o "$_dir/fuzz_$_t" "$TOP/tests/fuzz/fuzz_$_t.c" \
			"$_dir/libtambo.a" -lidn2 -lcrypt \
			>>"$_dir/build.log" 2>&1 || return 1
	done
	return 0
}

# Longest inputs worth trying: a little over each parser's own limit.
lf_maxlen() {
	case $1 in
	smtpcmd)	echo 13000 ;;	# SMTP_AUTH_LINE_MAX and a bit
	addr)		echo 1024 ;;
	envelope)	echo 8192 ;;
	msgcheck)	echo 4096 ;;
	conf)		echo 8400 ;;	# two lines over 4095
	*)		echo 4096 ;;
	esac
}

lf_opts() {
	echo "-max_len=$(lf_maxlen "$1") -rss_limit_mb=1024 -timeout=10"
	echo "-print_final_stats=1"
	[ ! -f "$TOP/tests/fuzz/dict/$1.dict" ] ||
		echo "-dict=$TOP/tests/fuzz/dict/$1.dict"
}

# Merge options: only inputs that reach new edges (not new hit counts), so
# that the committed corpus stays small.
lf_merge_opts() {
	echo "-merge=1 -use_counters=0 -max_len=$(lf_maxlen "$1")"
}
