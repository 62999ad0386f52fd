#!/usr/bin/python3
"""dsn_check.py — check the delivery status notifications that the unit
test tests/unit/dsn writes to DSN_DUMP_DIR, with Python's email package
(a MIME consumer other than ours) and an RFC 3464 section 2 field parser.

    dsn_check.py DIR        (DIR holds NN.dsn, NN.orig, NN.meta)

NN.meta has tab-separated lines: name, hostname, from, envid (0/1),
global (0/1), return (full, headers, none), max_returned, and one
"rcpt ACTION ORCPT DIAG MTA FINAL" line per recipient (flags 0/1).
"""
import email
import email.policy
import email.utils
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from taplib import ok, done  # noqa: E402

STRICT = email.policy.SMTP.clone(raise_on_defect=True)
STATUS_RE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
BCHARS_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}"
                       r"[0-9A-Za-z'()+_,\-./:=?]")
MSGID_RE = re.compile(r"<[^\s<>@]+\.DSN@([^\s<>@]+)>")
# RFC 3464 2.2 and 2.3 (extension fields start with X-)
PER_MESSAGE = {"original-envelope-id", "reporting-mta", "dsn-gateway",
               "received-from-mta", "arrival-date"}
PER_RCPT = {"original-recipient", "final-recipient", "action", "status",
            "remote-mta", "diagnostic-code", "last-attempt-date",
            "final-log-id", "will-retry-until"}
ACTION_CLASS = {"failed": "45", "delayed": "4", "delivered": "2",
                "relayed": "2", "expanded": "2"}


def read_meta(path):
    meta = {"rcpt": []}
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            k, v = line.split("\t", 1)
            if k == "rcpt":
                action, orcpt, diag, mta, final = v.split("\t", 4)
                meta["rcpt"].append({"action": action, "orcpt": orcpt == "1",
                                     "diag": diag == "1", "mta": mta == "1",
                                     "final": final})
            else:
                meta[k] = v
    return meta


def crlf(data):
    """The original with every line end made CRLF, a final one added."""
    lines = re.split(rb"\r\n|\n|\r", data)
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join(l + b"\r\n" for l in lines)


def header_part(data, max_returned):
    """What a header-only return holds: the header, cut at a field."""
    end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[:end + 2]
    if data.startswith(b"\r\n"):
        head = b""
    if max_returned and len(head) > max_returned:
        cut, i = 0, 0
        while i <= max_returned and i < len(head):
            if head[i:i + 1] not in (b" ", b"\t"):
                cut = i
            j = head.find(b"\n", i)
            if j < 0:
                break
            i = j + 1
        head = head[:cut]
    return head


def fields(block):
    """RFC 822-style fields of a block: [(name, unfolded value)]."""
    out = []
    for line in block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1] += line
        elif line:
            name, sep, value = line.partition(b":")
            out.append([name, value if sep else None])
    return [(n.decode("ascii", "replace").strip(),
             None if v is None else v.strip().decode("utf-8", "replace"))
            for n, v in out]


def check(d, nn):
    meta = read_meta(os.path.join(d, nn + ".meta"))
    with open(os.path.join(d, nn + ".dsn"), "rb") as f:
        raw = f.read()
    with open(os.path.join(d, nn + ".orig"), "rb") as f:
        orig = f.read()
    name = "%s %s" % (nn, meta["name"])
    host = meta["hostname"]
    glob = meta["global"] == "1"
    rcpts = meta["rcpt"]
    actions = [r["action"] for r in rcpts]

    # --- octets ---------------------------------------------------------
    ok(re.search(rb"\r(?!\n)|(?<!\r)\n", raw) is None,
       name + ": CRLF line ends only")
    longest = max(len(l) for l in raw.split(b"\r\n"))
    ok(longest <= 998, name + ": no line over 998 octets", longest)

    # --- the top-level header -------------------------------------------
    head, _, body = raw.partition(b"\r\n\r\n")
    top = fields(head + b"\r\n")
    names = [n.lower() for n, _ in top]
    ok(all(re.fullmatch(r"[!-9;-~]+", n) for n, _ in top),
       name + ": header field names well-formed")
    for want in ("from", "to", "subject", "date", "message-id",
                 "auto-submitted", "mime-version", "content-type"):
        ok(names.count(want) == 1, name + ": one " + want + " field")
    nonascii = [n for n, v in fields(head + b"\r\n")
                if v is not None and not v.isascii()]
    ok(nonascii == [] or (glob and nonascii == ["To"]),
       name + ": header field values ASCII (but To: of a global report)",
       nonascii)

    try:
        msg = email.message_from_bytes(raw, policy=STRICT)
        ok(True, name + ": parses with no defect (raise_on_defect)")
    except Exception as e:  # any defect raises
        ok(False, name + ": parses with no defect (raise_on_defect)", e)
        msg = email.message_from_bytes(raw, policy=email.policy.SMTP)
    defects = [(p.get_content_type(), p.defects) for p in msg.walk()
               if p.defects]
    ok(not defects, name + ": no MIME defects in any part", defects)

    frm = email.utils.parseaddr(str(msg["From"]))
    ok(frm[1] == "MAILER-DAEMON@" + host, name + ": From MAILER-DAEMON@host",
       msg["From"])
    to_raw = [l for l in head.split(b"\r\n") if l.lower().startswith(b"to:")]
    ok(to_raw == [b"To: <" + meta["from"].encode() + b">"],
       name + ": To the original sender", to_raw)
    subject = str(msg["Subject"])
    want_subject = ("Undelivered Mail Returned to Sender"
                    if "failed" in actions else
                    "Delayed Mail (still being retried)"
                    if "delayed" in actions else
                    "Successful Mail Delivery Report")
    ok(subject == want_subject, name + ": Subject for the action", subject)
    date = msg["Date"]
    ok(date.datetime is not None and date.datetime.utcoffset() is not None
       and date.datetime.utcoffset().total_seconds() == 0
       and str(date).endswith(" +0000") and not date.defects,
       name + ": Date: RFC 5322, UTC +0000", str(date))
    m = MSGID_RE.fullmatch(str(msg["Message-ID"]))
    ok(m is not None and m.group(1) == host,
       name + ": Message-ID <...DSN@host>", msg["Message-ID"])
    ok(str(msg["Auto-Submitted"]) == "auto-replied",
       name + ": Auto-Submitted: auto-replied")
    ok(str(msg["MIME-Version"]) == "1.0", name + ": MIME-Version: 1.0")
    ok(msg.get_content_type() == "multipart/report"
       and msg.get_param("report-type") == "delivery-status",
       name + ": multipart/report; report-type=delivery-status",
       msg["Content-Type"])

    # --- boundary and parts ---------------------------------------------
    bnd = msg.get_boundary()
    ok(bnd is not None and BCHARS_RE.fullmatch(bnd) is not None,
       name + ": boundary of RFC 2046 characters, at most 70", bnd)
    bb = bnd.encode()
    ok(bb not in orig, name + ": boundary does not occur in the original")
    delims = [l for l in body.split(b"\r\n") if l.startswith(b"--" + bb)]
    nparts = 2 if meta["return"] == "none" else 3
    ok(delims == [b"--" + bb] * nparts + [b"--" + bb + b"--"],
       name + ": %d parts, then the close delimiter, nothing else" % nparts,
       delims)
    ok(body.endswith(b"\r\n--" + bb + b"--\r\n"),
       name + ": ends with the close delimiter")
    pieces = body.split(b"\r\n--" + bb)
    rawparts = []
    for p in pieces[1:-1]:
        ph, _, pc = p[2:].partition(b"\r\n\r\n")
        rawparts.append((ph, pc))
    parts = msg.get_payload()
    ok(isinstance(parts, list) and len(parts) == nparts
       and len(rawparts) == nparts,
       name + ": Python sees %d parts" % nparts, len(parts))
    if len(parts) != nparts or len(rawparts) != nparts:
        return
    eightbit = any(b >= 0x80 for b in body)
    ok(str(msg.get("Content-Transfer-Encoding", "7bit")).lower() ==
       ("8bit" if eightbit else "7bit"),
       name + ": top-level Content-Transfer-Encoding says what the body is")

    # --- 1: the human-readable text -------------------------------------
    text = parts[0]
    ok(text.get_content_type() == "text/plain"
       and text.get_content_charset() in (("us-ascii", "utf-8") if glob
                                          else ("us-ascii",)),
       name + ": part 1 text/plain" + ("" if glob else "; charset=us-ascii"),
       text["Content-Type"])
    if not glob:
        ok(rawparts[0][1].isascii(), name + ": part 1 is 7bit ASCII")
    words = text.get_content()
    ok("mail system at %s" % host in words, name + ": text names the host")
    missing = [r["final"] for r in rcpts
               if r["final"].isascii() and "<%s>" % r["final"] not in words]
    ok(not missing, name + ": text lists each recipient", missing)
    if "delayed" in actions:
        ok("keeps trying" in words, name + ": text says it keeps trying")

    # --- 2: the delivery-status fields (RFC 3464 2) ---------------------
    ds = parts[1]
    ok(ds.get_content_type() == ("message/global-delivery-status" if glob
                                 else "message/delivery-status"),
       name + ": part 2 " + ds.get_content_type())
    content = rawparts[1][1]
    if not glob:
        ok(content.isascii(), name + ": part 2 is 7bit ASCII")
        ok("Content-Transfer-Encoding" not in ds,
           name + ": part 2 without a transfer encoding (7bit)")
    groups = [g for g in re.split(rb"\r\n\r\n+", content.strip(b"\r\n"))]
    ok(len(groups) == 1 + len(rcpts),
       name + ": per-message fields and %d recipient groups" % len(rcpts),
       len(groups))
    if len(groups) != 1 + len(rcpts):
        return
    pm = fields(groups[0] + b"\r\n")
    pmd = {n.lower(): v for n, v in pm}
    ok(all(n.lower() in PER_MESSAGE or n.lower().startswith("x-")
           for n, _ in pm), name + ": per-message field names of RFC 3464",
       pm)
    ok(pmd.get("reporting-mta") == "dns; " + host,
       name + ": Reporting-MTA: dns; host", pmd.get("reporting-mta"))
    ok(("original-envelope-id" in pmd) == (meta["envid"] == "1"),
       name + ": Original-Envelope-Id when ENVID was given")
    ok("arrival-date" not in pmd or
       email.utils.parsedate_tz(pmd["arrival-date"]) is not None,
       name + ": Arrival-Date is a date")
    if not glob:
        # Python parses message/delivery-status into blocks itself.
        pyblocks = ds.get_payload()
        ok(isinstance(pyblocks, list) and len(pyblocks) == 1 + len(rcpts)
           and [str(b["Action"]) for b in pyblocks[1:]] == actions,
           name + ": Python's delivery-status blocks agree")
    for i, (g, r) in enumerate(zip(groups[1:], rcpts)):
        rn = "%s: recipient %d" % (name, i + 1)
        rf = fields(g + b"\r\n")
        rd = {n.lower(): v for n, v in rf}
        ok(all(n.lower() in PER_RCPT or n.lower().startswith("x-")
               for n, _ in rf) and len(rd) == len(rf),
           rn + ": field names of RFC 3464, each once", rf)
        fr = rd.get("final-recipient", "")
        ok(re.fullmatch(r"(rfc822|utf-8); \S.*", fr or "") is not None,
           rn + ": Final-Recipient: type; address", fr)
        if r["final"].isascii():
            ok(fr == "rfc822; " + r["final"], rn + ": Final-Recipient", fr)
        elif glob:
            ok(fr == "utf-8; " + r["final"], rn + ": Final-Recipient utf-8",
               fr)
        else:
            ok(fr.isascii() and re.search(r"\\x\{[0-9A-F]+\}", fr),
               rn + ": Final-Recipient utf-8-addr-xtext", fr)
        ok(rd.get("action") == r["action"], rn + ": Action: " + r["action"],
           rd.get("action"))
        st = rd.get("status", "")
        ok(STATUS_RE.fullmatch(st or "") is not None
           and st[0] in ACTION_CLASS[r["action"]],
           rn + ": Status syntax and class", st)
        dc = rd.get("diagnostic-code")
        ok((dc is not None) == r["diag"], rn + ": Diagnostic-Code when given")
        if dc is not None:
            m = re.fullmatch(r"(smtp|x-[a-z0-9-]+); ?(.*)", dc,
                             re.I | re.S)
            ok(m is not None and m.group(2) != "", rn +
               ": Diagnostic-Code: type; text", dc)
            if m and m.group(1).lower() == "smtp":
                ok(re.match(r"[245]\d\d[ -]", m.group(2) + " "),
                   rn + ": smtp diagnostic is a reply", dc)
        rm = rd.get("remote-mta")
        ok((rm is not None) == r["mta"] and
           (rm is None or rm.startswith("dns; ")),
           rn + ": Remote-MTA: dns; host when given", rm)
        orc = rd.get("original-recipient")
        ok((orc is not None) == r["orcpt"] and
           (orc is None or re.fullmatch(r"[A-Za-z0-9-]+; ?\S.*", orc)),
           rn + ": Original-Recipient: type;address when given", orc)
        ok(("will-retry-until" in rd) <= (r["action"] == "delayed"),
           rn + ": Will-Retry-Until only for a delay")
        dates = [rd[k] for k in ("last-attempt-date", "will-retry-until")
                 if k in rd]
        ok(all(email.utils.parsedate_tz(v) for v in dates),
           rn + ": dates parse", dates)

    # --- 3: the returned message or header ------------------------------
    if nparts == 2:
        return
    ret = parts[2]
    norm = crlf(orig)
    returned = rawparts[2][1]
    if meta["return"] == "full":
        ok(ret.get_content_type() == ("message/global" if glob
                                      else "message/rfc822"),
           name + ": part 3 " + ret.get_content_type())
        ok(returned == norm, name + ": the message returned intact")
        inner = ret.get_payload()
        inner = inner[0] if isinstance(inner, list) else inner
        om = email.message_from_bytes(orig, policy=email.policy.SMTP)
        ok(hasattr(inner, "get") and
           str(inner.get("Subject")) == str(om.get("Subject")),
           name + ": Python reads the returned message's Subject")
    else:
        ok(ret.get_content_type() == ("message/global-headers" if glob
                                      else "text/rfc822-headers"),
           name + ": part 3 " + ret.get_content_type())
        want = header_part(norm, int(meta["max_returned"]))
        ok(returned.replace(b"\r\n ", b"") == want.replace(b"\r\n ", b""),
           name + ": the header returned (only)", returned[:200])
    has8 = any(b >= 0x80 for b in returned)
    ok(str(ret.get("Content-Transfer-Encoding", "7bit")).lower() ==
       ("8bit" if has8 else "7bit"),
       name + ": part 3 Content-Transfer-Encoding " +
       ("8bit" if has8 else "7bit"))


def main():
    d = sys.argv[1]
    cases = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".meta"))
    ok(len(cases) > 0, "reports to check: %d" % len(cases))
    for nn in cases:
        check(d, nn)
    done()


main()
