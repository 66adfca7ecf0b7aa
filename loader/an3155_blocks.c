/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AN3155 load, the blocks: Write Memory (AN3155 3.6) of every 256-byte
 * block of the plan (blank ones inside erased flash skipped), or Read
 * Memory (3.4) of each and a compare; a write left uncertain by a lost ACK
 * settled by reading it back, a block found holding other data erased and
 * written again, within the retry budget.
 */
#include <stdio.h>
#include <string.h>

#define LOG_PREFIX "an3155"
#include "common/log.h"
#include "loader/an3155-internal.h"

_Static_assert(1 + BL_BLOCK + 1 <= BL_FRAME_MAX, "a Write Memory block must fit in a frame");

struct xfer {
	uint32_t addr;
	const uint8_t *data;
	uint32_t n;
	/* An attempt's data frame went out and no clean ACK came back (a
	 * timeout, a garbled answer): the ROM may have programmed the block. */
	bool uncertain;
	uint8_t rd[BL_BLOCK];
};

static int read_attempt(struct bl *b, void *ctx)
{
	struct xfer *x = ctx;
	const uint8_t f[2] = { (uint8_t)(x->n - 1), (uint8_t)~(x->n - 1) };
	int ret;

	ret = bl_cmd_addr(b, BL_READ, x->addr);
	if (ret == ST_OK)
		ret = bl_send_ack(b, f, 2, b->o->timeout_ms);
	if (ret == ST_OK)
		ret = bl_read(b, x->rd, x->n, b->o->timeout_ms);
	if (ret < 0)
		return ret;
	/* Read Memory carries no checksum: a mismatch is re-read (bl_retry)
	 * before it is believed, so line noise is not taken for bad flash. */
	for (uint32_t i = 0; i < x->n; i++)
		if (x->rd[i] != x->data[i])
			return st_fail(b->e, ST_ERR_VERIFY, "verify failed at 0x%08x: wrote 0x%02X, "
				       "read 0x%02X", x->addr + i, x->data[i], x->rd[i]);
	return ST_OK;
}

/*
 * A write NACKed after an attempt that may have programmed the block: an F1
 * refuses to program a half-word that is not erased (RM0008, PGERR), so the
 * NACK may only say the block is already there.  Reading it back decides:
 * the intended data is there (written), or something else is (the page
 * must be erased again: ST_ERR_EXISTS, which bl_retry does not retry).
 */
static int settle(struct bl *b, struct xfer *x)
{
	int ret;

	link_flush_input(b->l);
	ret = read_attempt(b, x);
	if (ret == ST_OK) {
		b->r->writes_confirmed++;
		log_warn("write at 0x%08x: not acknowledged, then refused; read back: the block "
			 "is in flash", x->addr);
		return ST_OK;
	}
	if (ret == ST_ERR_VERIFY) {
		char why[sizeof(b->e->msg)];

		snprintf(why, sizeof(why), "%s", b->e->msg);
		return st_fail(b->e, ST_ERR_EXISTS, "write at 0x%08x: not acknowledged, then "
			       "refused, and the flash holds other data (%s)", x->addr, why);
	}
	return ret;	/* the read itself failed: bl_retry retries the write */
}

static int write_attempt(struct bl *b, void *ctx)
{
	struct xfer *x = ctx;
	int ret;

	ret = bl_cmd_addr(b, BL_WRITE, x->addr);
	if (ret < 0)
		return ret;
	b->frame[0] = (uint8_t)(x->n - 1);
	memcpy(b->frame + 1, x->data, x->n);
	b->frame[x->n + 1] = bl_xor(b->frame, x->n + 1);
	ret = bl_send_ack(b, b->frame, x->n + 2, b->o->timeout_ms);
	if (ret == ST_ERR_TIMEOUT || ret == ST_ERR_PROTO)
		x->uncertain = true;
	else if (ret == ST_ERR_NACK && x->uncertain)
		return settle(b, x);
	return ret;
}

/* CRC-32 (IEEE 802.3, zlib's crc32()), bitwise: it runs once per block on
 * 256 bytes, far below the line's time for them. */
uint32_t bl_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

void bl_progress(const struct bl *b, uint64_t done, uint64_t total)
{
	if (b->o->progress)
		b->o->progress(b->o->progress_ctx, done, total);
}

/*
 * A block of 0xFF inside the flash this load erased already holds what the
 * image says: writing it would cost its wire time and programming time for
 * nothing (and, on parts with ECC, spend the words' one programming).  Only
 * inside the known flash: RAM, and everything when the geometry is unknown
 * (size 0), is written as it is.
 * Read-back still reads such blocks, so the erase itself is verified.
 */
static bool erased_blank(const struct bl *b, const struct geom *g, const struct xfer *x)
{
	if (!b->o->skip_blank || x->addr < g->base ||
	    (uint64_t)x->addr + x->n > (uint64_t)g->base + g->size)
		return false;
	for (uint32_t i = 0; i < x->n; i++)
		if (x->data[i] != 0xff)
			return false;
	return true;
}

/* The block of the plan that starts at *run, *off (a cursor over the runs). */
static void block_at(const struct plan *p, int run, uint32_t off, struct xfer *x)
{
	const struct run *r = &p->runs[run];

	x->addr = r->addr + off;
	x->data = r->data + off;
	x->n = r->len - off < BL_BLOCK ? r->len - off : BL_BLOCK;
	x->uncertain = false;
}

/* Where the loop stands: run, offset in it, 1-based block number, bytes done. */
struct cursor {
	int run;
	uint32_t off;
	int block;
	uint64_t done;
};

/*
 * After an unacknowledged write left other data in flash: erase the pages
 * (sectors) that hold the block again, and move the cursor back to the
 * first block of the image in them, which is written again.
 */
static int reerase(struct bl *b, const struct plan *p, const struct geom *g,
		   const struct xfer *x, struct cursor *c, uint64_t done0)
{
	struct geom_unit lo, hi;
	uint32_t start;
	int ret;

	geom_unit_at(g, x->addr - g->base, &lo);
	geom_unit_at(g, x->addr + x->n - 1 - g->base, &hi);
	log_warn("write at 0x%08x: the flash holds other data after an unacknowledged write: "
		 "erasing %s %u-%u again and rewriting the image there", x->addr,
		 g->sect ? "sectors" : "pages", lo.index, hi.index);
	ret = bl_erase_units(b, lo.index, hi.index - lo.index + 1, g);
	if (ret < 0)
		return ret;
	b->r->units_reerased += (int)(hi.index - lo.index + 1);
	start = g->base + lo.start;
	*c = (struct cursor){ .done = done0 };
	for (; c->run < p->n_runs; c->run++) {
		const struct run *r = &p->runs[c->run];

		for (c->off = 0; c->off < r->len; c->off += BL_BLOCK) {
			uint32_t n = r->len - c->off < BL_BLOCK ? r->len - c->off : BL_BLOCK;

			if ((uint64_t)r->addr + c->off + n > start)
				return ST_OK;	/* the first block in the erased range */
			c->block++;
			c->done += n;
		}
	}
	return ST_OK;
}

/* The verdict when a block holds other data and is not erased again: the
 * part's pages are unknown (layout_unknown), or the retries are spent. */
static int no_reerase(struct bl *b, const struct bl_op *op, bool layout_unknown, int reerases)
{
	char why[sizeof(b->e->msg)];

	snprintf(why, sizeof(why), "%s", b->e->msg);
	if (layout_unknown)
		return st_fail(b->e, ST_ERR_VERIFY, "%s (block %d of %d): its page cannot be "
			       "erased alone: the loader does not know this part's flash layout",
			       why, op->block, op->n_blocks);
	return st_fail(b->e, ST_ERR_VERIFY, "%s (block %d of %d), after %d erase%s and "
		       "rewrite%s: the line is unreliable; check the cabling and baud rate", why,
		       op->block, op->n_blocks, reerases, reerases == 1 ? "" : "s",
		       reerases == 1 ? "" : "s");
}

/* Write (read == false) or read back and compare every block of the plan. */
int bl_blocks(struct bl *b, const struct plan *p, const struct geom *g, bool read,
		  uint64_t done0, uint64_t total)
{
	struct xfer x;
	struct bl_op op = { .what = read ? "read" : "write", .has_addr = true,
			    .n_blocks = p->n_blocks, .timeout_ms = b->o->timeout_ms,
			    .nack_hint = read ? "the flash may be read-protected (RDP)"
					      : "the flash may be write-protected, or not erased" };
	struct cursor c = { .done = done0 };
	/* how far the load got: after erasing again, the blocks rewritten up
	 * to here count once in bytes_written and bytes_skipped */
	uint64_t high = done0;
	int reerases = 0, ret;

	while (c.run < p->n_runs) {
		if (c.off >= p->runs[c.run].len) {
			c.run++;
			c.off = 0;
			continue;
		}
		block_at(p, c.run, c.off, &x);
		op.addr = x.addr;
		op.block = ++c.block;
		if (!read && erased_blank(b, g, &x)) {
			if (c.done >= high)
				b->r->bytes_skipped += x.n;
		} else {
			ret = bl_retry(b, &op, read ? read_attempt : write_attempt, &x);
			if (ret == ST_ERR_EXISTS) {
				/* only where pages can be named, within the retry budget */
				if (!geom_known(g) || g->size == 0 || x.addr < g->base ||
				    x.addr - g->base >= g->size)
					return no_reerase(b, &op, true, 0);
				if (reerases == b->o->retries)
					return no_reerase(b, &op, false, reerases);
				reerases++;
				b->r->block_retries++;
				ret = reerase(b, p, g, &x, &c, done0);
				if (ret < 0)
					return ret;
				continue;
			}
			if (ret < 0)
				return ret;
			if (read) {
				b->r->bytes_verified += x.n;
				b->r->crc32 = bl_crc32(b->r->crc32, x.rd, x.n);
			} else if (c.done >= high) {
				b->r->bytes_written += x.n;
			}
		}
		c.done += x.n;
		if (c.done > high)
			high = c.done;
		if (read)
			b->verified = c.done - done0;
		else
			b->written = high - done0;
		c.off += BL_BLOCK;
		bl_progress(b, c.done, total);
	}
	return ST_OK;
}
