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
#include <stdio.h>
#include <string.h>
#include <termios.h>

#include "tools/dut-sim/cpu.h"

#define RCC 0x40021000u
#define FLASHIF 0x40022000u
#define CRCU 0x40023000u
#define USART1 0x40013800u
#define GPIOA 0x40010800u
#define AFIO 0x40010000u
#define SIG_SIZE 0x1FFFF7E0u
#define SIG_UID 0x1FFFF7E8u

#define HSI 8000000u
#define PLL_LOCK_NS 200000u	/* DS5319 (F103xC/D/E) tLOCK: 200 us max */

static bool clock_on(struct cpu *c, uint32_t reg, unsigned bit, const char *what, uint32_t addr)
{
	if (reg & 1u << bit)
		return true;
	cpu_fault(c, "%s (0x%08x) used with its clock off: set RCC %s first", what, addr,
		  bit == 6 ? "AHBENR.CRCEN" : bit == 14 ? "APB2ENR.USART1EN" :
		  bit == 2 ? "APB2ENR.IOPAEN" : "APB2ENR.AFIOEN");
	return false;
}

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

static uint32_t pclk2(const struct cpu *c)
{
	static const uint8_t hpre[8] = { 1, 2, 3, 4, 6, 7, 8, 9 };	/* log2 */
	uint32_t h = (c->rcc.cfgr >> 4) & 0xF, p = (c->rcc.cfgr >> 11) & 7;
	uint32_t hclk = periph_sysclk(c) >> (h & 8 ? hpre[h & 7] : 0);

	return hclk >> (p & 4 ? (p & 3) + 1 : 0);
}

static unsigned wait_states_needed(uint32_t hz)
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
	else if ((c->fl.acr & 7) < wait_states_needed(hz))
		cpu_fault(c, "SYSCLK %u Hz with %u flash wait states: RM0008 3.3.3 needs %u "
			  "(FLASH_ACR.LATENCY before the switch)", hz, c->fl.acr & 7,
			  wait_states_needed(hz));
}

static void usart_rate(struct cpu *c)
{
	struct sim *s = c->s;
	uint32_t brr = c->us.brr & 0xFFFF;

	c->us.baud = brr >= 16 ? pclk2(c) / brr : 0;
	if (!c->us.baud)
		return;
	s->stub_baud = c->us.baud;
	s->byte_ns = s->fast ? 0 : 11ull * 1000000000ull / c->us.baud;
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

/* ---- USART1 -------------------------------------------------------------- */

static bool tx_pin(const struct cpu *c)
{
	uint32_t n = (c->gpioa[1] >> 4) & 0xF;	/* PA9: CNF9 MODE9 */

	return (n & 3) && (n >> 2) >= 2 && !(c->afio_mapr & 4);
}

static bool rx_pin(const struct cpu *c)
{
	return !((c->gpioa[1] >> 8) & 3) && !(c->afio_mapr & 4);	/* PA10 an input */
}

/* Does the host's side of the line match the USART (rate within 3 %, 8
 * data bits, one stop bit)?  Parity cannot be checked: a Linux pty does not
 * keep PARENB (tcsetattr drops it), so the host's parity is invisible here. */
static bool line_matches(struct cpu *c)
{
	struct sim *s = c->s;
	struct termios t;
	static const struct { speed_t sp; uint32_t bd; } rates[] = {
		{ B9600, 9600 }, { B19200, 19200 }, { B38400, 38400 }, { B57600, 57600 },
		{ B115200, 115200 }, { B230400, 230400 }, { B460800, 460800 },
		{ B500000, 500000 }, { B576000, 576000 }, { B921600, 921600 },
		{ B1000000, 1000000 }, { B1152000, 1152000 }, { B1500000, 1500000 },
		{ B2000000, 2000000 }, { B2500000, 2500000 }, { B3000000, 3000000 },
		{ B3500000, 3500000 }, { B4000000, 4000000 },
	};
	uint32_t host = 0, cr1 = c->us.cr1;
	bool pce = cr1 & (1u << 10), m9 = cr1 & (1u << 12);

	if (s->slave_fd < 0 || tcgetattr(s->slave_fd, &t) < 0)
		return true;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (cfgetospeed(&t) == rates[i].sp)
			host = rates[i].bd;
	if (!host || !c->us.baud)
		return false;
	if ((host > c->us.baud ? host - c->us.baud : c->us.baud - host) * 100 > 3ull * c->us.baud)
		return false;
	if ((t.c_cflag & CSIZE) != CS8 || (t.c_cflag & CSTOPB))
		return false;
	/* the USART's 9 bits must be 8 data + parity, its 8 bits no parity */
	return m9 == pce;
}

void periph_rx_catch_up(struct cpu *c)
{
	bool on = (c->us.cr1 & (1u << 13)) && (c->us.cr1 & (1u << 2)) && rx_pin(c);

	while (c->rxlen && c->rxat[c->rxhead] <= c->t) {
		uint8_t b = c->rxq[c->rxhead];
		bool bad = c->rxbad[c->rxhead];

		c->rxhead = (c->rxhead + 1) % CPU_RXQ;
		c->rxlen--;
		if (!on)
			continue;	/* no receiver: the byte is gone */
		if (c->us.rxne) {	/* RM0008 27.6.1 ORE: the new byte is lost */
			c->us.sr_err |= 8;
			if (c->overruns++ < 5)
				sim_log("stub: USART1 overrun: a byte arrived before DR was read");
			continue;
		}
		c->us.dr = b;
		c->us.rxne = true;
		if (bad) {
			c->us.sr_err |= 2;	/* FE */
			c->framing++;
		}
	}
}

void cpu_rx(struct sim *s, uint8_t b)
{
	struct cpu *c = s->cpu;
	uint64_t now = sim_now_ns();
	size_t at;

	if (!c)
		return;
	if (now - c->host_check_at > 200000) {	/* the host's termios, ~5 kHz */
		c->host_ok = line_matches(c);
		c->host_check_at = now;
	}
	if (c->rxlen == CPU_RXQ) {
		c->overruns++;
		return;
	}
	if (s->faults.stub_corrupt && --s->faults.stub_corrupt == 0) {
		sim_log("fault stub-corrupt: byte 0x%02x damaged on the wire", b);
		b ^= 0x10;
	}
	at = (c->rxhead + c->rxlen) % CPU_RXQ;
	c->rxq[at] = c->host_ok ? b : (uint8_t)(b ^ 0x5A);
	c->rxbad[at] = !c->host_ok;
	/* one byte after the other, even on --fast's line without frame time
	 * (bytes arriving at one instant would be an overrun on any UART) */
	c->rxat[at] = s->now_dev > c->t ? s->now_dev : c->t;
	if (c->rxat[at] <= c->last_rx_at)
		c->rxat[at] = c->last_rx_at + 1;
	c->last_rx_at = c->rxat[at];
	c->rxlen++;
}

static uint64_t usart_read(struct cpu *c, uint32_t off)
{
	struct sim *s = c->s;
	uint32_t sr;

	switch (off) {
	case 0x00:
		periph_rx_catch_up(c);
		sr = c->us.sr_err | (c->us.rxne ? 1u << 5 : 0);
		if (s->tx_clock <= c->t + s->byte_ns)
			sr |= 1u << 7;			/* TXE: DR is free */
		if (s->tx_clock <= c->t)
			sr |= 1u << 6;			/* TC */
		c->us.sr_read = true;
		cpu_status_read(c, USART1, sr);
		return sr;
	case 0x04:
		cpu_busy(c);
		c->us.rxne = false;
		if (c->us.sr_read)
			c->us.sr_err = 0;
		c->us.sr_read = false;
		return c->us.dr;
	case 0x08: return c->us.brr;
	case 0x0C: return c->us.cr1;
	case 0x10: return c->us.cr2;
	case 0x14: return c->us.cr3;
	}
	cpu_fault(c, "USART1 register +0x%02x is not modelled", off);
	return 0;
}

static void usart_send(struct cpu *c, uint8_t b)
{
	struct sim *s = c->s;

	if (!(c->us.cr1 & (1u << 13)) || !(c->us.cr1 & (1u << 3))) {
		cpu_fault(c, "USART1 DR written with the transmitter off (CR1.UE, CR1.TE)");
		return;
	}
	if (s->tx_clock > c->t + s->byte_ns) {
		cpu_fault(c, "USART1 DR written while TXE is 0: the byte before is overwritten");
		return;
	}
	if (!tx_pin(c)) {
		sim_log("stub: PA9 is not an alternate-function output (GPIOA_CRH): "
			"0x%02x never reaches the pin", b);
		return;
	}
	if (s->now_dev < c->t)
		s->now_dev = c->t;
	if (!line_matches(c))
		b ^= 0x5A;	/* the host samples another rate or format */
	wire_send(s, &b, 1, c->t);
	s->stub_tx_bytes++;
}

static void usart_write(struct cpu *c, uint32_t off, uint32_t v)
{
	cpu_busy(c);
	switch (off) {
	case 0x00:	/* RXNE and TC may be cleared by writing 0; nothing else */
		if (!(v & (1u << 5)))
			c->us.rxne = false;
		return;
	case 0x04:
		usart_send(c, (uint8_t)v);
		return;
	case 0x08:
		if (c->s->tx_clock > c->t) {
			cpu_fault(c, "USART1 BRR changed while a byte is on the wire (wait for TC)");
			return;
		}
		c->us.brr = v & 0xFFFF;
		usart_rate(c);
		sim_log("stub: USART1 BRR %u: %u baud at PCLK2 %u Hz", c->us.brr, c->us.baud,
			pclk2(c));
		return;
	case 0x0C:
		if (v & ~0x360Cu)	/* UE M PCE PS TE RE */
			cpu_fault(c, "USART1 CR1 0x%04x: interrupts, wake-up and break are not "
				  "modelled (no NVIC)", v);
		c->us.cr1 = v;
		return;
	case 0x10:
	case 0x14:
		if (v)
			cpu_fault(c, "USART1 CR%d 0x%04x: stop bits other than 1, clock output, "
				  "DMA and flow control are not modelled", off == 0x10 ? 2 : 3, v);
		return;
	}
	cpu_fault(c, "USART1 register +0x%02x written: not modelled", off);
}

/* ---- RCC ------------------------------------------------------------------ */

static uint64_t rcc_read(struct cpu *c, uint32_t off)
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

static void rcc_write(struct cpu *c, uint32_t off, uint32_t v)
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
			usart_rate(c);
		return;
	case 0x14: c->rcc.ahbenr = v; return;
	case 0x18: c->rcc.apb2enr = v; return;
	case 0x1C: c->rcc.apb1enr = v; return;
	}
	cpu_fault(c, "RCC register +0x%02x written: not modelled", off);
}

/* ---- the flash interface (FPEC) and the flash itself ---------------------- */

static void fl_update(struct cpu *c)
{
	if (c->fl.busy_end && c->t >= c->fl.busy_end) {
		c->fl.busy_end = 0;
		c->fl.sr |= c->fl.sr_at_end;
		c->fl.sr_at_end = 0;
	}
}

static uint64_t flash_if_read(struct cpu *c, uint32_t off)
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

static void flash_if_write(struct cpu *c, uint32_t off, uint32_t v)
{
	cpu_busy(c);
	fl_update(c);
	switch (off) {
	case 0x00:
		if ((v & 7) > 2) {
			cpu_fault(c, "FLASH_ACR.LATENCY %u is reserved", v & 7);
			return;
		}
		if ((v & 7) < wait_states_needed(periph_sysclk(c))) {
			cpu_fault(c, "FLASH_ACR.LATENCY %u at SYSCLK %u Hz: RM0008 3.3.3 needs %u",
				  v & 7, periph_sysclk(c), wait_states_needed(periph_sysclk(c)));
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
	if ((c->fl.acr & 7) < wait_states_needed(periph_sysclk(c))) {
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
		return clock_on(c, c->rcc.apb2enr, 14, "USART1", addr) ? usart_read(c, off) : 0;
	if ((addr & ~0x3FFu) == RCC)
		return rcc_read(c, off);
	if ((addr & ~0x3FFu) == FLASHIF)
		return flash_if_read(c, off);
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
			usart_write(c, off, (uint32_t)v);
		return;
	}
	if ((addr & ~0x3FFu) == RCC) {
		rcc_write(c, off, (uint32_t)v);
		return;
	}
	if ((addr & ~0x3FFu) == FLASHIF) {
		flash_if_write(c, off, (uint32_t)v);
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
