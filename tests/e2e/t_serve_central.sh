#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station serve forwards its ended runs to the central store as station run
# does (docs/central.md; the forwarder is fleet.c's, the same for both), to
# a real PostgreSQL (pg.sh): a unit started through the API reaches the
# store while serve goes on serving; with the store stopped a unit still
# passes and its run stays queued in the log; once the store is back, the
# next unit's end sends the backlog; at the stop nothing is left queued,
# and the store holds every run of the log exactly once, with the start
# request's work order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
. "$(dirname "$0")/serve.sh"

pg_start
central_setup
central_station s1
LINE=$CENTRAL/s1	# serve.sh's serve_start serves $LINE/serve.yaml
cp "$LINE/station.yaml" "$LINE/serve.yaml"
serve_start
local_queued() { sql "$LINE/s1.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL AND outcome <> 'running'"; }
unit() {	# SERIAL: one unit through the API, to its verdict
	local out
	out=$(api POST /api/v1/fixtures/s1/start "{\"serial\": \"$1\", \"work_order\": \"WO-$1\"}")
	assert_eq "$(tail -1 <<<"$out")" 201 "start $1: $out"
	wait_state s1 pass
}
central_runs() { pg_sql "SELECT count(*) FROM runs WHERE station = 's1'"; }
wait_central() {	# N: until the store holds N of s1's runs
	for _ in $(seq 200); do [ "$(central_runs)" = "$1" ] && return 0; sleep 0.05; done
	fail "the central store holds $(central_runs) of s1's runs, not $1: $(cat "$SERVE_ERR")"
}

# the store up: the run arrives while serve keeps serving
unit U1
wait_central 1
assert_eq "$(local_queued)" 0 "U1 marked forwarded in the log"
assert_eq "$(pg_sql "SELECT unit_serial || ' ' || outcome || ' ' || work_order FROM runs")" "U1 pass WO-U1" \
	"the run as the API started it"
kill -0 "$SERVE_PID" || fail "serve has ended"

# the store stopped: the unit passes all the same, its run queued
pg_stop
unit U2
assert_eq "$(local_queued)" 1 "U2 queued in the log"
# back: the next unit's end sends the backlog, in order
pg_resume
unit U3
wait_central 3
assert_eq "$(local_queued)" 0 "nothing left queued"
assert_eq "$(pg_sql "SELECT string_agg(unit_serial, ' ' ORDER BY ended_us) FROM runs")" "U1 U2 U3" "every unit centrally"

serve_stop
assert_eq "$SERVE_RC" 0 "serve stops cleanly"
assert_eq "$(pg_sql "SELECT count(*) || '/' || count(DISTINCT id) FROM runs")" "3/3" "each run once"
diff <(local_ids s1) <(pg_sql "SELECT id FROM runs ORDER BY id" | LC_ALL=C sort) ||
	fail "the central runs differ from the log's"
grep -q -- "-secret" "$SERVE_ERR" "$SERVE_OUT" && fail "a password in serve's output"
echo "ok: station serve forwards its runs to the central store, queues while it is away, catches up"
