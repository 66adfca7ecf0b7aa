// SPDX-License-Identifier: Apache-2.0
/*
 * The parts dut-sim can be: the product id its ROM bootloader reports (Get
 * ID) and its flash, as pages or sectors with the datasheet's typical
 * programming and erase times.
 *   f103  STM32F10x high density (PID 0x414): uniform 2 KiB pages, 16-bit
 *         programming, 52 us a halfword, 20 ms a page, 40 ms mass erase
 *         (--flash-kib and the --t-* options change them); a half-word
 *         that is not erased is refused (PGERR, RM0008; board.c).
 *   f407  STM32F405/407 (PID 0x413): 1 MiB in 12 sectors, 4 x 16 KiB, 64 KiB,
 *         7 x 128 KiB; 32-bit programming at 16 us a word; sector erase
 *         250, 550 and 1000 ms, mass erase 8 s (DS8626, typical at x32);
 *         programming only clears bits (RM0090 3.5.4; board.c).
 * Extended Erase names pages, or on the F4 sectors, by number.
 */
#include <stdio.h>
#include <string.h>

#include "tools/dut-sim/dutsim.h"

struct sector_run {
	uint32_t count, kib, erase_ms;
};

static const struct sector_run f407_sectors[] = {
	{ 4, 16, 250 }, { 1, 64, 550 }, { 7, 128, 1000 }, { 0, 0, 0 },
};

static void layout_uniform(struct sim *s)
{
	s->n_sect = s->flash_size / FLASH_PAGE;
	for (uint32_t i = 0; i < s->n_sect; i++) {
		s->sect_off[i] = i * FLASH_PAGE;
		s->sect_size[i] = FLASH_PAGE;
		s->sect_erase_ms[i] = s->t_erase_ms;
	}
}

static void layout_runs(struct sim *s, const struct sector_run *runs)
{
	uint32_t off = 0;

	s->n_sect = 0;
	for (const struct sector_run *r = runs; r->count; r++) {
		for (uint32_t i = 0; i < r->count; i++, s->n_sect++) {
			s->sect_off[s->n_sect] = off;
			s->sect_size[s->n_sect] = r->kib * 1024;
			s->sect_erase_ms[s->n_sect] = r->erase_ms;
			off += r->kib * 1024;
		}
	}
	s->flash_size = off;
}

/* The flash size register ("Device electronic signature": RM0008 for the
 * F1 at 0x1FFFF7E0, RM0090 for the F4 at 0x1FFF7A22): KiB, 16 bits. */
static void size_register(struct sim *s, uint32_t addr)
{
	s->size_reg = addr;
	s->size_kib[0] = (uint8_t)(s->flash_size / 1024);
	s->size_kib[1] = (uint8_t)(s->flash_size / 1024 >> 8);
}

int chip_setup(struct sim *s, const struct chip_args *c)
{
	if (!c->name || !strcmp(c->name, "f103")) {
		s->pid = 0x0414;
		s->prog_unit = 2;
		s->prog_erased_only = true;	/* PGERR (board.c) */
		s->flash_size = c->flash_kib * 1024;
		layout_uniform(s);
		size_register(s, 0x1FFFF7E0u);
		return 0;
	}
	if (!strcmp(c->name, "f407")) {
		if (c->flash_kib_given || c->t_erase_given) {
			fprintf(stderr, "dut-sim: the f407's flash is 1 MiB in fixed sectors: "
				"--flash-kib and --t-erase-ms are for the f103\n");
			return -1;
		}
		s->pid = 0x0413;
		s->prog_unit = 4;
		if (!c->t_prog_given)
			s->t_prog_us = 16;
		if (!c->t_mass_given)
			s->t_mass_erase_ms = 8000;
		layout_runs(s, f407_sectors);
		size_register(s, 0x1FFF7A22u);
		return 0;
	}
	fprintf(stderr, "dut-sim: unknown --chip '%s' (f103, f407)\n", c->name);
	return -1;
}
