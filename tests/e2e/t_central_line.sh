#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station report --central --outcome, --operator, --work-order,
# --part-number and --revision from the day cells (central schema 12: the
# 'x' cells keyed by the run's outcome and line, central/schema_v12.c), as
# the log answers them: the same runs in the store and in one SQLite log
# (tests/e2e/central-line.runs: runs with every line value, without any
# (NULL), with '' ones; units failed then passed on one day and fixture,
# by one operator and by two, passed then failed, an error and an aborted
# run before a judged one, runs without a serial, a skipped run), the JSON
# reports of both compared figure by figure (yield, first-pass yield, by
# day, Pareto, every measurement's statistics and histogram), each filter
# alone and with --fixture, --station, --sequence, windows of whole days
# (the cells) and off midnight (the rows), with and without --with-errors,
# a cell changed by hand shows (the cells answer).  Then the store taken back to version 11 (its
# cells built again from the rows, not keyed by outcome nor line) answers
# the same from its rows, and migrated again its cells are those the
# forwarded runs made, and answer the same.  --group-by station, fixture,
# operator and work-order, --operations: t_central_linegrp.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_line_store
m=$CENTRAL_LOG

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
same() {	# ARGS...: report --db merged and --central agree on every figure
	"$st" report --db "$m" -f json "$@" -o "$CENTRAL/local.json" || fail "report --db $*"
	"$st" report "${CEN[@]}" -f json "$@" -o "$CENTRAL/central.json" || fail "report --central $*"
	central_report_same "$CENTRAL/local.json" "$CENTRAL/central.json" || fail "reports differ: $*"
}
days="--since 2026-01-06 --until 2026-01-08"
check_all() {	# WINDOWS...
	local f w we
	for f in "${central_line_filters[@]}"; do
		for w in "$@"; do
			for we in "" "--with-errors"; do
				# shellcheck disable=SC2086
				same $f $w $we
			done
		done
	done
}
windows=("" "$days" "--until 2026-01-07" "--since 2026-01-05T10:00 --until 2026-01-08T10:00")
check_all "${windows[@]}"

# the figures themselves: ann's runs are 9 (A ict twice, B's failure, F's
# error and pass, K twice, the run without a serial, L's pass); units A, B,
# F, K (ict), L (final): B failed by ann (passed by bob), A failed then
# passed, F passed, K passed then failed, L passed; first runs A's and B's
# (failed), F's (its error is no judged run) and K's (passed); L's first
# was its '' run
fig() {	# ARGS...: runs units passed first_units first_passed
	"$st" report "${CEN[@]}" -f json "$@" -o "$CENTRAL/fig.json" || fail "report $*"
	python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["total"]
print(t["runs"], t["units"], t["passed"], t["first_units"], t["first_passed"])' "$CENTRAL/fig.json"
}
assert_eq "$(fig --operator ann)" "9 5 4 4 2" "--operator ann"
assert_eq "$(pg_sql "SELECT count(*) FILTER (WHERE operator = ''), count(*) FILTER (WHERE operator IS NULL)
	FROM runs")" "2|4" "two runs of operator '' (D's, L's failure), four without (C's, G's two, U0: the station asked for none)"
assert_eq "$(fig --operator=)" "2 2 1 2 1" "--operator '': D's pass, L's failure, not the runs without one"
assert_eq "$(fig --outcome fail)" "7 7 0 6 0" "--outcome fail: A, B, E, G, K, L, N (K passed first)"
# the cells answer: a cell changed by hand shows, for the outcome and each
# line value (level x), not for the rows of a window off midnight
for c in "outcome = 'fail'|--outcome fail" "operator = 'bob'|--operator bob" \
	"work_order = 'WO2'|--work-order WO2" "part_number = 'PN2'|--part-number PN2" \
	"revision = 'C'|--revision C"; do
	read -ra f <<<"${c#*|}"
	good=$(fig "${f[@]}" | cut -d' ' -f1)
	one="id = (SELECT min(id) FROM sum_cells WHERE level = 'x' AND ${c%%|*})"
	pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE $one" >/dev/null
	got=$(fig "${f[@]}" | cut -d' ' -f1)
	rows=$(fig "${f[@]}" --since 2026-01-05T00:00:01 | cut -d' ' -f1)
	pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE $one" >/dev/null
	assert_eq "$got" "$((good + 1000))" "${f[*]}: the cells answer"
	assert_eq "$rows" "$good" "${f[*]} off midnight: the rows"
done

# a version 11 store of the same runs: its cells built again from the rows
# (not keyed by outcome nor line); the filters read the rows, the same
# figures; migrated to 12, the cells are those the forwarded runs made (by
# what they count, their ids aside; the means to 9 digits), and answer
cells() {	# the day cells and what they hold, one line each
	pg_sql "SELECT c.level, c.day, c.station, c.fixture, c.sequence_name, c.sequence_version,
		c.outcome, c.operator, c.work_order, c.part_number, c.revision, c.runs, c.units, c.passed,
		c.first_units, c.first_passed FROM sum_cells c ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
	pg_sql "SELECT u.unit, u.grp, u.passed, u.multi, c.level, c.day, c.station, c.fixture,
		c.sequence_name, c.outcome, c.operator, c.work_order, c.part_number, c.revision
		FROM sum_unit_cells u JOIN sum_cells c ON c.id = u.cell ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14"
	pg_sql "SELECT f.unit, f.run_id, f.passed, (SELECT string_agg(concat_ws('|', c.level, c.station,
		c.fixture, c.outcome, c.operator, c.work_order), ',' ORDER BY c.level) FROM unnest(f.cells) x
		JOIN sum_cells c ON c.id = x) FROM sum_unit_first f ORDER BY 1"
	pg_sql "SELECT c.level, c.day, c.station, c.fixture, c.sequence_name, c.sequence_version,
		c.outcome, c.operator, c.work_order, c.part_number, c.revision, f.step, f.n
		FROM sum_step_fails f JOIN sum_cells c ON c.id = f.cell ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"
	pg_sql "SELECT c.level, c.day, c.station, c.fixture, c.sequence_name, c.sequence_version,
		c.outcome, c.operator, c.work_order, c.part_number, c.revision, m.key, m.n,
		round((k.ref + m.s1 / m.n)::numeric, 9), m.min, m.max, m.out_low, m.out_high, m.bins
		FROM sum_meas m JOIN sum_cells c ON c.id = m.cell JOIN sum_meas_keys k ON k.id = m.key
		ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"
}
cells >"$CENTRAL/cells-forwarded"
assert_eq "$(pg_sql "SELECT count(*) FROM sum_cells WHERE level = 'x' AND outcome = 'fail'
	AND operator = 'ann'")" "2" "ann's failures: two x cells (A's and B's of day 0 one, K's of day 2)"
central_drop_v12
assert_eq "$(pg_sql "SELECT max(version) FROM central_schema")" "11" "back to version 11"
assert_eq "$(pg_sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'sum_cells'
	AND column_name IN ('outcome', 'operator')")" "0" "version 11's cells"
assert_eq "$(fig --operator ann)" "9 5 4 4 2" "--operator ann on version 11 (the rows)"
# shellcheck disable=SC2086
same --outcome fail $days
same --operator ann --with-errors
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 11 -> 15" "the upgrade"
cells >"$CENTRAL/cells-migrated"
cmp -s "$CENTRAL/cells-forwarded" "$CENTRAL/cells-migrated" ||
	fail "the migrated cells are not the forwarded runs': $(diff "$CENTRAL/cells-forwarded" "$CENTRAL/cells-migrated" | head)"
# the migrated cells answer as the forwarded ones did: a few filters (the
# cells are those compared above, by what they hold)
for f in "--outcome fail" "--operator ann" "--work-order=" "--part-number PN1 --revision B --station s2"; do
	# shellcheck disable=SC2086
	same $f
	# shellcheck disable=SC2086
	same $f $days --with-errors
done
one="id = (SELECT min(id) FROM sum_cells WHERE level = 'x' AND operator = 'ann')"
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE $one" >/dev/null
assert_eq "$(fig --operator ann | cut -d' ' -f1)" "1009" "the migrated cells answer"
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE $one" >/dev/null
echo ok
