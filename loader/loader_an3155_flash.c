/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading an image through the STM32 ROM UART bootloader (ST AN3155):
 * sync, Get, Get ID, erase only the pages the image covers (or mass erase),
 * Write Memory in 256-byte blocks (blank ones skipped: erased flash is 0xFF),
 * verify by Read Memory, Go.
 *
 * The line is the bottleneck (265 wire bytes per 256-byte block), so the
 * block loop allocates nothing, sends each part of a command in one write
 * and never sleeps: the only waits are for the bootloader's answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "an3155"
#include "common/log.h"
#include "loader/an3155-internal.h"
#include "loader/stub-internal.h"

#define ERASE_CHUNK 64		/* pages per Extended Erase request */
#define ERASE_PAGE_MS 60	/* worst-case erase time of a small page... */
#define ERASE_MS_PER_KIB 32	/* ...and of a sector (F4: 4 s for 128 KiB) */
#define MASS_ERASE_MS 30000	/* bounded, however large the part */

/* Extended Erase (AN3155 3.9): N (2 bytes), 2 bytes a page, checksum; Erase
 * (3.8): N, 1 byte a page, checksum.  A chunk must fit in one frame. */
#define EXT_ERASE_FRAME(n) (2 + 2 * (size_t)(n) + 1)
#define ERASE_FRAME(n) (1 + (size_t)(n) + 1)
_Static_assert(EXT_ERASE_FRAME(ERASE_CHUNK) <= BL_FRAME_MAX,
	       "an Extended Erase chunk must fit in struct bl's frame");
_Static_assert(ERASE_FRAME(ERASE_CHUNK) <= BL_FRAME_MAX,
	       "an Erase chunk must fit in struct bl's frame");
_Static_assert(1 + BL_BLOCK + 1 <= BL_FRAME_MAX, "a Write Memory block must fit in a frame");

/* The image as 4-byte aligned runs of bytes to write: Write Memory takes
 * whole words, so gaps inside a word are padded with 0xFF (erased flash). */
struct run {
	uint32_t addr;
	uint32_t len;
	uint8_t *data;
};

struct plan {
	struct run *runs;
	int n_runs;
	uint8_t *buf;
	uint64_t bytes;
	int n_blocks;
};

static int plan_build(struct plan *p, const struct image *img, struct st_error *e)
{
	uint64_t off = 0;

	p->runs = calloc((size_t)img->n_seg, sizeof(*p->runs));
	if (!p->runs)
		return st_fail(e, ST_ERR_NOMEM, "out of memory planning the image");
	/* Segments are sorted and disjoint; merge those sharing a word. */
	for (int i = 0; i < img->n_seg; i++) {
		uint64_t a = img->seg[i].addr & ~3u;
		uint64_t end = ((uint64_t)img->seg[i].addr + img->seg[i].len + 3) & ~3ull;
		struct run *last = p->n_runs ? &p->runs[p->n_runs - 1] : NULL;

		if (last && a <= (uint64_t)last->addr + last->len) {
			last->len = (uint32_t)(end - last->addr);
			continue;
		}
		p->runs[p->n_runs++] = (struct run){ .addr = (uint32_t)a, .len = (uint32_t)(end - a) };
	}
	for (int i = 0; i < p->n_runs; i++) {
		p->bytes += p->runs[i].len;
		p->n_blocks += (int)((p->runs[i].len + BL_BLOCK - 1) / BL_BLOCK);
	}
	p->buf = malloc(p->bytes);
	if (!p->buf)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for %llu bytes",
			       (unsigned long long)p->bytes);
	memset(p->buf, 0xff, p->bytes);
	for (int i = 0, s = 0; i < p->n_runs; i++) {
		struct run *r = &p->runs[i];

		r->data = p->buf + off;
		off += r->len;
		for (; s < img->n_seg && img->seg[s].addr < (uint64_t)r->addr + r->len; s++)
			memcpy(r->data + (img->seg[s].addr - r->addr), img->seg[s].data,
			       img->seg[s].len);
	}
	return ST_OK;
}

static void plan_free(struct plan *p)
{
	free(p->runs);
	free(p->buf);
}

/* ---- erase -------------------------------------------------------------- */

struct erase_req {
	uint8_t cmd;
	size_t n;		/* bytes in b->frame */
	int timeout_ms;
};

static int erase_attempt(struct bl *b, void *ctx)
{
	const struct erase_req *q = ctx;
	int ret;

	ret = bl_cmd(b, q->cmd);
	if (ret < 0)
		return ret;
	b->stage = STAGE_DATA;
	return bl_send_ack(b, b->frame, q->n, q->timeout_ms);
}

static int erase_send(struct bl *b, uint32_t first, uint32_t n, const struct geom *g)
{
	const bool ext = bl_has_cmd(b, BL_EXT_ERASE);
	struct erase_req q = { .cmd = ext ? BL_EXT_ERASE : BL_ERASE };
	char what[64];
	struct bl_op op = { .what = what, .has_addr = true,
			    .nack_hint = "the flash may be write-protected" };
	struct geom_unit u0;
	size_t k = 0;

	if (!ext && first + n > 256)
		return st_fail(b->e, ST_ERR_NOTSUP,
			       "page %u is beyond what Erase (0x43) can name: use mass erase",
			       first + n - 1);
	if (n < 1 || (ext ? EXT_ERASE_FRAME(n) : ERASE_FRAME(n)) > sizeof(b->frame))
		return st_fail(b->e, ST_ERR_LIMIT, "erase of %u pages at once does not fit in "
			       "one %zu-byte frame (a loader bug: report it)", n, sizeof(b->frame));
	if (ext) {
		b->frame[k++] = (uint8_t)((n - 1) >> 8);
		b->frame[k++] = (uint8_t)(n - 1);
	} else {
		b->frame[k++] = (uint8_t)(n - 1);
	}
	for (uint32_t pg = first; pg < first + n; pg++) {
		if (ext)
			b->frame[k++] = (uint8_t)(pg >> 8);
		b->frame[k++] = (uint8_t)pg;
	}
	b->frame[k] = bl_xor(b->frame, k);
	q.n = k + 1;
	q.timeout_ms = b->o->timeout_ms;
	for (uint32_t pg = first; pg < first + n; pg++) {
		struct geom_unit u;
		uint32_t ms;

		geom_unit_no(g, pg, &u);
		ms = u.size / 1024 * ERASE_MS_PER_KIB;
		q.timeout_ms += (int)(ms > ERASE_PAGE_MS ? ms : ERASE_PAGE_MS);
	}
	snprintf(what, sizeof(what), "erase of %s %u-%u", g->sect ? "sectors" : "pages", first,
		 first + n - 1);
	geom_unit_no(g, first, &u0);
	op.addr = g->base + u0.start;
	op.timeout_ms = q.timeout_ms;
	return bl_retry(b, &op, erase_attempt, &q);
}

static int mass_erase(struct bl *b)
{
	const bool ext = bl_has_cmd(b, BL_EXT_ERASE);
	struct erase_req q = { .cmd = ext ? BL_EXT_ERASE : BL_ERASE,
			       .timeout_ms = b->o->timeout_ms + MASS_ERASE_MS };
	const struct bl_op op = { .what = "mass erase", .timeout_ms = q.timeout_ms,
				  .nack_hint = "the flash may be write- or read-protected" };

	if (ext) {
		memcpy(b->frame, (const uint8_t[]){ 0xff, 0xff, 0x00 }, 3);
		q.n = 3;
	} else {
		memcpy(b->frame, (const uint8_t[]){ 0xff, 0x00 }, 2);
		q.n = 2;
	}
	log_info("mass erase");
	return bl_retry(b, &op, erase_attempt, &q);
}

/* Erase the pages the runs touch, ascending, ERASE_CHUNK at a time. */
static int erase_pages(struct bl *b, const struct plan *p, const struct geom *g)
{
	uint64_t fend = (uint64_t)g->base + g->size;
	uint32_t first = 0, n = 0, pages = 0, next = 0;
	int ret;

	for (int i = 0; i < p->n_runs; i++) {
		const struct run *r = &p->runs[i];
		uint64_t rend = (uint64_t)r->addr + r->len;
		struct geom_unit u;
		uint32_t lo, hi;

		if (rend <= g->base || r->addr >= fend)
			continue;	/* RAM or elsewhere: nothing to erase */
		if (r->addr < g->base || rend > fend)
			return st_fail(b->e, ST_ERR_ARG,
				       "image data at 0x%08x-0x%08llx lies outside the flash of chip "
				       "0x%04x (%u KiB at 0x%08x): check the load address", r->addr,
				       (unsigned long long)rend - 1, b->pid, g->size >> 10, g->base);
		geom_unit_at(g, r->addr - g->base, &u);
		lo = u.index;
		geom_unit_at(g, (uint32_t)(rend - 1 - g->base), &u);
		hi = u.index;
		if (lo < next)
			lo = next;	/* the previous run's last page is queued */
		for (uint32_t pg = lo; pg <= hi; pg++) {
			if (n && (pg != first + n || n == ERASE_CHUNK)) {
				ret = erase_send(b, first, n, g);
				if (ret < 0)
					return ret;
				pages += n;
				n = 0;
			}
			if (!n)
				first = pg;
			n++;
			next = pg + 1;
		}
	}
	if (n) {
		ret = erase_send(b, first, n, g);
		if (ret < 0)
			return ret;
		pages += n;
	}
	if (g->sect)
		log_info("erased %u sector(s)", pages);
	else
		log_info("erased %u page(s) of %u bytes", pages, g->page);
	return ST_OK;
}

/* "128 KiB", or "768 bytes" when not whole KiB. */
static const char *size_str(uint64_t n, char *buf, size_t cap)
{
	if (n % 1024)
		snprintf(buf, cap, "%llu bytes", (unsigned long long)n);
	else
		snprintf(buf, cap, "%llu KiB", (unsigned long long)n / 1024);
	return buf;
}

/*
 * Every run of the image inside the part's flash, or inside its RAM (an
 * image loaded to run from RAM): checked once the part is known and before
 * anything is erased or written, so a wrong address or an image built for
 * a larger part is a configuration error (ST_ERR_ARG), not a refused write
 * that looks like a bad board.  Unknown geometry: nothing to check against.
 */
static int check_map(struct bl *b, const struct plan *p, const struct geom *g)
{
	const uint64_t fend = (uint64_t)g->base + g->size, rend = (uint64_t)g->ram_base + g->ram_size;
	uint64_t lo = UINT64_MAX, hi = 0;
	char ram[64] = "";

	if (!g->size)
		return ST_OK;
	if (g->ram_size)
		snprintf(ram, sizeof(ram), " and RAM (0x%08x-0x%08llx)", g->ram_base,
			 (unsigned long long)rend - 1);
	for (int i = 0; i < p->n_runs; i++) {
		const struct run *r = &p->runs[i];
		uint64_t end = (uint64_t)r->addr + r->len;

		if (g->ram_size && r->addr >= g->ram_base && end <= rend)
			continue;
		if (r->addr >= g->base && r->addr < fend) {
			lo = lo < r->addr ? lo : r->addr;
			hi = hi > end ? hi : end;
			continue;
		}
		return st_fail(b->e, ST_ERR_ARG, "address: image data at 0x%08x-0x%08llx is outside "
			       "chip 0x%04x's flash (0x%08x-0x%08llx)%s: check the load address or "
			       "the address the image is linked for", r->addr,
			       (unsigned long long)end - 1, b->pid, g->base,
			       (unsigned long long)fend - 1, ram);
	}
	if (hi > fend && hi - lo > g->size) {
		char img[32], fl[32];

		return st_fail(b->e, ST_ERR_ARG, "size: the image's flash data is %s "
			       "(0x%08llx-0x%08llx), more than chip 0x%04x's flash (%s): check the "
			       "image is built for this part", size_str(hi - lo, img, sizeof(img)),
			       (unsigned long long)lo, (unsigned long long)hi - 1, b->pid,
			       size_str(g->size, fl, sizeof(fl)));
	}
	if (hi > fend)
		return st_fail(b->e, ST_ERR_ARG, "address: image data at 0x%08llx-0x%08llx runs past "
			       "the end of chip 0x%04x's flash (0x%08x-0x%08llx): check the load "
			       "address or the address the image is linked for",
			       (unsigned long long)lo, (unsigned long long)hi - 1, b->pid, g->base,
			       (unsigned long long)fend - 1);
	return ST_OK;
}

static int erase(struct bl *b, const struct plan *p, const struct geom *g)
{
	if (b->o->mass_erase)
		return mass_erase(b);
	if (!geom_known(g)) {
		log_warn("chip 0x%04x is not in the loader's table of flash layouts: erasing the "
			 "whole flash (mass erase)", b->pid);
		return mass_erase(b);
	}
	return erase_pages(b, p, g);
}

/* ---- write, verify, go ---------------------------------------------------- */

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
		ret = link_read_exact(b->l, x->rd, x->n, b->o->timeout_ms, b->e);
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

static void progress(const struct bl *b, uint64_t done, uint64_t total)
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
	ret = erase_send(b, lo.index, hi.index - lo.index + 1, g);
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
static int blocks(struct bl *b, const struct plan *p, const struct geom *g, bool read,
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
		c.off += BL_BLOCK;
		progress(b, c.done, total);
	}
	return ST_OK;
}

static int go_attempt(struct bl *b, void *ctx)
{
	const uint32_t *addr = ctx;

	return bl_cmd_addr(b, BL_GO, *addr);
}

static int go(struct bl *b, uint32_t addr)
{
	const struct bl_op op = { .what = "Go", .addr = addr, .has_addr = true,
				  .timeout_ms = b->o->timeout_ms };

	log_info("Go 0x%08x", addr);
	return bl_retry(b, &op, go_attempt, &addr);
}

/* Every command this load needs must be offered by Get. */
static int check_cmds(struct bl *b)
{
	const struct { uint8_t cmd; bool need; const char *name; } need[] = {
		{ BL_WRITE, true, "Write Memory (0x31)" },
		{ BL_READ, b->o->verify != VERIFY_NONE, "Read Memory (0x11), needed to verify" },
		{ BL_GO, b->o->go, "Go (0x21)" },
	};

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (need[i].need && !bl_has_cmd(b, need[i].cmd))
			return st_fail(b->e, ST_ERR_NOTSUP, "the ROM bootloader (v%u.%u) does not "
				       "offer %s", b->version >> 4, b->version & 15, need[i].name);
	if (!bl_has_cmd(b, BL_EXT_ERASE) && !bl_has_cmd(b, BL_ERASE))
		return st_fail(b->e, ST_ERR_NOTSUP, "the ROM bootloader (v%u.%u) offers neither "
			       "Erase (0x43) nor Extended Erase (0x44)", b->version >> 4,
			       b->version & 15);
	return ST_OK;
}

static int identify(struct bl *b, struct geom *g)
{
	int ret;

	ret = bl_sync(b);
	if (ret == ST_OK)
		ret = bl_get(b);
	if (ret < 0)
		return ret;
	b->r->bl_version = b->version;
	ret = check_cmds(b);
	if (ret == ST_OK && bl_has_cmd(b, BL_GET_ID))
		ret = bl_get_id(b);
	if (ret < 0)
		return ret;
	snprintf(b->r->chip_id, sizeof(b->r->chip_id), "0x%04x", b->pid);
	log_info("ROM bootloader v%u.%u, chip id %s", b->version >> 4, b->version & 15,
		 b->r->chip_id);
	return bl_geometry(b, g);
}

/* The stub path, and on a doubt the way back to the ROM: ST_OK when the stub
 * loaded the image (and Go, if asked, is done), ST_ERR_NOTSUP when the part
 * has no stub (nothing sent), STUB_FELL_BACK when the ROM is ready again for
 * the ROM path (r->protocol says why), or an error. */
#define STUB_FELL_BACK 1
static int try_stub(struct bl *b, const struct image *img, struct geom *g)
{
	const struct loader_opts *o = b->o;
	struct loader_result *r = b->r;
	struct link_opts rom_lo = b->l->opts;
	struct stub_load_result sr;
	char why[ST_ERRMSG_MAX];
	int ret;

	ret = stub_load(b, img, g, &sr);
	r->pages_unchanged = sr.pages_unchanged;
	r->frames_resent = sr.bad_frames;
	if (ret == ST_OK) {
		snprintf(r->protocol, sizeof(r->protocol), "stub");
		if (o->go)
			log_info("the stub has no Go: the sequence resets the board into its "
				 "firmware");
		return ST_OK;
	}
	if (ret == ST_ERR_NOTSUP || ret == ST_ERR_ABORTED || link_cancelled())
		return ret;
	snprintf(why, sizeof(why), "%s", b->e->msg);
	snprintf(r->protocol, sizeof(r->protocol), "rom, after the stub failed: %.400s", why);
	log_warn("stub: %s: falling back to the ROM protocol", why);
	link_set_opts(b->l, &rom_lo, NULL);
	if (sr.went) {
		if (!o->reenter_rom)
			return st_fail(b->e, ret, "the stub failed (%s) and this fixture cannot "
				       "reset the board into its ROM bootloader for the ROM path",
				       why);
		ret = o->reenter_rom(o->reenter_ctx, b->e);
		if (ret < 0) {
			char how[ST_ERRMSG_MAX];

			snprintf(how, sizeof(how), "%s", b->e->msg);
			return st_fail(b->e, ST_ERR_ARG, "the stub failed (%.200s) and the "
				       "loader cannot reset the board into its ROM bootloader for the "
				       "ROM path: %.200s (give the fixture boot and reset lines, or use "
				       "protocol: rom)", why, how);
		}
	}
	r->bytes_written = r->bytes_verified = r->bytes_skipped = 0;
	r->pages_unchanged = 0;
	ret = identify(b, g);
	return ret == ST_OK ? STUB_FELL_BACK : ret;
}

int an3155_flash(struct link *l, const struct image *img, const struct loader_opts *o,
		 struct loader_result *r, struct st_error *e)
{
	struct bl b = { .l = l, .o = o, .r = r, .e = e };
	struct plan p = { 0 };
	struct geom g;
	long long t0 = link_now_ms();
	uint64_t total;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!img || img->n_seg < 1)
		return st_fail(e, ST_ERR_ARG, "no image data to load");
	if (o->timeout_ms <= 0 || o->retries < 0)
		return st_fail(e, ST_ERR_ARG, "loader timeout (%d ms) and retries (%d) must be "
			       "positive", o->timeout_ms, o->retries);
	ret = plan_build(&p, img, e);
	if (ret < 0)
		goto out;
	ret = identify(&b, &g);
	if (ret == ST_OK)
		ret = check_map(&b, &p, &g);
	if (ret < 0)
		goto out;
	snprintf(r->protocol, sizeof(r->protocol), "rom");
	if (o->protocol != PROTO_ROM) {
		ret = try_stub(&b, img, &g);
		if (ret == ST_ERR_NOTSUP && o->protocol == PROTO_AUTO) {
			log_info("%s: the ROM protocol", b.e->msg);
		} else if (ret == ST_ERR_NOTSUP) {	/* protocol: stub asked for it */
			char why[ST_ERRMSG_MAX];

			snprintf(why, sizeof(why), "%s", e->msg);
			ret = st_fail(e, ST_ERR_ARG, "protocol stub: %.400s (use protocol: rom "
				      "or auto)", why);
			goto out;
		} else if (ret != STUB_FELL_BACK) {
			goto out;
		}
	}
	ret = erase(&b, &p, &g);
	if (ret < 0)
		goto out;
	total = p.bytes * (o->verify != VERIFY_NONE ? 2 : 1);
	progress(&b, 0, total);
	ret = blocks(&b, &p, &g, false, 0, total);
	if (ret < 0)
		goto out;
	if (o->verify == VERIFY_CRC)
		log_info("the ROM bootloader has no CRC command: CRC verify reads the flash back");
	if (o->verify != VERIFY_NONE) {
		ret = blocks(&b, &p, &g, true, p.bytes, total);
		if (ret < 0)
			goto out;
	}
	if (o->go)
		ret = go(&b, o->go_addr ? o->go_addr : img->seg[0].addr);
out:
	r->elapsed_ms = link_now_ms() - t0;
	if (ret == ST_OK)
		log_info("wrote %llu bytes in %d blocks (%llu blank bytes left erased), verified "
			 "%llu, %d retries, %lld ms", (unsigned long long)r->bytes_written,
			 p.n_blocks, (unsigned long long)r->bytes_skipped,
			 (unsigned long long)r->bytes_verified, r->block_retries, r->elapsed_ms);
	plan_free(&p);
	return ret;
}

const struct loader loader_an3155 = {
	.name = "an3155",
	.flash = an3155_flash,
};
