# nspawn.sh — the units under a real systemd, in a container (sourced by
# tests/integration/systemd*.t; brings in common.sh).
#
# systemd-nspawn boots the host's own systemd with --volatile=yes (the
# host's /usr read-only, an empty /etc and /var in tmpfs); the built
# programs are overlaid on /usr/libexec/tambo and /usr/bin exactly where
# the units expect them, and a staging directory is bound read-only at
# /opt/tambo-test. The host drives the container with nsenter. The plan
# is printed first, so a "Bail out!" is measured against it; the counting
# is common.sh's (tap_ok), the exit status the number of failed tests.
#
#   nspawn_need [CMD...]       skip the script unless root, systemd-nspawn,
#                              nsenter, systemd-analyze, a systemd to boot,
#                              /usr/libexec and every CMD are there
#   nspawn_need_built FILE...  skip the script unless every $B/FILE exists
#   nspawn_begin NAME PLAN     machine NAME, $tmp (removed at exit, with
#                              the container stopped first), the plan
#   ok NAME                    not_ok NAME [DIAGNOSTIC...]
#   skip_test NAME WHY         check NAME COMMAND...  (a test from a status)
#   free_port [TAKEN...]       a TCP port nothing listens on, none of TAKEN
#   nspawn_stage UNIT...       $stage: the programs of $B and units/UNIT...
#                              with tambo.sysusers and tambo.tmpfiles, as
#                              an install lays them out
#   nspawn_boot                boot, wait for running or degraded; the test
#                              "systemd boots in container NAME", or bail out
#   in_ct COMMAND...           run COMMAND as root in the container
#   ct_journal UNIT...         the journal of UNIT... (patterns allowed),
#                              messages only
#   nspawn_dropin UNIT FILE    standard input becomes the drop-in
#                              /etc/systemd/system/UNIT.d/FILE
#   nspawn_listen SOCKET ADDRESS...  drop-in test-port.conf: SOCKET listens
#                              on ADDRESS... instead of its own ports
#   nspawn_sanitize UNIT...    on a sanitizer build (TAMBO_SANITIZE=1), the
#                              drop-in that lets LeakSanitizer work
#   nspawn_instances_clean UNIT  status: every UNIT@ instance exited 0 and
#                              was collected (for check)
#   nspawn_no_sanitizer_reports UNIT...  the test that the journal of
#                              UNIT... has no sanitizer report (skipped on a
#                              normal build)
#   nspawn_rate UNIT           the test: systemd-analyze security rates
#                              units/UNIT at most EXPOSURE_MAX
#   nspawn_poweroff            the test: the container powers off
#   nspawn_done                ends the script: plan check, exit status

# shellcheck shell=bash source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

EXPOSURE_MAX=2.0
NAME=
PLAN=
NSPAWN_PID=
PID1=

# shellcheck disable=SC2120 # CMD... may be none
nspawn_need() {	# [CMD...]
	local c
	[ "$(id -u)" = 0 ] || tap_skip_all "needs root"
	for c in systemd-nspawn nsenter systemd-analyze "$@"; do
		command -v "$c" >/dev/null 2>&1 || tap_skip_all "no $c"
	done
	[ -x /usr/lib/systemd/systemd ] ||
		tap_skip_all "no /usr/lib/systemd/systemd"
	[ -d /usr/libexec ] || tap_skip_all "no /usr/libexec to overlay"
}

nspawn_need_built() {	# FILE...
	local f
	for f; do
		[ -e "$B/$f" ] || tap_skip_all "not built: $B/$f"
	done
}

ok() {
	tap_ok 0 "$1"
}

not_ok() {	# NAME [DIAGNOSTIC...]
	local l
	tap_ok 1 "$1"
	shift
	for l in "$@"; do	# on stderr, which prove shows without -v
		printf '%s\n' "$l" | sed 's/^/#   /' >&2
	done
}

skip_test() {	# NAME WHY
	tap_ok 0 "$1 # skip $2"
}

check() {	# NAME COMMAND...
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$d"
	else
		not_ok "$d" "$out"
	fi
}

# Ports for sockets that listen in the container seconds later: see
# late_port in common.sh.
# shellcheck disable=SC2120 # TAKEN... may be none
free_port() {	# [TAKEN...]
	late_port "$@"
}

in_ct() {
	nsenter -t "$PID1" -a "$@"
}

ct_journal() {	# UNIT...
	local a=() u
	for u; do
		a+=(-u "$u")
	done
	in_ct journalctl "${a[@]}" -o cat --no-pager
}

ct_warnings() {	# N: the container journal's last N lines of warning or worse
	in_ct journalctl -o short-precise --no-pager -p warning -n "$1" 2>&1
}

# load_once_more PATTERN COMMAND...: run a load COMMAND, its output in
# $out and its status in $rc.  When the output matches PATTERN (a
# connection closed before the greeting) and systemd failed to set up an
# instance meanwhile (ct_cgroup_failures: legacy cgroups only), the output
# is shown on stderr with the container's warnings and the load is run
# once more; $again then says so, for the test's name.
load_once_more() {
	local pat=$1 cg0
	shift
	again=
	cg0=$(ct_cgroup_failures | wc -l)
	out=$("$@" 2>&1)
	rc=$?
	if printf '%s\n' "$out" | grep -q -- "$pat" &&
		[ "$(ct_cgroup_failures | wc -l)" -gt "$cg0" ]; then
		printf '# note: %s\n' "$out" "$(ct_warnings 20)" >&2
		out=$("$@" 2>&1)
		rc=$?
		again=" (a second run: systemd failed to set up an instance, 219/CGROUP)"
	fi
}

# Until nspawn has exited, at most 20 s.
nspawn_wait_gone() {
	for _ in $(seq 1 100); do
		kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
		sleep 0.2
	done
	return 1
}

nspawn_cleanup() {
	[ -n "$NSPAWN_PID" ] || return 0
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		[ -n "$PID1" ] && in_ct systemctl --no-block poweroff
		nspawn_wait_gone || kill -KILL "$NSPAWN_PID"
	fi
	wait "$NSPAWN_PID"
}

nspawn_begin() {	# NAME PLAN
	NAME=$1
	PLAN=$2
	tmp=$(mktemp -d "/tmp/$NAME.XXXXXX") || exit 1
	# Users other than root reach in: smtp-sink as nobody, the overlays.
	chmod 755 "$tmp"
	at_exit "rm -rf '$tmp'"
	at_exit nspawn_cleanup
	trap 'exit 130' INT TERM
	echo "1..$PLAN"
}

nspawn_stage() {	# UNIT...
	local p u
	stage=$tmp/stage
	mkdir -p "$stage/libexec/tambo" "$stage/bin" "$stage/units" ||
		return 1
	for p in "$B"/libexec/tambo/*; do
		if [ -f "$p" ] && [ -x "$p" ]; then
			cp "$p" "$stage/libexec/tambo/" || return 1
		fi
	done
	# The TLS plugin is dlopen'd from the handler's own directory
	# (/usr/libexec/tambo/tls.so); make install gives it mode 0644.
	if [ -f "$B/libexec/tambo/tls.so" ]; then
		install -m 0644 "$B/libexec/tambo/tls.so" \
			"$stage/libexec/tambo/tls.so" || return 1
	fi
	for p in "$B"/bin/*; do
		if [ -f "$p" ] && [ -x "$p" ]; then
			cp "$p" "$stage/bin/" || return 1
		fi
	done
	for u in "$@" tambo.sysusers tambo.tmpfiles; do
		cp "$TOP/units/$u" "$stage/units/" || return 1
	done
}

# basic.target: the sockets and the journal, none of the host's enabled
# services (the container shares the host's network). systemd-firstboot
# would fail for want of a console and make the state "degraded".
nspawn_boot() {
	local state='' c
	systemd-nspawn -D / --volatile=yes --register=no --keep-unit \
		-M "$NAME" --boot --console=pipe \
		--bind-ro="$stage:/opt/tambo-test" \
		--overlay-ro="/usr/libexec:$stage/libexec:/usr/libexec" \
		--overlay-ro="/usr/bin:$stage/bin:/usr/bin" \
		systemd.unit=basic.target \
		systemd.mask=systemd-firstboot.service \
		>"$tmp/nspawn.log" 2>&1 </dev/null &
	NSPAWN_PID=$!
	for _ in $(seq 1 300); do
		if [ -z "$PID1" ]; then
			for c in $(pgrep -P "$NSPAWN_PID"); do
				if [ "$(readlink "/proc/$c/exe" 2>/dev/null)" = \
					/usr/lib/systemd/systemd ]; then
					PID1=$c
				fi
			done
		fi
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		if [ -n "$PID1" ]; then
			state=$(in_ct systemctl is-system-running 2>/dev/null)
			case $state in running | degraded) break ;; esac
		fi
		sleep 0.2
	done
	case $state in
	running | degraded)
		ok "systemd boots in container $NAME ($state)"
		[ "$state" = running ] ||
			in_ct systemctl --failed --plain --no-legend |
			sed 's/^/# failed in the container (not ours): /'
		;;
	*)
		not_ok "systemd boots in container $NAME (state '$state')" \
			"$(tail -n 30 "$tmp/nspawn.log")"
		echo "Bail out! no container"
		exit 1
		;;
	esac
}

nspawn_dropin() {	# UNIT FILE, the contents on standard input
	# shellcheck disable=SC2016 # expanded by the container's shell
	in_ct sh -c 'mkdir -p "/etc/systemd/system/$1.d" &&
		cat >"/etc/systemd/system/$1.d/$2"' sh "$1" "$2"
}

nspawn_listen() {	# SOCKET ADDRESS...
	local u=$1 a
	shift
	{
		echo '[Socket]'
		echo 'ListenStream='
		for a; do
			echo "ListenStream=$a"
		done
	} | nspawn_dropin "$u" test-port.conf
}

# LeakSanitizer stops the world with ptrace (@debug); without it every
# handler ends "LeakSanitizer has encountered a fatal error" and exit 1.
# ASan itself runs under the units' filters as they are.
nspawn_sanitize() {	# UNIT...
	local u
	[ "${TAMBO_SANITIZE:-}" = 1 ] || return 0
	for u; do
		{
			echo '[Service]'
			echo 'SystemCallFilter=@debug'
			printf 'Environment="ASAN_OPTIONS=%s" "UBSAN_OPTIONS=%s"\n' \
				"${ASAN_OPTIONS:-detect_leaks=1}" \
				"${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
		} | nspawn_dropin "$u" sanitize.conf || return 1
	done
}

# The legacy cgroup hierarchy (cgroup v1), which some hosts still boot
# with (this project's CI machines among them): there systemd in the
# container now and then fails to move a new instance into its cgroup
# (status=219/CGROUP) before the handler runs, and the client sees the
# connection closed before a greeting; and an instance that has ended may
# stay loaded, "inactive dead", when systemd misses that its cgroup
# emptied (no release agent in a container).  Both are systemd's, not the
# handler's; on a unified hierarchy (Debian 12's default) they count as
# failures like any other.
ct_legacy_cgroups() {
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]
}

# The instances systemd failed to set up (219/CGROUP), one per line, on a
# legacy host; none on a unified one.
ct_cgroup_failures() {
	ct_legacy_cgroups || return 0
	in_ct journalctl -o cat --no-pager 2>/dev/null | sed -n \
	's/^\(.*\.service\): Main process exited, code=exited, status=219\/CGROUP$/\1/p' |
		sort -u
}

# Every session ends cleanly and CollectMode= unloads its instance: none
# is left, and the journal shows no failure, only deactivations.
nspawn_instances_clean() {	# UNIT (tambo-smtp, tambo-local...)
	local left j bad cg
	for _ in $(seq 1 50); do
		left=$(in_ct systemctl list-units --all --plain --no-legend \
			"$1@*.service")
		[ -z "$left" ] && break
		sleep 0.2
	done
	if [ -n "$left" ] && ct_legacy_cgroups; then
		printf '%s\n' "$left" | grep -E ' loaded +inactive +dead ' |
			sed 's/^/# note: legacy cgroups, not collected: /' >&2
		left=$(printf '%s\n' "$left" | grep -Ev ' loaded +inactive +dead ')
	fi
	if [ -n "$left" ]; then
		echo "left: $left"
		return 1
	fi
	j=$(ct_journal "$1@*")
	cg=$(ct_cgroup_failures | grep -F "$1@")
	if [ -n "$cg" ]; then
		printf '%s\n' "$cg" | sed 's/^/# note: legacy cgroups, systemd failed to set up /' >&2
		j=$(printf '%s\n' "$j" | grep -vF "$cg")
	fi
	bad=$(printf '%s\n' "$j" |
		grep -E 'Failed with result|code=(exited|killed|dumped)')
	if [ -n "$bad" ]; then
		# the failed instances' whole story, not the journal's last lines
		printf '%s\n' "$bad" | sed -n 's/^\([^:]*\.service\):.*/\1/p' |
			sort -u | head -n 5 | while read -r u; do
				echo "--- $u"
				in_ct journalctl -u "$u" -o short-precise --no-pager \
					</dev/null
			done
		printf '%s\n' "$bad" | head -n 20
		echo "--- the container's warnings"
		ct_warnings 30
		return 1
	fi
	printf '%s\n' "$j" | grep -q 'Deactivated successfully'
}

nspawn_no_reports() {	# UNIT...
	! ct_journal "$@" | grep -E "Sanitizer|runtime error"
}

nspawn_no_sanitizer_reports() {	# UNIT...
	if [ "${TAMBO_SANITIZE:-}" = 1 ]; then
		check "no sanitizer reports in the journal" \
			nspawn_no_reports "$@"
	else
		skip_test "no sanitizer reports in the journal" \
			"not a sanitizer build"
	fi
}

# The unit file as shipped, not as loaded in the container: --offline
# rates the file alone. The failing checks are listed on a failure (as
# "✗" or, in the C locale, "-").
nspawn_rate() {	# UNIT
	local u=$1 sec level
	sec=$(systemd-analyze security --offline=true --no-pager \
		"$TOP/units/$u" 2>&1)
	level=$(printf '%s\n' "$sec" |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ -z "$level" ] &&
		printf '%s\n' "$sec" | grep -q 'unrecognized option'; then
		skip_test "systemd-analyze security rates $u <= $EXPOSURE_MAX" \
			"no --offline in this systemd"
	elif [ -n "$level" ] && awk -v l="$level" -v m="$EXPOSURE_MAX" \
		'BEGIN { exit !(l <= m) }'; then
		ok "systemd-analyze security rates $u $level (<= $EXPOSURE_MAX)"
	else
		not_ok "systemd-analyze security rates $u <= $EXPOSURE_MAX (got '$level')" \
			"$(printf '%s\n' "$sec" | grep -E '^(✗|-) |Overall' ||
				printf '%s\n' "$sec" | tail -n 5)"
	fi
}

nspawn_poweroff() {
	in_ct systemctl --no-block poweroff >/dev/null 2>&1
	if nspawn_wait_gone; then
		wait "$NSPAWN_PID" 2>/dev/null
		NSPAWN_PID=
		ok "container powers off"
	else
		not_ok "container powers off within 20 s"
	fi
}

nspawn_done() {
	[ "$_tap_n" = "$PLAN" ] || echo "# planned $PLAN tests, ran $_tap_n"
	exit $((_tap_fail > 254 ? 254 : _tap_fail))
}
