#!/usr/bin/env bash
# A board whose 3V3 rail is out of limits fails at that step: the measured
# value and the limits are in the log, later phases do not run, teardown
# does, and the board ends powered off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000301 --rail 3v3=2.950
line_run --once --serial SIM000301 -f "$LINE/a.yaml"
cat "$LINE/run.out"
assert_eq "$RUN_RC" "1" "exit status for a failed unit"
grep -q "FAIL unit SIM000301 at 'rail 3V3': rail_3v3 = 2.95 V, outside \[3.2, 3.4\]" "$LINE/run.out" ||
	fail "verdict does not name the step, value and limits"
db=$LINE_DB
assert_eq "$(sql "$db" "SELECT outcome || '|' || reason FROM runs")" \
	"fail|rail_3v3 = 2.95 V, outside [3.2, 3.4]" "run outcome"
assert_eq "$(sql "$db" "SELECT value || ' ' || unit || ' ' || low || ' ' || high || ' ' || outcome FROM measurements WHERE name = 'rail_3v3'")" \
	"2.95 V 3.2 3.4 fail" "measurement"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE kind IN ('identity', 'register')")" "0" "later phases skipped"
assert_eq "$(sql "$db" "SELECT outcome FROM steps WHERE name = 'power off' AND phase = 'teardown'")" "pass" "teardown ran"
assert_eq "$(sim_field a power)" "0" "board powered off"
echo "ok"
