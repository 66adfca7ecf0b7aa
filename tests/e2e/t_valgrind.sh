#!/usr/bin/env bash
# valgrind memcheck on the end-to-end flow: the factory flow on two
# simulated fixtures (threads, TLS to the CMS, SQLite, the loader) shows no
# invalid access and no leak in the station.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

command -v valgrind >/dev/null || fail "valgrind is not installed (make deps installs it)"
case "$BINDIR" in */san/*) echo "ok (skipped: the sanitizer build is checked by ASan instead)"; exit 0 ;; esac
line_setup
line_board a SIM000701
line_board b SIM000702
rc=0
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect --track-fds=no --log-file="$LINE/vg.log" \
	"$BINDIR/station" run -c "$LINE/station.yaml" --once -f "$LINE/a.yaml" -f "$LINE/b.yaml" \
	>"$LINE/run.out" 2>&1 || rc=$?
tail -n 20 "$LINE/vg.log"
assert_eq "$rc" "0" "station under valgrind (99: memcheck found an error)"
grep -q "ERROR SUMMARY: 0 errors" "$LINE/vg.log" || fail "memcheck reported errors"
grep -q "definitely lost: 0 bytes" "$LINE/vg.log" || grep -q "All heap blocks were freed" "$LINE/vg.log" ||
	fail "memcheck reported a leak"
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(outcome) FROM runs")" "pass,pass" "both units passed"
# the report's capability rows (add_row once read a column of the header row)
rc=0
valgrind --tool=memcheck --error-exitcode=99 --log-file="$LINE/vg-cap.log" \
	"$BINDIR/station" report --db "$LINE_DB" --capability -f json >"$LINE/cap.json" 2>&1 || rc=$?
tail -n 20 "$LINE/vg-cap.log"
assert_eq "$rc" "0" "report --capability under valgrind (99: memcheck found an error)"
grep -q '"n"' "$LINE/cap.json" || fail "report --capability -f json: $(head -c 300 "$LINE/cap.json")"
echo ok
