#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station report --central --outcome, --operator, --work-order,
# --part-number and --revision from the day cells (central schema 12: the
# 'x' cells keyed by the run's outcome and line, central/schema_v12.c), as
# the log answers them: the same runs in the store and in one SQLite log
# (runs with every line value, without any (NULL), with '' ones; units
# failed then passed on one day and fixture, by one operator and by two,
# passed then failed, an error and an aborted run before a judged one,
# runs without a serial, a skipped run), the JSON reports of both compared
# figure by figure (yield, first-pass yield, by day, Pareto, every
# measurement's statistics and histogram), each filter alone and with
# --fixture, --station, --sequence, windows of whole days (the cells) and
# off midnight (the rows), with and without --with-errors, --group-by and
# --operations; a cell changed by hand shows (the cells answer).
# --group-by operator and work-order (the 'x' cells, read_grp.c) the same
# as the log's, JSON, CSV and text, with filters and windows (off
# midnight: the cells of its whole days and the partial days' rows), the
# runs without an operator ("-") apart from those of '' (""); a cell
# changed by hand shows in them (the cells answer, not the rows).  Then the
# store taken back to version 11 (its cells built again from the rows, not
# keyed by outcome nor line) answers the same from its rows, and migrated
# to 12 its cells are those the forwarded runs made, and answer the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
central_station s1
central_run s1 U0
m=$CENTRAL/merged.db
central_merge "$m" s1

# the runs, from Monday 2026-01-05 (day 0) on: SERIAL OPERATION STATION
# FIXTURE DAY HH:MM OUTCOME OPERATOR WORK-ORDER PART-NUMBER REVISION ('-':
# NULL, '~': ''), then steps NAME:OUTCOME[:VALUE] (a value: the step's
# measurement, vout [4.9, 5.1] V, or leak (at most 5 Pa)); each into the
# log and the store (central_runs_sql)
runs="
A ict s1 fa 0 08:00 fail ann WO1 PN1 A vout:fail:5.15
A ict s1 fa 0 09:00 pass ann WO1 PN1 A vout:pass:5.01
B ict s1 fa 0 10:00 fail ann WO1 PN1 A vout:fail:4.85
B ict s1 fa 0 11:00 pass bob WO1 PN1 A vout:pass:5.00
C ict s1 fa 0 12:00 pass - - - - vout:pass:5.02
D ict s1 fb 0 13:00 pass ~ WO1 PN1 B vout:pass:4.99
E final s2 fc 0 14:00 fail bob WO2 PN1 B vout:fail:5.12 leak:pass:2.0
E final s2 fc 1 09:00 pass bob WO2 PN1 B vout:pass:5.03 leak:pass:1.5
A final s2 fc 1 10:00 pass bob WO2 PN1 A vout:pass:5.00 leak:pass:3.0
F ict s1 fa 1 08:00 error ann WO1 PN2 A boot:error
F ict s1 fa 1 09:00 pass ann WO1 PN2 A vout:pass:5.01
G ict s2 fb 1 10:00 aborted - WO2 - -
G ict s2 fb 1 11:00 fail - WO2 - - vout:fail:5.20
G ict s2 fb 2 09:00 pass cid WO2 PN2 A vout:pass:5.00
H final s2 fc 2 10:00 error bob WO2 PN1 B boot:error
- ict s1 fa 2 11:00 pass ann WO1 PN1 A vout:pass:5.02
K ict s1 fa 2 12:00 pass ann WO1 PN1 A vout:pass:4.95
K ict s1 fa 2 12:30 fail ann WO1 PN1 A short:fail vout:pass:5.05
L final s1 fa 3 08:00 fail ~ ~ ~ ~ vout:fail:4.80 leak:fail:6.0
L final s1 fa 3 09:00 pass ann WO3 PN3 C vout:pass:5.00 leak:pass:2.5
M final s2 fc 3 10:00 skipped bob WO2 PN1 B
N ict s1 fb 3 11:00 fail cid WO1 PN2 B vout:fail:5.30
"
central_runs_sql line c 9200000 line "$runs"
central_load line "$m"

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
same() {	# ARGS...: report --db merged and --central agree on every figure
	"$st" report --db "$m" -f json "$@" -o "$CENTRAL/local.json" || fail "report --db $*"
	"$st" report "${CEN[@]}" -f json "$@" -o "$CENTRAL/central.json" || fail "report --central $*"
	central_report_same "$CENTRAL/local.json" "$CENTRAL/central.json" || fail "reports differ: $*"
}
grpsame() {	# ARGS...: --group-by station and fixture, --operations, in JSON
	local g
	for g in "--group-by station" "--group-by fixture" "--operations"; do
		# shellcheck disable=SC2086
		"$st" report --db "$m" -f json $g "$@" -o "$CENTRAL/grp-log" || fail "report --db $g $*"
		# shellcheck disable=SC2086
		"$st" report "${CEN[@]}" -f json $g "$@" -o "$CENTRAL/grp-central" || fail "report --central $g $*"
		cmp -s "$CENTRAL/grp-log" "$CENTRAL/grp-central" ||
			fail "$g $*: the store and the log differ: $(diff "$CENTRAL/grp-log" "$CENTRAL/grp-central" | head -8)"
	done
}
grpcmp() {	# FORMAT GROUPING ARGS...: the log and the store give the same bytes
	local fmt=$1 g=$2
	shift 2
	# shellcheck disable=SC2086
	"$st" report --db "$m" -f "$fmt" $g "$@" -o "$CENTRAL/grp-log" || fail "report --db $g $*"
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" -f "$fmt" $g "$@" -o "$CENTRAL/grp-central" ||
		fail "report --central $g $*"
	cmp -s "$CENTRAL/grp-log" "$CENTRAL/grp-central" ||
		fail "-f $fmt $g $*: the store and the log differ: $(diff "$CENTRAL/grp-log" "$CENTRAL/grp-central" | head -8)"
}
grpline() {	# ARGS...: --group-by operator and work-order, in JSON
	grpcmp json "--group-by operator" "$@"
	grpcmp json "--group-by work-order" "$@"
}
days="--since 2026-01-06 --until 2026-01-08"
filters=("--outcome pass" "--outcome fail" "--outcome error" "--outcome aborted"
	"--operator ann" "--operator bob" "--operator cid" "--operator=" "--work-order WO1"
	"--work-order WO2" "--work-order=" "--part-number PN1" "--part-number PN2" "--revision A"
	"--revision B" "--revision=" "--outcome fail --operator ann" "--outcome pass --work-order WO1"
	"--operator ann --fixture fa" "--operator bob --station s2" "--work-order WO1 --sequence ict"
	"--part-number PN1 --revision B --station s2" "--outcome pass --sequence final@1.0"
	"--outcome fail --station s1 --fixture fb" "--operator ann --work-order WO1 --part-number PN1 --revision A")
check_all() {	# WINDOWS...
	local f w we
	for f in "${filters[@]}"; do
		for w in "$@"; do
			for we in "" "--with-errors"; do
				# shellcheck disable=SC2086
				same $f $w $we
			done
		done
		# shellcheck disable=SC2086
		grpsame $f
		# shellcheck disable=SC2086
		grpsame $f $days --with-errors
	done
}
windows=("" "$days" "--until 2026-01-07" "--since 2026-01-05T10:00 --until 2026-01-08T10:00")
check_all "${windows[@]}"
# --group-by operator and work-order: with no filter each window, with and
# without --with-errors (off midnight: the cells of its whole days and the
# rows of its ends), with --station, --fixture, --sequence whole days and
# off midnight; the line filters (the cells at level x); CSV and text too
# (the runs without a value "-", written as it is, the others' defused)
for w in "${windows[@]}"; do
	for we in "" "--with-errors"; do
		# shellcheck disable=SC2086
		grpline $w $we
	done
done
for f in "--station s1" "--fixture fa" "--sequence final"; do
	# shellcheck disable=SC2086
	grpline $f $days
	# shellcheck disable=SC2086
	grpline $f ${windows[3]}
	# shellcheck disable=SC2086
	grpline $f ${windows[3]} --with-errors
done
for f in "--outcome fail" "--operator=" "--work-order=" "--part-number PN1 --revision B --station s2"; do
	# shellcheck disable=SC2086
	grpline $f
	# shellcheck disable=SC2086
	grpline $f $days --with-errors
done
for fmt in csv text; do
	grpcmp $fmt "--group-by operator"
	grpcmp $fmt "--group-by work-order" --station s1
	# shellcheck disable=SC2086
	grpcmp $fmt "--group-by operator" ${windows[3]} --with-errors
	# shellcheck disable=SC2086
	grpcmp $fmt "--group-by work-order" --station s1 ${windows[3]} --with-errors
done
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

# --group-by operator and work-order read the cells: a cell changed by hand
# shows in its group's runs (the runs without a value, "-", those of '',
# ""), over all time and a window off midnight (its whole days), with
# --with-errors too
gruns() {	# KEY GROUP ARGS...: the runs of GROUP in --group-by KEY
	local k=$1 g=$2
	shift 2
	"$st" report "${CEN[@]}" -f json --group-by "$k" "$@" -o "$CENTRAL/g.json" ||
		fail "report --group-by $k $*"
	python3 -c 'import json, sys
print(sum(g["runs"] for g in json.load(open(sys.argv[1]))["groups"] if g["key"] == sys.argv[2]))' \
		"$CENTRAL/g.json" "$g"
}
day1="day = (SELECT min(day) FROM sum_cells WHERE level = 'x') + 1"
for c in "operator = 'ann' AND $day1|operator|ann" "operator IS NULL AND $day1|operator|-" \
	"operator = ''|operator|" "work_order = 'WO2' AND $day1|work-order|WO2" \
	"work_order IS NULL|work-order|-" "work_order = ''|work-order|"; do
	IFS='|' read -r cond k g <<<"$c"
	one="id = (SELECT min(id) FROM sum_cells WHERE level = 'x' AND $cond)"
	ws=("")
	# a cell of day 1: a window off midnight (its whole days), --with-errors
	case $cond in *day*) ws+=("${windows[3]} --with-errors") ;; esac
	for w in "${ws[@]}"; do
		# shellcheck disable=SC2086
		good=$(gruns "$k" "$g" $w)
		pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE $one" >/dev/null
		# shellcheck disable=SC2086
		got=$(gruns "$k" "$g" $w)
		pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE $one" >/dev/null
		assert_eq "$got" "$((good + 1000))" "--group-by $k $w: group '$g' from the cells"
	done
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
# --group-by operator and work-order below version 12: the rows, the same
# shellcheck disable=SC2086
grpline $days --with-errors
grpcmp csv "--group-by operator"
one="id = (SELECT min(id) FROM sum_cells WHERE level = 'x')"
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE $one" >/dev/null
grpline
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE $one" >/dev/null
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 11 -> 13" "the upgrade"
cells >"$CENTRAL/cells-migrated"
cmp -s "$CENTRAL/cells-forwarded" "$CENTRAL/cells-migrated" ||
	fail "the migrated cells are not the forwarded runs': $(diff "$CENTRAL/cells-forwarded" "$CENTRAL/cells-migrated" | head)"
check_all "" "$days"
one="id = (SELECT min(id) FROM sum_cells WHERE level = 'x' AND operator = 'ann')"
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE $one" >/dev/null
assert_eq "$(fig --operator ann | cut -d' ' -f1)" "1009" "the migrated cells answer"
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE $one" >/dev/null
echo ok
