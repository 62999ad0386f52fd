#!/bin/sh
# run.sh — `make run`: a tambo instance on loopback, in the foreground.
#
# The configuration, spool and logs live in build/run (made by `tambo
# init` on first use and kept between runs).  Ctrl-C stops it.
set -eu
B=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$B/run
PORT=${PORT:-2525}

if [ ! -f "$DIR/tambo.conf" ]; then
	"$B/bin/tambo" -C "$DIR" init example.test --hostname mx.example.test
	echo demo-password | "$B/bin/tambo" -C "$DIR" user add \
		demo@example.test --password-stdin
fi

cat <<TXT

tambo is listening on 127.0.0.1:$PORT (port 25 mode: mail for example.test).
Send it a message from another terminal:

    swaks --server 127.0.0.1:$PORT --to demo@example.test --from you@example.org

It lands in the queue:

    $B/bin/tambo -C $DIR queue list
    ls $DIR/spool/queue/

Users:   $B/bin/tambo -C $DIR user list   (demo@example.test, password demo-password)
Logs:    below, one key=value line per event.  Ctrl-C stops tambo.

TXT
exec systemd-socket-activate -l "127.0.0.1:$PORT" -a --inetd \
	"$B/libexec/tambo/smtpd" -C "$DIR" --mode mx
