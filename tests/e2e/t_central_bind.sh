#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A writer login stores only the runs of the stations it is bound to
# (central schema 10, docs/central.md Set-up 3): a login bound to stA
# cannot store a run of stB, nor a measurement (or any row) of stB's run;
# its refused run stays queued, and sync and status name the login, the
# station and the owner's INSERT that binds them; once run, the run goes.
# The bound station forwards as before.  A store migrated from version 9
# with runs already written binds every writer login to the stations it
# holds: the lines go on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
central_station stA
central_station stB
# stA forwards as login la, bound to stA only (the helper bound "line")
pg_sql "CREATE ROLE la LOGIN PASSWORD 'a-$$-secret' IN ROLE station_writer;
	DELETE FROM central_stations WHERE station = 'stA';
	INSERT INTO central_stations (login, station) VALUES ('la', 'stA')" >/dev/null
la_url=$(pg_url la "a-$$-secret")
sed -i -e "s#url: .*#url: \"${la_url//&/\\&}\"#" -e "s#passfile: .*#passfile: $PG_DIR/la.pass#" \
	"$CENTRAL/stA/station.yaml"

# the bound stations forward
central_run stA A-U1
assert_eq "$RUN_RC" 0 "stA's unit: $(cat "$CENTRAL/stA/run.err")"
central_run stB B-U1
assert_eq "$RUN_RC" 0 "stB's unit: $(cat "$CENTRAL/stB/run.err")"
assert_eq "$(pg_sql "SELECT string_agg(station || ' ' || unit_serial, ',' ORDER BY station) FROM runs")" \
	"stA A-U1,stB B-U1" "each bound station's run in the store"

# login la under stB's name: the run passes on the line, the store refuses it
mkdir -p "$CENTRAL/fake"
sed -e "s#^station: .*#station: stB#" -e "s#^log: .*#log: fake.db#" "$CENTRAL/stA/station.yaml" \
	>"$CENTRAL/fake/station.yaml"
sed -i "s#^sequence: .*#sequence: $CENTRAL/seq.yaml#; s#fx.yaml#$CENTRAL/stA/fx.yaml#" \
	"$CENTRAL/fake/station.yaml"
rc=0
"$st" run -c "$CENTRAL/fake/station.yaml" --once --serial B-U2 >/dev/null 2>"$CENTRAL/fake/run.err" || rc=$?
assert_eq "$rc" 0 "the line never waits on the store: $(cat "$CENTRAL/fake/run.err")"
assert_match "$(cat "$CENTRAL/fake/run.err")" "login la is not bound to station stB" "the forwarder says why"
rc=0
"$st" central sync -c "$CENTRAL/fake/station.yaml" >"$CENTRAL/out" 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "a sync of the refused run"
assert_eq "$(cat "$CENTRAL/out")" "central sync: 0 sent, 1 still queued ($CENTRAL/fake/fake.db)" "it stays queued"
fix="INSERT INTO central_stations (login, station) VALUES ('la', 'stB')"
grep -qF "login la is not bound to station stB, and the store refuses its runs: bind them as the database's owner: $fix" \
	"$CENTRAL/err" || fail "sync names the login, the station and the owner's INSERT: $(cat "$CENTRAL/err")"
grep -q "permission denied\|station_writer" "$CENTRAL/err" && fail "a refused binding told of roles: $(cat "$CENTRAL/err")"
rc=0
"$st" central status -c "$CENTRAL/fake/station.yaml" >"$CENTRAL/out" 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "status of a login not bound to its station"
assert_match "$(cat "$CENTRAL/out")" "1 run\(s\) queued" "status: the run waits"
grep -qF "login la is not bound to station stB, and the store refuses its runs: bind them as the database's owner: $fix" \
	"$CENTRAL/err" || fail "status says the same: $(cat "$CENTRAL/err")"
"$st" central status -c "$CENTRAL/stA/station.yaml" >/dev/null || fail "status of a bound station"
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE unit_serial = 'B-U2'")" "0" "nothing of it stored"

# by hand, as la: no run under stB's name, no row of stB's run
as_la() { PGPASSFILE=$PG_DIR/la.pass psql -X -q -A -t -v ON_ERROR_STOP=1 "$la_url" -c "$1" 2>&1; }
bid=$(pg_sql "SELECT id FROM runs WHERE station = 'stB'")
aid=$(pg_sql "SELECT id FROM runs WHERE station = 'stA'")
out=$(as_la "INSERT INTO runs (id, station, fixture, started_us, outcome) VALUES
	('00000000000000000000000000000001', 'stB', 'F1', 1, 'pass')") && fail "la stored a run of stB"
assert_match "$out" "row-level security policy for table \"runs\"" "la: a run of stB"
for q in "INSERT INTO measurements (run_id, id, step_id, name, value, outcome, started_us) VALUES ('$bid', 999, 1, 'rail_3v3', 3.3, 'pass', 1)" \
	"INSERT INTO steps (run_id, id, idx, name, outcome) VALUES ('$bid', 999, 9, 'x', 'pass')" \
	"INSERT INTO events (run_id, id, time_us, what) VALUES ('$bid', 999, 1, 'x')" \
	"INSERT INTO cms_registrations (run_id, id, step_id, status) VALUES ('$bid', 999, 1, 'queued')" \
	"INSERT INTO measurements (run_id, id, step_id, name, value, outcome, started_us) VALUES ('00000000000000000000000000000002', 1, 1, 'x', 1, 'pass', 1)"; do
	out=$(as_la "$q") && fail "la may: $q"
	assert_match "$out" "row-level security" "la refused: $q"
done
# a writer that may create in a schema of its search_path (public on a
# database made before PostgreSQL 15) cannot have its own "=" called by the
# check functions, which run as the owner
pg_sql "GRANT CREATE ON SCHEMA public TO la" >/dev/null
out=$(as_la "CREATE FUNCTION public.la_eq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
	CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.la_eq);
	SET search_path = public, pg_catalog;
	INSERT INTO runs (id, station, fixture, started_us, outcome) VALUES
	('00000000000000000000000000000003', 'stB', 'F1', 1, 'pass')") && fail "la's own = stored a run of stB"
assert_match "$out" "row-level security policy for table \"runs\"" "la's own = is not the check's"
pg_sql "DROP OPERATOR IF EXISTS public.= (text, text); DROP FUNCTION IF EXISTS public.la_eq(text, text);
	REVOKE CREATE ON SCHEMA public FROM la" >/dev/null
# its own run's rows it may add (a resend changes nothing: ON CONFLICT)
as_la "INSERT INTO events (run_id, id, time_us, what) VALUES ('$aid', 999, 1, 'x')" >/dev/null ||
	fail "la adds a row to stA's run"
as_la "INSERT INTO events (run_id, id, time_us, what) VALUES ('$aid', 999, 1, 'x') ON CONFLICT DO NOTHING" >/dev/null ||
	fail "la resends a row of stA's run"
assert_eq "$(pg_sql "SELECT count(*) FROM measurements WHERE run_id = '$bid' AND id = 999")" "0" "stB's run untouched"

# the owner binds them, as the message says: the queued run goes
pg_sql "$fix" >/dev/null
"$st" central sync -c "$CENTRAL/fake/station.yaml" >/dev/null || fail "sync once bound"
assert_eq "$(pg_sql "SELECT station FROM runs WHERE unit_serial = 'B-U2'")" "stB" "the run, once bound"
"$st" central status -c "$CENTRAL/fake/station.yaml" >/dev/null || fail "status once bound"

# a store at version 9 (no bindings), runs written by la and line, and a
# login made before the upgrade: migrated, every writer login is bound to every
# station the store holds, and the lines go on
central_drop_v10
pg_sql "CREATE ROLE lx LOGIN PASSWORD 'x-$$-secret' IN ROLE station_writer" >/dev/null
# (stations of this build wait for the upgrade: their runs stay queued)
central_run stA A-U2
central_run stB B-U3
assert_eq "$(pg_sql "SELECT count(*) FROM runs")" "3" "at version 9: the runs written before"
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 9 -> 15" "the upgrade"
assert_eq "$(pg_sql "SELECT string_agg(login || ' ' || station, ',' ORDER BY login, station)
	FROM central_stations WHERE note LIKE 'migration to version 10%'")" \
	"la stA,la stB,line stA,line stB,lx stA,lx stB" "bound from the stations the store held"
central_run stA A-U3
assert_eq "$RUN_RC" 0 "stA after the upgrade"
central_run stB B-U4
assert_eq "$RUN_RC" 0 "stB after the upgrade"
for s in stA stB; do
	assert_eq "$(sql "$CENTRAL/$s/$s.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")" "0" \
		"$s: every run forwarded after the upgrade"
done
assert_eq "$(pg_sql "SELECT count(*) FROM runs")" "7" "the runs queued during the upgrade and after it stored"
# the owner narrows them as docs/central.md shows (line1 being la here)
narrow=$(awk '/^ *```text$/ { n++; on = (n == 3); next } /^ *```/ { on = 0; next } on' "$ST_TOP/docs/central.md")
assert_match "$narrow" "^SELECT login, station FROM central_stations WHERE note LIKE" "the doc's narrowing"
narrow=${narrow//"'line1'"/"'la'"}
pg_sql "${narrow//"'line1-%'"/"'stA%'"}" >/dev/null
assert_eq "$(pg_sql "SELECT string_agg(station, ',' ORDER BY station) FROM central_stations WHERE login = 'la'")" \
	"stA" "la narrowed to stA"
# a station name new to the store still needs its binding
sed -i "s#^station: .*#station: stC#" "$CENTRAL/fake/station.yaml"
rc=0
"$st" central status -c "$CENTRAL/fake/station.yaml" >/dev/null 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "status: a new station name"
assert_match "$(cat "$CENTRAL/err")" "login la is not bound to station stC" "a new name is not bound"
echo "ok"
