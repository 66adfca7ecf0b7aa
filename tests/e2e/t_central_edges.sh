#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station report --central over windows whose ends are not at UTC midnight
# (a shift, a week from Monday 06:00): the day cells answer the whole days,
# the rows the hours of the partial days at each end (central/report_edge.c).
# The same runs in the store and in one SQLite log, the JSON reports of
# both compared figure by figure (yield, first-pass yield, by day, Pareto,
# every measurement's statistics and histogram), with and without
# --with-errors, for windows within a day, across midnight, of a week, with
# one end at midnight, with --station, --fixture and --sequence; units
# tested in both parts: failed in a whole day and passed in a partial one,
# the reverse, in both partial days only, with an error run in a whole day
# and a pass in a partial one, and the reverse.
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
# FIXTURE DAY HH:MM OUTCOME, then steps NAME:OUTCOME[:VALUE] (a value: the
# step's measurement, vout [4.9, 5.1] V, or leak (at most 5 Pa) for a step
# named leak); each into the log and the store (central_runs_sql)
runs="
A ict s1 fa 2 10:00 fail vout:fail:5.15 leak:pass:2.0
A ict s1 fa 7 03:00 pass vout:pass:5.01 leak:pass:1.5
A ict s1 fa 7 09:00 fail vout:fail:4.85
A final s2 fb 0 08:00 fail vout:fail:4.88
A final s2 fb 2 13:00 pass vout:pass:5.02
B ict s1 fa 0 07:00 fail short:fail
B ict s1 fa 1 09:00 pass vout:pass:4.99 leak:pass:3.0
C final s2 fb 0 20:00 fail vout:fail:5.12
C final s2 fb 7 02:00 pass vout:pass:5.00
E ict s2 fb 3 11:00 error boot:error
E ict s2 fb 7 04:00 pass vout:pass:5.03
F final s1 fa 0 09:00 error boot:error
F final s1 fa 4 10:00 pass vout:pass:4.97
G ict s1 fb 0 21:00 pass vout:pass:5.00 leak:pass:4.0
G ict s1 fb 1 12:00 pass vout:pass:5.01
G ict s1 fb 2 15:00 fail vout:fail:5.11
H ict s2 fa 0 03:00 pass vout:pass:5.00
H ict s2 fa 0 10:00 fail short:fail vout:pass:5.05
K final s1 fb 1 23:00 fail vout:fail:4.89
K final s1 fb 2 01:00 pass vout:pass:5.04
- ict s1 fa 0 11:00 pass vout:pass:5.02
- ict s1 fa 3 12:00 pass vout:pass:4.98
P ict s2 fa 5 10:00 aborted
P ict s2 fa 7 01:00 fail vout:fail:5.14
Q final s2 fb 0 12:00 error boot:error
R ict s1 fa 6 22:00 pass vout:pass:5.00 leak:pass:2.5
R ict s1 fa 7 05:00 fail leak:fail:6.0
M ict s1 fa 7 08:00 pass vout:pass:5.00
S ict s1 fa 3 09:00 fail vout:fail:4.86
S ict s2 fb 7 03:30 pass vout:pass:5.02
"
central_runs_sql edges e 9100000 "" "$runs"
central_load edges "$m"

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
same() {	# ARGS...: report --db merged and --central agree on every figure
	"$st" report --db "$m" -f json "$@" -o "$CENTRAL/local.json" || fail "report --db $*"
	"$st" report "${CEN[@]}" -f json "$@" -o "$CENTRAL/central.json" || fail "report --central $*"
	central_report_same "$CENTRAL/local.json" "$CENTRAL/central.json" || fail "reports differ: $*"
}
week="--since 2026-01-05T06:00 --until 2026-01-12T06:00"
for w in "$week" "--since 2026-01-06T06:00 --until 2026-01-06T14:00" \
	"--since 2026-01-06T22:00 --until 2026-01-07T06:00" "--since 2026-01-05T06:00" \
	"--until 2026-01-12T06:00" "--since 2026-01-06 --until 2026-01-08T14:00" \
	"--since 2026-01-05T06:30:15 --until 2026-01-12T05:59:59" \
	"--since 2026-01-04T23:00 --until 2026-01-12T00:30" \
	"--since 2026-01-12T01:30 --until 2026-01-12T05:45"; do
	for f in "" "--station s1" "--station s2" "--fixture fa" "--fixture fb" "--sequence ict" \
		"--sequence final@1.0" "--station s2 --fixture fb"; do
		for we in "" "--with-errors"; do
			# shellcheck disable=SC2086
			same $w $f $we
		done
	done
done
# --group-by station and fixture, --operations: the same cells and rows
# per group (a unit new to a group where none of the group's selected cells
# holds it), in JSON, CSV and text (its first line aside)
grpsame() {	# FORMATS ARGS...
	local fmt fmts=$1
	shift
	for fmt in $fmts; do
		"$st" report --db "$m" -f "$fmt" "$@" -o "$CENTRAL/grp-log" || fail "report --db $*"
		"$st" report "${CEN[@]}" -f "$fmt" "$@" -o "$CENTRAL/grp-central" || fail "report --central $*"
		[ "$fmt" != text ] || sed -i 1d "$CENTRAL/grp-log" "$CENTRAL/grp-central"
		cmp -s "$CENTRAL/grp-log" "$CENTRAL/grp-central" ||
			fail "$* -f $fmt: the store and the log differ: $(diff "$CENTRAL/grp-log" "$CENTRAL/grp-central" | head -8)"
	done
}
for g in "--group-by station" "--group-by fixture" "--operations"; do
	for we in "" "--with-errors"; do
		# shellcheck disable=SC2086
		grpsame "json csv text" $g $week $we
		for w in "$week" "--since 2026-01-06T22:00 --until 2026-01-07T06:00" \
			"--since 2026-01-05T06:00" "--since 2026-01-06 --until 2026-01-08T14:00" \
			"--since 2026-01-12T01:30 --until 2026-01-12T05:45"; do
			for f in "--station s2" "--fixture fa" "--sequence ict"; do
				# shellcheck disable=SC2086
				grpsame json $g $w $f $we
			done
		done
	done
done
# the figures themselves, the week: 27 ended runs; 12 units (A in ict
# and in final, B, C, E, F, G, H, K, P, R, S; Q's is an error run), all
# passed but H (passed before the week) and P (aborted in a whole day,
# failed at the end); first runs all but H's, passed E's, F's, G's, R's
# (S failed on s1 in a whole day, passed on s2 on the 12th: a unit of
# each station).
# With --with-errors Q is a unit, and E, F, P, Q had an error or an
# aborted run first: failed first (A ict failed in a whole day and passed
# on Monday the 12th before 06:00, C failed and passed in the partial
# days only, E erred in a whole day and passed at the end, F erred on the
# first Monday and passed in a whole day)
fig() {	# ARGS...: runs units passed first_units first_passed of the week
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" -f json $week "$@" -o "$CENTRAL/fig.json" || fail "report $*"
	python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["total"]
print(t["runs"], t["units"], t["passed"], t["first_units"], t["first_passed"])' "$CENTRAL/fig.json"
}
assert_eq "$(fig)" "27 12 10 11 4" "the week from the cells and the partial days"
assert_eq "$(fig --with-errors)" "27 13 10 12 2" "the week --with-errors"
# the cells do answer the whole days, the rows the partial ones: a cell
# changed by hand shows in the week, not in a shift within a day
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE level = 'a' AND day = $(((1767571200 + 2 * 86400) / 86400))" >/dev/null
assert_eq "$(fig | cut -d' ' -f1)" "1027" "the cells answer the whole days"
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE level IN ('t', 'f', 'q')
	AND day = $(((1767571200 + 2 * 86400) / 86400))" >/dev/null
for g in "--group-by station" "--group-by fixture" "--operations"; do
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" -f csv $g $week -o "$CENTRAL/grp.csv" || fail "report $g"
	grep -q ",10[0-9][0-9]\b" "$CENTRAL/grp.csv" || fail "$g: the cells answer the whole days"
done
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE level IN ('t', 'f', 'q')
	AND day = $(((1767571200 + 2 * 86400) / 86400))" >/dev/null
"$st" report "${CEN[@]}" -f json --since 2026-01-07T06:00 --until 2026-01-07T14:00 -o "$CENTRAL/fig.json"
assert_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"]["runs"])' "$CENTRAL/fig.json")" \
	"2" "a shift within a day: the rows"
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE level = 'a' AND day = $(((1767571200 + 2 * 86400) / 86400))" >/dev/null
# version 15: the hour cells answer the whole hours of the partial days, the
# rows their minutes: an hour cell changed by hand (Monday the 12th,
# 05:00-06:00: R's leak, failed) shows in the week, not in a window that
# starts at 05:30 (its minutes, the rows)
hfig() {	# ARGS...: the leak's n and the leak step's failures
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" -f json "$@" -o "$CENTRAL/hfig.json" || fail "report $*"
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(sum(m["n"] for m in d["measurements"] if m["name"] == "leak"),
      sum(f["count"] for f in d["failures"] if f["step"] == "leak"))' "$CENTRAL/hfig.json"
}
h5=$(((1767571200 + 7 * 86400) / 3600 + 5))
assert_eq "$(pg_sql "SELECT count(*) FROM sum_hours h JOIN sum_fail_hour f ON f.grp = h.id
	WHERE h.hour = $h5 AND f.step = 'leak'")" "1" "R's failed leak step in its hour cell"
# shellcheck disable=SC2086
before=$(hfig $week)
late=$(hfig --since 2026-01-12T05:30 --until 2026-01-12T06:00)
pg_sql "UPDATE sum_meas_hour m SET n = m.n + 1000 FROM sum_hours h, sum_meas_keys k
		WHERE h.id = m.grp AND k.id = m.key AND h.hour = $h5 AND k.name = 'leak';
	UPDATE sum_fail_hour f SET n = f.n + 100 FROM sum_hours h
		WHERE h.id = f.grp AND h.hour = $h5 AND f.step = 'leak'" >/dev/null
# shellcheck disable=SC2086
assert_eq "$(hfig $week)" "$(echo "$before" | awk '{ print $1 + 1000, $2 + 100 }')" \
	"the week's last whole hours: their cells"
assert_eq "$(hfig --since 2026-01-12T05:00:01 --until 2026-01-12T06:00)" "$late" \
	"the minutes of an hour the window does not hold whole: the rows"
pg_sql "UPDATE sum_meas_hour m SET n = m.n - 1000 FROM sum_hours h, sum_meas_keys k
		WHERE h.id = m.grp AND k.id = m.key AND h.hour = $h5 AND k.name = 'leak';
	UPDATE sum_fail_hour f SET n = f.n - 100 FROM sum_hours h
		WHERE h.id = f.grp AND h.hour = $h5 AND f.step = 'leak'" >/dev/null
# the hour cells kept run by run equal those the migration builds from the
# summarised runs, and those the documented retention builds again
central_hours >"$CENTRAL/hours.kept"
[ "$(wc -l <"$CENTRAL/hours.kept")" -gt 20 ] || fail "hour cells: $(cat "$CENTRAL/hours.kept")"
central_drop_v15
assert_match "$("$st" central migrate --url "$PG_ADMIN")" "schema version 14 -> 15" "the upgrade"
central_hours >"$CENTRAL/hours.built"
cmp -s "$CENTRAL/hours.kept" "$CENTRAL/hours.built" ||
	fail "the hour cells kept differ from the migration's: $(diff "$CENTRAL/hours.kept" "$CENTRAL/hours.built" | head -5)"
pg_sql "$(awk '/^TRUNCATE sum_runs/' "$ST_TOP/docs/central.md")
	SELECT central_summarise_all()" >/dev/null || fail "the documented rebuild"
central_hours >"$CENTRAL/hours.built"
cmp -s "$CENTRAL/hours.kept" "$CENTRAL/hours.built" ||
	fail "the hour cells kept differ from the rebuild's: $(diff "$CENTRAL/hours.kept" "$CENTRAL/hours.built" | head -5)"
# the documented list of an older version, without the hour cells: refused
assert_match "$(pg_sql "TRUNCATE sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails,
	sum_meas_keys, sum_meas, sum_cap_keys, sum_cap, sum_cap_day, sum_cap_month" 2>&1)" \
	"cannot truncate a table referenced in a foreign key constraint" "an older rebuild's list"
# the plain text, byte for byte but its first line and the histograms' bars
nobars='1d; / |[x ]* [0-9]/d'
for f in "" "--station s2" "--with-errors"; do
	# shellcheck disable=SC2086
	"$st" report --db "$m" $week $f | sed "$nobars" >"$CENTRAL/plain-log.txt"
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" $week $f | sed "$nobars" >"$CENTRAL/plain-central.txt"
	cmp -s "$CENTRAL/plain-log.txt" "$CENTRAL/plain-central.txt" ||
		fail "plain report $f differs: $(diff "$CENTRAL/plain-log.txt" "$CENTRAL/plain-central.txt" | head)"
done
echo ok
