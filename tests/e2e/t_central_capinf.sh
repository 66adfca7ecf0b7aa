#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report --capability of values that include an infinity gives the same on
# the central store (its cells combined on the server, or its rows) as on
# the log that holds the same runs (its cells, or its rows): the station
# records no infinity (a reading "inf" is not a number to it: the step
# fails, the text kept), but a log edited by hand may hold 9e999, which the
# forwarder sends as Infinity.  The figures of such values (docs/quality.md,
# "Values that include an infinity"): the mean is that infinity (text "inf"
# or "-inf"; "nan" with both; JSON null, CSV empty), no sigma, MR-bar, Cp,
# Cpk, Pp nor Ppk ("-", null, empty), the counts as they are.  The store
# made the mean NaN and the overall sigma NaN where the log said +inf and 0
# (a sigma of 0 beside an infinite value: the values' scale, infinite, made
# every sigma "rounding").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
central_station s1
y=$CENTRAL/s1/station.yaml
db=$CENTRAL/s1/s1.db
# the station without the store first: the log edited before it is sent
sed '/^central:/,/backoff:/d' "$y" >"$CENTRAL/s1/alone.yaml"
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$st" run -c "$CENTRAL/s1/alone.yaml" --once --serial "U$i" >/dev/null 2>&1 || fail "run U$i"
done
# units 2k and 2k + 1 a minute apart in hour 13k from 2026-01-20 00:00 UTC
# (five cells over three days); U3 reads +inf, U7 -inf, each the second
# value of its cell and a day apart (station db rebuild refuses a log whose
# capability cell starts with an infinity, the cell's reference, or whose
# day of measurement summaries holds both: NaN, stored as NULL)
sqlite3 "$db" "CREATE TEMP TABLE t AS SELECT id, 1768867200000000
		+ (substr(unit_serial, 2) / 2) * 46800000000 + (substr(unit_serial, 2) % 2) * 60000000
		AS us FROM runs;
	UPDATE runs SET started_us = (SELECT us FROM t WHERE t.id = runs.id),
		ended_us = (SELECT us FROM t WHERE t.id = runs.id) + 1000000;
	UPDATE steps SET started_us = (SELECT us FROM t WHERE t.id = steps.run_id) + idx * 1000,
		ended_us = (SELECT us FROM t WHERE t.id = steps.run_id) + idx * 1000 + 500;
	UPDATE measurements SET value = CASE (SELECT unit_serial FROM runs r JOIN steps s
		ON s.run_id = r.id WHERE s.id = measurements.step_id) WHEN 'U3' THEN 9e999
		WHEN 'U7' THEN -9e999 ELSE value END" || fail "editing the log"
"$st" db rebuild --db "$db" >/dev/null || fail "the log's summaries rebuilt"
assert_eq "$("$st" central sync -c "$y")" "central sync: 10 sent, 0 still queued ($db)" "sent"
assert_eq "$(pg_sql "SELECT string_agg(value::text, ' ' ORDER BY value) FROM measurements
	WHERE value = 'Infinity' OR value = '-Infinity'")" "-Infinity Infinity" "stored as the log holds them"
hour() {	# SERIAL: the UTC hour its run started in, as --since takes it
	date -u -d "@$(sql "$db" "SELECT started_us / 1000000 FROM runs WHERE unit_serial = '$1'")" \
		+%Y-%m-%dT%H
}
# windows: every run (both infinities); U0..U5 (+inf); U4..U9 (-inf);
# U4, U5 (none); U2, U3; off the hour (the cells' minutes from the rows)
windows=("" "--until $(hour U7):00" "--since $(hour U4):00" "--since $(hour U4):00 --until $(hour U7):00"
	"--since $(hour U3):00 --until $(hour U4):00" "--since $(hour U2):00:30 --until $(hour U8):00:30")
for w in "${windows[@]}"; do
	for fmt in json csv text; do
		for o in "" --subgroups --from-rows; do
			# shellcheck disable=SC2086
			central_same "$db" report --capability -f $fmt $o $w
		done
	done
done
# the figures themselves (the log's)
figs() {	# ARGS...: mean, MR-bar, sigma within and overall of the text report
	# shellcheck disable=SC2068
	"$st" report --capability --db "$db" $@ | sed -n 's/^    n \([0-9]*\)  mean \([^ ]*\)  MR-bar \([^ ]*\)  sigma within \([^ ]*\)  overall \([^ ]*\)$/\1 \2 \3 \4 \5/p'
}
assert_eq "$(figs "${windows[1]}")" "6 inf - - -" "+inf among them: the mean +inf, no sigma"
assert_eq "$(figs "${windows[2]}")" "6 -inf - - -" "-inf among them"
assert_eq "$(figs)" "10 nan - - -" "both: no mean"
assert_match "$(figs "${windows[3]}")" "^2 3\.[0-9]+ [0-9.e-]+ [0-9.e-]+ [0-9.e-]+$" "none: figures"
"$st" report --capability -f json --db "$db" ${windows[1]} >"$CENTRAL/inf.json"
assert_eq "$(python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))["measurements"][0]
print(m["n"], m["moving_ranges"], [k for k, v in m.items() if v is None])' "$CENTRAL/inf.json")" \
	"6 5 ['mean', 'mr_bar', 'sigma_within', 'sigma_overall', 'cp', 'cpk', 'pp', 'ppk']" \
	"JSON: the counts, no figure"
echo "ok ($CENTRAL_SAME_N comparisons)"
