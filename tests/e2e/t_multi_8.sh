#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Eight simulated fixtures run the factory flow at once, two with faults: f3's
# 3V3 rail is out of limits, f6's ROM bootloader is silent (it hangs until the
# loader's timeouts give up).  The six others pass, the two fail with their
# reasons, the log holds all eight runs, every board ends powered off, and the
# silent board stalls nobody: every passing run ends before it does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
fx=()
for i in 1 2 3 4 5 6 7 8; do
	case $i in
	3) extra=(--rail 3v3=2.950) ;;
	6) extra=(--fault silent) ;;
	*) extra=() ;;
	esac
	line_board "f$i" "SIM00080$i" "${extra[@]}"
	fx+=(-f "$LINE/f$i.yaml")
done
line_run --once --json "${fx[@]}"
assert_eq "$RUN_RC" "1" "exit status with failed units"

# The JSON events, one per line, into a table (sqlite's JSON functions).
ev=$LINE/events.db
{
	echo "CREATE TABLE ev (seq INTEGER PRIMARY KEY, j TEXT);"
	sed "s/'/''/g; s/.*/INSERT INTO ev (j) VALUES ('&');/" "$LINE/run.out"
} | sqlite3 -batch "$ev" || fail "cannot load the events"
assert_eq "$(sql "$ev" "SELECT count(*) FROM ev WHERE NOT json_valid(j)")" "0" "every line is JSON"
q() { sql "$ev" "SELECT $1 FROM ev WHERE json_extract(j, '$.event') = 'run_end' $2"; }

assert_eq "$(sql "$ev" "SELECT group_concat(f, ' ') FROM (SELECT json_extract(j, '$.fixture') AS f
	FROM ev WHERE json_extract(j, '$.event') = 'run_end' AND json_extract(j, '$.verdict') = 'PASS' ORDER BY f)")" \
	"f1 f2 f4 f5 f7 f8" "the six fault-free fixtures pass"
assert_eq "$(q "json_extract(j, '$.verdict') || '|' || json_extract(j, '$.failed_step') || '|' || json_extract(j, '$.reason')" \
	"AND json_extract(j, '$.fixture') = 'f3'")" \
	"FAIL|rail 3V3|rail_3v3 = 2.95 V, outside [3.2, 3.4]" "f3 fails at the rail with value and limits"
r6=$(q "json_extract(j, '$.verdict') || '|' || json_extract(j, '$.failed_step') || '|' || json_extract(j, '$.reason')" \
	"AND json_extract(j, '$.fixture') = 'f6'")
assert_match "$r6" '^FAIL\|load diagnostic firmware\|no answer from the ROM bootloader after 0x7F' \
	"f6 fails at the loader: the bootloader is silent"

# Independence: the silent board's run ends last; no passing run waited for it.
last_pass=$(q "max(seq)" "AND json_extract(j, '$.verdict') = 'PASS'")
f6_end=$(q "seq" "AND json_extract(j, '$.fixture') = 'f6'")
[ "$last_pass" -lt "$f6_end" ] || fail "a passing run ended after the silent board's (event $last_pass >= $f6_end)"
# and each passing fixture went on to its later phases while f6 was still in
# its loader step: the CMS registration of all six precedes f6's step_end
f6_flash_end=$(sql "$ev" "SELECT seq FROM ev WHERE json_extract(j, '$.event') = 'step_end'
	AND json_extract(j, '$.fixture') = 'f6' AND json_extract(j, '$.step') = 'load diagnostic firmware'")
assert_eq "$(sql "$ev" "SELECT count(*) FROM ev WHERE json_extract(j, '$.event') = 'step_end'
	AND json_extract(j, '$.step') = 'register identity with the CMS'
	AND json_extract(j, '$.outcome') = 'pass' AND seq < $f6_flash_end")" "6" \
	"the six registered while f6's loader was still waiting"

# The log holds all eight runs, each with its verdict and reason.
db=$LINE_DB
assert_eq "$(sql "$db" "SELECT count(*) FROM runs")" "8" "runs in the log"
assert_eq "$(sql "$db" "SELECT group_concat(unit_serial, ' ') FROM (SELECT unit_serial FROM runs WHERE outcome = 'pass' ORDER BY 1)")" \
	"SIM000801 SIM000802 SIM000804 SIM000805 SIM000807 SIM000808" "passing units by serial"
assert_eq "$(sql "$db" "SELECT outcome || '|' || reason FROM runs WHERE fixture = 'f3'")" \
	"fail|rail_3v3 = 2.95 V, outside [3.2, 3.4]" "f3 in the log"
assert_match "$(sql "$db" "SELECT outcome || '|' || reason FROM runs WHERE fixture = 'f6'")" \
	'^(fail|error)\|no answer from the ROM bootloader after 0x7F' "f6 in the log"
# the silent board's run began with the others: it ran in parallel, not after
assert_eq "$(sql "$db" "SELECT count(*) FROM runs r, runs h WHERE h.fixture = 'f6'
	AND r.outcome = 'pass' AND h.started_us < r.ended_us AND r.ended_us < h.ended_us")" "6" \
	"the passing runs started and ended while f6 was running"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'power off' AND phase = 'teardown' AND outcome = 'pass'")" \
	"8" "teardown ran on every fixture"
for i in 1 2 3 4 5 6 7 8; do
	assert_eq "$(sim_field "f$i" power)" "0" "board f$i powered off"
done
echo "ok"
