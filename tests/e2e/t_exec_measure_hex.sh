#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# exec's measure reads decimal numbers only: 'v=0x10' was logged as 16 (strtod
# reads hex) and passed [10, 20]; now it fails as 'inf' and 'nan' do, the text
# kept, no value.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM002205 --image "$LINE/images/diag.bin"
cat >"$LINE/hex.yaml" <<'YAML'
name: exec-hex
version: 1.0.0
steps:
  - name: hex
    on_fail: continue
    exec:
      cmd: [sh, -c, 'echo "v=0x10"']
      measure: {name: v_hex, pattern: '^v=(.+)$', low: 10, high: 20, unit: V}
  - name: hex float
    on_fail: continue
    exec:
      cmd: [sh, -c, 'echo "v=0X1p4"']
      measure: {name: v_hexf, pattern: '^v=(.+)$', low: 10, high: 20, unit: V}
  - name: inf
    on_fail: continue
    exec:
      cmd: [sh, -c, 'echo "v=inf"']
      measure: {name: v_inf, pattern: '^v=(.+)$', low: 10, high: 20, unit: V}
  - name: decimal
    exec:
      cmd: [sh, -c, 'echo "v=1.6e1"']
      measure: {name: v_dec, pattern: '^v=(.+)$', low: 10, high: 20, unit: V}
YAML
line_run --once --serial SIM002205 -s "$LINE/hex.yaml" -f "$LINE/a.yaml"
q() { sql "$LINE_DB" "$1"; }
for m in v_hex:0x10 v_hexf:0X1p4 v_inf:inf; do
	assert_eq "$(q "SELECT quote(value) || ' ' || text || ' ' || outcome FROM measurements WHERE name = '${m%%:*}'")" \
		"NULL ${m#*:} fail" "${m%%:*}: not a number, the text kept"
done
assert_eq "$(q "SELECT reason FROM steps WHERE name = 'hex'")" "v_hex: '0x10' is not a number" "the reason"
assert_eq "$(q "SELECT value || ' ' || outcome FROM measurements WHERE name = 'v_dec'")" "16.0 pass" "a decimal number still read"
assert_eq "$RUN_RC" 1 "the unit fails"
echo ok
