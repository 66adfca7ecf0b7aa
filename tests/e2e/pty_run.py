#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Run a command on a pseudo-terminal of its own, as an operator's terminal:
the command is a session leader with the pty as its controlling terminal,
so ^C typed on it is the kernel's SIGINT to the foreground process group,
and closing it is the kernel's SIGHUP.

  pty_run.py --out FILE [--script FILE] [--cols N] [--rows N] [--termios FILE]
             -- CMD ARGS...

Everything the command writes to the terminal goes to --out (bytes, as
written).  The script, one action per line, runs while the command does:
  expect TIMEOUT REGEX   wait until the output so far (escapes included)
                         matches REGEX (Python re, bytes) past the last match
  send TEXT              type TEXT (backslash escapes: \\r \\n \\x03 ...)
  answer TIMEOUT REGEX => K=TEXT[,TEXT...] ...
                         a station's question: wait for REGEX, whose group 1
                         names the fixture K that asks; type K's next TEXT
                         (and Enter), then wait for the station's "[K] answer:"
                         line, so that a question redrawn meanwhile is not
                         answered twice
  pid FILE               write the command's pid to FILE
  kill SIGNAME           send the command the signal (TERM, KILL, ...)
  termios FILE           write the terminal's modes now to FILE, one line:
                         "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" (the
                         slave's settings, read through the master)
  touch FILE             create FILE (a flow's exec step may wait for it)
  shell COMMAND          run COMMAND with sh -c and wait for it (a simulator's
                         control command: a lid closed); output to stderr
  hangup                 close the terminal (the command gets SIGHUP)
  sleep SECONDS
--termios FILE: the terminal's modes written there after the command ended
(what the operator's shell gets back).
Exit status: the command's (128 + N when killed by signal N); 90 when an
expect timed out (the output so far is in --out), 91 when the command did
not end within 60 s of the script's end.
"""
import argparse
import codecs
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--script")
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--rows", type=int, default=30)
    ap.add_argument("--termios")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    actions = []
    if a.script:
        with open(a.script) as f:
            actions = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    out = open(a.out, "wb")
    buf = bytearray()
    pos = 0          # expect matches past here
    closed = False
    hung = False     # the terminal closed by the script
    status = None

    def pump(timeout):
        nonlocal closed
        if closed:
            time.sleep(timeout)
            return
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                closed = True
                return
            buf.extend(data)
            out.write(data)
            out.flush()

    def reap(block):
        nonlocal status
        if status is None:
            p, st = os.waitpid(pid, 0 if block else os.WNOHANG)
            if p:
                status = os.waitstatus_to_exitcode(st)
                if status < 0:
                    status = 128 - status

    def expect(t, rx):
        nonlocal pos
        deadline = time.monotonic() + float(t)
        pat = re.compile(rx.encode())
        while True:
            m = pat.search(buf, pos)
            if m:
                pos = m.end()
                return m
            if time.monotonic() > deadline or (closed and status is not None):
                sys.stderr.write("pty_run: no /%s/ within %s s\n" % (rx, t))
                reap(False)
                if status is None:
                    os.kill(pid, signal.SIGKILL)
                    reap(True)
                return None

            pump(0.05)
            reap(False)

    def modes(path):
        lflag, iflag = termios.tcgetattr(fd)[3], termios.tcgetattr(fd)[0]
        with open(path, "w") as f:
            f.write("echo=%d icanon=%d isig=%d ixon=%d icrnl=%d\n" % (
                bool(lflag & termios.ECHO), bool(lflag & termios.ICANON),
                bool(lflag & termios.ISIG), bool(iflag & termios.IXON),
                bool(iflag & termios.ICRNL)))

    answers = {}
    for act in actions:
        verb, _, rest = act.partition(" ")
        if verb == "expect":
            t, _, rx = rest.partition(" ")
            if not expect(t, rx):
                return 90
        elif verb == "answer":
            t, _, rest = rest.partition(" ")
            rx, _, table = rest.partition(" => ")
            for kv in table.split():
                k, _, v = kv.partition("=")
                answers.setdefault(k, v.split(","))
            m = expect(t, rx)
            if not m:
                return 90
            k = m.group(1).decode()
            if not answers.get(k):
                sys.stderr.write("pty_run: %s asked, and has no answer left\n" % k)
                return 92
            text = answers[k].pop(0)
            os.write(fd, codecs.escape_decode(text.encode())[0] + b"\r")
            if not expect(t, r"\[%s\] answer: " % re.escape(k)):
                return 90
        elif verb == "send":
            os.write(fd, codecs.escape_decode(rest.encode())[0])
        elif verb == "pid":
            with open(rest, "w") as f:
                f.write("%d\n" % pid)
        elif verb == "kill":
            os.kill(pid, getattr(signal, "SIG" + rest))
        elif verb == "termios":
            modes(rest)
        elif verb == "touch":
            open(rest, "a").close()
        elif verb == "shell":
            if subprocess.call(["sh", "-c", rest], stdout=sys.stderr, timeout=60) != 0:
                sys.stderr.write("pty_run: shell %r failed\n" % rest)
                os.kill(pid, signal.SIGKILL)
                reap(True)
                return 2
        elif verb == "hangup":
            os.close(fd)
            closed = hung = True
        elif verb == "sleep":
            end = time.monotonic() + float(rest)
            while time.monotonic() < end:
                pump(0.05)
        else:
            sys.stderr.write("pty_run: unknown action %r\n" % act)
            return 2
    deadline = time.monotonic() + 60
    while status is None and time.monotonic() < deadline:
        pump(0.05)
        reap(False)
    while not closed:   # what is left to read
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            break
        pump(0)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        reap(True)
        return 91
    if a.termios and not hung:
        modes(a.termios)
    return status


if __name__ == "__main__":
    sys.exit(main())
