// SPDX-License-Identifier: Apache-2.0
/*
 * The STM32F1's flash interface (FPEC: ACR, KEYR, SR, CR, AR; PM0075) and
 * the flash itself as the CPU reads and programs it: half-words only, BSY
 * for the datasheet's times, PGERR on a half-word not erased (board.c).
 */
#include "tools/dut-sim/periph_f1.h"

static void fl_update(struct cpu *c)
{
	if (c->fl.busy_end && c->t >= c->fl.busy_end) {
		c->fl.busy_end = 0;
		c->fl.sr |= c->fl.sr_at_end;
		c->fl.sr_at_end = 0;
	}
}

uint64_t f1_flash_if_read(struct cpu *c, uint32_t off)
{
	uint32_t v;

	fl_update(c);
	switch (off) {
	case 0x00: return c->fl.acr | (c->fl.acr & 0x10 ? 0x20 : 0);
	case 0x0C:
		v = c->fl.sr | (c->fl.busy_end ? 1u : 0);
		cpu_status_read(c, FLASHIF + 0xC, v);
		return v;
	case 0x10: return c->fl.cr;
	case 0x14: return c->fl.ar;
	case 0x1C: return 0x03FFFFFCu;	/* OBR: no read protection, user bits 1 */
	case 0x20: return 0xFFFFFFFFu;	/* WRPR: nothing write-protected */
	}
	cpu_fault(c, "FLASH register +0x%02x is not modelled", off);
	return 0;
}

static void flash_start(struct cpu *c, uint32_t cr)
{
	struct sim *s = c->s;
	int64_t us;

	if (cr & 4) {
		flash_erase_all(s);
		us = (int64_t)s->t_mass_erase_ms * 1000;
	} else {
		uint32_t off = c->fl.ar - FLASH_BASE, page = 0;

		if (c->fl.ar < FLASH_BASE || off >= s->flash_size) {
			cpu_fault(c, "page erase at 0x%08x: FLASH_AR is outside the flash", c->fl.ar);
			return;
		}
		while (page + 1 < s->n_sect && s->sect_off[page + 1] <= off)
			page++;
		us = flash_erase_pages(s, page, 1);
	}
	c->fl.busy_end = c->t + (c->s->fast ? 1 : (uint64_t)us * 1000);
	c->fl.sr_at_end = 1u << 5;	/* EOP */
}

void f1_flash_if_write(struct cpu *c, uint32_t off, uint32_t v)
{
	cpu_busy(c);
	fl_update(c);
	switch (off) {
	case 0x00:
		if ((v & 7) > 2) {
			cpu_fault(c, "FLASH_ACR.LATENCY %u is reserved", v & 7);
			return;
		}
		if ((v & 7) < f1_wait_states(periph_sysclk(c))) {
			cpu_fault(c, "FLASH_ACR.LATENCY %u at SYSCLK %u Hz: RM0008 3.3.3 needs %u",
				  v & 7, periph_sysclk(c), f1_wait_states(periph_sysclk(c)));
			return;
		}
		c->fl.acr = v & 0x1F;
		return;
	case 0x04:
		if (c->fl.keys == 0 && v == 0x45670123u) {
			c->fl.keys = 1;
		} else if (c->fl.keys == 1 && v == 0xCDEF89ABu) {
			c->fl.keys = 2;
			c->fl.cr &= ~0x80u;
		} else {
			cpu_fault(c, "FLASH_KEYR: 0x%08x out of the KEY1, KEY2 sequence: the FPEC "
				  "locks until reset, with a bus error (PM0075 2.3.1)", v);
		}
		return;
	case 0x0C:	/* PGERR, WRPRTERR, EOP: write 1 to clear */
		c->fl.sr &= ~(v & 0x34u);
		return;
	case 0x10:
		if (c->fl.busy_end) {
			cpu_fault(c, "FLASH_CR written while BSY");
			return;
		}
		if (c->fl.cr & 0x80) {
			if (v & 0x80)
				return;
			cpu_fault(c, "FLASH_CR written while locked (write KEY1, KEY2 to "
				  "FLASH_KEYR first: PM0075 2.3.1)");
			return;
		}
		if (v & ~0x10F7u & ~0x1600u) {
			cpu_fault(c, "FLASH_CR 0x%04x: not modelled", v);
			return;
		}
		if (v & 0x1430u) {
			cpu_fault(c, "FLASH_CR 0x%04x: option bytes and flash interrupts are not "
				  "modelled", v);
			return;
		}
		if (__builtin_popcount(v & 7) > 1) {
			cpu_fault(c, "FLASH_CR 0x%04x: PG, PER and MER together", v);
			return;
		}
		if (v & 0x40) {
			if (!(v & 6)) {
				cpu_fault(c, "FLASH_CR.STRT without PER or MER");
				return;
			}
			flash_start(c, v);
			v &= ~0x40u;
		}
		c->fl.cr = v & 0x87u;
		if (v & 0x80)
			c->fl.keys = 0;
		return;
	case 0x14:
		c->fl.ar = v;
		return;
	}
	cpu_fault(c, "FLASH register +0x%02x written: not modelled", off);
}

uint64_t flashmem_read(struct cpu *c, uint32_t off, unsigned size)
{
	uint64_t v = 0;

	cpu_busy(c);
	fl_update(c);
	if ((c->fl.acr & 7) < f1_wait_states(periph_sysclk(c))) {
		cpu_fault(c, "flash read at SYSCLK %u Hz with %u wait states (RM0008 3.3.3)",
			  periph_sysclk(c), c->fl.acr & 7);
		return 0;
	}
	if (c->fl.busy_end) {
		cpu_fault(c, "flash read at 0x%08x while BSY: the part stalls the CPU until "
			  "the operation ends; not modelled", FLASH_BASE + off);
		return 0;
	}
	if (off + size > c->s->flash_size) {
		cpu_fault(c, "read past the end of the flash at 0x%08x", FLASH_BASE + off);
		return 0;
	}
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)c->s->flash[off + i] << 8 * i;
	return v;
}

void flashmem_write(struct cpu *c, uint32_t off, unsigned size, uint64_t v)
{
	struct sim *s = c->s;
	uint8_t d[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	char why[160];
	uint32_t us;

	cpu_busy(c);
	fl_update(c);
	if (!(c->fl.cr & 1) || (c->fl.cr & 0x80)) {
		cpu_fault(c, "flash written at 0x%08x without FLASH_CR.PG%s", FLASH_BASE + off,
			  c->fl.cr & 0x80 ? " (the FPEC is locked)" : "");
		return;
	}
	if (size != 2 || (off & 1)) {
		cpu_fault(c, "a %u-byte flash write at 0x%08x: the F1 programs aligned "
			  "half-words only, anything else is a bus error (PM0075 2.3.3)",
			  size, FLASH_BASE + off);
		return;
	}
	if (c->fl.busy_end) {
		cpu_fault(c, "flash written at 0x%08x while BSY", FLASH_BASE + off);
		return;
	}
	if (off + 2 > s->flash_size) {
		cpu_fault(c, "flash write past the end at 0x%08x", FLASH_BASE + off);
		return;
	}
	if (flash_program(s, FLASH_BASE + off, d, 2, &us, why, sizeof(why)) < 0) {
		c->fl.sr |= 1u << 2;	/* PGERR, at once, and no EOP */
		return;
	}
	c->fl.busy_end = c->t + (s->fast ? 1 : (uint64_t)us * 1000);	/* --fast: counted only */
	c->fl.sr_at_end = 1u << 5;
}
