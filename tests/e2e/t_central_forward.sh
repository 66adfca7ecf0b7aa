#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Three stations, three logs, one central PostgreSQL (a real server, pg.sh):
# every ended run reaches it with its steps and measurements, once, under
# the station's name; the writer role may only insert, the reader only
# read.  The server stopped mid-line: the stations go on (their units pass,
# nothing waits), their runs stay queued in the logs; once it is back, the
# next start's forwarder and `station central sync` catch up, and the
# central store holds every run of every log exactly once.  No password in
# any output; a URL with one is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
assert_match "$(cat "$CENTRAL/migrate.out")" "schema version 0 -> 15" "first migration"
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 15, up to date" \
	"migrate again changes nothing"
# version 9: the planner told a run's share of measurements and steps (a new
# store: bench/central_gen.sql's shape, 20 and 4 a run)
assert_eq "$(pg_sql "SELECT string_agg(attrelid::regclass || ' ' || array_to_string(attoptions, ','), '; '
	ORDER BY attrelid::regclass::text) FROM pg_attribute WHERE attname = 'run_id'
	AND attrelid IN ('measurements'::regclass, 'steps'::regclass)")" \
	"measurements n_distinct=-0.05; steps n_distinct=-0.25" "run_id's distinct share"
# a version-1 store (before work orders and CMS registrations' updates) is
# brought to the current version in place
central_drop_v4
pg_sql "ALTER TABLE runs DROP COLUMN work_order, DROP COLUMN part_number, DROP COLUMN revision;
	DROP TRIGGER cms_registrations_forward ON cms_registrations;
	DROP FUNCTION cms_registration_forward();
	REVOKE SELECT (run_id, id, status, cms_id, attempts, http_status), UPDATE (status, cms_id, attempts, http_status)
	  ON cms_registrations FROM station_writer;
	DELETE FROM central_schema WHERE version >= 2"
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 1 -> 15" "migration 1 -> 15"

central_station s1
central_station s2
central_station s3 --rail 3v3=2.950	# its units fail the rail
# --- the line, PostgreSQL up: the three stations at once, two units each
pids=()
for s in s1 s2 s3; do
	( central_run $s "${s^^}-U1" && central_run $s "${s^^}-U2"; echo "$RUN_RC" >"$CENTRAL/$s/rc" ) &
	pids+=($!)
done
wait "${pids[@]}"
assert_eq "$(cat "$CENTRAL/s1/rc") $(cat "$CENTRAL/s2/rc") $(cat "$CENTRAL/s3/rc")" "0 0 1" \
	"s1, s2 pass; s3 fails its rail"
for s in s1 s2 s3; do
	assert_eq "$(sql "$CENTRAL/$s/$s.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")" "0" \
		"$s: every run forwarded"
	assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE station = '$s'")" "2" "$s: its runs centrally"
done
# every row of every run: measurements and steps as many as in the logs
for t in steps measurements; do
	want=0
	for s in s1 s2 s3; do want=$((want + $(sql "$CENTRAL/$s/$s.db" "SELECT count(*) FROM $t"))); done
	assert_eq "$(pg_sql "SELECT count(*) FROM $t")" "$want" "central $t"
done
assert_eq "$(pg_sql "SELECT string_agg(unit_serial || ':' || outcome, ' ' ORDER BY unit_serial) FROM runs")" \
	"S1-U1:pass S1-U2:pass S2-U1:pass S2-U2:pass S3-U1:fail S3-U2:fail" "units and outcomes"
# the values as logged, to the last digit (17 significant digits on the wire)
v=$(sql "$CENTRAL/s3/s3.db" "SELECT printf('%.17g', value) FROM measurements LIMIT 1")
assert_eq "$(pg_sql "SELECT count(*) FROM measurements m JOIN runs r ON r.id = m.run_id
	WHERE r.station = 's3' AND m.value = $v")" "2" "s3's rail value, exactly"
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE started = to_timestamp(started_us / 1e6)")" "6" \
	"timestamptz columns for dashboards"

# --- roles: the writer inserts only, the reader reads only
rc=0; PGPASSFILE=$CENTRAL_PASS psql -X -q "$CENTRAL_URL" -c "DELETE FROM runs" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the writer role could delete runs"
rc=0; PGPASSFILE=$CENTRAL_PASS psql -X -q "$CENTRAL_URL" -c "UPDATE runs SET outcome = 'pass'" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the writer role could update runs"
rc=0; PGPASSFILE=$CENTRAL_PASS psql -X -q "$CENTRAL_URL" -c "SELECT count(*) FROM runs" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the writer role could read runs"
assert_eq "$(PGPASSFILE=$PG_DIR/qe.pass psql -X -A -t "$CENTRAL_READER_URL" -c "SELECT count(*) FROM runs")" "6" \
	"the reader reads"
rc=0; PGPASSFILE=$PG_DIR/qe.pass psql -X -q "$CENTRAL_READER_URL" \
	-c "INSERT INTO run_files VALUES ('x', 'y', 'z')" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the reader role could insert"

# --- PostgreSQL stopped mid-line: the stations go on, their runs queue
pg_stop
for s in s1 s2 s3; do
	central_run $s "${s^^}-U3"
	[ "$RUN_RC" = 0 ] || [ "$s" = s3 ] || fail "$s: the unit did not pass with the central store down (rc $RUN_RC): $(cat "$CENTRAL/$s/run.err")"
	assert_match "$(cat "$CENTRAL/$s/run.err")" "1 run\(s\) queued for the central store" "$s says it queued"
	rc=0; "$st" central status -c "$CENTRAL/$s/station.yaml" >"$CENTRAL/status.out" \
		2>"$CENTRAL/status.err" || rc=$?
	assert_eq "$(cat "$CENTRAL/status.out")" \
		"central status: 1 run(s) queued in $CENTRAL/$s/$s.db" "$s: one run queued"
	assert_eq "$rc" "4" "$s: status says the store is out of reach"
	assert_match "$(cat "$CENTRAL/status.err")" "^station central status: .*(connect|server)" \
		"$s: status says why"
done
central_run s1 S1-U4	# a second run queued behind the first
rc=0; "$st" central sync -c "$CENTRAL/s2/station.yaml" >"$CENTRAL/sync.out" 2>"$CENTRAL/sync.err" || rc=$?
assert_eq "$rc" "4" "sync with the server down"
assert_match "$(cat "$CENTRAL/sync.out")" "0 sent, 1 still queued" "sync leaves the run queued"

# --- back: s1's next start sends its backlog first, in order; s2 and s3 by sync
pg_resume
central_run s1 S1-U5 --var work_order=WO-77 --var part_number=PN-1
assert_eq "$RUN_RC" "0" "s1 passes"
assert_eq "$(pg_sql "SELECT work_order || '/' || part_number || '/' || coalesce(revision, '-') FROM runs WHERE unit_serial = 'S1-U5'")" \
	"WO-77/PN-1/-" "the run's work order and part number, centrally"
assert_eq "$(sql "$CENTRAL/s1/s1.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")" "0" \
	"s1's forwarder caught up"
assert_eq "$(sql "$CENTRAL/s1/s1.db" "SELECT group_concat(unit_serial, ' ') FROM (SELECT unit_serial FROM runs ORDER BY forwarded_us, ended_us)")" \
	"S1-U1 S1-U2 S1-U3 S1-U4 S1-U5" "s1's runs forwarded in the order they ended"
# s3's queued run as an older log wrote a run without a sequence: '', sent as NULL
sqlite3 "$CENTRAL/s3/s3.db" "UPDATE runs SET sequence_name = '' WHERE unit_serial = 'S3-U3'"
for s in s2 s3; do
	assert_eq "$("$st" central sync -c "$CENTRAL/$s/station.yaml")" \
		"central sync: 1 sent, 0 still queued ($CENTRAL/$s/$s.db)" "$s: sync sends its queued run"
	assert_eq "$("$st" central sync -c "$CENTRAL/$s/station.yaml")" \
		"central sync: 0 sent, 0 still queued ($CENTRAL/$s/$s.db)" "$s: a second sync has nothing to send"
done
assert_eq "$(pg_sql "SELECT sequence_name IS NULL FROM runs WHERE unit_serial = 'S3-U3'")" "t" \
	"an older log's '' sequence arrives as NULL, one operation with today's runs without one"
# exactly once: the central ids are the union of the logs' ids
{ local_ids s1; local_ids s2; local_ids s3; } | sort >"$CENTRAL/local.ids"
pg_sql "SELECT id FROM runs ORDER BY id" | LC_ALL=C sort >"$CENTRAL/central.ids"
LC_ALL=C sort -o "$CENTRAL/local.ids" "$CENTRAL/local.ids"
assert_eq "$(wc -l <"$CENTRAL/local.ids")" "11" "eleven runs in the logs"
diff "$CENTRAL/local.ids" "$CENTRAL/central.ids" || fail "central runs differ from the logs'"
# a resend changes nothing: mark s2's runs unsent, sync, count
sqlite3 "$CENTRAL/s2/s2.db" "UPDATE runs SET forwarded_us = NULL"
assert_match "$("$st" central sync -c "$CENTRAL/s2/station.yaml")" "3 sent, 0 still queued" "resend"
assert_eq "$(pg_sql "SELECT count(*) || '/' || count(DISTINCT id) FROM runs")" "11/11" "no run twice"
want=0
for s in s1 s2 s3; do want=$((want + $(sql "$CENTRAL/$s/$s.db" "SELECT count(*) FROM measurements"))); done
assert_eq "$(pg_sql "SELECT count(*) FROM measurements")" "$want" "no measurement twice"

# --- the summaries: a resend counted once; built from the rows by the
# migration (a store upgraded from 3), the same as those kept run by run
assert_eq "$(pg_sql "SELECT sum(runs) FROM sum_cells WHERE level = 'a'")" "11" "each run summarised once"
central_sums >"$CENTRAL/sums.live"
grep -q "rail 3V3" "$CENTRAL/sums.live" || fail "no measurement summaries"
central_drop_v4
# a store without summaries (not yet migrated) answers --capability from its rows
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" --capability -f csv \
	-o "$CENTRAL/cap-v3.csv" || fail "report --capability on a store at version 3"
grep -q "rail_3v3" "$CENTRAL/cap-v3.csv" || fail "capability at version 3: $(cat "$CENTRAL/cap-v3.csv")"
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 3 -> 15" "migration 3 -> 15"
central_sums >"$CENTRAL/sums.built"
diff "$CENTRAL/sums.live" "$CENTRAL/sums.built" || fail "the summaries built from the rows differ"
grep -q "|rail 3V3|rail_3v3|V|" "$CENTRAL/sums.built" || fail "no capability cells"
# a rebuild by hand (central_summarise_all) takes the lock the stations'
# summarising takes (central schema 7): while another session holds it, the
# rebuild waits, then runs
mkfifo "$CENTRAL/hold.in"
psql -X -q -A -t -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d central <"$CENTRAL/hold.in" \
	>"$CENTRAL/hold.out" 2>&1 &
hold=$!
exec 7>"$CENTRAL/hold.in"
echo "BEGIN; SELECT pg_advisory_xact_lock(126943990476147);" >&7
locks() {	# the summaries' lock: held (t) or waited for (f), by how many
	pg_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = $1
		AND (classid::bigint << 32) + objid::bigint = 126943990476147"
}
for ((i = 0; i < 300; i++)); do [ "$(locks true)" = 1 ] && break; sleep 0.1; done
assert_eq "$(locks true)" "1" "another session holds the summaries' lock"
pg_sql "SELECT 'rebuilt', central_summarise_all() > 0" >"$CENTRAL/rebuild.out" 2>&1 &
rebuild=$!
for ((i = 0; i < 300; i++)); do
	w=$(locks false)
	[ "$w" = 1 ] || kill -0 "$rebuild" 2>/dev/null || break
	[ "$w" = 1 ] && break
	sleep 0.1
done
kill -0 "$rebuild" 2>/dev/null || fail "central_summarise_all ran while the lock was held: $(cat "$CENTRAL/rebuild.out")"
assert_eq "$w" "1" "the rebuild waits for the summaries' lock"
echo "COMMIT;" >&7
exec 7>&-
wait "$hold"
wait "$rebuild" || fail "the rebuild: $(cat "$CENTRAL/rebuild.out")"
assert_eq "$(cat "$CENTRAL/rebuild.out")" "rebuilt|f" "the rebuild ran after the lock was released (every run summarised already)"

# --- report --station: one station's runs of a log
"$st" report --db "$CENTRAL/s1/s1.db" --station s1 -f json -o "$CENTRAL/r1.json"
"$st" report --db "$CENTRAL/s1/s1.db" --station s2 -f json -o "$CENTRAL/r2.json"
units() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["total"]["units"], d["filters"]["station"])' "$1"; }
assert_eq "$(units "$CENTRAL/r1.json")" "5 s1" "--station s1"
assert_eq "$(units "$CENTRAL/r2.json")" "0 s2" "--station s2 on s1's log"

# --- credentials: never in any output; a URL with a password is refused
for f in "$CENTRAL"/*/run.err "$CENTRAL"/*/run.out "$CENTRAL"/sync.*; do
	grep -q -- "-secret" "$f" && fail "a password in $f"
done
sed "s|url: .*|url: \"postgresql://line:w-$$-secret@/central?host=$PG_SOCK\"|" \
	"$CENTRAL/s1/station.yaml" >"$CENTRAL/s1/withpw.yaml"
rc=0; "$st" central sync -c "$CENTRAL/s1/withpw.yaml" >"$CENTRAL/pw.out" 2>&1 || rc=$?
assert_eq "$rc" "3" "a password in the URL: bad station.yaml"
assert_match "$(cat "$CENTRAL/pw.out")" "carries a password" "says why"
grep -q -- "-secret" "$CENTRAL/pw.out" && fail "the refusal shows the password"
echo ok
