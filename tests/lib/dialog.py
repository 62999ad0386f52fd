#!/usr/bin/python3
"""dialog.py — run SMTP dialog scripts against smtpd on a socketpair.

usage: dialog.py SMTPD CONFDIR SCRIPT...

Each script starts a fresh `smtpd -C CONFDIR --mode mx` whose stdin and
stdout are one end of a socketpair; the script talks on the other end.
Every expectation is one TAP test.  Script lines:

  # comment                 (ignored; "# title: ..." names the script)
  C: text                   send text + CRLF
  RAW: python-literal       send bytes exactly, e.g. RAW: b"DATA\\n"
  REPEAT: n python-literal  send the bytes n times
  S: regex                  the next reply's last line matches (re.match)
  SALL: regex               some line of the next reply matches
  EOF                       the server closes the connection
  SHUT                      close our sending side
  SLEEP: seconds
  QUEUE: n                  the queue holds n messages (cumulative in CONFDIR)
  TMP: n                    spool/tmp holds n files
  LOG: regex                the handler's log (stderr) matches, checked
                            after the handler exits
  NOLOG: regex              ... does not match
  QFILE: regex              some queue file matches (re.M)
  NOQFILE: regex            no queue file matches
  CONF: key = value         a line added to tambo.conf for this script
  ENV: KEY=VALUE            environment for smtpd (before any C:)
  ARGS: --flag ...          extra smtpd arguments
  WAIT                      wait for the handler to exit (then LOG: lines)
  TAMBO: NAME args...       run `tambo -C CONFDIR args...` (the tambo of the
                            same build); ${NAME} in the lines after it
                            stands for the first line it printed (escaped
                            for the regex lines S:, SALL:, LOG:, QFILE: ...)
"""
import glob
import os
import re
import socket
import subprocess
import sys
import time

n = 0
failed = 0


def tap(cond, name, diag=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name))
    if not cond and diag:
        for line in str(diag).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()


class Conn:
    def __init__(self, smtpd, confdir, env, args, log):
        self.sock, child = socket.socketpair()
        self.proc = subprocess.Popen(
            [smtpd, "-C", confdir, "--mode", "mx"] + args,
            stdin=child, stdout=child, stderr=log, env=env, close_fds=True)
        child.close()
        self.sock.settimeout(10)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                data = b""
            if not data:
                return b"" if not self.buf else self._take(len(self.buf))
            self.buf += data
        return self._take(self.buf.index(b"\n") + 1)

    def _take(self, k):
        out, self.buf = self.buf[:k], self.buf[k:]
        return out

    def reply(self):
        """A whole reply: lines until one whose 4th byte is not '-'."""
        lines = []
        while True:
            ln = self.line()
            if ln is None:
                return lines, "timeout"
            if ln == b"":
                return lines, "eof"
            lines.append(ln.decode("utf-8", "replace").rstrip("\r\n"))
            if len(ln) < 4 or ln[3:4] != b"-":
                return lines, None

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def count(path):
    try:
        return len([f for f in os.listdir(path)
                    if re.fullmatch(r"[0-9A-F]{18}", f)])
    except FileNotFoundError:
        return 0


def run(smtpd, confdir, script):
    with open(script, encoding="utf-8") as f:
        lines = f.read().splitlines()
    title = os.path.basename(script)
    for ln in lines:
        if ln.startswith("# title:"):
            title = ln[8:].strip()
    env = dict(os.environ)
    args = []
    qdir = os.path.join(confdir, "spool", "queue")
    for d in (qdir, os.path.join(confdir, "spool", "tmp")):
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
    confpath = os.path.join(confdir, "tambo.conf")
    with open(confpath, "rb") as f:
        saved_conf = f.read()
    logpath = os.path.join(confdir, "dialog-%d.log" % os.getpid())
    log = open(logpath, "w+b")
    conn = None
    pending_logs = []

    def start():
        nonlocal conn
        if conn is None:
            conn = Conn(smtpd, confdir, env, args, log)
            got, err = conn.reply()   # the greeting
            tap(bool(got) and got[-1].startswith("220 "),
                "%s: greeting" % title, got or err)

    def wait():
        if conn is None:
            return
        try:
            conn.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            conn.proc.kill()
            conn.proc.wait()
            tap(False, "%s: handler exits" % title)

    prev_key, last = None, ([], None)
    names = {}
    for ln in lines:
        if not ln.strip() or ln.startswith("#"):
            continue
        if prev_key is not None and not ln.startswith("SALL"):
            prev_key = None
        key, _, val = ln.partition(":") if ":" in ln.split(" ")[0] else (ln, "", "")
        val = val[1:] if val.startswith(" ") else val
        rx = key in ("S", "SALL", "LOG", "NOLOG", "QFILE", "NOQFILE")
        val = re.sub(r"\$\{([A-Z][A-Z0-9_]*)\}",
                     lambda m: (re.escape if rx else str)(
                         names.get(m.group(1), m.group(0))), val)
        if key == "ENV":
            k, _, v = val.partition("=")
            env[k] = v
        elif key == "CONF":
            with open(confpath, "ab") as f:
                f.write(val.encode("utf-8") + b"\n")
        elif key in ("QFILE", "NOQFILE"):
            texts = []
            for f in sorted(os.listdir(qdir)):
                with open(os.path.join(qdir, f), "rb") as fh:
                    texts.append(fh.read().decode("utf-8", "replace"))
            found = any(re.search(val, t, re.M) for t in texts)
            tap(found if key == "QFILE" else not found,
                "%s: queue file %s %s" % (title, "has" if key == "QFILE"
                                          else "lacks", val),
                "\n----\n".join(texts)[:3000])
        elif key == "TAMBO":
            name, _, rest = val.partition(" ")
            tambo = os.path.join(os.path.dirname(smtpd), "..", "..", "bin",
                                 "tambo")
            p = subprocess.run([tambo, "-C", confdir] + rest.split(),
                               capture_output=True, env=env)
            out = p.stdout.decode("utf-8", "replace").splitlines()
            if p.returncode != 0 or not out:
                tap(False, "%s: tambo %s" % (title, rest),
                    p.stderr.decode("utf-8", "replace"))
            names[name] = out[0] if out else ""
        elif key == "ARGS":
            args += val.split()
        elif key == "C":
            start()
            conn.send(val.encode("utf-8") + b"\r\n")
        elif key == "RAW":
            start()
            conn.send(eval(val, {"__builtins__": {}}))
        elif key == "REPEAT":
            start()
            k, _, lit = val.partition(" ")
            conn.send(eval(lit, {"__builtins__": {}}) * int(k))
        elif key in ("S", "SALL"):
            start()
            if key == "SALL" and prev_key == "SALL":
                got, err = last   # consecutive SALL lines: the same reply
            else:
                got, err = conn.reply()
            last = (got, err)
            if key == "S":
                ok = bool(got) and re.match(val, got[-1]) is not None
            else:
                ok = any(re.match(val, g) for g in got)
            tap(ok, "%s: %s" % (title, val),
                "got: %r%s" % (got, " (%s)" % err if err else ""))
            prev_key = key
        elif key == "EOF":
            start()
            got, err = conn.reply()
            tap(not got and err == "eof", "%s: connection closed" % title,
                "got: %r %s" % (got, err))
        elif key == "SHUT":
            start()
            conn.sock.shutdown(socket.SHUT_WR)
        elif key == "SLEEP":
            time.sleep(float(val))
        elif key == "WAIT":
            start()
            conn.sock.close()
            wait()
        elif key == "QUEUE":
            got = count(os.path.join(confdir, "spool", "queue"))
            tap(got == int(val), "%s: queue holds %s" % (title, val),
                "got %d" % got)
        elif key == "TMP":
            got = len(os.listdir(os.path.join(confdir, "spool", "tmp")))
            tap(got == int(val), "%s: tmp holds %s" % (title, val),
                "got %d" % got)
        elif key in ("LOG", "NOLOG"):
            pending_logs.append((key, val))
        else:
            tap(False, "%s: unknown script line %r" % (title, ln))
    if conn is not None:
        conn.sock.close()
        wait()
        if conn.proc.returncode not in (0,):
            tap(False, "%s: handler exit status %d" %
                (title, conn.proc.returncode))
    with open(confpath, "wb") as f:
        f.write(saved_conf)
    log.seek(0)
    text = log.read().decode("utf-8", "replace")
    log.close()
    os.unlink(logpath)
    for key, rx in pending_logs:
        found = re.search(rx, text, re.M) is not None
        tap(found if key == "LOG" else not found,
            "%s: log %s %s" % (title, "has" if key == "LOG" else "lacks", rx),
            text)
    if re.search(r"(AddressSanitizer|runtime error|LeakSanitizer)", text):
        tap(False, "%s: sanitizer report" % title, text)


def main():
    smtpd, confdir = sys.argv[1], sys.argv[2]
    scripts = []
    for a in sys.argv[3:]:
        scripts += sorted(glob.glob(os.path.join(a, "*.dialog"))) \
            if os.path.isdir(a) else [a]
    for s in scripts:
        run(smtpd, confdir, s)
    print("1..%d" % n)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
