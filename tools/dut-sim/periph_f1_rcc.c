// SPDX-License-Identifier: Apache-2.0
/*
 * The STM32F1's RCC (RM0008 7.3): HSI, the PLL (x2..x16 of HSI/2) and its
 * lock time, the system clock switch, the AHB/APB prescalers and the
 * peripheral clock enables; the clock limits checked at each change.  No
 * crystal is modelled (periph_f1.c has the whole list).
 */
#include "tools/dut-sim/periph_f1.h"

#define HSI 8000000u
#define PLL_LOCK_NS 200000u	/* DS5319 (F103xC/D/E) tLOCK: 200 us max */

static uint32_t sysclk_of(const struct cpu *c, uint32_t sws)
{
	uint32_t mul = ((c->rcc.cfgr >> 18) & 0xF) + 2;

	if (mul > 16)
		mul = 16;
	if (sws == 2)
		return HSI / 2 * mul;	/* PLLSRC = HSE is refused at the write */
	return HSI;
}

static uint32_t sws(const struct cpu *c)
{
	uint32_t sw = c->rcc.cfgr & 3;

	if (sw == 2 && !(c->rcc.pll_ready_at && c->t >= c->rcc.pll_ready_at))
		return 0;	/* the switch waits for the PLL (RM0008 7.2.6) */
	return sw;
}

uint32_t periph_sysclk(const struct cpu *c)
{
	return sysclk_of(c, sws(c));
}

uint32_t f1_pclk2(const struct cpu *c)
{
	static const uint8_t hpre[8] = { 1, 2, 3, 4, 6, 7, 8, 9 };	/* log2 */
	uint32_t h = (c->rcc.cfgr >> 4) & 0xF, p = (c->rcc.cfgr >> 11) & 7;
	uint32_t hclk = periph_sysclk(c) >> (h & 8 ? hpre[h & 7] : 0);

	return hclk >> (p & 4 ? (p & 3) + 1 : 0);
}

unsigned f1_wait_states(uint32_t hz)
{
	return hz <= 24000000u ? 0 : hz <= 48000000u ? 1 : 2;
}

static void check_clocks(struct cpu *c)
{
	uint32_t hz = periph_sysclk(c), apb1;
	uint32_t p1 = (c->rcc.cfgr >> 8) & 7;

	apb1 = hz >> (p1 & 4 ? (p1 & 3) + 1 : 0);
	if (hz > 72000000u)
		cpu_fault(c, "SYSCLK %u Hz is above the F103's 72 MHz", hz);
	else if (apb1 > 36000000u)
		cpu_fault(c, "APB1 at %u Hz is above its 36 MHz (RCC_CFGR.PPRE1)", apb1);
	else if ((c->fl.acr & 7) < f1_wait_states(hz))
		cpu_fault(c, "SYSCLK %u Hz with %u flash wait states: RM0008 3.3.3 needs %u "
			  "(FLASH_ACR.LATENCY before the switch)", hz, c->fl.acr & 7,
			  f1_wait_states(hz));
}

uint64_t f1_rcc_read(struct cpu *c, uint32_t off)
{
	uint32_t v;

	switch (off) {
	case 0x00:
		v = c->rcc.cr & ~(1u << 25);
		if (c->rcc.pll_ready_at && c->t >= c->rcc.pll_ready_at)
			v |= 1u << 25;
		cpu_status_read(c, RCC, v);
		return v;
	case 0x04:
		v = (c->rcc.cfgr & ~0xCu) | sws(c) << 2;
		cpu_status_read(c, RCC + 4, v);
		return v;
	case 0x14: return c->rcc.ahbenr;
	case 0x18: return c->rcc.apb2enr;
	case 0x1C: return c->rcc.apb1enr;
	}
	cpu_fault(c, "RCC register +0x%02x is not modelled", off);
	return 0;
}

void f1_rcc_write(struct cpu *c, uint32_t off, uint32_t v)
{
	cpu_busy(c);
	switch (off) {
	case 0x00:
		if ((v & (1u << 16)) && !(c->rcc.cr & (1u << 16)))
			sim_log("stub: HSEON: no crystal is modelled, HSERDY never comes");
		if (!(v & 1u << 24) && (c->rcc.cr & 1u << 24) && sws(c) == 2) {
			cpu_fault(c, "RCC_CR.PLLON cleared while the PLL is SYSCLK (RM0008 7.3.1)");
			return;
		}
		if ((v & 1u << 24) && !(c->rcc.cr & 1u << 24))
			c->rcc.pll_ready_at = c->t + (c->s->fast ? 1 : PLL_LOCK_NS);
		if (!(v & 1u << 24))
			c->rcc.pll_ready_at = 0;
		c->rcc.cr = (v & 0x010D00F9u) | 2u;	/* HSIRDY stays */
		return;
	case 0x04:
		if ((c->rcc.cr & 1u << 24) && ((v ^ c->rcc.cfgr) & 0x3F0000u)) {
			cpu_fault(c, "RCC_CFGR PLL settings changed while PLLON (RM0008 7.3.2)");
			return;
		}
		if (v & (1u << 16)) {
			cpu_fault(c, "RCC_CFGR.PLLSRC = HSE: no crystal is modelled");
			return;
		}
		if ((v & 3) == 1 || (v & 3) == 3 || (v & 0x07000000u)) {
			cpu_fault(c, "RCC_CFGR 0x%08x: HSE, a reserved SW or MCO: not modelled", v);
			return;
		}
		c->rcc.cfgr = v & 0x003FFFF3u;
		check_clocks(c);
		if (c->us.brr)
			f1_usart_rate(c);
		return;
	case 0x14: c->rcc.ahbenr = v; return;
	case 0x18: c->rcc.apb2enr = v; return;
	case 0x1C: c->rcc.apb1enr = v; return;
	}
	cpu_fault(c, "RCC register +0x%02x written: not modelled", off);
}
