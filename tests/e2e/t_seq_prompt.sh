#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# prompt with choices, a default and an image (issue 22): without operator
# input the default is taken and logged as such; a given value outside the
# choices fails; the image must be readable when the flow loads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM002205 --image "$LINE/images/diag.bin"
mkdir -p "$LINE/pics" && printf 'png' >"$LINE/pics/rework.png"
cat >"$LINE/prompt.yaml" <<'YAML'
name: prompt-choices
version: 1.0.0
steps:
  - name: rework?
    prompt: {message: 'Rework this board?', var: rework, choices: ['yes', 'no'], default: 'no', image: pics/rework.png}
    timeout: 2s
  - name: only on rework
    when: ${rework} == yes
    delay: 1ms
YAML
line_run --once --serial SIM002205 -s "$LINE/prompt.yaml" -f "$LINE/a.yaml" </dev/null
cat "$LINE/run.out" "$LINE/run.err"
assert_eq "$RUN_RC" 0 "the default answer passes"
q() { sql "$LINE_DB" "$1"; }
kv() { q "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id WHERE s.name = 'rework?' AND v.key = '$1' ORDER BY v.id DESC LIMIT 1"; }
assert_eq "$(kv rework)" "no" "the default taken"
assert_eq "$(kv answer_source)" "default (no operator input)" "and logged as the default"
assert_eq "$(kv image)" "$LINE/pics/rework.png" "the image logged with the step"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'only on rework'")" skipped "the answer used"
# a value given on the command line is checked against the choices
line_run --once --serial SIM002205 -s "$LINE/prompt.yaml" -f "$LINE/a.yaml" --var rework=maybe </dev/null
assert_eq "$RUN_RC" 1 "an answer outside the choices fails"
assert_eq "$(q "SELECT reason FROM steps WHERE name = 'rework?' ORDER BY id DESC LIMIT 1")" \
	"'maybe' is not one of yes, no: answer again" "the reason lists the choices"
line_run --once --serial SIM002205 -s "$LINE/prompt.yaml" -f "$LINE/a.yaml" --var rework=yes </dev/null
assert_eq "$RUN_RC" 0 "a given choice"
assert_eq "$(kv answer_source)" "given" "logged as given"
# lint: the image must be there, the default one of the choices
rm "$LINE/pics/rework.png"
sed -i "s/default: 'no'/default: 'later'/" "$LINE/prompt.yaml"
rc=0
out=$(cd "$LINE" && "$BINDIR/station" lint prompt.yaml 2>&1) || rc=$?
echo "$out"
assert_eq "$rc" 1 "lint refuses"
grep -qF "prompt.yaml:5:91: prompt: the default 'later' is not one of the choices" <<<"$out" || fail "default outside the choices"
grep -qF "cannot read 'pics/rework.png'" <<<"$out" || fail "unreadable image"
echo ok
