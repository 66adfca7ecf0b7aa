#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/central.md's examples run as written, against a real PostgreSQL: the
# migrate command, the roles' SQL, the station.yaml (parsed), the status and
# sync commands, and every query (as a reader-role login) on runs a station
# forwarded, with the answers checked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station
doc=$ST_TOP/docs/central.md

block() {	# LANG N: the Nth fenced block of LANG in the doc
	awk -v lang="$1" -v want="$2" '
		$0 ~ "^ *```" lang "$" { n++; on = (n == want); next }
		/^ *```/ { on = 0; next }
		on { sub(/^   /, ""); print }' "$doc"
}

pg_start
t=$(st_tmpdir)
# 1. migrate, the doc's command with this server's URL
cmd=$(block sh 1)
assert_match "$cmd" "^station central migrate --url \"postgresql://db.plant/central\?user=postgres\"$" "the migrate example"
out=$("$st" central migrate --url "$PG_ADMIN")
assert_match "$out" "schema version 0 -> 15" "migrate as in the doc"
# 2. the roles
pg_sql "$(block sql 1)" >/dev/null
assert_eq "$(pg_sql "SELECT string_agg(r.rolname || '>' || g.rolname, ' ' ORDER BY r.rolname)
	FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member JOIN pg_roles g ON g.oid = a.roleid
	WHERE r.rolname IN ('line1', 'quality')")" "line1>station_writer quality>station_reader" "the doc's roles"
assert_eq "$(pg_sql "SELECT string_agg(login || ' ' || station, ',' ORDER BY station) FROM central_stations")" \
	"line1 line1-st01,line1 line1-st02" "the doc's bindings"
# the password as the doc sets it: psql's \password (prompts; here on stdin)
cmd=$(block text 1)
assert_match "$cmd" "^psql \"postgresql://db.plant/central\?user=postgres\" -c '.password line1'$" "the doc's \\password"
printf 'Doc-pw-1\nDoc-pw-1\n' | setsid -w psql -X -q "$PG_ADMIN" -c '\password line1' >/dev/null 2>&1 ||
	fail "psql \\password line1 as the doc gives it"
assert_match "$(pg_sql "SELECT rolpassword FROM pg_authid WHERE rolname = 'line1'")" '^SCRAM-SHA-256\$' \
	"line1's password stored hashed"
# 3. the station.yaml example parses (status reads the log, then finds no
# db.plant here: exit 4, saying so)
block yaml 1 >"$t/station.yaml"
# (its passfile, as the doc has the plant write it: a station.yaml's files
# are checked when it loads)
printf 'db.plant:5432:central:line1:Doc-pw-1\n' >"$t/central.pass"
chmod 600 "$t/central.pass"
"$st" db migrate --db "$t/station.db" >/dev/null
rc=0; "$st" central status -c "$t/station.yaml" >"$t/status.out" 2>"$t/status.err" || rc=$?
assert_eq "$(cat "$t/status.out")" "central status: 0 run(s) queued in $t/station.db" \
	"the doc's station.yaml"
assert_eq "$rc" "4" "the doc's store is not reachable from here"
assert_match "$(cat "$t/status.err")" "db\.plant" "status names the store it cannot reach"
grep -q "sslmode=verify-full" "$t/station.yaml" || fail "the example uses verify-full"

# 4. a station forwarding, then the doc's status and sync commands
central_setup
central_station kd
central_run kd SIM000901
assert_eq "$RUN_RC" "0" "the unit passes"
central_run kd SIM000902
ran=0
while read -r line; do
	cmd=${line%%#*}
	cmd=${cmd/station.yaml/$CENTRAL/kd/station.yaml}
	read -ra argv <<<"$cmd"
	out=$("$st" "${argv[@]:1}")
	assert_match "$out" "(0 run\(s\) queued|0 sent, 0 still queued)" "$line"
	[[ $line != *status* ]] || assert_match "$out" "reachable, schema version [0-9]+ as this station writes" \
		"status: the store reachable"
	ran=$((ran + 1))
done < <(block sh 2)
assert_eq "$ran" "2" "the status and sync examples ran"

# 5. the report example, with this server's URL and passfile
cmd=$(block sh 3)
assert_match "$cmd" '^station report --central "postgresql://db.plant/central\?user=quality" --passfile quality.pass --station line1-st01$' \
	"the report example"
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" --station kd >"$t/report.txt"
grep -q "^yield             2 of 2 units passed" "$t/report.txt" || fail "report --central: $(head -5 "$t/report.txt")"
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" --station line1-st01 >"$t/none.txt"
grep -q "^yield             0 of 0 units" "$t/none.txt" || fail "another station: $(head -5 "$t/none.txt")"

# 6. the reading commands on the store, with this server's URL and passfile,
# line1-st01 being the station kd here
n=0
while read -r line; do
	line=${line//\"/}	# the URL's quotes: for the shell, not part of it
	line=${line//"postgresql://db.plant/central?user=quality"/"$CENTRAL_READER_URL"}
	line=${line//"quality.pass"/"$PG_DIR/qe.pass"}
	line=${line//"line1-st01"/kd}
	read -ra argv <<<"$line"
	out=$(cd "$t" && "$st" "${argv[@]:1}") || fail "$line"
	case $line in
	*group-by*) assert_match "$out" $'\n  kd +2 +2 +2 +100.0%' "by station: kd's 2 runs, 2 of 2 units passed" ;;
	*operations*) assert_match "$out" "central-e2e" "the operation" ;;
	*capability*) assert_match "$out" "rail 3V3,rail_3v3" "the rail's capability" ;;
	*spc*) grep -q "<svg" "$t/rail.html" || fail "the control chart" ;;
	*trace*) assert_match "$out" "SIM000901" "the unit's history" ;;
	*export*) assert_eq "$(wc -l <"$t/kd.csv")" "3" "a header and the two units' rail" ;;
	*) fail "an example the test does not know: $line" ;;
	esac
	n=$((n + 1))
done < <(block sh 4)
assert_eq "$n" "6" "the reading examples ran"

# 7. the queries, as the reader
q() { PGPASSFILE=$PG_DIR/qe.pass psql -X -q -A -t -v ON_ERROR_STOP=1 "$CENTRAL_READER_URL" -c "$1"; }
today=$(pg_sql "SELECT started::date FROM runs LIMIT 1")
assert_eq "$(q "$(block sql 2)")" "kd|$today|2|2|2" "yield by station and day"
assert_match "$(q "$(block sql 3)")" "^[0-9-]+ [0-9:.+]+\|kd\|kd\|central-e2e\|pass\|$" "one unit's history"
cpk=$(q "$(block sql 4)")
# per station and fixture: fixture names repeat across stations
assert_match "$cpk" "^kd\|kd\|2\|3\.[0-9]+\|[0-9.e-]*\|[0-9.e-]*$" "Ppk by station and fixture"
assert_match "$(q "$(block sql 5)")" "^kd\|2\|[0-9.]+\|[0-9.]+$" "lag per station"

# 6b. the planner's share of a run's measurements, set again as the doc says
pg_sql "$(block text 2)" >/dev/null
assert_eq "$(pg_sql "SELECT array_to_string(attoptions, ',') FROM pg_attribute WHERE attname = 'run_id'
	AND attrelid = 'measurements'::regclass")" "n_distinct=-0.01" "the doc's n_distinct"

# 7. retention: the oldest run still waiting for the CMS, on the station's log
# (the doc's query, out of its text): none here
cmsq=$(tr '\n' ' ' <"$doc" | grep -o 'SELECT min(r.started_us) FROM cms_registrations[^`]*')
[ -n "$cmsq" ] || fail "the doc's CMS queue query"
sqlite3 -batch "$CENTRAL/kd/kd.db" "INSERT INTO cms_registrations (step_id, run_id, status)
	SELECT s.id, s.run_id, 'queued' FROM steps s JOIN runs r ON r.id = s.run_id
	WHERE r.unit_serial = 'SIM000902' LIMIT 1"
assert_eq "$(sqlite3 -batch "$CENTRAL/kd/kd.db" "$cmsq")" \
	"$(sqlite3 -batch "$CENTRAL/kd/kd.db" "SELECT started_us FROM runs WHERE unit_serial = 'SIM000902'")" \
	"the doc's query finds the run a queued registration holds"
# a run deleted as in the doc, the summaries built again
rid=$(pg_sql "SELECT id FROM runs WHERE unit_serial = 'SIM000901'")
pg_sql "DELETE FROM measurements WHERE run_id = '$rid'; DELETE FROM steps WHERE run_id = '$rid';
	DELETE FROM step_values WHERE run_id = '$rid'; DELETE FROM runs WHERE id = '$rid'" >/dev/null
assert_eq "$(pg_sql "SELECT sum(runs) FROM sum_cells WHERE level = 'a'")" "2" "stale summaries before"
assert_eq "$(pg_sql "SELECT sum(n) FROM sum_cap")" "2" "stale capability cells before"
pg_sql "$(block sql 6)" >/dev/null
assert_eq "$(pg_sql "SELECT sum(runs) || ' ' || sum(units) FROM sum_cells WHERE level = 'a'")" "1 1" \
	"the summaries rebuilt from the rows left"
assert_eq "$(pg_sql "SELECT sum(n) FROM sum_cap")" "1" "the capability cells rebuilt from the rows left"
assert_eq "$(pg_sql "SELECT (SELECT sum(n) FROM sum_cap_day) || ' ' || (SELECT sum(n) FROM sum_cap_month)")" \
	"1 1" "their days and months too"
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" --station kd >"$t/report.txt"
grep -q "^yield             1 of 1 units passed" "$t/report.txt" || fail "report after retention: $(head -5 "$t/report.txt")"
echo ok
