#!/usr/bin/env bash
# Without --once a fixture waits for its next unit: the lid closes, the unit
# runs, the lid opens, the next closes.  SIGTERM ends the loop cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000501 --image "$LINE/images/prod.bin"
"$BINDIR/station" run -c "$LINE/station.yaml" -s "$ST_TOP/sequences/final-test.yaml" \
	--json -f "$LINE/a.yaml" >"$LINE/events.jsonl" 2>"$LINE/run.err" &
pid=$!
echo "$pid" >>"$ST_REG/pids"
# nothing runs while the lid is open
sleep 0.5
assert_eq "$(grep -c run_start "$LINE/events.jsonl" || true)" "0" "no run before the lid closes"
for unit in 1 2; do
	sim_ctl a "set lid 1" >/dev/null
	for _ in $(seq 200); do
		[ "$(grep -c run_end "$LINE/events.jsonl" || true)" = "$unit" ] && break
		sleep 0.05
	done
	assert_eq "$(grep -c run_end "$LINE/events.jsonl" || true)" "$unit" "runs after $unit lid closings"
	sim_ctl a "set lid 0" >/dev/null
	sleep 0.3
done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" "5" "exit status after SIGTERM"
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(outcome) FROM runs")" "pass,pass" "two runs logged"
assert_eq "$(sim_field a power)" "0" "board powered off"
echo ok
