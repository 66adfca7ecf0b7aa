#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Keys typed before a question is on screen (a scan made too early, keys
# pressed while the run goes) are discarded when the question comes, and
# the operator is told how many: an answer is always typed to the question
# on screen (OpenHTF's console prompt flushes such input too, silently).
# On the operator's terminal (tests/e2e/pty_run.py): a badge scanned
# with a CR LF suffix (a scanner's), the LF not taken for a key; then,
# while an exec step waits for the test's word, a work order typed ahead,
# neither echoed by the terminal nor taken as the answer.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM001001
sim_fixture a "$t/a.yaml"
cat >"$t/flow.yaml" <<'YAML'
name: type-ahead
version: 1.0.0
steps:
  - name: badge
    prompt: {message: Scan your badge, var: badge, pattern: '^OP[0-9]{4}$'}
  - name: wait for the operator's hands
    exec: {cmd: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.05; done', sh, "${go}"]}
    timeout: 60s
  - name: scan the work order
    prompt: {message: Scan the work order, var: order}
YAML
cat >"$t/typeahead.script" <<SCRIPT
expect 60 \[a\] Scan your badge: 
send OP0042\r\n
expect 60 \[a\] answer: OP0042
expect 60 wait for the operator's hands
send WO-EARLY\r
sleep 0.3
touch $t/go
expect 60 \[a\] 9 key\(s\) typed before this question were discarded: answer now, to this question
answer 60 \[(a)\] Scan the work order: (?!.*WO-EARLY) => a=WO-1001
SCRIPT
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/typeahead.out" \
	--script "$t/typeahead.script" -- "$BINDIR/station" run --db "$t/station.db" -f "$t/a.yaml" \
	-s "$t/flow.yaml" --var "go=$t/go" --serial SIM001001 --once || rc=$?
out=$t/typeahead.out
[ "$rc" = 90 ] && { tr -d '\033' <"$out" | tail -c 3000 >&2; fail "the discard was not said, or a question not asked"; }
assert_eq "$rc" "0" "exit status"
assert_eq "$(sql "$t/station.db" "SELECT unit_serial || ':' || outcome FROM runs")" "SIM001001:pass" "the run"
assert_eq "$(sql "$t/station.db" "SELECT v.value FROM step_values v WHERE v.key = 'order'")" "WO-1001" \
	"the work order is the one typed to the question, not the one typed ahead"
! grep -aq 'WO-EARLY' "$out" || fail "the keys typed ahead were echoed"
grep -aqF "[a] answer: WO-1001" "$out" || fail "no answer line"
echo "ok"
