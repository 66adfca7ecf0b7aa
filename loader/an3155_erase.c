/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AN3155 load, the image's plan and the erase: the image as word-aligned
 * runs of bytes, checked against the part's flash and RAM before anything
 * is touched, then only the pages (sectors) the runs cover erased, with
 * Extended Erase (AN3155 3.9) or Erase (3.8), ERASE_CHUNK at a time; or
 * the whole flash (mass erase) when asked or when the layout is unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "an3155"
#include "common/log.h"
#include "loader/an3155-internal.h"

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

int bl_plan_build(struct plan *p, const struct image *img, struct st_error *e)
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

void bl_plan_free(struct plan *p)
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

int bl_erase_units(struct bl *b, uint32_t first, uint32_t n, const struct geom *g)
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
				ret = bl_erase_units(b, first, n, g);
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
		ret = bl_erase_units(b, first, n, g);
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
int bl_check_map(struct bl *b, const struct plan *p, const struct geom *g)
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

int bl_erase(struct bl *b, const struct plan *p, const struct geom *g)
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
