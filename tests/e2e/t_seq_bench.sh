#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The shipped bench flow (sequences/bench-rails.yaml) on the simulated line:
# instr-sim as a SCPI PSU powering the dut-sim board and as a DMM probing
# it; a foreach over three rails through a parameterised include; an scpi
# measurement.  Every measurement, and each instrument's *IDN?, is in the
# log.  Then the instruments' strictness: a mistyped command fails the step
# with the error the instrument queued (SYST:ERR?).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM002203 --image "$LINE/images/diag.bin"
instr() { # NAME KIND: an instr-sim wired to board a; tcp:127.0.0.1:PORT in $NAME
	st_bg "$BINDIR/instr-sim" --kind "$2" --port 0 --port-file "$LINE/$1.port" \
		--dut-ctrl "$SIM_A_CTRL" --volts 3.301 2>"$LINE/$1.log"
	for _ in $(seq 100); do [ -s "$LINE/$1.port" ] && break; sleep 0.05; done
	[ -s "$LINE/$1.port" ] || fail "instr-sim $1 did not start: $(cat "$LINE/$1.log")"
	printf -v "$1" 'tcp:127.0.0.1:%s' "$(cat "$LINE/$1.port")"
}
instr psu psu
instr dmm dmm
flow=$ST_TOP/sequences/bench-rails.yaml
"$BINDIR/station" lint "$flow" || fail "the bench flow does not lint"
line_run --once --serial SIM002203 -s "$flow" -f "$LINE/a.yaml" --var "psu=$psu" --var "dmm=$dmm"
cat "$LINE/run.out" "$LINE/run.err"
assert_eq "$RUN_RC" 0 "the bench flow passes"
q() { sql "$LINE_DB" "$1"; }
# the three rails, each from its pass of the foreach and the included steps
for r in 3v3 1v8 5v0; do
	assert_eq "$(q "SELECT outcome FROM measurements WHERE name = 'rail_$r'")" pass "rail_$r measured"
	assert_eq "$(q "SELECT count(*) FROM steps WHERE name = 'rails [rail=$r]'")" 1 "the $r pass logged"
	assert_eq "$(q "SELECT count(*) FROM steps WHERE name = 'rail $r'")" 1 "the included step for $r logged"
done
assert_eq "$(q "SELECT low || ' ' || high FROM measurements WHERE name = 'rail_1v8'")" "1.74 1.86" \
	"rail_1v8 judged against the limits table's entry"
# the DMM's reading, and the supply current
assert_match "$(q "SELECT value || ' ' || unit || ' ' || outcome FROM measurements WHERE name = 'rail_3v3_dmm'")" \
	'^3\.(299|3|30[0-3]) V pass$' "the DMM's reading"
assert_match "$(q "SELECT value || ' ' || outcome FROM measurements WHERE name = 'supply_current'")" \
	'^0\.12 pass$' "the supply current"
# which instruments measured the unit
assert_eq "$(q "SELECT value FROM step_values v JOIN steps s ON s.id = v.step_id WHERE s.name = '3V3 by the DMM' AND key = 'idn'")" \
	"STATION-SIM,DMM-6500S,SIM00001,1.0.0" "the DMM's *IDN? logged"
assert_eq "$(q "SELECT count(*) FROM step_values WHERE key = 'idn' AND value LIKE 'STATION-SIM,PSU%'")" 4 \
	"the PSU's *IDN? logged with each of its steps"
# the supply powered the board, and turned it off again
grep -q "ctl: set power 1" "$SIM_A_LOG" || fail "the PSU did not power the board"
assert_eq "$(sim_field a power)" 0 "board power after the run"
# the plan shows the instruments and every pass
line_run --dry-run -s "$flow" -f "$LINE/a.yaml" --var "psu=$psu" --var "dmm=$dmm"
assert_eq "$RUN_RC" 0 "dry-run of the bench flow"
grep -qF "instrument $dmm: *IDN?, '*CLS', 'CONF:VOLT:DC 10', read 'READ?' as rail_3v3_dmm, limits [3.2, 3.4] V" \
	"$LINE/run.out" || fail "the DMM step is not in the plan"
grep -qF "  - rails [rail=5v0] [group]" "$LINE/run.out" || fail "the 5v0 pass is not in the plan"

# strict instruments: an unknown command, a value out of range, a query
# without CONFigure: each fails its step with the instrument's own error
cat >"$LINE/strict.yaml" <<'YAML'
name: strict
version: 1.0.0
vars: {psu: ~, dmm: ~}
steps:
  - name: a typo
    on_fail: continue
    scpi: {address: '${psu}', send: ['VOLTT 5.0']}
  - name: out of range
    on_fail: continue
    scpi: {address: '${psu}', send: ['VOLT 99']}
  - name: read before configure
    on_fail: continue
    scpi: {address: '${dmm}', send: ['*RST'], query: 'READ?', low: 0, high: 5}
  - name: all is well again
    scpi: {address: '${psu}', send: ['*CLS'], query: 'VOLT?', low: 0, high: 30}
YAML
"$BINDIR/instr-sim" --kind dmm --port 0 --port-file "$LINE/dmm2.port" 2>"$LINE/dmm2.log" &
echo $! >>"$ST_REG/pids"
for _ in $(seq 100); do [ -s "$LINE/dmm2.port" ] && break; sleep 0.05; done
line_run --once --serial SIM002203 -s "$LINE/strict.yaml" -f "$LINE/a.yaml" --var "psu=$psu" \
	--var "dmm=tcp:127.0.0.1:$(cat "$LINE/dmm2.port")"
cat "$LINE/run.out"
reason() { q "SELECT reason FROM steps WHERE name = '$1' ORDER BY id DESC LIMIT 1"; }
assert_eq "$(reason 'a typo')" 'the instrument reports 1 error: -113,"Undefined header"' "unknown header"
assert_eq "$(reason 'out of range')" 'the instrument reports 1 error: -222,"Data out of range"' "out of range"
assert_eq "$(reason 'read before configure')" \
	"the instrument refused 'READ?': -221,\"Settings conflict; CONFigure first\"" "READ? unconfigured, at once"
assert_eq "$(q "SELECT outcome FROM steps WHERE name = 'all is well again' ORDER BY id DESC LIMIT 1")" pass \
	"the queue read empty: the next step passes"
echo ok
