#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGINT while three fixtures are flashing (device timing modelled, so the
# flash takes seconds): the station stops without hanging, every board is
# powered off, each run is logged aborted with a reason, and it exits 5.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkimage" --kind diag --version 1.0.0 --size 65536 -o "$t/img.bin" >/dev/null
cat >"$t/seq.yaml" <<'YAML'
name: sigint-flash
version: 1.0.0
vars:
  image: ~
setup:
  - name: fixture in a known state
    lines: {power: off, boot: off, reset: off}
steps:
  - name: power on with BOOT high
    lines: {reset: on, boot: on, power: on, settle: 20ms}
  - name: release reset into the ROM bootloader
    lines: {reset: off, settle: 20ms}
  - name: load firmware
    flash: {image: "${image}", verify: readback, go: false}
    timeout: 120s
  - name: after the flash
    delay: 1ms
teardown:
  - name: power off
    lines: {power: off, boot: off, reset: off}
YAML
echo "log: $t/station.db" >"$t/station.yaml"
fx=()
for n in a b c; do
	sim_start "$n" --serial "SIM0009${n}"	# no --fast: wire and flash time are real
	pty=$(_sim_var "$n" PTY) ctrl=$(_sim_var "$n" CTRL)
	printf 'name: %s\ndriver: sim\nport: %s\nctrl: %s\nbaud: 115200\nmode: 8N1\nloader_mode: 8E1\n' \
		"$n" "${!pty}" "${!ctrl}" >"$t/$n.yaml"
	fx+=(-f "$t/$n.yaml")
done

"$BINDIR/station" run -c "$t/station.yaml" -s "$t/seq.yaml" --var "image=$t/img.bin" --once \
	--json "${fx[@]}" >"$t/run.out" 2>"$t/run.err" &
pid=$!
echo "$pid" >>"$ST_REG/pids"
# wait until every fixture is flashing (a progress event each)
for _ in $(seq 300); do
	[ "$(grep -c '"event":"progress"' "$t/run.out" | tr -d ' ')" -gt 0 ] &&
		grep -q '"event":"progress","fixture":"a"' "$t/run.out" &&
		grep -q '"event":"progress","fixture":"b"' "$t/run.out" &&
		grep -q '"event":"progress","fixture":"c"' "$t/run.out" && break
	kill -0 "$pid" 2>/dev/null || { cat "$t/run.err"; fail "station exited before flashing"; }
	sleep 0.05
done
for n in a b c; do
	grep -q "\"event\":\"progress\",\"fixture\":\"$n\"" "$t/run.out" || fail "fixture $n never started flashing"
	assert_eq "$(sim_field "$n" power)" "1" "board $n powered while flashing"
done
kill -INT "$pid"
# no hang: it must be gone well within the loader's own timeouts
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "station still running 10 s after SIGINT"; }
rc=0
wait "$pid" || rc=$?
cat "$t/run.err" >&2
assert_eq "$rc" "5" "exit status after SIGINT"

for n in a b c; do
	assert_eq "$(sim_field "$n" power)" "0" "board $n powered off"
	assert_eq "$(sim_field "$n" boot)" "0" "board $n BOOT released"
	grep -q "\"event\":\"run_end\",\"fixture\":\"$n\",.*\"verdict\":\"ABORTED\"" "$t/run.out" ||
		fail "no ABORTED run_end for $n"
done
grep -q '"step":"after the flash"' "$t/run.out" && fail "a step after the interrupted flash ran"
db=$t/station.db
assert_eq "$(sql "$db" "SELECT count(*) FROM runs")" "3" "three runs logged"
assert_eq "$(sql "$db" "SELECT count(*) FROM runs WHERE outcome = 'aborted' AND ended_us IS NOT NULL")" "3" \
	"every run marked aborted and ended"
assert_eq "$(sql "$db" "SELECT count(*) FROM runs WHERE reason LIKE 'stopped by the operator (signal) during ''load firmware''%'")" \
	"3" "each abort's reason names the stop and the step"
grep -q '"event":"run_end","fixture":"a",.*"failed_step":"load firmware","reason":"stopped by the operator' \
	"$t/run.out" || fail "run_end for a does not name the step and the stop"
# the flash is where each was stopped, and teardown still ran
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'load firmware' AND outcome = 'aborted'")" \
	"3" "the flash step is logged aborted on each fixture"
# the wait on the line itself ended at the stop (not at a timeout or a NACK)
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'load firmware' AND reason LIKE '%: stopped by the operator%'")" \
	"3" "the loader's wait was cut short by the stop"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'power off' AND phase = 'teardown'")" "3" "teardown ran"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'after the flash'")" "0" "no step after the stop"
assert_eq "$(sql "$db" "PRAGMA integrity_check")" "ok" "log integrity"
echo "ok"
