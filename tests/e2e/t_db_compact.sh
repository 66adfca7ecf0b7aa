#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Schema 15 keeps a measurement's name, unit, limits and expected text once
# per kind (measurement_defs) and the view measurements in the table's
# place.  A schema 14 log of real runs (db/migrations/v14.sql) upgraded by
# `station db migrate` keeps every measurement as it was, says how much of
# the file the upgrade left free and how to give it back; `station db
# compact` gives it back, keeps every row, and refuses while a station runs
# a fixture on the log.  `station db rebuild` names an infinity edited in by
# hand, which the summaries cannot sum.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM002301 --image "$LINE/images/diag.bin"
cat >"$LINE/m.yaml" <<'YAML'
name: compact
version: 1.0.0
steps:
  - name: rail
    exec:
      cmd: [sh, -c, 'echo "v=3.30"']
      measure: {name: rail_3v3, pattern: '^v=([-0-9.]+)$', low: 3.2, high: 3.4, unit: V}
  - name: current
    exec:
      cmd: [sh, -c, 'echo "i=0.120"']
      measure: {name: current, pattern: '^i=([-0-9.]+)$', high: 0.5, unit: A}
YAML
for i in 1 2 3; do
	line_run --once --serial "SIM00230$i" -s "$LINE/m.yaml" -f "$LINE/a.yaml"
	[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err" >&2; fail "run $i"; }
done
q() { sql "$1" "$2"; }
n=$(q "$LINE_DB" "SELECT count(*) FROM measurements")
[ "$n" -ge 6 ] || fail "the runs logged measurements ($n)"
assert_eq "$(q "$LINE_DB" "SELECT count(*) FROM measurement_defs")" \
	"$(q "$LINE_DB" "SELECT count(*) FROM (SELECT DISTINCT name, unit, low, high, expect FROM measurements)")" \
	"one def per kind of measurement"
want=$(q "$LINE_DB" "SELECT group_concat(x, ';') FROM (SELECT id || ',' || step_id || ',' || name || ','
	|| ifnull(value, '-') || ',' || ifnull(unit, '-') || ',' || ifnull(low, '-') || ',' || ifnull(high, '-')
	|| ',' || ifnull(text, '-') || ',' || ifnull(expect, '-') || ',' || outcome AS x FROM measurements ORDER BY id)")

# the same runs in a schema 14 log, its measurements a table, padded with
# rows deleted again so that the file has pages to give back
old=$LINE/v14.db
sqlite3 "$old" <db/migrations/v14.sql
sqlite3 "$old" "ATTACH '$LINE_DB' AS src;
INSERT INTO stations SELECT * FROM src.stations; INSERT INTO fixtures SELECT * FROM src.fixtures;
INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us,
	ended_us, outcome) SELECT id, unit_serial, station, fixture, sequence_name, sequence_version,
	started_us, ended_us, outcome FROM src.runs;
INSERT INTO steps SELECT * FROM src.steps;
INSERT INTO measurements SELECT * FROM src.measurements;
CREATE TABLE pad (b BLOB); WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 400)
INSERT INTO pad SELECT randomblob(4000) FROM k; DROP TABLE pad;"
assert_eq "$(q "$old" "SELECT type FROM sqlite_schema WHERE name = 'measurements'")" table "v14: a table"
out=$("$BINDIR/station" db migrate --db "$old") || fail "migrate: $out"
assert_match "$out" "upgraded from schema version 14 to 16" "migrate"
assert_match "$out" "MiB are free pages; 'station db compact --db " "migrate names the free pages and compact"
assert_eq "$(q "$old" "SELECT type FROM sqlite_schema WHERE name = 'measurements'")" view "v15: a view"
got=$(q "$old" "SELECT group_concat(x, ';') FROM (SELECT id || ',' || step_id || ',' || name || ','
	|| ifnull(value, '-') || ',' || ifnull(unit, '-') || ',' || ifnull(low, '-') || ',' || ifnull(high, '-')
	|| ',' || ifnull(text, '-') || ',' || ifnull(expect, '-') || ',' || outcome AS x FROM measurements ORDER BY id)")
assert_eq "$got" "$want" "every measurement and id kept by the upgrade"

# a station running fixture a on the log: compact refuses, the log untouched
cat >"$LINE/slow.yaml" <<'YAML'
name: slow
version: 1.0.0
steps:
  - name: wait
    exec: {cmd: [sh, -c, 'touch "$0"; sleep 20', 'MARK']}
YAML
sed -i "s|MARK|$LINE/started|" "$LINE/slow.yaml"
"$BINDIR/station" run -c "$LINE/station.yaml" --once --serial SIM002301 -s "$LINE/slow.yaml" \
	-f "$LINE/a.yaml" >"$LINE/slow.out" 2>&1 &
pid=$!
echo "$pid" >>"$ST_REG/pids"
for _ in $(seq 200); do [ -e "$LINE/started" ] && break; sleep 0.05; done
[ -e "$LINE/started" ] || { cat "$LINE/slow.out" >&2; fail "the slow run did not start"; }
size=$(stat -c %s "$LINE_DB")
rc=0
out=$("$BINDIR/station" db compact --db "$LINE_DB" 2>&1) || rc=$?
assert_eq "$rc" 4 "compact while a station runs: exit status"
assert_match "$out" "a station is running fixture 'a' on the log .*stop the stations" "compact names the fixture"
kill "$pid"
wait "$pid" || true

# compact: smaller, every row kept, checks clean
before=$(stat -c %s "$old")
out=$("$BINDIR/station" db compact --db "$old") || fail "compact: $out"
assert_match "$out" "compacted from [0-9.]+ MiB to [0-9.]+ MiB" "compact says what it gave back"
after=$(stat -c %s "$old")
[ "$after" -lt $((before / 2)) ] || fail "compact: $before -> $after bytes"
assert_eq "$(q "$old" "SELECT group_concat(x, ';') FROM (SELECT id || ',' || step_id || ',' || name || ','
	|| ifnull(value, '-') || ',' || ifnull(unit, '-') || ',' || ifnull(low, '-') || ',' || ifnull(high, '-')
	|| ',' || ifnull(text, '-') || ',' || ifnull(expect, '-') || ',' || outcome AS x FROM measurements ORDER BY id)")" "$want" "every measurement kept by compact"
out=$("$BINDIR/station" db check --db "$old") || fail "check after compact: $out"
assert_match "$out" "ok \(schema version 16\)" "the full check after compact"

# compact holds the log's fixtures while it copies: a station starting one
# meanwhile is refused before it touches a board (here the copy waits on a
# sqlite3 holding the write lock for 4 s), and the compact then completes
printf "BEGIN IMMEDIATE;\nINSERT INTO events (fixture, time_us, what) VALUES ('a', 1, 'hold');\n.shell touch %s; sleep 4\nCOMMIT;\n" \
	"$LINE/w-held" | sqlite3 "$LINE_DB" >/dev/null 2>&1 &
wpid=$!
for _ in $(seq 200); do [ -e "$LINE/w-held" ] && break; sleep 0.05; done
"$BINDIR/station" db compact --db "$LINE_DB" >"$LINE/c.out" 2>&1 &
cpid=$!
sleep 1.5
line_run --once --serial SIM002399 -s "$LINE/m.yaml" -f "$LINE/a.yaml"
[ "$RUN_RC" != 0 ] || fail "a station started during compact ran a unit"
assert_match "$(cat "$LINE/run.err")" "fixture a: its log .*station.db is being compacted by station db compact \(pid $cpid\).*start the station again when it has finished" \
	"the station is refused the fixture compact holds, and told why"
wait "$wpid"
rc=0
wait "$cpid" || rc=$?
assert_eq "$rc" 0 "compact completes after the writer: exit status ($(cat "$LINE/c.out"))"
assert_eq "$(q "$LINE_DB" "SELECT count(*) FROM runs WHERE unit_serial = 'SIM002399'")" 0 \
	"no run of the refused station"

# a reader on the log while it compacts, longer than the 5 s the
# checkpoint waits for it: the copy is done, the -wal file stays until the
# reader closes, and compact says so (not a size the file does not have)
printf "BEGIN;\nSELECT count(*) FROM measurements;\n.shell touch %s; sleep 8\nCOMMIT;\n" "$LINE/r-held" |
	sqlite3 -readonly "$old" >/dev/null 2>&1 &
rpid=$!
for _ in $(seq 200); do [ -e "$LINE/r-held" ] && break; sleep 0.05; done
out=$("$BINDIR/station" db compact --db "$old") || fail "compact with a reader: $out"
assert_match "$out" "programs still reading the log keep its old pages in .*-wal: the files take their new size when they close" \
	"compact says a reader keeps the -wal"
wait "$rpid"
out=$("$BINDIR/station" db compact --db "$old") || fail "compact again: $out"
[[ $out != *"still reading"* ]] || fail "compact with no reader: $out"
[ ! -s "$old-wal" ] || fail "the -wal emptied once the reader closed ($(stat -c %s "$old-wal") bytes)"

# an infinity edited in by hand as a measurement's first value: db rebuild
# names it and says what to do, changes nothing; done so, it rebuilds
mid=$(q "$old" "SELECT min(id) FROM measurements WHERE name = 'rail_3v3'")
sqlite3 "$old" "UPDATE measurements SET value = 9e999 WHERE id = $mid"
rc=0
out=$("$BINDIR/station" db rebuild --db "$old" 2>&1) || rc=$?
assert_eq "$rc" 4 "rebuild with an infinity: exit status"
assert_match "$out" "measurement $mid \('rail_3v3' of run [0-9a-f]{32}\) is infinite.*UPDATE measurements SET value = NULL WHERE id = $mid" \
	"rebuild names the infinite measurement and what to do"
sqlite3 "$old" "UPDATE measurements SET value = NULL WHERE id = $mid"
out=$("$BINDIR/station" db rebuild --db "$old") || fail "rebuild after the fix: $out"
echo "ok: v14 -> 15 keeps every measurement, compact gives the free pages back, refused while a station runs; rebuild names an infinity"
