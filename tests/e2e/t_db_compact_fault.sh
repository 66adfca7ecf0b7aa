#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station db compact where it cannot, or where the log is not at rest: on a
# disk without room for the copy it exits 4 saying the disk is full and the
# log is as it was (every row, its size, no -wal left behind); on a
# read-only mount it exits 4 saying so; a -wal file left by a writer that
# died holds committed rows, and compact keeps them; with a reader in a
# transaction the copy waits in the -wal until a checkpoint.  The hand edit of
# docs/database.md (UPDATE measurements SET value = 3.31 WHERE id = 7)
# changes that value alone; the view's rows are counted by total_changes(),
# not changes(), its new id is not last_insert_rowid(), a NULL name is
# refused (docs/database.md).  Needs a tmpfs mount
# (root): says so and skips without.
. "$(dirname "$0")/lib.sh"

st=$BINDIR/station
T=$(st_tmpdir)
rows() {
	sql "$1" "SELECT count(*) || ' ' || total(value) || ' ' || count(DISTINCT def)
		|| ' ' || (SELECT count(*) FROM measurement_defs) FROM measurement_values"
}

# a schema 15 log of 90,000 measurements (3.5 MiB) and 4 MiB of free pages
L=$T/log.db
"$st" db migrate --db "$L" >/dev/null || fail "create the log"
log_one_run "$L" CF-1
sql "$L" "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 90000)
INSERT INTO measurements (step_id, name, value, unit, low, high, outcome)
	SELECT 1, 'm' || (i % 20), i * 0.001, 'V', CASE WHEN i % 3 = 0 THEN NULL ELSE 0 END, 95,
	'pass' FROM k;
CREATE TABLE pad (b BLOB); WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1000)
INSERT INTO pad SELECT randomblob(4000) FROM k; DROP TABLE pad;" || fail "fill the log"

# the hand edit of docs/database.md: one value, its def kept
sql "$L" "UPDATE measurements SET value = 3.31 WHERE id = 7" || fail "the docs' UPDATE"
assert_eq "$(sql "$L" "SELECT value || ' ' || name || ' ' || unit || ' ' || low || ' ' || high
	FROM measurements WHERE id = 7")" "3.31 m7 V 0.0 95.0" "the docs' UPDATE sets the value alone"
assert_eq "$(sql "$L" "UPDATE measurements SET outcome = 'pass' WHERE id IN (1, 3, 5);
	SELECT changes() || ' ' || total_changes()")" "0 3" \
	"an edit through the view: changes() 0, total_changes() counts the rows"
assert_eq "$(sql "$L" "INSERT INTO measurements (step_id, name, value, outcome) VALUES (1, 'new', 1, 'pass');
	SELECT last_insert_rowid() || ' ' || (SELECT max(id) FROM measurement_values);
	DELETE FROM measurements WHERE name = 'new'")" "0 90001" \
	"after an insert through the view: last_insert_rowid() 0, the new id max(id)"
rc=0
out=$(sql "$L" "INSERT INTO measurements (step_id, name, value, outcome) VALUES (1, NULL, 1, 'pass')" 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a NULL name taken"
assert_match "$out" "measurements.name may not be NULL: give the measurement a name" "a NULL name refused"
rc=0
out=$(sql "$L" "UPDATE measurements SET name = NULL WHERE id = 7" 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a name set to NULL taken"
assert_match "$out" "measurements.name may not be NULL" "a name set to NULL refused"
want=$(rows "$L")
assert_eq "$want" "90000 4050048.303 40 41" "the log's rows (the def of the row deleted stays)"

if ! mkdir "$T/m" || ! mount -t tmpfs -o size=8m station-compact "$T/m" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here (not root?): compact on a full disk is not tested"
	exit 0
fi
compact_umount() { umount -l "$T/m" 2>/dev/null || true; }
echo compact_umount >>"$ST_REG/atexit"

# a full disk: 8 MiB, the log 7 MiB of it, the copy needs 3.5
cp "$L" "$T/m/log.db"
size=$(stat -c %s "$T/m/log.db")
rc=0
out=$("$st" db compact --db "$T/m/log.db" 2>&1) || rc=$?
assert_eq "$rc" 4 "compact on a full disk: exit status"
assert_match "$out" "cannot compact the log .*disk is full" "compact on a full disk says so"
assert_eq "$(stat -c %s "$T/m/log.db")" "$size" "the log's size after a compact on a full disk"
[ ! -s "$T/m/log.db-wal" ] || fail "a compact on a full disk left a -wal of $(stat -c %s "$T/m/log.db-wal") bytes"
assert_eq "$(rows "$T/m/log.db")" "$want" "every row kept by a compact on a full disk"
out=$("$st" db check --db "$T/m/log.db") || fail "check after a compact on a full disk: $out"

# room made: it compacts
mount -o remount,size=16m "$T/m" || fail "cannot grow the tmpfs"
out=$("$st" db compact --db "$T/m/log.db") || fail "compact with room: $out"
assert_match "$out" "compacted from 7\.[0-9] MiB to 3\.[0-9] MiB" "compact with room"
assert_eq "$(rows "$T/m/log.db")" "$want" "every row kept by compact"

# a read-only mount: refused, nothing written
cp "$L" "$T/m/ro.db"
mount -o remount,ro "$T/m" || fail "cannot remount read-only"
rc=0
out=$("$st" db compact --db "$T/m/ro.db" 2>&1) || rc=$?
assert_eq "$rc" 4 "compact on a read-only mount: exit status"
assert_match "$out" "is read-only" "compact on a read-only mount says so"
assert_eq "$(stat -c %s "$T/m/ro.db")" "$size" "the read-only log's size"
mount -o remount,rw "$T/m" || fail "cannot remount read-write"
assert_eq "$(rows "$T/m/ro.db")" "$want" "every row of the read-only log"

# a writer died with committed rows in the -wal: compact keeps them
cp "$L" "$T/w.db"
# (sqlite3 killed by its own .shell: no close, the -wal stays, as after a kill -9)
(printf '%s\n' "PRAGMA wal_autocheckpoint=0;" \
	"INSERT INTO measurements (step_id, name, value, unit, outcome) VALUES (1, 'walrow', 42, 'V', 'pass');" \
	"DELETE FROM measurements WHERE id <= 1000;" '.shell kill -9 $PPID' | sqlite3 "$T/w.db") >/dev/null 2>&1 || true
[ -s "$T/w.db-wal" ] || fail "no -wal left by the killed writer"
out=$("$st" db compact --db "$T/w.db") || fail "compact of a log with a -wal: $out"
[ ! -s "$T/w.db-wal" ] || fail "compact left a -wal"
assert_eq "$(sql "$T/w.db" "SELECT count(*) || ' ' || total(value) FROM measurements WHERE id <= 1000 OR name = 'walrow'")" \
	"1 42.0" "the -wal's committed rows kept by compact"
assert_eq "$(sql "$T/w.db" "SELECT count(*) FROM measurements")" 89001 "the rows after the -wal's"
# a read-only reader in a transaction meanwhile (as report and export
# open the log): it keeps reading the old pages, the file keeps its size
# and the copy waits in the -wal, after the reader too, until a writer
# folds it back (docs/database.md)
cp "$L" "$T/r.db"
size=$(stat -c %s "$T/r.db")
printf '%s\n' "BEGIN;" "SELECT count(*) FROM measurement_values;" \
	".shell touch '$T/reading'; while [ ! -e '$T/done' ]; do sleep 0.05; done" \
	"SELECT count(*) FROM measurement_values;" "COMMIT;" | sqlite3 -readonly "$T/r.db" >"$T/reader.out" &
r=$!
echo "$r" >>"$ST_REG/pids"
for _ in $(seq 200); do [ -e "$T/reading" ] && break; sleep 0.05; done
[ -e "$T/reading" ] || fail "the reader did not start"
out=$("$st" db compact --db "$T/r.db") || fail "compact with a reader: $out"
assert_match "$out" "compacted from 7\.[0-9] MiB to 3\.[0-9] MiB" "compact with a reader"
touch "$T/done"
wait "$r" || fail "the reader"
assert_eq "$(tr '\n' ' ' <"$T/reader.out")" "90000 90000 " "the reader's snapshot"
assert_eq "$(stat -c %s "$T/r.db")" "$size" "the log's size while the copy waits in the -wal"
[ -s "$T/r.db-wal" ] || fail "the copy is not in the -wal"
sqlite3 "$T/r.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null || fail "the docs' checkpoint"
[ "$(stat -c %s "$T/r.db")" -lt $((size / 2 + 65536)) ] || fail "the log not smaller after the checkpoint"
assert_eq "$(rows "$T/r.db")" "$want" "every row kept by compact with a reader"
echo "ok: compact refused and harmless on a full disk and a read-only mount, keeps a -wal's rows"
