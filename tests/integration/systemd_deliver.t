#!/bin/bash
# systemd_deliver.t — the delivery units under a real systemd:
# tambo-deliver.path starts the runner as soon as the port-25 handler
# queues a message, tambo-deliver.timer is armed, the runner works inside
# its sandbox (DNS-free route to an smtp-sink on the host's loopback,
# SRS key written to /var/lib/tambo), DKIM keys are readable by the
# delivery service's group tambo-dkim and not by the smtpd identity, and
# mail submitted locally leaves DKIM-signed.
#
# Boots systemd in a container as tests/lib/nspawn.sh describes; needs root,
# systemd-nspawn, nsenter, swaks and smtp-sink, otherwise it skips.

# The single-quoted scripts run in the container's shell:
# shellcheck disable=SC2016
set -u
# shellcheck source-path=SCRIPTDIR source=../lib/nspawn.sh
. "$(dirname "$0")/../lib/nspawn.sh"
# shellcheck source=../lib/dns.sh
. "$TOP/tests/lib/dns.sh"

nspawn_need swaks ss
[ -x /usr/sbin/smtp-sink ] || tap_skip_all "no smtp-sink (postfix)"
nspawn_need_built libexec/tambo/smtpd libexec/tambo/deliver \
	libexec/tambo/remote bin/tambo
nspawn_begin tambo-d$$ 27

if ! { PORT=$(free_port) && SINK=$(free_port "$PORT"); }; then
	echo "Bail out! no port"
	exit 1
fi

# --- the receiver on the host: what the container's runner delivers ------
sink_start "$tmp/sink" "$SINK" || { echo "Bail out! smtp-sink"; exit 1; }

# --- staging ---------------------------------------------------------------
nspawn_stage tambo-smtp.socket tambo-smtp@.service tambo-deliver.service \
	tambo-deliver.timer tambo-deliver.path ||
	{ echo "Bail out! staging"; exit 1; }

# --- boot --------------------------------------------------------------------
nspawn_boot

check "sysusers.d: user tambo and group tambo-dkim" \
	in_ct sh -c 'systemd-sysusers /opt/tambo-test/units/tambo.sysusers &&
		id -u tambo && getent group tambo-dkim &&
		systemd-tmpfiles --create /opt/tambo-test/units/tambo.tmpfiles'

# Mail for example.test goes to the catch-all, forwarded to remote.test;
# every remote domain is routed to the host's smtp-sink.
check "configuration: catch-all forward, route to the host's smtp-sink" \
	in_ct sh -c 'tambo -C /etc/tambo init example.test \
			--hostname mx.example.test &&
		echo "*: you@remote.test" >>/etc/tambo/domains/example.test/aliases &&
		echo "route * = [127.0.0.1]:$1 tls=none" >>/etc/tambo/tambo.conf &&
		chgrp -R tambo /etc/tambo && chmod -R g+rX,o-rwx /etc/tambo' sh "$SINK"

# --- DKIM keys: group tambo-dkim, not the handlers' identity ---------------
DKIM=no
if [ -x "$B/libexec/tambo/dkimsign" ]; then
	if out=$(in_ct sh -c 'tambo -C /etc/tambo dkim keygen example.test &&
		k=$(ls /etc/tambo/domains/example.test/dkim/*.key | head -1) &&
		stat -c "%G %a" $k | grep -qx "tambo-dkim 640" &&
		! setpriv --reuid=tambo --regid=tambo --clear-groups cat $k \
			>/dev/null 2>&1 &&
		setpriv --reuid=tambo --regid=tambo \
			--groups="$(getent group tambo-dkim | cut -d: -f3)" \
			cat $k >/dev/null' 2>&1); then
		ok "DKIM keys: tambo-dkim 0640; unreadable as the smtpd identity, readable with the group"
		DKIM=yes
	else
		not_ok "DKIM keys: tambo-dkim 0640, unreadable as the smtpd identity" "$out"
	fi
else
	skip_test "DKIM keys" "no dkimsign built"
fi

# --- units -------------------------------------------------------------------
nspawn_listen tambo-smtp.socket "127.0.0.1:$PORT"
nspawn_sanitize tambo-smtp@.service tambo-deliver.service
check "tambo-smtp.socket, tambo-deliver.path and .timer active" \
	in_ct sh -c 'cd /opt/tambo-test/units &&
		systemctl link "$PWD/tambo-smtp.socket" "$PWD/tambo-smtp@.service" \
			"$PWD/tambo-deliver.service" "$PWD/tambo-deliver.timer" \
			"$PWD/tambo-deliver.path" &&
		systemctl daemon-reload &&
		systemctl start tambo-smtp.socket tambo-deliver.path \
			tambo-deliver.timer &&
		systemctl is-active tambo-smtp.socket tambo-deliver.path \
			tambo-deliver.timer'

# --- a message to the catch-all leaves at once, with SRS ---------------------
sink_wait() {	# pattern: until a sink file matches (15 s)
	for _ in $(seq 1 75); do
		grep -lE "$1" "$tmp"/sink/* 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
t0=$(date +%s.%N)
out=$(swaks --server 127.0.0.1 --port "$PORT" --timeout 20 \
	--to anyone@example.test --from author@sender.example \
	--helo client.example --header "Subject: via-path" 2>&1)
if printf '%s\n' "$out" | grep -q '^<-  250 2\.0\.0'; then
	ok "swaks: port 25 accepts mail for the catch-all"
else
	not_ok "swaks: port 25 accepts mail for the catch-all" "$out"
fi
if f=$(sink_wait 'Subject: via-path'); then
	t1=$(date +%s.%N)
	ok "the path unit started the runner: forwarded in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
	check "forwarded to the catch-all's target with an SRS sender" \
		grep -qE '^X-Mail-Args: <SRS0=[^>]*=sender.example=author@example.test>' "$f"
else
	not_ok "the path unit started the runner within 15 s" \
		"$(ct_journal tambo-deliver.service | tail -n 20)"
	not_ok "forwarded with an SRS sender" "nothing received"
fi
check "the runner logged event=delivered to the journal" \
	in_ct sh -c 'journalctl -u tambo-deliver.service -o cat --no-pager |
		grep -q "event=delivered to=you@remote.test"'
check "the runner wrote its SRS key to /var/lib/tambo (tambo 0600)" \
	in_ct sh -c 'stat -c "%U %a" /var/lib/tambo/srs.key | grep -qx "tambo 600"'
# The sink has a message before the runner has heard the server's reply
# and removed the message's files, and a message committed after the
# runner's last look leaves a mark that starts one more run: the queue
# and new/ are empty soon after the last message arrives, not at once.
queue_drained() {
	local q m
	for _ in $(seq 1 75); do
		q=$(in_ct tambo -C /etc/tambo queue list 2>&1)
		m=$(in_ct ls -A /var/spool/tambo/new 2>&1)
		[ -z "$q$m" ] && return 0
		sleep 0.2
	done
	echo "still queued after 15 s:"
	printf '%s\n' "$q" | head -n 10
	echo "marks in new/:"
	printf '%s\n' "$m" | head -n 10
	in_ct systemctl status --no-pager tambo-deliver.service \
		tambo-deliver.path | tail -n 20
	ct_journal tambo-deliver.service | tail -n 15
	return 1
}
check "the queue and new/ are empty" queue_drained

# --- local submission is DKIM-signed by the runner ---------------------------
if [ $DKIM = yes ]; then
	in_ct sh -c 'printf "From: u@example.test\nTo: y@remote.test\nSubject: signed-local\n\nhello\n" |
		setpriv --reuid=tambo --regid=tambo --clear-groups \
		/usr/libexec/tambo/enqueue -C /etc/tambo -f u@example.test y@remote.test' >/dev/null 2>&1
	if f=$(sink_wait 'Subject: signed-local'); then
		check "locally submitted mail arrives DKIM-signed (d=example.test)" \
			grep -qE '^DKIM-Signature:.*d=example\.test' "$f"
	else
		not_ok "locally submitted mail arrives DKIM-signed" \
			"$(ct_journal tambo-deliver.service | tail -n 20)"
	fi
else
	skip_test "locally submitted mail arrives DKIM-signed" "no dkimsign"
fi

# --- a burst: one path-triggered run after another --------------------------
# Eight messages, one at a time, start the runner eight times within
# seconds, more than systemd's default start limit (5 in 10 s) allows: the
# service must not hit it, the path unit must keep watching, and every
# message must still leave at once.  Afterwards the runner must rest: its
# own writes in the queue do not start it again and again.
burst_ok=0 burst_out= burst_again=
burst_send() {
	swaks --server 127.0.0.1 --port "$PORT" --timeout 20 \
		--to "b$1@example.test" --from author@sender.example \
		--helo client.example --header "Subject: burst-$1" 2>&1
}
for i in $(seq 1 8); do
	load_once_more 'Remote host closed connection unexpectedly' burst_send "$i"
	if [ $rc = 0 ]; then
		burst_ok=$((burst_ok + 1))
		[ -n "$again" ] && burst_again=$again
	else
		burst_out="$burst_out$out"
	fi
	sleep 0.2
done
if [ "$burst_ok" = 8 ]; then
	ok "burst: 8 messages accepted one after another$burst_again"
else
	not_ok "burst: 8 messages accepted" "$burst_ok accepted" \
		"$(printf '%s\n' "$burst_out" | tail -n 20)"
fi
burst_arrived() {
	local n
	for _ in $(seq 1 75); do
		n=$(grep -lE '^Subject: burst-' "$tmp"/sink/* 2>/dev/null | wc -l)
		[ "$n" -ge 8 ] && return 0
		sleep 0.2
	done
	echo "$n of 8 arrived"
	ct_journal tambo-deliver.service tambo-deliver.path | tail -n 15
	return 1
}
check "burst: all 8 forwarded without waiting for the timer" burst_arrived
check "burst: tambo-deliver.path still active, no start limit hit" \
	in_ct sh -c 'systemctl is-active tambo-deliver.path &&
		[ "$(systemctl show -P Result tambo-deliver.path)" = success ] &&
		[ "$(systemctl show -P Result tambo-deliver.service)" = success ]'
# Counted in the runner's own "event=pass" lines, one per run: a run that
# started itself through its own writes would run again and again,
# dozens of times in 5 s.  The timer (OnBootSec=30s, then a minute after
# each run) may add one run, and a message committed between a run's
# clearing of new/ and its look at the queue one more.
runs_settle() {
	local a b
	sleep 2
	a=$(ct_journal tambo-deliver.service | grep -c 'event=pass')
	sleep 5
	b=$(ct_journal tambo-deliver.service | grep -c 'event=pass')
	[ $((b - a)) -le 2 ] ||
		{ echo "the runner ran $((b - a)) times in 5 s"; return 1; }
}
check "burst: afterwards the runner is not started again by its own writes" \
	runs_settle

# --- load: 100 messages over 20 parallel sessions ----------------------------
# Postfix's smtp-source against the socket unit: every message accepted,
# and the path unit and the runner forward all of them within seconds.
if command -v smtp-source >/dev/null || [ -x /usr/sbin/smtp-source ]; then
	PATH=$PATH:/usr/sbin
	load_run() {
		timeout 120 smtp-source -s 20 -m 100 -l 2048 \
			-f author@sender.example -t load@example.test \
			-S "load-test" "127.0.0.1:$PORT"
	}
	load_once_more 'lost connection while reading server greeting' load_run
	if [ $rc = 0 ] && [ -z "$out" ]; then
		ok "load: smtp-source sent 100 messages over 20 sessions$again"
	else
		not_ok "load: smtp-source sent 100 messages (exit $rc)" "$out" \
			"$(ct_warnings 30)"
	fi
	load_arrived() {
		local n
		for _ in $(seq 1 150); do
			n=$(grep -l '^Subject: load-test' "$tmp"/sink/* 2>/dev/null |
				wc -l)
			[ "$n" -ge 100 ] && return 0
			sleep 0.2
		done
		echo "$n of 100 arrived"
		in_ct systemctl status --no-pager tambo-deliver.path | tail -n 5
		return 1
	}
	check "load: all 100 forwarded within 30 s" load_arrived
	check "load: the queue and its new-mail marks are empty" \
		queue_drained
else
	skip_test "load: smtp-source" "no smtp-source (postfix)"
	skip_test "load: all forwarded" "no smtp-source (postfix)"
	skip_test "load: queue empty" "no smtp-source (postfix)"
fi

# --- the SPF check from the sandboxed handler -------------------------------
# With spf_check = all (the client is on loopback) and the host's dnsmasq
# as resolver, the port-25 handler asks the DNS from inside its unit's
# sandbox: a sender whose domain disowns 127.0.0.1 is refused, one whose
# domain lists it is forwarded with its Received-SPF: pass.
if have_dns && start_dns "$tmp/dns" \
	"--txt-record=fail.test,v=spf1 ip4:192.0.2.1 -all" \
	"--txt-record=pass.test,v=spf1 ip4:127.0.0.1 -all"; then
	in_ct sh -c 'printf "resolver = %s\nspf_check = all\n" "$1" \
		>>/etc/tambo/tambo.conf' sh "$(dns_resolver)"
	spf_send() {	# from subject
		swaks --server 127.0.0.1 --port "$PORT" --timeout 30 \
			--to anyone@example.test --from "$1" \
			--helo client.example --header "Subject: $2" 2>&1
	}
	out=$(spf_send someone@fail.test spf-fail)
	if printf '%s\n' "$out" | grep -q '^<\*\* 550 5\.7\.23 '; then
		ok "SPF under the unit's sandbox: fail refused with 550 5.7.23"
	else
		not_ok "SPF under the unit's sandbox: fail refused with 550 5.7.23" \
			"$out" "$(ct_journal 'tambo-smtp@*' | grep 'event=spf')"
	fi
	out=$(spf_send someone@pass.test spf-pass)
	if f=$(sink_wait 'Subject: spf-pass') &&
		grep -q '^Received-SPF: pass ' "$f"; then
		ok "SPF under the unit's sandbox: pass forwarded with Received-SPF: pass"
	else
		not_ok "SPF under the unit's sandbox: pass forwarded" "$out" \
			"$(ct_journal 'tambo-smtp@*' | grep 'event=spf')"
	fi
	in_ct sed -i '/^spf_check = all$/d' /etc/tambo/tambo.conf
	# The journal may take a moment to hold the handlers' last lines.
	st=
	for _ in $(seq 1 25); do
		st=$(in_ct tambo -C /etc/tambo status 2>&1)
		printf '%s\n' "$st" | grep -q 'SPF checks of senders 2:' && break
		sleep 0.2
	done
	if printf '%s\n' "$st" | grep -q 'SPF checks of senders 2: refused 1 (fail), asked to retry 0'; then
		ok "tambo status counts the SPF checks from the journal"
	else
		not_ok "tambo status counts the SPF checks from the journal" "$st"
	fi
else
	skip_test "SPF under the unit's sandbox: fail" "no dnsmasq"
	skip_test "SPF under the unit's sandbox: pass" "no dnsmasq"
	skip_test "tambo status: SPF checks" "no dnsmasq"
fi

check "tambo-deliver.service ended successfully (no failed runs)" \
	in_ct sh -c '[ "$(systemctl show -P Result tambo-deliver.service)" = success ]'
check "the timer is armed" \
	in_ct sh -c 'systemctl list-timers --all --no-legend | grep -q tambo-deliver.timer'

nspawn_no_sanitizer_reports tambo-deliver.service 'tambo-smtp@*'
nspawn_rate tambo-deliver.service
nspawn_poweroff
nspawn_done
