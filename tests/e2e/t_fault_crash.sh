#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A crash of the station in the middle of a step (SIGSEGV while two fixtures
# are flashing, device timing modelled): before it dies, every board is
# powered off and its BOOT line released; the steps completed before the
# crash are in the log, and the station's guardian marks both runs
# aborted.  SIGSEGV is sent from outside, so the handler runs as for a fault
# of the station's own.
. "$(dirname "$0")/lib.sh"

ulimit -c 0
t=$(st_tmpdir)
"$BINDIR/mkimage" --kind diag --version 1.0.0 --size 65536 -o "$t/img.bin" >/dev/null
flash_seq "$t/seq.yaml"
echo "log: $t/station.db" >"$t/station.yaml"
fx=()
for n in a b; do
	sim_start "$n" --serial "SIM0008${n}"	# no --fast: the flash takes seconds
	sim_fixture "$n" "$t/$n.yaml"
	fx+=(-f "$t/$n.yaml")
done

"$BINDIR/station" run -c "$t/station.yaml" -s "$t/seq.yaml" --var "image=$t/img.bin" \
	--once --json "${fx[@]}" >"$t/run.out" 2>"$t/run.err" &
pid=$!
echo "$pid" >>"$ST_REG/pids"
wait_flashing "$pid" "$t/run.out" a b
for n in a b; do
	assert_eq "$(sim_field "$n" power)" "1" "board $n powered while flashing"
	assert_eq "$(sim_field "$n" boot)" "1" "board $n BOOT high while flashing"
done
# fault: station/crash
kill -SEGV "$pid"
wait_gone "$pid" SIGSEGV
rc=$GONE_RC
cat "$t/run.err" >&2
if grep -q "Sanitizer: SEGV" "$t/run.err"; then
	# make check: the handler hands the signal on to the sanitizer's report
	[ "$rc" != 0 ] || fail "the station exited 0 after SIGSEGV"
else
	assert_eq "$rc" "$((128 + 11))" "the station died of SIGSEGV"
fi
grep -q "station: crashed; putting every fixture in its safe state" "$t/run.err" ||
	fail "no crash message on stderr"
for n in a b; do
	assert_eq "$(sim_field "$n" power)" "0" "board $n powered off by the crash handler"
	assert_eq "$(sim_field "$n" boot)" "0" "board $n BOOT released by the crash handler"
	assert_eq "$(sim_field "$n" reset)" "0" "board $n RESET released by the crash handler"
done

db=$t/station.db
# the station's guardian marks both runs cut off as aborted
for _ in $(seq 200); do grep -q "marked aborted in the log" "$t/run.err" && break; sleep 0.05; done
grep -qF "2 run(s) of the stopped station marked aborted in the log" "$t/run.err" ||
	{ cat "$t/run.err"; fail "the guardian did not mark the runs"; }
assert_eq "$(sql "$db" "PRAGMA integrity_check")" "ok" "log integrity after the crash"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'release reset into the ROM bootloader' AND outcome = 'pass'")" \
	"2" "steps completed before the crash are logged"
assert_eq "$(sql "$db" "SELECT count(*) FROM runs WHERE outcome = 'aborted' AND ended_us IS NOT NULL")" "2" \
	"both runs marked aborted"
"$BINDIR/station" db recover --db "$db" >"$t/recover.out" 2>&1 || { cat "$t/recover.out"; fail "db recover failed"; }
grep -qF "0 unfinished runs marked aborted" "$t/recover.out" || { cat "$t/recover.out"; fail "db recover found more"; }
echo "ok"
