#!/usr/bin/python3
"""Hold N idle SMTP connections open, for the memory benchmark.

Usage: idle.py HOST PORT N [MAX_SECONDS]

Opens N connections, reads each greeting, sends EHLO and reads the whole
reply, then prints "ready N" on stdout and waits until stdin has a line or
reaches end of file, or MAX_SECONDS (default 60) pass -- whichever comes
first -- and closes everything with QUIT.  Every socket read has a timeout,
so the script ends on its own whatever the server does.  Exit status 0, or
1 with a message on stderr.
"""

import select
import socket
import sys

READ_TIMEOUT = 10.0


def reply(f, code):
    """Read one SMTP reply; fail unless its code is CODE."""
    while True:
        line = f.readline(1024)
        if not line:
            raise OSError("connection closed waiting for %s" % code)
        if not line.startswith(code):
            raise OSError("expected %s, got %r" % (code, line))
        if line[3:4] == b" ":
            return


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: idle.py HOST PORT N [MAX_SECONDS]")
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    hold = float(sys.argv[4]) if len(sys.argv) == 5 else 60.0
    conns = []
    try:
        for i in range(n):
            s = socket.create_connection((host, port), timeout=READ_TIMEOUT)
            f = s.makefile("rb")
            conns.append((s, f))
            reply(f, b"220")
            s.sendall(b"EHLO idle%d.client.test\r\n" % i)
            reply(f, b"250")
    except OSError as e:
        print("idle.py: connection %d of %d: %s" % (len(conns), n, e),
              file=sys.stderr)
        sys.exit(1)
    print("ready %d" % len(conns), flush=True)
    select.select([sys.stdin], [], [], hold)
    for s, f in conns:
        try:
            s.sendall(b"QUIT\r\n")
            reply(f, b"221")
        except OSError:
            pass  # the figure is taken already; closing is best effort
        f.close()
        s.close()


if __name__ == "__main__":
    main()
