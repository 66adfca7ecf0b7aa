#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Central schema 11: the measurements by name and run, their values in the
# index (measurements_name_run, central/schema_v11.c).  A store at version
# 10 with runs in it is upgraded; `report --spc` gives, under every filter
# and window, what it gave at 10 and what a fresh store of the same runs
# gives; and its points are read from the index alone (an index-only scan:
# the index counts its reads, and no row fetched from the table).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
pg_sql "CREATE DATABASE fresh" >/dev/null
"$st" central migrate --url "${PG_ADMIN/central?/fresh?}" >/dev/null || fail "migrate fresh"
central_drop_v11

# rows DB: 240 runs over ten days on two stations, three fixtures, 40
# serials (retests), sequences ict and final; v1 in every ict run but some
# (none, NULL, twice in a run; a chart is of one sequence: report/spc.c),
# v2 and 18 more beside it (20 a run, as on bench/central_gen.sql's store)
rows() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "$1" -c "
	INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version,
		started_us, ended_us, outcome)
	SELECT md5(i::text), 'U' || (i % 40), 'st' || (i % 2), 'f' || (i % 3),
		CASE WHEN i % 4 = 0 THEN 'final' ELSE 'ict' END, '1',
		1767225600000000 + i * 3600000000::bigint, 1767225600000000 + i * 3600000000::bigint + 1000000,
		CASE WHEN i % 7 = 0 THEN 'fail' WHEN i % 23 = 0 THEN 'error' ELSE 'pass' END
	FROM generate_series(1, 240) i;
	INSERT INTO steps (run_id, id, idx, name, outcome)
	SELECT id, s, s - 1, 's' || s, 'pass' FROM runs, generate_series(1, 2) s;
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
	SELECT id, 1, 1, 'v1', CASE WHEN started_us % 13 <> 0 THEN 5 + sin(started_us / 3600000000.0) END,
		'V', 0, 10, 'pass', started_us FROM runs WHERE started_us % 17 <> 0 AND sequence_name = 'ict';
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
	SELECT id, 2, 2, 'v2', 3 + cos(started_us / 3600000000.0), 'A', NULL, 5, 'pass', started_us
	FROM runs;
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
	SELECT id, 3, 2, 'v1', 6, 'V', 0, 10, 'pass', started_us FROM runs
	WHERE started_us % 19 = 0 AND sequence_name = 'ict';
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
	SELECT id, 3 + k, 2, 'w' || k, k, 'V', 0, 20, 'pass', started_us
	FROM runs, generate_series(1, 18) k;
	SELECT central_summarise_runs(ARRAY(SELECT id FROM runs ORDER BY id OFFSET b * 16 LIMIT 16))
	FROM generate_series(0, 14) b" -c "VACUUM ANALYZE runs, measurements" >/dev/null ||
		fail "rows of $1"
}
rows central
rows fresh

spc() {	# spc DB OUT: --spc v1 under each filter, JSON without its date and log
	local url=${CENTRAL_READER_URL/central?/$1?} f
	: >"$2"
	for f in "" "--last 5" "--last 5 --baseline 4" "--last 0" "--all-runs --last 7" \
		"--fixture f1 --last 6" "--station st1 --last 5" "--sequence ict --last 3" \
		"--since 2026-01-03 --until 2026-01-07 --last 8" \
		"--since 2026-01-02T05:00 --until 2026-01-06T07:00 --station st0 --last 4" \
		"--outcome pass --last 5" "--serial U7 --last 2"; do
		# shellcheck disable=SC2086
		"$st" report --central "$url" --passfile "$PG_DIR/qe.pass" -f json --spc v1 $f |
			sed -E 's/"generated": *"[^"]*"/"generated": ""/; s/"log": *"[^"]*"/"log": ""/' \
			>>"$2" || fail "report --spc v1 $f on $1"
	done
}
spc central "$CENTRAL/v10.json"
spc fresh "$CENTRAL/fresh.json"
grep -q '"value"' "$CENTRAL/fresh.json" || fail "no points: $(head -c 600 "$CENTRAL/fresh.json")"
assert_eq "$(pg_sql "SELECT count(*) FROM pg_indexes WHERE indexname = 'measurements_name_run'")" "0" \
	"no index at version 10"

assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 10 -> 15" "the upgrade"
assert_eq "$(pg_sql "SELECT indexdef FROM pg_indexes WHERE indexname = 'measurements_name_run'")" \
	"CREATE INDEX measurements_name_run ON public.measurements USING btree (name, run_id) INCLUDE (value, unit, id)" \
	"the index after the upgrade"
spc central "$CENTRAL/v11.json"
cmp -s "$CENTRAL/v11.json" "$CENTRAL/fresh.json" ||
	fail "the upgraded store's charts are not the fresh store's: $(diff "$CENTRAL/v11.json" "$CENTRAL/fresh.json" | head -20)"
cmp -s "$CENTRAL/v11.json" "$CENTRAL/v10.json" ||
	fail "the charts changed with the upgrade: $(diff "$CENTRAL/v10.json" "$CENTRAL/v11.json" | head -20)"

# the points from the index alone: on this small store the planner would
# read the tables whole, so whole reads (sequential scans, hash and merge
# joins) are priced out, as the size of a real store prices them; each
# look-up of a run's v1 in a window is then an index-only scan of
# measurements_name_run: its scans counted, no row fetched from the table
# (vacuumed: every page visible; the statement before version 11 named the
# measurements' started_us, which the index does not hold)
ixstat() {
	pg_sql "SELECT pg_stat_clear_snapshot(); SELECT idx_scan || ' ' || idx_tup_fetch
		FROM pg_stat_user_indexes WHERE indexrelname = 'measurements_name_run'" | tail -n 1
}
pg_sql "VACUUM measurements" >/dev/null
before=$(ixstat)
PGOPTIONS="-c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off" \
	"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json --spc v1 --last 5 --since 2026-01-02 --until 2026-01-09 \
	>/dev/null || fail "report --spc, no seq scans"
# the server counts a session's reads when it ends, after the command
for _ in $(seq 50); do
	[ "$(ixstat)" = "$before" ] || break
	sleep 0.1
done
read -r scans0 fetched0 <<<"$before"
read -r scans1 fetched1 <<<"$(ixstat)"
[ "$scans1" -gt "$scans0" ] || fail "--spc did not read measurements_name_run ($before -> $scans1 $fetched1)"
assert_eq "$fetched1" "$fetched0" "rows fetched from the table by --spc's look-ups"
echo "ok"
