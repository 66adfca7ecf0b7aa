#!/usr/bin/env bash
# Fault matrix, the board (dut-sim --fault): each fault ends the unit with a
# precise verdict, in the output and in the log, and the board powered off.
# The flow is sequences/factory-provisioning.yaml on one simulated fixture.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/fault.sh"

line_setup

# fault: board/silence
line_board silent SIM001001 --fault silent
fault_run silent SIM001001
fault_expect silent SIM001001 1 'load diagnostic firmware' "no answer from the ROM bootloader after 0x7F"

# fault: board/garbage
line_board garbage SIM001002 --fault garbage
fault_run garbage SIM001002
fault_expect garbage SIM001002 1 'load diagnostic firmware' "to 0x7F (expected ACK 0x79): the board may be running its firmware"

# fault: board/drop-byte
# One byte lost on the way back (here the ACK to the first 0x7F): the loader
# tries again and the unit passes; nothing is lost or written twice.
line_board drop SIM001003 --fault drop-byte=1
fault_run drop SIM001003
cat "$LINE/run.out"
assert_eq "$RUN_RC" "0" "drop: exit status"
grep -qF "[drop] PASS unit SIM001003" "$LINE/run.out" || fail "drop: no PASS after a lost byte"
assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE unit_serial = 'SIM001003'")" "pass" "drop: logged outcome"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM images i JOIN steps s ON s.id = i.step_id JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = 'SIM001003'")" \
	"2" "drop: both images logged"
assert_eq "$(sim_field drop power)" "0" "drop: board power"

# confirmed SERIAL: the step value the diagnostic firmware load logged for a
# write whose ACK was lost and that read-back found in flash
confirmed() {
	sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
		JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = '$1'
		AND s.name = 'load diagnostic firmware' AND v.key = 'writes_confirmed_by_readback'"
}

# fault: board/late-ack
# The ACK of the third block comes after the loader's 1 s timeout: the block
# is programmed.  Re-sync, the block sent again is refused (an F1 will not
# program over it: PGERR), the read-back finds it there, the unit passes.
line_board late SIM001010 --fault late-ack=3:1500
fault_run late SIM001010
assert_eq "$RUN_RC" "0" "late-ack: exit status ($(cat "$LINE/run.out"))"
grep -qF "[late] PASS unit SIM001010" "$LINE/run.out" || fail "late-ack: no PASS"
assert_eq "$(confirmed SIM001010)" 1 "late-ack: writes_confirmed_by_readback"
grep -q "rom: NACK cmd 0x31: PGERR" "$SIM_LATE_LOG" || fail "late-ack: the resent block was not refused"

# fault: board/corrupt-ack
# The same ACK garbled on the line (one bit flipped): the same recovery.
line_board cack SIM001011 --fault corrupt-ack=3
fault_run cack SIM001011
assert_eq "$RUN_RC" "0" "corrupt-ack: exit status ($(cat "$LINE/run.out"))"
grep -qF "[cack] PASS unit SIM001011" "$LINE/run.out" || fail "corrupt-ack: no PASS"
assert_eq "$(confirmed SIM001011)" 1 "corrupt-ack: writes_confirmed_by_readback"

# fault: board/disconnect
# The serial port goes away mid-run (dut-sim removes the pty after two
# console commands): the step in flight says the line closed, an ERROR (the
# line, not the board: exit 4).  Whether the answer to the second command
# gets out first is a race, so the failing step is 'rail 3V3' or 'rail 1V8'.
line_board gone SIM001004 --fault disconnect-after=2
fault_run gone SIM001004
fault_expect gone SIM001004 4 '*' "the other end closed the line (board or simulator gone)"
grep -qE "ERROR unit SIM001004 at 'rail (3V3|1V8)'" "$LINE/run.out" || fail "gone: another step failed"

# fault: board/nack
line_board nack SIM001005 --fault nack-block=2:always
fault_run nack SIM001005
fault_expect nack SIM001005 1 'load diagnostic firmware' "write at 0x08000100 NACKed 4 times (block 2 of 32)"

# fault: board/corrupt-flash
line_board corrupt SIM001006 --fault corrupt-flash
fault_run corrupt SIM001006
fault_expect corrupt SIM001006 1 'load diagnostic firmware' "verify failed at 0x080000"

# fault: board/no-se
line_board nose SIM001007 --fault no-se
fault_run nose SIM001007
fault_expect nose SIM001007 1 'read and verify SE identity' "the board reports no secure element: check the SE is fitted"

# fault: board/slow-se
# A slow SE within the step's timeout passes; one slower than the timeout
# (the identity step given 8 s here) fails, naming the timeout.  dut-sim
# models slow-se as device time, so these boards run without --fast.
# The step sends three SE commands: at 5 s an answer each one is within the
# timeout but the three are not (each command gets what is left of the
# step's time, or it would pass).  Neither verdict hangs on the machine's
# speed: load only makes the slow one slower, and at 300 ms an answer the
# step takes about 1.7 s (three answers, the chain at 115200 baud, the
# checks), so a loaded machine has 6 s to spare (with a 2 s timeout a loaded
# run took 1.72 s, and once timed out).
seq=$(fault_seq)
sed -i '/identity: {expect_serial/a\    timeout: 8s' "$seq"
pki=(--se-ca-cert "$LINE/pki/intermediate-ca.crt" --se-ca-key "$LINE/pki/intermediate-ca.key"
	--se-ca-chain "$LINE/pki/chain.pem")
fault_board slowok SIM001008 "${pki[@]}" --fault slow-se=300
fault_run slowok SIM001008 -s "$seq"
grep -qF "[slowok] PASS unit SIM001008" "$LINE/run.out" || { cat "$LINE/run.out"; fail "slowok: no PASS"; }
fault_board slow SIM001009 "${pki[@]}" --fault slow-se=5000
fault_run slow SIM001009 -s "$seq"
fault_expect slow SIM001009 1 'read and verify SE identity' "timed out after 8s"
echo ok
