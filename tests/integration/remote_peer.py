#!/usr/bin/python3
"""remote_peer.py — a small scripted SMTP server for remote.t, for what
smtp-sink cannot be told to do.

  remote_peer.py ADDR PORT LOG [--greet 'CODE TEXT'] [--close-after N]
                 [--ehlo-fail 'CODE TEXT'] [--broken-tls 1]

Serves connections one at a time, forever (remote.t kills it).  Every
connection and every message received is logged to LOG, one line each
("connect", "message N BYTES"), flushed at once.  --greet replaces the
220 greeting (a 4xx or 5xx greeting makes the client go elsewhere; the
connection is then closed after QUIT).  --close-after N closes the
connection without a word after the reply to the N-th message, as a
server does that drops idle clients.  --ehlo-fail refuses EHLO (the
client falls back to HELO).  --broken-tls offers STARTTLS, says 220 to
it and then answers the TLS handshake with garbage ("starttls" logged).
PIPELINING is offered.
"""
import socket
import sys


def serve(conn, log, greet, close_after, ehlo_fail, broken_tls):
    f = conn.makefile("rb")

    def send(line):
        conn.sendall(line.encode() + b"\r\n")

    send(greet)
    if not greet.startswith("2"):
        f.readline()
        send("221 2.0.0 bye")
        return
    messages = 0
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode("latin-1").strip()
        verb = cmd.split(" ", 1)[0].upper()
        if verb == "EHLO":
            if ehlo_fail:
                send(ehlo_fail)
            elif broken_tls:
                send("250-peer.test\r\n250-STARTTLS\r\n250 PIPELINING")
            else:
                send("250-peer.test\r\n250-PIPELINING\r\n250 8BITMIME")
        elif verb == "STARTTLS" and broken_tls:
            log.write("starttls\n")
            log.flush()
            send("220 2.0.0 go ahead")
            conn.recv(4096)
            conn.sendall(b"this is not TLS\r\n" * 4)
            return
        elif verb in ("HELO", "RSET", "NOOP"):
            send("250 2.0.0 ok")
        elif verb == "MAIL":
            send("250 2.1.0 sender ok")
        elif verb == "RCPT":
            send("250 2.1.5 recipient ok")
        elif verb == "DATA":
            send("354 go ahead")
            size = 0
            while True:
                data = f.readline()
                if not data:
                    return
                if data == b".\r\n":
                    break
                size += len(data)
            messages += 1
            log.write("message %d %d\n" % (messages, size))
            log.flush()
            send("250 2.0.0 queued as M%d" % messages)
            if close_after and messages >= close_after:
                return
        elif verb == "QUIT":
            send("221 2.0.0 bye")
            return
        else:
            send("502 5.5.1 unknown")


def main():
    addr, port, logname = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    greet, close_after, ehlo_fail = "220 peer.test ESMTP", 0, None
    broken_tls = False
    args = sys.argv[4:]
    while args:
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--greet":
            greet = val
        elif opt == "--close-after":
            close_after = int(val)
        elif opt == "--ehlo-fail":
            ehlo_fail = val
        elif opt == "--broken-tls":
            broken_tls = val == "1"
        else:
            sys.exit("remote_peer.py: unknown option " + opt)
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(16)
    with open(logname, "a") as log:
        log.write("listening\n")
        log.flush()
        while True:
            conn, _ = srv.accept()
            log.write("connect\n")
            log.flush()
            try:
                serve(conn, log, greet, close_after, ehlo_fail,
                      broken_tls)
            except OSError:
                pass
            finally:
                conn.close()


if __name__ == "__main__":
    main()
