#!/usr/bin/env bash
# A fixture may override a sequence limit (a probe with a known offset, a
# fixture qualified to tighter limits).  The override is what the unit is
# judged and logged against, on that fixture only; --dry-run shows it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000601 --rail 3v3=3.300
line_board b SIM000602 --rail 3v3=3.300
cat >>"$LINE/a.yaml" <<'YAML'
limits:
  rail_3v3: {high: 3.25}
YAML
"$BINDIR/station" run -c "$LINE/station.yaml" --dry-run -f "$LINE/a.yaml" >"$LINE/plan.txt"
grep -q "as rail_3v3, limits \[3.2, 3.25\] V (fixture a overrides \[3.2, 3.4\])" "$LINE/plan.txt" ||
	fail "the plan does not show the override: $(grep rail_3v3 "$LINE/plan.txt")"
line_run --once -f "$LINE/a.yaml" -f "$LINE/b.yaml"
cat "$LINE/run.out"
assert_eq "$RUN_RC" "1" "one unit failed"
q() { sql "$LINE_DB" "$1"; }
assert_eq "$(q "SELECT outcome || '|' || reason FROM runs WHERE fixture = 'a'")" \
	"fail|rail_3v3 = 3.3 V, outside [3.2, 3.25]" "fixture a judged against its override"
assert_eq "$(q "SELECT m.low || ' ' || m.high || ' ' || m.outcome FROM v_measurements m JOIN runs r ON r.id = m.run_id WHERE r.fixture = 'a' AND m.name = 'rail_3v3'")" \
	"3.2 3.25 fail" "the limits used are logged"
assert_eq "$(q "SELECT outcome FROM runs WHERE fixture = 'b'")" "pass" "fixture b keeps the sequence's limits"
assert_eq "$(q "SELECT m.low || ' ' || m.high FROM v_measurements m JOIN runs r ON r.id = m.run_id WHERE r.fixture = 'b' AND m.name = 'rail_3v3'")" \
	"3.2 3.4" "fixture b's limits"

# a broken override is refused with its place in the file
printf 'limits:\n  rail_3v3: {low: 3.4, high: 3.3}\n' >>"$LINE/b.yaml"
rc=0
"$BINDIR/station" run -c "$LINE/station.yaml" --once -f "$LINE/b.yaml" 2>"$LINE/err.txt" || rc=$?
assert_eq "$rc" "3" "exit status for a bad fixture file"
assert_match "$(cat "$LINE/err.txt")" "b.yaml:[0-9]+:[0-9]+: limit 'rail_3v3': low \(3.4\) is greater than high \(3.3\)" "message"
echo ok
