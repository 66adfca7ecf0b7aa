#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `station lint FILE...`: exit 0 and one "ok" line per good file; exit 1 and
# every problem of every bad file, each as file:line:col: message, in one
# pass; variables from -c station.yaml / --var count as defined; exit 2 for
# a bad command line, 3 for a bad station.yaml; broken input never crashes.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
cd "$ST_TOP"
lint() {
	LINT_RC=0
	"$BINDIR/station" lint "$@" >"$t/out" 2>"$t/err" || LINT_RC=$?
	LINT_OUT=$(cat "$t/out")
}

# good files: exit 0, one line each naming the flow and its version
lint sequences/factory-provisioning.yaml sequences/production-reflash.yaml sequences/final-test.yaml
assert_eq "$LINT_RC" 0 "exit status on good files"
assert_eq "$LINT_OUT" "sequences/factory-provisioning.yaml: ok (factory-provisioning 1.0.0)
sequences/production-reflash.yaml: ok (production-reflash 1.0.0)
sequences/final-test.yaml: ok (final-test 1.0.0)" "output on good files"

# the kinds a message lists are those of the engine's one table, in its order
kinds=$(sed -n '/step_kinds\[\] = {/,/};/p' station/steps/registry.c | grep -o '&step_[a-z]*' |
	sed 's/&step_//' | paste -sd, - | sed 's/,/, /g')
[[ $kinds == lines,*include* ]] || fail "cannot read the kinds of station/steps/registry.c: '$kinds'"

# the broken file: every problem at once, exactly, in its included files too
lint tests/data/seq/broken.yaml
assert_eq "$LINT_RC" 1 "exit status on a broken file"
b=tests/data/seq/broken.yaml
assert_eq "$LINT_OUT" "$b:3:13: limit 'v': low (5) is greater than high (1)
$b:8:33: unknown key 'expekt' in console (did you mean 'expect'?)
$b:10:5: unknown step kind or key 'frobnicate' (kinds: lines, flash, console, measure, identity, register, enroll, prompt, delay, exec, group, include, foreach, repeat, scpi; step keys: name, id, timeout, retries, retry_delay, on_fail, when)
$b:12:24: undefined variable '\${nope}': define it under 'vars:', in the station config, or capture it in an earlier step
$b:14:41: bad regular expression 'diag (': Unmatched ( or \\( (POSIX extended syntax)
$b:16:14: measure 'bad limits': low (3.4) is greater than high (3.2)
$b:18:14: 'retries' must be a number, got 'lots'
$b:21:20: cannot read 'missing-image.bin' (resolved to tests/data/seq/missing-image.bin): check the path, relative to the sequence file
tests/data/seq/cycle-b.yaml:4:14: include cycle: 'cycle-a.yaml' includes itself (through the chain of includes)" \
	"every problem of broken.yaml"

# good and bad together: each file judged, exit 1
lint sequences/final-test.yaml tests/data/seq/cycle-a.yaml sequences/production-reflash.yaml
assert_eq "$LINT_RC" 1 "exit status on a mix of files"
assert_eq "$LINT_OUT" "sequences/final-test.yaml: ok (final-test 1.0.0)
tests/data/seq/cycle-b.yaml:4:14: include cycle: 'cycle-a.yaml' includes itself (through the chain of includes)
sequences/production-reflash.yaml: ok (production-reflash 1.0.0)" "output on a mix of files"

# files that are not sequences
printf 'name: x\nversion: 1\nsteps:\n  - console: {command: [a\n' >"$t/syntax.yaml"
: >"$t/empty.yaml"
head -c 4096 /dev/urandom >"$t/binary.yaml"
printf 'name: x\nversion: 1\nsteps:\n  - include: empty.yaml\n' >"$t/inc-empty.yaml"
printf -- '- just\n- a list\n' >"$t/list.yaml"
lint "$t/syntax.yaml"
assert_eq "$LINT_RC" 1 "exit status on a YAML syntax error"
assert_match "$LINT_OUT" "^$t/syntax.yaml:5:1: YAML syntax error: " "syntax error place"
lint "$t/empty.yaml"
assert_eq "$LINT_OUT" "$t/empty.yaml:1:1: a sequence file must be a mapping with name, version and steps" "empty file"
lint "$t/inc-empty.yaml"
assert_eq "$LINT_OUT" "$t/inc-empty.yaml:4:14: included file 'empty.yaml' is empty" "empty included file"
lint "$t/list.yaml"
assert_eq "$LINT_OUT" "$t/list.yaml:1:1: a sequence file must be a mapping with name, version and steps" "a list"
lint "$t/binary.yaml" "$t/nonexistent.yaml"
assert_eq "$LINT_RC" 1 "exit status on binary and missing files"
assert_match "$LINT_OUT" "^$t/binary.yaml:[0-9]+:[0-9]+: " "binary file reported with its place"
assert_match "$LINT_OUT" "cannot read $t/nonexistent.yaml: No such file or directory" "missing file"

# a missing name/version/steps, wrong types: all reported
printf 'description: [not, text]\nsetup: {a: b}\n' >"$t/missing.yaml"
lint "$t/missing.yaml"
assert_eq "$LINT_OUT" "$t/missing.yaml:1:1: missing 'name'
$t/missing.yaml:1:1: missing 'version'
$t/missing.yaml:1:1: missing 'steps': a sequence needs at least one step
$t/missing.yaml:1:14: 'description' must be a text value, not a list
$t/missing.yaml:2:8: expected a list of steps (each starting with '- '), not a mapping (key: value)" "missing fields"

# variables: defined by -c station.yaml vars or by --var, else an error
printf 'name: v\nversion: 1\nsteps:\n  - console: "id ${who}"\n' >"$t/var.yaml"
printf 'station: s1\nvars: {who: me}\n' >"$t/station.yaml"
lint "$t/var.yaml"
assert_eq "$LINT_RC" 1 "undefined variable"
assert_eq "$LINT_OUT" "$t/var.yaml:4:14: undefined variable '\${who}': define it under 'vars:', in the station config, or capture it in an earlier step" "undefined variable message"
lint -c "$t/station.yaml" "$t/var.yaml"
assert_eq "$LINT_RC/$LINT_OUT" "0/$t/var.yaml: ok (v 1)" "variable from station.yaml"
lint --var who=you "$t/var.yaml"
assert_eq "$LINT_RC/$LINT_OUT" "0/$t/var.yaml: ok (v 1)" "variable from --var"
# as many as station.yaml holds: the 65th and the 200th count too (once, only
# the first 64 did), for lint and for run, with --var names after them
{ echo "station: s1"; echo "vars:"; for i in $(seq 1 200); do echo "  v$i: x$i"; done; } \
	>"$t/many.yaml"
printf 'name: many\nversion: 1\nsteps:\n  - exec: {cmd: ["true", "${v1}", "${v64}", "${v65}", "${v200}", "${w}"]}\n' \
	>"$t/many-seq.yaml"
lint -c "$t/many.yaml" --var w=1 "$t/many-seq.yaml"
assert_eq "$LINT_RC/$LINT_OUT" "0/$t/many-seq.yaml: ok (many 1)" "200 station.yaml variables and a --var"
printf 'name: f\ndriver: sim\nctrl: %s/none.sock\n' "$t" >"$t/fx.yaml"
"$BINDIR/station" run -c "$t/many.yaml" -s "$t/many-seq.yaml" -f "$t/fx.yaml" --var w=1 --dry-run \
	>"$t/plan" 2>"$t/err" || fail "run --dry-run with 200 variables: $(cat "$t/err")"
grep -qF 'exec' "$t/plan" || fail "no plan for the 200-variable sequence"
lint --var who "$t/var.yaml"
assert_eq "$LINT_RC" 2 "a --var with no value is a usage error"
grep -qF -- "--var wants NAME=VALUE" "$t/err" || fail "no message for a --var without '='"

# the command line and the station config
lint
assert_eq "$LINT_RC" 2 "exit status with no file"
grep -q '^usage: station lint' "$t/err" || fail "no usage on stderr"
lint --frobnicate x.yaml
assert_eq "$LINT_RC" 2 "exit status on an unknown option"
lint --help
assert_eq "$LINT_RC" 0 "exit status of --help"
assert_match "$LINT_OUT" "usage: station lint \[-c station.yaml\] \[--var NAME=VALUE\] FILE" "help text"
printf 'station: s1\nbogus: 1\n' >"$t/bad-station.yaml"
lint -c "$t/bad-station.yaml" "$t/var.yaml"
assert_eq "$LINT_RC" 3 "exit status on a bad station.yaml"
grep -qF "$t/bad-station.yaml:2:1: unknown key 'bogus' in station.yaml" "$t/err" || fail "bad station.yaml not reported"
lint -c "$t/none.yaml" "$t/var.yaml"
assert_eq "$LINT_RC" 3 "exit status on a missing station.yaml"

# under `station run`, a YAML syntax error is printed once, on its own line
printf 'name: x\nversion: 1\nsteps: [\n  {delay: 1s}\n\nteardown: []\n' >"$t/unclosed.yaml"
rc=0
"$BINDIR/station" run -s "$t/unclosed.yaml" --dry-run >"$t/out" 2>"$t/err" || rc=$?
cat "$t/err"
assert_eq "$rc" 3 "run exit status on a syntax error"
assert_eq "$(grep -c "YAML syntax error" "$t/err")" 1 "the syntax error printed once"
grep -qxF "$t/unclosed.yaml:6:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence, which started at line 3, column 8)" "$t/err" ||
	fail "the syntax error is not one line naming where '[' opened"

# every problem line has the file:line:col: form, whatever the input
for f in "$t"/*.yaml tests/data/seq/*.yaml; do
	lint "$f"
	[ "$LINT_RC" -le 3 ] || fail "station lint $f exited $LINT_RC (crash?)"
	[ "$LINT_RC" = 0 ] && continue
	while IFS= read -r line; do
		[[ $line =~ ^[^:]+:[0-9]+:[0-9]+:\ .+ || $line == "cannot read "* ]] ||
			fail "$f: a problem line without file:line:col: '$line'"
	done <<<"$LINT_OUT"
done
echo "ok"
