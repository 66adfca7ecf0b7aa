#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGINT while three fixtures are flashing (device timing modelled, so the
# flash takes seconds): the station stops without hanging, every board is
# powered off, each run is logged aborted with a reason, and it exits 5.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkimage" --kind diag --version 1.0.0 --size 65536 -o "$t/img.bin" >/dev/null
flash_seq "$t/seq.yaml"
echo "log: $t/station.db" >"$t/station.yaml"
fx=()
for n in a b c; do
	sim_start "$n" --serial "SIM0009${n}"	# no --fast: wire and flash time are real
	sim_fixture "$n" "$t/$n.yaml"
	fx+=(-f "$t/$n.yaml")
done

"$BINDIR/station" run -c "$t/station.yaml" -s "$t/seq.yaml" --var "image=$t/img.bin" --once \
	--json "${fx[@]}" >"$t/run.out" 2>"$t/run.err" &
pid=$!
echo "$pid" >>"$ST_REG/pids"
wait_flashing "$pid" "$t/run.out" a b c
for n in a b c; do
	grep -q "\"event\":\"progress\",\"fixture\":\"$n\"" "$t/run.out" || fail "fixture $n never started flashing"
	assert_eq "$(sim_field "$n" power)" "1" "board $n powered while flashing"
done
kill -INT "$pid"
# no hang: it must be gone well within the loader's own timeouts
wait_gone "$pid" SIGINT
rc=$GONE_RC
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
