#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A login in the wrong role, or a database without the schema, is told what
# to do (not only PostgreSQL's "permission denied for table runs"), in one
# line without the server's pointer into our SQL; and the two roles can do
# what docs/central.md says, nothing more: the writer inserts and reads only
# central_schema, the reader only reads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
central_station ro
central_run ro SIM000001
assert_eq "$RUN_RC" 0 "a run: $(cat "$CENTRAL/ro/run.err")"
"$st" central sync -c "$CENTRAL/ro/station.yaml" >/dev/null || fail "the first sync"
rq=$PG_DIR/qe.pass
wq=$PG_DIR/line.pass

# a station configured with the reader's login: its runs stay queued, and
# the message names the role its login needs
sed -e 's/user=line/user=qe/' -e "s#passfile: .*#passfile: $rq#" "$CENTRAL/ro/station.yaml" \
	>"$CENTRAL/ro/reader.yaml"
"$st" run -c "$CENTRAL/ro/reader.yaml" --once --serial SIM000002 >/dev/null 2>"$CENTRAL/err" ||
	fail "a run forwarding as the reader: $(cat "$CENTRAL/err")"
assert_match "$(cat "$CENTRAL/err")" "a station's login must be in role station_writer" \
	"a run forwarding as the reader says which role"
rc=0
"$st" central sync -c "$CENTRAL/ro/reader.yaml" >/dev/null 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "a sync as the reader"
assert_match "$(cat "$CENTRAL/err")" "permission denied.*a station's login must be in role station_writer" \
	"a sync as the reader says which role"

# report, trace and export with the writer's login
for cmd in "report" "trace SIM000001" "export --what runs"; do
	rc=0
	# shellcheck disable=SC2086
	"$st" $cmd --central "$CENTRAL_URL" --passfile "$wq" >/dev/null 2>"$CENTRAL/err" || rc=$?
	assert_eq "$rc" 4 "$cmd as the writer"
	assert_match "$(cat "$CENTRAL/err")" "permission denied.*a reader's \(report, trace, export\) in station_reader" \
		"$cmd as the writer says which role"
done

# central migrate as a station: the owner's job, and only that said
rc=0
"$st" central migrate -c "$CENTRAL/ro/station.yaml" >/dev/null 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "migrate as the writer"
assert_match "$(cat "$CENTRAL/err")" "permission denied.*run it as the database's owner" "migrate as the writer"
grep -q "station_writer" "$CENTRAL/err" && fail "migrate as the writer is told of roles: $(cat "$CENTRAL/err")"

# a database without the schema: the reader is told to migrate, in one line
pg_sql "CREATE DATABASE bare" >/dev/null
rc=0
"$st" report --central "${CENTRAL_READER_URL/central?/bare?}" --passfile "$rq" >/dev/null \
	2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "a report on a database without the schema"
assert_match "$(cat "$CENTRAL/err")" "does not exist; the database has no station schema.*station central migrate" \
	"a report on a database without the schema says to migrate"
assert_eq "$(wc -l <"$CENTRAL/err")" 1 "one line: $(cat "$CENTRAL/err")"
grep -q "LINE 1" "$CENTRAL/err" && fail "the server's pointer into our SQL: $(cat "$CENTRAL/err")"

# sync exits 4 against a store that cannot take runs, even with none queued
# (docs/central.md, "By hand")
"$st" central sync -c "$CENTRAL/ro/station.yaml" >/dev/null || fail "the writer sends what the reader left"
sed 's#/central?#/bare?#' "$CENTRAL/ro/station.yaml" >"$CENTRAL/ro/bare.yaml"
rc=0
"$st" central sync -c "$CENTRAL/ro/bare.yaml" >"$CENTRAL/out" 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "a sync to a database without the schema, nothing queued"
assert_match "$(cat "$CENTRAL/out")" "0 sent, 0 still queued" "nothing queued"
assert_match "$(cat "$CENTRAL/err")" "has no station schema.*station central migrate" "a sync to a bare database"

# a password in a reader's URL: refused (usage), and where it goes instead
rc=0
"$st" report --central "postgresql://qe:pw@localhost/central" >/dev/null 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 2 "a password in the URL"
assert_match "$(cat "$CENTRAL/err")" "carries a password.*--passfile" "a reader is told of --passfile"

# libpq's two-line messages joined by one space
pg_stop
rc=0
"$st" report --central "$CENTRAL_READER_URL" --passfile "$rq" >/dev/null 2>"$CENTRAL/err" || rc=$?
assert_eq "$rc" 4 "a report with the server down"
assert_match "$(cat "$CENTRAL/err")" "cannot connect: .*Is the server running" "server down"
grep -q "  " "$CENTRAL/err" && fail "doubled spaces: $(cat "$CENTRAL/err")"
pg_resume

# the roles (docs/central.md, Set-up 2): writer INSERT only, reader SELECT only
as() {	# as LOGIN PASSFILE URL SQL: psql's exit status
	PGPASSFILE=$2 psql -X -q -A -t -v ON_ERROR_STOP=1 "$3" -c "$4" >/dev/null 2>&1
}
as line "$wq" "$CENTRAL_URL" "SELECT max(version) FROM central_schema" ||
	fail "the writer reads central_schema"
for q in "SELECT count(*) FROM runs" "SELECT count(*) FROM measurements" "UPDATE runs SET outcome = 'fail'" \
	"DELETE FROM measurements" "TRUNCATE runs" "DELETE FROM sum_cells" "SELECT central_summarise_all()" \
	"CREATE TABLE x (a int)" "CREATE TEMP TABLE x (a int)"; do
	as line "$wq" "$CENTRAL_URL" "$q" && fail "the writer may: $q"
done
as qe "$rq" "$CENTRAL_READER_URL" "SELECT count(*) FROM runs JOIN measurements m ON m.run_id = runs.id" ||
	fail "the reader reads"
for q in "INSERT INTO runs (id) VALUES ('x')" "UPDATE runs SET outcome = 'fail'" "DELETE FROM runs" \
	"UPDATE cms_registrations SET status = 'failed'" "SELECT central_summarise_runs(ARRAY['x'])" \
	"SELECT central_summarise_all()" "CREATE TABLE x (a int)" "CREATE TEMP TABLE x (a int)" \
	"SELECT * FROM central_stations"; do
	as qe "$rq" "$CENTRAL_READER_URL" "$q" && fail "the reader may: $q"
done
# (version 10: TEMPORARY revoked from PUBLIC; the summaries' temporary
# tables are the owner's, in SECURITY DEFINER functions: the writer's
# forward above summarised its runs)
assert_eq "$(pg_sql "SELECT count(*) FROM sum_runs")" "2" "the runs summarised"
as line "$wq" "$CENTRAL_URL" "SELECT * FROM central_stations" && fail "the writer reads the bindings"
as line "$wq" "$CENTRAL_URL" "INSERT INTO central_stations (login, station) VALUES ('line', 'x')" &&
	fail "the writer binds itself"
assert_eq "$(pg_sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE outcome = 'pass') FROM runs")" "2 2" \
	"nothing changed"
echo "ok"
