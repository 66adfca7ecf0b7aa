#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo` (tools/demo.sh) as the README gives it: the whole factory flow
# on two simulated fixtures with device timing modelled, both units PASS,
# and then the README's three "query it" commands, taken from the README as
# written, answer from the demo's log.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
rc=0
DEMO_DIR=$t/demo BINDIR=$BINDIR "$ST_TOP/tools/demo.sh" >"$t/demo.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "the demo passes: $(tail -n 20 "$t/demo.out")"
assert_match "$(cat "$t/demo.out")" "station: 2 passed, 0 failed" "the demo's summary"
assert_eq "$(sqlite3 "$t/demo/station.db" "SELECT group_concat(unit_serial || '=' || outcome, ' ') FROM (SELECT * FROM runs ORDER BY unit_serial)")" \
	"SIM000101=pass SIM000102=pass" "both units logged as passed"

# The demo's own hint names the station it ran (BINDIR), not bin/station,
# and its commands answer as printed.
hints=$(sed -n 's/^  \(.*station \(report\|trace\) --db .*\)$/\1/p' "$t/demo.out")
assert_eq "$(printf '%s\n' "$hints" | wc -l)" 2 "the demo hints at report and trace: $hints"
while IFS= read -r cmd; do
	assert_eq "${cmd%% *}" "$BINDIR/station" "the hint '$cmd' names the binary that ran"
	out=$(cd / && bash -c "$cmd" 2>&1) || fail "the hint '$cmd' failed: $out"
done <<<"$hints"

# The README's commands, run from the top with demo/ pointing at this demo.
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	cmd=${cmd//demo\//$t/demo/}
	out=$(cd "$ST_TOP" && BINDIR=$BINDIR bash -c "${cmd/bin\/station/\$BINDIR/station}" 2>&1) ||
		fail "README: '$cmd' failed: $out"
	case $cmd in
	*v_yield*) assert_match "$out" "factory-provisioning" "README: v_yield names the sequence" ;;
	*report*) assert_match "$out" "yield +2 of 2 units passed" "README: the report counts both units" ;;
	*trace*) assert_match "$out" "SIM000101" "README: the trace is the unit's"
		assert_match "$out" "pass" "README: the trace shows the passed run" ;;
	esac
done < <(sed -n 's/^    \(sqlite3 demo\/.*\|bin\/station [a-z]* --db demo\/.*\)$/\1/p' "$ST_TOP/README.md")
assert_eq "$n" 3 "the README's three commands ran"
echo "ok: the demo passed both units; the README's $n commands answer from its log"
