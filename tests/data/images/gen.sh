#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates the image fixtures with GNU binutils (tools nobody here wrote),
# so the parsers are checked against files real tools produce.  The unit test
# test_station_image compares each parsed image with blob.bin.
set -euo pipefail
cd "$(dirname "$0")"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 3) & 255 for i in range(1000)))' > blob.bin
# Intel HEX at 0x08000000 (types 04, 00, 05, 01)
objcopy -I binary -O ihex --change-addresses 0x08000000 blob.bin blob.hex
# ELF32 and ELF64 executables, one PT_LOAD at 0x08000000
ld -m elf_i386 -N -e 0x08000000 --section-start=.data=0x08000000 -b binary blob.bin -o blob32.elf
ld -m elf_x86_64 -N -e 0x08000000 --section-start=.data=0x08000000 -b binary blob.bin -o blob64.elf
# ELF32 whose load address (LMA, p_paddr 0x08000400) differs from its run
# address (VMA, p_vaddr 0x20000000), as .data initial values in flash
cat > lma.ld <<'LD'
SECTIONS { .data 0x20000000 : AT(0x08000400) { *(.data) } }
LD
ld -m elf_i386 -N -T lma.ld --oformat elf32-i386 -b binary blob.bin -o lma32.elf
rm -f lma.ld
