#!/usr/bin/env bash
# report --spc NAME charts one process: values of NAME from two sequences
# or in two units (ict's vdd in V, final's in mV) are refused, exit status
# 2, naming what was found and the option that picks one; --sequence then
# charts one.  (A chart of both had CL 1656.65 and flagged nothing.)
. "$(dirname "$0")/lib.sh"
st=$BINDIR/station
out=$(st_tmpdir)
db=$out/mu.db
"$st" db migrate --db "$db" >/dev/null
# 30 runs alternating ict (vdd in V) and final (vdd in mV), version "$1"
# of final for the runs of $2 (a sequence whose version changed its unit)
python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO stations (name, first_seen_us, last_seen_us) VALUES ('s', 1, 1)")
def run(i, seq, ver, step, name, v, u, lo, hi):
    t = 1767600000000000 + i * 60000000
    c.execute("INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us, ended_us, outcome) VALUES (?,?,?,?,?,?,?,?,?)", ('r%d' % i, 'U%d' % i, 's', 'a', seq, ver, t, t + 10**6, 'pass'))
    c.execute("INSERT INTO steps (id, run_id, idx, name, outcome) VALUES (?,?,0,?,'pass')", (i + 1, 'r%d' % i, step))
    c.execute("INSERT INTO measurements (step_id, name, value, unit, low, high, outcome) VALUES (?,?,?,?,?,?,?)", (i + 1, name, v, u, lo, hi, 'pass'))
for i in range(30):
    if i % 2 == 0:
        run(i, 'ict', '1', 'rail', 'vdd', 3.30 + 0.01 * (i % 3), 'V', 3.2, 3.4)
    else:
        run(i, 'final', '1', 'rail', 'vdd', 3300 + 10 * (i % 3), 'mV', 3200, 3400)
# "cur": version 1 in A, version 2 in mA; "t": version 1 in degC at two steps, one in K
for i in range(30, 40):
    run(i, 'cur', '1' if i < 35 else '2', 'i', 'idd', 0.1, 'A' if i < 35 else 'mA', None, None)
for i in range(40, 46):
    run(i, 'tmp', '1', 'a' if i % 2 else 'b', 't', 25.0, 'degC' if i % 2 else 'K', None, None)
for i in range(46, 49):
    run(i, 'pwr', '1', 'p', 'pw', 1.5, 'W', None, None)
c.commit()
PY
"$st" db rebuild --db "$db" >/dev/null

rc=0; "$st" report --db "$db" --spc vdd >"$out/o" 2>"$out/e" || rc=$?
assert_eq "$rc" "2" "--spc of a name in two sequences and units is refused"
assert_eq "$(cat "$out/o")" "" "no chart"
assert_match "$(cat "$out/e")" "measurement 'vdd' has values in more than one sequence and more than one unit in the runs selected, and one control chart cannot mix them: sequence final@1 in mV \(15 values\), sequence ict@1 in V \(15 values\); --sequence NAME picks one" "the message"
for f in json html; do
	rc=0; "$st" report --db "$db" --spc vdd --all-runs -f "$f" >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" "2" "--spc -f $f refused alike"
done
# --sequence picks one: its chart, in its unit
"$st" report --db "$db" --spc vdd --sequence final >"$out/o"
assert_match "$(head -1 "$out/o")" "^spc vdd \(mV\): I-MR" "--sequence final: mV"
assert_match "$(cat "$out/o")" "fixture a: 15 points  CL 3310 " "final's chart alone"
"$st" report --db "$db" --spc vdd --sequence ict -f json >"$out/j"
assert_eq "$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['unit'], d['fixtures'][0]['n'])" "$out/j")" "V 15" "--sequence ict: V"
# a window that holds one kind only charts it
"$st" report --db "$db" --spc vdd --since 2026-01-05T08:00:00Z --until 2026-01-05T08:01:00Z >"$out/o"
assert_match "$(head -1 "$out/o")" "^spc vdd \(V\)" "one run: one kind"

# one sequence, its versions in two units: the version picks one
rc=0; "$st" report --db "$db" --spc idd 2>"$out/e" >/dev/null || rc=$?
assert_eq "$rc" "2" "two units of one sequence refused"
assert_match "$(cat "$out/e")" "in more than one unit in the runs selected.*sequence cur@1 in A \(5 values\), sequence cur@2 in mA \(5 values\); --sequence NAME@VERSION picks one" "the version picks one"
"$st" report --db "$db" --spc idd --sequence cur@2 >"$out/o"
assert_match "$(head -1 "$out/o")" "^spc idd \(mA\)" "--sequence cur@2"
# one version in two units: said, no option claimed to pick one
rc=0; "$st" report --db "$db" --spc t --sequence tmp 2>"$out/e" >/dev/null || rc=$?
assert_eq "$rc" "2" "one version in two units refused"
assert_match "$(cat "$out/e")" "sequence tmp@1 in K \(3 values\), sequence tmp@1 in degC \(3 values\); one version of the sequence measures it in more than one unit" "one version, two units"
# a run put in by SQL after the summaries (an importer): its kind is not in
# the summary keys (pw: pwr's only), the points read tell, and the message is
# as exact
sql "$db" "INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us, ended_us, outcome) VALUES ('x1', 'X1', 's', 'a', 'eol', '1', 1767700000000000, 1767700001000000, 'pass');
INSERT INTO steps (id, run_id, idx, name, outcome) VALUES (100, 'x1', 0, 'p', 'pass');
INSERT INTO measurements (step_id, name, value, unit, outcome) VALUES (100, 'pw', 1.6, 'W', 'pass')"
"$st" report --db "$db" --spc pw --sequence pwr >/dev/null
rc=0; "$st" report --db "$db" --spc pw 2>"$out/e" >/dev/null || rc=$?
assert_eq "$rc" "2" "a kind the summaries do not know"
assert_match "$(cat "$out/e")" "more than one sequence in the runs selected, and one control chart cannot mix them: sequence eol@1 in W \(1 value\), sequence pwr@1 in W \(3 values\); --sequence NAME picks one" "the kinds read exactly"
echo "t_report_spc_kinds: ok"
