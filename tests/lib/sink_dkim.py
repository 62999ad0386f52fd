#!/usr/bin/python3
# sink_dkim.py — verify the DKIM signatures of a message smtp-sink saved,
# with python3-dkim (dkimpy), each key's record from dkimsign --public-key
# instead of the DNS.
#
#   sink_dkim.py FILE DKIMSIGN KEYDIR
#
# The sink's leading X- lines are not part of the message and are
# dropped; the selector is the first label of the record's name, its key
# KEYDIR/SELECTOR.key.  Prints "N True" when the message carries N > 0
# signatures that all verify, "N False" otherwise.
import subprocess
import sys

import dkim


def main():
    path, dkimsign, keydir = sys.argv[1:4]
    with open(path, "rb") as f:
        lines = f.read().replace(b"\r\n", b"\n").split(b"\n")
    while lines and lines[0].startswith(b"X-"):
        lines.pop(0)
    msg = b"\r\n".join(lines)

    def dnsfunc(name, timeout=5):
        sel = name.decode().split(".")[0]
        return subprocess.run(
            [dkimsign, "--public-key", "%s/%s.key" % (keydir, sel)],
            capture_output=True).stdout.strip()

    d = dkim.DKIM(msg)
    n = msg.count(b"DKIM-Signature:")
    print(n, n > 0 and all(d.verify(idx=i, dnsfunc=dnsfunc)
                           for i in range(n)))


main()
