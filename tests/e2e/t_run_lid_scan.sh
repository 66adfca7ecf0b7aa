#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fixtures that wait for their lids, one operator at one terminal
# (tests/e2e/pty_run.py): only the fixture whose lid closed asks for its
# unit's serial, and the answer goes to it.  Fixture b's lid closes first:
# b asks, and a, whose lid is still open, asks nothing until its own lid
# closes.  SIGTERM ends the wait for the next units.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_fast_boards "$t" SIM00160 a b
cat >"$t/flow.yaml" <<'YAML'
name: lid-scan
version: 1.0.0
steps:
  - name: scan the unit
    prompt: {message: Scan the unit in this fixture, var: serial, pattern: '^SIM[0-9]{6}$'}
  - name: power
    lines: {power: on}
teardown:
  - name: unpower
    lines: {power: off}
YAML
lid() { echo "shell $BINDIR/dut-sim --ctl $(sim_ctl_path "$1") 'set lid 1' >/dev/null"; }
sim_ctl_path() { local v; v=$(_sim_var "$1" CTRL); echo "${!v}"; }
{
	echo "expect 30 waiting for a unit"
	lid b
	echo "answer 30 \\[([ab])\\] Scan the unit in this fixture: => b=SIM001602 a=SIM001601"
	echo "expect 30 PASS  fixture b  unit SIM001602"
	lid a
	echo "answer 30 \\[([ab])\\] Scan the unit in this fixture: "
	echo "expect 30 PASS  fixture a  unit SIM001601"
	echo "kill TERM"
} >"$t/lid.script"
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/lid.out" --script "$t/lid.script" \
	-- "$BINDIR/station" run --db "$t/station.db" -f "$t/a.yaml" -f "$t/b.yaml" -s "$t/flow.yaml" || rc=$?
out=$t/lid.out
[ "$rc" = 90 ] && { tr -d '\033' <"$out" | tail -c 3000 >&2; fail "a question or a verdict did not come"; }
assert_eq "$rc" "5" "exit status: stopped while waiting for the next units"
assert_eq "$(sql "$t/station.db" "SELECT group_concat(fixture || '=' || unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY started_us)")" "b=SIM001602:pass a=SIM001601:pass" \
	"b's unit ran first, each with the serial scanned for it"
first_a=$(grep -abo '\[a\] Scan the unit' "$out" | head -1 | cut -d: -f1)
b_done=$(grep -abo 'PASS  fixture b' "$out" | head -1 | cut -d: -f1)
[ -n "$first_a" ] && [ "$first_a" -gt "$b_done" ] || fail "a asked before its lid closed"
[ "$(grep -ac '\[b\] answer: ' "$out")" = 1 ] || fail "b was asked more than once for one lid"
echo "ok"
