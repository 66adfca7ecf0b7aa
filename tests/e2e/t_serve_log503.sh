#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station serve with its log unavailable (docs/api.md, "Errors"): another
# process holds the log's locks (SQLite's WAL-index locks, in the -shm file,
# as a stuck writer or reader on another connection would) past the busy
# timeout.  Reading a run answers 503 with a JSON error (a unit's history is
# the same route to the log);
# a start answers 503 too (the run could not be recorded: nothing started,
# the tile says why) while the fixtures' state, held in memory, still
# answers; once the locks are gone the same requests answer 200 and a unit
# runs to PASS: serve recovered without a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

serve_setup
serve_start
out=$(api POST /api/v1/fixtures/a/start '{"serial": "SIM000801"}')
assert_eq "$(tail -1 <<<"$out")" 201 "a start with the log there: $out"
run1=$(field "$(sed '$d' <<<"$out")" run_id)
wait_state a pass
assert_eq "$(tail -1 <<<"$(api GET "/api/v1/runs/$run1")")" 200 "the run, with the log there"

# the lock holder: exclusive POSIX locks on the WAL-index's lock bytes
# (120..127 of the -shm file: SQLite's write, checkpoint, recover and read
# marks), held until it is killed
[ -s "$LINE_DB-shm" ] || fail "the log has no WAL index: $(ls -l "$LINE")"
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 8, 120)
print("locked", flush=True)
time.sleep(3600)' "$LINE_DB-shm" >"$LINE/lock.out" 2>&1 &
LOCK_PID=$!
echo "$LOCK_PID" >>"$ST_REG/pids"
for _ in $(seq 200); do grep -q locked "$LINE/lock.out" && break; sleep 0.05; done
grep -q locked "$LINE/lock.out" || fail "could not lock the log: $(cat "$LINE/lock.out")"

is_503() {	# ANSWER WHAT RE: status 503 and a JSON error whose message matches RE
	local body status
	body=$(sed '$d' <<<"$1")
	status=$(tail -1 <<<"$1")
	assert_eq "$status" 503 "$2: $1"
	assert_eq "$(field "$body" error status)" 503 "$2: the JSON error's status"
	assert_match "$(field "$body" error message)" "$3" "$2: the message"
}
is_503 "$(api GET "/api/v1/runs/$run1")" "a run, the log locked" '^the log cannot answer now: '
is_503 "$(api POST /api/v1/fixtures/b/start '{"serial": "SIM000802"}')" "a start, the log locked" \
	'^fixture b: no run: .*; nothing started$'
b=$(curl -s "$STATION/api/v1/fixtures/b")
assert_eq "$(field "$b" state)" error "b's tile: no run"
assert_match "$(field "$b" reason)" '^no run: ' "b's tile says why"
grep -E 'ctl: set (power|boot|reset) 1' "$SIM_B_LOG" && fail "b was powered for a run the log could not record"
assert_eq "$(tail -1 <<<"$(api GET /api/v1/fixtures)")" 200 "the fixtures' state answers all along"
kill -0 "$SERVE_PID" || fail "serve ended: $(cat "$SERVE_ERR")"

# the locks gone: serve answers again, and runs units
kill "$LOCK_PID"
wait "$LOCK_PID" 2>/dev/null || true
out=$(api GET "/api/v1/runs/$run1")
assert_eq "$(tail -1 <<<"$out")" 200 "the run, the log back: $out"
assert_eq "$(field "$(sed '$d' <<<"$out")" id)" "$run1" "the run's document"
assert_eq "$(tail -1 <<<"$(api GET /api/v1/units/SIM000801)")" 200 "the unit's history, the log back"
out=$(api POST /api/v1/fixtures/b/start '{"serial": "SIM000802"}')
assert_eq "$(tail -1 <<<"$out")" 201 "a start, the log back: $out"
wait_state b pass
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(fixture || ':' || outcome, ' ') FROM (SELECT * FROM runs ORDER BY started_us)")" \
	"a:pass b:pass" "two runs, none for the refused start"
serve_stop
assert_eq "$SERVE_RC" 0 "serve stops cleanly"
echo "ok: the log locked: runs, units and starts answer 503 with a JSON error, serve recovers once it is back"
