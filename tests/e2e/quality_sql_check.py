#!/usr/bin/env python3
"""docs' SQL against station report: the per (sequence, version) counts of
docs/quality.md's first-run values against --capability's n, and the
(fixture, run id) order of docs/database.md's --spc values against the
points of --spc (none without a serial).
Usage: quality_sql_check.py LOG QUALITY.sql DATABASE.sql CAP.json SPC.json NAME"""
import collections
import json
import sqlite3
import sys

log, qsql, dsql, cap, spc, name = sys.argv[1:7]
h = sqlite3.connect(log)
rows = h.execute(open(qsql).read()).fetchall()
got = collections.Counter((r[0], r[1]) for r in rows)
want = collections.Counter()
for m in json.load(open(cap))["measurements"]:
    if m["name"] == name:
        want[(m["sequence"], m["sequence_version"])] += m["n"]
if got != want:
    sys.exit("docs/quality.md SQL: %s, --capability: %s" % (dict(got), dict(want)))
pts = [(f["fixture"], p["run_id"], p["serial"])
       for f in json.load(open(spc))["fixtures"] for p in f["points"]]
sq = [(r[0], r[2]) for r in h.execute(open(dsql).read()).fetchall()]
if [p[:2] for p in pts] != sq:
    sys.exit("docs/database.md SQL: %d points %s, --spc: %d %s" % (len(sq), sq, len(pts), pts))
if any(p[2] is None for p in pts):
    sys.exit("an --spc point without a serial")
print("ok: %d values, %d points" % (len(rows), len(sq)))
