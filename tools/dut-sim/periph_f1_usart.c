// SPDX-License-Identifier: Apache-2.0
/*
 * The STM32F1's USART1 (RM0008 27): SR, DR, BRR, CR1-CR3, the pins it needs
 * (PA9 alternate-function output, PA10 input, no remap), and the host's
 * side of the pty: bytes arrive at their modelled time, one not read
 * before the next is lost (ORE), one sent at another rate or format
 * arrives damaged (FE).
 */
#include <termios.h>

#include "tools/dut-sim/periph_f1.h"

void f1_usart_rate(struct cpu *c)
{
	struct sim *s = c->s;
	uint32_t brr = c->us.brr & 0xFFFF;

	c->us.baud = brr >= 16 ? f1_pclk2(c) / brr : 0;
	if (!c->us.baud)
		return;
	s->stub_baud = c->us.baud;
	s->byte_ns = s->fast ? 0 : 11ull * 1000000000ull / c->us.baud;
}

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

uint64_t f1_usart_read(struct cpu *c, uint32_t off)
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

void f1_usart_write(struct cpu *c, uint32_t off, uint32_t v)
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
		f1_usart_rate(c);
		sim_log("stub: USART1 BRR %u: %u baud at PCLK2 %u Hz", c->us.brr, c->us.baud,
			f1_pclk2(c));
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
