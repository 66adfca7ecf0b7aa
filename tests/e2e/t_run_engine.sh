#!/usr/bin/env bash
# The engine's control flow against a simulated board: a retried group
# (power-cycle, then re-read: the board's SE answers only after a power
# cycle), on_fail: continue, when conditions, and teardown after a failure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000401 --image "$LINE/images/diag.bin" --fault no-se
ctl=$SIM_A_CTRL
flow=$LINE/engine.yaml
cat >"$flow" <<YAML
name: engine-features
version: 0.1.0
vars:
  marker: $LINE/cycled
groups:
  cycle-and-read:
    - name: power cycle
      lines: {power: off, boot: off, settle: 10ms}
    # a board whose SE wakes up only after a power cycle: the fault is
    # cleared on the second attempt of the group, as a flaky part would
    - name: fault clears on the second power cycle
      exec:
        cmd: [sh, -c, 'if [ -e "\$1" ]; then "\$2" --ctl "\$3" "fault clear"; else touch "\$1"; fi', sh, "\${marker}", "$BINDIR/dut-sim", "$ctl"]
    - name: power on
      lines: {power: on}
    - name: banner
      console: {wait: '^diag [^ ]+ ready$'}
    - name: read SE
      console: {command: se info, capture: {chip: '^serial: ([0-9a-f]+)$'}}
setup:
  - name: known state
    lines: {power: off, boot: off, reset: off}
steps:
  - name: read the SE, power-cycling between tries
    id: se_read
    group: cycle-and-read
    retries: 2
  - name: impossible limit, but go on
    id: soft
    on_fail: continue
    measure: {command: rail 3v3, pattern: '^rail 3v3: ([-0-9.]+) V$', low: 9, high: 10, unit: V}
  - name: runs only when the soft check failed
    when: "\${soft.outcome} == fail"
    console: {command: selftest, expect: '^selftest: pass$'}
  - name: skipped when the version is not 9.9
    when: "\${chip} == nothing"
    console: {command: version}
  - name: a hard failure stops the steps
    console: {command: selftest, expect: '^never$'}
  - name: never reached
    console: {command: version}
teardown:
  - name: power off
    lines: {power: off}
  - name: teardown keeps going after its own failure
    console: {command: version}
    timeout: 500ms
    on_fail: continue
  - name: LEDs off
    lines: {led-pass: off, led-fail: off}
YAML
line_run --once --serial SIM000401 -s "$flow" -f "$LINE/a.yaml"
cat "$LINE/run.out" "$LINE/run.err"
assert_eq "$RUN_RC" "1" "a failed unit"
db=$LINE_DB
q() { sql "$db" "$1"; }
# the group ran twice: the first 'read SE' failed, the second passed
assert_eq "$(q "SELECT group_concat(outcome, ',') FROM (SELECT outcome FROM steps WHERE name = 'read SE' ORDER BY idx)")" \
	"fail,pass" "read SE attempts"
assert_match "$(q "SELECT reason FROM steps WHERE name = 'read SE' AND outcome = 'fail'")" "no secure element" "first read's reason"
assert_eq "$(q "SELECT outcome || ' ' || attempts FROM steps WHERE name = 'read the SE, power-cycling between tries'")" \
	"pass 2" "the group passed on its second attempt"
assert_eq "$(q "SELECT count(*) FROM steps WHERE name = 'power cycle'")" "2" "power cycled twice"
# on_fail: continue keeps going; when conditions
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'impossible limit, but go on'")" "fail" "soft failure logged"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'runs only when the soft check failed'")" "pass" "when true ran"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'skipped when the version is not 9.9'")" "skipped" "when false skipped"
# a hard failure stops the steps, teardown runs every step
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'a hard failure stops the steps'")" "fail" "hard failure"
assert_eq "$(q "SELECT count(*) FROM steps WHERE name = 'never reached'")" "0" "steps after the failure skipped"
assert_eq "$(q "SELECT group_concat(name || ':' || outcome, ',') FROM (SELECT * FROM steps WHERE phase = 'teardown' ORDER BY idx)")" \
	"power off:pass,teardown keeps going after its own failure:fail,LEDs off:pass" "teardown"
# the verdict names the first failure, even one the flow continued after
assert_eq "$(q "SELECT outcome || ' ' || reason FROM runs")" "fail soft = 3.291 V, outside [9, 10]" "run verdict"
assert_eq "$(sim_field a power)" "0" "board powered off"

# a parameter (images: ~) nobody gives is refused before any board is touched
grep -v '^  images:' "$LINE/station.yaml" | sed '/^vars:$/d' >"$LINE/noimages.yaml"
line_board b SIM000402
rc=0
"$BINDIR/station" run -c "$LINE/noimages.yaml" --once -f "$LINE/b.yaml" 2>"$LINE/err.txt" || rc=$?
assert_eq "$rc" "3" "exit status for a missing parameter"
assert_match "$(cat "$LINE/err.txt")" "factory-provisioning.yaml: no value for images: set it under 'vars:' in station.yaml or with --var NAME=VALUE" "message"
assert_eq "$(sim_field b rx_bytes)" "0" "board b untouched"
# on_fail: teardown leaves every enclosing group: no group retry, no group continue
line_board c SIM000403 --image "$LINE/images/diag.bin"
cat >"$LINE/teardown.yaml" <<'YAML'
name: teardown-now
version: 0.1.0
steps:
  - name: power on
    lines: {power: on}
  - name: checks
    group:
      - name: over-current
        measure: {command: rail 5v0, pattern: '^rail 5v0: ([-0-9.]+) V$', high: 1, unit: V}
        on_fail: teardown
      - name: after the over-current
        console: {command: version}
    retries: 2
    on_fail: continue
  - name: after the group
    console: {command: version}
teardown:
  - name: power off
    lines: {power: off}
YAML
rc=0
"$BINDIR/station" run -c "$LINE/station.yaml" -s "$LINE/teardown.yaml" --once --db "$LINE/td.db" \
	-f "$LINE/c.yaml" >"$LINE/td.out" 2>&1 || rc=$?
assert_eq "$rc" "1" "the unit fails"
assert_eq "$(sql "$LINE/td.db" "SELECT group_concat(name || ':' || outcome, ',') FROM (SELECT * FROM steps ORDER BY idx)")" \
	"power on:pass,over-current:fail,checks:fail,power off:pass" "straight to teardown, no retry"
echo ok
