#!/usr/bin/python3
"""authd_client.py — the clients authd.t drives.

  ask SOCKET USER PASSWORD [CLIENT]   one request (tambo-authd(8)); prints
                                      the answer ("ok", "fail", "temp"),
                                      "none" when closed without one, or
                                      "error: TEXT"
  raw SOCKET HEX                      the bytes given in hex, then as ask
  smtp PORT CAFILE USER PASSWORD...   one submission session (STARTTLS,
                                      then AUTH PLAIN with each password in
                                      turn until one is taken); prints the
                                      reply code of each AUTH
"""
import smtplib
import socket
import ssl
import sys


def exchange(path, data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    try:
        s.connect(path)
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(64)
            if not chunk:
                break
            got += chunk
    except OSError as e:
        return "error: " + (e.strerror or str(e))
    finally:
        s.close()
    return got.decode("ascii", "replace").strip() or "none"


def request(user, password, client):
    return (b"tambo-auth1\0" + user.encode() + b"\0" + password.encode() +
            b"\0" + client.encode() + b"\0")


def smtp(port, cafile, user, passwords):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="client.example",
                     timeout=30)
    s.starttls(context=ctx)
    s.ehlo()
    codes = []
    for pw in passwords:
        # AUTH PLAIN only: login() would try LOGIN after a refusal too
        s.user, s.password = user, pw
        try:
            code, _ = s.auth("PLAIN", s.auth_plain)
        except smtplib.SMTPAuthenticationError as e:
            code = e.smtp_code
        codes.append(str(code))
        if code == 235:
            break
    try:
        s.quit()
    except smtplib.SMTPException:
        pass
    return " ".join(codes)


def main(argv):
    if argv[1] == "ask":
        client = argv[5] if len(argv) > 5 else "192.0.2.1"
        print(exchange(argv[2], request(argv[3], argv[4], client)))
    elif argv[1] == "raw":
        print(exchange(argv[2], bytes.fromhex(argv[3])))
    elif argv[1] == "smtp":
        print(smtp(argv[2], argv[3], argv[4], argv[5:]))
    else:
        sys.exit("usage: see the file's header")


main(sys.argv)
