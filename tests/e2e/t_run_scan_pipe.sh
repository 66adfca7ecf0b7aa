#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `station run ... | tee log` on the operator's terminal (tests/e2e/pty_run.py):
# the view is lines on stdout, through tee to the same screen, the questions
# on stderr.  Two fixtures: while b's question waits, a's run prints its
# lines under it; once they stop coming, b's question is shown again, with
# what was typed so far, so that it is the last thing on the screen and not
# buried (docs/operators.md).  Into a file (`> log`) nothing is shown again.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_fast_boards "$t" SIM00170 a b
cat >"$t/flow.yaml" <<'YAML'
name: scan-pipe
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^SIM[0-9]{6}$'}
  - name: power on
    lines: {power: on}
  - name: settle
    delay: 300ms
teardown:
  - name: power off
    lines: {power: off}
YAML
pty() {	# pty NAME REDIRECT: station run, its stdout through REDIRECT, the script $t/NAME.script
	rc=0
	TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/$1.out" \
		--script "$t/$1.script" -- sh -c "\"\$0\" run --db '$t/$1.db' -f '$t/a.yaml' \
		-f '$t/b.yaml' -s '$t/flow.yaml' --once $2" "$BINDIR/station" || rc=$?
	[ "$rc" = 90 ] && { tr -d '\033' <"$t/$1.out" | tail -c 3000 >&2; fail "$1: the screen expected did not come"; }
	return 0
}
q='\[[ab]\] Scan the barcode on the board: '

# --- | tee: the question shown again after the other fixture's lines ----------
cat >"$t/tee.script" <<SCRIPT
expect 60 $q
send SIM001701\r
expect 10 $q
send SIM0017
expect 30 \[[ab]\] PASS unit SIM001701[^\n]*\n$q(\x1b\[[0-9;]*m)?SIM0017
send 02\r
SCRIPT
pty tee "| tee '$t/tee.log'"
assert_eq "$rc" "0" "| tee: both units passed"
assert_eq "$(sql "$t/tee.db" "SELECT group_concat(unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY unit_serial)")" "SIM001701:pass SIM001702:pass" "| tee: the runs"
grep -aq 'PASS unit SIM001701' "$t/tee.log" || fail "| tee: the log has not the lines"

# --- > file: the lines are not on the screen, the question not shown again -------
cat >"$t/file.script" <<SCRIPT
expect 60 $q
send SIM001701\r
expect 10 $q
sleep 2
send SIM001702\r
SCRIPT
pty file "> '$t/file.log'"
assert_eq "$rc" "0" "> file: both units passed"
grep -aq 'PASS unit SIM001701' "$t/file.log" || fail "> file: the log has not the lines"
assert_eq "$(grep -aoE "$q" "$t/file.out" | wc -l)" "2" "> file: each question shown once"
echo "ok"
