#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station serve's MES hooks (docs/api.md, "MES hooks") against tools/mes-sim
# and two simulated fixtures, with the mes: section as the doc writes it:
# a pre-check the MES refuses stops the start with its reason (403) before
# any line of the fixture moves, logged with who asked; an allowed unit runs
# and its result reaches the MES once; with the MES dead (no process on its
# port) the results are kept in the log, the start still refused when the
# pre-check cannot be asked; a later `station mes sync` delivers each kept
# result exactly once, and a second sync sends nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

serve_setup
refusal="SIM000802=unit on hold: NCR-17 open at rework"
mes_start --port 0 --refuse "$refusal"
mes_log=$MES_LOG
base=$(cat "$LINE/serve.yaml")
with_mes() { mes_yaml "$base" "$LINE/serve.yaml" "$@"; }
with_mes
serve_start

# refused by the MES: 403 with its reason, nothing moves on b
out=$(api POST /api/v1/fixtures/b/start '{"serial": "SIM000802", "operator": "bob"}')
assert_eq "$(tail -1 <<<"$out")" 403 "a refused pre-check: $out"
assert_match "$out" '"message":"the MES refuses unit SIM000802 at final-test: unit on hold: NCR-17 open at rework"' "the MES's reason"
grep -q '^precheck SIM000802 final-test refused$' "$mes_log" || fail "the MES was not asked: $(cat "$mes_log")"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE fixture = 'b'")" 0 "no run on b"
grep -q 'set power' "$SIM_B_LOG" && fail "b's lines moved for a unit the MES refused"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM events WHERE what = 'mes' AND detail LIKE
	'MES refused SIM000802 at final-test for 127.0.0.1 operator bob: unit on hold%'")" 1 "the refusal in the log's events"
assert_eq "$(field "$(curl -s "$STATION/api/v1/fixtures/b")" state)" idle "b stays idle"

# allowed: the unit runs, its result reaches the MES once
out=$(api POST /api/v1/fixtures/a/start '{"serial": "SIM000801", "work_order": "WO-7"}')
assert_eq "$(tail -1 <<<"$out")" 201 "an allowed start: $out"
run1=$(field "$(sed '$d' <<<"$out")" run_id)
wait_state a pass
for _ in $(seq 100); do grep -q "^result $run1 new pass$" "$mes_log" && break; sleep 0.05; done
grep -q "^result $run1 new pass$" "$mes_log" || fail "the result did not reach the MES: $(cat "$mes_log")"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE run_id = '$run1' AND sent_us IS NOT NULL")" 1 "marked sent"
serve_stop

# the MES dead: the pre-check cannot be asked, so nothing starts ...
mes_stop
serve_start
out=$(api POST /api/v1/fixtures/a/start '{"serial": "SIM000801"}')
assert_eq "$(tail -1 <<<"$out")" 503 "no pre-check, no start: $out"
assert_match "$out" 'the MES at http://127.0.0.1:[0-9]+/precheck did not answer' "503 says the MES did not answer"
serve_stop
# ... and without the pre-check, the results are kept in the log
with_mes
sed -i 's|^  precheck: true .*|  precheck: false|' "$LINE/serve.yaml"
serve_start
for fx in a b; do
	serial=SIM00080$([ $fx = a ] && echo 1 || echo 2)
	out=$(api POST /api/v1/fixtures/$fx/start "{\"serial\": \"$serial\"}")
	assert_eq "$(tail -1 <<<"$out")" 201 "start on $fx with the MES down: $out"
	wait_state $fx pass
done
for _ in $(seq 200); do
	[ "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE sent_us IS NULL AND attempts > 0")" = 2 ] && break
	sleep 0.05
done
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE sent_us IS NULL")" 2 "two results kept for the MES"
grep -q 'wait for the MES (station mes sync)' "$SERVE_ERR" || fail "serve does not say the results wait"
serve_stop
rc=0
"$BINDIR/station" mes sync -c "$LINE/serve.yaml" >"$LINE/sync0.out" 2>&1 || rc=$?
assert_eq "$rc" 4 "a sync while the MES is down: $(cat "$LINE/sync0.out")"
assert_match "$(cat "$LINE/sync0.out")" "0 result\(s\) sent, 2 left" "nothing sent while it is down"

# the MES back: one sync delivers each kept result once; a second sends none
mes_start --port "$MES_PORT" --refuse "$refusal"
"$BINDIR/station" mes sync -c "$LINE/serve.yaml" >"$LINE/sync1.out" 2>&1 || fail "sync: $(cat "$LINE/sync1.out")"
assert_match "$(cat "$LINE/sync1.out")" "2 result\(s\) sent, 0 left" "the sync"
"$BINDIR/station" mes sync -c "$LINE/serve.yaml" >"$LINE/sync2.out" 2>&1 || fail "sync again: $(cat "$LINE/sync2.out")"
assert_match "$(cat "$LINE/sync2.out")" "0 result\(s\) sent, 0 left" "the second sync"
while read -r id; do
	assert_eq "$(grep -c "^result $id " "$mes_log")" 1 "run $id reached the MES exactly once"
done < <(sql "$LINE_DB" "SELECT id FROM runs")
assert_eq "$(grep -c '^result .* repeat' "$mes_log" || true)" 0 "no result sent twice"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM mes_results WHERE sent_us IS NULL")" 0 "none left"
echo "ok: pre-check refusal before any line moves; results once, kept while the MES is down, synced once"
