#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The load of bench/serve.sh: serve_load.py URL PID UNITS

50 event streams (GET /api/v1/events), each from its own loopback address
127.0.0.N, read in one select loop; UNITS units a fixture are started over
the API (a start refused as busy is tried again once the fixture's run has
ended); the figures: events published, events a second reaching all 50
streams (from the first event to the last, as the slowest stream saw them),
whether every stream got every event, and the station's peak RSS.  Then the
slow-loris: 80 connections from 127.0.0.1 (the server holds 64) each sending a request a byte a
second, while 127.0.0.2 asks GET /api/v1/fixtures 20 times: answered, and
the median time.  Prints "figure|value|target|verdict" lines.
"""
import json
import select
import socket
import statistics
import sys
import time
import urllib.request

URL, PID, UNITS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
HOST, PORT = URL.split("//")[1].split(":")[0], int(URL.rsplit(":", 1)[1])
STREAMS = 50


def row(figure, value, target="", verdict=""):
    print("%s|%s|%s|%s" % (figure, value, target, verdict))


def rss_peak_kib():
    for line in open("/proc/%d/status" % PID):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def connect(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect((HOST, PORT))
    return s


def get(path, src="127.0.0.2", timeout=10):
    s = connect(src)
    s.settimeout(timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def start(fixture):
    req = urllib.request.Request(URL + "/api/v1/fixtures/%s/start" % fixture, method="POST",
                                 data=b"{}")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def events_bench():
    socks = []
    for i in range(STREAMS):
        s = connect("127.0.0.%d" % (10 + i))
        s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        s.setblocking(False)
        socks.append(s)
    count = {s: 0 for s in socks}
    last = {s: 0.0 for s in socks}
    tail = {s: b"" for s in socks}
    first = None
    started = {"a": 0, "b": 0}
    ended = {"a": 0, "b": 0}
    deadline = time.monotonic() + 600

    def pump(wait):
        nonlocal first
        r, _, _ = select.select(socks, [], [], wait)
        now = time.monotonic()
        for s in r:
            data = tail[s] + s.recv(1 << 20)
            lines = data.split(b"\n")
            tail[s] = lines.pop()
            for ln in lines:
                if ln.startswith(b"data: "):
                    count[s] += 1
                    last[s] = now
                    if first is None:
                        first = now
                    if s is socks[0] and b'"event":"run_end"' in ln:
                        ended[json.loads(ln[6:])["fixture"]] += 1

    while time.monotonic() < deadline and min(ended.values()) < UNITS:
        for fx in ("a", "b"):
            if started[fx] == ended[fx] and started[fx] < UNITS:
                if start(fx) in (201, 202):
                    started[fx] += 1
        pump(0.05)
    published = json.loads(get("/api/v1/fixtures").split(b"\r\n\r\n", 1)[1])["events"]
    while time.monotonic() < deadline and min(count.values()) < published:
        pump(0.5)
    for s in socks:
        s.close()
    span = max(last.values()) - first if first else 0
    got_all = min(count.values()) == published
    row("serve: events published (%d units x 202)" % (2 * UNITS), "%d" % published)
    row("serve: events/s to %d SSE streams (as fast as the units made them)" % STREAMS,
        "%.0f" % (published / span if span else 0), "", "")
    row("serve: every stream got every event", "yes" if got_all else
        "no (min %d of %d)" % (min(count.values()), published), "yes",
        "met" if got_all else "MISSED")
    row("serve: station peak RSS with %d streams" % STREAMS, "%d MiB" % (rss_peak_kib() // 1024),
        "< 64 MiB", "met" if rss_peak_kib() < 64 * 1024 else "MISSED")


def slowloris_bench():
    slow = []
    for _ in range(80):
        try:
            s = connect("127.0.0.1")
            s.sendall(b"GET /api/v1/fixtures HTTP/1.1\r\n")
            slow.append(s)
        except OSError:
            pass
    times, ok = [], 0
    for i in range(20):
        for s in slow:
            try:
                s.send(b"X")
            except OSError:
                pass
        t0 = time.monotonic()
        try:
            if get("/api/v1/fixtures").startswith(b"HTTP/1.1 200"):
                ok += 1
                times.append(time.monotonic() - t0)
        except OSError:
            pass
        time.sleep(1)
    for s in slow:
        s.close()
    row("serve: slow-loris (80 slow connections from one address), others answered",
        "%d/20, median %.0f ms" % (ok, 1000 * statistics.median(times) if times else -1),
        "20/20", "met" if ok == 20 else "MISSED")


events_bench()
slowloris_bench()
