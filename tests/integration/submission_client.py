#!/usr/bin/python3
"""submission_client.py PORT587 PORT465 CONFDIR CERTDIR — TAP checks of
STARTTLS, implicit TLS and AUTH with Python's smtplib and ssl modules."""
import base64
import hashlib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from taplib import Spool, done, ok  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)   # TLS 1.0/1.1 on purpose

p587, p465, conf, certdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], \
    sys.argv[4]
spool = Spool(conf)
queue, content = spool.queue, spool.content


def log():
    with open(conf + "/smtpd.log", "rb") as f:
        return f.read().decode("utf-8", "replace")


def ctx(name_check=False):
    """Verify the chain against the test CA; the names are checked where
    the server name is known (smtplib would check "127.0.0.1")."""
    c = ssl.create_default_context(cafile=certdir + "/ca.pem")
    c.check_hostname = name_check
    return c


def plain(user, pw):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode()


MSG = b"From: alice@example.test\r\nTo: x@gmail.example\r\nSubject: t\r\n\r\nhi\r\n"

# --- 587 before STARTTLS -------------------------------------------------
s = smtplib.SMTP("127.0.0.1", p587, local_hostname="client.example")
s.ehlo()
ok(s.has_extn("starttls"), "587: STARTTLS offered")
ok(not s.has_extn("auth"), "587: no AUTH before TLS")
code, text = s.mail("alice@example.test")
ok(code == 530 and text.startswith(b"5.7.0"), "587: MAIL before TLS: 530 5.7.0",
   (code, text))
code, text = s.docmd("AUTH", "PLAIN " + plain("alice@example.test", "secret"))
ok(code == 538 and text.startswith(b"5.7.11"),
   "587: AUTH before TLS: 538 5.7.11", (code, text))

# --- STARTTLS and AUTH PLAIN ---------------------------------------------
s._host = "mx.example.test"     # the name smtplib sends as SNI and checks
s.starttls(context=ctx(True))
ok(s.sock.version() in ("TLSv1.3", "TLSv1.2"), "587: TLS " + s.sock.version())
s.ehlo()
ok(s.has_extn("auth") and "PLAIN" in s.esmtp_features["auth"].split()
   and "LOGIN" in s.esmtp_features["auth"].split(), "587: AUTH PLAIN LOGIN after TLS")
ok(not s.has_extn("starttls"), "587: no STARTTLS inside TLS")
code, text = s.mail("alice@example.test")
ok(code == 530, "587: MAIL before AUTH: 530", (code, text))
s.rset()
code, text = s.docmd("AUTH", "PLAIN " + plain("alice@example.test", "wrong"))
ok(code == 535 and text.startswith(b"5.7.8"), "wrong password: 535 5.7.8",
   (code, text))
code, text = s.docmd("AUTH", "PLAIN " + plain("alice@example.test", "secret"))
ok(code == 235 and text.startswith(b"2.7.0"), "AUTH PLAIN: 235 2.7.0",
   (code, text))
code, text = s.docmd("AUTH", "PLAIN " + plain("alice@example.test", "secret"))
ok(code == 503, "AUTH twice: 503", (code, text))

code, text = s.mail("bob@other.example")
ok(code == 550 and text.startswith(b"5.7.1"), "spoofed sender: 550 5.7.1",
   (code, text))
before = len(queue())
refused = s.sendmail("alice@example.test", ["x@gmail.example", "alice@example.test"], MSG)
ok(refused == {} and len(queue()) == before + 1,
   "authenticated relay to another domain queued", refused)
body = content(queue()[-1])
ok(b"\nauth alice@example.test\n" in body, "envelope names the user")
ok(re.search(rb"with ESMTPSA id [0-9A-F]{18}\r\n\t\((TLS1\.[23]|version=)", body)
   is not None, "Received: says ESMTPSA and the TLS version", body[:600])
refused = s.sendmail("Alice+lists@EXAMPLE.test", ["x@gmail.example"], MSG)
ok(refused == {}, "own address with a suffix and other case accepted")
refused = s.sendmail("", ["x@gmail.example"], MSG)
ok(refused == {}, "null sender accepted")
refused = s.sendmail("alice@example.test",
                     ["bob@other.example", "bob+lists@other.example",
                      "bob@OTHER.Example"], MSG)
body = content(queue()[-1])
ok(refused == {} and b"<bob@other.example>\n" in body and
   b"<bob+lists@other.example>\n" in body and b"OTHER" not in body,
   "foreign recipients: a suffix is another mailbox, case of the "
   "domain part only is folded", body[:700])
s.quit()

# --- AUTH LOGIN, PLAIN without initial response, cancel, bad base64 -------
s = smtplib.SMTP("127.0.0.1", p587, local_hostname="client.example")
s.starttls(context=ctx())
s.ehlo()
code, text = s.docmd("AUTH", "PLAIN !!!!")
ok(code == 501 and text.startswith(b"5.5.2"), "malformed base64: 501 5.5.2",
   (code, text))
code, text = s.docmd("AUTH", "CRAM-MD5")
ok(code == 504, "unknown mechanism: 504", (code, text))
code, text = s.docmd("AUTH", "PLAIN")
ok(code == 334, "PLAIN without initial response: 334", (code, text))
code, text = s.docmd("*")
ok(code == 501, "cancelled with *: 501", (code, text))
code, text = s.docmd("AUTH", "LOGIN")
ok(code == 334 and base64.b64decode(text) == b"Username:", "LOGIN asks Username:",
   (code, text))
code, text = s.docmd(base64.b64encode(b"alice@example.test").decode())
ok(code == 334 and base64.b64decode(text) == b"Password:", "LOGIN asks Password:")
code, text = s.docmd(base64.b64encode(b"secret").decode())
ok(code == 235, "AUTH LOGIN: 235", (code, text))
s.quit()

s = smtplib.SMTP("127.0.0.1", p587, local_hostname="client.example")
s.starttls(context=ctx())
s.ehlo()
code, text = s.docmd("AUTH", "PLAIN " + plain("nobody@example.test", "secret"))
ok(code == 535, "unknown user: 535 like a wrong password", (code, text))
code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(
    b"bob@example.test\0alice@example.test\0secret").decode())
ok(code == 535, "acting for another user (authzid) refused", (code, text))
code, text = s.docmd("AUTH", "PLAIN " + "A" * 13000)
ok(code == 500, "overlong AUTH line: 500", (code, text))
s.close()

# --- 465: implicit TLS ------------------------------------------------------
s = smtplib.SMTP_SSL("127.0.0.1", p465, local_hostname="client.example",
                     context=ctx())
s.ehlo()
ok(s.has_extn("auth") and not s.has_extn("starttls"),
   "465: AUTH offered, STARTTLS not")
s.login("alice@example.test", "secret")
before = len(queue())
s.sendmail("alice@example.test", ["x@gmail.example"], MSG)
ok(len(queue()) == before + 1, "465: message queued")
s.quit()

# --- TLS session resumption across handler processes ----------------------
def session_from(port, c, session=None):
    t = c.wrap_socket(socket.create_connection(("127.0.0.1", port), 10),
                      server_hostname="mx.example.test", session=session)
    t.recv(4096)                  # the greeting: TLS 1.3 tickets arrive first
    t.sendall(b"QUIT\r\n")
    t.recv(4096)
    reused, sess = t.session_reused, t.session
    t.close()
    return reused, sess


resume_ctx = ctx()
first_reused, sess = session_from(p465, resume_ctx)
ok(not first_reused and sess is not None and sess.has_ticket,
   "first session gets a ticket")
again, _ = session_from(p465, resume_ctx, sess)
ok(again, "second connection (a new handler process) resumes the session")
ok(re.search(r"event=tls tls=\S+ .*resumed=1", log()) is not None,
   "resumption logged", log()[-800:])


# --- TLS versions and SNI -------------------------------------------------
def handshake(port, starttls, sni, **kw):
    c = ssl.create_default_context(cafile=certdir + "/ca.pem")
    c.check_hostname = False
    for k, v in kw.items():
        setattr(c, k, v)
    raw = socket.create_connection(("127.0.0.1", port), 10)
    if starttls:
        f = raw.makefile("rb")
        f.readline()
        raw.sendall(b"EHLO client.example\r\n")
        while True:
            ln = f.readline()
            if ln[3:4] != b"-":
                break
        raw.sendall(b"STARTTLS\r\n")
        f.readline()
    t = c.wrap_socket(raw, server_hostname=sni)
    cert = t.getpeercert()
    ver = t.version()
    t.close()
    cn = dict(x[0] for x in cert["subject"])["commonName"]
    return ver, cn


ver, cn = handshake(p465, False, "other.example")
ok(cn == "other.example", "SNI other.example picks its certificate", cn)
ver, cn = handshake(p465, False, "mx.example.test")
ok(cn == "mx.example.test", "SNI mx.example.test picks its certificate", cn)
ver, cn = handshake(p587, True, "unknown.example")
ok(cn == "mx.example.test", "unknown SNI falls back to the hostname's", cn)
ver, cn = handshake(p465, False, "mx.example.test",
                    maximum_version=ssl.TLSVersion.TLSv1_2)
ok(ver == "TLSv1.2", "TLS 1.2 accepted", ver)
try:
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = ssl.TLSVersion.TLSv1
    c.maximum_version = ssl.TLSVersion.TLSv1_1
    c.set_ciphers("DEFAULT@SECLEVEL=0")
    t = c.wrap_socket(socket.create_connection(("127.0.0.1", p465), 10))
    ok(False, "TLS 1.1 refused", t.version())
except (ssl.SSLError, ConnectionError, OSError):
    ok(True, "TLS 1.1 refused")

for proto in ("TLS1.0", "TLS1.1"):
    r = subprocess.run(["gnutls-cli", "--port", str(p587), "--starttls-proto=smtp",
                        "--priority", "NORMAL:-VERS-ALL:+VERS-" + proto,
                        "--x509cafile", certdir + "/ca.pem", "127.0.0.1"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    ok(r.returncode != 0, "gnutls-cli %s on 587 refused" % proto, r.stdout[-300:])
r = subprocess.run(["gnutls-cli", "--port", str(p587), "--starttls-proto=smtp",
                    "--sni-hostname", "mx.example.test",
                    "--verify-hostname", "mx.example.test",
                    "--x509cafile", certdir + "/ca.pem", "127.0.0.1"],
                   input=b"", capture_output=True, timeout=20)
ok(b"Handshake was completed" in r.stdout and r.returncode == 0,
   "gnutls-cli STARTTLS handshake on 587", r.stdout[-500:] + r.stderr[-300:])

# --- a certificate replaced on disk is used by the next connection ---------
def fingerprint(port):
    c = ssl.create_default_context(cafile=certdir + "/ca.pem")
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    t = c.wrap_socket(socket.create_connection(("127.0.0.1", port), 10),
                      server_hostname="mx.example.test")
    der = t.getpeercert(binary_form=True)
    t.close()
    return hashlib.sha256(der).hexdigest()


old = fingerprint(p465)
for folder, kind in (("mx.example.test", "rsa"), ("mx.example.test_ecc", "ecc")):
    d = conf + "/certs/" + folder
    with open(certdir + "/spare/%s.pem" % kind, "rb") as a, \
            open(certdir + "/ca.pem", "rb") as b, \
            open(d + "/fullchain.pem.new", "wb") as o:
        o.write(a.read() + b.read())
    shutil.copy(certdir + "/spare/%s.key" % kind, d + "/privkey.pem.new")
    os.rename(d + "/privkey.pem.new", d + "/privkey.pem")
    os.rename(d + "/fullchain.pem.new", d + "/fullchain.pem")
new = fingerprint(p465)
ok(old != new, "replaced certificate served by the next connection")

# --- STARTTLS injection (CVE-2011-0411) ----------------------------------
raw = socket.create_connection(("127.0.0.1", p587), 10)
f = raw.makefile("rb")
f.readline()
raw.sendall(b"EHLO client.example\r\n")
while f.readline()[3:4] == b"-":
    pass
raw.sendall(b"STARTTLS\r\nRSET\r\n")   # RSET injected in plaintext
ok(f.readline().startswith(b"220 2.0.0"), "STARTTLS: 220 2.0.0")
t = ctx().wrap_socket(raw, server_hostname="mx.example.test")
t.sendall(b"AUTH PLAIN " + plain("alice@example.test", "secret").encode() +
          b"\r\n")
ok(t.recv(4096).startswith(b"503 5.5.1"), "AUTH before EHLO (after STARTTLS): 503")
t.sendall(b"NOOP\r\n")
first = t.recv(4096)
ok(first.startswith(b"250 2.0.0 Ok"), "injected RSET not answered inside TLS",
   first)
t.sendall(b"MAIL FROM:<alice@example.test>\r\n")
ok(t.recv(4096).startswith(b"503 5.5.1"), "state reset by STARTTLS: EHLO again")
t.close()
ok("injection" in log(), "injection attempt logged")

# --- brute force: throttled across connections ---------------------------
codes = []
for attempt in range(30):
    s = smtplib.SMTP_SSL("127.0.0.1", p465, local_hostname="client.example",
                         context=ctx())
    s.ehlo()
    code, text = s.docmd("AUTH", "PLAIN " + plain("alice@example.test",
                                                   "guess%d" % attempt))
    codes.append(code)
    s.close()
ok(codes[:3] == [535, 535, 535], "first failures: 535", codes)
ok(454 in codes and all(c == 454 for c in codes[codes.index(454):]),
   "then refused with 454 4.7.0 for good", codes)
s = smtplib.SMTP_SSL("127.0.0.1", p465, local_hostname="client.example",
                     context=ctx())
s.ehlo()
code, text = s.docmd("AUTH", "PLAIN " + plain("alice@example.test", "secret"))
ok(code == 454, "the right password is refused too while throttled", code)
s.close()
ok(re.search(r"event=auth client=127\.0\.0\.1 mech=PLAIN user=alice@example\.test "
             r"result=fail", log()) is not None, "failures logged for fail2ban")
ok(re.search(r"result=throttled", log()) is not None, "throttling logged")
ok("secret" not in log() and "guess" not in log(), "no password in the log")

done()
