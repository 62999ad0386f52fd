"""taplib.py — TAP output and spool peeking for the Python test clients.

    from taplib import ok, done, Spool
    spool = Spool(confdir); spool.queue(); spool.content(qid)
"""
import os
import re
import sys

_n = _fail = 0


def ok(cond, name, diag=""):
    """One TAP test line; diag is printed as a comment when it fails."""
    global _n, _fail
    _n += 1
    _fail += not cond
    print(("ok" if cond else "not ok") + " %d - %s" % (_n, name))
    if not cond and diag:
        print("#   " + str(diag).replace("\n", "\n#   "))
    sys.stdout.flush()


def done():
    """Print the plan and exit 1 if anything failed."""
    print("1..%d" % _n)
    sys.exit(1 if _fail else 0)


class Spool:
    """The queue of a tambo instance whose spool is CONFDIR/spool."""

    def __init__(self, confdir):
        self.queue_dir = os.path.join(confdir, "spool", "queue")

    def queue(self):
        return sorted(f for f in os.listdir(self.queue_dir)
                      if re.fullmatch(r"[0-9A-F]{18}", f))

    def content(self, qid):
        with open(os.path.join(self.queue_dir, qid), "rb") as f:
            return f.read()
