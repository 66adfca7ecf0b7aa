/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RAM flasher stub for STM32F1 (Cortex-M3), protocol "STB1"
 * (docs/loader.md).  The station writes it above the ROM bootloader's RAM
 * with Write Memory and starts it with Go (AN3155).  After Go the ROM has
 * put the clocks and the peripherals it used back to their reset state, so
 * the stub sets up everything it touches itself (RM0008):
 *   - RCC: SYSCLK 64 MHz from HSI/2 x 16 (no crystal assumed), after two
 *     flash wait states (FLASH_ACR: 2 for 48 MHz < SYSCLK <= 72 MHz); APB1
 *     at /2 (at most 36 MHz), APB2 at /1; clocks for GPIOA, USART1 and CRC;
 *   - GPIOA: PA9 (USART1_TX) alternate-function push-pull, PA10 input;
 *   - USART1: 8 data bits + even parity (as the ROM), 115200 baud at first,
 *     then what the host asks for (BAUD);
 *   - the FPEC (KEYR unlock, PER/STRT page erase, PG half-word programming,
 *     SR BSY/PGERR/WRPRTERR/EOP) and the CRC unit (CRC-32 of flash words).
 * Single-threaded and polling: the receiver is served inside every wait
 * (flash busy, transmitter busy), so frames keep arriving while the flash
 * programs: the host keeps up to WINDOW frames in flight.
 *
 * Frames, host to stub:  0x5A cmd seq len16 payload crc32
 *          stub to host:  0xA5 cmd seq status len16 payload crc32
 * (little-endian; the CRC-32 is the IEEE/zlib one over everything between the
 * sync byte and the CRC).  Frames are taken strictly in sequence: one that
 * fails its CRC is answered BADFRAME naming the sequence number expected, and
 * every frame after it is dropped until that one comes again (go-back-N).
 */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define RCC_CR REG(0x40021000u)
#define RCC_CFGR REG(0x40021004u)
#define RCC_AHBENR REG(0x40021014u)
#define RCC_APB2ENR REG(0x40021018u)
#define FLASH_ACR REG(0x40022000u)
#define FLASH_KEYR REG(0x40022004u)
#define FLASH_SR REG(0x4002200Cu)
#define FLASH_CR REG(0x40022010u)
#define FLASH_AR REG(0x40022014u)
#define GPIOA_CRH REG(0x40010804u)
#define USART_SR REG(0x40013800u)
#define USART_DR REG(0x40013804u)
#define USART_BRR REG(0x40013808u)
#define USART_CR1 REG(0x4001380Cu)
#define CRC_DR REG(0x40023000u)
#define CRC_CR REG(0x40023008u)
#define FLASH_SIZE_KIB (*(volatile uint16_t *)0x1FFFF7E0u)

#define SR_RXNE (1u << 5)
#define SR_TC (1u << 6)
#define SR_TXE (1u << 7)
#define SR_ERR 0x0Fu		/* PE FE NE ORE */
#define F_BSY 1u
#define F_PGERR (1u << 2)
#define F_WRPRTERR (1u << 4)
#define F_EOP (1u << 5)
#define CR_PG 1u
#define CR_PER 2u
#define CR_STRT (1u << 6)
#define CR_LOCK (1u << 7)

#define SYSCLK 64000000u
#define FLASH_BASE 0x08000000u
#define WINDOW 3
#define MAXP 1028		/* a WRITE: 4 address bytes + 1 KiB */
#define VERSION 1

enum { C_HELLO = 0, C_BAUD = 1, C_SYNC = 2, C_ERASE = 0x10, C_WRITE = 0x11, C_CRC = 0x12 };
enum { S_OK = 0, S_BADFRAME, S_BADCMD, S_RANGE, S_PGERR, S_WRPRT, S_VERIFY, S_OVERRUN };

struct slot {
	uint8_t cmd, seq;
	uint16_t len;
	uint8_t d[MAXP];
};

static struct slot slots[WINDOW];
static uint8_t rd, wr, nready;
/* the receiver: where it is in a frame, and the sequence number it wants */
static uint8_t rx_state, expect, hdr[4], bad_pending, overrun;
static uint16_t rx_len, rx_have;
static uint32_t rx_crc, rx_got;
static uint32_t flash_end;
static uint8_t out[1024];

extern uint32_t _stack_top, _bss_start, _bss_end;
void stub_main(void);

__attribute__((section(".vectors"), used))
static const uint32_t vectors[2] = { (uint32_t)&_stack_top, (uint32_t)stub_main };

static uint32_t crc_byte(uint32_t c, uint8_t b)
{
	c ^= b;
	for (int i = 0; i < 8; i++)
		c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
	return c;
}

/* Serve the receiver once: take a byte if one is there, build frames. */
static void poll_rx(void)
{
	uint32_t sr = USART_SR;

	if (!(sr & (SR_RXNE | SR_ERR)))
		return;
	uint8_t b = (uint8_t)USART_DR;	/* reading SR then DR clears the errors */

	if (sr & SR_ERR) {		/* a byte was lost or damaged: */
		overrun |= (sr & 8u) != 0;	/* the frame's CRC will say so */
		b ^= 0xFF;
	}
	switch (rx_state) {
	case 0:
		if (b == 0x5A) {
			rx_state = 1;
			rx_have = 0;
			rx_crc = 0xFFFFFFFFu;
		}
		return;
	case 1:
		hdr[rx_have++] = b;
		rx_crc = crc_byte(rx_crc, b);
		if (rx_have < 4)
			return;
		rx_len = (uint16_t)(hdr[2] | hdr[3] << 8);
		if (rx_len > MAXP) {
			rx_state = 0;
			bad_pending = 1;
			return;
		}
		rx_have = 0;
		rx_got = 0;
		rx_state = 2;
		return;
	default:
		if (rx_have < rx_len) {
			if (nready < WINDOW)
				slots[wr].d[rx_have] = b;
			rx_crc = crc_byte(rx_crc, b);
		} else {
			rx_got |= (uint32_t)b << 8 * (rx_have - rx_len);
		}
		if (++rx_have < rx_len + 4)
			return;
		rx_state = 0;
		if (rx_got != ~rx_crc) {
			bad_pending = 1;
			return;
		}
		if (hdr[1] != expect)
			return;			/* after a bad frame: until it comes again */
		if (nready == WINDOW) {		/* the host broke the window */
			bad_pending = 1;
			return;
		}
		slots[wr].cmd = hdr[0];
		slots[wr].seq = hdr[1];
		slots[wr].len = rx_len;
		wr = (uint8_t)((wr + 1) % WINDOW);
		nready++;
		expect++;
	}
}

static void put(uint8_t b, uint32_t *crc)
{
	while (!(USART_SR & SR_TXE))
		poll_rx();
	USART_DR = b;
	if (crc)
		*crc = crc_byte(*crc, b);
}

static void reply(uint8_t cmd, uint8_t seq, uint8_t status, const uint8_t *p, uint16_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	uint8_t h[5] = { cmd, seq, status, (uint8_t)n, (uint8_t)(n >> 8) };

	put(0xA5, 0);
	for (int i = 0; i < 5; i++)
		put(h[i], &c);
	for (uint16_t i = 0; i < n; i++)
		put(p[i], &c);
	c = ~c;
	for (int i = 0; i < 4; i++)
		put((uint8_t)(c >> 8 * i), 0);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Wait for the FPEC, serving the receiver; the error it ended with. */
static uint8_t flash_wait(void)
{
	uint32_t sr;

	while ((sr = FLASH_SR) & F_BSY)
		poll_rx();
	FLASH_SR = sr & (F_PGERR | F_WRPRTERR | F_EOP);	/* write 1 to clear */
	return sr & F_WRPRTERR ? S_WRPRT : sr & F_PGERR ? S_PGERR : S_OK;
}

static void flash_unlock(void)
{
	if (FLASH_CR & CR_LOCK) {
		FLASH_KEYR = 0x45670123u;
		FLASH_KEYR = 0xCDEF89ABu;
	}
}

static int in_flash(uint32_t a, uint32_t n)
{
	return a >= FLASH_BASE && a <= flash_end && n <= flash_end - a;
}

static uint8_t do_erase(const struct slot *s)
{
	uint32_t a = le32(s->d);
	uint8_t st;

	if (s->len != 4 || !in_flash(a, 1))
		return S_RANGE;
	flash_unlock();
	FLASH_CR = CR_PER;
	FLASH_AR = a;
	FLASH_CR = CR_PER | CR_STRT;
	st = flash_wait();
	FLASH_CR = 0;
	return st;
}

/* Half-words that are 0xFFFF are left to the erase before them. */
static uint8_t do_write(const struct slot *s)
{
	uint32_t a = le32(s->d), n = s->len - 4u;
	uint8_t st = S_OK;

	if (s->len < 4 || (a | n) & 1 || !in_flash(a, n))
		return S_RANGE;
	flash_unlock();
	FLASH_CR = CR_PG;
	for (uint32_t i = 0; i < n && st == S_OK; i += 2) {
		uint16_t h = (uint16_t)(s->d[4 + i] | s->d[5 + i] << 8);
		volatile uint16_t *p = (volatile uint16_t *)(a + i);

		if (h == 0xFFFF)
			continue;
		*p = h;
		st = flash_wait();
		if (st == S_OK && *p != h)
			st = S_VERIFY;
	}
	FLASH_CR = 0;
	return st;
}

/* CRC-32 (the CRC unit: poly 0x04C11DB7, init all ones, 32-bit words, no
 * reflection, no final xor) of each chunk of a range, up to 256 chunks. */
static uint16_t do_crc(const struct slot *s, uint8_t *st)
{
	uint32_t a = le32(s->d), n = le32(s->d + 4), chunk = le32(s->d + 8), k = 0;

	if (s->len != 12 || !chunk || (a | n | chunk) & 3 || n % chunk || n / chunk > 256 ||
	    !in_flash(a, n)) {
		*st = S_RANGE;
		return 0;
	}
	for (uint32_t off = 0; off < n; off += chunk, k++) {
		CRC_CR = 1;	/* RESET */
		for (uint32_t i = 0; i < chunk; i += 4) {
			CRC_DR = *(volatile uint32_t *)(a + off + i);
			poll_rx();
		}
		uint32_t c = CRC_DR;

		for (int j = 0; j < 4; j++)
			out[4 * k + j] = (uint8_t)(c >> 8 * j);
	}
	*st = S_OK;
	return (uint16_t)(4 * k);
}

static uint16_t hello(void)
{
	static const uint8_t magic[4] = { 'S', 'T', 'B', '1' };
	uint16_t kib = (uint16_t)((flash_end - FLASH_BASE) >> 10);

	for (int i = 0; i < 4; i++)
		out[i] = magic[i];
	out[4] = VERSION;
	out[5] = WINDOW;
	out[6] = (uint8_t)MAXP;
	out[7] = (uint8_t)(MAXP >> 8);
	out[8] = (uint8_t)kib;
	out[9] = (uint8_t)(kib >> 8);
	out[10] = (uint8_t)(SYSCLK / 1000000u);
	return 11;
}

static void run(uint8_t i)
{
	const struct slot *s = &slots[i];
	uint8_t cmd = s->cmd, seq = s->seq, st = S_OK;
	uint16_t n = 0;
	uint32_t brr = 0;

	switch (cmd) {
	case C_SYNC:
		n = hello();
		break;
	case C_BAUD: {
		uint32_t baud = s->len == 4 ? le32(s->d) : 0;

		if (baud < 9600 || baud > SYSCLK / 16)
			st = S_RANGE;
		else
			brr = (SYSCLK + baud / 2) / baud;
		break;
	}
	case C_ERASE:
		st = do_erase(s);
		break;
	case C_WRITE:
		st = do_write(s);
		break;
	case C_CRC:
		n = do_crc(s, &st);
		break;
	default:
		st = S_BADCMD;
	}
	if (st == S_OK && overrun) {
		st = S_OVERRUN;	/* bytes were lost under this frame: say so once */
		overrun = 0;
	}
	/* the slot is free before the answer leaves: the host may send the
	 * next frame as soon as it has it */
	rd = (uint8_t)((rd + 1) % WINDOW);
	nready--;
	reply(cmd, seq, st, out, n);
	if (brr) {	/* the answer has left at the old rate: switch */
		while (!(USART_SR & SR_TC))
			;
		USART_BRR = brr;
	}
}

void stub_main(void)
{
	for (uint32_t *p = &_bss_start; p < &_bss_end; p++)
		*p = 0;
	/* SYSCLK 64 MHz: wait states first, then the PLL (RM0008 7.3, 3.3.3) */
	FLASH_ACR = 0x12u;			/* LATENCY 2, prefetch on */
	RCC_CFGR = (14u << 18) | (4u << 8);	/* PLL x16 of HSI/2, APB1 /2 */
	RCC_CR |= 1u << 24;			/* PLLON */
	while (!(RCC_CR & (1u << 25)))		/* PLLRDY */
		;
	RCC_CFGR |= 2u;				/* SW = PLL */
	while ((RCC_CFGR & 0xCu) != 0x8u)	/* SWS = PLL */
		;
	RCC_AHBENR |= 1u << 6;			/* CRCEN */
	RCC_APB2ENR |= (1u << 2) | (1u << 14);	/* IOPAEN, USART1EN */
	GPIOA_CRH = (GPIOA_CRH & ~0xFF0u) | 0x4B0u;	/* PA9 AF push-pull, PA10 in */
	USART_BRR = (SYSCLK + 115200 / 2) / 115200;
	USART_CR1 = (1u << 13) | (1u << 12) | (1u << 10) | (1u << 3) | (1u << 2);
	flash_end = FLASH_BASE + ((uint32_t)FLASH_SIZE_KIB << 10);
	reply(C_HELLO, 0, S_OK, out, hello());
	for (;;) {
		poll_rx();
		if (bad_pending) {
			bad_pending = 0;
			reply(0xFF, expect, S_BADFRAME, 0, 0);
		}
		if (nready)
			run(rd);
	}
}
