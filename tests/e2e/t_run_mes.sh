#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station run's MES hooks (docs/api.md, "MES hooks"; the same code as
# station serve's, in the fixtures' threads) against tools/mes-sim and
# simulated fixtures, with the mes: section as the doc writes it:
# - a pre-check the MES refuses stops the unit before any line of its
#   fixture moves (dut-sim saw no line set, its power stays off), no run in
#   the log, the MES's reason shown escaped (it carries a terminal escape)
#   and logged with who asked; exit 4, the summary says it was not tested;
# - the same when the serial is scanned at the operator's terminal (a pty):
#   the scan first, then the MES, and nothing moves;
# - an allowed unit runs and its result reaches the MES once;
# - the MES dead: the pre-check cannot be asked, nothing moves; without the
#   pre-check the result is kept in the log; the next run delivers it, and
#   another kept one `station mes sync` delivers: every run reaches the MES
#   exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

serve_setup
esc=$'\e'
refusal="SIM000802=${esc}[2Junit on hold: NCR-17 open at rework"
mes_start --port 0 --refuse "$refusal"
mes_log=$MES_LOG
base=$(cat "$LINE/serve.yaml")
cfg=$LINE/run.yaml
with_mes() { mes_yaml "$base" "$cfg" "$@"; }
run_unit() {	# FIXTURE SERIAL [ARGS...]: one unit; RUN_RC, $LINE/run.out, run.err
	local fx=$1 serial=$2
	shift 2
	RUN_RC=0
	"$BINDIR/station" run -c "$cfg" -f "$LINE/$fx.yaml" --once --serial "$serial" "$@" \
		>"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
}
with_mes

# refused by the MES: nothing of b moves, no run, the reason shown escaped
run_unit b SIM000802 --operator bob
assert_eq "$RUN_RC" 4 "a refused unit is not tested: $(cat "$LINE/run.err")"
grep -q '^precheck SIM000802 final-test refused$' "$mes_log" || fail "the MES was not asked: $(cat "$mes_log")"
# (the station's safe state when it closes a fixture, every line 0, is all)
grep -E 'ctl: set [a-z-]+ 1' "$SIM_B_LOG" && fail "b's lines moved for a unit the MES refused"
assert_eq "$(sim_field b power)" 0 "b stays unpowered"
assert_eq "$(sim_field b rx_bytes)" 0 "nothing was sent on b's console"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 0 "no run logged"
assert_match "$(cat "$LINE/run.err")" \
	'b: MES refused SIM000802 at final-test for station run operator bob: \\e\[2Junit on hold: NCR-17 open at rework' \
	"the MES's reason on stderr, escaped"
if grep -q "$esc" "$LINE/run.err" "$LINE/run.out"; then fail "the MES's escape reached the terminal raw"; fi
assert_match "$(cat "$LINE/run.out")" '0 passed, 0 failed, 0 error, 0 aborted, 1 not tested \(the MES\)' "the summary"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM events WHERE what = 'mes' AND fixture = 'b' AND detail =
	'MES refused SIM000802 at final-test for station run operator bob: \e[2Junit on hold: NCR-17 open at rework'")" \
	1 "the refusal in the log's events"

# --json: the summary counts it, no run events
run_unit b SIM000802 --json
assert_eq "$RUN_RC" 4 "refused, --json: $(cat "$LINE/run.err")"
assert_eq "$(python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = ev[-1]
n = ev[0]
print(" ".join(e["event"] for e in ev), n["fixture"], n["serial"], n["reason"], "|", s["passed"], s["not_tested"], s["exit_status"])' "$LINE/run.out")" \
	'not_tested summary b SIM000802 the MES refuses unit SIM000802 at final-test: \e[2Junit on hold: NCR-17 open at rework | 0 1 4' \
	"--json: the unit not tested (the reason escaped), no run events, the summary counts it, exit 4"

# the serial scanned at the operator's terminal: asked first, then the MES,
# then (not) the lines
: >"$SIM_B_LOG"
echo 'answer 60 \[(b)\] Scan the barcode on the board:  => b=SIM000802' >"$LINE/scan.script"
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$LINE/scan.out" \
	--script "$LINE/scan.script" -- "$BINDIR/station" run -c "$cfg" -f "$LINE/b.yaml" --once || rc=$?
assert_eq "$rc" 4 "a scanned unit the MES refuses: $(tr -d '\033' <"$LINE/scan.out" | tail -c 2000)"
assert_eq "$(grep -c '^precheck SIM000802 final-test refused$' "$mes_log")" 3 "the MES asked about the scanned serial"
grep -qF 'MES refused SIM000802 at final-test for station run: \e[2Junit on hold' "$LINE/scan.out" ||
	fail "the reason on the terminal, escaped: $(tr -d '\033' <"$LINE/scan.out" | tail -c 2000)"
grep -qF "${esc}[2Junit on hold" "$LINE/scan.out" && fail "the MES's escape reached the terminal raw"
grep -E 'ctl: set [a-z-]+ 1' "$SIM_B_LOG" && fail "b's lines moved for a scanned unit the MES refused"
assert_eq "$(sim_field b rx_bytes)" 0 "nothing was sent on b's console"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 0 "no run logged"

# allowed: the unit runs, its result reaches the MES once
run_unit a SIM000801
assert_eq "$RUN_RC" 0 "an allowed unit: $(cat "$LINE/run.err")"
run1=$(sql "$LINE_DB" "SELECT id FROM runs WHERE fixture = 'a'")
grep -q '^precheck SIM000801 final-test allowed$' "$mes_log" || fail "no pre-check for a: $(cat "$mes_log")"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM events WHERE what = 'mes' AND fixture = 'a' AND detail =
	'MES allowed SIM000801 at final-test for station run'")" 1 "the leave in the log's events"
grep -q "^result $run1 new pass$" "$mes_log" || fail "the result did not reach the MES: $(cat "$mes_log")"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE run_id = '$run1' AND sent_us IS NOT NULL")" 1 "marked sent"

# the MES dead: with the pre-check on, nothing starts and nothing moves
mes_stop
: >"$SIM_A_LOG"
sim_ctl a "counters reset" >/dev/null
run_unit a SIM000801
assert_eq "$RUN_RC" 4 "no pre-check, no unit: $(cat "$LINE/run.err")"
assert_match "$(cat "$LINE/run.err")" 'MES not asked about SIM000801 at final-test for station run: the MES at http://127.0.0.1:[0-9]+/precheck did not answer' \
	"it says the MES did not answer"
grep -E 'ctl: set [a-z-]+ 1' "$SIM_A_LOG" && fail "a's lines moved without the MES's leave"
assert_eq "$(sim_field a rx_bytes)" 0 "nothing was sent on a's console"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 1 "no second run logged"

# ... without the pre-check the result is kept; the next run delivers it
with_mes
sed -i 's|^  precheck: true .*|  precheck: false|' "$cfg"
run_unit a SIM000801
assert_eq "$RUN_RC" 0 "a unit with the MES down: $(cat "$LINE/run.err")"
run2=$(sql "$LINE_DB" "SELECT id FROM runs WHERE id != '$run1'")
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE run_id = '$run2' AND sent_us IS NULL AND attempts > 0")" \
	1 "the result kept for the MES"
assert_match "$(cat "$LINE/run.err")" '1 result\(s\) wait for the MES \(station mes sync\)' "run says the result waits"
mes_start --port "$MES_PORT" --refuse "$refusal"
run_unit b SIM000802
assert_eq "$RUN_RC" 0 "b with the MES back (no pre-check): $(cat "$LINE/run.err")"
run3=$(sql "$LINE_DB" "SELECT id FROM runs WHERE fixture = 'b'")
for id in "$run2" "$run3"; do
	assert_eq "$(grep -c "^result $id " "$mes_log")" 1 "run $id delivered by the next run, once"
done

# ... and one kept while the MES is down again, `station mes sync` delivers
mes_stop
run_unit a SIM000801
assert_eq "$RUN_RC" 0 "a with the MES down again: $(cat "$LINE/run.err")"
mes_start --port "$MES_PORT" --refuse "$refusal"
"$BINDIR/station" mes sync -c "$cfg" >"$LINE/sync1.out" 2>&1 || fail "sync: $(cat "$LINE/sync1.out")"
assert_match "$(cat "$LINE/sync1.out")" "1 result\(s\) sent, 0 left" "the sync"
"$BINDIR/station" mes sync -c "$cfg" >"$LINE/sync2.out" 2>&1 || fail "sync again: $(cat "$LINE/sync2.out")"
assert_match "$(cat "$LINE/sync2.out")" "0 result\(s\) sent, 0 left" "the second sync"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 4 "four runs"
while read -r id; do
	assert_eq "$(grep -c "^result $id " "$mes_log")" 1 "run $id reached the MES exactly once"
done < <(sql "$LINE_DB" "SELECT id FROM runs")
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE sent_us IS NULL")" 0 "none left"
echo "ok: station run: a refused pre-check moves nothing (reason escaped); results once, kept while the MES is down, delivered by the next run or a sync"
