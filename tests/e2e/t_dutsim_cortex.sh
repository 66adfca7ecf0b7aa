#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dut-sim's emulated Cortex-M3 is as strict as the part (RM0008, PM0075):
# small programs, built here with arm-none-eabi-gcc, loaded into SRAM and
# started by stm32flash (a client nobody here wrote), each break one rule
# and the CPU stops naming it; one that keeps them all programs the flash.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
# prog NAME BODY: a program whose reset handler runs BODY, then waits on
# FLASH_SR (a program that spins on nothing is taken for hung)
prog() {
	cat >"$t/$1.c" <<C
#include <stdint.h>
#define R(a) (*(volatile uint32_t *)(a))
#define H(a) (*(volatile uint16_t *)(a))
#define B(a) (*(volatile uint8_t *)(a))
extern uint32_t _stack_top;
void go(void);
__attribute__((section(".vectors"), used))
static const uint32_t v[2] = { (uint32_t)&_stack_top, (uint32_t)go };
void go(void)
{
	$2
	for (;;)
		(void)R(0x4002200C);
}
C
	arm-none-eabi-gcc -std=c17 -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib \
		-Wl,--gc-sections -T "$ST_TOP/loader/stub/stub_f1.ld" -o "$t/$1.elf" "$t/$1.c" ||
		fail "cannot build $1"
	arm-none-eabi-objcopy -O binary -j .text "$t/$1.elf" "$t/$1.bin"
}
# runs NAME: a fresh board in its ROM, NAME loaded to 0x20000200 and started;
# the stub status line in OUT
runs() {
	sim_ctl a "set power 0" >/dev/null
	sim_ctl a "set boot 1" >/dev/null
	sim_ctl a "set power 1" >/dev/null
	stm32flash -m 8n1 -b 115200 -w "$t/$1.bin" -S 0x20000200 -g 0x20000200 "$SIM_A_PTY" \
		>"$t/sf.out" 2>&1 || { cat "$t/sf.out"; fail "stm32flash could not start $1"; }
	for ((i = 0; i < 100; i++)); do
		OUT=$(sim_ctl a stub)
		[[ $OUT == *"fault:"* ]] && break
		sleep 0.02
	done
}
refused() {
	prog "$1" "$2"
	runs "$1"
	assert_match "$OUT" "stub=halted .*fault: .*$3" "$1: the CPU stops naming the rule"
}
sim_start a --fast --serial SIMCM301
UNLOCK='R(0x40022004) = 0x45670123u; R(0x40022004) = 0xCDEF89ABu;'

refused locked 'R(0x40022010) = 1;' "FLASH_CR written while locked"
refused wrong-key 'R(0x40022004) = 0x12345678u;' "out of the KEY1, KEY2 sequence"
refused byte-write "$UNLOCK R(0x40022010) = 1; B(0x08001000) = 0x5A;" \
	"a 1-byte flash write at 0x08001000: the F1 programs aligned half-words only"
refused no-pg "$UNLOCK H(0x08001000) = 0x1234;" "flash written at 0x08001000 without FLASH_CR.PG"
refused wait-states 'R(0x40021004) = 14u << 18 | 4u << 8; R(0x40021000) |= 1u << 24;
	while (!(R(0x40021000) & 1u << 25)) ; R(0x40021004) |= 2u;' \
	"SYSCLK 64000000 Hz with 0 flash wait states: RM0008 3.3.3 needs 2"
refused clock-off 'R(0x4001380C) = 1u << 13;' "USART1 \(0x4001380c\) used with its clock off"
refused unmapped 'R(0x40000000) = 1;' "nothing is mapped there"
refused unknown-reg 'R(0x40021018) |= 1u << 14; R(0x40013818) = 1;' "USART1 register \+0x18 written: not modelled"
refused interrupt 'R(0x40021018) |= 1u << 14; R(0x4001380C) = 1u << 13 | 1u << 5;' "interrupts"
refused pll-hse 'R(0x40021004) = 1u << 16;' "PLLSRC = HSE: no crystal is modelled"
refused hang 'for (;;) __asm volatile("");' "instructions without a register access: the code hangs"

# keeping every rule: unlock, PG, a half-word, BSY polled, read back
prog good "$UNLOCK R(0x40022010) = 1; H(0x08001000) = 0x1234;
	while (R(0x4002200C) & 1) ; R(0x40022010) = 0;
	if (H(0x08001000) != 0x1234) R(0x40000000) = 1;"
runs good
assert_match "$OUT" "^stub=running stub_runs=12 stub_faults=11 " "a program that keeps the rules runs on"
assert_eq "$(sim_field a prog_us)" 52 "one half-word programmed, 52 us"
sim_ctl a "set power 0" >/dev/null
sim_ctl a "set boot 1" >/dev/null
sim_ctl a "set power 1" >/dev/null
stm32flash -m 8n1 -b 115200 -r "$t/back.bin" -S 0x08001000:4 "$SIM_A_PTY" >"$t/sf.out" 2>&1 ||
	fail "cannot read the flash back"
assert_eq "$(od -An -tx1 "$t/back.bin" | tr -d ' ')" "3412ffff" "the half-word is in the flash"
echo "t_dutsim_cortex: ok"
