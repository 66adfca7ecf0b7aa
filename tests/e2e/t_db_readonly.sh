#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A log on a read-only file system (an archived copy, a read-only mount):
# report, trace, export and db check read a cleanly closed log there; a log
# left with a -wal file (not closed cleanly) is refused with what to do,
# never read half.  Needs a tmpfs mount (root): says so and skips without.
. "$(dirname "$0")/lib.sh"
st=$BINDIR/station
T=$(st_tmpdir)
mkdir -p "$T/ro"

# An archived copy in a directory the reader may not write (no -shm can be
# made beside it): read immutable like the read-only mount below.  Root
# writes anywhere, so the reader is nobody then.
mkdir -p "$T/arch"
"$st" db migrate --db "$T/arch/copy.db" >/dev/null
sqlite3 "$T/arch/copy.db" "INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us, ended_us, outcome) VALUES ('fedcba9876543210fedcba9876543210', 'ARCH-1', 's', 'f', 'factory', '1', 1767600000000000, 1767600001000000, 'pass')"
# two capability keys with a cell each (report --capability reads the
# second half of the keys on a connection of its own, which cannot open
# here: the one connection then reads them all)
sqlite3 "$T/arch/copy.db" "INSERT INTO cap_keys VALUES (1, 'factory', '1', 'rails', 'vdd', 'V', 3.0, 3.6), (2, 'factory', '1', 'rails', 'vcc', 'V', 4.5, 5.5);
	INSERT INTO cap_cells VALUES (1, 'f', 490999, 2, 3.3, 0.1, 0.01, 3.3, 3.4, 1767600000000000, 3.3, 1767600001000000, 3.4, 1, 0.1),
	(2, 'f', 490999, 3, 5.0, 0.0, 0.02, 4.9, 5.1, 1767600000000000, 5.0, 1767600002000000, 4.9, 2, 0.3)"
chmod a-w "$T/arch/copy.db" "$T/arch"
chmod a+rx "$T" "$T/arch"
d=$T; while [ "$d" != / ]; do d=$(dirname "$d"); chmod a+x "$d" 2>/dev/null || true; done
# (its own copy of station: the checkout's bin/ may be where nobody cannot go)
cp "$st" "$T/station-ro"
as_reader() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
out=$(as_reader "$T/station-ro" report --db "$T/arch/copy.db" --serial ARCH-1 2>&1) ||
	fail "report on a copy in a write-protected directory: $out"
assert_match "$out" "1 of 1 units passed" "report reads a copy in a write-protected directory"
out=$(as_reader "$T/station-ro" report --db "$T/arch/copy.db" --capability -f csv 2>&1) ||
	fail "report --capability on a copy in a write-protected directory: $out"
assert_match "$out" "factory,1,rails,vcc,V,4.5,5.5,[^,]*,[^,]*,3," "capability of the second key, read on the one connection"
assert_match "$out" "factory,1,rails,vdd,V,3,3.6,[^,]*,[^,]*,2," "capability of the first key"
out=$(as_reader "$T/station-ro" db check --quick --db "$T/arch/copy.db" 2>&1) ||
	fail "db check on a copy in a write-protected directory: $out"
[ ! -e "$T/arch/copy.db-shm" ] || fail "a -shm appeared in the write-protected directory"
chmod u+w "$T/arch"

if ! mount -t tmpfs -o size=16m station-ro "$T/ro" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here (not root?): the read-only log is not tested"
	exit 0
fi
ro_cleanup() {
	local rc=$?
	umount -l "$T/ro" 2>/dev/null || true
	(exit "$rc")	# st_cleanup reads the status of the test from $?
	st_cleanup
}
trap ro_cleanup EXIT

# a clean log with one run, closed
"$st" db migrate --db "$T/ro/clean.db" >/dev/null
sqlite3 "$T/ro/clean.db" "INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us, ended_us, outcome) VALUES ('0123456789abcdef0123456789abcdef', 'RO-1', 's', 'f', 'factory', '1', 1767600000000000, 1767600001000000, 'pass')"
[ ! -s "$T/ro/clean.db-wal" ] || fail "the clean log kept a -wal"
# a log whose writer died: its -wal still holds the last run
python3 - "$T/dirty.db" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=WAL")
c.execute("CREATE TABLE t(a)")
c.execute("INSERT INTO t VALUES (1)")
c.commit()
os._exit(0)   # no close: the -wal stays, as after a kill -9
PY
[ -s "$T/dirty.db-wal" ] || fail "no -wal left by the killed writer"
cp "$T/dirty.db" "$T/dirty.db-wal" "$T/ro/"
mount -o remount,ro "$T/ro" || fail "cannot remount read-only"
touch "$T/ro/x" 2>/dev/null && fail "the mount is still writable"

out=$("$st" report --db "$T/ro/clean.db" --serial RO-1) || fail "report on a read-only log: $out"
assert_match "$out" "1 of 1 units passed" "report reads the read-only log"
out=$("$st" trace --db "$T/ro/clean.db" RO-1) || fail "trace on a read-only log: $out"
assert_match "$out" "unit RO-1: 1 run" "trace reads the read-only log"
out=$("$st" export --db "$T/ro/clean.db") || fail "export on a read-only log"
assert_match "$out" "RO-1" "export reads the read-only log"
out=$("$st" db check --db "$T/ro/clean.db") || fail "db check on a read-only log: $out"
assert_match "$out" "ok \(schema version" "db check on a read-only log"
[ ! -e "$T/ro/clean.db-shm" ] || fail "a -shm appeared on a read-only mount"

rc=0; "$st" report --db "$T/ro/dirty.db" >"$T/out" 2>&1 || rc=$?
assert_eq "$rc" "4" "a log with a -wal on a read-only mount"
assert_match "$(cat "$T/out")" "was not closed cleanly .*copy the log and its -wal file to a writable place" "what to do"
echo "ok: read-only log read; an unclean one refused"
