#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every dut-sim fault, observed on the wire (console lines, bootloader bytes,
# stm32flash's verdicts) and in the control socket's status.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkpki" --out "$t/pki" --boards 1 --seed faults >/dev/null
"$BINDIR/mkimage" --kind diag --version 1.2.0 --size 8192 -o "$t/diag.bin"
se=(--se-cert "$t/pki/board-1.crt" --se-key "$t/pki/board-1.key" --se-chain "$t/pki/board-1.chain.pem")
flash() { stm32flash -m 8n1 -b 115200 -w "$t/diag.bin" -v "$1" >"$t/flash.out" 2>&1; }

# --- console faults, set over the control socket --------------------------
sim_start c --fast --image "$t/diag.bin" "${se[@]}"
con_open c
sim_ctl c "set power 1" >/dev/null
con_line c >/dev/null
assert_match "$(sim_ctl c "fault bogus")" "^ERR unknown fault 'bogus'" "unknown fault refused"
assert_match "$(sim_ctl c "fault drop-byte=x")" "^ERR bad value" "bad fault value refused"

sim_ctl c "fault rail=3v3:2.950" >/dev/null
assert_eq "$(con_cmd c "rail 3v3" | paste -sd/)" "rail 3v3: 2.950 V/OK" "rail fault"
sim_ctl c "fault selftest-fail" >/dev/null
assert_eq "$(con_cmd c selftest)" "ERR selftest failed: flash ecc" "selftest-fail"
sim_ctl c "fault no-se" >/dev/null
assert_eq "$(con_cmd c "se info")" "ERR no secure element" "no-se"
assert_match "$(sim_field c faults)" "rail=3v3:2.950,no-se,selftest-fail|no-se" "faults listed"
sim_ctl c "fault clear" >/dev/null
assert_eq "$(sim_field c faults)" none "fault clear"
assert_eq "$(con_cmd c selftest | paste -sd/)" "selftest: pass/OK" "selftest after clear"

# drop-byte=1: the first byte of the next reply is lost
sim_ctl c "fault drop-byte=1" >/dev/null
assert_eq "$(con_cmd c version | paste -sd/)" "iag 1.2.0/OK" "drop-byte"
assert_eq "$(con_cmd c version | paste -sd/)" "diag 1.2.0/OK" "drop-byte is once"

# slow-se: nothing within 0.3 s, the answer after a second (no upper bound asserted)
sim_ctl c "fault slow-se=1000" >/dev/null
assert_eq "$(con_xfer c "$(printf 'se info\n' | od -An -tx1 | tr -d ' \n')" 1 0.3)" "" "slow-se: no early answer"
assert_eq "$(con_line c 10)" "chip: VaultIC408" "slow-se: the answer comes"
con_line c >/dev/null; con_line c >/dev/null; con_line c >/dev/null
sim_ctl c "fault clear" >/dev/null

# garbage: a console line gets only bytes 0x80..0xff
sim_ctl c "fault garbage" >/dev/null
g=$(con_xfer c "$(printf 'version\n' | od -An -tx1 | tr -d ' \n')" 8 2)
assert_match "$g" '^([89a-f][0-9a-f]){8}$' "garbage is non-text"
sim_ctl c "fault clear" >/dev/null
sleep 0.2; con_xfer c "" 64 0.2 >/dev/null  # drain the rest of the garbage

# disconnect-after=2: two answers, then the port is gone
sim_ctl c "fault disconnect-after=2" >/dev/null
con_cmd c version >/dev/null
con_cmd c id >/dev/null
for _ in $(seq 50); do [ -e "$SIM_C_PTY" ] || break; sleep 0.05; done
[ ! -e "$SIM_C_PTY" ] || fail "disconnect-after: the pty link is still there"
assert_eq "$(sim_field c mode)" dead "disconnect-after: mode"
assert_eq "$(sim_field c pty)" closed "disconnect-after: pty closed"

# --- silent and garbage in the ROM bootloader, from the command line --------
sim_start s --fast --fault silent
con_open s
sim_ctl s "set boot 1" >/dev/null; sim_ctl s "set power 1" >/dev/null
assert_eq "$(con_xfer s 7f 1 0.5)" "" "silent: no ACK"
sim_ctl s "fault clear" >/dev/null
assert_eq "$(con_xfer s 7f 1)" 79 "ACK once the fault is cleared"
sim_ctl s "fault garbage" >/dev/null
assert_match "$(con_xfer s 0001 2)" '^[89a-f][0-9a-f][89a-f][0-9a-f]$' "garbage in the ROM"

# --- flash faults seen by stm32flash ---------------------------------------
sim_start f --fast
sim_ctl f "set boot 1" >/dev/null; sim_ctl f "set power 1" >/dev/null
sim_ctl f "fault nack-block=2" >/dev/null
! flash "$SIM_F_PTY" || fail "nack-block: stm32flash succeeded"
grep -q "Failed to write memory at address 0x08000100" "$t/flash.out" ||
	{ cat "$t/flash.out"; fail "nack-block: not the second block"; }
sim_ctl f "set reset 1" >/dev/null; sim_ctl f "set reset 0" >/dev/null
flash "$SIM_F_PTY" || { cat "$t/flash.out"; fail "nack-block (once): the retry failed"; }

sim_ctl f "set reset 1" >/dev/null; sim_ctl f "set reset 0" >/dev/null
sim_ctl f "fault nack-block=3:always" >/dev/null
for i in 1 2; do
	sim_ctl f "set reset 1" >/dev/null; sim_ctl f "set reset 0" >/dev/null
	! flash "$SIM_F_PTY" || fail "nack-block:always: attempt $i succeeded"
	grep -q "Failed to write memory at address 0x08000200" "$t/flash.out" ||
		{ cat "$t/flash.out"; fail "nack-block:always: attempt $i not at 0x08000200"; }
done
sim_ctl f "fault clear" >/dev/null

sim_ctl f "fault corrupt-flash" >/dev/null
sim_ctl f "set reset 1" >/dev/null; sim_ctl f "set reset 0" >/dev/null
! flash "$SIM_F_PTY" || fail "corrupt-flash: verify passed"
# stm32flash verifies each block and, when it differs, writes it again: an
# F1 refuses to program over what is there (PGERR), so the ROM NACKs that
grep -q "Failed to write memory at address 0x08000000" "$t/flash.out" ||
	{ cat "$t/flash.out"; fail "corrupt-flash: the rewrite of the first block was not refused"; }
grep -c "rom: NACK cmd 0x31: PGERR" "$SIM_F_LOG" >/dev/null ||
	fail "corrupt-flash: the sim did not refuse the rewrite with PGERR"
assert_eq "$(sim_field f fw)" none "corrupt image is not a valid firmware"
echo "t_dutsim_faults: ok"
