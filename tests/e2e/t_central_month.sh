#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station report --central over windows holding whole UTC months (an
# outcome, a line value, station and fixture, a sequence version: level x;
# nothing, a fixture: levels a, f): the measurements' statistics and
# histograms from the month cells of
# central schema 13 (central/schema_v13.c), the other days' from the day
# cells, as the log answers them.  The same runs in the store and in one
# SQLite log, from December 2025 to March 2026 (runs either side of a
# month's first midnight, a unit failed on the last day of a month and
# passed on the first of the next), the JSON reports of both compared
# figure by figure for each filter over all time, from a day, until a
# month's first, exactly one month, months with days either side, a window
# off midnight across months, and days within a month; a month cell
# changed by hand shows over the months, not within one (the month cells
# answer).  The store taken back to version 12 and migrated again: its
# month cells and their sums are those the forwarded runs made.
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

# SERIAL OPERATION STATION FIXTURE DAY HH:MM OUTCOME OPERATOR WORK-ORDER
# PART-NUMBER REVISION ('-' NULL, '~' ''), steps: day 0 is Monday
# 2026-01-05, -6 2025-12-30, 26 January 31st, 27 February 1st, 54 February
# 28th, 55 March 1st
runs="
A ict s1 fa -6 10:00 fail ann WO1 PN1 A vout:fail:5.15 leak:pass:2.0
A ict s1 fa -5 09:00 pass ann WO1 PN1 A vout:pass:5.01 leak:pass:1.5
B ict s1 fa 15 08:00 pass ann WO1 PN1 A vout:pass:4.99
C ict s1 fa 26 23:30 fail bob WO1 PN1 A vout:fail:4.85
C ict s1 fa 27 00:30 pass bob WO1 PN1 A vout:pass:5.02
D final s2 fc 27 10:00 pass bob WO2 PN1 B vout:pass:5.00 leak:pass:3.0
E final s2 fc 28 11:00 fail ann WO2 PN1 B vout:fail:5.12 leak:fail:6.0
E final s2 fc 40 11:00 pass ann WO2 PN1 B vout:pass:5.03 leak:pass:2.5
F ict s1 fb 40 12:00 error ann WO1 PN2 A boot:error
F ict s1 fb 41 09:00 pass ann WO1 PN2 A vout:pass:4.97
G ict s1 fa 54 22:00 pass - - - - vout:pass:5.04
G final s2 fc 55 01:00 fail ~ WO2 PN1 B vout:fail:4.80 leak:pass:4.0
H ict s1 fa 55 09:00 pass ann WO1 PN1 A vout:pass:5.01
H final s2 fc 56 10:00 pass bob WO2 PN1 B vout:pass:5.00 leak:pass:1.0
- ict s1 fa 56 11:00 pass ann WO1 PN1 A vout:pass:4.98
K ict s2 fb 64 09:00 aborted cid WO3 - -
K ict s2 fb 64 10:00 fail cid WO3 PN2 C vout:fail:5.20
"
central_runs_sql month mo 9300000 line "$runs"
central_load month "$m"

# five months: December 2025 to March 2026 and the station's own run
# (today); month cells of every level
assert_eq "$(pg_sql "SELECT count(DISTINCT day) >= 5 FROM sum_cells WHERE grp = 'm'")" "t" \
	"month cells of every month with runs"
assert_eq "$(pg_sql "SELECT string_agg(DISTINCT level::text, '' ORDER BY level::text) FROM sum_cells
	WHERE grp = 'm'")" "AFQTX" "month cells of levels a, f, q, t, x"
assert_eq "$(pg_sql "SELECT count(*) FROM sum_cells WHERE grp = 'm' AND (runs, units, passed,
	first_units, first_passed) <> (0, 0, 0, 0, 0)")" "0" "a month cell holds only measurement sums"
assert_eq "$(pg_sql "SELECT count(*) FROM sum_unit_cells u JOIN sum_cells c ON c.id = u.cell
	WHERE c.grp = 'm'")" "0" "no unit in a month cell"
# a forwarded run's summaries are made without the JIT compiler (its
# compiling cost some 58 ms a run on the 1M store)
assert_eq "$(pg_sql "SELECT string_agg(p.proname || ':' || array_to_string(p.proconfig, ' '), ','
	ORDER BY p.proname) FROM pg_proc p WHERE p.proname IN ('central_summarise_run',
	'central_summarise_runs')")" \
	"central_summarise_run:search_path=public, pg_temp jit=off,central_summarise_runs:search_path=public, pg_temp work_mem=32MB jit=off" \
	"the summaries without JIT"

filters=("--outcome pass" "--outcome fail" "--operator bob" "--work-order WO2"
	"--station s1 --fixture fa" "--sequence ict@1.0" "--operator=" "")
windows=("" "--since 2026-01-20" "--until 2026-03-01" "--since 2026-02-01 --until 2026-03-01"
	"--since 2026-01-15 --until 2026-03-10" "--since 2026-01-20T06:00 --until 2026-03-02T06:00"
	"--since 2025-12-31 --until 2026-02-01")
for f in "${filters[@]}"; do
	for w in "${windows[@]}"; do
		# shellcheck disable=SC2086
		central_json_same "$m" $f $w
	done
	# shellcheck disable=SC2086
	central_json_same "$m" $f ${windows[4]} --with-errors
done
# levels f, t, q (one fixture, station, sequence): their own month cells
for f in "--fixture fb" "--station s2" "--sequence final"; do
	# shellcheck disable=SC2086
	central_json_same "$m" $f
	# shellcheck disable=SC2086
	central_json_same "$m" $f ${windows[4]} --with-errors
done
# days within a month (no month cell): the day cells
central_json_same "$m" --operator ann --since 2026-02-03 --until 2026-02-20

# the month cells answer: F's passing run (February 15th, fixture fb) has
# a month cell of its own; its vout's max changed by hand shows over all
# time and over February and March, not from February 3rd to the 20th (the
# day cells)
vmax() {	# ARGS...: the max of ict's vout in report --central ARGS
	"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json "$@" \
		-o "$CENTRAL/vmax.json" || fail "report --central $*"
	python3 -c 'import json, sys
print(*[m["max"] for m in json.load(open(sys.argv[1]))["measurements"]
	if m["sequence"] == "ict" and m["name"] == "vout"])' "$CENTRAL/vmax.json"
}
cell="cell = (SELECT id FROM sum_cells WHERE level = 'X' AND fixture = 'fb' AND outcome = 'pass')
	AND key = (SELECT id FROM sum_meas_keys WHERE sequence_name = 'ict' AND name = 'vout')"
assert_eq "$(pg_sql "SELECT max FROM sum_meas WHERE $cell")" "4.97" "F's month cell"
pg_sql "UPDATE sum_meas SET max = 99 WHERE $cell" >/dev/null
assert_eq "$(vmax --outcome pass)" "99.0" "all time: the month cells"
assert_eq "$(vmax --outcome pass --since 2026-02-01 --until 2026-04-01)" "99.0" "February and March"
assert_eq "$(vmax --station s1 --fixture fb --since 2026-01-20T06:00 --until 2026-03-02T06:00)" \
	"99.0" "off midnight (station and fixture: level x): February's month cell"
assert_eq "$(vmax --outcome pass --since 2026-02-03 --until 2026-02-20)" "4.97" \
	"within February: the day cells"
pg_sql "UPDATE sum_meas SET max = 4.97 WHERE $cell" >/dev/null
# ... and a fixture's (level f: its month cell 'F', February's of fb)
cell="cell = (SELECT id FROM sum_cells WHERE level = 'F' AND fixture = 'fb'
	AND day = central_day_month(20498)) AND key = (SELECT id FROM sum_meas_keys
	WHERE sequence_name = 'ict' AND name = 'vout')"
assert_eq "$(pg_sql "SELECT max FROM sum_meas WHERE $cell")" "4.97" "fb's February"
pg_sql "UPDATE sum_meas SET max = 99 WHERE $cell" >/dev/null
assert_eq "$(vmax --fixture fb)" "99.0" "a fixture over all time: its month cells"
assert_eq "$(vmax --fixture fb --since 2026-02-03 --until 2026-02-20)" "4.97" \
	"a fixture within February: its day cells"
pg_sql "UPDATE sum_meas SET max = 4.97 WHERE $cell" >/dev/null

# version 12 and back: the month cells from the day cells' sums are those
# the forwarded runs made (their ids aside; the means to 9 digits)
sums() {
	pg_sql "SELECT c.level, c.day, c.station, c.fixture, c.sequence_name, c.sequence_version,
		c.outcome, c.operator, c.work_order, c.part_number, c.revision, k.sequence_name, k.step,
		k.name, m.n, round((k.ref + m.s1 / m.n)::numeric, 9), m.min, m.max, m.out_low, m.out_high,
		m.bins FROM sum_meas m JOIN sum_cells c ON c.id = m.cell JOIN sum_meas_keys k ON k.id = m.key
		WHERE c.grp = 'm' ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14"
}
sums >"$CENTRAL/sums-forwarded"
[ -s "$CENTRAL/sums-forwarded" ] || fail "no month sums"
central_drop_v13
assert_eq "$(pg_sql "SELECT count(*) FROM sum_cells WHERE grp = 'm'")" "0" "version 12: no month cells"
central_json_same "$m" --outcome pass
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 12 -> 15" "the upgrade"
sums >"$CENTRAL/sums-migrated"
cmp -s "$CENTRAL/sums-forwarded" "$CENTRAL/sums-migrated" ||
	fail "the migrated month cells are not the forwarded runs': $(diff "$CENTRAL/sums-forwarded" "$CENTRAL/sums-migrated" | head)"
for f in "--outcome fail" "--operator ann"; do
	for w in "" "${windows[4]}"; do
		# shellcheck disable=SC2086
		central_json_same "$m" $f $w
	done
done
echo ok
