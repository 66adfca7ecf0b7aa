#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report --central --spc NAME refuses a chart that mixes sequences or units
# as the log does (report/spc.c one_kind(), the store's kinds and points:
# central/read_sql.c cpr_kinds(), the points' sequence_name): the same runs
# in the store and in one SQLite log, vout measured by sequences ict and
# final (in V) and eol (version 1.0 in V, 2.0 in mV).  --spc vout refuses on
# both with the same message and exit status, under filters narrow and
# wide, every format, every point or both ends; --sequence picking one
# sequence (and version) draws the same chart on both; a run put in without
# its summaries (a kind the keys do not know) is refused alike, from the
# points read.  The kinds are counted from the capability cells where they
# answer the filter (a cell changed by hand shows), else from the rows, a
# narrow filter's by index (measurements_name_run), never a scan of the
# measurements.  (Before: the store drew a chart of ict's and final's
# values where the log refused it.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
m=$CENTRAL/merged.db
"$st" db migrate --db "$m" >/dev/null || fail "migrate the log"
sqlite3 "$m" "INSERT INTO stations (name, first_seen_us, last_seen_us) VALUES ('s1', 0, 0), ('s2', 0, 0)" ||
	fail "the log's stations"

# units A..H tested in ict on s1 (fixture fa, day 0) and in final on s2
# (fc, day 1), vout in V (final's with leak in Pa); P1..P8 in eol on s1 (fb,
# day 2), P5..P8 at version 2.0 in mV (central_runs_sql writes 1.0 and V:
# changed in both SQL files alike)
runs="
A ict s1 fa 0 08:00 pass vout:pass:5.01
B ict s1 fa 0 08:10 pass vout:pass:5.03
C ict s1 fa 0 08:20 fail vout:fail:5.12
C ict s1 fa 0 08:30 pass vout:pass:4.98
D ict s1 fa 0 08:40 pass vout:pass:5.00
E ict s1 fa 0 08:50 pass vout:pass:5.02
F ict s1 fa 0 09:00 pass vout:pass:4.99
G ict s1 fa 0 09:10 pass vout:pass:5.04
H ict s1 fa 0 09:20 pass vout:pass:5.01
A final s2 fc 1 08:00 pass vout:pass:5.00 leak:pass:2.0
B final s2 fc 1 08:10 pass vout:pass:5.02 leak:pass:1.5
C final s2 fc 1 08:20 pass vout:pass:5.01 leak:pass:2.5
D final s2 fc 1 08:30 pass vout:pass:4.97 leak:pass:3.0
E final s2 fc 1 08:40 pass vout:pass:5.00 leak:pass:2.0
F final s2 fc 1 08:50 pass vout:pass:5.05 leak:pass:1.0
G final s2 fc 1 09:00 pass vout:pass:5.01 leak:pass:2.2
H final s2 fc 1 09:10 pass vout:pass:4.99 leak:pass:2.4
P1 eol s1 fb 2 08:00 pass vout:pass:5.01
P2 eol s1 fb 2 08:10 pass vout:pass:5.00
P3 eol s1 fb 2 08:20 pass vout:pass:5.02
P4 eol s1 fb 2 08:30 pass vout:pass:4.99
P5 eol s1 fb 2 08:40 pass vout:pass:5010
P6 eol s1 fb 2 08:50 pass vout:pass:5000
P7 eol s1 fb 2 09:00 pass vout:pass:5020
P8 eol s1 fb 2 09:10 pass vout:pass:4990
"
central_runs_sql kinds k 9300000 - "$runs"
for f in "$CENTRAL/kinds-log.sql" "$CENTRAL/kinds-pg.sql"; do
	sed -i -E "s/'vout', (5[0-9]{3}|4[0-9]{3}), 'V'/'vout', \1, 'mV'/; /'P[5-8]', /s/'eol', '1\.0'/'eol', '2.0'/" "$f"
done
assert_eq "$(grep -c "'mV'" "$CENTRAL/kinds-pg.sql") $(grep -c "'eol', '2.0'" "$CENTRAL/kinds-log.sql")" \
	"4 4" "eol's version 2.0 in mV"
pg_sql "$(cat "$CENTRAL/kinds-pg.sql")" >/dev/null || fail "the runs into the store"
sqlite3 "$m" <"$CENTRAL/kinds-log.sql" || fail "the runs into the log"
"$st" db rebuild --db "$m" >/dev/null || fail "rebuilding the log's summaries"

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
# refused ARGS...: report ARGS on the log and on the store: exit status 2,
# nothing printed, the same message; the message in $CENTRAL/log.err
refused() {
	local rca=0 rcb=0
	"$st" report --db "$m" "$@" >"$CENTRAL/log.out" 2>"$CENTRAL/log.err" || rca=$?
	"$st" report "${CEN[@]}" "$@" >"$CENTRAL/central.out" 2>"$CENTRAL/central.err" || rcb=$?
	assert_eq "$rca" "2" "the log refuses $*: $(cat "$CENTRAL/log.err")"
	assert_eq "$rcb" "2" "the store refuses $*: $(cat "$CENTRAL/central.err")"
	[ ! -s "$CENTRAL/log.out" ] && [ ! -s "$CENTRAL/central.out" ] || fail "$*: a chart printed"
	cmp -s "$CENTRAL/log.err" "$CENTRAL/central.err" ||
		fail "$*: the messages differ: $(diff "$CENTRAL/log.err" "$CENTRAL/central.err")"
}
# drawn ARGS...: the same chart on both, text, JSON and HTML: exit status
# 0, the same bytes (the HTML's generated time aside)
drawn() {
	local f a=$CENTRAL/log.out b=$CENTRAL/central.out
	for f in text json html; do
		"$st" report --db "$m" -f "$f" "$@" >"$a" 2>"$CENTRAL/log.err" ||
			fail "the log refuses -f $f $*: $(cat "$CENTRAL/log.err")"
		"$st" report "${CEN[@]}" -f "$f" "$@" >"$b" 2>"$CENTRAL/central.err" ||
			fail "the store refuses -f $f $*: $(cat "$CENTRAL/central.err")"
		sed -i -E 's/generated [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/generated (time)/' "$a" "$b"
		[ -s "$a" ] || fail "-f $f $*: no chart"
		cmp -s "$a" "$b" || fail "-f $f $*: the charts differ: $(diff "$a" "$b" | head -20)"
		charts=$((charts + 1))
	done
}
charts=0

kv="sequence eol@1\.0 in V \(4 values\), sequence eol@2\.0 in mV \(4 values\)"
fv="sequence final@1\.0 in V \(8 values\)"
iv="sequence ict@1\.0 in V \(8 values\)"
# ict's and final's values in V, days 0 and 1 (the issue: the store drew them)
refused --spc vout --since 2026-01-05 --until 2026-01-06
assert_match "$(cat "$CENTRAL/log.err")" "more than one sequence in the runs selected.*: $fv, $iv; --sequence NAME picks one" \
	"two sequences in one unit"
refused --spc vout
assert_match "$(cat "$CENTRAL/log.err")" "measurement 'vout' has values in more than one sequence and more than one unit in the runs selected, and one control chart cannot mix them: $kv, $fv, $iv; --sequence NAME picks one" \
	"the message names the kinds and --sequence"
for a in "-f json" "-f html" "--all-runs" "--last 0" "--last 2 --baseline 3" "--last 0 --all-runs"; do
	# shellcheck disable=SC2086
	refused --spc vout $a
done
# narrow filters: a unit (its ict and final runs), a window off midnight over
# days 0 and 1, a station (ict and eol)
refused --spc vout --serial C
assert_match "$(cat "$CENTRAL/log.err")" "sequence final@1\.0 in V \(1 value\), sequence ict@1\.0 in V \(1 value\); --sequence NAME picks one" \
	"--serial C: its first runs of each"
refused --spc vout --serial C --all-runs
assert_match "$(cat "$CENTRAL/log.err")" "sequence ict@1\.0 in V \(2 values\)" "--serial C --all-runs: both ict runs"
refused --spc vout --since 2026-01-05T09:00 --until 2026-01-06T08:30 --last 3
refused --spc vout --station s1
# one sequence in two units: the version picks one
refused --spc vout --sequence eol
assert_match "$(cat "$CENTRAL/log.err")" "in more than one unit in the runs selected, and one control chart cannot mix them: $kv; --sequence NAME@VERSION picks one" \
	"--sequence eol: two units, the version picks one"
refused --spc vout --fixture fb --last 0
refused --spc vout --sequence eol --since 2026-01-07T08:25 --until 2026-01-07T08:45

# one sequence, picked: the same chart on both
for a in "--sequence ict" "--sequence final" "--sequence eol@2.0" "--sequence eol@1.0" \
	"--sequence ict --last 3 --baseline 3" "--sequence final --last 0" "--sequence ict --all-runs" \
	"--sequence final --station s2" "--fixture fa" "--station s2 --last 2 --baseline 2" \
	"--since 2026-01-06 --until 2026-01-06" "--serial C --sequence ict --all-runs" \
	"--since 2026-01-07T08:35 --until 2026-01-07T09:30"; do
	# shellcheck disable=SC2086
	drawn --spc vout $a
done
"$st" report "${CEN[@]}" -f json --spc vout --sequence eol@2.0 >"$CENTRAL/eol.json" || fail "eol@2.0"
assert_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["unit"], [f["n"] for f in d["fixtures"]])' "$CENTRAL/eol.json")" "mV [4]" "eol@2.0: its 4 values in mV"
"$st" report "${CEN[@]}" -f json --spc vout --sequence ict >"$CENTRAL/ict.json" || fail "ict"
assert_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["unit"], [(f["fixture"], f["n"]) for f in d["fixtures"]])' "$CENTRAL/ict.json")" \
	"V [('fa', 8)]" "ict: its 8 first runs, fixture fa"
drawn --spc leak

# a run the summaries do not hold (put in by SQL, in both; the store's not
# summarised): leak's keys know final's only, the points read say eol's
# too, and the kinds are then read exactly, on both
sqlite3 "$m" "INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version,
	started_us, ended_us, outcome) VALUES ('x1', 'X1', 's1', 'fb', 'eol', '1.0', 1767900000000000,
	1767900001000000, 'pass');
INSERT INTO steps (id, run_id, idx, name, outcome) VALUES (9400000, 'x1', 0, 'leak', 'pass');
INSERT INTO measurements (id, step_id, name, value, unit, outcome) VALUES (9400000, 9400000, 'leak',
	2.1, 'Pa', 'pass')" || fail "x1 into the log"
pg_sql "INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version,
	started_us, ended_us, outcome) VALUES ('x1', 'X1', 's1', 'fb', 'eol', '1.0', 1767900000000000,
	1767900001000000, 'pass');
INSERT INTO steps (run_id, id, idx, name, outcome) VALUES ('x1', 9400000, 0, 'leak', 'pass');
INSERT INTO measurements (run_id, id, step_id, name, value, unit, outcome, started_us)
	VALUES ('x1', 9400000, 9400000, 'leak', 2.1, 'Pa', 'pass', 1767900000000000)" >/dev/null ||
	fail "x1 into the store"
assert_eq "$(pg_sql "SELECT count(DISTINCT sequence_name) FROM sum_meas_keys WHERE name = 'leak'")" "1" \
	"the store's keys of leak: final's only"
for a in "" "--last 0" "-f json"; do
	# shellcheck disable=SC2086
	refused --spc leak $a
done
assert_match "$(cat "$CENTRAL/log.err")" "more than one sequence in the runs selected, and one control chart cannot mix them: sequence eol@1\.0 in Pa \(1 value\), sequence final@1\.0 in Pa \(8 values\); --sequence NAME picks one" \
	"the kinds read exactly"
drawn --spc leak --sequence final

# the kinds counted: for a filter the capability cells answer (no filter,
# a station, a fixture, a sequence, whole hours), from those cells (a cell
# changed by hand shows in the message); for any other (a unit, a window
# off the hour) from the rows, a narrow filter's by measurements_name_run:
# whole reads priced out (as a store of millions prices them), no
# sequential scan of measurements
key="SELECT id FROM sum_cap_keys WHERE name = 'vout' AND sequence_version = '2.0'"
pg_sql "UPDATE sum_cap_month SET n = n + 1000 WHERE key IN ($key)" >/dev/null
"$st" report "${CEN[@]}" --spc vout --fixture fb 2>"$CENTRAL/e" >/dev/null && fail "--fixture fb drawn"
assert_match "$(cat "$CENTRAL/e")" "sequence eol@2\.0 in mV \(1004 values\)" "--fixture fb: the cells' counts"
"$st" report "${CEN[@]}" --spc vout --fixture fb --since 2026-01-07T08:00:01 2>"$CENTRAL/e" >/dev/null &&
	fail "--fixture fb off the hour drawn"
assert_match "$(cat "$CENTRAL/e")" "sequence eol@2\.0 in mV \(4 values\)" "off the hour: the rows' counts"
pg_sql "UPDATE sum_cap_month SET n = n - 1000 WHERE key IN ($key)" >/dev/null
mstat() {	# seq and index scans of measurements, reads of the capability keys
	pg_sql "SELECT pg_stat_clear_snapshot(); SELECT (SELECT seq_scan FROM pg_stat_user_tables
		WHERE relname = 'measurements') || ' ' || (SELECT idx_scan FROM pg_stat_user_indexes
		WHERE indexrelname = 'measurements_name_run') || ' ' || (SELECT seq_scan +
		coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'sum_cap_keys')" | tail -n 1
}
pg_sql "VACUUM ANALYZE runs, measurements" >/dev/null
# (the reader's settings: the station gives libpq options of its own, so
# PGOPTIONS would not reach the server)
pg_sql "ALTER ROLE qe SET enable_seqscan = off; ALTER ROLE qe SET enable_hashjoin = off;
	ALTER ROLE qe SET enable_mergejoin = off" >/dev/null
for a in "--serial D|rows" "--since 2026-01-05T08:00:30 --until 2026-01-06T08:15|rows" \
	"--fixture fb|cells" "--station s1|cells" "|cells"; do
	before=$(mstat)
	rc=0
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" --spc vout ${a%|*} >/dev/null 2>"$CENTRAL/e" || rc=$?
	assert_eq "$rc" "2" "--spc vout ${a%|*} refused: $(cat "$CENTRAL/e")"
	# the server counts a session's reads when it ends, after the command
	for _ in $(seq 50); do
		[ "$(mstat)" = "$before" ] || break
		sleep 0.1
	done
	read -r seq0 idx0 cap0 <<<"$before"
	read -r seq1 idx1 cap1 <<<"$(mstat)"
	assert_eq "$seq1" "$seq0" "sequential scans of measurements for ${a%|*}"
	if [ "${a#*|}" = rows ]; then
		[ "$idx1" -gt "$idx0" ] ||
			fail "${a%|*}: the kinds not read through measurements_name_run ($before -> $seq1 $idx1 $cap1)"
	else
		assert_eq "$idx1 $((cap1 > cap0))" "$idx0 1" "${a:-no filter}: the cells, no measurement read"
	fi
done
pg_sql "ALTER ROLE qe RESET ALL" >/dev/null
echo "ok ($charts charts the same)"
