// SPDX-License-Identifier: Apache-2.0
/*
 * The STM32 ROM UART bootloader, as ST AN3155 describes it, for the part
 * chip.c sets up (PID 0x414 or 0x413): 0x7F selects the UART, then each
 * command is its code and complement; addresses are 4 bytes MSB first plus
 * an XOR checksum; every bad checksum, complement or address gets NACK.
 *
 * Implemented and advertised by Get: Get, Get Version, Get ID, Read Memory,
 * Go, Write Memory, Extended Erase.  Anything else is NACKed, as the ROM
 * does for commands it does not have.
 */
#include <string.h>

#include "tools/dut-sim/dutsim.h"

#define ACK 0x79
#define NACK 0x1F
#define BL_VERSION 0x31

enum { ST_INIT, ST_CMD, ST_CPL, ST_COLLECT };

static const uint8_t commands[] = { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44 };

void rom_reset(struct sim *s)
{
	memset(&s->rom, 0, sizeof(s->rom));
	s->rom.state = ST_INIT;
}

/* Replies wait for the flash: a real ROM does not answer while programming. */
static uint64_t ready(struct sim *s)
{
	return s->busy_until > s->now_dev ? s->busy_until : s->now_dev;
}

static void reply(struct sim *s, const uint8_t *b, size_t n)
{
	wire_send(s, b, n, ready(s));
}

static void ack(struct sim *s)
{
	static const uint8_t a = ACK;

	reply(s, &a, 1);
}

/* NACK and wait for the next command */
static void nack(struct sim *s, const char *why)
{
	static const uint8_t n = NACK;

	sim_log("rom: NACK cmd 0x%02x: %s", s->rom.cmd, why);
	reply(s, &n, 1);
	s->rom.state = ST_CMD;
}

static void collect(struct sim *s, size_t n, int phase)
{
	s->rom.state = ST_COLLECT;
	s->rom.have = 0;
	s->rom.want = n;
	s->rom.phase = phase;
}

static uint8_t xor_of(const uint8_t *b, size_t n)
{
	uint8_t x = 0;

	while (n--)
		x ^= *b++;
	return x;
}

static int take_addr(struct sim *s)
{
	const uint8_t *b = s->rom.buf;

	if (xor_of(b, 4) != b[4])
		return -1;
	s->rom.addr = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	return 0;
}

static void busy_for(struct sim *s, uint64_t us)
{
	s->busy_until = ready(s) + (s->fast ? 0 : us * 1000);
}

static void cmd_start(struct sim *s)
{
	uint8_t b[20];
	size_t n = 0;

	switch (s->rom.cmd) {
	case 0x00: /* Get */
		b[n++] = ACK;
		b[n++] = sizeof(commands); /* N = bytes that follow - 1 */
		b[n++] = BL_VERSION;
		memcpy(b + n, commands, sizeof(commands));
		n += sizeof(commands);
		b[n++] = ACK;
		reply(s, b, n);
		s->rom.state = ST_CMD;
		return;
	case 0x01: /* Get Version: version, two option bytes (read protection off) */
		reply(s, (const uint8_t[]){ ACK, BL_VERSION, 0, 0, ACK }, 5);
		s->rom.state = ST_CMD;
		return;
	case 0x02: /* Get ID */
		reply(s, (const uint8_t[]){ ACK, 1, s->pid >> 8, s->pid & 0xff, ACK }, 5);
		s->rom.state = ST_CMD;
		return;
	case 0x11: /* Read Memory */
	case 0x21: /* Go */
	case 0x31: /* Write Memory */
		ack(s);
		collect(s, 5, 0);
		return;
	case 0x44: /* Extended Erase */
		ack(s);
		collect(s, 2, 0);
		return;
	default:
		nack(s, "not a bootloader command");
	}
}

static void do_read(struct sim *s)
{
	uint8_t out[1 + 256];
	size_t len = s->rom.buf[0] + 1u;
	const uint8_t *src;

	if ((s->rom.buf[0] ^ s->rom.buf[1]) != 0xff) {
		nack(s, "bad length complement");
		return;
	}
	src = mem_map(s, s->rom.addr, len, false);
	if (!src) {
		nack(s, "read outside memory");
		return;
	}
	out[0] = ACK;
	memcpy(out + 1, src, len);
	reply(s, out, len + 1);
	s->rom.state = ST_CMD;
}

static void do_go(struct sim *s)
{
	ack(s);
	s->rom.state = ST_CMD;
	if (s->rom.addr >= RAM_BASE && s->rom.addr < RAM_BASE + RAM_SIZE) {
		/* code loaded into SRAM runs on the emulated Cortex-M3 (cpu.c),
		 * from when the ACK has left */
		s->mode = cpu_go(s, s->rom.addr, s->tx_clock) == 0 ? MODE_STUB : MODE_DEAD;
		return;
	}
	if (s->rom.addr != FLASH_BASE) {
		/* the sim runs flash code only from its base (the firmware model) */
		sim_log("rom: Go 0x%08x: cannot execute there, board hangs", s->rom.addr);
		s->mode = MODE_DEAD;
		return;
	}
	sim_log("rom: Go 0x%08x", s->rom.addr);
	board_run_flash(s, ready(s));
}

/* A one-shot counter fault: true on the Nth call since it was set. */
static bool count_down(uint32_t *n)
{
	return *n && --*n == 0;
}

static bool nack_block_fault(struct sim *s)
{
	struct faults *f = &s->faults;

	if (f->nack_addr_set && s->rom.addr == f->nack_addr)
		return true;
	if (!count_down(&f->nack_block))
		return false;
	if (f->nack_always) {
		f->nack_addr_set = true;
		f->nack_addr = s->rom.addr;
	}
	return true;
}

/* The ACK that ends a Write Memory, with the late-ack and corrupt-ack
 * faults: the block is programmed either way, only the answer suffers. */
static void write_ack(struct sim *s)
{
	uint8_t a = ACK;
	uint64_t at = ready(s);

	if (count_down(&s->faults.late_ack)) {
		sim_log("fault late-ack: ACK to the write at 0x%08x held %u ms", s->rom.addr,
			s->faults.late_ack_ms);
		at += s->faults.late_ack_ms * 1000000ull;
	}
	if (count_down(&s->faults.corrupt_ack)) {
		sim_log("fault corrupt-ack: ACK to the write at 0x%08x sent as 0x59", s->rom.addr);
		a ^= 0x20;
	}
	wire_send(s, &a, 1, at);
}

static void do_write(struct sim *s)
{
	const uint8_t *b = s->rom.buf;
	size_t len = b[0] + 1u;
	uint8_t data[256];
	char why[96];
	uint32_t us;
	int ret;

	if (xor_of(b, len + 1) != b[len + 1]) {
		nack(s, "bad write checksum");
		return;
	}
	if ((s->rom.addr & 3) || (len & 3)) {
		nack(s, "write not 4-byte aligned");
		return;
	}
	if (!mem_map(s, s->rom.addr, len, true)) {
		nack(s, "write outside memory");
		return;
	}
	if (nack_block_fault(s)) {
		nack(s, "fault nack-block");
		return;
	}
	memcpy(data, b + 1, len);
	if (s->rom.addr >= RAM_BASE) {
		memcpy(s->ram + (s->rom.addr - RAM_BASE), data, len);
	} else {
		if (s->faults.corrupt_flash) {
			uint32_t r = sim_random(s);

			data[r % len] ^= 1u << (r >> 16) % 8;
		}
		ret = flash_program(s, s->rom.addr, data, len, &us, why, sizeof(why));
		busy_for(s, us);
		if (ret < 0) {
			/* AN3155 3.6: ACK only when the write succeeded */
			nack(s, why);
			return;
		}
	}
	write_ack(s);
	s->rom.state = ST_CMD;
}

static void do_erase_list(struct sim *s, uint32_t npages)
{
	const uint8_t *b = s->rom.buf;
	uint64_t us = 0;
	int64_t ret;

	if (xor_of(b, 2 + 2 * npages) != b[2 + 2 * npages]) {
		nack(s, "bad erase checksum");
		return;
	}
	for (uint32_t i = 0; i < npages; i++) {
		ret = flash_erase_pages(s, b[2 + 2 * i] << 8 | b[3 + 2 * i], 1);
		if (ret < 0) {
			nack(s, "no such page");
			return;
		}
		us += (uint64_t)ret;
	}
	sim_log("rom: erased %u pages", npages);
	busy_for(s, us);
	ack(s);
	s->rom.state = ST_CMD;
}

/* Extended Erase: N (2 bytes); 0xFFFF mass, 0xFFFE/D bank, else N+1 pages */
static void do_erase(struct sim *s)
{
	uint16_t n = s->rom.buf[0] << 8 | s->rom.buf[1];

	if (s->rom.phase == 0) {
		/* keep the two N bytes in buf: the checksum covers them */
		if (n >= 0xfff0)
			collect(s, 3, 1);
		else if (n >= s->n_sect || 2 + 2 * (n + 1u) + 1 > sizeof(s->rom.buf)) {
			nack(s, "too many pages");
			return;
		}
		else
			collect(s, 2 + 2 * (n + 1u) + 1, 2);
		s->rom.have = 2;
		return;
	}
	if (s->rom.phase == 2) {
		do_erase_list(s, n + 1u);
		return;
	}
	if ((s->rom.buf[0] ^ s->rom.buf[1]) != s->rom.buf[2]) {
		nack(s, "bad erase checksum");
		return;
	}
	if (n != 0xffff) {
		nack(s, "no such bank on a single-bank part");
		return;
	}
	sim_log("rom: mass erase");
	flash_erase_all(s);
	busy_for(s, s->t_mass_erase_ms * 1000ull);
	ack(s);
	s->rom.state = ST_CMD;
}

static void collected(struct sim *s)
{
	struct rom *r = &s->rom;

	if (r->cmd == 0x44) {
		do_erase(s);
		return;
	}
	if (r->phase == 0) {
		if (take_addr(s) < 0) {
			nack(s, "bad address checksum");
			return;
		}
		if (!mem_map(s, r->addr, 1, r->cmd != 0x11)) {
			nack(s, "address outside memory");
			return;
		}
		if (r->cmd == 0x21) {
			do_go(s);
			return;
		}
		ack(s);
		collect(s, r->cmd == 0x11 ? 2 : 1, 1);
		return;
	}
	if (r->cmd == 0x11) {
		do_read(s);
		return;
	}
	if (r->phase == 1) {	/* Write Memory: N known, now N+1 bytes + checksum */
		collect(s, r->buf[0] + 3u, 2);
		r->have = 1;
		return;
	}
	do_write(s);
}

static void garbage(struct sim *s)
{
	uint8_t b = 0x80 | sim_random(s);

	reply(s, &b, 1);
}

void rom_input(struct sim *s, uint8_t b)
{
	struct rom *r = &s->rom;

	if (s->faults.garbage) {
		garbage(s);
		return;
	}
	switch (r->state) {
	case ST_INIT:
		if (b == 0x7f) {
			sim_log("rom: 0x7F, USART selected");
			ack(s);
			r->state = ST_CMD;
		}
		return;
	case ST_CMD:
		r->cmd = b;
		r->state = ST_CPL;
		return;
	case ST_CPL:
		if ((r->cmd ^ b) != 0xff) {
			nack(s, "bad complement");
			return;
		}
		cmd_start(s);
		return;
	case ST_COLLECT:
		r->buf[r->have++] = b;
		if (r->have == r->want)
			collected(s);
		return;
	}
}
