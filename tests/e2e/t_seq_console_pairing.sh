#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replies belong to their commands (issue 22): a secure element that answers
# in 1.3 s against a 1 s step timeout, the step failing with on_fail:
# continue.  Its late reply ("chip: VaultIC408 ... OK") must not be taken as
# the answer to the next command: the tagged console protocol drops it with a
# warning, and every later step reads its own reply.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/fault.sh"

line_setup
# slow-se is modelled device time: no --fast
fault_board a SIM002201 --image "$LINE/images/diag.bin" --fault slow-se=1300 \
	--se-ca-cert "$LINE/pki/intermediate-ca.crt" --se-ca-key "$LINE/pki/intermediate-ca.key" \
	--se-ca-chain "$LINE/pki/chain.pem"
flow=$LINE/pairing.yaml
cat >"$flow" <<'YAML'
name: console-pairing
version: 0.1.0
setup:
  - name: known state
    lines: {power: off, boot: off, reset: off}
steps:
  - name: power on
    lines: {power: on}
  - name: banner
    console: {wait: '^diag [^ ]+ ready$'}
  - name: slow secure element
    console: {command: se info, capture: {chip: '^chip: (.*)$'}}
    timeout: 1s
    on_fail: continue
  - name: version
    console: {command: version, capture: {fw: '^(diag [0-9.]+)$'}}
  - name: not the chip
    when: '${fw} != "chip: VaultIC408"'
    console: {command: id, expect: '^uid: [0-9a-f]{24}$'}
  - name: rail
    measure: {command: rail 3v3, pattern: '^rail 3v3: ([-0-9.]+) V$', low: 3.2, high: 3.4, unit: V}
  - name: selftest
    console: {command: selftest, expect: '^selftest: pass$'}
teardown:
  - name: power off
    lines: {power: off}
YAML
line_run --once --serial SIM002201 -s "$flow" -f "$LINE/a.yaml"
cat "$LINE/run.out" "$LINE/run.err"
q() { sql "$LINE_DB" "$1"; }
outcomes=$(q "SELECT group_concat(name || '=' || outcome, ', ') FROM (SELECT name, outcome FROM steps ORDER BY idx)")
echo "$outcomes"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'slow secure element'")" "fail" "the slow SE step timed out (the board did not answer in time: FAIL, issue 16)"
assert_match "$(q "SELECT reason FROM steps WHERE name = 'slow secure element'")" "no OK/ERR within" "named as a timeout"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'version'")" "pass" "version read its own reply"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'not the chip'")" "pass" "the capture is the version, not the chip"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'rail'")" "pass" "rail judged on its own reply"
assert_match "$(q "SELECT value FROM measurements WHERE name = 'rail'")" '^3\.(29|30|31)' "the rail's value"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'selftest'")" "pass" "selftest"
# the late reply was seen and dropped, with a warning in the station's log
grep -q "discarded a late reply to request #" "$LINE/run.err" "$LINE/run.out" ||
	{ cat "$LINE/run.err"; fail "no warning for the discarded late reply"; }
assert_eq "$RUN_RC" "1" "the unit fails (the SE step failed), but on the right step"
echo ok
