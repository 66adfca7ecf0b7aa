#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The verdict banner on the operator's terminal (tests/e2e/pty_run.py) wraps
# a reason over four lines at most; a longer one is cut, and the banner says
# so: the fourth line ends with an ellipsis and a line names where the whole
# reason is (`station trace SERIAL`), which does show it whole.  A reason
# that fits is not marked.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM001901
sim_fixture a "$t/a.yaml"
words=$(for i in $(seq 1 40); do printf 'PART%02d|' "$i"; done)
cat >"$t/flow.yaml" <<YAML
name: banner-cut
version: 1.0.0
steps:
  - name: check the serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^(${words}SIM[0-9]{6})\$'}
YAML
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/long.out" -- \
	"$BINDIR/station" run --db "$t/station.db" -f "$t/a.yaml" -s "$t/flow.yaml" --serial X1901 \
	--once || rc=$?
assert_eq "$rc" "4" "the wrong serial given is a station error"
plain=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$t/long.out" | tr -d '\r')
reason=$(sql "$t/station.db" "SELECT reason FROM steps WHERE name = 'check the serial'")
case "$reason" in *"or --serial)") ;; *) fail "the logged reason is not whole: $reason" ;; esac
[ "${#reason}" -gt 300 ] || fail "the reason is not long enough for this test (${#reason})"
grep -q $'…\x20*$' <<<"$(grep -A3 '^  reason: ' <<<"$plain" | sed -n 4p)" ||
	fail "the reason's fourth line does not end with an ellipsis: $(grep -A5 '^  reason: ' <<<"$plain")"
grep -qF '(cut: the whole reason: station trace X1901)' <<<"$plain" || fail "the banner does not say where the whole reason is"
"$BINDIR/station" trace --db "$t/station.db" X1901 >"$t/trace.out" || fail "station trace X1901 failed"
grep -qF 'give the right one (--var serial=VALUE or --serial)' "$t/trace.out" ||
	fail "station trace does not show the reason whole"

# --- a reason that fits: no mark -------------------------------------------------
sed -i 's/\^(.*SIM\[0-9\]{6})\$/^SIM[0-9]{6}$/' "$t/flow.yaml"
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/short.out" -- \
	"$BINDIR/station" run --db "$t/station.db" -f "$t/a.yaml" -s "$t/flow.yaml" --serial X1902 \
	--once || rc=$?
assert_eq "$rc" "4" "short: a station error"
grep -aq 'reason: the value given for serial' "$t/short.out" || fail "short: no reason in the banner"
! grep -aq '(cut: \|…' "$t/short.out" || fail "short: a reason that fits is marked cut"

# --- a narrow terminal: no banner line (two spaces in) wider than it -------------
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --cols 36 --out "$t/narrow.out" -- \
	"$BINDIR/station" run --db "$t/station.db" -f "$t/a.yaml" -s "$t/flow.yaml" --serial SIM001903 \
	--once || rc=$?
assert_eq "$rc" "0" "narrow: the unit passes"
narrow=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$t/narrow.out" | tr -d '\r')
grep -q 'PASS  fixture a  unit SIM001903' <<<"$narrow" || fail "narrow: no verdict line: $narrow"
wide=$(python3 -c 'import sys
for l in sys.stdin.read().split("\n"):
    if l.startswith("  ") and len(l) > 36: print(len(l), repr(l))' <<<"$narrow")
[ -z "$wide" ] || fail "narrow: banner lines wider than the 36 columns: $wide"
echo "ok"
