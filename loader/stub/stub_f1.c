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
 *   - USART1: 8 data bits + even parity (as the ROM), at the host's rate;
 *   - the FPEC (KEYR unlock, PER/STRT page erase, PG half-word programming,
 *     SR BSY/PGERR/WRPRTERR/EOP) and the CRC unit (CRC-32 of flash words).
 * Single-threaded and polling: the receiver is served inside every wait
 * (flash busy, transmitter busy), so frames keep arriving while the flash
 * programs: the host keeps up to WINDOW frames in flight.
 *
 * Frames, host to stub:  0x5A cmd seq len16 payload crc32
 *          stub to host:  0xA5 cmd seq status len16 payload crc32
 * The stub talks at the rate whose BRR the host wrote into the image; it
 * never speaks first (a greeting could leave before the host has switched
 * its own rate), it answers: ERASE the page at addr, WRITE addr + data, CRC addr +
 * length (the CRC unit's CRC-32 of the range).  The host keeps to what the
 * stub does not check (docs/loader.md): the flash map, even addresses and
 * lengths, word-aligned CRC ranges, a BRR of 16 or more.  Every byte costs 100 us to load through the ROM, so
 * the stub is written small.
 * (little-endian; the CRC-32 is the IEEE/zlib one over everything between the
 * sync byte and the CRC).  Frames are taken strictly in sequence: one that
 * fails its CRC is answered BADFRAME naming the sequence number expected, and
 * every frame after it is dropped until that one comes again (go-back-N).
 */
#include <stdint.h>

struct usart { volatile uint32_t sr, dr, brr, cr1; };
struct fpec { volatile uint32_t acr, keyr, optkeyr, sr, cr, ar; };
struct rcc { volatile uint32_t cr, cfgr, cir, apb2rstr, apb1rstr, ahbenr, apb2enr; };
struct crcu { volatile uint32_t dr, idr, cr; };
#define USART ((struct usart *)0x40013800u)
#define FPEC ((struct fpec *)0x40022000u)
#define RCC ((struct rcc *)0x40021000u)
#define CRCU ((struct crcu *)0x40023000u)
#define GPIOA_CRH (*(volatile uint32_t *)0x40010804u)

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
#define WINDOW 3
#define MAXP 1028		/* a WRITE: 4 address bytes + 1 KiB */

enum { C_ERASE = 0x10, C_WRITE = 0x11, C_CRC = 0x12 };
enum { S_OK = 0, S_BADFRAME, S_BADCMD, S_RANGE, S_PGERR, S_WRPRT, S_VERIFY };

struct slot {
	uint8_t cmd, seq;
	uint16_t len;
	uint32_t addr;		/* the payload's first word */
	union {			/* the rest */
		uint8_t d[MAXP - 4];
		uint32_t w[(MAXP - 4) / 4];
	};
};

static struct slot slots[WINDOW];
static uint8_t rd, wr, nready;
/* the receiver: where it is in a frame, and the sequence number it wants */
static uint8_t rx_state, expect, bad_pending;
static uint16_t rx_have;
static uint32_t rx_crc, rx_got;

extern uint32_t _stack_top, _bss_start, _bss_end;
void stub_main(void);

/* The image starts as Go wants it (MSP, entry) and then holds the USART's
 * BRR, which the host writes into its copy before the upload: the stub
 * talks at the host's chosen rate from its first byte (docs/loader.md). */
__attribute__((section(".vectors"), used))
static const volatile uint32_t vectors[3] = { (uint32_t)&_stack_top, (uint32_t)stub_main,
					      (SYSCLK + 115200 / 2) / 115200 };

__attribute__((noinline)) static uint32_t crc_byte(uint32_t c, uint8_t b)
{
	c ^= b;
	for (int i = 0; i < 8; i++)
		c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
	return c;
}

/* Serve the receiver once: take a byte if one is there, build frames in the
 * free slot, byte by byte (header, payload, CRC). */
static void poll_rx(void)
{
	uint32_t sr = USART->sr;
	struct slot *s = &slots[wr];
	uint8_t *f = (uint8_t *)s;

	if (!(sr & (SR_RXNE | SR_ERR)))
		return;
	uint8_t b = (uint8_t)USART->dr;	/* reading SR then DR clears the errors */

	if (sr & SR_ERR)	/* lost or damaged: the frame's CRC will say so */
		b ^= 0xFF;
	if (!rx_state) {
		rx_state = b == 0x5A;
		rx_have = 0;
		rx_crc = ~0u;
		return;
	}
	if (rx_have < 4 || rx_have < 4u + s->len) {
		if (nready < WINDOW)
			f[rx_have] = b;
		rx_crc = crc_byte(rx_crc, b);
		if (++rx_have == 4 && s->len > MAXP) {
			rx_state = 0;
			bad_pending = 1;
		}
		return;
	}
	rx_got = rx_got >> 8 | (uint32_t)b << 24;
	if (++rx_have < 8u + s->len)
		return;
	rx_state = 0;
	if (rx_got != ~rx_crc || nready == WINDOW) {
		bad_pending = 1;	/* damaged, or the host broke the window */
		return;
	}
	if (s->seq != expect)
		return;		/* after a damaged frame: until that one comes again */
	expect++;
	nready++;
	if (++wr == WINDOW)
		wr = 0;
}

static void put(uint8_t b, uint32_t *crc)
{
	while (!(USART->sr & SR_TXE))
		poll_rx();
	USART->dr = b;
	*crc = crc_byte(*crc, b);
}

static void reply(uint8_t cmd, uint8_t seq, uint8_t status, const uint8_t *p, uint16_t n)
{
	uint32_t c = ~0u, junk;
	uint8_t h[5] = { cmd, seq, status, (uint8_t)n, (uint8_t)(n >> 8) };

	put(0xA5, &junk);
	for (int i = 0; i < 5; i++)
		put(h[i], &c);
	while (n--)
		put(*p++, &c);
	c = ~c;
	for (int i = 0; i < 4; i++, c >>= 8)
		put((uint8_t)c, &junk);
}

/* Wait for the FPEC, serving the receiver; the error it ended with. */
static uint8_t flash_wait(void)
{
	uint32_t sr;

	while ((sr = FPEC->sr) & F_BSY)
		poll_rx();
	FPEC->sr = sr & (F_PGERR | F_WRPRTERR | F_EOP);	/* write 1 to clear */
	return sr & F_WRPRTERR ? S_WRPRT : sr & F_PGERR ? S_PGERR : S_OK;
}

/* ERASE: the page at addr; WRITE: half-words from addr, those that are
 * 0xFFFF left to the erase before them. */
static uint8_t flash_op(const struct slot *s)
{
	uint32_t a = s->addr, n = s->len - 4u;
	uint8_t st = S_OK;

	if (FPEC->cr & CR_LOCK) {	/* KEY1, KEY2 (PM0075 2.3.1) */
		FPEC->keyr = 0x45670123u;
		FPEC->keyr = 0xCDEF89ABu;
	}
	if (s->cmd == C_ERASE) {
		FPEC->cr = CR_PER;
		FPEC->ar = a;
		FPEC->cr = CR_PER | CR_STRT;
		st = flash_wait();
	} else {
		FPEC->cr = CR_PG;
		for (uint32_t i = 0; i < n && st == S_OK; i += 2) {
			uint16_t h = (uint16_t)(s->d[i] | s->d[i + 1] << 8);
			volatile uint16_t *p = (volatile uint16_t *)(a + i);

			if (h == 0xFFFF)
				continue;
			*p = h;		/* the host's CRCs check what landed */
			st = flash_wait();
		}
	}
	FPEC->cr = 0;
	return st;
}

static void run(void)
{
	const struct slot *s = &slots[rd];
	uint8_t cmd = s->cmd, seq = s->seq, st = S_OK;
	const uint8_t *p = 0;
	uint16_t n = 0;
	uint32_t crc;

	if (cmd == C_CRC) {	/* CRC unit: words, MSB first (RM0008 4) */
		CRCU->cr = 1;
		for (uint32_t i = 0; i < s->w[0]; i += 4) {
			CRCU->dr = *(volatile uint32_t *)(s->addr + i);
			if (!(i & 63))	/* 16 words: ~300 cycles, < a byte at 2 Mbaud */
				poll_rx();
		}
		crc = CRCU->dr;
		p = (const uint8_t *)&crc;
		n = 4;
	} else if (cmd == C_ERASE || cmd == C_WRITE) {
		st = flash_op(s);
	} else {
		st = S_BADCMD;
	}
	/* the slot is free before the answer leaves: the host may send the
	 * next frame as soon as it has this answer */
	if (++rd == WINDOW)
		rd = 0;
	nready--;
	reply(cmd, seq, st, p, n);
}

void stub_main(void)
{
	for (uint32_t *q = &_bss_start; q < &_bss_end; q++)
		*q = 0;
	/* SYSCLK 64 MHz: wait states first, then the PLL (RM0008 7.3, 3.3.3) */
	/* whole registers written over their reset values (RM0008 7.3): each
	 * byte of the stub costs 100 us through the ROM */
	FPEC->acr = 0x12u;			/* LATENCY 2, prefetch on */
	RCC->cfgr = (14u << 18) | (4u << 8);	/* PLL x16 of HSI/2, APB1 /2 */
	RCC->cr = 0x01000081u;			/* PLLON, HSION, HSITRIM 16 */
	while (!(RCC->cr & (1u << 25)))		/* PLLRDY */
		;
	RCC->cfgr = (14u << 18) | (4u << 8) | 2u;	/* SW = PLL */
	while ((RCC->cfgr & 0xCu) != 0x8u)	/* SWS = PLL */
		;
	RCC->ahbenr = 0x54u;			/* SRAM, FLITF (reset), CRCEN */
	RCC->apb2enr = (1u << 2) | (1u << 14);	/* IOPAEN, USART1EN */
	GPIOA_CRH = 0x444444B4u;		/* PA9 AF push-pull, the rest inputs */
	USART->brr = vectors[2];
	/* UE, M (9 bits: 8 + parity), PCE (even), TE, RE: the ROM's 8E1 */
	USART->cr1 = (1u << 13) | (1u << 12) | (1u << 10) | (1u << 3) | (1u << 2);
	for (;;) {
		poll_rx();
		if (bad_pending) {
			bad_pending = 0;
			reply(0xFF, expect, S_BADFRAME, 0, 0);
		}
		if (nready)
			run();
	}
}
