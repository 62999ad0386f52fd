#!/usr/bin/python3
# dkim_verify.py — check every DKIM-Signature of each message with
# python3-dkim (dkimpy), keys from the DNS of /etc/resolv.conf (dkimsign.t
# runs it in a network namespace whose resolver is its own dnsmasq), or
# with --records from the zone-file lines `tambo dns records DOMAIN`
# printed (run.t: the demo of make run publishes nothing).
#
#   dkim_verify.py [--records FILE] FILE...
#
# Prints one line per signature: "FILE INDEX pass" or "FILE INDEX fail
# REASON"; a message without a signature gives "FILE - none".  Exit 0 when
# every message had signatures and all passed.
import re
import sys

import dkim


def records_dns(path):
    keys = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'(\S+\._domainkey\.\S+)\s+\d+\s+IN\s+TXT\s+(.*)$',
                         line)
            if m:
                txt = "".join(re.findall(r'"([^"]*)"', m.group(2)))
                keys[m.group(1).lower()] = txt.encode()

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return keys.get(name.lower(), b"")
    return dnsfunc


def main():
    args = sys.argv[1:]
    extra = {}
    if args[:1] == ["--records"]:
        extra["dnsfunc"] = records_dns(args[1])
        args = args[2:]
    all_ok = True
    for path in args:
        with open(path, "rb") as f:
            msg = f.read()
        n = sum(1 for line in msg.splitlines()
                if line.lower().startswith(b"dkim-signature:"))
        if n == 0:
            print(path, "-", "none")
            all_ok = False
        for i in range(n):
            d = dkim.DKIM(msg)
            try:
                ok = d.verify(idx=i, **extra)
                why = ""
            except dkim.DKIMException as e:
                ok = False
                why = str(e)
            all_ok = all_ok and ok
            print(path, i, "pass" if ok else "fail",
                  why.replace("\n", " ")[:120])
        sys.stdout.flush()
    sys.exit(0 if all_ok else 1)


main()
