#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station flash on the bench: a board on a plain serial port (driver none,
# BOOT0 and power set by hand), a fixture file with no lines, and a fixture
# with lines that straps BOOT0 itself.  Debian's stm32flash, a client nobody
# here wrote, reads back what was loaded; each load is logged as a run.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
DB=$t/bench.db
"$BINDIR/mkimage" --kind diag --version 3.1.0 --size 20000 -o "$t/img.bin"
"$BINDIR/mkimage" --kind diag --version 3.1.1 --size 6000 --format ihex -o "$t/img.hex"
sim_start a --fast --serial SIM000201
# by hand, as on a bench: BOOT0 high, power on
sim_ctl a "set boot 1" >/dev/null
sim_ctl a "set power 1" >/dev/null

# --- --port: no fixture file at all -----------------------------------------
rc=0
"$BINDIR/station" flash --port "$SIM_A_PTY" --db "$DB" --serial BENCH-1 "$t/img.bin" \
	>"$t/out1" 2>&1 || rc=$?
assert_eq "$rc" 0 "station flash --port ($(cat "$t/out1"))"
stm32flash -m 8n1 -b 115200 -r "$t/back1.bin" -S 0x08000000:20000 "$SIM_A_PTY" >"$t/r1" 2>&1 ||
	{ cat "$t/r1"; fail "stm32flash -r failed"; }
cmp "$t/img.bin" "$t/back1.bin" || fail "stm32flash reads back other bytes than station flash wrote"
assert_eq "$(sql "$DB" "SELECT r.sequence_name || ' ' || r.fixture || ' ' || r.outcome || ' ' || count(s.id)
	FROM runs r JOIN steps s ON s.run_id = r.id WHERE r.unit_serial = 'BENCH-1'")" \
	"station-flash bench pass 1" "logged as a one-step run on fixture 'bench'"
assert_eq "$(sql "$DB" "SELECT i.sha256 || ' ' || i.size || ' ' || i.chip_id FROM images i
	JOIN runs r ON r.id = i.run_id WHERE r.unit_serial = 'BENCH-1'")" \
	"$(sha256sum "$t/img.bin" | cut -d' ' -f1) 20000 0x0414" "the image's hash, size and chip logged"
assert_eq "$(sim_field a power)" 1 "driver none: the station leaves the power alone"

# --- a fixture file with driver none, a raw image at an address ---------------
printf 'name: bench-a\ndriver: none\nport: %s\n' "$SIM_A_PTY" >"$t/bench-a.yaml"
rc=0
"$BINDIR/station" flash -f "$t/bench-a.yaml" --db "$DB" --serial BENCH-2 --address 0x08040000 \
	--format raw "$t/img.bin" >"$t/out2" 2>&1 || rc=$?
assert_eq "$rc" 0 "station flash -f (driver none) --address ($(cat "$t/out2"))"
stm32flash -m 8n1 -b 115200 -r "$t/back2.bin" -S 0x08040000:20000 "$SIM_A_PTY" >"$t/r2" 2>&1 ||
	{ cat "$t/r2"; fail "stm32flash -r at 0x08040000 failed"; }
cmp "$t/img.bin" "$t/back2.bin" || fail "the image at 0x08040000 reads back otherwise"
assert_eq "$(sql "$DB" "SELECT i.address FROM images i JOIN runs r ON r.id = i.run_id
	WHERE r.unit_serial = 'BENCH-2'")" $((0x08040000)) "the address logged"

# an Intel HEX image carries its own addresses
rc=0
"$BINDIR/station" flash --port "$SIM_A_PTY" --db "$DB" --serial BENCH-3 "$t/img.hex" \
	>"$t/out3" 2>&1 || rc=$?
assert_eq "$rc" 0 "station flash of an Intel HEX image ($(cat "$t/out3"))"
assert_eq "$(sql "$DB" "SELECT format FROM images i JOIN runs r ON r.id = i.run_id
	WHERE r.unit_serial = 'BENCH-3'")" ihex "the format logged"

# refused PTY SERIAL ADDRESS VERDICT: station flash of the raw image at
# ADDRESS is an error run naming VERDICT, and nothing is erased
refused() {
	local erase0 rc=0
	erase0=$(sim_field "$5" erase_us)
	"$BINDIR/station" flash --port "$1" --db "$DB" --serial "$2" --address "$3" --format raw \
		"$t/img.bin" >"$t/refused.out" 2>&1 || rc=$?
	assert_eq "$rc" 4 "$2: not loaded (an ERROR: the setting, not the board)"
	grep -qF "$4" "$t/refused.out" || fail "$2: the verdict does not say '$4' ($(cat "$t/refused.out"))"
	assert_eq "$(sql "$DB" "SELECT outcome FROM runs WHERE unit_serial = '$2'")" error "$2: an error run"
	assert_eq "$(sim_field "$5" erase_us)" "$erase0" "$2: nothing erased"
}

# an image that does not fit the part: an error, named, nothing erased
refused "$SIM_A_PTY" BENCH-4 0x08100000 \
	"address: image data at 0x08100000-0x08104e1f is outside chip 0x0414's flash" a

# every `station flash` example in docs/loader.md runs, the port and image
# put in for /dev/ttyUSB0 and fw.bin
n=0
while read -r -a cmd; do
	[ "${cmd[*]:0:2}" = "station flash" ] || continue
	cmd=("${cmd[@]/#\/dev\/ttyUSB0/$SIM_A_PTY}")
	cmd=("${cmd[@]/#fw.bin/$t/img.bin}")
	rc=0
	"$BINDIR/station" "${cmd[@]:1}" --db "$DB" >"$t/doc.out" 2>&1 || rc=$?
	assert_eq "$rc" 0 "docs/loader.md: ${cmd[*]} ($(cat "$t/doc.out"))"
	n=$((n + 1))
done < <(sed -n '/^```sh$/,/^```$/p' "$ST_TOP/docs/loader.md")
assert_eq "$n" 4 "the four examples of docs/loader.md ran"

# the issue's case: an image linked for 0x08020000 on a 128 KiB F103, whose
# product id is that of the 512 KiB line: its flash size register tells
sim_start c --fast --serial SIM000203 --flash-kib 128
sim_ctl c "set boot 1" >/dev/null
sim_ctl c "set power 1" >/dev/null
refused "$SIM_C_PTY" BENCH-7 0x08020000 \
	"address: image data at 0x08020000-0x08024e1f is outside chip 0x0414's flash (0x08000000-0x0801ffff)" c

# usage errors name what is wrong
rc=0; "$BINDIR/station" flash --port "$SIM_A_PTY" --verify maybe "$t/img.bin" 2>"$t/err" || rc=$?
assert_eq "$rc" 2 "a bad --verify is a usage error"
grep -q "verify: 'maybe' is not one of readback, crc, none" "$t/err" || fail "--verify: $(cat "$t/err")"
rc=0; "$BINDIR/station" flash "$t/img.bin" 2>"$t/err" || rc=$?
assert_eq "$rc" 2 "no port, no fixture: usage"

# --- a fixture with lines: station flash straps BOOT0 itself -----------------
sim_start b --fast --serial SIM000202
sim_fixture b "$t/b.yaml"
rc=0
"$BINDIR/station" flash -f "$t/b.yaml" --db "$DB" --serial BENCH-5 "$t/img.bin" >"$t/out5" 2>&1 ||
	rc=$?
assert_eq "$rc" 0 "station flash -f (sim, with lines) ($(cat "$t/out5"))"
assert_eq "$(sim_field b power)" 0 "with lines: powered off afterwards"
assert_eq "$(sim_field b fw)" diag-3.1.0 "with lines: the image is in flash"
assert_eq "$(sql "$DB" "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id
	WHERE r.unit_serial = 'BENCH-5'")" 5 "with lines: setup (3), flash, teardown"

# --- a fixture that does not open is an error run in the log ---------------
printf 'name: gone\ndriver: sim\nport: %s/nope\nctrl: %s/nope.ctl\n' "$t" "$t" >"$t/gone.yaml"
rc=0
"$BINDIR/station" flash -f "$t/gone.yaml" --db "$DB" --serial BENCH-6 "$t/img.bin" >"$t/out6" 2>&1 ||
	rc=$?
assert_eq "$rc" 4 "a fixture that does not open: a station fault"
assert_eq "$(sql "$DB" "SELECT r.outcome || '|' || s.name || '|' || s.outcome || '|' || r.reason
	FROM runs r JOIN steps s ON s.run_id = r.id WHERE r.unit_serial = 'BENCH-6'")" \
	"error|open fixture|error|fixture gone: cannot reach the simulator's control socket $t/nope.ctl: No such file or directory (is dut-sim running?)" \
	"a fixture that does not open: logged as an error run, the reason named once"
grep -q "fixture gone: fixture gone" "$t/out6" && fail "the fixture is named twice: $(cat "$t/out6")"
echo "t_loader_bench: ok"
