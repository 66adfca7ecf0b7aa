#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station export, trace and report --spc / --capability / --operations /
# --group-by give, byte for byte, the same output on the central store as on
# the same runs in one SQLite log: three stations forward (passes, rail
# failures, a unit retested on another station, operators and work orders);
# their logs merged into one file by hand; every command run on both, in
# every format, unfiltered and with --station and the other filters; then
# the figures of --group-by station checked, and the same answers from a
# --db postgresql:// URL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
central_station s1
central_station s2 --rail 3v3=3.350
central_station s3 --rail 3v3=2.950
central_run s1 U1 --operator ann --var work_order=WO1
central_run s1 U2 --operator bob
central_run s3 U3 --operator ann	# fails its rail ...
central_run s2 U3 --operator bob	# ... passes on s2: U3's first run failed
central_run s2 U4 --var work_order=WO2
central_run s3 U5
central_run s1 U1 --operator bob	# a retest of a passed unit
for s in s1 s2 s3; do
	assert_eq "$(sql "$CENTRAL/$s/$s.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")" "0" "$s forwarded"
done
m=$CENTRAL/merged.db
central_merge "$m" s1 s2 s3
assert_eq "$(sql "$m" "SELECT count(*) FROM runs")" "7" "seven runs merged"

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
same() { central_same "$m" "$@"; }
filters=("" "--station s2" "--station s3" "--outcome fail" "--serial U3" "--operator ann"
	"--work-order WO1" "--since @1 --until 2999-01-01")
i=0
for fl in "${filters[@]}"; do	# each filter with every command, a format in turn
	read -ra f <<<"$fl"
	i=$((i + 1))
	for what in runs steps measurements wide; do
		same export --what "$what" -f csv "${f[@]}"
		same export --what "$what" -f jsonl "${f[@]}"
	done
	same report --spc rail_3v3 -f "$(echo text json html | cut -d' ' -f$((i % 3 + 1)))" "${f[@]}"
	same report --spc rail_3v3 --all-runs --baseline 2 -f json "${f[@]}"
	# a window of the latest points: the log reads both ends, the store gives
	# every point (kept in a ring by report/spc.c): the same chart
	same report --spc rail_3v3 --all-runs --baseline 2 --last 3 -f json "${f[@]}"
	fmt=$(echo text json csv | cut -d' ' -f$((i % 3 + 1)))
	same report --capability -f "$fmt" "${f[@]}"
	same report --capability --all-runs -f "$fmt" "${f[@]}"
	same report --capability --subgroups -f "$fmt" "${f[@]}"
	same report --operations -f "$fmt" "${f[@]}"
	same report --operations --with-errors -f "$fmt" "${f[@]}"
	for key in station fixture operator work-order day hour; do
		same report --group-by "$key" -f "$fmt" "${f[@]}"
	done
	same report --group-by station --with-errors -f "$fmt" "${f[@]}"
	same report --group-by hour --tz Asia/Kolkata -f json "${f[@]}"
done
# the plant's shifts from a station.yaml (docs/quality.md's)
printf 'plant:\n  timezone: Europe/Berlin\n  shifts:\n    - {name: early, start: "06:00"}\n    - {name: late, start: "14:00"}\n    - {name: night, start: "22:00"}\n' >"$CENTRAL/plant.yaml"
for fmt in text json csv; do
	same report --group-by shift --config "$CENTRAL/plant.yaml" -f "$fmt"
	same report --group-by shift --config "$CENTRAL/plant.yaml" --station s1 -f "$fmt"
done
for u in U1 U2 U3 U4 U5; do
	for fmt in text json; do
		same trace "$u" -f "$fmt"
	done
done
# the report's totals too (its JSON names the store: compared without it)
for fl in "--operator ann" "--work-order WO1" "--station s1 --operator bob" "--with-errors" \
	"--station s3 --with-errors"; do
	read -ra f <<<"$fl"
	"$st" report -f json --since @1 "${f[@]}" --db "$m" -o "$CENTRAL/log.json"
	"$st" report -f json --since @1 "${f[@]}" "${CEN[@]}" -o "$CENTRAL/central.json"
	python3 - "$CENTRAL/log.json" "$CENTRAL/central.json" <<'PY' || fail "report totals differ: $fl"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("total", "days", "failures", "error_runs", "aborted_runs", "unidentified_runs")
sys.exit(0 if [a.get(k) for k in keys] == [b.get(k) for k in keys] and a["total"]["runs"] else 1)
PY
done
same trace U3 -f label		# no identity: nothing to print, on both
same trace NOSUCH		# no such unit, on both
echo "compared $CENTRAL_SAME_N outputs"

# what they agree on is right: U3 failed on s3, passed on s2; U1 twice on s1
"$st" report --group-by station -f json "${CEN[@]}" >"$CENTRAL/by-station.json"
assert_eq "$(python3 -c 'import json, sys
for g in json.load(open(sys.argv[1]))["groups"]:
    print(g["key"], g["runs"], g["units"], g["passed"], g["first_units"], g["first_passed"])' \
	"$CENTRAL/by-station.json" | tr '\n' ' ')" "s1 3 2 2 2 2 s2 2 2 2 1 1 s3 2 2 0 2 0 " \
	"yield and first-pass yield by station (U3 first failed on s3)"
assert_eq "$("$st" export --what runs -f csv --station s3 "${CEN[@]}" | tail -n +2 | cut -d, -f2 | tr -d '\r' | sort | tr '\n' ' ')" \
	"U3 U5 " "--station s3's runs"
assert_match "$("$st" trace U3 "${CEN[@]}")" "s3.*fail.*s2.*pass" "U3's history across stations"
# a postgresql:// URL as --db is the central store too
PGPASSFILE=$PG_DIR/qe.pass "$st" export --what runs --db "$CENTRAL_READER_URL" >"$CENTRAL/url.csv" ||
	fail "export --db postgresql://"
"$st" export --what runs "${CEN[@]}" | cmp -s - "$CENTRAL/url.csv" || fail "--db URL differs from --central"
# the writer may not read, whatever the command
rc=0; "$st" export --central "$CENTRAL_URL" --passfile "$CENTRAL_PASS" >/dev/null 2>"$CENTRAL/w.err" || rc=$?
assert_eq "$rc" "4" "the writer role cannot export"
assert_match "$(cat "$CENTRAL/w.err")" "permission denied" "says why"
# two stores named at once is a mistake too (--config only names the plant)
rc=0; "$st" export --db "$m" "${CEN[@]}" >/dev/null 2>"$CENTRAL/two.err" || rc=$?
assert_eq "$rc" "2" "--db and --central"
assert_match "$(cat "$CENTRAL/two.err")" "give one" "says what to do"
# --passfile alone is a mistake, not a log read
rc=0; "$st" export --passfile "$PG_DIR/qe.pass" --db "$m" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" "2" "--passfile without --central"

# times: SQLite's strftime('%f') rounds in doubles; the central store's
# CPR_ISO does the same arithmetic.  Runs of a station "synth" with start
# times all around the half milliseconds, in both stores, exported by both.
python3 - "$CENTRAL/synth.sql" <<'PY'
import random, sys
random.seed(19)
rows = []
for i in range(4000):
    base = random.randrange(1_500_000_000, 4_000_000_000) * 1_000_000 + random.randrange(1000) * 1000
    us = base + 500 + random.randrange(-40, 41) if i % 2 else base + random.randrange(1_000_000)
    rows.append("('%032x', 'synth', 'f', %d, %d, 'pass')" % (i, us, us + random.randrange(10**7)))
open(sys.argv[1], "w").write("INSERT INTO runs (id, station, fixture, started_us, ended_us, outcome) VALUES\n"
                             + ",\n".join(rows) + ";\n")
PY
# and one with what a server's or a role's settings could change in transit:
# a real that needs 17 digits (0.1 + 0.2, just beyond its limit 0.3), an
# operator's name beyond ASCII
one=00000000000000000000000000000001
echo "UPDATE runs SET operator = 'Jürgen Ødegård' WHERE id = '$one';" >>"$CENTRAL/synth.sql"
cp "$CENTRAL/synth.sql" "$CENTRAL/synth-pg.sql"
echo "INSERT INTO steps (id, run_id, idx, name, outcome) VALUES (9000001, '$one', 0, 'sum', 'pass');
INSERT INTO measurements (id, step_id, name, value, high, outcome)
	VALUES (9000001, 9000001, 'sum', 0.1 + 0.2, 0.3, 'fail');" >>"$CENTRAL/synth.sql"
echo "INSERT INTO steps (run_id, id, idx, name, outcome) VALUES ('$one', 9000001, 0, 'sum', 'pass');
INSERT INTO measurements (run_id, id, step_id, name, value, high, outcome, started_us)
	SELECT id, 9000001, 9000001, 'sum', 0.1::float8 + 0.2::float8, 0.3, 'fail', started_us
	FROM runs WHERE id = '$one';
-- and summarised, as forwarding would: --since @1 reads the cells of its
-- whole days (and the rows of its first)
SELECT central_summarise_runs(array_agg(id ORDER BY started_us)) FROM runs
	WHERE station = 'synth';" >>"$CENTRAL/synth-pg.sql"
sqlite3 "$m" <"$CENTRAL/synth.sql" || fail "synthetic runs into the log"
# rows written by hand: the log's summaries recomputed, which its report
# reads for the whole hours of a window in seconds (--since @1) too
"$st" db rebuild --db "$m" >/dev/null || fail "rebuilding the merged log's summaries"
# a role whose defaults print reals to 15 digits (every server before
# PostgreSQL 12) and text as LATIN1: a reading session sets its own
pg_sql "ALTER ROLE qe SET extra_float_digits = 0; ALTER ROLE qe SET client_encoding = 'LATIN1'" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -U postgres -d central -f "$CENTRAL/synth-pg.sql" >/dev/null ||
	fail "synthetic runs into the central store"
same export --what runs --station synth
assert_eq "$(wc -l <"$CENTRAL/log.out")" "4001" "every synthetic run exported"
for store in "--db $m" "${CEN[*]}"; do
	read -ra a <<<"$store"
	assert_eq "$("$st" report -f json --station synth --since @1 "${a[@]}" | python3 -c 'import json, sys
print([m["beyond_high"] for m in json.load(sys.stdin)["measurements"]])')" "[1]" \
		"0.1 + 0.2 is beyond 0.3 (${a[0]})"
done
same export --what runs --station synth --operator "Jürgen Ødegård"
assert_eq "$(wc -l <"$CENTRAL/log.out")" "2" "the operator's name, matched and printed"
echo ok
