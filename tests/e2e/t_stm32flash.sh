#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Debian's stm32flash, a client nobody here wrote, writes, verifies and reads
# back an image through dut-sim's AN3155 ROM bootloader, then starts it with Go.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkimage" --kind diag --version 1.2.0 --size 65536 -o "$t/img.bin"
sim_start a --fast --serial SIM000001
sim_ctl a "set boot 1" >/dev/null
sim_ctl a "set power 1" >/dev/null
assert_eq "$(sim_field a mode)" rom "BOOT=1 at power-on selects the ROM bootloader"
assert_eq "$(sim_field a fw)" none "a new board has no firmware"

stm32flash -m 8n1 -b 115200 -w "$t/img.bin" -v -g 0x08000000 "$SIM_A_PTY" >"$t/w.out" 2>&1 ||
	{ cat "$t/w.out"; fail "stm32flash -w failed"; }
grep -q 'Device ID    : 0x0414' "$t/w.out" || fail "stm32flash did not see PID 0x0414"
grep -q 'Wrote and verified address 0x08010000 (100.00%)' "$t/w.out" ||
	{ cat "$t/w.out"; fail "stm32flash did not verify the whole image"; }
assert_eq "$(sim_field a mode)" diag "Go 0x08000000 runs the diag firmware"
assert_eq "$(sim_field a fw)" diag-1.2.0 "firmware in flash"

# modelled device time: 32768 halfwords at 52 us, 32 pages of 2 KiB at 20 ms
assert_eq "$(sim_field a prog_us)" $((32768 * 52)) "programming time"
assert_eq "$(sim_field a erase_us)" $((32 * 20000)) "erase time"
assert_eq "$(sim_field a flash_us)" $((32768 * 52 + 32 * 20000)) "flash time"
rx=$(sim_field a rx_bytes); tx=$(sim_field a tx_bytes)
assert_eq "$(sim_field a wire_us)" $(((rx + tx) * 11 * 1000000 / 115200)) "wire time at 8E1"

# the firmware answers on the console (its banner went to stm32flash, which
# flushes its input when it closes the port, as on a real UART)
con_open a
assert_eq "$(con_cmd a version | tr '\n' ' ')" "diag 1.2.0 OK " "diag console after Go"

# back into the ROM with a reset pulse (BOOT still 1) and read everything back
sim_ctl a "set reset 1" >/dev/null
assert_eq "$(sim_field a mode)" off "held in reset"
sim_ctl a "set reset 0" >/dev/null
assert_eq "$(sim_field a mode)" rom "reset release samples BOOT=1"
stm32flash -m 8n1 -b 115200 -r "$t/back.bin" "$SIM_A_PTY" >"$t/r.out" 2>&1 ||
	{ cat "$t/r.out"; fail "stm32flash -r failed"; }
assert_eq "$(stat -c %s "$t/back.bin")" $((512 * 1024)) "read back the whole 512 KiB flash"
cmp -n 65536 "$t/img.bin" "$t/back.bin" || fail "read back differs from the image"
assert_eq "$(tail -c +65537 "$t/back.bin" | tr -d '\377' | wc -c)" 0 "rest of flash erased"

# power off keeps flash; BOOT=0 at power-on runs it
sim_ctl a "set power 0" >/dev/null
sim_ctl a "set boot 0" >/dev/null
sim_ctl a "set power 1" >/dev/null
assert_eq "$(sim_field a mode)" diag "BOOT=0 runs the image kept in flash"
echo "t_stm32flash: ok"
