#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One run's data never stops a station's forwarding unseen (docs/central.md,
# "What the forwarder guarantees").  A real station and a real PostgreSQL
# (pg.sh), with runs whose text or numbers the local log took and the store
# could refuse or mangle:
# - text a log edited by hand holds and the station never writes (bytes that
#   are not UTF-8, a NUL inside, a BLOB) arrives as the log stores such
#   bytes, \xNN, and the runs behind it follow (PostgreSQL refused the run,
#   which held every run behind it; a NUL cut the text);
# - a station whose environment says PGCLIENTENCODING=LATIN1 still stores
#   its UTF-8 text as it is ("Ω" arrived as "Î©");
# - a serial or work order of 3001 bytes on the command line is refused (the
#   log took it, the store's index of serials cannot: the run held every run
#   behind it), as the prompt, the API and the MES refuse one;
# - a run the store cannot take as the log holds it (a 3001-byte serial put
#   in by hand; a start time that is no integer) stays queued, and station
#   run, central status and central sync say which run, which column and
#   what to do (status answered 0, "reachable"); station run's end line says
#   the queue is held by that run, not "sent when it answers"; once the log
#   is mended, it and the runs behind it go.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
central_station s1
y=$CENTRAL/s1/station.yaml
db=$CENTRAL/s1/s1.db
# the same station without the store: its runs stay queued, to edit first
sed '/^central:/,/backoff:/d' "$y" >"$CENTRAL/s1/alone.yaml"
alone() { "$st" run -c "$CENTRAL/s1/alone.yaml" --once --serial "$1" >/dev/null 2>&1 || fail "run $1"; }
run_of() { sql "$db" "SELECT id FROM runs WHERE unit_serial = '$1'"; }
stored() { pg_sql "SELECT $1 FROM $2 WHERE $3"; }

# --- text the station never writes, put in by hand (the sqlite3 CLI)
for u in A B C D; do alone "$u"; done
a=$(run_of A) b=$(run_of B) c=$(run_of C)
sqlite3 "$db" "UPDATE runs SET unit_serial = CAST(X'50FF51' AS TEXT) WHERE id = '$a';
	UPDATE measurements SET text = CAST(X'4100420a43' AS TEXT)
	  WHERE step_id IN (SELECT id FROM steps WHERE run_id = '$b');
	UPDATE steps SET reason = X'DEADBEEF00' WHERE run_id = '$c' AND name = 'banner';
	UPDATE runs SET work_order = 'WO-Ω-7' WHERE id = '$c';
	UPDATE measurements SET value = 9e999
	  WHERE step_id IN (SELECT id FROM steps WHERE run_id = (SELECT id FROM runs WHERE unit_serial = 'D'))"
assert_eq "$(sql "$db" "SELECT typeof(reason) FROM steps WHERE run_id = '$c' AND name = 'banner'")" \
	"blob" "a BLOB where text belongs"
assert_match "$("$st" central status -c "$y")" "^central status: 4 run\(s\) queued in $db
central store $PG_SOCK:$PG_PORT/central: reachable, schema version [0-9]+ as this station writes$" \
	"status: the store takes the next run"
assert_eq "$("$st" central sync -c "$y")" "central sync: 4 sent, 0 still queued ($db)" \
	"the runs sent, and the one behind them"
assert_eq "$(stored unit_serial runs "id = '$a'")" 'P\xffQ' "a byte that is not UTF-8, as \\xNN"
assert_eq "$(stored text measurements "run_id = '$b'")" 'A\x00B
C' "a NUL inside a text: kept, as \\x00 (no longer cut there)"
# DE AD is UTF-8 (U+07AD), BE EF and the NUL are not
assert_eq "$(stored "encode(convert_to(reason, 'UTF8'), 'escape')" steps "run_id = '$c' AND name = 'banner'")" \
	'\336\255\\xbe\\xef\\x00' "a BLOB, as text, every byte kept"
assert_eq "$(stored work_order runs "id = '$c'")" "WO-Ω-7" "UTF-8 as it is"
assert_eq "$(stored "count(*)" runs "unit_serial = 'D'")" "1" "the run behind them"
assert_eq "$(stored value measurements "run_id = (SELECT id FROM runs WHERE unit_serial = 'D')")" \
	"Infinity" "an infinity as the log holds it"

# the same bytes through the station's own way in (a scan, --var): stored
# escaped in the log already, and so in the store
central_run s1 $'R\xffS' --var $'work_order=W\xfe1'
assert_eq "$RUN_RC" "0" "a unit whose serial is not UTF-8"
assert_eq "$(stored "unit_serial || ' ' || work_order" runs "unit_serial LIKE 'R%'")" 'R\xffS W\xfe1' \
	"a scan and a work order that are not UTF-8, as the log holds them"

# --- the station's environment names another client encoding
PGCLIENTENCODING=LATIN1 "$st" run -c "$y" --once --serial "Ω-1" >/dev/null 2>&1 || fail "run Ω-1"
assert_eq "$(stored "encode(convert_to(unit_serial, 'UTF8'), 'hex')" runs "unit_serial LIKE '%-1'")" \
	"cea92d31" "Ω-1 stored as its UTF-8 bytes, not as LATIN1 read from them"

# --- a serial too long for the store's index: refused on the command line
# (the log took it, the store did not), as the prompt, the API and the MES
# refuse one; an older station's log, or one edited by hand, may hold it
long=L$(head -c 1500 /dev/urandom | od -An -tx1 | tr -d ' \n')
rc=0; "$st" run -c "$y" --once --serial "$long" >/dev/null 2>"$CENTRAL/long.err" || rc=$?
assert_eq "$rc" "2" "--serial of 3001 bytes: a wrong argument"
assert_eq "$(cat "$CENTRAL/long.err")" "station run: the serial is 3001 bytes: at most 255, as a scan at the prompt, the API and the MES take (a wrong argument?)" \
	"says how long, and the most"
rc=0; "$st" run -c "$y" --once --serial W1 --var "work_order=$long" >/dev/null 2>"$CENTRAL/long.err" || rc=$?
assert_eq "$rc" "2" "--var work_order= of 3001 bytes"
assert_match "$(cat "$CENTRAL/long.err")" "the work_order is 3001 bytes: at most 255" "says which"
"$st" run -c "$y" --once --serial W2 --var "work_order=${long:0:255}" >/dev/null 2>&1 ||
	fail "a work order of 255 bytes"
alone LONG
l=$(run_of LONG)
sqlite3 "$db" "UPDATE runs SET unit_serial = '$long' WHERE id = '$l'"
central_run s1 E
cp "$CENTRAL/s1/run.err" "$CENTRAL/long.err"
assert_eq "$RUN_RC" "0" "the line goes on behind the refused run"
why="central store $PG_SOCK:$PG_PORT/central refuses run $l \(unit ${long:0:40}\.\.\.\) for what the log holds: runs: index row size [0-9]+ exceeds btree version 4 maximum 2704 for index \"runs_unit\"; the run stays queued, and the runs queued behind it wait for it \(runs go in order\): mend that value in the log, then 'station central sync'"
assert_match "$(cat "$CENTRAL/long.err")" "central: warning: $why" "the forwarder names the run, once"
assert_eq "$(grep -c "refuses run" "$CENTRAL/long.err")" "2" \
	"said once, not once per try, and in the end line"
# the end line: not "sent when it answers" (it answered no) but which run
# holds the queue and what to do, as status says
assert_match "$(tail -n 1 "$CENTRAL/long.err")" "^run: warning: 2 run\(s\) queued for the central store, held by a run it refuses: $why \(docs/central\.md, \"A run the store refuses\"\)$" \
	"station run's end line names the run that holds the queue"
rc=0; "$st" central status -c "$y" >"$CENTRAL/status.out" 2>"$CENTRAL/status.err" || rc=$?
assert_eq "$rc" "4" "status: the store would not take the next run"
assert_eq "$(cat "$CENTRAL/status.out")" "central status: 2 run(s) queued in $db" "status counts"
assert_match "$(cat "$CENTRAL/status.err")" "^station central status: $why" "status says why"
rc=0; "$st" central sync -c "$y" >"$CENTRAL/sync.out" 2>"$CENTRAL/sync.err" || rc=$?
assert_eq "$rc" "4" "sync leaves them queued"
assert_match "$(cat "$CENTRAL/sync.err")" "^station central sync: $why" "sync says why"
assert_eq "$(stored "count(*)" runs "unit_serial = 'E'")" "0" "in order: E waits"
# mended by hand: the serial the scanner meant was its first 12 characters
sqlite3 "$db" "UPDATE runs SET unit_serial = substr(unit_serial, 1, 12) WHERE id = '$l'"
assert_eq "$("$st" central sync -c "$y")" "central sync: 2 sent, 0 still queued ($db)" "mended: both go"

# --- a number the column cannot take: a start time that is no integer
alone F
alone G
f=$(run_of F)
sqlite3 "$db" "UPDATE runs SET started_us = started_us + 0.5 WHERE id = '$f'"
rc=0; "$st" central status -c "$y" >/dev/null 2>"$CENTRAL/status.err" || rc=$?
assert_eq "$rc" "4" "status: a start time that is no integer"
assert_match "$(cat "$CENTRAL/status.err")" "refuses run $f \(unit F\) for what the log holds: runs\.started_us \([0-9]+\.5\): invalid input syntax for type bigint" \
	"status names the run, its column and value"
sqlite3 "$db" "UPDATE runs SET started_us = CAST(started_us AS INTEGER) WHERE id = '$f';
	UPDATE steps SET idx = idx + 3000000000 WHERE run_id = '$f' AND name = 'banner'"
rc=0; "$st" central sync -c "$y" >/dev/null 2>"$CENTRAL/sync.err" || rc=$?
assert_eq "$rc" "4" "a step's index beyond the store's integer"
assert_match "$(cat "$CENTRAL/sync.err")" "refuses run $f \(unit F\) for what the log holds: steps\.idx \(300000000[0-9]\): value \"300000000[0-9]\" is out of range for type integer" \
	"sync names the run, its column and value"
sqlite3 "$db" "UPDATE steps SET idx = idx - 3000000000 WHERE run_id = '$f' AND name = 'banner'"
assert_eq "$("$st" central sync -c "$y")" "central sync: 2 sent, 0 still queued ($db)" "mended: F and G go"
{ local_ids s1; } | sort >"$CENTRAL/local.ids"
pg_sql "SELECT id FROM runs ORDER BY id" | LC_ALL=C sort >"$CENTRAL/central.ids"
LC_ALL=C sort -o "$CENTRAL/local.ids" "$CENTRAL/local.ids"
diff "$CENTRAL/local.ids" "$CENTRAL/central.ids" || fail "central runs differ from the log's"
echo ok
