#!/usr/bin/python3
# dkim_verify.py — check every DKIM-Signature of each message with
# python3-dkim (dkimpy), keys from the DNS of /etc/resolv.conf (dkimsign.t
# runs it in a network namespace whose resolver is its own dnsmasq).
#
#   dkim_verify.py FILE...
#
# Prints one line per signature: "FILE INDEX pass" or "FILE INDEX fail
# REASON"; a message without a signature gives "FILE - none".
import sys

import dkim


def main():
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            msg = f.read()
        n = sum(1 for line in msg.splitlines()
                if line.lower().startswith(b"dkim-signature:"))
        if n == 0:
            print(path, "-", "none")
        for i in range(n):
            d = dkim.DKIM(msg)
            try:
                ok = d.verify(idx=i)
                why = ""
            except dkim.DKIMException as e:
                ok = False
                why = str(e)
            print(path, i, "pass" if ok else "fail",
                  why.replace("\n", " ")[:120])
        sys.stdout.flush()


main()
