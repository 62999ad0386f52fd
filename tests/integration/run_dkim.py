#!/usr/bin/python3
# run_dkim.py — verify each DKIM-Signature of a message with python3-dkim,
# the keys taken from the records `tambo dns records DOMAIN` prints (the
# demo of make run publishes nothing).
#
#   run_dkim.py RECORDS-FILE MESSAGE-FILE
#
# Prints one line per signature: "INDEX d=DOMAIN a=ALGORITHM pass" or
# "... fail"; exit 0 when there was at least one and all passed.
import re
import sys

import dkim


def main():
    keys = {}
    with open(sys.argv[1]) as f:
        for line in f:
            m = re.match(r'(\S+\._domainkey\.\S+)\s+\d+\s+IN\s+TXT\s+(.*)$',
                         line)
            if m:
                txt = "".join(re.findall(r'"([^"]*)"', m.group(2)))
                keys[m.group(1).lower()] = txt.encode()
    with open(sys.argv[2], "rb") as f:
        msg = f.read()

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return keys.get(name.lower(), b"")

    sigs = [v for k, v in dkim.rfc822_parse(msg)[0]
            if k.lower() == b"dkim-signature"]
    ok = len(sigs) > 0
    for i, s in enumerate(sigs):
        tags = dict(t.strip().split(b"=", 1) for t in s.split(b";")
                    if b"=" in t)
        good = dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)
        ok = ok and good
        print(i, "d=" + tags.get(b"d", b"").decode(),
              "a=" + tags.get(b"a", b"").decode(),
              "pass" if good else "fail")
    sys.exit(0 if ok else 1)


main()
