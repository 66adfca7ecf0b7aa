#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The factory flow loads its diagnostic firmware as Intel HEX and as ELF
# through the native AN3155 loader; the sim boots it (so the bytes in flash
# are right), and the log records the file's SHA-256 and format.
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
echo "ok"
