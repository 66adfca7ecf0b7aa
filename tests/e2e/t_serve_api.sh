#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station serve's API (docs/api.md) against two simulated fixtures: the
# doc's curl examples run as written (list, start, a refused serial, the
# run, the unit's history, the event stream, stop), a passing unit on a and
# a failing one on b (the scanned serial is not the SE's) with its reason;
# a held unit stopped over the API is logged aborted; every bad request
# gets its own status as JSON (400 malformed, 404 unknown, 405, 409 busy,
# 413 oversized, 422 bad or missing serial); who asked is logged; the
# event stream carries station run --json's events; connections are
# bounded (--max-clients, 16 from one address) and the server serves
# again when one closes;
# SIGTERM mid-run ends the run aborted, exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

run_example() {
	local code
	code=$(doc_example "$1")
	[ -n "$code" ] || fail "docs/api.md has no example '$1'"
	bash -c "$code"
}
status() { tail -n 1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

serve_setup
serve_start

# the list, before any unit
out=$(run_example fixtures)
assert_eq "$(field "$out" fixtures 0 name) $(field "$out" fixtures 1 name)" "a b" "the fixtures"
assert_eq "$(field "$out" fixtures 0 state)" idle "a before any unit"
assert_eq "$(field "$out" serial_pattern)" '^SIM[0-9]{6}$' "the sequence's serial pattern"

# the event stream, open before the units start
st_bg bash -c "$(doc_example events)" >"$LINE/events.txt" 2>&1
for _ in $(seq 200); do grep -q '^: station serve events' "$LINE/events.txt" && break; sleep 0.05; done
grep -q '^: station serve events' "$LINE/events.txt" || fail "the event stream did not open"

# a passing unit on a, from the doc
out=$(run_example start)
assert_eq "$(field "$out" fixture)" a "start answers for a"
RUN_ID=$(field "$out" run_id)
assert_match "$RUN_ID" '^[0-9a-f]{32}$' "start gives the run id"
export RUN_ID
wait_state a pass

# the doc's refused serial: 422 before anything moves
out=$(run_example bad-serial)
assert_eq "$out" "{\"error\":{\"status\":422,\"message\":\"serial 'SIM12' does not match ^SIM[0-9]{6}\$: scan again\"}}
422" "bad serial"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE fixture = 'b'")" 0 "a refused serial makes no run"
grep -q 'set power 1' "$SIM_B_LOG" && fail "b was powered for a refused serial"

# a failing unit on b: the serial scanned is not the one its SE holds
out=$(api POST /api/v1/fixtures/b/start '{"serial": "SIM000899", "operator": "bob"}')
assert_eq "$(status "$out")" 201 "start on b: $out"
wait_state b fail
out=$(curl -s "$STATION/api/v1/fixtures/b")
assert_eq "$(field "$out" failed_step)" "read and verify SE identity" "b's failed step"
assert_match "$(field "$out" reason)" "certificate names 'SIM000802' but this board is 'SIM000899'" "b's reason"
assert_eq "$(field "$out" lamp fail)" True "b's fail lamp"
assert_eq "$(field "$out" last 0 verdict)" fail "b's last unit"

# the run, from the doc: steps, identity, operator
out=$(run_example run)
assert_eq "$(field "$out" id) $(field "$out" unit_serial) $(field "$out" outcome)" "$RUN_ID SIM000801 pass" "the run"
assert_eq "$(field "$out" operator)" ann "the run's operator"
n=$(python3 -c 'import json,sys; r = json.loads(sys.argv[1]); print(sum(len(s["identities"]) for s in r["steps"]))' "$out")
assert_eq "$n" 1 "the run's identity"
assert_match "$out" '"subject_serial": "SIM000801"' "the SE's serial in the run"
# the unit's history, from the doc
out=$(run_example unit)
assert_eq "$(field "$out" units 0 unit_serial)" SIM000801 "the unit"
assert_eq "$(field "$out" units 0 runs 0 id)" "$RUN_ID" "the unit's run"

# the stream: station run --json's events, numbered
python3 - "$LINE/events.txt" <<'PY' || fail "the event stream: $(head -c 2000 "$LINE/events.txt")"
import json, sys
ev, ids = [], []
for line in open(sys.argv[1]):
    if line.startswith("id: "):
        ids.append(int(line[4:]))
    if line.startswith("data: "):
        ev.append(json.loads(line[6:]))
assert ids == sorted(ids) and len(ids) == len(ev), ids
assert all(e["schema"] == 1 and e["station"] == "e2e-station" for e in ev)
kinds = {(e["fixture"], e["event"]) for e in ev}
for k in [("a", "run_start"), ("a", "step_start"), ("a", "step_end"), ("a", "run_end"),
          ("b", "run_start"), ("b", "run_end")]:
    assert k in kinds, k
end = [e for e in ev if e["event"] == "run_end"]
assert {(e["fixture"], e["verdict"]) for e in end} == {("a", "PASS"), ("b", "FAIL")}, end
b = [e for e in end if e["fixture"] == "b"][0]
assert b["failed_step"] == "read and verify SE identity" and "SIM000899" in b["reason"], b
PY

# a held unit: busy, then stopped from the doc, logged aborted
out=$(api POST /api/v1/fixtures/a/start '{"serial": "SIM000801", "vars": {"hold": "yes"}}')
assert_eq "$(status "$out")" 201 "held start: $out"
held=$(field "$(body "$out")" run_id)
out=$(api POST /api/v1/fixtures/a/start '{"serial": "SIM000801"}')
assert_eq "$(status "$out")" 409 "a second start on a busy fixture"
assert_match "$out" '"message":"fixture a is busy with unit SIM000801' "409 says why"
run_example stop >/dev/null
wait_state a aborted
assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE id = '$held'")" aborted "the stopped run in the log"
grep -q 'set power 0' "$SIM_A_LOG" || fail "a's board not powered off by the stop"
out=$(api POST /api/v1/fixtures/a/stop)
assert_eq "$(status "$out")" 409 "stop with nothing running"

# bad requests, each its own status, as JSON
check() {	# WANT METHOD PATH [BODY] REGEX
	local want=$1 re=${!#} out
	out=$(api "${@:2:$#-2}")
	assert_eq "$(status "$out")" "$want" "$2 $3"
	python3 -c 'import json,sys; e = json.loads(sys.argv[1])["error"]; assert e["status"] == int(sys.argv[2])' \
		"$(body "$out")" "$want" || fail "$2 $3: not a JSON error: $out"
	assert_match "$(body "$out")" "$re" "$2 $3"
}
check 400 POST /api/v1/fixtures/a/start '{"serial": "SIM000801",' 'the body is not JSON'
check 400 POST /api/v1/fixtures/a/start '["SIM000801"]' 'not an object'
check 400 POST /api/v1/fixtures/a/start '{"serial": 801}' "'serial' must be a string"
check 400 POST /api/v1/fixtures/a/start '{"serial": "SIM000801", "colour": "red"}' "unknown field 'colour'"
check 400 POST /api/v1/fixtures/a/start '{"serial": "SIM000801", "vars": {"trust": "/tmp"}}' "vars: "
check 413 POST /api/v1/fixtures/a/start "{\"serial\": \"$(printf 'S%.0s' $(seq 20000))\"}" 'larger than 16384 bytes'
check 404 POST /api/v1/fixtures/zz/start '{"serial": "SIM000801"}' "no fixture 'zz'"
check 404 GET /api/v1/runs/0123456789abcdef0123456789abcdef "no run"
check 404 GET /api/v1/units/SIM999999 "no unit"
check 404 GET /api/v2/fixtures "no route"
check 405 GET /api/v1/fixtures/a/start "not a method"
check 422 POST /api/v1/fixtures/a/start '{"operator": "ann"}' 'this sequence scans a serial'
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 3 "no bad request made a run"

# who asked: on stderr and in the log's events
grep -q '^station serve: a: start by 127.0.0.1 operator ann (run ' "$SERVE_ERR" || fail "the start is not logged with who asked: $(cat "$SERVE_ERR")"
grep -q '^station serve: a: stop by 127.0.0.1' "$SERVE_ERR" || fail "the stop is not logged"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM events WHERE what = 'api' AND detail LIKE 'start by 127.0.0.1%'")" 3 "starts in the log's events"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM events WHERE what = 'api' AND detail LIKE 'stop by 127.0.0.1%'")" 1 "the stop in the log's events"

# work order, part number, revision, operator: columns of the run (schema
# 5), and filters of export and report
assert_eq "$(sql "$LINE_DB" "SELECT operator || ' ' || work_order || ' ' || part_number || ' ' || revision
	FROM runs WHERE id = '$RUN_ID'")" "ann WO-1234 PN-77 B" "the start's MES fields in the log"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE work_order IS NOT NULL")" 1 "only that run has a work order"
out=$("$BINDIR/station" export --db "$LINE_DB" --what runs -f csv --work-order WO-1234)
assert_eq "$(wc -l <<<"$out")" 2 "export --work-order: the header and one run"
assert_match "$(head -1 <<<"$out")" '^run_id,unit_serial,station,fixture,operator,work_order,part_number,revision,' "export's columns"
assert_match "$(tail -1 <<<"$out")" "^$RUN_ID,SIM000801,e2e-station,a,ann,WO-1234,PN-77,B," "export's row"
for f in "--part-number PN-77" "--revision B" "--operator ann"; do
	# shellcheck disable=SC2086
	assert_eq "$("$BINDIR/station" export --db "$LINE_DB" --what runs -f csv $f | wc -l)" 2 "export $f"
done
assert_eq "$("$BINDIR/station" export --db "$LINE_DB" --what runs -f csv --work-order WO-9 | wc -l)" 1 "export: another work order"
out=$("$BINDIR/station" report --db "$LINE_DB" -f json --work-order WO-1234)
assert_eq "$(python3 -c 'import json,sys; r = json.loads(sys.argv[1]); t = r["total"]; print(t["units"], t["passed"], r["filters"]["work_order"])' "$out")" "1 1 WO-1234" "report --work-order: one unit, passed"
out=$("$BINDIR/station" report --db "$LINE_DB" -f json --operator bob)
assert_eq "$(python3 -c 'import json,sys; t = json.loads(sys.argv[1])["total"]; print(t["units"], t["passed"])' "$out")" "1 0" "report --operator bob: b's failed unit"
# a schema 4 log (the frozen db/migrations/v4.sql) upgrades: the columns, NULL
v4=$LINE/v4.db
sqlite3 "$v4" <"$ST_TOP/db/migrations/v4.sql"
sqlite3 "$v4" "INSERT INTO runs (id, station, fixture, started_us) VALUES ('r4', 'st', 'fx', 1)"
"$BINDIR/station" db migrate --db "$v4" >/dev/null || fail "migrating a schema 4 log"
want=$(sed -n 's/^#define DB_SCHEMA_VERSION \([0-9]*\)/\1/p' "$ST_TOP/db/db.h")
assert_eq "$(sql "$v4" "PRAGMA user_version")" "$want" "upgraded to the binary's schema"
assert_eq "$(sql "$v4" "SELECT id || ':' || coalesce(work_order, 'NULL') || ':' || coalesce(revision, 'NULL') FROM runs")" \
	"r4:NULL:NULL" "an old run has no work order"

# SIGTERM mid-run: the unit aborted, the board dark, exit 0
out=$(api POST /api/v1/fixtures/b/start '{"serial": "SIM000802", "vars": {"hold": "yes"}}')
held=$(field "$(body "$out")" run_id)
wait_state b running
serve_stop
assert_eq "$SERVE_RC" 0 "serve's exit status after SIGTERM"
assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE id = '$held'")" aborted "the run in flight at SIGTERM"
assert_eq "$(sim_field b power)" 0 "b powered off at the stop"

# bounded connections: with --max-clients 3, three open streams take them all
serve_start --max-clients 3
for i in 1 2 3; do
	st_bg curl -sN "$STATION/api/v1/events" >"$LINE/stream$i.txt" 2>&1
	pids[i]=$!
	for _ in $(seq 200); do grep -q '^: station' "$LINE/stream$i.txt" && break; sleep 0.05; done
	grep -q '^: station' "$LINE/stream$i.txt" || fail "stream $i did not open"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$STATION/api/v1/fixtures" || true)
assert_eq "$code" 000 "a fourth connection while three are served"
kill "${pids[1]}"
for _ in $(seq 100); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$STATION/api/v1/fixtures" || true)
	[ "$code" = 200 ] && break
	sleep 0.2
done
assert_eq "$code" 200 "served again once a stream has closed"
serve_stop

# one address holds at most 16 connections: another is served past them
serve_start
for i in $(seq 16); do
	st_bg curl -sN "$STATION/api/v1/events" >"$LINE/peer$i.txt" 2>&1
	for _ in $(seq 200); do grep -q '^: station' "$LINE/peer$i.txt" && break; sleep 0.05; done
	grep -q '^: station' "$LINE/peer$i.txt" || fail "stream $i from 127.0.0.1 did not open"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$STATION/api/v1/fixtures" || true)
assert_eq "$code" 000 "a 17th connection from 127.0.0.1"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface 127.0.0.2 "$STATION/api/v1/fixtures" || true)
assert_eq "$code" 200 "another address past one address's 16"
serve_stop
echo "ok: the doc's examples, pass and fail with reason, stop, bad requests, who asked, streams, bounds"
