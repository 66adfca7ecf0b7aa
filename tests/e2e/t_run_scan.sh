#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One scan per fixture, on the operator's terminal (tests/e2e/pty_run.py):
# four fixtures listed in station.yaml, a flow that scans the serial and then
# checks it against the secure element's identity.  Every fixture asks in
# its turn, under the live lines and named; each answer goes to the fixture
# that asked (a serial routed elsewhere would fail the identity check).  A
# mis-scan and an over-long answer are refused and asked again, never a
# failed unit; the serial is scanned before a line moves.  Fixture d's
# console cannot be opened (a lost serial server): a station fault, shown
# and counted as ERROR (exit 4), not FAIL.  The lamps show each verdict.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000801 --image "$LINE/images/diag.bin"
line_board b SIM000802 --image "$LINE/images/diag.bin"
line_board c SIM000803 --image "$LINE/images/diag.bin"
line_board d SIM000804 --image "$LINE/images/diag.bin"
sed -i "s|^port: .*|port: $LINE/no-such-serial-server|" "$LINE/d.yaml"
sim_ctl a "set led-fail 1" >/dev/null	# a lamp left on from before: cleared at the start
cat >"$LINE/scan.yaml" <<'YAML'
name: scan-and-identify
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^SIM[0-9]{6}$'}
  - name: power on into flash
    lines: {boot: off, power: on, settle: 20ms}
  - name: reset
    lines: {reset: pulse, pulse: 20ms}
  - name: wait for the firmware banner
    console: {wait: '^diag [^ ]+ ready$'}
    timeout: 5s
  - name: read and verify SE identity
    identity: {expect_serial: "${serial}"}
teardown:
  - name: power off
    lines: {power: off, boot: off, reset: off}
YAML
{
	grep -v '^sequence:' "$LINE/station.yaml"
	echo "sequence: scan.yaml"
	echo "fixtures: [a.yaml, b.yaml, c.yaml, d.yaml]"
} >"$LINE/scan-station.yaml"
long=$(printf 'SIM%0300d' 1)
q='\[([abcd])\] Scan the barcode on the board: '
cat >"$LINE/scan.script" <<SCRIPT
answer 60 $q => a=SIM000801 b=SIM12,$long,SIM000802 c=SIM000803 d=SIM000804
answer 60 $q
answer 60 $q
answer 60 $q
answer 60 $q
answer 60 $q
SCRIPT
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$LINE/scan.out" \
	--script "$LINE/scan.script" -- "$BINDIR/station" run -c "$LINE/scan-station.yaml" --once || rc=$?
out=$LINE/scan.out
[ "$rc" = 90 ] && { tr -d '\033' <"$out" | tail -c 3000 >&2; fail "a question was not asked"; }
assert_eq "$rc" "4" "exit status: a station fault outranks passed units"
db=$LINE/station.db
assert_eq "$(sql "$db" "SELECT group_concat(fixture || '=' || unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY fixture)")" \
	"a=SIM000801:pass b=SIM000802:pass c=SIM000803:pass d=SIM000804:error" \
	"each scan went to its own fixture, and only d's console fault is an error"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE outcome = 'fail'")" "0" "a mis-scan fails nothing"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.fixture = 'd'
	AND s.outcome = 'error' AND s.reason LIKE 'cannot open the console %no-such-serial-server%'")" "1" \
	"d: the step names the console it could not open"
# the questions, each named, under the live lines
grep -aqF "[b] answer: SIM12 ('SIM12' does not match ^SIM[0-9]{6}\$: scan again)" "$out" ||
	fail "the mis-scan is not said"
grep -aqF "[b] answer: (too long) (longer than 255 characters: refused; answer again)" "$out" ||
	fail "the over-long answer is not refused"
for n in a b c; do
	grep -aqF "  PASS  fixture $n  unit SIM00080" "$out" || fail "no PASS banner for $n"
done
grep -aqF $'\033[1;97;44m  ERROR  fixture d  unit SIM000804' "$out" || fail "d: no blue ERROR banner"
grep -aqF "a station fault: the board may be good" "$out" || fail "d: the banner does not say whose fault"
grep -aq 'station: 3 passed, 0 failed, 1 error, 0 aborted' "$out" || fail "no summary with the error apart"
# serial first: each fixture's answer came before its first line moved
for n in a b c d; do
	ans=$(grep -abo "\[$n\] answer: SIM00080" "$out" | tail -1 | cut -d: -f1)
	pwr=$(grep -abo "\[$n\] ok    power on into flash" "$out" | head -1 | cut -d: -f1)
	[ -n "$ans" ] && [ -n "$pwr" ] && [ "$ans" -lt "$pwr" ] || fail "$n: a line moved before the scan"
	assert_eq "$(sql "$LINE/station.db" "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id
		WHERE r.fixture = '$n' AND s.name = 'power on into flash'")" "1" "$n: powered once"
done
for n in a b c d; do
	assert_eq "$(sql "$db" "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id
		WHERE r.fixture = '$n' AND s.name = 'scan the board serial' AND s.outcome = 'pass'")" "1" \
		"$n: the scan step passed with the serial scanned before the run"
done
# the lamps: pass on a, b, c; both on d (ERROR)
for n in a b c; do
	assert_eq "$(sim_field $n led-pass)/$(sim_field $n led-fail)" "1/0" "$n: the pass lamp"
done
assert_eq "$(sim_field d led-pass)/$(sim_field d led-fail)" "1/1" \
	"d: both lamps, the ERROR signal (a red lamp alone says scrap the board, which may be good)"
echo "ok"
