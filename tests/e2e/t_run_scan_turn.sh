#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two fixtures share the operator's terminal, one question at a time: a
# fixture's question waits for its turn, and its timeout counts from when
# it is on screen, not from when it joined the queue.  On the operator's
# terminal (tests/e2e/pty_run.py), a scan with `timeout: 6s`: the first
# question is answered after 4 s, the second 3 s after it is shown (7 s
# after it was asked: it would have expired 2 s after it appeared; the
# margins are seconds, for a loaded machine).  A
# question left unanswered still expires, its full timeout after it is
# shown (docs/sequences.md, prompt).
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_fast_boards "$t" SIM00140 a b
cat >"$t/flow.yaml" <<'YAML'
name: scan-turn
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^SIM[0-9]{6}$'}
    timeout: 6s
  - name: power on
    lines: {power: on}
teardown:
  - name: power off
    lines: {power: off}
YAML
pty() {	# pty NAME: the flow on a terminal of its own, the script $t/NAME.script
	rc=0
	TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/$1.out" \
		--script "$t/$1.script" -- "$BINDIR/station" run --db "$t/$1.db" -f "$t/a.yaml" \
		-f "$t/b.yaml" -s "$t/flow.yaml" --once || rc=$?
	[ "$rc" = 90 ] && { tr -d '\033' <"$t/$1.out" | tail -c 3000 >&2; fail "$1: the screen expected did not come"; }
	return 0
}
q='\[[ab]\] Scan the barcode on the board: '

# --- the second question gets its whole 6 s from when it is shown -----------
cat >"$t/turn.script" <<SCRIPT
expect 60 $q
sleep 4
send SIM001401\r
expect 10 \[[ab]\] answer: SIM001401
expect 10 $q
sleep 3
send SIM001402\r
expect 10 \[[ab]\] answer: SIM001402
SCRIPT
pty turn
assert_eq "$rc" "0" "both units scanned and passed"
assert_eq "$(sql "$t/turn.db" "SELECT group_concat(unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY unit_serial)")" "SIM001401:pass SIM001402:pass" \
	"the second question did not expire before its 6 s on screen"

# --- unanswered, a question expires 6 s after it is shown ----------------------
cat >"$t/expire.script" <<SCRIPT
expect 60 $q
sleep 4
send SIM001401\r
expect 10 \[[ab]\] answer: SIM001401
expect 10 $q
sleep 2
send SIM001402
SCRIPT
pty expire
assert_eq "$(sql "$t/expire.db" "SELECT group_concat(unit_serial || ':' || outcome, ' ') FROM runs")" \
	"SIM001401:pass" "the unanswered question expired: no run for it"
grep -aqF "no answer to 'Scan the barcode on the board'" "$t/expire.out" ||
	fail "the expired question is not said"
echo "ok"
