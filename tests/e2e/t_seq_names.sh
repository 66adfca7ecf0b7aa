#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reserved names (issue 22): a name every run sets (serial, fixture,
# station, run_id, operator, port, sequence, trust, config_dir, date, time)
# cannot be given or replaced by any way a flow sets a variable: vars, a
# console or exec capture, a measure or scpi measurement, a prompt (except
# a prompt for the serial), a foreach or repeat variable, a parameter of a
# group or of a steps file.  Each refusal once, at its place.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
cat >"$t/res.yaml" <<'YAML'
name: res
version: 1.0.0
vars: {station: x}
groups:
  g:
    params: [operator]
    steps: [{delay: 1ms}]
steps:
  - console: {command: id, capture: {serial: '^uid: (.*)$'}}
  - exec: {cmd: ['true'], capture: {fixture: '(.*)'}}
  - measure: {name: run_id, command: x, pattern: '(.*)', expect: a}
  - scpi: {address: 'tcp:a:1', query: 'A?', name: port, expect: '1'}
  - foreach: {var: sequence, in: [a], steps: [{delay: 1ms}]}
  - repeat: {count: 1, var: trust, steps: [{delay: 1ms}]}
  - prompt: {message: m, var: date}
  - prompt: {message: scan the label, var: serial}
  - include: {file: inc.yaml, with: {time: '1'}}
  - exec: {cmd: ['true'], capture: {config_dir: '(.*)'}}
YAML
printf 'name: inc\nversion: 1\nparams: [time]\nsteps: [{delay: 1ms}]\n' >"$t/inc.yaml"
rc=0
out=$(cd "$t" && "$BINDIR/station" lint res.yaml 2>&1) || rc=$?
assert_eq "$rc" 1 "lint exit status"
assert_eq "$out" "res.yaml:3:8: variable 'station': \${station} is set by the run and cannot be given under 'vars'; choose another name
res.yaml:6:14: parameter 'operator': \${operator} is set by the run; name the parameter otherwise
res.yaml:9:38: capture 'serial': \${serial} is set by the run and cannot be replaced; choose another name
res.yaml:10:37: capture 'fixture': \${fixture} is set by the run and cannot be replaced; choose another name
res.yaml:11:21: measurement 'run_id': \${run_id} is set by the run and cannot be replaced; choose another name
res.yaml:12:51: measurement 'port': \${port} is set by the run and cannot be replaced; choose another name
res.yaml:13:20: loop variable 'sequence': \${sequence} is set by the run; name the loop variable otherwise
res.yaml:14:29: loop variable 'trust': \${trust} is set by the run; name the loop variable otherwise
res.yaml:15:31: prompt variable 'date': \${date} is set by the run and cannot be replaced; choose another name
res.yaml:18:37: capture 'config_dir': \${config_dir} is set by the run and cannot be replaced; choose another name
./inc.yaml:3:10: parameter 'time': \${time} is set by the run; name the parameter otherwise" \
	"every way of setting a reserved name refused, a prompt for the serial allowed"
# the list the docs give is the list the loader has
docs=$(tr '\n' ' ' <"$ST_TOP/docs/sequences.md" | grep -o "the names every run sets ([^)]*)" | grep -o '`[a-z_]*`' | tr -d '`' | sort | paste -sd' ')
code=$(sed -n '/seq_builtin_vars\[\] = {/,/};/p' "$ST_TOP/station/sequence.c" | grep -o '"[a-z_]*"' | tr -d '"' | sort | paste -sd' ')
[ -n "$code" ] || fail "cannot read seq_builtin_vars from station/sequence.c"
assert_eq "$docs" "$code" "docs/sequences.md lists the reserved names the loader has"
echo ok
