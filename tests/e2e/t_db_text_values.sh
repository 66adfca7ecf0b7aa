#!/usr/bin/env bash
# A text in measurements.value ('' or 'nan', as sqlite3 .import writes an
# empty cell) is no number: the reports would count it as 0.  db check
# (full) counts such rows and says how to list and mend them; db rebuild
# refuses to sum them, naming the row, as it does an infinity.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vals.sh"
st=$BINDIR/station
out=$(st_tmpdir)
db=$out/emp.db
vals_log "$db" 3.30,3.31,3.29,3.30
"$st" db rebuild --db "$db" >/dev/null
"$st" db check --db "$db" >/dev/null || fail "db check on a good log"
sql "$db" "UPDATE measurements SET value = '' WHERE step_id = 3; UPDATE measurements SET value = 'nan' WHERE step_id = 4"
rc=0; "$st" db check --db "$db" >"$out/check" 2>&1 || rc=$?
assert_eq "$rc" "4" "db check: text values"
assert_match "$(cat "$out/check")" "is sound, but 2 measurement values are text, not a number \(the first: measurement 3; '' or 'nan' as sqlite3 .import writes an empty cell, a hand edit\), which the reports would count as 0; list them with sqlite3 '$db' \"SELECT id, quote\(value\) FROM measurements WHERE typeof\(value\) IN \('text', 'blob'\)\", set each to its number or to NULL \(UPDATE measurements SET value = NULL WHERE id = 3\), then station db rebuild" "db check names them"
# the command it gives lists them
assert_eq "$(sqlite3 "$db" "SELECT id, quote(value) FROM measurements WHERE typeof(value) IN ('text', 'blob')" | tr '\n' ' ')" "3|'' 4|'nan' " "the listing"
# --quick reads the file only, as before
"$st" db check --quick --db "$db" >/dev/null || fail "db check --quick is the file's check"
rc=0; "$st" db rebuild --db "$db" >"$out/rebuild" 2>&1 || rc=$?
assert_eq "$rc" "4" "db rebuild refuses a text value"
assert_match "$(cat "$out/rebuild")" "cannot rebuild the summaries of $db: measurement 3 \('vdd' of run r2\) holds '', text where a number belongs, which they would count as 0 .*UPDATE measurements SET value = NULL WHERE id = 3\), then rebuild .*nothing was changed" "db rebuild names the row"
# mended, both pass
sql "$db" "UPDATE measurements SET value = NULL WHERE typeof(value) = 'text'"
"$st" db check --db "$db" >/dev/null || fail "db check after the mend"
"$st" db rebuild --db "$db" >/dev/null || fail "db rebuild after the mend"
echo "t_db_text_values: ok"
