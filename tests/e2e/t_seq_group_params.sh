#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Groups and includes with parameters (issue 22): declared under `params:`
# (a list: each required; a mapping: name -> default, ~ required), given
# with `with:`, bound as ${param} in the group's / file's steps only.
#  - lint: a missing or unknown parameter, a parameter that leaks out, a
#    group that runs itself, `with` on a group without parameters, a bad
#    declaration: each once, with file:line:col;
#  - a parameterised group no step runs is still checked (on its own and in
#    a flow), and a library file of them lints on its own;
#  - --dry-run shows each instance expanded; on the simulated line a foreach
#    over three rails through a parameterised group and a parameterised
#    include, with an scpi measurement, passes and the log names each
#    instance and holds every measurement.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

t=$(st_tmpdir)
lint() { # FILE...: LINT_RC, LINT_OUT
	LINT_RC=0
	LINT_OUT=$(cd "$t" && "$BINDIR/station" lint "$@" 2>&1) || LINT_RC=$?
}

# a library of groups with parameters, and a steps file with a default
cat >"$t/rails.yaml" <<'YAML'
name: rails
version: 1.0.0
groups:
  rail-check:
    params: {rail: ~, unit: V}
    steps:
      - name: rail ${rail}
        measure:
          name: rail_${rail}
          command: rail ${rail}
          pattern: '^rail ${rail}: ([-0-9.]+) ${unit}$'
          limit: rail_${rail}
  power-cycle:
    - name: power off
      lines: {power: off, settle: 50ms}
    - name: power on
      lines: {power: on}
YAML
cat >"$t/selftest.yaml" <<'YAML'
name: selftest
version: 1.0.0
params: {what: selftest, expect: ~}
steps:
  - name: ${what}
    console: {command: '${what}', expect: '^${what}: ${expect}$'}
YAML
lint rails.yaml selftest.yaml
assert_eq "$LINT_RC" 0 "the libraries lint on their own: $LINT_OUT"
assert_eq "$LINT_OUT" "rails.yaml: ok (rails 1.0.0; groups library)
selftest.yaml: ok (selftest 1.0.0)" "library verdicts"

# ---- lint: every wrong use, once, at its place
cat >"$t/uses.yaml" <<'YAML'
name: uses
version: 1.0.0
include: [rails.yaml]
limits:
  rail_3v3: {low: 3.2, high: 3.4, unit: V}
steps:
  - name: good
    group: {name: rail-check, with: {rail: 3v3}}
  - name: missing
    group: rail-check
  - name: unknown
    group: {name: rail-check, with: {rial: 3v3, rail: 3v3}}
  - name: leak
    console: {command: 'rail ${rail}'}
  - name: with on a plain group
    group: {name: power-cycle, with: {rail: 3v3}}
  - name: include without its parameter
    include: {file: selftest.yaml, with: {what: version}}
  - name: include with a wrong one
    include: {file: selftest.yaml, with: {expect: pass, colour: red}}
  - name: not a limit of the table
    group: {name: rail-check, with: {rail: 9v9}}
YAML
lint uses.yaml
assert_eq "$LINT_RC" 1 "lint of wrong uses"
assert_eq "$LINT_OUT" "uses.yaml:10:12: group: parameter 'rail' of group 'rail-check' has no value: give it under 'with:'
uses.yaml:12:38: group: group 'rail-check' has no parameter 'rial' (did you mean 'rail'?)
uses.yaml:14:24: undefined variable '\${rail}': define it under 'vars:', in the station config, or capture it in an earlier step
uses.yaml:16:38: group: group 'power-cycle' has no parameters: drop 'with', or declare them ({params: ..., steps: [...]})
uses.yaml:18:21: include: parameter 'expect' of ./selftest.yaml has no value: give it under 'with:'
uses.yaml:20:57: include: ./selftest.yaml has no parameter 'colour' (its params: what, expect)
./rails.yaml:12:18: no limit named 'rail_9v9' in the limits table (in rail-check [rail=9v9, unit=V] from uses.yaml:22:19)" \
	"every wrong use at its place"

# declarations: a parameter that shadows a variable, twice, not a name; a
# group that runs itself; an empty group
cat >"$t/decl.yaml" <<'YAML'
name: decl
version: 1.0.0
vars: {board: a}
groups:
  shadow:
    params: [board, slot, slot, 'two words']
    steps:
      - delay: 1ms
  loop:
    params: [n]
    steps:
      - group: {name: loop, with: {n: '${n}'}}
  empty:
    params: [n]
    steps: []
steps:
  - group: {name: loop, with: {n: '1'}}
YAML
lint decl.yaml
assert_eq "$LINT_RC" 1 "lint of bad declarations"
assert_eq "$LINT_OUT" "decl.yaml:6:14: 'board' already names a variable: name the parameter otherwise (\${board} inside would be ambiguous)
decl.yaml:6:27: parameter 'slot' is declared twice
decl.yaml:6:33: bad parameter name 'two words': a name starts with a letter or '_', then letters, digits, '_' or '-', parts joined by '.' (e.g. rail_3v3, diag.version), at most 63 characters
decl.yaml:12:23: group 'loop' runs itself (through the groups it runs): a cycle (in loop [n=1] from decl.yaml:17:19)
decl.yaml:15:12: group 'empty': 'steps' must be a list of at least one step" "bad declarations"

# a group no step runs is still checked, with its parameters standing for
# their names (a limit or a file named after one is left to its uses)
cat >"$t/unused.yaml" <<'YAML'
name: unused
version: 1.0.0
limits:
  rail_3v3: {low: 3.2, high: 3.4, unit: V}
groups:
  never-run:
    params: [x]
    steps:
      - name: bad ${x}
        console: {command: 'a ${x}', expekt: b}
      - name: no group ${x}
        measure: {name: 'm_${x}', command: c, pattern: 'no group', limit: 'rail_${x}'}
      - name: undefined
        console: {command: '${nowhere}'}
      - name: fine
        flash: {image: 'img-${x}.bin'}
steps:
  - delay: 1ms
YAML
lint unused.yaml
assert_eq "$LINT_RC" 1 "an unused group's problems"
assert_eq "$LINT_OUT" "unused.yaml:10:38: unknown key 'expekt' in console (did you mean 'expect'?)
unused.yaml:12:56: measure: the pattern needs a (group) around the value
unused.yaml:14:28: undefined variable '\${nowhere}': define it under 'vars:', in the station config, or capture it in a step" \
	"an unused group is checked"
# ... also in a library file linted on its own, and said once when used twice
cp "$t/unused.yaml" "$t/unused-lib.yaml"
sed -i '/^steps:/,$d; s/^name: unused/name: unused-lib/' "$t/unused-lib.yaml"
lint unused-lib.yaml
assert_eq "$(grep -c . <<<"$LINT_OUT")" 3 "an unused group of a library: $LINT_OUT"
cat >"$t/twice.yaml" <<'YAML'
name: twice
version: 1.0.0
groups:
  g:
    params: [x]
    steps:
      - name: step ${x}
        console: {command: 'a ${x}', expekt: b}
steps:
  - group: {name: g, with: {x: '1'}}
  - group: {name: g, with: {x: '2'}}
YAML
lint twice.yaml
assert_eq "$LINT_OUT" "twice.yaml:8:38: unknown key 'expekt' in console (did you mean 'expect'?) (in g [x=1] from twice.yaml:10:19)" \
	"a problem of a group used twice, said once"

# ---- on the simulated line: foreach x parameterised group, parameterised
# include with a default, an scpi measurement; the plan, then the run
line_setup
line_board a SIM004711 --image "$LINE/images/diag.bin"
st_bg "$BINDIR/instr-sim" --kind dmm --port 0 --port-file "$LINE/dmm.port" \
	--dut-ctrl "$SIM_A_CTRL" --volts 3.301 2>"$LINE/dmm.log"
for _ in $(seq 100); do [ -s "$LINE/dmm.port" ] && break; sleep 0.05; done
[ -s "$LINE/dmm.port" ] || fail "instr-sim did not start: $(cat "$LINE/dmm.log")"
cp "$t/rails.yaml" "$t/selftest.yaml" "$LINE/"
cat >"$LINE/flow.yaml" <<'YAML'
name: rails-by-group
version: 1.0.0
vars: {dmm: ~}
include: [rails.yaml]
limits: limits.yaml
setup:
  - name: fixture in a known state
    lines: {power: off, boot: off, reset: off}
steps:
  - name: power on
    lines: {power: on}
  - name: banner
    console: {wait: '^diag [^ ]+ ready$'}
    timeout: 5s
  - name: rails
    foreach:
      var: rail
      in: [3v3, 1v8, 5v0]
      steps:
        - name: check
          group: {name: rail-check, with: {rail: '${rail}'}}
  - name: self test
    include: {file: selftest.yaml, with: {expect: pass}}
  - name: 3V3 by the DMM
    scpi: {address: '${dmm}', send: ['CONF:VOLT:DC 10'], query: 'READ?', name: rail_3v3_dmm, limit: rail_3v3}
teardown:
  - name: power off
    lines: {power: off}
YAML
cp "$ST_TOP/sequences/limits/factory.yaml" "$LINE/limits.yaml"
dmm=tcp:127.0.0.1:$(cat "$LINE/dmm.port")
line_run --dry-run -s "$LINE/flow.yaml" -f "$LINE/a.yaml" --var "dmm=$dmm"
assert_eq "$RUN_RC" 0 "dry-run: $(cat "$LINE/run.err")"
for r in 3v3 1v8 5v0; do
	grep -qF "  - rails [rail=$r] [group]" "$LINE/run.out" || fail "the $r pass is not in the plan"
	grep -qF "    - check [rail=$r, unit=V] [group]" "$LINE/run.out" ||
		fail "the $r instance is not in the plan"
	grep -qF "send 'rail $r', read '^rail $r: ([-0-9.]+) V\$' as rail_$r" "$LINE/run.out" ||
		fail "the $r instance's step is not expanded in the plan"
done
grep -qF "  - self test [what=selftest, expect=pass] [include]" "$LINE/run.out" ||
	fail "the include's instance (with its default) is not in the plan"
line_run --once --serial SIM004711 -s "$LINE/flow.yaml" -f "$LINE/a.yaml" --var "dmm=$dmm"
cat "$LINE/run.out" "$LINE/run.err"
assert_eq "$RUN_RC" 0 "the flow passes on the simulated line"
q() { sql "$LINE_DB" "$1"; }
for r in 3v3 1v8 5v0; do
	assert_eq "$(q "SELECT outcome FROM measurements WHERE name = 'rail_$r'")" pass "rail_$r measured"
	assert_eq "$(q "SELECT count(*) FROM steps WHERE name = 'check [rail=$r, unit=V]' AND outcome = 'pass'")" 1 \
		"the log names the $r instance"
done
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'self test [what=selftest, expect=pass]'")" pass \
	"the log names the include's instance"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'selftest'")" pass "the included step, its name bound"
assert_match "$(q "SELECT value || ' ' || unit || ' ' || outcome FROM measurements WHERE name = 'rail_3v3_dmm'")" \
	'^3\.(299|3|30[0-3]) V pass$' "the DMM's reading in the log"
echo ok
