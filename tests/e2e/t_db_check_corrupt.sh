#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# db check reads the log mapped into memory (db/db_check.c): it still finds
# a damaged page, --quick and the full check alike, and exits 4 naming it;
# the same log before the damage checks ok.
. "$(dirname "$0")/lib.sh"
st=$BINDIR/station
T=$(st_tmpdir)
db=$T/log.db
"$st" db migrate --db "$db" >/dev/null
sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us,
ended_us, outcome) SELECT printf('%032x', i), 'SN' || i, 's', 'f', 'factory', '1',
1767600000000000 + i * 1000000, 1767600000500000 + i * 1000000, 'pass' FROM n;
PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
out=$("$st" db check --quick --db "$db") || fail "quick check of a sound log: $out"
assert_match "$out" "ok \(schema version" "quick check of a sound log"
# the cell pointers of the runs table's root page (an interior page by now)
root=$(sqlite3 "$db" "SELECT rootpage FROM sqlite_schema WHERE name = 'runs'")
psz=$(sqlite3 "$db" "PRAGMA page_size")
printf '\377\377\377\377\377\377\377\377' |
	dd of="$db" bs=1 seek=$(((root - 1) * psz + 12)) conv=notrunc status=none
for mode in --quick ""; do
	rc=0
	# shellcheck disable=SC2086
	out=$("$st" db check $mode --db "$db" 2>&1) || rc=$?
	assert_eq "$rc" "4" "db check $mode of a damaged log: exit status"
	assert_match "$out" "(failed its integrity check|disk image is malformed)" "db check $mode of a damaged log"
done
echo "ok: a damaged page found by both checks (exit 4)"
