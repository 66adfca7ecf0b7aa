#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The STB1 flasher stub (loader/stub/stub_f1.c, built from source) runs on
# dut-sim's emulated Cortex-M3: 32 KiB and 64 KiB loads through it are
# byte-exact (read back by stm32flash through the ROM after a reset), a
# re-flash of the same image writes nothing, and each fault (the stub never
# runs, a damaged frame, a CRC unit that lies, a reset mid-stream, a fixture
# that cannot reset) ends in a precise verdict or a clean fallback to the ROM
# protocol, with the board powered off at the end.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkimage" --kind diag --version 2.0.0 --size 65536 -o "$t/img64.bin" >/dev/null
"$BINDIR/mkimage" --kind diag --version 2.1.0 --size 32768 -o "$t/img32.bin" >/dev/null
sim_start a --serial SIMSTUB01
sim_fixture a "$t/a.yaml"
echo "stub_baud: 921600" >>"$t/a.yaml"
db=$t/st.db

# seq PROTOCOL [VERIFY]: lib.sh's flash flow with flash.protocol, verify crc
seq() {
	flash_seq "$t/seq-$1${2:-}.yaml" "verify: ${2:-crc}, go: false, protocol: $1"
}
seq stub
seq auto
seq stub none

# run FIXTURE SEQ IMAGE: one run; its id in RUN
run() {
	"$BINDIR/station" run -s "$t/seq-$2.yaml" -f "$1" --var "image=$3" --once --db "$db" \
		>"$t/run.out" 2>&1 || true
	RUN=$(sql "$db" "SELECT id FROM runs ORDER BY rowid DESC LIMIT 1")
}
outcome() { sql "$db" "SELECT outcome FROM runs WHERE id = '$RUN'"; }
value() {
	sql "$db" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
		   WHERE v.run_id = '$RUN' AND s.name = 'load firmware' AND v.key = '$1'"
}
# holds IMAGE WHAT: stm32flash reads the image's length back through the
# ROM after a reset, and it is the image
holds() {
	sim_ctl a "set boot 1" >/dev/null
	sim_ctl a "set power 1" >/dev/null
	stm32flash -m 8n1 -b 115200 -r "$t/back.bin" -S 0x08000000:"$(stat -c %s "$1")" \
		"$SIM_A_PTY" >"$t/sf.out" 2>&1 ||
		{ cat "$t/sf.out"; fail "stm32flash could not read the flash back"; }
	sim_ctl a "set power 0" >/dev/null
	cmp "$1" "$t/back.bin" || fail "$2: read back through the ROM, the flash differs"
}
stub_field() { sim_ctl a stub | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# --- a 64 KiB load through the stub, then 32 KiB; byte-exact both times
sim_ctl a "counters reset" >/dev/null
run "$t/a.yaml" stub "$t/img64.bin"
assert_eq "$(outcome)" pass "64 KiB through the stub: $(cat "$t/run.out")"
assert_eq "$(value protocol)" stub "the log names the stub as the protocol"
assert_eq "$(stub_field stub_faults)" 0 "the model found nothing the part would refuse"
assert_eq "$(stub_field stub_runs)" 1 "the stub ran once"
# every half-word that is not 0xFFFF programmed once, at 52 us (the rest is
# left to the erase: the stub skips them)
hw=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(sum(d[i:i+2] != b"\xff\xff" for i in range(0, len(d), 2)))' "$t/img64.bin")
assert_eq "$(sim_field a prog_us)" $((hw * 52)) "each non-blank half-word programmed once"
assert_eq "$(sim_field a erase_us)" $((32 * 20000)) "32 pages of 2 KiB erased"
assert_eq "$(sim_field a power)" 0 "teardown powered the board off"
holds "$t/img64.bin" "64 KiB through the stub"
assert_match "$(sim_ctl a status)" "fw=diag-2\.0\.0" "the board holds the 64 KiB image"

run "$t/a.yaml" stub "$t/img32.bin"
assert_eq "$(outcome)" pass "32 KiB through the stub"
holds "$t/img32.bin" "32 KiB through the stub"

# --- a re-flash of the same image: one CRC, nothing erased or written
sim_ctl a "counters reset" >/dev/null
run "$t/a.yaml" auto "$t/img32.bin"
assert_eq "$(outcome)" pass "re-flash with protocol auto"
assert_eq "$(value protocol)" stub "auto picks the stub for an F103 (PID 0x0414)"
assert_eq "$(value pages_unchanged)" 16 "all 16 pages already hold the image"
assert_eq "$(sim_field a prog_us)" 0 "nothing programmed on a re-flash"
assert_eq "$(sim_field a erase_us)" 0 "nothing erased on a re-flash"

# --- the stub never runs: back to the ROM (reset by the fixture's lines)
sim_ctl a "fault stub-silent" >/dev/null
run "$t/a.yaml" stub "$t/img64.bin"
assert_eq "$(outcome)" pass "a silent stub falls back to the ROM protocol"
assert_match "$(value protocol)" "^rom, after the stub failed: no answer from the stub" \
	"the log says why the ROM protocol was used"
sim_ctl a "fault clear" >/dev/null
holds "$t/img64.bin" "the ROM fallback's load"

# --- a damaged frame: sent again, the load goes on through the stub
sim_ctl a "fault stub-corrupt=3000" >/dev/null
run "$t/a.yaml" stub "$t/img32.bin"
assert_eq "$(outcome)" pass "a damaged frame is sent again"
assert_eq "$(value protocol)" stub "still the stub after a damaged frame"
assert_match "$(value frames_resent)" "^[1-9]" "the resend is in the log"
holds "$t/img32.bin" "a load with a resent frame"

# --- a CRC unit that lies: verify fails, the ROM path loads and reads back
sim_ctl a "fault crc-unit-bad" >/dev/null
run "$t/a.yaml" stub "$t/img64.bin"
assert_eq "$(outcome)" pass "a CRC mismatch falls back to the ROM protocol"
assert_match "$(value protocol)" "^rom, after the stub failed: CRC of 32 page\(s\) differs" \
	"the CRC mismatch is named"
sim_ctl a "fault clear" >/dev/null

# --- a reset in the middle of the stream: the board is back in its ROM, the
# loader finds the stub gone and falls back (no verify: the ROM's read-back
# would take 9 s more)
"$BINDIR/mkimage" --kind diag --version 3.0.0 --size 65536 -o "$t/img3.bin" >/dev/null
"$BINDIR/station" run -s "$t/seq-stubnone.yaml" -f "$t/a.yaml" --var "image=$t/img3.bin" \
	--once --db "$db" --json >"$t/mid.json" 2>"$t/mid.err" &
pid=$!
for ((i = 0; i < 400; i++)); do
	grep -q '"event":"progress"' "$t/mid.json" 2>/dev/null && break
	sleep 0.025
done
grep -q '"event":"progress"' "$t/mid.json" || fail "the stub load never showed progress"
sim_ctl a "set reset 1" >/dev/null
sim_ctl a "set reset 0" >/dev/null
for ((i = 0; i < 1200; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
kill -0 $pid 2>/dev/null && fail "the ROM fallback after a reset took over 60 s"
wait $pid || true
RUN=$(sql "$db" "SELECT id FROM runs ORDER BY rowid DESC LIMIT 1")
assert_eq "$(outcome)" pass "a reset mid-stream ends in the ROM fallback"
assert_match "$(value protocol)" "^rom, after the stub failed" "the fallback is logged"
assert_eq "$(sim_field a power)" 0 "powered off at the end"
assert_match "$(sim_ctl a status)" "fw=diag-3\.0\.0" "the ROM path loaded the image"

# --- a fixture without lines cannot reset the board: a precise error
sed -e 's/^driver: sim/driver: none/' -e '/^ctrl:/d' "$t/a.yaml" >"$t/none.yaml"
cat >"$t/seq-none.yaml" <<'YAML'
name: stub-none
version: 1.0.0
vars:
  image: ~
steps:
  - name: load firmware
    flash: {image: "${image}", verify: crc, go: false, protocol: stub}
YAML
sim_ctl a "set boot 1" >/dev/null
sim_ctl a "set power 1" >/dev/null
sim_ctl a "fault stub-silent" >/dev/null
"$BINDIR/station" run -s "$t/seq-none.yaml" -f "$t/none.yaml" --var "image=$t/img32.bin" \
	--once --db "$db" >"$t/none.out" 2>&1 && fail "a stub that fails on a driver: none fixture passed"
RUN=$(sql "$db" "SELECT id FROM runs ORDER BY rowid DESC LIMIT 1")
assert_match "$(sql "$db" "SELECT reason FROM steps WHERE run_id = '$RUN' AND name = 'load firmware'")" \
	"cannot reset the board into its ROM bootloader" "the verdict says why there is no fallback"
sim_ctl a "fault clear" >/dev/null
sim_ctl a "set power 0" >/dev/null

# --- station flash --protocol (docs/loader.md's commands, the port being dut-sim's)
"$BINDIR/station" flash -f "$t/a.yaml" --protocol stub --verify crc --db "$db" "$t/img64.bin" \
	>"$t/fl.out" 2>&1 || fail "station flash --protocol stub: $(cat "$t/fl.out")"
RUN=$(sql "$db" "SELECT id FROM runs ORDER BY rowid DESC LIMIT 1")
assert_eq "$(sql "$db" "SELECT v.value FROM step_values v WHERE v.run_id = '$RUN' AND v.key = 'protocol'")" \
	stub "station flash -f loads through the stub"
holds "$t/img64.bin" "station flash --protocol stub"
sim_ctl a "set boot 1" >/dev/null
sim_ctl a "set power 1" >/dev/null
cmd=$(sed -n 's|^station flash --port /dev/ttyUSB0 --protocol auto|&|p' "$ST_TOP/docs/loader.md")
[ -n "$cmd" ] || fail "docs/loader.md has no station flash --protocol auto example"
cmd=${cmd//\/dev\/ttyUSB0/$SIM_A_PTY}
cmd=${cmd//fw.bin/$t/img32.bin}
# shellcheck disable=SC2086
"$BINDIR/"$cmd --db "$db" >"$t/fl.out" 2>&1 || fail "$cmd: $(cat "$t/fl.out")"
RUN=$(sql "$db" "SELECT id FROM runs ORDER BY rowid DESC LIMIT 1")
assert_eq "$(sql "$db" "SELECT v.value FROM step_values v WHERE v.run_id = '$RUN' AND v.key = 'protocol'")" \
	stub "the docs' --port example loads through the stub at --stub-baud"
assert_eq "$(stub_field stub_baud)" 927536 "the stub ran at 921600 (BRR 69 at 64 MHz)"
sim_ctl a "set power 0" >/dev/null
holds "$t/img32.bin" "station flash --port --protocol auto"

# --- protocol stub on a part without one (F407) is refused before anything is sent
sim_start f4 --fast --chip f407 --serial SIMSTUB02
sim_fixture f4 "$t/f4.yaml"
run "$t/f4.yaml" stub "$t/img32.bin"
assert_eq "$(outcome)" error "protocol stub on an F407"
assert_match "$(sql "$db" "SELECT reason FROM steps WHERE run_id = '$RUN' AND name = 'load firmware'")" \
	"no stub for chip 0x0413" "the verdict names the part"
run "$t/f4.yaml" auto "$t/img32.bin"
assert_eq "$(outcome)" pass "protocol auto on an F407 uses the ROM"
assert_eq "$(value protocol)" rom "auto on an F407: the ROM protocol"
echo "t_stub_flash: ok"
