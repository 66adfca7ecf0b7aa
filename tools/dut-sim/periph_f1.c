// SPDX-License-Identifier: Apache-2.0
/*
 * Register-level models of the STM32F1 peripherals code run from SRAM may
 * touch (RM0008, the F101/F103 reference manual; PM0075, the F10x flash
 * programming manual), as strict as the part:
 *   RCC      CR (HSI, PLL and its lock time), CFGR (PLL x2..x16 of HSI/2,
 *            SW/SWS, AHB/APB prescalers), AHBENR, APB2ENR, APB1ENR.  No
 *            crystal is modelled: HSEON never gives HSERDY (boards differ;
 *            a stub must not depend on one).
 *   FLASH    ACR (wait states checked against SYSCLK: RM0008 3.3.3, 0 up to
 *            24 MHz, 1 up to 48, 2 up to 72), KEYR (KEY1 then KEY2; a wrong
 *            key locks the FPEC until reset and is a bus error: PM0075 2.3.1),
 *            SR (BSY, PGERR, WRPRTERR, EOP; write 1 to clear), CR (PG, PER,
 *            MER, STRT, LOCK), AR; half-word programming only (PM0075 2.3.3:
 *            other sizes are a bus error), a half-word not erased is refused
 *            with PGERR (board.c), datasheet timings (chip.c).
 *   USART1   SR, DR, BRR, CR1-CR3: baud = PCLK2 / BRR; received bytes move
 *            into DR at their modelled arrival and one not read before the
 *            next arrives is lost with ORE; a byte sent with another rate or
 *            frame format than the USART's arrives damaged with FE.
 *   GPIOA    CRL/CRH/IDR/ODR/BSRR/BRR: PA9 must be an alternate-function
 *            output for TX to reach the pin, PA10 an input for RX.
 *   AFIO     MAPR (USART1_REMAP moves USART1 off PA9/PA10: off the fixture).
 *   CRC      DR (32-bit writes: poly 0x04C11DB7, MSB first), IDR, CR.RESET.
 *   the device signature: flash size (0x1FFFF7E0), unique ID, option bytes.
 * A peripheral used with its clock off, a register or bit the model does not
 * know, an interrupt enable (no NVIC is modelled): the CPU stops with a fault
 * naming it, rather than reading zero.  Where we do not know what the part
 * does (a flash read while BSY: PM0075 says the CPU stalls), the model faults
 * too, and docs/loader.md lists those cases.
 */
#include <string.h>

#include "tools/dut-sim/periph_f1.h"

static bool clock_on(struct cpu *c, uint32_t reg, unsigned bit, const char *what, uint32_t addr)
{
	if (reg & 1u << bit)
		return true;
	cpu_fault(c, "%s (0x%08x) used with its clock off: set RCC %s first", what, addr,
		  bit == 6 ? "AHBENR.CRCEN" : bit == 14 ? "APB2ENR.USART1EN" :
		  bit == 2 ? "APB2ENR.IOPAEN" : "APB2ENR.AFIOEN");
	return false;
}

void periph_reset(struct cpu *c)
{
	memset(&c->rcc, 0, sizeof(c->rcc));
	memset(&c->fl, 0, sizeof(c->fl));
	memset(&c->us, 0, sizeof(c->us));
	c->rcc.cr = 0x83;		/* HSION, HSIRDY, HSITRIM 16 */
	c->rcc.ahbenr = 0x14;		/* SRAM and FLITF clocks on */
	c->fl.acr = 0x30;		/* prefetch on */
	c->fl.cr = 0x80;		/* LOCK */
	for (int i = 0; i < 2; i++)
		c->gpioa[i] = 0x44444444u;	/* every pin a floating input */
	c->crc_dr = 0xFFFFFFFFu;
}

/* ---- the rest: GPIOA, AFIO, CRC, the device signature --------------------- */

static uint32_t crc_word(uint32_t crc, uint32_t w)
{
	crc ^= w;
	for (int i = 0; i < 32; i++)
		crc = crc & 0x80000000u ? crc << 1 ^ 0x04C11DB7u : crc << 1;
	return crc;
}

uint64_t periph_read(struct cpu *c, uint32_t addr, unsigned size)
{
	uint32_t off = addr & 0x3FF;

	if ((addr & ~0x3FFu) == USART1)
		return clock_on(c, c->rcc.apb2enr, 14, "USART1", addr) ? f1_usart_read(c, off) : 0;
	if ((addr & ~0x3FFu) == RCC)
		return f1_rcc_read(c, off);
	if ((addr & ~0x3FFu) == FLASHIF)
		return f1_flash_if_read(c, off);
	cpu_busy(c);
	if ((addr & ~0x3FFu) == GPIOA) {
		if (!clock_on(c, c->rcc.apb2enr, 2, "GPIOA", addr))
			return 0;
		if (off <= 0x0C)
			return off == 0x08 ? 0x0600u : c->gpioa[off / 4];	/* PA9/PA10 idle high */
	} else if ((addr & ~0x3FFu) == AFIO) {
		if (!clock_on(c, c->rcc.apb2enr, 0, "AFIO", addr))
			return 0;
		if (off == 0x04)
			return c->afio_mapr;
	} else if ((addr & ~0x3FFu) == CRCU) {
		if (!clock_on(c, c->rcc.ahbenr, 6, "CRC", addr))
			return 0;
		if (off == 0x00)
			return c->crc_dr ^ (c->s->faults.crc_unit_bad ? 1u : 0);
		if (off == 0x04)
			return c->crc_idr;
		if (off == 0x08)
			return 0;
	} else if (addr >= SIG_SIZE && addr + size <= SIG_SIZE + 2) {
		return c->s->size_kib[0] | c->s->size_kib[1] << 8;
	} else if (addr >= SIG_UID && addr + size <= SIG_UID + 12) {
		uint8_t uid[12] = { 0 };
		uint64_t v = 0;

		memcpy(uid, c->s->serial, strnlen(c->s->serial, sizeof(uid)));
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)uid[addr - SIG_UID + i] << 8 * i;
		return v;
	} else if (addr >= OPT_BASE && addr + size <= OPT_BASE + OPT_SIZE) {
		const uint8_t *p = mem_map(c->s, addr, size, false);
		uint64_t v = 0;

		for (unsigned i = 0; p && i < size; i++)
			v |= (uint64_t)p[i] << 8 * i;
		return v;
	}
	cpu_fault(c, "read of 0x%08x: no modelled register there", addr);
	return 0;
}

void periph_write(struct cpu *c, uint32_t addr, unsigned size, uint64_t v)
{
	uint32_t off = addr & 0x3FF;

	if ((addr & ~0x3FFu) == USART1) {
		if (clock_on(c, c->rcc.apb2enr, 14, "USART1", addr))
			f1_usart_write(c, off, (uint32_t)v);
		return;
	}
	if ((addr & ~0x3FFu) == RCC) {
		f1_rcc_write(c, off, (uint32_t)v);
		return;
	}
	if ((addr & ~0x3FFu) == FLASHIF) {
		f1_flash_if_write(c, off, (uint32_t)v);
		return;
	}
	cpu_busy(c);
	if ((addr & ~0x3FFu) == GPIOA) {
		if (!clock_on(c, c->rcc.apb2enr, 2, "GPIOA", addr))
			return;
		if (off <= 0x04 || off == 0x0C) {
			c->gpioa[off / 4] = (uint32_t)v;
			return;
		}
		if (off == 0x10 || off == 0x14) {
			uint32_t set = off == 0x10 ? (uint32_t)v & 0xFFFF : 0;
			uint32_t clr = off == 0x10 ? (uint32_t)v >> 16 : (uint32_t)v & 0xFFFF;

			c->gpioa[3] = (c->gpioa[3] & ~clr) | set;
			return;
		}
	} else if ((addr & ~0x3FFu) == AFIO) {
		if (!clock_on(c, c->rcc.apb2enr, 0, "AFIO", addr))
			return;
		if (off == 0x04) {
			c->afio_mapr = (uint32_t)v;
			return;
		}
	} else if ((addr & ~0x3FFu) == CRCU) {
		if (!clock_on(c, c->rcc.ahbenr, 6, "CRC", addr))
			return;
		if (off == 0x00 && size == 4) {
			c->crc_dr = crc_word(c->crc_dr, (uint32_t)v);
			return;
		}
		if (off == 0x04) {
			c->crc_idr = (uint32_t)v & 0xFF;
			return;
		}
		if (off == 0x08) {
			if (v & 1)
				c->crc_dr = 0xFFFFFFFFu;
			return;
		}
	}
	cpu_fault(c, "%u-byte write of 0x%llx to 0x%08x: no modelled register there", size,
		  (unsigned long long)v, addr);
}

uint64_t periph_next_event(const struct cpu *c)
{
	const struct sim *s = c->s;
	uint64_t best = 0, cand[5] = {
		c->rxlen ? c->rxat[c->rxhead] : 0, c->fl.busy_end, c->rcc.pll_ready_at,
		s->tx_clock > s->byte_ns ? s->tx_clock - s->byte_ns : 0, s->tx_clock,
	};

	for (int i = 0; i < 5; i++)
		if (cand[i] > c->t && (!best || cand[i] < best))
			best = cand[i];
	return best;
}
