#!/usr/bin/python3
"""smtplib_client.py PORT CONFDIR — TAP checks with Python's smtplib."""
import email.message
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from taplib import Spool, done, ok  # noqa: E402

port, conf = int(sys.argv[1]), sys.argv[2]
spool = Spool(conf)
queue, content = spool.queue, spool.content

s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example")
code, _ = s.ehlo()
ok(code == 250, "EHLO 250")
for ext in ("pipelining", "size", "8bitmime", "smtputf8",
            "enhancedstatuscodes", "chunking", "dsn"):
    ok(s.has_extn(ext), "extension %s advertised" % ext)
ok(s.esmtp_features.get("size") == "36700160", "SIZE value")

msg = (b"From: a@other.example\r\nTo: alice@example.test\r\n"
       b"Subject: s\r\n\r\nhello\r\n")
before = len(queue())
refused = s.sendmail("a@other.example",
                     ["alice@example.test", "bob@example.test"], msg)
ok(refused == {}, "two recipients accepted", refused)
ok(len(queue()) == before + 1, "one message queued for two recipients")
body = content(queue()[-1])
ok(body.endswith(b"\r\n\r\n" + msg) or body.endswith(msg),
   "message stored byte for byte after the Received: header", body[-200:])

refused = s.sendmail("a@other.example",
                     ["alice@example.test", "nobody@example.test"], msg)
ok(list(refused) == ["nobody@example.test"] and
   refused["nobody@example.test"][0] == 550 and
   refused["nobody@example.test"][1].startswith(b"5.1.1"),
   "unknown user refused with 550 5.1.1, the other accepted", refused)

try:
    s.sendmail("a@other.example", ["x@gmail.com"], msg)
    ok(False, "relay refused")
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients["x@gmail.com"]
    ok(code == 554 and text.startswith(b"5.7.1"), "relay refused: 554 5.7.1",
       e.recipients)

# SMTPUTF8: a UTF-8 sender and an IDN recipient.
m = email.message.EmailMessage()
m["From"] = "jöran@other.example"
m["To"] = "info@bücher.example"
m["Subject"] = "grüße"
m.set_content("Grüße aus dem Test\n")
before = len(queue())
refused = s.send_message(m, mail_options=["SMTPUTF8"])
ok(refused == {} and len(queue()) == before + 1,
   "SMTPUTF8 message to an IDN domain queued")
ok(b"smtputf8 yes" in content(queue()[-1]), "envelope records SMTPUTF8")

# 8-bit body with BODY=8BITMIME.
before = len(queue())
s.sendmail("a@other.example", ["alice@example.test"],
           "Subject: 8bit\r\n\r\nñandú\r\n".encode(),
           mail_options=["BODY=8BITMIME"])
ok(len(queue()) == before + 1, "8BITMIME message queued")

# SIZE announced over the limit (smtplib would add its own SIZE to
# sendmail's options, so speak MAIL directly).
code, text = s.mail("a@other.example", ["SIZE=999999999999"])
ok(code == 552 and text.startswith(b"5.3.4"),
   "SIZE over the limit refused: 552 5.3.4", (code, text))
s.rset()

# A message really over the limit (limit lowered for a new connection).
s.quit()
with open(conf + "/tambo.conf", "a") as f:
    f.write("max_message_size = 65536\n")
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example")
big = b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 2000
before = len(queue())
s.ehlo_or_helo_if_needed()
s.mail("a@other.example")          # no SIZE=: the limit bites in DATA
s.rcpt("alice@example.test")
code, text = s.data(big)
ok(code == 552 and text.startswith(b"5.3.4"),
   "oversized message refused after DATA: 552 5.3.4", (code, text))
ok(len(queue()) == before, "nothing queued for the oversized message")
ok(s.noop()[0] == 250, "session goes on after the refusal")

# VRFY never tells.
ok(s.verify("alice")[0] == 252 and s.verify("nobody")[0] == 252,
   "VRFY answers 252 for everyone")
code, _ = s.quit()
ok(code == 221, "QUIT 221")

done()
