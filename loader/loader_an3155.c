/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The STM32 ROM UART bootloader on the wire (ST AN3155): command frames,
 * ACK/NACK, bounded retries, re-synchronisation after a timeout, and the
 * verdict an operator reads when an operation finally fails.
 *
 * Every command is: code + complement -> ACK, then (per command) a 4-byte
 * big-endian address + XOR -> ACK, then a data frame + XOR -> ACK.  Each part
 * goes out in one write; the next part waits for the ACK, as AN3155 requires
 * (the ROM reads its UART by polling and keeps no receive queue).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_PREFIX "an3155"
#include "common/log.h"
#include "loader/an3155-internal.h"

/* Re-sync: 0xFF fillers, a burst at most this long, and a quiet time after
 * the burst's own wire time before deciding nothing more is coming. */
#define RESYNC_BURST_MAX 64
#define RESYNC_QUIET_MS 20
#define RESYNC_MIN_MS 500

uint8_t bl_xor(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	while (n--)
		x ^= *p++;
	return x;
}

int bl_wait(const struct bl *b, int want_ms)
{
	long long left;

	if (!b->o->deadline_ms)
		return want_ms;
	left = b->o->deadline_ms - link_now_ms();
	if (left < 1)
		return 1;
	return left < want_ms ? (int)left : want_ms;
}

bool bl_time_up(const struct bl *b)
{
	return b->o->deadline_ms && link_now_ms() >= b->o->deadline_ms;
}

int bl_stop(struct bl *b, const char *fmt, ...)
{
	va_list ap;

	b->out_of_time = true;
	va_start(ap, fmt);
	vsnprintf(b->e->msg, sizeof(b->e->msg), fmt, ap);
	va_end(ap);
	b->e->code = ST_ERR_ABORTED;
	return ST_ERR_ABORTED;
}

int bl_read(struct bl *b, void *buf, size_t n, int timeout_ms)
{
	return link_read_exact(b->l, buf, n, bl_wait(b, timeout_ms), b->e);
}

static int bl_ack(struct bl *b, int timeout_ms)
{
	uint8_t c;
	int ret;

	ret = link_read_some(b->l, &c, 1, bl_wait(b, timeout_ms), b->e);
	if (ret < 0)
		return ret;
	if (c == BL_ACK)
		return ST_OK;
	if (c == BL_NACK)
		return st_fail(b->e, ST_ERR_NACK, "NACK to the %s", b->stage == STAGE_CMD ?
			       "command" : b->stage == STAGE_ADDR ? "address" : "data");
	return st_fail(b->e, ST_ERR_PROTO, "unexpected byte 0x%02x instead of ACK", c);
}

int bl_send_ack(struct bl *b, const uint8_t *buf, size_t n, int timeout_ms)
{
	int ret;

	ret = link_write(b->l, buf, n, bl_wait(b, b->o->timeout_ms), b->e);
	if (ret < 0)
		return ret;
	return bl_ack(b, timeout_ms);
}

int bl_cmd(struct bl *b, uint8_t cmd)
{
	const uint8_t f[2] = { cmd, (uint8_t)~cmd };

	b->stage = STAGE_CMD;
	return bl_send_ack(b, f, 2, b->o->timeout_ms);
}

int bl_addr(struct bl *b, uint32_t addr)
{
	uint8_t f[5] = { addr >> 24, addr >> 16, addr >> 8, addr };

	f[4] = bl_xor(f, 4);
	b->stage = STAGE_ADDR;
	return bl_send_ack(b, f, 5, b->o->timeout_ms);
}

int bl_cmd_addr(struct bl *b, uint8_t cmd, uint32_t addr)
{
	int ret = bl_cmd(b, cmd);

	if (ret == ST_OK)
		ret = bl_addr(b, addr);
	b->stage = ret == ST_OK ? STAGE_DATA : b->stage;
	return ret;
}

bool bl_has_cmd(const struct bl *b, uint8_t cmd)
{
	return memchr(b->cmds, cmd, (size_t)b->n_cmds) != NULL;
}

/* Milliseconds to wait for answers to n bytes just sent: their wire time at
 * the line's rate (11 bits a byte, 8E1) plus a margin. */
static int quiet_ms(const struct bl *b, size_t n)
{
	int baud = b->l->opts.baud > 0 ? b->l->opts.baud : 115200;

	return RESYNC_QUIET_MS + (int)(n * 11 * 1000 / (size_t)baud);
}

/* Read whatever arrives until the line is quiet; note any NACK. */
static int drain(struct bl *b, size_t sent, bool *nack)
{
	uint8_t buf[64];
	int ret;

	for (;;) {
		ret = link_read_some(b->l, buf, sizeof(buf), bl_wait(b, quiet_ms(b, sent)), b->e);
		if (ret == ST_ERR_TIMEOUT)
			return ST_OK;
		if (ret < 0)
			return ret;
		if (memchr(buf, BL_NACK, (size_t)ret))
			*nack = true;
	}
}

/*
 * After a timeout the bootloader may be waiting for the rest of a frame we
 * sent (a byte was lost) or may have answered late.  Feed it 0xFF fillers
 * until it answers NACK: 0xFF completes any frame with a wrong checksum (or
 * an invalid command pair 0xFF 0xFF), never a valid command.  Then one more
 * single filler answered by NACK proves it waits for a fresh command.
 */
static int bl_resync(struct bl *b)
{
	uint8_t ff[RESYNC_BURST_MAX];
	int budget = b->o->timeout_ms > RESYNC_MIN_MS ? b->o->timeout_ms : RESYNC_MIN_MS;
	long long give_up = link_now_ms() + budget;
	size_t burst = 1;
	bool nack = false;
	int ret;

	if (b->o->deadline_ms && b->o->deadline_ms < give_up)
		give_up = b->o->deadline_ms;	/* bl_retry() then says the time ran out */
	memset(ff, 0xff, sizeof(ff));
	while (!nack && link_now_ms() < give_up) {
		ret = link_write(b->l, ff, burst, bl_wait(b, b->o->timeout_ms), b->e);
		if (ret == ST_OK)
			ret = drain(b, burst, &nack);
		if (ret < 0)
			return ret;
		if (burst < RESYNC_BURST_MAX)
			burst *= 2;
	}
	for (int i = 0; nack && i < 3; i++) {
		uint8_t c;

		ret = link_write(b->l, ff, 1, bl_wait(b, b->o->timeout_ms), b->e);
		if (ret < 0)
			return ret;
		ret = link_read_some(b->l, &c, 1, bl_wait(b, quiet_ms(b, 1)), b->e);
		if (ret == 1 && c == BL_NACK) {
			link_flush_input(b->l);
			log_dbg("re-synchronised");
			return ST_OK;
		}
		if (ret < 0 && ret != ST_ERR_TIMEOUT)
			return ret;
	}
	return st_fail(b->e, ST_ERR_TIMEOUT, "no answer to re-sync fillers within %d ms", budget);
}

static const char *stage_hint(const struct bl *b, const struct bl_op *op, enum bl_stage st)
{
	if (st == STAGE_CMD)
		return "the bootloader refuses the command: the flash may be read-protected (RDP)";
	if (st == STAGE_ADDR)
		return "the bootloader refuses the address: check the load address against the "
		       "device's memory map";
	return op->nack_hint ? op->nack_hint : "the bootloader refused the data";
}

/* "write at 0x08000200" and " (block 3 of 32)", for verdicts. */
static void op_where(const struct bl_op *op, char *where, size_t wcap, char *blk, size_t bcap)
{
	if (op->has_addr)
		snprintf(where, wcap, "%s at 0x%08x", op->what, op->addr);
	else
		snprintf(where, wcap, "%s", op->what);
	blk[0] = '\0';
	if (op->n_blocks > 0)
		snprintf(blk, bcap, " (block %d of %d)", op->block, op->n_blocks);
}

/* The final word on an operation that failed every attempt. */
static int bl_verdict(struct bl *b, const struct bl_op *op, int tries, int nack, int tmo,
		      enum bl_stage nack_stage, bool silent)
{
	char where[64], blk[48];

	op_where(op, where, sizeof(where), blk, sizeof(blk));
	if (nack == tries)
		return st_fail(b->e, ST_ERR_NACK, "%s NACKed %d time%s%s: %s", where, nack,
			       nack == 1 ? "" : "s", blk, stage_hint(b, op, nack_stage));
	if (silent || tmo == tries)
		return st_fail(b->e, ST_ERR_TIMEOUT,
			       "%s%s: no answer from the ROM bootloader (%d attempt%s, timeout %d ms): "
			       "the board may have reset or lost power; check the console port "
			       "and the fixture's power", where, blk, tries, tries == 1 ? "" : "s",
			       op->timeout_ms);
	return st_fail(b->e, ST_ERR_PROTO,
		       "%s%s failed %d times (%d NACK, %d timeout, %d garbled): the line is "
		       "unreliable; check the cabling, baud rate and line mode (8E1 on a real UART)",
		       where, blk, tries, nack, tmo, tries - nack - tmo);
}

/* The load's time ran out at op. */
static int op_stop(struct bl *b, const struct bl_op *op)
{
	char where[64], blk[48];

	op_where(op, where, sizeof(where), blk, sizeof(blk));
	return bl_stop(b, "%s%s", where, blk);
}

int bl_retry(struct bl *b, const struct bl_op *op, bl_attempt_fn fn, void *ctx)
{
	enum bl_stage nack_stage = STAGE_DATA;
	int tries = 0, nack = 0, tmo = 0, ret, r2;

	for (;;) {
		if (bl_time_up(b))
			return op_stop(b, op);
		ret = fn(b, ctx);
		tries++;
		if (ret == ST_OK)
			return ST_OK;
		if (ret == ST_ERR_NACK) {
			nack++;
			nack_stage = b->stage;
		} else if (ret == ST_ERR_TIMEOUT) {
			tmo++;
		} else if (ret == ST_ERR_EXISTS) {
			return ret;	/* the attempt's message names it; blocks() decides */
		} else if (ret != ST_ERR_PROTO && ret != ST_ERR_VERIFY) {
			/* I/O error, the port gone: nothing to retry; say where */
			char where[64], blk[48];

			op_where(op, where, sizeof(where), blk, sizeof(blk));
			st_error_prefix(b->e, "%s%s", where, blk);
			return ret;
		}
		/* A wait the deadline cut short is no answer from the board, and
		 * no time is left to try again; a refusal on the last try stands. */
		if (bl_time_up(b) && (ret == ST_ERR_TIMEOUT || ret == ST_ERR_PROTO ||
				      tries <= b->o->retries))
			return op_stop(b, op);
		if (tries > b->o->retries)
			break;
		b->r->block_retries++;
		log_warn("%s at 0x%08x: %s; retry %d of %d", op->what, op->addr, b->e->msg,
			 tries, b->o->retries);
		if ((ret == ST_ERR_NACK && b->stage != STAGE_CMD) || ret == ST_ERR_VERIFY) {
			/* The exchange ended: the bootloader waits for a command.
			 * (A NACK to the command itself may mean we are a byte out
			 * of step with it - a stale byte, a late ACK - so that one
			 * re-syncs: retrying blindly would stay out of step.) */
			link_flush_input(b->l);
			continue;
		}
		r2 = bl_resync(b);
		if (r2 == ST_ERR_TIMEOUT && bl_time_up(b))
			return op_stop(b, op);
		if (r2 == ST_ERR_TIMEOUT)
			return bl_verdict(b, op, tries, nack, tmo, nack_stage, true);
		if (r2 < 0) {
			char where[64], blk[48];

			op_where(op, where, sizeof(where), blk, sizeof(blk));
			st_error_prefix(b->e, "%s%s: re-sync", where, blk);
			return r2;
		}
	}
	if (ret == ST_ERR_VERIFY)
		return ret;	/* the attempt's message names the address and bytes */
	return bl_verdict(b, op, tries, nack, tmo, nack_stage, false);
}

int bl_sync(struct bl *b)
{
	const uint8_t init = BL_INIT;
	int tries = b->o->retries + 1, junk = -1, ret;
	uint8_t c;

	/* A bootloader already synchronised takes 0x7F as the first byte of a
	 * command and NACKs the second: so always try at least twice. */
	if (tries < 2)
		tries = 2;
	link_flush_input(b->l);
	for (int i = 0; i < tries; i++) {
		if (bl_time_up(b))
			return bl_stop(b, "the first contact with the ROM bootloader (0x7F)");
		ret = link_write(b->l, &init, 1, bl_wait(b, b->o->timeout_ms), b->e);
		if (ret < 0)
			return ret;
		ret = link_read_some(b->l, &c, 1, bl_wait(b, b->o->timeout_ms), b->e);
		if (ret == ST_ERR_TIMEOUT)
			continue;
		if (ret < 0)
			return ret;
		if (c == BL_ACK || c == BL_NACK) {
			if (c == BL_NACK)
				log_dbg("NACK to 0x7F: the bootloader was already synchronised");
			return ST_OK;
		}
		junk = c;
		link_flush_input(b->l);
	}
	if (bl_time_up(b))
		return bl_stop(b, "the first contact with the ROM bootloader (0x7F)");
	if (junk >= 0)
		return st_fail(b->e, ST_ERR_PROTO,
			       "unexpected answer 0x%02x to 0x7F (expected ACK 0x79): the board may "
			       "be running its firmware: check BOOT0 was high at reset and the line "
			       "mode (8E1 on a real UART)", junk);
	return st_fail(b->e, ST_ERR_TIMEOUT,
		       "no answer from the ROM bootloader after 0x7F (timeout %d ms): check BOOT0 "
		       "was high at reset and the console port", b->o->timeout_ms);
}

/* Get and Get ID answer: ACK, N, N+1 bytes, ACK. */
static int read_list(struct bl *b, uint8_t cmd, uint8_t *out, int *n_out)
{
	uint8_t n;
	int ret;

	ret = bl_cmd(b, cmd);
	if (ret < 0)
		return ret;
	b->stage = STAGE_DATA;
	ret = bl_read(b, &n, 1, b->o->timeout_ms);
	if (ret == ST_OK)
		ret = bl_read(b, out, n + 1u, b->o->timeout_ms);
	if (ret == ST_OK)
		ret = bl_ack(b, b->o->timeout_ms);
	*n_out = n + 1;
	return ret;
}

static int get_attempt(struct bl *b, void *ctx)
{
	uint8_t buf[256];
	int n, ret;

	(void)ctx;
	ret = read_list(b, BL_GET, buf, &n);
	if (ret < 0)
		return ret;
	b->version = buf[0];
	b->n_cmds = n - 1;
	memcpy(b->cmds, buf + 1, (size_t)b->n_cmds);
	return ST_OK;
}

int bl_get(struct bl *b)
{
	const struct bl_op op = { .what = "Get", .timeout_ms = b->o->timeout_ms };

	return bl_retry(b, &op, get_attempt, NULL);
}

static int get_id_attempt(struct bl *b, void *ctx)
{
	uint8_t buf[256];
	int n, ret;

	(void)ctx;
	ret = read_list(b, BL_GET_ID, buf, &n);
	if (ret < 0)
		return ret;
	b->pid = n >= 2 ? (uint16_t)(buf[0] << 8 | buf[1]) : buf[0];
	return ST_OK;
}

int bl_get_id(struct bl *b)
{
	const struct bl_op op = { .what = "Get ID", .timeout_ms = b->o->timeout_ms };

	return bl_retry(b, &op, get_id_attempt, NULL);
}
