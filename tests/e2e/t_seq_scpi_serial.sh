#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The scpi step over a serial port (port: and baud:, 8N1), against
# instr-sim --pty: a PSU on its RS-232 port at the default 9600 powers a
# dut-sim board, a DMM at 19200 measures its rail; *IDN?, the port and its
# rate are in the log.  A step at the wrong rate gets no answer and says
# what to check; lint refuses address and port together, baud without a
# serial port, a rate no UART has; --dry-run shows the port and its rate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM005150 --image "$LINE/images/diag.bin"
instr() { # NAME KIND BAUD: an instr-sim on a pty wired to board a; its path in $NAME
	st_bg "$BINDIR/instr-sim" --kind "$2" --pty --baud "$3" --dut-ctrl "$SIM_A_CTRL" \
		--volts 3.297 >"$LINE/$1.out" 2>"$LINE/$1.log"
	for _ in $(seq 100); do grep -q '^pty ' "$LINE/$1.out" 2>/dev/null && break; sleep 0.05; done
	local path
	path=$(sed -n 's/^pty //p' "$LINE/$1.out")
	[ -c "$path" ] || fail "instr-sim $1 printed no pty: $(cat "$LINE/$1.out" "$LINE/$1.log")"
	printf -v "$1" '%s' "$path"
}
instr psu psu 9600
instr dmm dmm 19200

cat >"$LINE/serial.yaml" <<'YAML'
name: serial-instruments
version: 1.0.0
vars: {psu: ~, dmm: ~}
setup:
  - name: fixture lines in a known state
    lines: {boot: off, reset: off}
  - name: supply set up
    scpi: {port: '${psu}', send: ['*RST', 'VOLT 5.0', 'CURR 0.5', 'OUTP OFF']}
steps:
  - name: power the board from the supply
    scpi: {port: '${psu}', send: ['OUTP ON']}
  - name: firmware banner
    console: {wait: '^diag [^ ]+ ready$'}
    timeout: 5s
  - name: 3V3 by the DMM
    scpi:
      port: '${dmm}'
      baud: 19200
      send: ['CONF:VOLT:DC 10']
      query: 'READ?'
      name: rail_3v3_dmm
      low: 3.2
      high: 3.4
      unit: V
teardown:
  - name: supply off
    scpi: {port: '${psu}', send: ['OUTP OFF']}
  - name: power off
    lines: {power: off}
YAML
"$BINDIR/station" lint --var psu=x --var dmm=y "$LINE/serial.yaml" || fail "the serial flow does not lint"
line_run --dry-run -s "$LINE/serial.yaml" -f "$LINE/a.yaml" --var "psu=$psu" --var "dmm=$dmm"
assert_eq "$RUN_RC" 0 "dry-run: $(cat "$LINE/run.err")"
grep -qF "instrument $dmm at 19200 baud 8N1: *IDN?, 'CONF:VOLT:DC 10', read 'READ?' as rail_3v3_dmm, limits [3.2, 3.4] V" \
	"$LINE/run.out" || fail "the plan does not show the DMM's port and rate: $(cat "$LINE/run.out")"
grep -qF "instrument $psu at 9600 baud 8N1: *IDN?, 'OUTP ON'" "$LINE/run.out" ||
	fail "the plan does not show the PSU's default rate"

line_run --once --serial SIM005150 -s "$LINE/serial.yaml" -f "$LINE/a.yaml" --var "psu=$psu" --var "dmm=$dmm"
cat "$LINE/run.out" "$LINE/run.err"
assert_eq "$RUN_RC" 0 "the flow passes with its instruments on serial ports"
q() { sql "$LINE_DB" "$1"; }
kv() { q "SELECT value FROM step_values v JOIN steps s ON s.id = v.step_id WHERE s.name = '$1' AND key = '$2'"; }
assert_match "$(q "SELECT value || ' ' || unit || ' ' || outcome FROM measurements WHERE name = 'rail_3v3_dmm'")" \
	'^3\.(29[5-9]|3) V pass$' "the DMM's reading over its serial port"
assert_eq "$(kv '3V3 by the DMM' idn)" "STATION-SIM,DMM-6500S,SIM00001,1.0.0" "the DMM's *IDN? logged"
assert_eq "$(kv '3V3 by the DMM' address)" "$dmm" "the DMM's port logged"
assert_eq "$(kv '3V3 by the DMM' baud)" 19200 "the DMM's rate logged"
assert_eq "$(kv 'power the board from the supply' baud)" 9600 "the PSU at the default rate"
grep -q "ctl: set power 1" "$SIM_A_LOG" || fail "the PSU on its serial port did not power the board"
assert_eq "$(sim_field a power)" 0 "board power after the run"

# the wrong rate: the instrument reads garbage and answers nothing
cat >"$LINE/wrong-rate.yaml" <<'YAML'
name: wrong-rate
version: 1.0.0
vars: {dmm: ~}
steps:
  - name: DMM at the wrong rate
    timeout: 1s
    scpi: {port: '${dmm}', baud: 9600, query: 'MEAS:VOLT:DC?', low: 0, high: 5}
YAML
line_run --once --serial SIM005150 -s "$LINE/wrong-rate.yaml" -f "$LINE/a.yaml" --var "dmm=$dmm"
assert_eq "$RUN_RC" 4 "a step at the wrong rate: the unit could not be tested (error)"
# (the engine may name the step's timeout first, as the read ran out with it)
assert_match "$(q "SELECT outcome || ': ' || reason FROM steps WHERE name = 'DMM at the wrong rate'")" \
	"^error: (timed out after 1s: )?scpi: no answer to \\*IDN\\? from $dmm at 9600 baud 8N1: check the instrument's serial settings \\(its rate\\) and the cable\$" \
	"the wrong rate named"
grep -q "framing errors: the line is not at 19200 baud" "$LINE/dmm.log" ||
	fail "instr-sim did not see the wrong rate"

# lint: where the instrument is, said one way
t=$(st_tmpdir)
cat >"$t/bad.yaml" <<'YAML'
name: bad
version: 1.0.0
steps:
  - scpi: {address: 'tcp:127.0.0.1:5025', port: /dev/ttyUSB1, send: ['*CLS']}
  - scpi: {address: 'tcp:127.0.0.1:5025', baud: 9600, send: ['*CLS']}
  - scpi: {port: /dev/ttyUSB1, baud: 9601, send: ['*CLS']}
  - scpi: {port: 'tcp:127.0.0.1:5025', send: ['*CLS']}
  - scpi: {send: ['*CLS']}
YAML
rc=0
out=$(cd "$t" && "$BINDIR/station" lint bad.yaml 2>&1) || rc=$?
assert_eq "$rc" 1 "lint of bad serial settings"
assert_eq "$out" "bad.yaml:4:49: scpi: give 'address' (tcp:HOST:PORT) or 'port' (a serial port), not both
bad.yaml:5:49: scpi: 'baud' is the rate of a serial 'port'
bad.yaml:6:38: scpi: baud must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200
bad.yaml:7:18: scpi: 'tcp:127.0.0.1:5025' is a network address: write it as 'address'
bad.yaml:8:11: scpi: missing 'address' (tcp:HOST:5025) or 'port' (a serial port, with baud)" \
	"every bad serial setting at its place"
echo ok
