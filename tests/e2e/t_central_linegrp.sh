#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station report --central --group-by station, fixture, operator and
# work-order and --operations with the filters of t_central_line (the day
# cells: central schema 12's 'x' cells keyed by the run's outcome and line,
# central/read_grp.c), as the log answers them: the runs of
# tests/e2e/central-line.runs in the store and in one SQLite log, JSON, CSV
# and text compared byte for byte, with filters and windows (off midnight:
# the cells of its whole days and the partial days' rows), with and
# without --with-errors, the runs without an operator ("-") apart from
# those of '' (""); a cell changed by hand shows in its group (the cells
# answer, not the rows).  The store taken back to version 11 groups the
# same from its rows (a cell changed by hand does not show), and migrated
# again from its cells.  The other filters: t_central_line.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_line_store
m=$CENTRAL_LOG

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
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
# --group-by station and fixture, --operations, with each filter of
# t_central_line (the cells at level x)
for f in "${central_line_filters[@]}"; do
	# shellcheck disable=SC2086
	grpsame $f
	# shellcheck disable=SC2086
	grpsame $f $days --with-errors
done
windows=("" "$days" "--until 2026-01-07" "--since 2026-01-05T10:00 --until 2026-01-08T10:00")
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


# a version 11 store of the same runs (its cells built again from the
# rows): the same groups from its rows, then migrated, from its cells
central_drop_v12
assert_eq "$(pg_sql "SELECT max(version) FROM central_schema")" "11" "back to version 11"
# --group-by operator and work-order below version 12: the rows, the same
# shellcheck disable=SC2086
grpline $days --with-errors
grpcmp csv "--group-by operator"
one="id = (SELECT min(id) FROM sum_cells WHERE level = 'x')"
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE $one" >/dev/null
grpline
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE $one" >/dev/null
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 11 -> 15" "the upgrade"
# shellcheck disable=SC2086
grpline $days --with-errors
grpcmp csv "--group-by operator"
echo ok
