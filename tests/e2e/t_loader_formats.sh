#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The factory flow loads its diagnostic firmware as Intel HEX and as ELF
# through the native AN3155 loader; the sim boots it (so the bytes in flash
# are right), and the log records the file's SHA-256 and format; a raw image
# padded with 0xFF loads without sending its blank blocks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
n=0
for fmt in ihex elf; do
	n=$((n + 1))
	img=$LINE/images/diag.$fmt
	"$BINDIR/mkimage" --kind diag --version 1.4.2 --size 8192 --format "$fmt" -o "$img" >/dev/null
	line_board "f$n" "SIM00060$n"
	line_run --once --serial "SIM00060$n" -f "$LINE/f$n.yaml" --var "diag_image=$img"
	assert_eq "$RUN_RC" "0" "$fmt: unit passes ($(tail -n 3 "$LINE/run.out"))"
	assert_eq "$(sql "$LINE_DB" "SELECT i.sha256 || ' ' || i.format FROM images i JOIN runs r ON r.id = i.run_id
		WHERE r.unit_serial = 'SIM00060$n' AND i.path = '$img'")" \
		"$(sha256sum "$img" | cut -d' ' -f1) $fmt" "$fmt: image logged"
	assert_eq "$(sim_field "f$n" power)" "0" "$fmt: board powered off"
done

# A fixed-size slot padded with 0xFF: the blank blocks are left to the erase,
# the board still boots the image (its CRC covers the padding), and the log
# says what was written and what was skipped.
img=$LINE/images/diag-padded.bin
"$BINDIR/mkimage" --kind diag --version 1.4.2 --size 16384 --pad 6000 -o "$img" >/dev/null
line_board f3 SIM000603
line_run --once --serial SIM000603 -f "$LINE/f3.yaml" --var "diag_image=$img"
assert_eq "$RUN_RC" "0" "padded: unit passes ($(tail -n 3 "$LINE/run.out"))"
# 6000 blank bytes end at 16384: the 5888 from 10496 on fill 23 whole blocks
assert_eq "$(sql "$LINE_DB" "SELECT i.size || ' ' || v.value FROM images i
	JOIN runs r ON r.id = i.run_id JOIN step_values v ON v.step_id = i.step_id
	WHERE r.unit_serial = 'SIM000603' AND i.path = '$img' AND v.key = 'blank_bytes_skipped'")" \
	"$((16384 - 5888)) 5888" "padded: bytes written and blank bytes skipped logged"
assert_eq "$(sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN runs r ON r.id = v.run_id
	WHERE r.unit_serial = 'SIM000603' AND v.key = 'diag.version'")" "1.4.2" \
	"padded: the diagnostic firmware booted (its CRC covers the padding)"
echo "ok"
