#!/usr/bin/env bash
# The log as quality engineers use it, on runs the real station made on the
# simulated line: report (JSON numbers against the log, Cpk recomputed from
# the exported values, HTML rendered in headless Chromium), trace by board
# and by certificate serial, export, db check on a good and a damaged log,
# db recover, db migrate of a schema v1 log, and a report that is not
# blocked by a writer holding the log's write lock.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
st=$BINDIR/station

line_setup
line_board a SIM000401
line_board b SIM000402 --rail 3v3=2.950
line_board c SIM000403 --rail 3v3=3.310
# (an operator: the capability cells per line value hold their values)
line_run --once --operator ann -f "$LINE/a.yaml" -f "$LINE/c.yaml"
assert_eq "$RUN_RC" "0" "two units passed"
# b fails before its serial could be read from it: the operator scans it
line_run --once --serial SIM000402 -f "$LINE/b.yaml"
assert_eq "$RUN_RC" "1" "one unit failed"
db=$LINE_DB
out=$(st_tmpdir)
# a run without --operator has none (NULL), as the other line values: not
# an operator named '' of its own in the reports' groups
assert_eq "$(sqlite3 "$db" "SELECT quote(operator) || ' ' || quote(work_order) FROM runs WHERE unit_serial = 'SIM000402'")" \
	"NULL NULL" "no operator given: none logged"

# --- db check on the log the line wrote
"$st" db check --db "$db" >"$out/check" || fail "db check failed on a good log: $(cat "$out/check")"
assert_match "$(cat "$out/check")" "ok \(schema version 16\)" "db check output"
"$st" db check --quick --db "$db" >"$out/quick" || fail "db check --quick failed on a good log: $(cat "$out/quick")"
assert_match "$(cat "$out/quick")" "ok \(schema version 16\)" "db check --quick output"
rc=0; "$st" db recover --quick --db "$db" 2>/dev/null || rc=$?
assert_eq "$rc" "2" "--quick is for check only"

# --- report: numbers against the log itself
"$st" report --db "$db" -f json -o "$out/r.json"
j() { jq -r "$1" "$out/r.json"; }
command -v jq >/dev/null || j() { python3 -c "import json,sys; d=json.load(open('$out/r.json')); print(eval('d'+sys.argv[1]))" "$2"; }
if command -v jq >/dev/null; then
	assert_eq "$(j .total.units)" "3" "units"
	assert_eq "$(j .total.passed)" "2" "units passed"
	assert_eq "$(j '.failures[0].step')" "rail 3V3" "Pareto top step"
	n=$(j '.measurements[] | select(.name == "rail_3v3") | .n')
	cpk=$(j '.measurements[] | select(.name == "rail_3v3") | .ppk')
else
	assert_eq "$(j '' "['total']['units']")" "3" "units"
	assert_eq "$(j '' "['total']['passed']")" "2" "units passed"
	assert_eq "$(j '' "['failures'][0]['step']")" "rail 3V3" "Pareto top step"
	n=$(j '' "[[m for m in d['measurements'] if m['name']=='rail_3v3'][0]['n']][0]")
	cpk=$(j '' "[[m for m in d['measurements'] if m['name']=='rail_3v3'][0]['ppk']][0]")
fi
assert_eq "$n" "3" "rail_3v3 samples"
# --with-errors: the report says error and aborted runs are judged (none here)
wr=$("$st" report --db "$db" --with-errors)
assert_match "$wr" "with errors +0 error, 0 aborted runs judged as failures" "report --with-errors"
assert_match "$wr" "yield +2 of 3 units passed" "report --with-errors: the same units"
rc=0; "$st" report --db "$db" --with-errors --capability >/dev/null 2>&1 || rc=$?
assert_eq "$rc" "2" "--with-errors does not go with --capability"
# Ppk (the report's sigma is over every value) recomputed independently from the exported values and limits
"$st" export --db "$db" --what measurements -o "$out/m.csv"
want=$(awk -F, 'NR > 1 && $8 == "rail_3v3" { v[++n] = $9; lo = $12; hi = $13 }
	END { for (i = 1; i <= n; i++) s += v[i]; m = s / n;
	      for (i = 1; i <= n; i++) ss += (v[i] - m) ^ 2; sd = sqrt(ss / (n - 1));
	      a = (hi - m) / (3 * sd); b = (m - lo) / (3 * sd); printf "%.6f", (a < b ? a : b) }' "$out/m.csv")
assert_eq "$(printf '%.6f' "$cpk")" "$want" "Ppk of rail_3v3"
# --capability over every run has the same overall sigma, so the same Ppk
"$st" report --db "$db" --capability --all-runs -f csv -o "$out/cap.csv"
cap=$(tr -d '\r' <"$out/cap.csv" | awk -F, '$4 == "rail_3v3" { print $18 }')
assert_eq "$(printf '%.6f' "$cap")" "$want" "capability Ppk of rail_3v3 over every run"
# --operations: the line's one operation, 3 units judged, 2 passed first time
"$st" report --db "$db" --operations -f json -o "$out/ops.json"
assert_eq "$(python3 -c "import json; o = json.load(open('$out/ops.json'))['operations'][0]; print(o['operation'], o['units'], o['first_units'], o['first_passed'])")" \
	"factory-provisioning 3 3 2" "report --operations"
"$st" report --db "$db" --capability >"$out/cap.txt"
grep -q "Cp .*  Cpk .*  Pp .*  Ppk " "$out/cap.txt" || fail "report --capability: $(cat "$out/cap.txt")"
# from the capability cells (schema 11) exactly what the rows give
# (and per line value, schema 14: ann ran a and c, the operator of b's run none)
# a window off the hour: from the second of the first run (its minutes from
# the rows, the whole hours after it from the cells)
first=$(sqlite3 "$db" "SELECT strftime('%Y-%m-%dT%H:%M:%S', min(started_us) / 1000000, 'unixepoch') FROM runs")
for filt in "" "--fixture a" "--sequence factory-provisioning" "--since 2000-01-01 --until 2100-01-01" \
	"--operator nobody" "--operator ann --fixture c" "--operator ann" \
	"--since $first" "--since $first --until 2100-01-01T00:30" "--since 2000-01-01T00:30 --operator ann"; do
	for sub in "" --subgroups; do
		rc=0 rr=0
		# shellcheck disable=SC2086
		"$st" report --db "$db" --capability $sub $filt -f json >"$out/cap_sum.json" || rc=$?
		# shellcheck disable=SC2086
		"$st" report --db "$db" --capability $sub $filt --from-rows -f json >"$out/cap_rows.json" ||
			rr=$?
		# nobody ran: no value, exit status 1 either way (as --spc)
		assert_eq "$rc $rr" "$([ "$filt" = "--operator nobody" ] && echo 1 1 || echo 0 0)" \
			"report --capability $sub $filt, from the cells and --from-rows: exit status"
		cmp -s "$out/cap_sum.json" "$out/cap_rows.json" ||
			fail "capability from cells and rows differ ($sub $filt): $(diff "$out/cap_sum.json" "$out/cap_rows.json")"
	done
done
grep -q '"n": [1-9]' "$out/cap_sum.json" || fail "capability from the cells: no values"
# no value in the runs selected: exit status 1, as --spc, saying the
# filters in force (and so why nothing came: nobody ran), nothing printed
for fmt in text json csv; do
	rc=0
	"$st" report --db "$db" --capability --operator nobody --fixture a -f $fmt \
		>"$out/nobody.out" 2>"$out/nobody.err" || rc=$?
	assert_eq "$rc" "1" "--capability -f $fmt for nobody: exit status 1"
	assert_eq "$(cat "$out/nobody.err")" "station report: no measurement with values in the runs selected (filters: fixture a operator nobody, each unit's first run)" \
		"--capability -f $fmt names its filters"
	[ ! -s "$out/nobody.out" ] || fail "--capability -f $fmt for nobody printed $(cat "$out/nobody.out")"
done
rc=0
"$st" report --db "$db" --capability --all-runs --since 2100-01-01 >/dev/null 2>"$out/nobody.err" || rc=$?
assert_eq "$rc $(cat "$out/nobody.err")" "1 station report: no measurement with values in the runs selected (filters: since 2100-01-01T00:00:00Z, every run)" \
	"--capability --all-runs, a window without runs"
rc=0
"$st" report --db "$db" --spc rail_3v3 --since 2100-01-01 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" "1" "--spc alike"
# ann's first runs: a and c (b's run has no operator)
"$st" report --db "$db" --capability --operator ann -f json -o "$out/cap_ann.json"
"$st" report --db "$db" --capability -f json -o "$out/cap_all.json"
python3 - "$out/cap_ann.json" "$out/cap_all.json" <<'PY' || fail "--capability --operator ann is not a and c's values"
import json, sys
ann, every = (json.load(open(f)) for f in sys.argv[1:3])
def n(d, name):
    return sum(c["n"] for c in d["measurements"] if c["name"] == name)
assert n(ann, "rail_3v3") == 2 and n(every, "rail_3v3") == 3, (n(ann, "rail_3v3"), n(every, "rail_3v3"))
PY
rc=0; "$st" report --db "$db" --from-rows >/dev/null 2>&1 || rc=$?
assert_eq "$rc" "2" "--from-rows goes with --capability"
"$st" report --db "$db" >"$out/r.txt"
grep -q "^yield             2 of 3 units passed   66.7%" "$out/r.txt" || fail "text report: $(head "$out/r.txt")"
# --- report --spc: the line's rail as control charts, a fixture each
"$st" report --db "$db" --spc rail_3v3 >"$out/spc.txt" || fail "report --spc: $(cat "$out/spc.txt")"
grep -q "^spc rail_3v3 (V): I-MR per fixture, each unit's first run" "$out/spc.txt" ||
	fail "report --spc header: $(head -3 "$out/spc.txt")"
grep -q "^fixture a: 1 point, too few for limits" "$out/spc.txt" || fail "report --spc fixture a: $(cat "$out/spc.txt")"
rc=0; "$st" report --db "$db" --spc rail_3v3 -f csv >/dev/null 2>"$out/fmt.err" || rc=$?
assert_eq "$rc" "2" "report --spc takes text, json or html"
assert_match "$(cat "$out/fmt.err")" "--format 'csv' is not one this takes: it takes text, json or html" "report --spc -f csv: the formats it takes"
rc=0; "$st" report --db "$db" --capability -f html >/dev/null 2>"$out/fmt.err" || rc=$?
assert_eq "$rc" "2" "report --capability takes text, json or csv"
assert_match "$(cat "$out/fmt.err")" "it takes text, json or csv" "report --capability -f html: the formats it takes"
# a measurement the log does not have: said, and exit status 1 as trace's unknown unit
rc=0; "$st" report --db "$db" --spc nosuch >"$out/nosuch.txt" 2>"$out/nosuch.err" || rc=$?
assert_eq "$rc" "1" "report --spc of an unknown measurement"
assert_match "$(cat "$out/nosuch.err")" "no measurement 'nosuch' with values in the runs selected" "report --spc nosuch: the message"
rc=0; "$st" report --db "$db" --baseline 5 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" "2" "--baseline without --spc"
for bad in ' 5' +5 -1 5x; do	# a count of points, digits only
	rc=0; "$st" report --db "$db" --spc rail_3v3 --last "$bad" >/dev/null 2>"$out/last.err" || rc=$?
	assert_eq "$rc" "2" "--last '$bad'"
	grep -q "station report: --last is a count of points, 0 (every point) to 1000000, not '$bad'" \
		"$out/last.err" || fail "--last '$bad': $(cat "$out/last.err")"
done

# --- trace: by board serial and by the certificate serial of its identity
"$st" trace --db "$db" SIM000402 >"$out/t.txt"
grep -q "rail_3v3 = 2.95 V  \[3.2, 3.4\]  fail" "$out/t.txt" || fail "trace lacks the failing measurement"
cert=$(sql "$db" "SELECT i.cert_serial FROM identities i JOIN runs r ON r.id = i.run_id WHERE r.unit_serial = 'SIM000401'")
[ -n "$cert" ] || fail "no certificate serial logged for SIM000401"
"$st" trace --db "$db" -f json "$cert" >"$out/t.json"
grep -q '"unit_serial": "SIM000401"' "$out/t.json" || fail "trace by certificate serial $cert"
rc=0; "$st" trace --db "$db" NOBODY 2>/dev/null || rc=$?
assert_eq "$rc" "1" "trace of an unknown unit"

# --- export: one row per run, header first
"$st" export --db "$db" -o "$out/runs.csv"
assert_eq "$(wc -l <"$out/runs.csv")" "4" "export rows"
assert_eq "$("$st" export --db "$db" -f jsonl --outcome fail | wc -l)" "1" "jsonl filtered"

# --- a reader is never blocked by a writer holding the write lock
(echo "BEGIN IMMEDIATE; INSERT INTO events (time_us, what) VALUES (1, 'lock');"; sleep 8) |
	sqlite3 "$db" >/dev/null 2>&1 &
locker=$!
echo "$locker" >>"$ST_REG/pids"
sleep 0.5
timeout 4 "$st" report --db "$db" -f csv -o "$out/r.csv" || fail "report blocked by a writer"
kill "$locker" 2>/dev/null || true
wait "$locker" 2>/dev/null || true

# --- HTML: one file, rendered by headless Chromium
"$st" report --db "$db" -f html -o "$out/report.html"
if command -v chromium >/dev/null; then
	flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	       --disable-background-networking --disable-component-update --disable-sync
	       --user-data-dir="$out/chrome")
	timeout 60 chromium "${flags[@]}" --window-size=1000,1800 \
		--screenshot="$out/report.png" "file://$out/report.html" >"$out/chrome.log" 2>&1 ||
		fail "chromium: $(tail -5 "$out/chrome.log")"
	[ "$(stat -c %s "$out/report.png")" -gt 20000 ] || fail "screenshot is (nearly) empty"
	timeout 60 chromium "${flags[@]}" --dump-dom "file://$out/report.html" >"$out/dom.html" \
		2>>"$out/chrome.log" || fail "chromium --dump-dom"
	[ "$(grep -o '<svg' "$out/dom.html" | wc -l)" -ge 2 ] || fail "charts missing in the DOM"
	grep -qi 'ERR_\|Failed to load' "$out/chrome.log" && fail "chromium: $(grep -i 'ERR_\|Failed to load' "$out/chrome.log")"
	[ -n "${ST_KEEP_SCREENSHOT:-}" ] && cp "$out/report.png" "$ST_KEEP_SCREENSHOT"
	# the control charts of --spc as HTML: an I and an MR chart for each fixture
	"$st" report --db "$db" --spc rail_3v3 --all-runs -f html -o "$out/spc.html"
	timeout 60 chromium "${flags[@]}" --window-size=900,900 \
		--screenshot="$out/spc.png" "file://$out/spc.html" >>"$out/chrome.log" 2>&1 ||
		fail "chromium (spc): $(tail -5 "$out/chrome.log")"
	timeout 60 chromium "${flags[@]}" --dump-dom "file://$out/spc.html" >"$out/spcdom.html" \
		2>>"$out/chrome.log" || fail "chromium --dump-dom (spc)"
	[ "$(grep -o '<svg' "$out/spcdom.html" | wc -l)" -ge 2 ] || fail "spc charts missing in the DOM"
	[ -n "${ST_KEEP_SCREENSHOT:-}" ] && cp "$out/spc.png" "${ST_KEEP_SCREENSHOT%.png}-spc.png"
else
	echo "chromium not installed: screenshot part not run (apt-get install chromium)"
fi

# --- db recover marks a run a crashed station left behind
sql "$db" "INSERT INTO runs (id, unit_serial, station, fixture, started_us) VALUES ('ffffffffffffffffffffffffffffffff', 'SIM000499', 'e2e', 'a', 1)"
assert_match "$("$st" db recover --db "$db")" ": 1 unfinished run marked aborted" "recover"
assert_eq "$(sql "$db" "SELECT outcome FROM runs WHERE unit_serial = 'SIM000499'")" "aborted" "recovered run"

# --- db rebuild: the summaries again from the rows, the same cells
cells="SELECT group_concat(c, ';') FROM (SELECT hours || '/' || hour || fixture || outcome || runs
	|| units || passed AS c FROM cells ORDER BY 1)"
before=$(sql "$db" "$cells")
sql "$db" "DELETE FROM unit_first; DELETE FROM unit_cells; UPDATE cells SET runs = 0, units = 0"
assert_match "$("$st" db rebuild --db "$db")" ": summaries rebuilt from the rows" "rebuild"
assert_eq "$(sql "$db" "$cells")" "$before" "rebuilt cells"

# --- db check finds damage and says so with a non-zero status
cp "$db" "$out/bad.db"
sqlite3 "$out/bad.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$out/bad.db" "$out/good.db"
dd if=/dev/urandom of="$out/bad.db" bs=4096 seek=3 count=2 conv=notrunc status=none
rc=0; "$st" db check --db "$out/bad.db" >"$out/bad.out" 2>&1 || rc=$?
assert_eq "$rc" "4" "db check on a damaged log"
rc=0; "$st" db check --quick --db "$out/bad.db" >"$out/bad.out" 2>&1 || rc=$?
assert_eq "$rc" "4" "db check --quick on a damaged log"
# a row with NULL where its table says NOT NULL (written while the schema
# said otherwise): --quick finds it too
cp "$out/good.db" "$out/row.db"
notnull() { sqlite3 "$out/row.db" "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, '$1', '$2') WHERE name = 'runs'"; }
notnull "station TEXT NOT NULL," "station TEXT,"
sqlite3 "$out/row.db" "UPDATE runs SET station = NULL WHERE unit_serial = 'SIM000401'"
notnull "station TEXT," "station TEXT NOT NULL,"
rc=0; "$st" db check --quick --db "$out/row.db" >"$out/row.out" 2>&1 || rc=$?
assert_eq "$rc" "4" "db check --quick on a NULL in a NOT NULL column"
assert_match "$(cat "$out/row.out")" "NULL value in runs.station" "db check --quick names the row's column"
# a step whose run is gone: a broken foreign key is the full check's (a
# look-up of every row's parents, longer than quick_check on a big log)
cp "$out/good.db" "$out/fk.db"
sqlite3 "$out/fk.db" "PRAGMA foreign_keys = OFF; INSERT INTO steps (run_id, idx, name, outcome) VALUES ('0000000000000000000000000000dead', 0, 'orphan', 'pass')"
rc=0; "$st" db check --db "$out/fk.db" >"$out/fk.out" 2>&1 || rc=$?
assert_eq "$rc" "4" "db check on a broken foreign key"
assert_match "$(cat "$out/fk.out")" "is sound, but rows refer to rows that are gone \(a hand edit\?\): 1 row of steps refers to runs; list them with sqlite3 '$out/fk.db' 'PRAGMA foreign_key_check', then restore the rows they refer to from a copy of the log taken before the edit, or delete the rows that refer to them" \
	"a broken reference is data to mend, not a file to recover: the table, what it refers to, the command"
! grep -q recover "$out/fk.out" || fail "db check advises .recover for a sound file: $(cat "$out/fk.out")"
# a measurement kind deleted while values use it (the view then hides them)
cp "$out/good.db" "$out/def.db"
sqlite3 "$out/def.db" "DELETE FROM measurement_defs WHERE id = (SELECT def FROM measurement_values LIMIT 1)"
rc=0; "$st" db check --db "$out/def.db" >"$out/def.out" 2>&1 || rc=$?
assert_eq "$rc" "4" "db check on a def deleted while in use"
n=$(sqlite3 "$out/good.db" "SELECT count(*) FROM measurement_values WHERE def = (SELECT def FROM measurement_values LIMIT 1)")
assert_match "$(cat "$out/def.out")" "\(a hand edit\?\): $n rows of measurement_values refer to measurement_defs; list" \
	"db check counts the values whose def is gone, once"
"$st" db check --quick --db "$out/fk.db" >"$out/fkq.out" 2>&1 || fail "db check --quick checks foreign keys: $(cat "$out/fkq.out")"

# --- db migrate upgrades a schema v1 log in place; reports then read it
sqlite3 "$out/v1.db" <"$ST_TOP/db/migrations/v1.sql"
sqlite3 "$out/v1.db" "INSERT INTO runs VALUES ('0123456789abcdef0123456789abcdef', 'OLD-1', 's', 'f', NULL, 'factory', '0.9', NULL, NULL, 1700000000000000, 1700000060000000, 'pass', NULL)"
rc=0; "$st" report --db "$out/v1.db" 2>"$out/v1.err" || rc=$?
assert_eq "$rc" "4" "report refuses an old log"
grep -q "station db migrate" "$out/v1.err" || fail "no hint to migrate: $(cat "$out/v1.err")"
assert_match "$("$st" db migrate --db "$out/v1.db" 2>"$out/v1.err")" "upgraded from schema version 1 to 16" "migrate"
# said before it starts: a large log's rebuild takes minutes, not a hang
assert_match "$(cat "$out/v1.err")" "upgrading the log from schema version 1 to 16: its summaries are rebuilt from the rows, which takes minutes on a large log" "the upgrade said before"
assert_match "$("$st" report --db "$out/v1.db")" "1 of 1 units passed" "report after migrate"
echo "ok"

# --- every example of docs/database.md and docs/quality.md runs on this log, and answers
for doc in database quality; do
	docs=$(st_tmpdir)
	ln -s "$db" "$docs/station.db"
	# run in a station's directory: no example may write over its station.yaml
	printf 'log: station.db\n' >"$docs/station.yaml"
	cp "$docs/station.yaml" "$docs/station.yaml.was"
	awk -v d="$docs" '/^```(sh|sql)$/ { n++; kind = substr($0, 4); f = d "/ex" n "." kind; next }
		/^```/ { f = ""; next } f { print > f }' "$ST_TOP/docs/$doc.md"
	nex=0
	for ex in "$docs"/ex*.sh; do
		[ -e "$ex" ] || continue
		out=$(cd "$docs" && PATH="$BINDIR:$PATH" bash -euo pipefail "$ex" 2>&1) || fail "docs/$doc.md example $(basename "$ex") fails: $out"
		[ -n "$out" ] || fail "docs/$doc.md example $(basename "$ex") prints nothing"
		cmp -s "$docs/station.yaml" "$docs/station.yaml.was" ||
			fail "docs/$doc.md example $(basename "$ex") writes over station.yaml"
		if grep -q 'group-by shift' "$ex"; then
			grep -q night <<<"$out" || fail "docs/$doc.md's shift example shows no shift: $out"
		fi
		nex=$((nex + 1))
	done
	for ex in "$docs"/ex*.sql; do
		[ -e "$ex" ] || continue
		out=$(sqlite3 -bail "$db" <"$ex" 2>&1) || fail "docs/$doc.md example $(basename "$ex") fails: $out"
		[ -n "$out" ] || fail "docs/$doc.md example $(basename "$ex") returns no row"
		nex=$((nex + 1))
	done
	[ "$nex" -ge 2 ] || fail "found only $nex examples in docs/$doc.md"
	echo "ok: $nex examples of docs/$doc.md"
done

# --- the docs' first-run SQL gives the values --capability and --spc take, on
# a copy of the log with what tells them apart: a unit whose first run ended
# error, a retest, a run without a serial, a second operation (copies of
# SIM000401's run)
aug=$(st_tmpdir)/aug.db
sqlite3 "$db" ".backup '$aug'"
tpl=$(sql "$aug" "SELECT id FROM runs WHERE unit_serial = 'SIM000401'")
clone() {	# id serial-or-NULL outcome minutes-later value-offset [operation]
	sql "$aug" "INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name,
		sequence_version, started_us, ended_us, outcome) SELECT '$1', $2, station, fixture,
		operator, coalesce(${6:-NULL}, sequence_name), sequence_version, started_us + $4 * 60000000,
		ended_us + $4 * 60000000, '$3' FROM runs WHERE id = '$tpl';
	INSERT INTO steps (run_id, idx, name, kind, phase, outcome, started_us, ended_us,
		duration_us, attempts) SELECT '$1', idx, name, kind, phase, outcome, started_us,
		ended_us, duration_us, attempts FROM steps WHERE run_id = '$tpl';
	INSERT INTO measurements (step_id, name, value, text, unit, low, high, expect,
		outcome) SELECT n.id, m.name, m.value + $5, m.text, m.unit, m.low, m.high,
		m.expect, m.outcome FROM measurements m JOIN steps o ON o.id = m.step_id
		JOIN steps n ON n.run_id = '$1' AND n.idx = o.idx WHERE o.run_id = '$tpl'"
}
clone e0000000000000000000000000000001 "'SIM000499'" error 10 0.01
clone e0000000000000000000000000000002 "'SIM000499'" pass 11 0.02
clone e0000000000000000000000000000003 NULL pass 12 0.03
clone e0000000000000000000000000000004 "'SIM000403'" fail 13 0.04
clone e0000000000000000000000000000005 "'SIM000401'" fail 14 0.05 "'final'"
clone e0000000000000000000000000000006 "'SIM000401'" pass 15 0.06 "'final'"
qs=$(st_tmpdir)
awk -v d="$qs" '/^```sql$/ { n++; f = d "/" FILENAME "." n ".sql"; sub(/.*\//, "", f); f = d "/" f; next }
	/^```/ { f = ""; next } f { print > f }' "$ST_TOP/docs/quality.md" "$ST_TOP/docs/database.md"
qsql=$(grep -l "m.name = 'rail_3v3'" "$qs"/quality.md.*.sql | head -1)
dsql=$(grep -l "m.name = 'rail_3v3'" "$qs"/database.md.*.sql | head -1)
[ -n "$qsql" ] && [ -n "$dsql" ] || fail "the first-run SQL of docs/quality.md or docs/database.md is gone"
# (runs put in by SQL get no summaries: the rows, as the docs' SQL reads)
"$st" report --db "$aug" --capability --from-rows -f json -o "$qs/cap.json"
# two operations' values of rail_3v3 (the clones' 'final'): no chart of both
# (runs put in by SQL have no summary keys: the points read tell), one of each
rc=0; "$st" report --db "$aug" --spc rail_3v3 -f json -o "$qs/spc.json" 2>"$qs/spc.err" || rc=$?
assert_eq "$rc" "2" "--spc of two operations' values"
assert_match "$(cat "$qs/spc.err")" "sequence factory-provisioning@[^ ]* in V \([0-9]+ values\).*--sequence NAME picks one" "--spc: the operations found"
"$st" report --db "$aug" --spc rail_3v3 --sequence factory-provisioning -f json -o "$qs/spc.json"
python3 "$ST_TOP/tests/e2e/quality_sql_check.py" "$aug" "$qsql" "$dsql" "$qs/cap.json" "$qs/spc.json" rail_3v3 ||
	fail "the docs' first-run SQL and the report disagree"
# export --what wide: first_run is the report's first judged run of each
# operation, so FPY rebuilds from it (as in Minitab or JMP)
"$st" export --db "$aug" --what wide -o "$qs/wide.csv"
"$st" report --db "$aug" --operations -f json -o "$qs/ops.json"
python3 - "$qs/wide.csv" "$qs/ops.json" <<'PY' || fail "export --what wide's first_run is not the report's first pass"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
first = {}
for r in rows:
    if r["first_run"] == "1":
        first.setdefault(r["sequence_name"], []).append(r["outcome"])
ops = json.load(open(sys.argv[2]))["operations"]
want = {o["operation"]: (o["first_units"], o["first_passed"]) for o in ops if o["first_units"]}
got = {k: (len(v), v.count("pass")) for k, v in first.items()}
assert got == want, (got, want)
assert all(r["first_run"] == "0" for r in rows if r["unit_serial"] == "" or r["outcome"] == "error"), "an error or unidentified run as a first"
assert len(want) == 2, want
PY
