#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report --capability on the central store filtered by an outcome, an
# operator, a work order, a part number or a revision (central schema 14):
# the capability cells whose runs all match the filter, at each level
# (months, days, hours), combined with the filter's runs of the mixed hours
# read from the rows, give the figures of the rows alone for every such
# filter and window; an operator who never shares an hour of a fixture is
# answered without reading one measurement (the server refuses to show
# them); the line values kept as runs come, late and out of order, equal
# those the migration builds from the rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
# bursts as t_central_capcells' (8 runs 5 minutes apart every 9 hours from
# 2026-01-20, across an hour now and then; station c % 3, fixture f(c/3 % 2);
# retests, failures, errors, runs without a serial): the operator is the
# station's (ann, bob, cy), but every seventh burst on s1 and s2 passes from
# one to the other run by run (mixed hours); cy works s3 alone, and never
# shares an hour; the work order changes every 10 bursts, the part number
# is NULL every fifth burst, the revision alternates run by run in every
# fourth burst
runs_sql() {	# FIRST LAST: bursts' runs i in [FIRST, LAST]
	echo "CREATE TEMP TABLE g AS SELECT i, i / 8 AS c, md5('cl' || i) AS id,
	1768867200000000 + (i / 8) * 32400000000 + ((i / 8) * 37 % 60) * 60000000::bigint
		+ (i % 8) * 300000000::bigint AS t FROM generate_series($1, $2) AS i;
INSERT INTO runs (id, unit_serial, station, fixture, operator, work_order, part_number, revision,
	sequence_name, sequence_version, started_us, ended_us, outcome)
SELECT id, CASE WHEN i % 31 = 0 THEN NULL WHEN i % 10 = 9 THEN 'P' || (i - 1) ELSE 'P' || i END,
	's' || (c % 3 + 1), 'f' || (c / 3 % 2 + 1),
	CASE WHEN c % 3 = 2 THEN 'cy' WHEN c % 7 = 0 AND i % 2 = 1 THEN
		CASE WHEN c % 3 = 0 THEN 'bob' ELSE 'ann' END
		WHEN c % 3 = 0 THEN 'ann' ELSE 'bob' END,
	'WO' || (c / 10), CASE WHEN c % 5 <> 0 THEN 'PN-7' END,
	CASE WHEN c % 4 = 0 AND i % 2 = 1 THEN 'B' ELSE 'A' END,
	CASE WHEN c % 3 = 2 THEN 'final' ELSE 'ict' END, '1.0', t, t + 60000000,
	CASE WHEN i % 29 = 0 THEN 'error' WHEN i % 13 = 0 THEN 'fail' ELSE 'pass' END FROM g;
INSERT INTO steps (run_id, id, idx, name, outcome) SELECT id, 1, 0, 'measure', 'pass' FROM g;
INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
SELECT id, j, 1, 'v' || j, CASE WHEN j = 1 THEN 1.0 + c * 0.0002
		+ 0.01 * ((i * 7919 % 1000) / 1000.0 - 0.5) ELSE 3.0 + (i * 104729 % 997) / 997.0 END,
	CASE WHEN j = 1 THEN 'V' ELSE 'Pa' END, CASE WHEN j = 1 THEN 0.9 END,
	CASE WHEN j = 1 THEN 1.1 ELSE 5.0 END, 'pass', t FROM g CROSS JOIN generate_series(1, 2) AS j;
DROP TABLE g;"
}
# the runs in, summarised in five batches out of time order (a late batch's
# runs take their units' first places from runs summarised before)
pg_sql "$(runs_sql 0 959)
SELECT central_summarise_runs(array_agg(id ORDER BY started_us)) FROM runs
	GROUP BY abs(hashtext(id)) % 5 ORDER BY abs(hashtext(id)) % 5 DESC" >/dev/null ||
	fail "the runs into the store"
lines() {
	pg_sql "SELECT level, station, fixture, hour, outcome, operator, work_order, part_number,
		revision FROM sum_cap_lines ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
}
lines >"$CENTRAL/lines.kept"
assert_match "$(pg_sql "SELECT count(*) FROM (SELECT station, fixture, hour FROM sum_cap_lines
	WHERE level = 'h' GROUP BY 1, 2, 3 HAVING count(DISTINCT operator) > 1) m")" '^[1-9][0-9]*$' \
	"hours of two operators"

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
windows=("" "--since 2026-01-25T05:00 --until 2026-03-02T07:00" "--since 2026-01-31T13:00"
	"--until 2026-02-11T17:00" "--since 2026-02-01 --until 2026-03-01"
	"--since 2026-02-14T21:00 --until 2026-02-15T04:00")
filters=("--operator ann" "--operator bob --station s2" "--operator cy" "--work-order WO3"
	"--part-number PN-7 --fixture f2" "--revision B" "--outcome pass" "--outcome fail"
	"--operator ann --work-order WO5 --revision A" "--operator nobody"
	"--operator bob --outcome pass --sequence ict@1.0")
for w in "${windows[@]}"; do
	for f in "${filters[@]}"; do
		# shellcheck disable=SC2086
		central_capsame $w $f
	done
done
# shellcheck disable=SC2086
central_capsame --subgroups --operator ann
assert_match "$(cat "$CENTRAL/cells.json")" '"n": [1-9]' "--operator ann: values"

# cy's hours are all hers: her figures come from the cells alone, with the
# server refusing to show the reader any measurement of her runs (the rows
# path fails on it, so the policy is in force)
pg_sql "CREATE FUNCTION cy_unread(run text) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN IF EXISTS (SELECT 1 FROM runs WHERE id = run AND operator = 'cy') THEN
	RAISE EXCEPTION 'a measurement of cy''s read'; END IF; RETURN true; END \$\$;
ALTER POLICY central_read ON measurements USING (cy_unread(run_id))" >/dev/null ||
	fail "the policy that hides cy's measurements"
for w in "" "--since 2026-01-25T05:00 --until 2026-03-02T07:00"; do
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" --capability -f json --operator cy $w -o "$CENTRAL/cy.json" \
		2>"$CENTRAL/cy.err" || fail "--capability --operator cy $w read her rows: $(cat "$CENTRAL/cy.err")"
	assert_match "$(cat "$CENTRAL/cy.json")" '"n": [1-9]' "--operator cy $w: values"
done
if "$st" report "${CEN[@]}" --capability --from-rows --operator cy -o /dev/null 2>"$CENTRAL/cy.err"; then
	fail "--from-rows --operator cy read past the policy"
fi
assert_match "$(cat "$CENTRAL/cy.err")" "a measurement of cy's read" "the rows path meets the policy"
# ann's hours shared with bob are read from their rows, hers alone from the
# cells: with the server refusing the reader every measurement but those of
# runs in an hour of a fixture with two operators, her figures stand (the
# rows path, reading all her runs, meets the policy)
"$st" report "${CEN[@]}" --capability -f json --operator ann -o "$CENTRAL/ann.json" ||
	fail "--capability --operator ann"
pg_sql "CREATE FUNCTION shared_only(run text) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN IF NOT EXISTS (SELECT 1 FROM runs r JOIN runs o ON o.station = r.station
		AND o.fixture = r.fixture AND o.started_us / 3600000000 = r.started_us / 3600000000
		AND o.operator IS DISTINCT FROM r.operator WHERE r.id = run) THEN
	RAISE EXCEPTION 'a measurement of an hour of one operator read'; END IF;
	RETURN true; END \$\$;
ALTER POLICY central_read ON measurements USING (shared_only(run_id))" >/dev/null ||
	fail "the policy that shows only shared hours' measurements"
"$st" report "${CEN[@]}" --capability -f json --operator ann -o "$CENTRAL/ann-shared.json" \
	2>"$CENTRAL/ann.err" || fail "--operator ann read beyond the mixed hours: $(cat "$CENTRAL/ann.err")"
central_cap_same "$CENTRAL/ann.json" "$CENTRAL/ann-shared.json" || fail "--operator ann: other figures"
if "$st" report "${CEN[@]}" --capability --from-rows --operator ann -o /dev/null 2>"$CENTRAL/ann.err"; then
	fail "--from-rows --operator ann read past the policy"
fi
assert_match "$(cat "$CENTRAL/ann.err")" "an hour of one operator read" "the rows path meets that policy"
pg_sql "ALTER POLICY central_read ON measurements USING (true)" >/dev/null

# the migration from version 13 builds the line values the runs kept
central_drop_v14
assert_eq "$(pg_sql "SELECT to_regclass('sum_cap_lines') IS NULL")" "t" "version 13: no line values"
"$st" report "${CEN[@]}" --capability -f json --operator ann -o "$CENTRAL/v13.json" ||
	fail "--capability --operator ann on version 13 (the rows)"
"$st" central migrate --url "$PG_ADMIN" >"$CENTRAL/migrate.out" || fail "migrate to 14: $(cat "$CENTRAL/migrate.out")"
assert_match "$(cat "$CENTRAL/migrate.out")" "13 -> 15" "migrated from 13"
lines >"$CENTRAL/lines.built"
cmp -s "$CENTRAL/lines.kept" "$CENTRAL/lines.built" ||
	fail "the line values kept differ from those built: $(diff "$CENTRAL/lines.kept" "$CENTRAL/lines.built" | head -5)"
central_capsame --operator ann
central_cap_same "$CENTRAL/cells.json" "$CENTRAL/v13.json" || fail "--operator ann: version 13's rows differ"
# more runs after the migration, kept as they come
pg_sql "$(runs_sql 960 1199)
SELECT central_summarise_runs(array_agg(id ORDER BY started_us)) FROM runs
	WHERE NOT EXISTS (SELECT 1 FROM sum_runs s WHERE s.run_id = runs.id)" >/dev/null ||
	fail "more runs into the store"
lines >"$CENTRAL/lines.kept"
central_drop_v14
"$st" central migrate --url "$PG_ADMIN" >/dev/null || fail "migrate to 14 again"
lines >"$CENTRAL/lines.built"
cmp -s "$CENTRAL/lines.kept" "$CENTRAL/lines.built" || fail "the line values kept after migration differ"
central_capsame --operator bob --since 2026-02-20

# retention as docs/central.md says: the runs before 2026-02-01 deleted,
# the summaries built again; no line value of theirs is left
pg_sql "CREATE TEMP TABLE old AS SELECT id FROM runs WHERE started_us < 1769904000000000;
DELETE FROM measurements WHERE run_id IN (SELECT id FROM old);
DELETE FROM steps WHERE run_id IN (SELECT id FROM old);
DELETE FROM runs WHERE id IN (SELECT id FROM old);
TRUNCATE sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails, sum_meas_keys, sum_meas, sum_hours, sum_meas_hour, sum_fail_hour, sum_cap_keys, sum_cap, sum_cap_day, sum_cap_month;
SELECT central_summarise_all();" >/dev/null || fail "retention"
assert_eq "$(pg_sql "SELECT count(*) FROM sum_cap_lines WHERE hour < 491640")" "0" \
	"no line value before February left"
lines >"$CENTRAL/lines.kept"
central_drop_v14
"$st" central migrate --url "$PG_ADMIN" >/dev/null || fail "migrate to 14 after retention"
lines >"$CENTRAL/lines.built"
cmp -s "$CENTRAL/lines.kept" "$CENTRAL/lines.built" || fail "the line values after retention differ"
central_capsame --operator ann
echo ok
