#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `when` is parsed when the sequence loads and evaluated on values (issue
# 22): a value holding "==" (a serial given with --serial, a value given as
# a scan would give it, a scan typed at the operator's terminal, a capture
# from the board's console) is compared as
# it is and cannot turn a step that must run into a skipped one.  A
# condition outside the grammar is refused at load, with its column.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
# a firmware whose version string looks like a comparison
"$BINDIR/mkimage" --kind diag --version 'x == x' --size 8192 -o "$LINE/images/odd.bin" >/dev/null
line_board a SIM002202 --image "$LINE/images/odd.bin"
flow=$LINE/when.yaml
cat >"$flow" <<'YAML'
name: when-values
version: 0.1.0
vars:
  lot: L1
setup:
  - name: known state
    lines: {power: off, boot: off, reset: off}
steps:
  - name: power on
    lines: {power: on}
  - name: banner
    console: {wait: 'ready$'}
  - name: version
    console: {command: version, capture: {fw: '^diag (.*)$'}}
  - name: serial check
    id: sc
    on_fail: continue
    when: ${serial} != golden
    console: {command: selftest, expect: '^never$'}
  - name: lot check
    id: lc
    on_fail: continue
    when: ${lot} != L1
    console: {command: selftest, expect: '^never$'}
  - name: firmware check
    id: fc
    on_fail: continue
    when: ${fw} != "1.0"
    console: {command: selftest, expect: '^never$'}
  - name: numeric
    when: ${fc.outcome} == fail and not (${lot} == L2 or 12 < 9)
    console: {command: selftest, expect: '^selftest: pass$'}
teardown:
  - name: power off
    lines: {power: off}
YAML
line_run --once --serial 'a == a' --var 'lot=a == a' -s "$flow" -f "$LINE/a.yaml"
cat "$LINE/run.out" "$LINE/run.err"
q() { sql "$LINE_DB" "$1"; }
# each guarded step ran (and failed, as it must): no value rewrote its condition
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'serial check'")" "fail" "--serial 'a == a' did not skip the step"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'lot check'")" "fail" "a scanned/--var value 'a == a' did not skip the step"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'firmware check'")" "fail" "a console capture 'x == x' did not skip the step"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'numeric'")" "pass" "and/or/not/parentheses"
assert_eq "$RUN_RC" "1" "the unit fails"

# anything outside the grammar is a lint error with its column
bad=$LINE/bad-when.yaml
cat >"$bad" <<'YAML'
name: bad-when
version: 0.1.0
steps:
  - name: a
    when: ${serial} = fail
    delay: 1ms
  - name: b
    when: '!${serial}'
    delay: 1ms
  - name: c
    when: ${serial} == a && ${serial} == b
    delay: 1ms
  - name: d
    when: true
    delay: 1ms
YAML
rc=0
"$BINDIR/station" lint "$bad" >"$LINE/lint.out" 2>&1 || rc=$?
cat "$LINE/lint.out"
assert_eq "$rc" "1" "lint refuses the conditions"
grep -qF "bad-when.yaml:5:21: when: unexpected '= fail'" "$LINE/lint.out" || fail "'=' not named at its column"
grep -qF "bad-when.yaml:8:12: when: unexpected '!'" "$LINE/lint.out" || fail "'!' not named at its column"
grep -qF "bad-when.yaml:11:26: when: unexpected '&& \${serial} == b'" "$LINE/lint.out" || fail "'&&' not named at its column"
grep -qF "bad-when.yaml:14:11: when: true is not a condition" "$LINE/lint.out" || fail "'when: true' accepted"

# a value scanned at the operator's terminal (tests/e2e/pty_run.py types it,
# as a barcode scanner would) is a value too
cat >"$LINE/scan-when.yaml" <<'YAML'
name: scan-when
version: 0.1.0
steps:
  - name: scan the lot
    prompt: {message: Scan the lot label, var: lot}
  - name: scanned lot check
    on_fail: continue
    when: ${lot} != L1 and not ${lot} == L1
    exec: {cmd: ['false']}
YAML
cat >"$LINE/scan-when.script" <<'SCRIPT'
answer 60 \[(a)\] Scan the lot label:  => a=L1\x20!=\x20L1\x20or\x20L1
SCRIPT
rc=0
TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$LINE/scan-when.out" \
	--script "$LINE/scan-when.script" -- "$BINDIR/station" run -c "$LINE/station.yaml" \
	-s "$LINE/scan-when.yaml" -f "$LINE/a.yaml" --serial SIM002202 --once || rc=$?
[ "$rc" = 90 ] && { tr -d '\033' <"$LINE/scan-when.out" | tail -c 2000 >&2; fail "the lot was not asked"; }
assert_eq "$rc" 1 "the unit fails"
assert_eq "$(q "SELECT value FROM step_values v JOIN steps s ON s.id = v.step_id WHERE s.name = 'scan the lot' AND key = 'lot'")" \
	"L1 != L1 or L1" "the scanned text, as typed"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'scanned lot check'")" "fail" \
	"a scanned 'L1 != L1 or L1' did not skip the step"
echo ok
