#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs without a sequence that older stations stored as '' (before the
# forwarder sent NULL): the migration to central schema 10 sets them to
# NULL and computes again only the summaries they touch, so that `report
# --central` on the migrated store gives the figures of the same runs
# forwarded with NULL into a fresh store: units per operation, first-pass
# yield, measurements and their histograms, capability.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
pg_sql "CREATE DATABASE fresh" >/dev/null
"$st" central migrate --url "${PG_ADMIN/central?/fresh?}" >/dev/null || fail "migrate fresh"

# rows DB SEQ: 60 runs over four days on two stations, three fixtures,
# seven serials, sequence 'ict' or none: NULL (a newer station's) or SEQ
# ('' as an older station wrote it, or NULL), passes, failures and errors, two measurements (one of them
# one-sided), summarised 16 runs a call as a station forwards them
rows() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "$1" -c "
	INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version,
		started_us, ended_us, outcome)
	SELECT lpad(to_hex(i), 32, '0'), 'U' || (i % 7), 'st' || (i % 2), 'f' || (i % 3),
		CASE WHEN i % 5 = 0 THEN 'ict' WHEN i % 3 = 0 THEN NULL ELSE $2 END, '1',
		1767225600000000 + i * 5400000000::bigint, 1767225600000000 + i * 5400000000::bigint + 1000000,
		CASE WHEN i % 4 = 0 THEN 'fail' WHEN i % 11 = 0 THEN 'error' ELSE 'pass' END
	FROM generate_series(1, 60) i;
	INSERT INTO steps (run_id, id, idx, name, outcome)
	SELECT id, s, s - 1, 's' || s, CASE WHEN s = 2 AND outcome = 'fail' THEN 'fail' ELSE 'pass' END
	FROM runs, generate_series(1, 2) s;
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
	SELECT id, 1, 1, 'v1', 5 + sin(started_us / 5400000000.0), 'V', 0, 10, 'pass', started_us FROM runs;
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
	SELECT id, 2, 2, 'v2', 3 + 2 * cos(started_us / 5400000000.0), 'A', NULL, 5, 'pass', started_us
	FROM runs;
	SELECT central_summarise_runs(ARRAY(SELECT id FROM runs ORDER BY id OFFSET b * 16 LIMIT 16))
	FROM generate_series(0, 3) b;" >/dev/null || fail "rows of $1"
}
# the old store: at version 9, its runs without a sequence stored as ''
central_drop_v10
rows central "''"
rows fresh NULL
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE sequence_name = ''")" "32" "'' runs at version 9"

reports() {	# reports DB OUT: the report's figures under each filter, JSON
	local url=${CENTRAL_READER_URL/central?/$1?} f
	: >"$2"
	for f in "" "--station st1" "--fixture f2" "--since 2026-01-02 --until 2026-01-04" \
		"--with-errors" "--group-by station" "--operations" "--capability" \
		"--capability --station st0" "--since 2026-01-01T05:00 --until 2026-01-03T07:00"; do
		# shellcheck disable=SC2086
		"$st" report --central "$url" --passfile "$PG_DIR/qe.pass" -f json $f |
			sed -E 's/"generated": *"[^"]*"/"generated": ""/' | python3 -c '
import json, sys
d = json.load(sys.stdin)
d.pop("log", None)	# the database'"'"'s name
print(json.dumps(d))' >>"$2" || fail "report $f on $1"
	done
	python3 -c 'import json, sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))' \
		"$2" >"$2.json"
}
reports fresh "$CENTRAL/fresh.out"
reports central "$CENTRAL/old.out"
central_cap_same "$CENTRAL/old.out.json" "$CENTRAL/fresh.out.json" >/dev/null &&
	fail "'' and NULL already give the same figures: the test tells nothing"

assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 9 -> 15" "the upgrade"
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE sequence_name = ''")" "0" "no '' left"
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE sequence_name IS NULL")" "48" "NULL instead"
for t in sum_meas_keys sum_cap_keys; do
	assert_eq "$(pg_sql "SELECT count(*) FROM $t WHERE sequence_name = ''")" "0" "no '' key in $t"
done
reports central "$CENTRAL/old.out"
central_cap_same "$CENTRAL/old.out.json" "$CENTRAL/fresh.out.json" ||
	fail "the migrated store's figures are not the fresh store's"
# the cells themselves: the same counts as the fresh store's
cells() {
	psql -X -q -A -t -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "$1" -c "
	SELECT level, day, station, fixture, sequence_name, sequence_version, outcome, runs, units,
		passed, first_units, first_passed FROM sum_cells ORDER BY 1, 2, 3, 4, 5, 6, 7;
	SELECT c.level, c.day, c.station, c.fixture, c.sequence_name, c.outcome, k.step, k.name, m.n,
		m.min, m.max, m.out_low, m.out_high, m.bins FROM sum_meas m JOIN sum_cells c ON c.id = m.cell
		JOIN sum_meas_keys k ON k.id = m.key ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14;
	SELECT (SELECT count(*) FROM sum_unit_cells), (SELECT count(*) FROM sum_unit_cells WHERE multi),
		(SELECT count(*) FROM sum_unit_first), (SELECT count(*) FROM sum_cap),
		(SELECT count(*) FROM sum_cap_day), (SELECT count(*) FROM sum_cap_month)"
}
assert_eq "$(cells central)" "$(cells fresh)" "the migrated store's cells are the fresh store's"
echo "ok"
