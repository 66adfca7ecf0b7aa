#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Stations forwarding into the same summary cells at once (central schema
# 5): four stations test while PostgreSQL is down, then drain their queues
# together (`central sync` each), into the same day's cells and the same
# measurement sums.  Every sync succeeds the first time (no transaction
# lost to a deadlock between stations); a backlog goes several runs a
# transaction; the summaries kept run by run are those built from the rows;
# a resend of every run changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station
N=12

pg_start
central_setup
central_station s1
central_station s2 --rail 3v3=3.350
central_station s3 --rail 3v3=2.950	# its units fail the rail
central_station s4
# --- the backlog: N units on each station, PostgreSQL down
pg_stop
pids=()
for s in s1 s2 s3 s4; do
	"$st" run -c "$CENTRAL/$s/station.yaml" --units "$N" >"$CENTRAL/$s/run.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
total=0
for s in s1 s2 s3 s4; do
	n=$(sql "$CENTRAL/$s/$s.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")
	assert_eq "$n" "$N" "$s: $N runs queued ($(tail -n 3 "$CENTRAL/$s/run.out"))"
	total=$((total + n))
done
pg_resume

# --- drained at once, each sync succeeding the first time
pids=()
for s in s1 s2 s3 s4; do
	"$st" central sync -c "$CENTRAL/$s/station.yaml" >"$CENTRAL/$s/sync.out" 2>&1 &
	pids+=($!)
done
for i in 0 1 2 3; do
	wait "${pids[$i]}" || fail "s$((i + 1))'s sync failed: $(cat "$CENTRAL/s$((i + 1))/sync.out")"
done
assert_eq "$(pg_sql "SELECT count(*) FROM runs")" "$total" "every run in the store"
# several runs a transaction: a station's backlog of N (up to 16 a batch) in one
assert_eq "$(pg_sql "SELECT max(t) FROM (SELECT count(DISTINCT xmin::text) AS t FROM runs
	GROUP BY station) s")" "1" "each station's backlog in one transaction"
assert_eq "$(pg_sql "SELECT sum(runs) FROM sum_cells WHERE level = 'a'")" "$total" "each run summarised once"

# --- the summaries kept as the runs came equal those built from the rows
central_sums >"$CENTRAL/sums.live"
grep -q "rail 3V3" "$CENTRAL/sums.live" || fail "no measurement summaries"
[ "$(pg_sql "SELECT count(*) FROM sum_meas_hour")" -gt 0 ] || fail "no hour cells"
pg_sql "TRUNCATE sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails,
	sum_meas_keys, sum_meas, sum_hours, sum_meas_hour, sum_fail_hour, sum_cap_keys, sum_cap,
	sum_cap_day, sum_cap_month;
	SELECT central_summarise_all()" >/dev/null
central_sums >"$CENTRAL/sums.built"
diff "$CENTRAL/sums.live" "$CENTRAL/sums.built" || fail "the summaries kept run by run differ from the rows'"

# --- a resend of everything, at once, changes nothing
for s in s1 s2 s3 s4; do sqlite3 "$CENTRAL/$s/$s.db" "UPDATE runs SET forwarded_us = NULL"; done
pids=()
for s in s1 s2 s3 s4; do
	"$st" central sync -c "$CENTRAL/$s/station.yaml" >"$CENTRAL/$s/sync.out" 2>&1 &
	pids+=($!)
done
for i in 0 1 2 3; do
	wait "${pids[$i]}" || fail "s$((i + 1))'s resend failed: $(cat "$CENTRAL/s$((i + 1))/sync.out")"
done
assert_match "$(cat "$CENTRAL/s1/sync.out")" "$N sent, 0 still queued" "resend"
assert_eq "$(pg_sql "SELECT count(*) || '/' || count(DISTINCT id) FROM runs")" "$total/$total" "no run twice"
central_sums >"$CENTRAL/sums.again"
diff "$CENTRAL/sums.built" "$CENTRAL/sums.again" || fail "a resend changed the summaries"
echo ok
