#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dut-sim's flash follows the reference manuals, seen on the wire through
# its AN3155 ROM bootloader:
#  - F1 (RM0008/PM0075, PGERR): a half-word that is not erased is refused,
#    so the ROM NACKs a second write of the same block; 0x0000 is always
#    accepted; erasing the page makes it writable again.
#  - F4 (RM0090 3.5.4): writes may clear more bits without an erase, so a
#    second write of the same data is ACKed, and a 1 over a 0 stays 0.
. "$(dirname "$0")/lib.sh"

# frame HEX...: the bytes and their XOR checksum (AN3155), as hex
frame() {
	local x=0 b
	for b in $(sed 's/../& /g' <<<"$*"); do x=$((x ^ 0x$b)); done
	printf '%s%02x' "$*" "$x"
}
# cmd NAME CODE: the command and its complement, ACKed
cmd() { assert_eq "$(con_xfer "$1" "$(printf '%02x%02x' "$2" $((0xff ^ $2)))" 1)" 79 "command $2"; }
# write NAME ADDR DATA [S]: Write Memory of DATA (hex) at ADDR; prints the
# answer (waiting up to S seconds, default 5)
write() {
	cmd "$1" 0x31
	assert_eq "$(con_xfer "$1" "$(frame "$2")" 1)" 79 "address $2"
	con_xfer "$1" "$(frame "$(printf '%02x' $((${#3} / 2 - 1)))$3")" 1 "${4:-5}"
}
# read NAME ADDR N: Read Memory of N bytes at ADDR, as hex
read_mem() {
	cmd "$1" 0x11
	assert_eq "$(con_xfer "$1" "$(frame "$2")" 1)" 79 "address $2"
	con_xfer "$1" "$(printf '%02x%02x' $(($3 - 1)) $((0xff ^ ($3 - 1))))" $(($3 + 1)) | cut -c3-
}
# erase NAME UNIT: Extended Erase of one page (F1) or sector (F4)
erase() {
	cmd "$1" 0x44
	assert_eq "$(con_xfer "$1" "$(frame "0000$(printf '%04x' "$2")")" 1 10)" 79 "erase $2"
}
rom() {
	sim_ctl "$1" "set boot 1" >/dev/null
	sim_ctl "$1" "set power 1" >/dev/null
	con_open "$1"
	assert_eq "$(con_xfer "$1" 7f 1)" 79 "$1: ROM bootloader synchronised"
}

# --- F1: PGERR ---------------------------------------------------------------
sim_start f1 --fast
rom f1
erase f1 0
assert_eq "$(write f1 08000000 12345678)" 79 "f1: a write to erased flash is ACKed"
assert_eq "$(write f1 08000000 12345678)" 1f "f1: the same write again is NACKed (PGERR)"
assert_eq "$(write f1 08000000 02040608)" 1f "f1: clearing more bits is NACKed too (PGERR)"
assert_eq "$(read_mem f1 08000000 4)" 12345678 "f1: the refused writes changed nothing"
grep -q "PGERR: the half-word at 0x08000000 reads 0x3412, not erased" "$SIM_F1_LOG" ||
	fail "f1: the sim's log does not say PGERR: $(tail -3 "$SIM_F1_LOG")"
assert_eq "$(write f1 08000000 00000000)" 79 "f1: 0x0000 is always accepted (RM0008)"
assert_eq "$(read_mem f1 08000000 4)" 00000000 "f1: 0x0000 written"
assert_eq "$(write f1 08000004 0000aaaa)" 79 "f1: an erased half-word next to them is writable"
assert_eq "$(write f1 08000004 0000bbbb)" 1f "f1: 0x0000 passes, the half-word after it is refused"
assert_eq "$(read_mem f1 08000004 4)" 0000aaaa "f1: what came before the refused half-word is programmed"
erase f1 0
assert_eq "$(write f1 08000000 12345678)" 79 "f1: writable again after the page erase"
assert_eq "$(read_mem f1 08000000 4)" 12345678 "f1: written after the erase"
assert_eq "$(write f1 20001000 12345678)" 79 "f1: RAM takes any write"
assert_eq "$(write f1 20001000 9abcdef0)" 79 "f1: RAM takes it again"
assert_eq "$(read_mem f1 20001000 4)" 9abcdef0 "f1: RAM holds the last write"

# --- F4: bits only cleared, no error ----------------------------------------
sim_start f4 --fast --chip f407
rom f4
erase f4 0
assert_eq "$(write f4 08000000 12345678)" 79 "f4: a write to erased flash is ACKed"
assert_eq "$(write f4 08000000 12345678)" 79 "f4: the same write again is ACKed (RM0090 3.5.4)"
assert_eq "$(write f4 08000000 ffffffff)" 79 "f4: writing ones is ACKed..."
assert_eq "$(read_mem f4 08000000 4)" 12345678 "f4: ...and leaves the zeros"
assert_eq "$(write f4 08000000 02040608)" 79 "f4: clearing more bits is ACKed"
assert_eq "$(read_mem f4 08000000 4)" 02040608 "f4: the AND of the writes"

# --- late-ack and corrupt-ack: the block is programmed, the answer suffers ---
sim_start fa --fast
rom fa
sim_ctl fa "fault late-ack=2:1500" >/dev/null
assert_eq "$(sim_field fa faults)" "late-ack=2:1500" "late-ack listed"
assert_eq "$(write fa 08000000 11111111)" 79 "late-ack: the first write is answered at once"
assert_eq "$(write fa 08000004 22222222 0.5)" "" \
	"late-ack: no answer to the second write within 0.5 s"
assert_eq "$(con_xfer fa "" 1 5)" 79 "late-ack: the ACK comes late"
assert_eq "$(sim_field fa faults)" none "late-ack is once"
sim_ctl fa "fault corrupt-ack=1" >/dev/null
assert_eq "$(write fa 08000008 33333333)" 59 "corrupt-ack: the ACK arrives with a bit flipped"
assert_eq "$(write fa 0800000c 44444444)" 79 "corrupt-ack is once"
assert_eq "$(read_mem fa 08000000 16)" 11111111222222223333333344444444 \
	"late-ack, corrupt-ack: every block was programmed"
assert_match "$(sim_ctl fa "fault late-ack=0")" "^ERR bad value" "late-ack=0 refused"
assert_match "$(sim_ctl fa "fault late-ack=1:x")" "^ERR bad value" "late-ack=1:x refused"
echo "t_dutsim_flash: ok"
