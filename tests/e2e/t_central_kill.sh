#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A station SIGKILLed while it forwards a run to the central store loses
# nothing and duplicates nothing, in both windows a kill can hit:
#  1. mid-transaction (PostgreSQL holds the insert: a session locks the
#     measurements table): the server rolls the run back, the log keeps it
#     queued, and a sync sends it once;
#  2. after PostgreSQL committed it, before the log's mark (another process
#     holds the log's write lock): the run is central but still queued
#     locally; the sync sends it again and the central store ignores the
#     copy: every run once, every measurement once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
CENTRAL_TIMEOUT=120s	# a held statement is waited for, not given up (the kill ends it)
central_setup
central_station k
db=$CENTRAL/k/k.db
yaml=$CENTRAL/k/station.yaml

lock_measurements() {	# a session holding the table until it is terminated
	st_bg psql -X -q -h "$PG_SOCK" -U postgres -d central \
		-c "BEGIN; LOCK TABLE measurements IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600)"
	for _ in $(seq 400); do
		[ "$(pg_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE c.relname = 'measurements' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ] && return
		sleep 0.05
	done
	fail "the lock on measurements was not taken"
}
unlock_measurements() {
	pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" >/dev/null
}
wait_forwarder_blocked() {	# the station's insert waits on the lock
	for _ in $(seq 1200); do
		[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'station'
			AND wait_event_type = 'Lock'")" = 1 ] && return
		sleep 0.05
	done
	fail "the station's forwarder never reached the locked table: $(cat "$CENTRAL/k/bg.err")"
}
station_bg() {	# station run, one unit, in the background: pid in $ST_PID
	st_bg "$st" run -c "$yaml" --once --serial "$1" >"$CENTRAL/k/bg.out" 2>"$CENTRAL/k/bg.err"
	ST_PID=$!
}
# the log right after a kill: its guardian may be recovering it (a read
# waits for that, as a station's own reads do)
lsql() { sqlite3 -batch -cmd ".timeout 10000" "$db" "$1"; }
central_count() {
	pg_sql "SELECT count(*) FROM runs r JOIN measurements m ON m.run_id = r.id WHERE r.unit_serial = '$1'"
}

# --- 1. killed mid-transaction
lock_measurements
station_bg K1
wait_forwarder_blocked
assert_eq "$(pg_sql "SELECT count(*) FROM runs")" "0" "nothing committed while the insert waits"
kill -9 "$ST_PID"
wait "$ST_PID" 2>/dev/null || true
unlock_measurements
for _ in $(seq 400); do
	[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'station'")" = 0 ] && break
	sleep 0.05
done
assert_eq "$(pg_sql "SELECT count(*) FROM runs")" "0" "the killed station's transaction rolled back"
assert_eq "$(lsql "SELECT count(*) FROM runs WHERE unit_serial = 'K1' AND outcome = 'pass' AND forwarded_us IS NULL")" \
	"1" "K1 passed, still queued in the log"
assert_eq "$("$st" central sync -c "$yaml")" "central sync: 1 sent, 0 still queued ($db)" "K1 sent by sync"
assert_eq "$(central_count K1)" "$(sql "$db" "SELECT count(*) FROM v_measurements m JOIN runs r ON r.id = m.run_id WHERE r.unit_serial = 'K1'")" \
	"K1's measurements, once"

# --- 2. killed between the central commit and the local mark
lock_measurements
station_bg K2
wait_forwarder_blocked
st_bg python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(600)' "$db" >"$CENTRAL/k/lock.out"
LOCK_PID=$!
for _ in $(seq 400); do grep -q locked "$CENTRAL/k/lock.out" && break; sleep 0.05; done
grep -q locked "$CENTRAL/k/lock.out" || fail "could not lock the log"
unlock_measurements
for _ in $(seq 1200); do
	[ "$(pg_sql "SELECT count(*) FROM runs WHERE unit_serial = 'K2'")" = 1 ] && break
	sleep 0.05
done
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE unit_serial = 'K2'")" "1" "K2 committed centrally"
kill -9 "$ST_PID"
wait "$ST_PID" 2>/dev/null || true
kill "$LOCK_PID"
wait "$LOCK_PID" 2>/dev/null || true
assert_eq "$(lsql "SELECT count(*) FROM runs WHERE unit_serial = 'K2' AND forwarded_us IS NULL")" "1" \
	"K2 not marked: the kill came first"
assert_eq "$("$st" central sync -c "$yaml")" "central sync: 1 sent, 0 still queued ($db)" "K2 resent"
assert_eq "$(pg_sql "SELECT string_agg(unit_serial, ' ' ORDER BY unit_serial) FROM runs")" "K1 K2" "each run once"
assert_eq "$(pg_sql "SELECT count(*) FROM measurements")" "$(sql "$db" "SELECT count(*) FROM measurements")" \
	"each measurement once"
assert_eq "$(pg_sql "SELECT count(*) FROM steps")" "$(sql "$db" "SELECT count(*) FROM steps")" "each step once"
echo ok
