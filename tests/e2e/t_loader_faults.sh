#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Each bootloader fault dut-sim can inject ends the factory flow at the
# diagnostic firmware load with the loader's precise verdict (in the output
# and the log), never a hang, and the board powered off.  A lost byte is
# recovered by re-sync and retry, and the unit passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup

# run_fault NAME FAULT: one board with FAULT from power-up, one unit
run_fault() {
	line_board "$1" "SIM0005${1: -1}" --fault "$2"
	line_run --once --serial "SIM0005${1: -1}" -f "$LINE/$1.yaml"
	REASON=$(sql "$LINE_DB" "SELECT s.reason FROM steps s JOIN runs r ON r.id = s.run_id
		WHERE r.unit_serial = 'SIM0005${1: -1}' AND s.name = 'load diagnostic firmware'")
	assert_eq "$(sim_field "$1" power)" "0" "$2: board powered off"
}

# 1 NACK + 3 retries (block_retries: 3 in the sequence) on the third block
run_fault b1 nack-block=3:always
assert_eq "$RUN_RC" "1" "nack: unit fails"
assert_eq "$REASON" "write at 0x08000200 NACKed 4 times (block 3 of 32): the flash may be write-protected, or not erased" \
	"nack verdict"
grep -qF "at 'load diagnostic firmware': write at 0x08000200 NACKed 4 times" "$LINE/run.out" ||
	fail "nack verdict not shown to the operator: $(cat "$LINE/run.out")"

run_fault b2 corrupt-flash
assert_eq "$RUN_RC" "1" "corrupt-flash: unit fails"
assert_match "$REASON" '^verify failed at 0x080000[0-9a-f]{2}: wrote 0x[0-9A-F]{2}, read 0x[0-9A-F]{2}$' \
	"corrupt-flash verdict"

run_fault b3 silent
assert_eq "$RUN_RC" "1" "silent: unit fails"
assert_match "$REASON" '^no answer from the ROM bootloader after 0x7F \(timeout [0-9]+ ms\): check BOOT0 was high at reset and the console port$' \
	"silent verdict"

run_fault b4 garbage
assert_eq "$RUN_RC" "1" "garbage: unit fails"
assert_match "$REASON" '^unexpected answer 0x[0-9a-f]{2} to 0x7F \(expected ACK 0x79\): the board may be running its firmware' \
	"garbage verdict"

# kv SERIAL KEY: a value the diagnostic firmware load logged
kv() {
	sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
		JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = '$1'
		AND s.name = 'load diagnostic firmware' AND v.key = '$2'"
}

# The 30th byte the board sends is block 2's data ACK (0x7F 1, Get 11, Get ID
# 5, the flash size register 5, erase 2, block 1 3, block 2 3): the block is in flash,
# its ACK lost.  Re-sync, the F1 refuses the block sent again (PGERR), the
# read-back finds it there: the unit passes.
run_fault b5 drop-byte=30
assert_eq "$RUN_RC" "0" "drop-byte: unit passes after a retry ($(cat "$LINE/run.out"))"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE unit_serial = 'SIM00055' AND outcome = 'pass'")" \
	"1" "drop-byte run logged as pass"
assert_eq "$(kv SIM00055 writes_confirmed_by_readback)" 1 "drop-byte: the lost ACK's block read back"

# An image linked outside the part's flash is a configuration error, found
# before anything is erased: an 'error' run, not a failed board.
cat >"$LINE/outside.yaml" <<'YAML'
name: outside-flash
version: 1.0.0
vars:
  image: ~
  address: ~
steps:
  - name: power on with BOOT high
    lines: {reset: on, boot: on, power: on, settle: 20ms}
  - name: release reset into the ROM bootloader
    lines: {reset: off, settle: 20ms}
  - name: load diagnostic firmware
    flash: {image: "${image}", format: raw, address: "${address}", go: false}
teardown:
  - name: power off
    lines: {power: off, boot: off, reset: off}
YAML
line_board b8 SIM00058
line_run --once --serial SIM00058 -f "$LINE/b8.yaml" -s "$LINE/outside.yaml" \
	--var image="$LINE/images/diag.bin" --var address=0x08080000
assert_eq "$RUN_RC" "4" "outside flash: the run ends without a pass (ERROR: exit 4)"
assert_eq "$(sql "$LINE_DB" "SELECT s.outcome || ': ' || s.reason FROM steps s JOIN runs r ON r.id = s.run_id
	WHERE r.unit_serial = 'SIM00058' AND s.name = 'load diagnostic firmware'")" \
	"error: address: image data at 0x08080000-0x08081fff is outside chip 0x0414's flash (0x08000000-0x0807ffff) and RAM (0x20000000-0x2000ffff): check the load address or the address the image is linked for" \
	"outside flash: an error naming the address"
assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE unit_serial = 'SIM00058'")" error \
	"outside flash: the run is an error"
assert_eq "$(sim_field b8 erase_us)" 0 "outside flash: nothing erased"
assert_eq "$(sim_field b8 prog_us)" 0 "outside flash: nothing written"
line_run --once --serial SIM00058 -f "$LINE/b8.yaml" -s "$LINE/outside.yaml" \
	--var image="$LINE/images/diag.bin" --var address=0x0800zz
assert_eq "$(sql "$LINE_DB" "SELECT s.reason FROM steps s JOIN runs r ON r.id = s.run_id
	WHERE r.unit_serial = 'SIM00058' AND s.name = 'load diagnostic firmware' ORDER BY s.id DESC LIMIT 1")" \
	"address '0x0800zz' (from \${address}) is not a 32-bit address: give e.g. 0x08000000" \
	"a bad \${address} is named"
echo "ok"
