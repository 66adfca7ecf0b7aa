#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# exec with capture and measure (issue 22): a script's output gives
# variables and a number judged against limits, logged as a measurement;
# a value outside the limits fails the step with the value.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM002204 --image "$LINE/images/diag.bin"
cat >"$LINE/exec.yaml" <<'YAML'
name: exec-judge
version: 1.0.0
limits:
  vref: {low: 1.19, high: 1.21, unit: V}
steps:
  - name: calibration script
    exec:
      cmd: [sh, -c, 'echo "offset: 12"; echo "vref=1.203"']
      capture: {cal.offset: '^offset: ([0-9]+)$'}
      measure: {name: vref, pattern: '^vref=([-0-9.]+)$', limit: vref}
  - name: the capture is a variable
    when: ${cal.offset} > 10
    exec: {cmd: [echo, 'offset ${cal.offset}, vref ${vref}'], expect: '^offset 12, vref 1.203$'}
  - name: out of limits
    on_fail: continue
    exec:
      cmd: [sh, -c, 'echo "vref=1.3"']
      measure: {name: vref_bad, pattern: '^vref=([-0-9.]+)$', low: 1.19, high: 1.21, unit: V}
YAML
line_run --once --serial SIM002204 -s "$LINE/exec.yaml" -f "$LINE/a.yaml"
cat "$LINE/run.out"
q() { sql "$LINE_DB" "$1"; }
assert_eq "$(q "SELECT value || ' ' || unit || ' ' || low || ' ' || high || ' ' || outcome FROM measurements WHERE name = 'vref'")" \
	"1.203 V 1.19 1.21 pass" "the script's value judged against the table's limit"
assert_eq "$(q "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id WHERE s.name = 'calibration script' AND v.key = 'cal.offset'")" \
	"12" "the capture logged"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'the capture is a variable'")" pass "\${cal.offset} and \${vref} used later"
assert_eq "$(q "SELECT value || ' ' || outcome FROM measurements WHERE name = 'vref_bad'")" "1.3 fail" "out of limits"
assert_eq "$(q "SELECT reason FROM steps WHERE name = 'out of limits'")" "vref_bad = 1.3 V, outside [1.19, 1.21]" "the reason names the value"
assert_eq "$RUN_RC" 1 "the unit fails on the out-of-limits value"
echo ok
