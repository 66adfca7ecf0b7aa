#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Text from outside is data wherever it goes.  A serial given on the command
# line holds a formula, an escape sequence, a line break that would forge a
# "PASS unit" line, a C1 CSI (U+009B), a right-to-left override (U+202E)
# and a byte that is not UTF-8; an exec step prints it back, so a reason
# holds it too.  It is shown escaped on a terminal, in a file, in trace and
# in the log's messages; CSV holds it in one quoted cell with the formula
# defused; every --json line is valid JSON (no event dropped), with the
# schema's envelope on every event and a summary last.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM001401
sim_fixture a "$t/a.yaml"
serial=$'=HYPERLINK("x")\e[31m\nPASS unit X\xc2\x9b1m\xe2\x80\xaeXY\xff'
cat >"$t/echo.yaml" <<'YAML'
name: echo-serial
version: 2.1.0
steps:
  - name: power on
    lines: {power: on}
  - name: the tool says the serial
    exec: {cmd: [sh, -c, 'printf "%s\n" "$1"; exit 3', sh, "${serial}"]}
teardown:
  - name: power off
    lines: {power: off}
YAML
run() { "$BINDIR/station" run --db "$t/log.db" -f "$t/a.yaml" -s "$t/echo.yaml" --once --serial "$serial" "$@"; }
raw_absent() {	# raw_absent FILE WHAT: none of the serial's dangerous bytes in FILE
	! grep -aq $'\e\\[31m' "$1" || fail "$2: the serial's escape sequence reached it raw"
	! grep -aq $'\xc2\x9b' "$1" || fail "$2: a raw C1 CSI"
	! grep -aq $'\xe2\x80\xae' "$1" || fail "$2: a raw right-to-left override"
	! grep -aq $'\xff' "$1" || fail "$2: a byte that is not UTF-8"
	! grep -aq '^PASS unit X' "$1" || fail "$2: a forged line"
}

# --- a file (plain) ---------------------------------------------------------
rc=0
run >"$t/plain.out" 2>"$t/plain.err" || rc=$?
assert_eq "$rc" "1" "the unit fails (exit 3 of the tool)"
raw_absent "$t/plain.out" "plain view"
raw_absent "$t/plain.err" "the log messages"
grep -aqF '[a] FAIL unit =HYPERLINK("x")\e[31m\nPASS unit X\u009b1m\u202eXY\xff at' "$t/plain.out" ||
	fail "plain: the serial is not shown escaped"
grep -aqF 'sh exited with 3 (expected 0): =HYPERLINK("x")\e[31m\nPASS unit X' "$t/plain.out" ||
	fail "plain: the tool's output in the reason is not shown escaped"

# --- a terminal --------------------------------------------------------------
rc=0
TERM=xterm python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/tty.out" -- "$BINDIR/station" run \
	--db "$t/log.db" -f "$t/a.yaml" -s "$t/echo.yaml" --once --serial "$serial" || rc=$?
assert_eq "$rc" "1" "tty: exit status"
raw_absent "$t/tty.out" "the terminal"
grep -aqF 'FAIL  fixture a  unit =HYPERLINK("x")\e[31m\nPASS unit X' "$t/tty.out" ||
	fail "tty: the banner does not show the serial escaped"

# --- the log, trace, CSV ------------------------------------------------------
assert_eq "$(sql "$t/log.db" "SELECT count(*) FROM runs WHERE unit_serial = CAST(X'$(printf '%s' \
	"${serial%$'\xff'}" | od -An -tx1 | tr -d ' \n')' AS TEXT) || '\\xff'")" "2" \
	"the log stores the serial as received, the byte that is not UTF-8 as \\xff"
"$BINDIR/station" trace --db "$t/log.db" "$serial" >"$t/trace.out" || fail "trace does not find the unit"
raw_absent "$t/trace.out" "trace"
grep -aqF 'unit =HYPERLINK("x")\e[31m\nPASS unit X\u009b1m\u202eXY\xff: 2 runs' "$t/trace.out" ||
	fail "trace: the serial is not shown escaped: $(head -1 "$t/trace.out")"
"$BINDIR/station" trace --db "$t/log.db" --format json "$serial" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
	fail "trace --format json: not JSON"
"$BINDIR/station" export --db "$t/log.db" >"$t/runs.csv" || fail "export"
raw_absent "$t/runs.csv" "CSV"
assert_eq "$(wc -l <"$t/runs.csv")" "3" "CSV: a header and one line per run (no raw line break in a cell)"
grep -aqF ",\"'=HYPERLINK(\"\"x\"\")\\e[31m\\nPASS unit X\\u009b1m\\u202eXY\\xff\"," "$t/runs.csv" ||
	fail "CSV: the serial's cell is not quoted with its formula defused: $(sed -n 2p "$t/runs.csv")"

# --- --json: valid, complete, the schema's envelope ---------------------------
rc=0
run --json >"$t/events.jsonl" 2>/dev/null || rc=$?
assert_eq "$rc" "1" "--json: exit status"
python3 - "$t/events.jsonl" "$serial" <<'PY' || fail "--json: see above"
import json, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
ev = [json.loads(l) for l in lines]            # every line is JSON
names = [e["event"] for e in ev]
for want in ("run_start", "step_start", "step_end", "run_end", "summary"):
    assert want in names, "no %s event" % want
assert names[-1] == "summary", "the summary is not last"
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
for e in ev:
    assert e["schema"] == 1 and iso.match(e["time"]), e
    assert e["station"] == "station" and e["sequence"] == "echo-serial", e
    assert e["sequence_version"] == "2.1.0", e
    if e["event"] != "summary":
        assert e["fixture"] == "a", e
    if e["event"] in ("run_start", "step_start", "step_end", "run_end"):
        assert re.match(r"^[0-9a-f]{32}$", e["run_id"] or ""), e
want = '=HYPERLINK("x")\x1b[31m\nPASS unit X\u009b1m\u202eXY\\xff'
start = next(e for e in ev if e["event"] == "run_start")
end = next(e for e in ev if e["event"] == "run_end")
assert start["serial"] == want and end["serial"] == want, (start, end)
assert end["verdict"] == "FAIL" and want in end["reason"], end
s = ev[-1]
assert (s["passed"], s["failed"], s["error"], s["aborted"], s["exit_status"]) == (0, 1, 0, 0, 1), s
PY
echo "ok"
