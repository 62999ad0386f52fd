#!/bin/sh
# deps.sh — install the Debian packages tambo needs to build, test and
# benchmark, when they are missing (make deps; make run and make check call
# it).  Does nothing when all are present.  Needs root to install.
set -eu

PACKAGES="
gcc clang make pkg-config
libgnutls28-dev libsystemd-dev libidn2-dev libcrypt-dev
libclang-rt-14-dev
perl python3 procps iproute2 util-linux
systemd systemd-container
swaks libio-socket-inet6-perl postfix dnsmasq-base gnutls-bin
sasl2-bin libsasl2-modules libsasl2-modules-db libsasl2-dev chasquid
python3-dkim opendkim-tools libmail-dkim-perl libnet-dns-perl python3-spf
python3-dnspython python3-aiosmtpd time
mandoc openssl
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root; run as root: apt-get install$missing" >&2
	exit 1
fi
# Postfix is only used for its tools and for private benchmark instances:
# never let it configure the system's mail.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# chasquid is only a peer for the submission benchmark, run as a private
# instance: its package enables a system service on ports 25/465/587.
# Where systemd runs (PID 1), stop it again; disable it everywhere.
case " $missing " in
*" chasquid "*)
	units="chasquid.service chasquid-smtp.socket chasquid-submission.socket
	    chasquid-submission_tls.socket"
	if [ -d /run/systemd/system ]; then
		# shellcheck disable=SC2086
		systemctl stop $units >/dev/null 2>&1 || :
	fi
	# shellcheck disable=SC2086
	systemctl disable $units >/dev/null 2>&1 || :
	;;
esac
