#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report --capability on the central store, combined on the server from its
# capability cells of hours, days and months (central schema 8), gives the
# figures of its rows for every filter and window, a window's edges in
# hours, its whole days and its whole months: 960 runs of three stations,
# two fixtures each (the same names on every station), from 2026-01-20 to
# 2026-03-06 in bursts of eight runs that cross an hour now and then, two
# sequences, a limit changed without a new version, failures, errors,
# retests and runs without a serial, summarised in seven batches out of
# time order (late runs taking a unit's first place); then the day and
# month cells kept so equal those built again, a cell changed by hand shows
# at each level, and a store at version 7 combines its hour cells alike.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
# burst c (8 runs, 5 minutes apart) every 9 hours from 2026-01-20 00:00 UTC,
# at minute c * 37 % 60: station c % 3, fixture f(c / 3 % 2); serial i, but
# every tenth run retests the unit before it; i % 13 fails, i % 29 errors,
# i % 31 has no serial; measurement v1 (V, limits [0.9, 1.1], from burst
# 60 [0.95, 1.1]) and v2 (Pa, upper limit 5 only)
pg_sql "CREATE TEMP TABLE g AS SELECT i, i / 8 AS c, md5('cap' || i) AS id,
	1768867200000000 + (i / 8) * 32400000000 + ((i / 8) * 37 % 60) * 60000000::bigint
		+ (i % 8) * 300000000::bigint AS t FROM generate_series(0, 959) AS i;
INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name, sequence_version,
	started_us, ended_us, outcome)
SELECT id, CASE WHEN i % 31 = 0 THEN NULL WHEN i % 10 = 9 THEN 'P' || (i - 1) ELSE 'P' || i END,
	's' || (c % 3 + 1), 'f' || (c / 3 % 2 + 1), 'ann', CASE WHEN c % 3 = 2 THEN 'final' ELSE 'ict' END,
	'1.0', t, t + 60000000,
	CASE WHEN i % 29 = 0 THEN 'error' WHEN i % 13 = 0 THEN 'fail' ELSE 'pass' END FROM g;
INSERT INTO steps (run_id, id, idx, name, outcome) SELECT id, 1, 0, 'measure', 'pass' FROM g;
INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
SELECT id, j, 1, 'v' || j, CASE WHEN j = 1 THEN 1.0 + c * 0.0002
		+ 0.01 * ((i * 7919 % 1000) / 1000.0 - 0.5) ELSE 3.0 + (i * 104729 % 997) / 997.0 END,
	CASE WHEN j = 1 THEN 'V' ELSE 'Pa' END, CASE WHEN j = 1 THEN
		CASE WHEN c < 60 THEN 0.9 ELSE 0.95 END END, CASE WHEN j = 1 THEN 1.1 ELSE 5.0 END,
	'pass', t FROM g CROSS JOIN generate_series(1, 2) AS j;
SELECT central_summarise_runs(array_agg(id ORDER BY started_us)) FROM runs
	GROUP BY abs(hashtext(id)) % 7 ORDER BY abs(hashtext(id)) % 7 DESC" >/dev/null ||
	fail "the runs into the store"
assert_eq "$(pg_sql "SELECT count(DISTINCT hour) FROM sum_cap_month")" "3" "three months of cells"
assert_eq "$(pg_sql "SELECT (SELECT sum(n) FROM sum_cap) = (SELECT sum(n) FROM sum_cap_day)
	AND (SELECT sum(n) FROM sum_cap) = (SELECT sum(n) FROM sum_cap_month)")" "t" "every value in each level"

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
capn() {	# NAME LOW FIELD ARGS...: a figure of v1 (LOW 0.9 or 0.95) or v2 (LOW null)
	local nm=$1 lo=$2 fld=$3
	shift 3
	"$st" report "${CEN[@]}" --capability -f json "$@" -o "$CENTRAL/capn.json"
	python3 -c 'import json, sys; print(sum(m[sys.argv[4]] for m in json.load(open(sys.argv[1]))["measurements"]
		if m["name"] == sys.argv[2] and str(m["low"]) == sys.argv[3]))' "$CENTRAL/capn.json" "$nm" "$lo" "$fld"
}
# windows: none; hours at both edges, whole days and a whole month between
# (2026-02); an edge inside a burst; days only; hours only, across a
# midnight; a month's edges; one-sided
windows=("" "--since 2026-01-25T05:00 --until 2026-03-02T07:00" "--since 2026-01-31T13:00"
	"--until 2026-02-11T17:00" "--since 2026-01-26 --until 2026-02-03"
	"--since 2026-02-14T21:00 --until 2026-02-15T04:00" "--since 2026-02-01 --until 2026-03-01"
	"--since 2026-01-31T23:00 --until 2026-03-01T01:00" "--since 2026-03-04T09:00")
for w in "${windows[@]}"; do
	for f in "" "--station s2" "--fixture f1" "--sequence final" "--station s1 --fixture f2 --sequence ict@1.0"; do
		# shellcheck disable=SC2086
		central_capsame $w $f
		[ -n "$f" ] || grep -q '"n": [1-9]' "$CENTRAL/cells.json" || fail "--capability $w: no values"
	done
	# shellcheck disable=SC2086
	central_capsame --subgroups $w
done

# report --spc --last: each fixture read from both ends (its first values,
# then its latest after them) shows the baseline and the latest points of
# the chart of every point, with the same moving ranges and flags (of one
# sequence: v1 of ict and final in one chart is refused, report/spc.c)
spcsame() {	# ARGS...
	"$st" report "${CEN[@]}" --spc v1 --baseline 10 --last 25 -f json "$@" -o "$CENTRAL/ends.json" ||
		fail "report --spc --last 25 $*"
	"$st" report "${CEN[@]}" --spc v1 --baseline 10 --last 0 -f json "$@" -o "$CENTRAL/all.json" ||
		fail "report --spc --last 0 $*"
	python3 - "$CENTRAL/ends.json" "$CENTRAL/all.json" <<'PY' || fail "report --spc --last 25 $*: not the ends of every point"
import json, sys
w, a = (json.load(open(p)) for p in sys.argv[1:3])
assert [f["fixture"] for f in w["fixtures"]] == [f["fixture"] for f in a["fixtures"]], "fixtures"
gaps = 0
for fw, fa in zip(w["fixtures"], a["fixtures"]):
    pa = fa["points"]
    if len(pa) > 10 + 25:
        gaps += 1
        assert fw["gap_after"] == 10 and fw["n"] == 35, fw["fixture"]
        assert fw["points"] == pa[:10] + pa[-25:], fw["fixture"]
        assert {k: fw[k] for k in ("cl", "ucl", "lcl", "mr_ucl")} == {k: fa[k] for k in ("cl", "ucl", "lcl", "mr_ucl")}
    else:
        assert fw == fa, fw["fixture"]
assert gaps > 0, "no fixture longer than the window"
PY
}
for f in "--sequence ict" "--station s2" "--fixture f1 --sequence ict" \
	"--since 2026-02-01 --until 2026-03-01 --sequence final" "--all-runs --sequence ict@1.0"; do
	# shellcheck disable=SC2086
	spcsame $f
done
# a filter by station or sequence reads its fixtures alone, those of its
# day cells: a station t9 with a fixture of its own (g9, sequence "other",
# 40 runs), then the server set to refuse reading any run of t9 (its read
# policy raises): --station s2 and --sequence final still give their ends
# (read along every fixture, they read g9's runs and fail)
pg_sql "CREATE TEMP TABLE g AS SELECT i, md5('t9' || i) AS id,
	1769904000000000 + i * 3600000000::bigint AS t FROM generate_series(0, 39) AS i;
INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name, sequence_version,
	started_us, ended_us, outcome)
SELECT id, 'T' || i, 't9', 'g9', 'ann', 'other', '1.0', t, t + 60000000, 'pass' FROM g;
INSERT INTO steps (run_id, id, idx, name, outcome) SELECT id, 1, 0, 'measure', 'pass' FROM g;
INSERT INTO measurements (run_id, id, step_id, name, value, unit, low, high, outcome, started_us)
SELECT id, 1, 1, 'v1', 1.0 + 0.001 * (i % 7), 'V', 0.95, 1.1, 'pass', t FROM g;
SELECT central_summarise_runs(array_agg(id ORDER BY t)) FROM g" >/dev/null ||
	fail "station t9's runs into the store"
for f in "--station t9" "--station s2" "--sequence final" "--station s1 --sequence ict"; do
	# shellcheck disable=SC2086
	spcsame $f
	cp "$CENTRAL/ends.json" "$CENTRAL/ends-$(echo $f | tr -dc 'a-z0-9')"
done
assert_match "$(cat "$CENTRAL/ends-stationt9")" '"fixture": "g9"' "t9's fixture g9 charted"
pg_sql "CREATE FUNCTION t9_unread(s text) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN IF s = 't9' THEN RAISE EXCEPTION 'a run of t9 read'; END IF; RETURN true; END \$\$;
ALTER POLICY central_read ON runs USING (t9_unread(station))" >/dev/null || fail "the policy that refuses t9"
for f in "--station s2" "--sequence final" "--station s1 --sequence ict"; do
	# shellcheck disable=SC2086
	"$st" report "${CEN[@]}" --spc v1 --baseline 10 --last 25 -f json $f -o "$CENTRAL/ends.json" \
		2>"$CENTRAL/ends.err" || fail "report --spc --last 25 $f read station t9's runs: $(cat "$CENTRAL/ends.err")"
	cmp -s "$CENTRAL/ends.json" "$CENTRAL/ends-$(echo $f | tr -dc 'a-z0-9')" || fail "report --spc --last 25 $f: another chart"
done
"$st" report "${CEN[@]}" --spc v1 --baseline 10 --last 25 -f json --station t9 -o "$CENTRAL/ends.json" \
	2>/dev/null && fail "the policy does not refuse t9's runs"
pg_sql "ALTER POLICY central_read ON runs USING (true); DROP FUNCTION t9_unread(text)" >/dev/null

# --group-by station and fixture from the day cells (central/read_grp.c),
# with and without --with-errors: the figures of the runs (read for a
# filter the cells do not answer: --since @1, every run) at each level of
# cells; a cell changed by hand shows (the cells answer)
grpsame() {	# ARGS...
	for k in station fixture "station --with-errors" "fixture --with-errors"; do
		# shellcheck disable=SC2086
		"$st" report "${CEN[@]}" --group-by $k -f json "$@" -o "$CENTRAL/grp-cells.json" ||
			fail "--group-by $k $*"
		# shellcheck disable=SC2086
		"$st" report "${CEN[@]}" --group-by $k -f json --since @1 "$@" -o "$CENTRAL/grp-rows.json" ||
			fail "--group-by $k --since @1 $*"
		cmp -s "$CENTRAL/grp-cells.json" "$CENTRAL/grp-rows.json" ||
			fail "--group-by $k $*: the cells and the runs differ: $(diff "$CENTRAL/grp-cells.json" "$CENTRAL/grp-rows.json" | head -6)"
	done
}
for f in "" "--station s2" "--fixture f1" "--sequence final" "--station s1 --sequence ict" \
	"--fixture f2 --sequence ict@1.0" "--station t9"; do
	# shellcheck disable=SC2086
	grpsame $f
done
"$st" report "${CEN[@]}" --group-by station -f json -o "$CENTRAL/grp-cells.json"
assert_match "$(cat "$CENTRAL/grp-cells.json")" '"unidentified": [1-9]' "runs without a serial counted"
assert_match "$(cat "$CENTRAL/grp-cells.json")" '"errors": [1-9]' "error runs counted"
grpn() {	# KEY GROUP ARGS...: the runs of GROUP by --group-by KEY ARGS
	"$st" report "${CEN[@]}" --group-by "$1" "${@:3}" -f json -o "$CENTRAL/grpn.json" &&
		python3 -c 'import json, sys; print(sum(g["runs"] for g in json.load(open(sys.argv[1]))["groups"]
			if g["key"] == sys.argv[2]))' "$CENTRAL/grpn.json" "$2"
}
s2=$(grpn station s2)
f1=$(grpn fixture f1)
pg_sql "UPDATE sum_cells SET runs = runs + 1000 WHERE level IN ('t', 'f') AND (station = 's2' OR fixture = 'f1')
	AND day = (SELECT min(day) FROM sum_cells WHERE level IN ('t', 'f'))" >/dev/null
assert_eq "$(grpn station s2) $(grpn fixture f1)" "$((s2 + 1000)) $((f1 + 1000))" "--group-by from the cells"
assert_eq "$(grpn station s2 --with-errors) $(grpn fixture f1 --with-errors)" "$((s2 + 1000)) $((f1 + 1000))" \
	"--group-by --with-errors from the cells"
pg_sql "UPDATE sum_cells SET runs = runs - 1000 WHERE level IN ('t', 'f') AND (station = 's2' OR fixture = 'f1')
	AND day = (SELECT min(day) FROM sum_cells WHERE level IN ('t', 'f'))" >/dev/null
central_capsame --subgroups --station s3 --since 2026-01-25T05:00 --until 2026-03-02T07:00
assert_eq "$(capn v1 0.9 n)" "$(capn v1 0.9 n --from-rows)" "v1's first limits"
assert_match "$(capn v1 0.95 moving_ranges)" "^[1-9][0-9]+$" "v1 after its limits changed"

# the day and month cells kept as the batches came equal those built from
# the hour cells, and those the rebuild from the rows makes
central_sums >"$CENTRAL/sums.kept"
pg_sql "SELECT central_sum_cap_roll_all()" >/dev/null
central_sums >"$CENTRAL/sums.rolled"
diff "$CENTRAL/sums.kept" "$CENTRAL/sums.rolled" >/dev/null ||
	fail "the days and months kept differ from those of the hours: $(diff "$CENTRAL/sums.kept" "$CENTRAL/sums.rolled" | head -5)"
pg_sql "TRUNCATE sum_cap_keys, sum_cap, sum_cap_day, sum_cap_month; SELECT central_sum_cap_all()" >/dev/null
central_sums >"$CENTRAL/sums.rebuilt"
diff "$CENTRAL/sums.kept" "$CENTRAL/sums.rebuilt" >/dev/null ||
	fail "the cells kept differ from those rebuilt from the rows: $(diff "$CENTRAL/sums.kept" "$CENTRAL/sums.rebuilt" | head -5)"

# a key gone from an hour: unit Z1's run on s1/f1 on 2026-03-20 (the only
# one of key v9) stops counting when its earlier run on s2 comes late; the
# day and month cells of v9 on s1/f1 go with its hour cell
zrun() {	# ID STATION FIXTURE T: a judged run of unit Z1, one value of v9
	pg_sql "INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name,
		sequence_version, started_us, ended_us, outcome)
		VALUES ('$1', 'Z1', '$2', '$3', 'ann', 'ict', '1.0', $4, $4 + 60000000, 'pass');
	INSERT INTO steps (run_id, id, idx, name, outcome) VALUES ('$1', 1, 0, 'measure', 'pass');
	INSERT INTO measurements (run_id, id, step_id, name, value, unit, outcome, started_us)
		VALUES ('$1', 1, 1, 'v9', 2.5, 'V', 'pass', $4);
	SELECT central_summarise_runs(ARRAY['$1'])" >/dev/null || fail "run $1 into the store"
}
v9="SELECT (SELECT count(*) FROM sum_cap_day d JOIN sum_cap_keys k ON k.id = d.key
	WHERE k.name = 'v9') || ' ' || (SELECT count(*) FROM sum_cap_month m
	JOIN sum_cap_keys k ON k.id = m.key WHERE k.name = 'v9')"
zrun z-late s1 f1 1773997200000000
assert_eq "$(pg_sql "$v9")" "1 1" "v9's day and month on s1/f1"
zrun z-early s2 f2 1773910800000000
assert_eq "$(pg_sql "$v9")" "1 1" "v9's day and month on s2/f2 only"
assert_eq "$(pg_sql "SELECT station FROM sum_cap_day d JOIN sum_cap_keys k ON k.id = d.key
	WHERE k.name = 'v9'")" "s2" "v9's day cell moved to s2"
central_sums >"$CENTRAL/sums.kept"
pg_sql "SELECT central_sum_cap_roll_all()" >/dev/null
central_sums >"$CENTRAL/sums.rolled"
diff "$CENTRAL/sums.kept" "$CENTRAL/sums.rolled" >/dev/null ||
	fail "a key gone from an hour: its days and months kept differ: $(diff "$CENTRAL/sums.kept" "$CENTRAL/sums.rolled" | head -5)"

# each level answers its part of a window: a cell changed by hand shows
# (station s3: bursts in the window's hours at both edges, in its days and
# in its month)
tamper() {	# TABLE ADD: n of station s3's v2 cells moved by ADD
	pg_sql "UPDATE $1 c SET n = n + $2 FROM sum_cap_keys k WHERE k.id = c.key AND k.name = 'v2'
		AND c.station = 's3'" >/dev/null
}
w=(--station s3 --since 2026-01-25T05:00 --until 2026-03-02T07:00)
good=$(capn v2 None n "${w[@]}")
for t in sum_cap_month sum_cap_day sum_cap; do
	tamper "$t" 100000
	got=$(capn v2 None n "${w[@]}")
	tamper "$t" -100000
	[ "$got" -gt $((good + 100000)) ] || fail "$t does not answer its part of the window: $got, $good untouched"
done
months=$(pg_sql "SELECT count(*) FROM sum_cap_month c JOIN sum_cap_keys k ON k.id = c.key
	WHERE k.name = 'v2' AND c.station = 's3'")
tamper sum_cap_month 100000
assert_eq "$(capn v2 None n --station s3)" "$(($(capn v2 None n --station s3 --from-rows) + months * 100000))" \
	"no window: the month cells answer"
assert_eq "$(capn v2 None n --station s3 --since 2026-02-03 --until 2026-02-05)" \
	"$(capn v2 None n --station s3 --since 2026-02-03 --until 2026-02-05 --from-rows)" "two days: not the months"
tamper sum_cap_month -100000
assert_eq "$(capn v2 None n "${w[@]}")" "$good" "untouched again"

# a store at version 7 (no days, no months) combines its hour cells
pg_sql "DELETE FROM central_schema WHERE version >= 8" >/dev/null
tamper sum_cap_month 100000
for f in "" "--since 2026-01-25T05:00 --until 2026-03-02T07:00 --station s1" "--subgroups --fixture f2"; do
	# shellcheck disable=SC2086
	central_capsame $f
done
echo ok
