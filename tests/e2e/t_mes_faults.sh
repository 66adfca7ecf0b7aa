#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The MES hooks' timeouts and retries (docs/api.md, "MES hooks"), station run
# against tools/mes-sim's faults, with the doc's mes: section (attempts 3,
# backoff 200ms; timeout 2s here):
# - an MES that answers 503 twice is asked a third time: the unit is
#   allowed and runs, its result delivered;
# - an MES that takes a result but answers too late (past the timeout): the
#   station tries again with the same Idempotency-Key, the MES tells it has
#   it (409), the result is marked sent: the MES took it once;
# - an MES too slow for every attempt of the pre-check: the unit is refused
#   as "did not answer", nothing of its fixture moves.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

serve_setup
base=$(cat "$LINE/serve.yaml")
cfg=$LINE/run.yaml
run_a() {
	RUN_RC=0
	"$BINDIR/station" run -c "$cfg" -f "$LINE/a.yaml" --once --serial SIM000801 \
		>"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
}
last_run() { sql "$LINE_DB" "SELECT id FROM runs ORDER BY started_us DESC LIMIT 1"; }

# 503, 503, then an answer: retried within the attempts
mes_start --port 0 --unavailable 2
mes_yaml "$base" "$cfg"
grep -q '^  attempts: 3' "$cfg" || fail "the doc's mes: has no 'attempts: 3'"
run_a
assert_eq "$RUN_RC" 0 "allowed at the third attempt: $(cat "$LINE/run.err")"
run1=$(last_run)
assert_eq "$(tr '\n' '|' <"$MES_LOG")" \
	"unavailable /precheck|unavailable /precheck|precheck SIM000801 final-test allowed|result $run1 new pass|" \
	"two 503s, the pre-check, the result"
mes_stop

# a result taken but answered past the timeout: sent again, the MES tells
: >"$MES_LOG"
mes_start --port "$MES_PORT" --slow 1:4000
mes_yaml "$base" "$cfg" "precheck: false"
sed -i '/^  precheck: true/d' "$cfg"
run_a
assert_eq "$RUN_RC" 0 "the unit: $(cat "$LINE/run.err")"
run2=$(last_run)
assert_eq "$(tr '\n' '|' <"$MES_LOG")" "slow /results|result $run2 new pass|result $run2 repeat pass|" \
	"the late answer, then the same key again"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE run_id = '$run2' AND sent_us IS NOT NULL")" 1 \
	"marked sent once the MES said it has it"
assert_eq "$("$BINDIR/station" mes sync -c "$cfg")" "station mes sync: 0 result(s) sent, 0 left" "nothing left"
mes_stop

# too slow for every attempt of the pre-check: refused, nothing moves
: >"$MES_LOG"
mes_start --port "$MES_PORT" --slow 3:4000
mes_yaml "$base" "$cfg"
: >"$SIM_A_LOG"
sim_ctl a "counters reset" >/dev/null
run_a
assert_eq "$RUN_RC" 4 "no answer in time, no unit: $(cat "$LINE/run.err")"
assert_match "$(cat "$LINE/run.err")" 'MES not asked about SIM000801 at final-test for station run: the MES at http://127.0.0.1:[0-9]+/precheck did not answer' \
	"it says the MES did not answer"
assert_eq "$(grep -c '^slow /precheck$' "$MES_LOG")" 3 "three attempts"
grep -E 'ctl: set [a-z-]+ 1' "$SIM_A_LOG" && fail "a's lines moved without the MES's leave"
assert_eq "$(sim_field a rx_bytes)" 0 "nothing was sent on a's console"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 2 "no run logged for it"
echo "ok: MES retries after 503s, a late answer resent under the same key and taken once, a pre-check past its timeouts refuses"
