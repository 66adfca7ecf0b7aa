#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A unit whose serial scan gets no answer in its time is not tested (no run,
# nothing of the fixture moved) and the station says so: `station run
# --once` exits 4 (a unit not tested, as one the MES refused), never 0 as if
# every unit had passed; the summary names why, in the live view and in the
# JSON events (not_tested).  A line controller reading the exit status must
# not take a fixture nobody scanned for a passed unit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000901 --image "$LINE/images/diag.bin"
cat >"$LINE/scan.yaml" <<'YAML'
name: scan-then-power
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^SIM[0-9]{6}$'}
    timeout: 1s
  - name: power on
    lines: {power: on, settle: 20ms}
teardown:
  - name: power off
    lines: {power: off}
YAML
cat >"$LINE/wait.script" <<'SCRIPT'
expect 30 \[a\] Scan the barcode on the board
SCRIPT
for mode in live json; do
	rc=0
	args=()
	[ "$mode" = json ] && args=(--json)
	TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$LINE/$mode.out" \
		--script "$LINE/wait.script" -- "$BINDIR/station" run -c "$LINE/station.yaml" \
		-s "$LINE/scan.yaml" -f "$LINE/a.yaml" --once "${args[@]}" || rc=$?
	[ "$rc" = 90 ] && { tr -d '\033' <"$LINE/$mode.out" | tail -c 2000 >&2; fail "$mode: no question"; }
	assert_eq "$rc" "4" "$mode: exit status 4, the unit not tested (was 0: '0 passed, 0 failed')"
done
grep -aqF "station: 0 passed, 0 failed, 0 error, 0 aborted, 1 not tested (no serial scanned in time)" \
	"$LINE/live.out" || fail "the summary does not say the unit was not tested: $(tail -c 600 "$LINE/live.out")"
tr -d '\r' <"$LINE/json.out" | grep -a '^{' >"$LINE/json.events"
python3 - "$LINE/json.events" <<'PY' || fail "the JSON events: $(cat "$LINE/json.events")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
nt = [e for e in ev if e["event"] == "not_tested"]
assert len(nt) == 1 and nt[0]["fixture"] == "a" and "timeout" in nt[0]["reason"], nt
s = ev[-1]
assert s["event"] == "summary" and s["not_tested"] == 1 and s["exit_status"] == 4, s
assert s["passed"] == s["failed"] == s["error"] == s["aborted"] == 0, s
PY
assert_eq "$(sql "$LINE/station.db" "SELECT count(*) FROM runs")" "0" "no run logged"
assert_eq "$(sim_field a power)" "0" "nothing of the fixture moved"
echo ok
