#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station report --central gives on the central store the figures the same
# runs give in SQLite: three stations forward (passes, rail failures, a unit
# retested on another station, so first-pass yield spans stations); their
# three logs merged into one SQLite file by hand; the JSON reports of both
# compared figure by figure (yield, first-pass yield, by day, Pareto, every
# measurement's n, mean, sigma, min, max, Cpk, beyond-limit counts and
# histogram), unfiltered and with --station and --outcome; then units per
# operation (one serial in two operations on two stations, runs without a
# serial, error and aborted runs) and a one-sided measurement, every filter
# on the summaries and on the rows, and the plain text byte for byte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
central_station s1
central_station s2 --rail 3v3=3.350
central_station s3 --rail 3v3=2.875	# (23/8: a mean of equal values stays exact)
central_run s1 U1; central_run s1 U2
central_run s3 U3		# fails its rail ...
central_run s2 U3		# ... passes on s2: U3's first run failed
central_run s2 U4; central_run s3 U5
# a run that reaches the store late: U6 fails on s3 while PostgreSQL is
# down, then passes on s2, forwarded at once; s3's earlier run arrives
# last and is U6's first run all the same (its first-pass yield: failed)
pg_stop
central_run s3 U6
pg_resume
central_run s2 U6
"$st" central sync -c "$CENTRAL/s3/station.yaml" >/dev/null
for s in s1 s2 s3; do
	assert_eq "$(sql "$CENTRAL/$s/$s.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")" "0" "$s forwarded"
done

# the merged log: s1's, then s2's and s3's rows with their local ids moved
m=$CENTRAL/merged.db
central_merge "$m" s1 s2 s3
assert_eq "$(sql "$m" "SELECT count(*) FROM runs")" "8" "eight runs merged"

# --capability (central schema 7): from the capability cells and from the
# rows (--from-rows), and from the merged log's rows, the same JSON
CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
capsame() {	# LOG? ARGS...: cells and rows agree; LOG "log": and the merged log
	local log=$1
	shift
	"$st" report "${CEN[@]}" --capability -f json "$@" -o "$CENTRAL/cap-sums.json" ||
		fail "report --central --capability $*"
	"$st" report "${CEN[@]}" --capability --from-rows -f json "$@" -o "$CENTRAL/cap-rows.json" ||
		fail "report --central --capability --from-rows $*"
	central_cap_same "$CENTRAL/cap-sums.json" "$CENTRAL/cap-rows.json" ||
		fail "--capability $*: cells and rows differ: $(diff "$CENTRAL/cap-sums.json" "$CENTRAL/cap-rows.json" | head)"
	grep -q '"n": [1-9]' "$CENTRAL/cap-sums.json" || fail "--capability $*: no values"
	[ "$log" = log ] || return 0
	"$st" report --db "$m" --capability --from-rows -f json "$@" -o "$CENTRAL/cap-log.json"
	central_cap_same "$CENTRAL/cap-sums.json" "$CENTRAL/cap-log.json" ||
		fail "--capability $*: the store and the log differ: $(diff "$CENTRAL/cap-log.json" "$CENTRAL/cap-sums.json" | head)"
}
capn() {	# JQ-ish: SEQUENCE STEP FIELD of report --capability ARGS...
	local sq=$1 stp=$2 fld=$3
	shift 3
	"$st" report "${CEN[@]}" --capability -f json "$@" -o "$CENTRAL/capn.json"
	python3 -c 'import json, sys; print(*[m[sys.argv[4]] for m in json.load(open(sys.argv[1]))["measurements"]
		if m["sequence"] == sys.argv[2] and m["step"] == sys.argv[3]])' "$CENTRAL/capn.json" "$sq" "$stp" "$fld"
}
same() {	# ARGS...: report --db merged and --central agree on every figure
	# (CENTRAL_ARGS, when set: the central report's own arguments)
	local cargs=("$@")
	[ -z "${CENTRAL_ARGS:-}" ] || read -ra cargs <<<"$CENTRAL_ARGS"
	"$st" report --db "$m" -f json "$@" -o "$CENTRAL/local.json"
	"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json "${cargs[@]}" \
		-o "$CENTRAL/central.json" || fail "report --central ${cargs[*]}"
	central_report_same "$CENTRAL/local.json" "$CENTRAL/central.json" || fail "reports differ: $*"
}
# every filter the cells answer, the store's cells, its rows and the log's
# rows alike: U6's first run (s3's, forwarded last) took the place of its
# s2 run, whose hour was computed again (its cell would still hold U6's
# second run); the fixtures have the stations' names here, so the log too
h0=$(date -u -d '-2 hours' +%Y-%m-%dT%H:00)
for f in "" "--station s2" "--fixture s3" "--sequence central-e2e" "--sequence central-e2e@1.0.0" \
	"--station s3 --sequence central-e2e" "--since $h0" "--station s2 --fixture s2 --since $h0" \
	"--since 2000-01-01 --until 2100-01-01"; do
	# shellcheck disable=SC2086
	capsame log $f
done
for f in "--subgroups" "--subgroups --station s2" "--all-runs" "--outcome pass"; do
	# shellcheck disable=SC2086
	capsame log $f
done
assert_eq "$(capn central-e2e "rail 3V3" n)" "6" "six units' first runs (U6's on s3)"
# ... and the cells do answer: a cell changed by hand shows, a month's
# without a window (central schema 8), an hour's in a window of hours
pg_sql "UPDATE sum_cap_month SET n = n + 1000 WHERE station = 's2'" >/dev/null
assert_eq "$(capn central-e2e "rail 3V3" n --station s2)" "1001" "the cells answer --station (U4: s2's one first run)"
assert_eq "$(capn central-e2e "rail 3V3" n --station s2 --from-rows)" "1" "the rows, asked"
pg_sql "UPDATE sum_cap_month SET n = n - 1000 WHERE station = 's2'" >/dev/null
pg_sql "UPDATE sum_cap SET n = n + 1000 WHERE station = 's2'" >/dev/null
h3=$(date -u -d "${h0/T/ } UTC + 3 hours" +%Y-%m-%dT%H:00)
assert_eq "$(capn central-e2e "rail 3V3" n --station s2 --since "$h0" --until "$h3")" "1001" \
	"the hour cells answer a window of hours"
pg_sql "UPDATE sum_cap SET n = n - 1000 WHERE station = 's2'" >/dev/null
# --since @1 (not a midnight): the merged log answers from its hour cells
# and the first hour's rows, the central store from its day cells and the
# first day's rows (report_edge.c)
same --since @1
same --since @1 --station s2
same --since @1 --outcome fail
same --since @1 --fixture s3
# whole days: the central summaries answer (central schema 4), the merged
# log its rows (--since a second later: the same runs); every level of cells
for f in "" "--station s2" "--fixture s3" "--sequence central-e2e" "--station s2 --fixture s2" \
	"--sequence central-e2e@1.0.0" "--station s3 --sequence central-e2e"; do
	# shellcheck disable=SC2086
	CENTRAL_ARGS="--since 2000-01-01 --until 2100-01-01 $f" same --since @946684801 --until @4102444799 $f
done
# ... and they do answer: a cell changed by hand shows in the report
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE level = 't' AND station = 's2'" >/dev/null
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json --station s2 \
	--since 2000-01-01 -o "$CENTRAL/tampered.json"
assert_match "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"]["runs"])' \
	"$CENTRAL/tampered.json")" "^100[0-9]$" "the summaries answer a whole-day filter"
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE level = 't' AND station = 's2'" >/dev/null
# the figures themselves
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json -o "$CENTRAL/all.json"
assert_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); t = d["total"]
print(t["runs"], t["units"], t["passed"], t["first_units"], t["first_passed"], d["failures"][0]["step"],
      d["measurements"][0]["n"])' "$CENTRAL/all.json")" \
	"8 6 5 6 3 rail 3V3 8" "8 runs, 6 units, 5 passed, 3 the first time, the rail tops the Pareto"
grep -q -- "-secret" "$CENTRAL/all.json" && fail "a password in the report"
# the writer may not read: a report needs a reader login
rc=0; "$st" report --central "$CENTRAL_URL" --passfile "$CENTRAL_PASS" >/dev/null 2>"$CENTRAL/w.err" || rc=$?
assert_eq "$rc" "4" "the writer role cannot read"
assert_match "$(cat "$CENTRAL/w.err")" "permission denied" "says why"

# --with-errors: error and aborted runs judge their unit too, as failures.
# Runs ended so (a station's error, an abort), added to both stores alike:
# U1 aborted before its passing run (its first run now), U2 in error after
# its pass, U7 only in error, and an error run without a serial
ins="INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name,
	sequence_version, started_us, ended_us, outcome) SELECT"
werr="$ins 'e0000000000000000000000000000001', unit_serial, station, fixture, operator,
	sequence_name, sequence_version, started_us - 1000, ended_us - 1000, 'aborted' FROM runs
	WHERE unit_serial = 'U1' AND outcome = 'pass';
$ins 'e0000000000000000000000000000002', 'U2', station, fixture, operator, sequence_name,
	sequence_version, started_us + 1000, ended_us + 1000, 'error' FROM runs WHERE unit_serial = 'U2' AND outcome = 'pass';
$ins 'e0000000000000000000000000000003', 'U7', station, fixture, operator, sequence_name,
	sequence_version, started_us + 2000, ended_us + 2000, 'error' FROM runs WHERE unit_serial = 'U2' AND outcome = 'pass';
$ins 'e0000000000000000000000000000004', NULL, station, fixture, operator, sequence_name,
	sequence_version, started_us + 3000, ended_us + 3000, 'error' FROM runs WHERE unit_serial = 'U4' AND outcome = 'pass';"
sqlite3 "$m" "$werr" || fail "error runs into the log"
# rows written by hand: the log's summaries recomputed (station db rebuild),
# which its report reads for the whole hours of a window in seconds too
"$st" db rebuild --db "$m" >/dev/null || fail "rebuilding the merged log's summaries"
pg_sql "$werr; SELECT central_summarise_run(id) FROM runs WHERE id LIKE 'e000%'" >/dev/null
same --since @1 --with-errors
same --since @1 --with-errors --station s3
same --since @1 --with-errors --outcome error
same --since @1	# and without, the error runs left out
for f in "" "--station s3" "--fixture s1" "--station s1 --sequence central-e2e"; do
	# shellcheck disable=SC2086
	CENTRAL_ARGS="--since 2000-01-01 --until 2100-01-01 --with-errors $f" \
		same --since @946684801 --until @4102444799 --with-errors $f
	CENTRAL_ARGS="--since 2000-01-01 --until 2100-01-01 $f" same --since @946684801 --until @4102444799 $f
done
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json --with-errors \
	-o "$CENTRAL/we.json" || fail "report --central --with-errors"
assert_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); t = d["total"]
print(t["runs"], t["units"], t["passed"], t["first_units"], t["first_passed"], d["error_runs"],
      d["aborted_runs"], d["unidentified_runs"])' "$CENTRAL/we.json")" "12 7 5 7 2 3 1 1" \
	"with errors: 12 runs, U7 a unit that failed, U1 failed first (aborted)"
# Units per operation (the log's schema 9, central schema 6), the probe's
# shapes: P1 in 'ict' on s1 (failed, then passed the next day) and in
# 'final' on s2 (failed first); P2 in 'ict' on s1, in 'final' on s2 failed,
# then in error and aborted; U3 (of central-e2e) in 'ict' too; P3 on s1
# with fixture s2; two runs without a serial (no unit: unidentified).  Two
# days of 2026-01 (whole-day filters read the central summaries).  For
# --with-errors from the summaries (report_err.c): P4's first ict run an
# error on s3, retested (passed) on s1 the next day; P5's first final run
# aborted on s3, then failed there, passed on s1 the next day; P6 only in
# error, twice on one day; P1's ict in error on s3 before its first
# judged run (on s1).
d5=1767607200000000; d6=$((d5 + 86400000000))
run() { echo "('f00000000000000000000000000000$1', $2, '$3', '$4', 'ann', '$5', '1.0', $6, $6 + 1000, '$7')"; }
ops="INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name,
	sequence_version, started_us, ended_us, outcome) VALUES
$(run 01 "'P1'" s1 s1 ict $d5 fail), $(run 02 "'P1'" s1 s1 ict $d6 pass),
$(run 03 "'P1'" s2 s2 final $((d5 + 50)) fail), $(run 04 "'P1'" s2 s2 final $((d6 + 100)) pass),
$(run 05 "'P2'" s1 s1 ict $((d5 + 200)) pass), $(run 06 "'P2'" s2 s2 final $((d5 + 300)) fail),
$(run 07 "'P2'" s2 s2 final $((d6 + 300)) error), $(run 08 "'P2'" s2 s2 final $((d6 + 400)) aborted),
$(run 09 NULL s3 s3 ict $((d5 + 500)) pass), $(run 10 NULL s3 s3 ict $((d6 + 500)) fail),
$(run 11 "'P3'" s1 s2 final $((d5 + 600)) pass), $(run 12 "'U3'" s2 s2 ict $((d6 + 700)) pass),
$(run 13 "'P4'" s3 s3 ict $((d5 + 800)) error), $(run 14 "'P4'" s1 s1 ict $((d6 + 800)) pass),
$(run 15 "'P5'" s3 s3 final $((d5 + 900)) aborted), $(run 16 "'P5'" s3 s3 final $((d5 + 950)) fail),
$(run 17 "'P5'" s1 s1 final $((d6 + 900)) pass), $(run 18 "'P6'" s1 s1 ict $((d6 + 1000)) error),
$(run 19 "'P6'" s1 s1 ict $((d6 + 1100)) error), $(run 20 "'P1'" s3 s3 ict $((d5 - 100)) error);"
# a measurement with an upper limit only ('leak', high 5): its histogram's
# frame is set by the value the summaries saw first (per sequence: ict 1.0,
# final 2.0), not by the first of the runs a filter selects
leak() {	# RUN VALUE STEP-OUTCOME: the step and its measurement, log then store
	local id=f00000000000000000000000000000$1 sid=$((9000000 + 10#$1))
	lsql+="INSERT INTO steps (id, run_id, idx, name, outcome) VALUES ($sid, '$id', 0, 'leak', '$3');
	INSERT INTO measurements (id, step_id, name, value, unit, high, outcome)
	VALUES ($sid, $sid, 'leak', $2, 'Pa', 5.0, '$3');"
	psql_+="INSERT INTO steps (run_id, id, idx, name, outcome) VALUES ('$id', $sid, 0, 'leak', '$3');
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, high, outcome, started_us)
	SELECT '$id', $sid, $sid, 'leak', $2, 'Pa', 5.0, '$3', started_us FROM runs WHERE id = '$id';"
}
lsql=""; psql_=""
leak 01 1.0 pass; leak 05 1.5 pass; leak 12 4.0 pass
leak 03 2.0 pass; leak 06 3.0 fail; leak 11 4.5 pass
sqlite3 "$m" "$ops $lsql" || fail "runs of two operations into the log"
pg_sql "$ops $psql_ SELECT central_summarise_runs(array_agg(id ORDER BY started_us)) FROM runs
	WHERE id LIKE 'f000%'" >/dev/null
# the log's summaries of these keys, as its own writing would have made them
pg_sql "SELECT format('INSERT INTO meas_keys (sequence_name, step, name, unit, low, high, ref,
	hist_lo, hist_width, hist_hi) VALUES (%L, %L, %L, %L, NULL, %s, %s, %s, %s, %s);',
	sequence_name, step, name, unit, high, ref, hist_lo, hist_width, hist_hi)
	FROM sum_meas_keys WHERE step = 'leak'" >"$CENTRAL/keys.sql"
assert_eq "$(grep -c "'leak'" "$CENTRAL/keys.sql")" "2" "one key per sequence"
sqlite3 "$m" <"$CENTRAL/keys.sql" || fail "the keys into the log"
"$st" db rebuild --db "$m" >/dev/null || fail "rebuilding the merged log's summaries"
all="--since 2000-01-01 --until 2100-01-01"
for f in "" "--station s1" "--station s2" "--station s3" "--fixture s2" "--sequence ict" \
	"--sequence final" "--station s2 --sequence final" "--station s1 --fixture s2" \
	"--outcome fail" "--outcome pass" "--station s2 --outcome fail" "--with-errors" \
	"--with-errors --station s2" "--station s1 --sequence final" "--with-errors --station s1" \
	"--with-errors --station s3" "--with-errors --fixture s2" "--with-errors --fixture s3" \
	"--with-errors --sequence ict" "--with-errors --sequence final" \
	"--with-errors --station s1 --sequence ict" "--with-errors --station s3 --sequence final@1.0" \
	"--with-errors --station s1 --fixture s2"; do
	# shellcheck disable=SC2086
	CENTRAL_ARGS="$all $f" same --since @946684801 --until @4102444799 $f
	# shellcheck disable=SC2086
	same --since @1 $f
done
# fixture s2 on two stations (P3 ran on s1's fixture named s2): its moving
# ranges are each station's, never across (the merged log, one station's
# journal, takes them for one fixture: 2 ranges for 1); the cells and the
# rows agree, for every filter the cells answer, with whole hours
assert_eq "$(capn final leak moving_ranges)" "1" "final leak: s2's two values make one range, s1's one none"
assert_eq "$(capn final leak moving_ranges --from-rows)" "1" "the rows, station by station"
assert_eq "$(capn final leak n --fixture s2)" "3" "--fixture s2: both stations' fixture"
"$st" report --db "$m" --capability --from-rows -f json -o "$CENTRAL/cap-log.json"
assert_eq "$(python3 -c 'import json, sys; print(*[m["moving_ranges"] for m in json.load(open(sys.argv[1]))["measurements"]
	if m["step"] == "leak" and m["sequence"] == "final"])' "$CENTRAL/cap-log.json")" "2" "the merged log's one fixture s2"
for f in "" "--fixture s2" "--station s1" "--station s2 --sequence final" "--sequence ict@1.0" \
	"--since 2026-01-05T11:00 --until 2026-01-06T13:00" "--fixture s2 --since 2026-01-06" \
	"--subgroups" "--subgroups --fixture s2" "--outcome fail --station s2"; do
	# shellcheck disable=SC2086
	capsame rows $f
done
# a window of whole days (the summaries) and of seconds (the rows)
CENTRAL_ARGS="--fixture s2 --since 2026-01-06" same --fixture s2 --since @1767657601
CENTRAL_ARGS="--fixture s1 --until 2026-01-05" same --fixture s1 --since @1 --until @1767657600
CENTRAL_ARGS="--station s2 --since 2026-01-05 --until 2026-01-05" \
	same --station s2 --since @1767571201 --until @1767657600
# --with-errors, a day at a time: the day of P4's and P5's first runs (in
# error, aborted), the day of their retests
for f in "--station s3" "--station s1" "" "--sequence ict"; do
	# shellcheck disable=SC2086
	CENTRAL_ARGS="--with-errors $f --since 2026-01-05 --until 2026-01-05" \
		same --with-errors $f --since @1767571201 --until @1767657600
	# shellcheck disable=SC2086
	CENTRAL_ARGS="--with-errors $f --since 2026-01-06 --until 2026-01-06" \
		same --with-errors $f --since @1767657601 --until @1767744000
done
# whole hours, not days: the day cells and the partial days' rows
CENTRAL_ARGS="--since 2026-01-05T11:00 --until 2026-01-06T13:00" \
	same --since @1767610801 --until @1767704399
# the plain text report, byte for byte but its first line (the store), its
# filters (other words, the same runs) and the histograms' bars: a log's
# histogram draws its tails out to the real min/max, the store's summaries
# keep the outermost bin open-ended (docs/central.md); the summaries against
# the rows
nobars='1d; /^filters:/d; / |[x ]* [0-9]/d'
for f in "" "--station s2" "--fixture s2" "--sequence ict" "--outcome fail"; do
	# shellcheck disable=SC2086
	"$st" report --db "$m" --since @946684801 --until @4102444799 $f | sed "$nobars" \
		>"$CENTRAL/plain-log.txt"
	# shellcheck disable=SC2086
	"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" $all $f |
		sed "$nobars" >"$CENTRAL/plain-central.txt"
	cmp -s "$CENTRAL/plain-log.txt" "$CENTRAL/plain-central.txt" ||
		fail "plain report $f differs: $(diff "$CENTRAL/plain-log.txt" "$CENTRAL/plain-central.txt" | head)"
done
"$st" report --central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass" -f json $all --station s2 \
	-o "$CENTRAL/ops.json" || fail "report --central --station s2"
assert_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); t = d["total"]
print(t["runs"], t["units"], t["passed"], t["first_units"], t["first_passed"])' "$CENTRAL/ops.json")" \
	"10 6 5 4 2" "s2: P1 final, P2 final, U3 ict are units of s2 with their first runs there"
# report --operations from the day cells (central/read_grp.c) for the
# filters they answer (whole UTC days, station, fixture, sequence), with
# and without --with-errors: the same JSON, CSV and text (its filters line
# aside) as the runs (a window of seconds reads them) and the merged log,
# with runs without a sequence name too: Q1 failed, then passed the next
# day (one unit of two days), Q2 on s2's fixture s1, an unidentified run;
# the runs per unit come from the runs
nrun() { echo "('f10000000000000000000000000000$1', $2, '$3', '$4', 'ann', NULL, NULL, $5, $5 + 1000, '$6')"; }
nseq="INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name,
	sequence_version, started_us, ended_us, outcome) VALUES
$(nrun 01 "'Q1'" s1 s1 $((d5 + 2000)) fail), $(nrun 02 "'Q1'" s1 s1 $((d6 + 2000)) pass),
$(nrun 03 "'Q2'" s2 s1 $((d5 + 2100)) pass), $(nrun 04 NULL s3 s3 $((d6 + 2200)) pass);"
sqlite3 "$m" "$nseq" || fail "runs without a sequence into the log"
"$st" db rebuild --db "$m" >/dev/null || fail "rebuilding the merged log's summaries"
pg_sql "$nseq SELECT central_summarise_runs(array_agg(id ORDER BY started_us)) FROM runs
	WHERE id LIKE 'f100%'" >/dev/null || fail "runs without a sequence into the store"
opsame() {	# "CELLS' WINDOW" "THE RUNS' WINDOW" ARGS...
	local cw=$1 rw=$2 fmt we
	shift 2
	for fmt in json csv text --with-errors; do
		we=
		[ $fmt != --with-errors ] || { we=$fmt; fmt=json; }
		# shellcheck disable=SC2086
		"$st" report "${CEN[@]}" --operations $we -f $fmt $cw "$@" -o "$CENTRAL/ops-cells" ||
			fail "--operations $we $cw $*"
		# shellcheck disable=SC2086
		"$st" report "${CEN[@]}" --operations $we -f $fmt $rw "$@" -o "$CENTRAL/ops-rows" ||
			fail "--operations $we $rw $*"
		# shellcheck disable=SC2086
		"$st" report --db "$m" --operations $we -f $fmt $rw "$@" -o "$CENTRAL/ops-log"
		[ $fmt != text ] || sed -i 1d "$CENTRAL/ops-cells" "$CENTRAL/ops-rows" "$CENTRAL/ops-log"
		cmp -s "$CENTRAL/ops-cells" "$CENTRAL/ops-rows" ||
			fail "--operations $we -f $fmt $cw $*: the cells and the runs differ: $(diff "$CENTRAL/ops-cells" "$CENTRAL/ops-rows" | head -8)"
		cmp -s "$CENTRAL/ops-cells" "$CENTRAL/ops-log" ||
			fail "--operations $we -f $fmt $cw $*: the store and the log differ: $(diff "$CENTRAL/ops-cells" "$CENTRAL/ops-log" | head -8)"
	done
}
secs="--since @946684801 --until @4102444799"
for f in "" "--station s1" "--station s2" "--station s3" "--fixture s1" "--fixture s2" \
	"--sequence ict" "--sequence final" "--sequence final@1.0" "--station s2 --sequence final" \
	"--station s1 --fixture s2" "--station s2 --fixture s1"; do
	# shellcheck disable=SC2086
	opsame "$all" "$secs" $f
done
for f in "" "--station s1" "--sequence ict" "--station s2 --fixture s1"; do
	# shellcheck disable=SC2086
	opsame "--since 2026-01-05 --until 2026-01-05" "--since @1767571201 --until @1767657600" $f
	# shellcheck disable=SC2086
	opsame "--since 2026-01-06" "--since @1767657601" $f
done
# shellcheck disable=SC2086
"$st" report "${CEN[@]}" --operations -f csv $all -o "$CENTRAL/ops.csv"
assert_eq "$(grep -E '^operation,(-|ict),(runs|units|passed|first_units|first_passed|errors|unidentified),' \
	"$CENTRAL/ops.csv" | cut -d, -f2- | tr -d '\r' | tr '\n' ' ')" \
	"-,runs,4 -,units,2 -,passed,2 -,first_units,2 -,first_passed,1 -,errors,0 -,unidentified,1 ict,runs,11 ict,units,4 ict,passed,4 ict,first_units,4 ict,first_passed,3 ict,errors,4 ict,unidentified,2 " \
	"operations: none's Q1 and Q2; ict's P1 (failed first, passed the next day), P2, U3, P4"
# the cells answer: one changed by hand shows, the operations' own (level
# q) for no filter, the finest (x) for a station
opruns() {	# OPERATION ARGS...: its runs by report --operations ARGS
	local op=$1
	shift
	"$st" report "${CEN[@]}" --operations -f csv "$@" -o "$CENTRAL/opruns.csv" &&
		grep "^operation,$op,runs," "$CENTRAL/opruns.csv" | cut -d, -f4 | tr -d '\r'
}
for lv in "q|" "x|--station s1"; do
	read -ra f <<<"${lv#*|}"
	# shellcheck disable=SC2086
	good=$(opruns ict $all "${f[@]}")
	pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE level = '${lv%%|*}' AND sequence_name = 'ict'
		AND station IN ('', 's1') AND outcome IN ('', 'fail') AND day = $((d5 / 86400000000))" >/dev/null
	# shellcheck disable=SC2086
	got=$(opruns ict $all "${f[@]}")
	# shellcheck disable=SC2086
	gotwe=$(opruns ict --with-errors $all "${f[@]}")
	pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE level = '${lv%%|*}' AND sequence_name = 'ict'
		AND station IN ('', 's1') AND outcome IN ('', 'fail') AND day = $((d5 / 86400000000))" >/dev/null
	assert_eq "$got" "$((good + 1000))" "--operations ${f[*]} from the level ${lv%%|*} cells"
	assert_eq "$gotwe" "$((good + 1000))" "--operations --with-errors ${f[*]} from the level ${lv%%|*} cells"
	# shellcheck disable=SC2086
	assert_eq "$(opruns ict $secs "${f[@]}")" "$good" "--operations ${f[*]} from the runs"
done
echo ok
