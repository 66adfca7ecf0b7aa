#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The upgrade to schema 15 (station db migrate) of a schema 14 log whose
# measurements differ only in a NULL or a value limit, in the unit ('V',
# 'v', '', NULL), in the expected text ('abc', 'ABC', '', NULL, a blob) or
# hold a limit edited by hand as text: every row comes back through the view
# as it was, value and type, one def per kind (NULL matches NULL); each row
# inserted again through the view finds its own def, none made anew.
. "$(dirname "$0")/lib.sh"

st=$BINDIR/station
T=$(st_tmpdir)
L=$T/v14.db
sqlite3 "$L" <db/migrations/v14.sql
log_one_run "$L" MD-1
sql "$L" "INSERT INTO measurements (step_id, name, value, text, unit, low, high, expect, outcome) VALUES
	(1, 'k', 1, NULL, 'V', NULL, NULL, NULL, 'pass'), (1, 'k', 1, NULL, 'V', 0, NULL, NULL, 'pass'),
	(1, 'k', 1, NULL, 'V', NULL, 0, NULL, 'pass'), (1, 'k', 1, NULL, 'V', 0, 0, NULL, 'pass'),
	(1, 'k', 1, NULL, NULL, NULL, NULL, NULL, 'pass'), (1, 'k', 1, NULL, '', NULL, NULL, NULL, 'pass'),
	(1, 'k', 1, NULL, 'v', NULL, NULL, NULL, 'pass'), (1, 'K', 2, NULL, 'V', NULL, NULL, NULL, 'pass'),
	(1, 'k', 1, NULL, 'V', 'lo', NULL, NULL, 'pass'), (1, 'k', 1, NULL, 'V', -0.0, NULL, NULL, 'pass'),
	(1, 'k', 2, NULL, 'V', 1e308, 9e999, NULL, 'pass'),
	(1, 's', NULL, 'abc', NULL, NULL, NULL, 'abc', 'pass'), (1, 's', NULL, 'abc', NULL, NULL, NULL, NULL, 'fail'),
	(1, 's', NULL, 'abc', NULL, NULL, NULL, '', 'fail'), (1, 's', NULL, 'abc', NULL, NULL, NULL, 'ABC', 'fail'),
	(1, 's', NULL, 'abc', NULL, NULL, NULL, X'616263', 'pass'), (1, 'k', 1, NULL, 'V', 0, NULL, NULL, 'fail');"
dump() {
	sql "$1" "SELECT id, step_id, quote(name), quote(value), quote(text), quote(unit), quote(low),
		quote(high), quote(expect), outcome FROM measurements ORDER BY id"
}
want=$(dump "$L")
kinds=$(sql "$L" "SELECT count(*) FROM (SELECT DISTINCT name, unit, low, high, expect FROM measurements)")
assert_eq "$kinds" 15 "the kinds of measurement in the v14 log"

out=$("$st" db migrate --db "$L" 2>&1) || fail "migrate: $out"
assert_match "$out" "upgraded from schema version 14 to 16" "migrate"
assert_eq "$(dump "$L")" "$want" "every row, value and type kept by the upgrade"
assert_eq "$(sql "$L" "SELECT count(*) FROM measurement_defs")" "$kinds" "one def per kind"

# each row again through the view: the def of its kind, none made anew
sql "$L" "INSERT INTO measurements (step_id, name, value, text, unit, low, high, expect, outcome)
	SELECT step_id, name, value, text, unit, low, high, expect, outcome FROM measurements ORDER BY id" ||
	fail "insert through the view"
assert_eq "$(sql "$L" "SELECT count(*) FROM measurement_defs")" "$kinds" "no def made by the inserts"
assert_eq "$(sql "$L" "SELECT count(*) FROM measurements a JOIN measurements b ON b.id = a.id + 17
	WHERE a.name IS b.name AND a.unit IS b.unit AND a.low IS b.low AND a.high IS b.high
	AND a.expect IS b.expect AND typeof(a.expect) = typeof(b.expect) AND typeof(a.low) = typeof(b.low)")" 17 \
	"each row inserted again reads back as the one it copied"
out=$("$st" db check --db "$L") || fail "check: $out"
echo "ok: v14 -> 15 keeps measurements differing only in NULL limits, unit or expected text apart"
