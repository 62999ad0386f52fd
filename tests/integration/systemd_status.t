#!/bin/bash
# systemd_status.t — tambo status and tambo test-send under a real
# systemd: with the socket units and the delivery timer started, status
# reports them active over D-Bus; a message sent through the port-25
# socket and delivered by tambo-deliver.service shows in the activity
# counts read from the journal; test-send run as root in the container
# queues as the tambo user and, with --wait, reports the smtp-sink's
# reply for a DKIM-signed message.
#
# Boots systemd in a container as tests/lib/nspawn.sh describes; needs root,
# systemd-nspawn, nsenter, swaks and smtp-sink, otherwise it skips.

# The single-quoted scripts run in the container's shell:
# shellcheck disable=SC2016
set -u
# shellcheck source-path=SCRIPTDIR source=../lib/nspawn.sh
. "$(dirname "$0")/../lib/nspawn.sh"

nspawn_need swaks ss
[ -x /usr/sbin/smtp-sink ] || tap_skip_all "no smtp-sink (postfix)"
nspawn_need_built libexec/tambo/smtpd libexec/tambo/deliver \
	libexec/tambo/remote libexec/tambo/dkimsign bin/tambo
nspawn_begin tambo-st$$ 14

if ! { PORT=$(free_port) && SUB=$(free_port "$PORT") &&
	SUBS=$(free_port "$PORT" "$SUB") &&
	SINK=$(free_port "$PORT" "$SUB" "$SUBS"); }; then
	echo "Bail out! no port"
	exit 1
fi

# --- the receiver on the host ----------------------------------------------
sink_start "$tmp/sink" "$SINK" || { echo "Bail out! smtp-sink"; exit 1; }

UNITS="tambo-smtp.socket tambo-submission.socket tambo-submissions.socket
	tambo-local.socket tambo-auth.socket tambo-deliver.timer"
# shellcheck disable=SC2086 # word splitting wanted
nspawn_stage $UNITS tambo-smtp@.service tambo-submission@.service \
	tambo-submissions@.service tambo-local@.service tambo-auth.service \
	tambo-deliver.service tambo-deliver.path ||
	{ echo "Bail out! staging"; exit 1; }

nspawn_boot

check "sysusers, tmpfiles; configuration with a route to the host's smtp-sink and DKIM keys" \
	in_ct sh -c 'systemd-sysusers /opt/tambo-test/units/tambo.sysusers &&
		systemd-tmpfiles --create /opt/tambo-test/units/tambo.tmpfiles &&
		tambo -C /etc/tambo init example.test --hostname mx.example.test &&
		echo "*: you@remote.test" >>/etc/tambo/domains/example.test/aliases &&
		echo "route * = [127.0.0.1]:$1 tls=none" >>/etc/tambo/tambo.conf &&
		tambo -C /etc/tambo dkim keygen example.test &&
		chgrp -R tambo /etc/tambo && chmod -R g+rX,o-rwx /etc/tambo' sh "$SINK"

nspawn_listen tambo-smtp.socket "127.0.0.1:$PORT"
nspawn_listen tambo-submission.socket "127.0.0.1:$SUB"
nspawn_listen tambo-submissions.socket "127.0.0.1:$SUBS"
nspawn_sanitize tambo-smtp@.service tambo-deliver.service
# shellcheck disable=SC2086
check "the sockets and the timer start" \
	in_ct sh -c 'cd /opt/tambo-test/units && systemctl link "$PWD"/*.socket \
			"$PWD"/*.service "$PWD"/*.timer &&
		systemctl daemon-reload && systemctl start "$@" &&
		systemctl is-active "$@" ||
		{ journalctl -o cat --no-pager -p warning -n 20; exit 1; }' \
		sh $UNITS

# --- a message through port 25, delivered by the service --------------------
out=$(swaks --server 127.0.0.1 --port "$PORT" --timeout 20 \
	--to anyone@example.test --from author@sender.example \
	--helo client.example --header "Subject: status-probe" 2>&1)
if printf '%s\n' "$out" | grep -q '^<-  250 2\.0\.0'; then
	ok "swaks: port 25 accepts a message"
else
	not_ok "swaks: port 25 accepts a message" "$out"
fi
check "tambo-deliver.service delivers it to the host's smtp-sink" \
	in_ct sh -c 'systemctl start tambo-deliver.service &&
		[ -z "$(tambo -C /etc/tambo queue list)" ]'

# --- tambo status in the container ------------------------------------------
# The journal may take a moment to hold the handler's last lines.
st=
for _ in $(seq 1 25); do
	st=$(in_ct tambo -C /etc/tambo status 2>&1)
	printf '%s\n' "$st" | grep -qE 'accepted [1-9][0-9]*, delivered [1-9]' &&
		break
	sleep 0.2
done
printf '%s\n' "$st" | sed 's/^/# /'
bad=
for u in $UNITS; do
	printf '%s\n' "$st" | grep -qE "^  OK +$u: active \\((listening|waiting|running)\\)" ||
		bad="$bad $u"
done
if [ -z "$bad" ]; then
	ok "status: every socket and the timer reported active (D-Bus)"
else
	not_ok "status: units reported active" "not OK:$bad"
fi
if printf '%s\n' "$st" | grep -qE 'accepted 1, delivered 1, deferred 0, bounced 0'; then
	ok "status: the journal counts the accepted and the delivered message"
else
	not_ok "status: the journal counts the accepted and the delivered message" \
		"$(ct_journal 'tambo-smtp@*' tambo-deliver.service | tail -n 20)"
fi
check "status: no FAIL, exit 0" in_ct tambo -C /etc/tambo status

# --- test-send as root in the container --------------------------------------
check "test-send as root writes the queue file as the tambo user" \
	in_ct sh -c 'id=$(tambo -C /etc/tambo test-send later@remote.test | cut -d: -f1) &&
		stat -c %U "/var/spool/tambo/queue/$id" | grep -qx tambo'
# With the path unit the service's runner starts as the message is
# queued, and may take it before test-send's own runner does: the outcome
# then comes from the journal.
check "tambo-deliver.path started" \
	in_ct sh -c 'systemctl link /opt/tambo-test/units/tambo-deliver.path &&
		systemctl start tambo-deliver.path'
out=$(in_ct tambo -C /etc/tambo test-send --wait 20 check@remote.test 2>&1)
rc=$?
if [ $rc = 0 ] && printf '%s\n' "$out" |
	grep -qE '^check@remote\.test: delivered: 250 '; then
	ok "test-send --wait as root: delivered, the sink's reply shown"
else
	not_ok "test-send --wait as root: delivered (exit $rc)" "$out" \
		"$(in_ct journalctl -o short-precise --no-pager -n 30 2>&1)"
fi
printf '%s\n' "$out" | sed 's/^/# test-send: /'
tid=$(printf '%s\n' "$out" | sed -n 's/^\([0-9A-F]\{18\}\): queued.*/\1/p')
if [ -n "$tid" ] && ct_journal tambo-deliver.service | grep -q "id=$tid event=delivered"; then
	echo "# (the path unit's runner delivered it; the outcome came from the journal)"
fi
f=$(grep -l '^Subject: tambo test message from mx.example.test' "$tmp"/sink/* 2>/dev/null | head -1)
if [ -n "$f" ] && grep -qE '^DKIM-Signature:.*d=example\.test' "$f"; then
	ok "the test message arrived DKIM-signed (d=example.test)"
else
	not_ok "the test message arrived DKIM-signed" "${f:-nothing received}"
fi

nspawn_no_sanitizer_reports tambo-deliver.service 'tambo-smtp@*'
nspawn_poweroff
nspawn_done
