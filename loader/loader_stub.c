/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The STB1 flasher stub path (docs/loader.md, loader/stub/stub_f1.c): the ROM
 * bootloader writes the stub into SRAM and starts it with Go; the stub then
 * takes CRC-framed packets, several in flight, at a higher rate, programs
 * them while the next ones arrive, and answers CRC-32s of flash ranges
 * computed on the chip.  Pages whose CRC already matches the image are left
 * alone (a re-flash of the same image writes nothing); a load is verified by
 * CRC of every page it wrote.  Any doubt (no answer, a damaged frame that
 * retries do not cure, a CRC mismatch, an error from the stub) is returned
 * with stub_load_result.went to say whether the ROM is still there; the
 * caller falls back to the ROM protocol (loader_an3155_flash.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "stub"
#include "common/log.h"
#include "loader/stub-internal.h"

#define STUB_ADDR 0x20000200u	/* above the F1 ROM's 512 bytes of RAM (AN2606) */
#define S_SYNC_TX 0x5A
#define S_SYNC_RX 0xA5
#define MAXP 1028
#define MAX_WINDOW 8
#define BAD_ROUNDS 4		/* go-back-N rounds before giving up */

enum { C_HELLO = 0, C_BAUD = 1, C_SYNC = 2, C_ERASE = 0x10, C_WRITE = 0x11, C_CRC = 0x12,
       C_BAD = 0xFF };
static const char *const status_names[] = {
	"ok", "damaged frame", "unknown command", "address out of range",
	"PGERR (a half-word not erased)", "WRPRTERR (write-protected)",
	"a programmed half-word reads back wrong", "bytes lost (USART overrun)",
};

extern const unsigned char loader_stub_f1[];
extern const size_t loader_stub_f1_len;

struct frame {
	uint8_t cmd;
	uint32_t addr;
	uint16_t len;			/* payload bytes */
	const uint8_t *data;		/* WRITE: len - 4 bytes; else NULL */
	uint32_t a2, a3;		/* CRC: length, chunk */
};

struct stub {
	struct bl *b;
	uint8_t seq;
	int window;
	uint16_t maxp;
	uint8_t tx[5 + MAXP + 4];
	uint8_t rx[6 + 1024 + 4];
	uint8_t rx_cmd, rx_seq, rx_status;
	uint16_t rx_len;
	int bad_frames;
};

/* CRC-32 as the STM32 CRC unit computes it over 32-bit words: polynomial
 * 0x04C11DB7, initial value all ones, MSB first, no reflection, no final
 * XOR (RM0008 section 4); flash words are read little-endian. */
uint32_t stub_crc_words(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i += 4) {
		crc ^= (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
		       (uint32_t)p[i + 3] << 24;
		for (int k = 0; k < 32; k++)
			crc = crc & 0x80000000u ? crc << 1 ^ 0x04C11DB7u : crc << 1;
	}
	return crc;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int send_frame(struct stub *s, const struct frame *f, uint8_t seq)
{
	uint8_t *t = s->tx;
	size_t n = 0;

	t[n++] = S_SYNC_TX;
	t[n++] = f->cmd;
	t[n++] = seq;
	t[n++] = (uint8_t)f->len;
	t[n++] = (uint8_t)(f->len >> 8);
	if (f->cmd == C_BAUD || f->cmd == C_ERASE || f->cmd == C_WRITE || f->cmd == C_CRC) {
		le32(t + n, f->addr);
		n += 4;
	}
	if (f->cmd == C_CRC) {
		le32(t + n, f->a2);
		le32(t + n + 4, f->a3);
		n += 8;
	}
	if (f->data) {
		memcpy(t + n, f->data, f->len - 4u);
		n += f->len - 4u;
	}
	le32(t + n, bl_crc32(0, t + 1, n - 1));
	n += 4;
	return link_write(s->b->l, t, n, s->b->o->timeout_ms, s->b->e);
}

/* The next answer: sync, header, payload, CRC; noise before the sync byte
 * is skipped (bounded), a damaged answer is ST_ERR_PROTO. */
static int read_reply(struct stub *s, int timeout_ms)
{
	struct bl *b = s->b;
	uint8_t c = 0, *h = s->rx;
	int ret, skipped = 0;

	do {
		ret = link_read_some(b->l, &c, 1, timeout_ms, b->e);
		if (ret < 0)
			return ret == ST_ERR_TIMEOUT ?
			       st_fail(b->e, ST_ERR_TIMEOUT, "no answer from the stub within %d ms",
				       timeout_ms) : ret;
	} while (c != S_SYNC_RX && ++skipped < 2 * MAXP);
	if (c != S_SYNC_RX)
		return st_fail(b->e, ST_ERR_PROTO, "%d bytes of noise and no stub answer", skipped);
	ret = link_read_exact(b->l, h, 5, timeout_ms, b->e);
	if (ret < 0)
		return ret;
	s->rx_cmd = h[0];
	s->rx_seq = h[1];
	s->rx_status = h[2];
	s->rx_len = (uint16_t)(h[3] | h[4] << 8);
	if (s->rx_len > 1024)
		return st_fail(b->e, ST_ERR_PROTO, "a stub answer of %u bytes (at most 1024)",
			       s->rx_len);
	ret = link_read_exact(b->l, h + 5, s->rx_len + 4u, timeout_ms, b->e);
	if (ret < 0)
		return ret;
	if (get32(h + 5 + s->rx_len) != bl_crc32(0, h, 5u + s->rx_len))
		return st_fail(b->e, ST_ERR_PROTO, "a stub answer failed its CRC");
	return ST_OK;
}

static const char *status_name(uint8_t st)
{
	return st < sizeof(status_names) / sizeof(status_names[0]) ? status_names[st] : "?";
}

/* Send frames f[0..n) with up to s->window in flight, each answered in
 * order once done; a frame the stub found damaged is sent again with all
 * after it (it drops those until the one it wants comes). */
static int exchange(struct stub *s, const struct frame *f, size_t n, uint8_t *out,
		    void (*on_done)(void *ctx, size_t i), void *ctx)
{
	struct bl *b = s->b;
	uint8_t base = s->seq;
	size_t sent = 0, done = 0;
	int ret, rounds = 0;

	while (done < n) {
		while (sent < n && sent - done < (size_t)s->window) {
			ret = send_frame(s, &f[sent], (uint8_t)(base + sent));
			if (ret < 0)
				return ret;
			sent++;
		}
		ret = read_reply(s, b->o->timeout_ms);
		if (ret < 0)
			return ret;
		if (s->rx_cmd == C_BAD) {
			if (++rounds > BAD_ROUNDS)
				return st_fail(b->e, ST_ERR_PROTO, "frames still damaged after %d "
					       "resends", BAD_ROUNDS);
			s->bad_frames++;
			log_warn("the stub got a damaged frame: sending again from #%u",
				 (uint8_t)(s->rx_seq - base));
			/* let what is in flight end, drop it, then go back */
			while (read_reply(s, 50) != ST_ERR_TIMEOUT)
				;
			link_flush_input(b->l);
			sent = done;
			continue;
		}
		if (s->rx_seq != (uint8_t)(base + done) || s->rx_cmd != f[done].cmd)
			return st_fail(b->e, ST_ERR_PROTO, "the stub answered #%u (0x%02x) when "
				       "#%u (0x%02x) was due", (uint8_t)(s->rx_seq - base),
				       s->rx_cmd, (unsigned)done, f[done].cmd);
		if (s->rx_status)
			return st_fail(b->e, ST_ERR_FAIL, "the stub refused %s at 0x%08x: %s",
				       f[done].cmd == C_WRITE ? "a write" : f[done].cmd == C_ERASE ?
				       "an erase" : "a command", f[done].addr,
				       status_name(s->rx_status));
		if (out && s->rx_len)
			memcpy(out, s->rx + 5, s->rx_len);
		if (on_done)
			on_done(ctx, done);
		done++;
	}
	s->seq = (uint8_t)(base + n);
	return ST_OK;
}

static int one(struct stub *s, const struct frame *f, uint8_t *out)
{
	return exchange(s, f, 1, out, NULL, NULL);
}

/* ---- upload, start, rate --------------------------------------------------- */

static int upload(struct bl *b)
{
	for (size_t off = 0; off < loader_stub_f1_len; off += BL_BLOCK) {
		size_t n = loader_stub_f1_len - off < BL_BLOCK ? loader_stub_f1_len - off : BL_BLOCK;
		int ret = bl_cmd_addr(b, BL_WRITE, STUB_ADDR + (uint32_t)off);

		if (ret < 0)
			return ret;
		b->frame[0] = (uint8_t)(n - 1);
		memcpy(b->frame + 1, loader_stub_f1 + off, n);
		b->frame[n + 1] = bl_xor(b->frame, n + 1);
		b->stage = STAGE_DATA;
		ret = bl_send_ack(b, b->frame, n + 2, b->o->timeout_ms);
		if (ret < 0)
			return ret;
	}
	return ST_OK;
}

static int hello(struct stub *s)
{
	const uint8_t *p = s->rx + 5;

	if (s->rx_len < 8 || memcmp(p, "STB1", 4) || p[4] != 1)
		return st_fail(s->b->e, ST_ERR_PROTO, "the stub's greeting is not STB1 version 1");
	s->window = p[5] < 1 ? 1 : p[5] > MAX_WINDOW ? MAX_WINDOW : p[5];
	s->maxp = (uint16_t)(p[6] | p[7] << 8);
	if (s->maxp < 8 || s->maxp > MAXP)
		return st_fail(s->b->e, ST_ERR_PROTO, "the stub takes %u-byte packets", s->maxp);
	return ST_OK;
}

static int set_rate(struct stub *s, uint32_t baud)
{
	struct bl *b = s->b;
	struct link_opts lo = b->l->opts;
	const struct frame fb = { .cmd = C_BAUD, .addr = baud, .len = 4 };
	const struct frame fs = { .cmd = C_SYNC };
	int ret;

	ret = one(s, &fb, NULL);
	if (ret < 0)
		return ret;
	lo.baud = (int)baud;
	ret = link_set_opts(b->l, &lo, b->e);
	if (ret < 0)
		return ret;
	ret = one(s, &fs, NULL);
	if (ret < 0)
		return st_fail(b->e, ret, "no answer at %u baud: %s", baud, b->e->msg);
	log_info("stub at %u baud", baud);
	return hello(s);
}

/* ---- the load --------------------------------------------------------------- */

struct pages {
	uint32_t base, page, first, count;	/* page numbers first.. */
	uint8_t *want;				/* count pages of expected contents */
	uint8_t *todo;				/* 1: erase and write */
	uint64_t written, blank;
};

static int pages_build(struct pages *pg, const struct image *img, const struct geom *g,
		       struct st_error *e)
{
	uint32_t lo = img->seg[0].addr, hi = 0;

	for (int i = 0; i < img->n_seg; i++)
		if (img->seg[i].addr + img->seg[i].len > hi)
			hi = img->seg[i].addr + img->seg[i].len;
	pg->base = g->base;
	pg->page = g->page;
	pg->first = (lo - g->base) / g->page;
	pg->count = (hi - g->base + g->page - 1) / g->page - pg->first;
	pg->want = malloc((size_t)pg->count * pg->page);
	pg->todo = calloc(pg->count, 1);
	if (!pg->want || !pg->todo)
		return st_fail(e, ST_ERR_NOMEM, "out of memory planning %u pages", pg->count);
	memset(pg->want, 0xFF, (size_t)pg->count * pg->page);
	for (int i = 0; i < img->n_seg; i++)
		memcpy(pg->want + (img->seg[i].addr - g->base - (uint64_t)pg->first * g->page),
		       img->seg[i].data, img->seg[i].len);
	return ST_OK;
}

/* The chip's CRC of every page in [first, first + count), 256 at a time,
 * compared with what the image wants: mark[i] = 1 where they differ. */
static int compare(struct stub *s, const struct pages *pg, uint8_t *differ, uint32_t *n_diff)
{
	uint8_t crcs[1024];

	*n_diff = 0;
	for (uint32_t i = 0; i < pg->count; i += 256) {
		uint32_t k = pg->count - i < 256 ? pg->count - i : 256;
		const struct frame f = { .cmd = C_CRC, .len = 12,
					 .addr = pg->base + (pg->first + i) * pg->page,
					 .a2 = k * pg->page, .a3 = pg->page };
		int ret = one(s, &f, crcs);

		if (ret < 0)
			return ret;
		if (s->rx_len != 4 * k)
			return st_fail(s->b->e, ST_ERR_PROTO, "%u CRCs for %u pages", s->rx_len / 4, k);
		for (uint32_t j = 0; j < k; j++) {
			const uint8_t *w = pg->want + (size_t)(i + j) * pg->page;

			differ[i + j] = get32(crcs + 4 * j) != stub_crc_words(~0u, w, pg->page);
			*n_diff += differ[i + j];
		}
	}
	return ST_OK;
}

struct progress_ctx {
	struct stub *s;
	const struct frame *f;
	uint64_t done, total;
};

static void on_frame(void *ctx, size_t i)
{
	struct progress_ctx *p = ctx;
	const struct loader_opts *o = p->s->b->o;

	if (p->f[i].cmd != C_WRITE)
		return;
	p->done += p->f[i].len - 4u;
	if (o->progress)
		o->progress(o->progress_ctx, p->done, p->total);
}

static bool blank(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++ != 0xFF)
			return false;
	return true;
}

static int write_pages(struct stub *s, struct pages *pg, uint32_t n_todo)
{
	uint32_t chunk = s->maxp - 4u;
	size_t cap = (size_t)n_todo * (1 + (pg->page + chunk - 1) / chunk), n = 0;
	struct frame *f = calloc(cap ? cap : 1, sizeof(*f));
	struct progress_ctx pc = { .s = s, .f = f };
	int ret;

	if (!f)
		return st_fail(s->b->e, ST_ERR_NOMEM, "out of memory for %zu frames", cap);
	for (uint32_t i = 0; i < pg->count; i++) {
		uint32_t a = pg->base + (pg->first + i) * pg->page;

		if (!pg->todo[i])
			continue;
		f[n++] = (struct frame){ .cmd = C_ERASE, .addr = a, .len = 4 };
		for (uint32_t off = 0; off < pg->page; off += chunk) {
			uint32_t k = pg->page - off < chunk ? pg->page - off : chunk;
			const uint8_t *d = pg->want + (size_t)i * pg->page + off;

			if (blank(d, k)) {	/* erased flash reads 0xFF already */
				pg->blank += k;
				continue;
			}
			f[n++] = (struct frame){ .cmd = C_WRITE, .addr = a + off,
						 .len = (uint16_t)(k + 4), .data = d };
			pc.total += k;
		}
	}
	ret = exchange(s, f, n, NULL, on_frame, &pc);
	pg->written = pc.done;
	free(f);
	return ret;
}

/* The F103 low-, medium- and high-density parts: a 72 MHz Cortex-M3 whose
 * PLL takes HSI/2 x16, with 10 KiB of SRAM or more.  The F101 and F102
 * share these PIDs but run at 36 and 48 MHz: docs/loader.md says to give
 * their fixtures protocol: rom.  The F100 (24 MHz) and the F105/F107 (other
 * PLL factors) have PIDs of their own and no stub. */
static bool stub_fits(uint16_t pid)
{
	return pid == 0x0410 || pid == 0x0412 || pid == 0x0414;
}

int stub_load(struct bl *b, const struct image *img, const struct geom *g,
	      struct stub_load_result *sr)
{
	struct stub s = { .b = b, .window = 1, .maxp = 16 };
	struct pages pg = { 0 };
	uint8_t *differ = NULL;
	uint32_t n_diff = 0;
	int ret;

	memset(sr, 0, sizeof(*sr));
	if (!stub_fits(b->pid) || !g->page || !g->size)
		return st_fail(b->e, ST_ERR_NOTSUP, "no stub for chip 0x%04x (the STB1 stub is "
			       "for the STM32F103: PIDs 0x0410, 0x0412, 0x0414)", b->pid);
	ret = pages_build(&pg, img, g, b->e);
	if (ret < 0)
		goto out;
	log_info("uploading the %zu-byte stub to 0x%08x", loader_stub_f1_len, STUB_ADDR);
	ret = upload(b);
	if (ret == ST_OK)
		ret = bl_cmd_addr(b, BL_GO, STUB_ADDR);
	if (ret < 0)
		goto out;
	sr->went = true;	/* from here on the ROM is gone until a reset */
	ret = read_reply(&s, b->o->timeout_ms);
	if (ret == ST_OK && s.rx_cmd != C_HELLO)
		ret = st_fail(b->e, ST_ERR_PROTO, "the stub's first frame is 0x%02x, not hello",
			      s.rx_cmd);
	if (ret == ST_OK)
		ret = hello(&s);
	if (ret == ST_OK && b->o->stub_baud && (int)b->o->stub_baud != b->l->opts.baud)
		ret = set_rate(&s, b->o->stub_baud);
	if (ret < 0)
		goto out;
	differ = calloc(pg.count, 1);
	if (!differ) {
		ret = st_fail(b->e, ST_ERR_NOMEM, "out of memory");
		goto out;
	}
	ret = compare(&s, &pg, differ, &n_diff);
	if (ret < 0)
		goto out;
	memcpy(pg.todo, differ, pg.count);
	log_info("%u of %u pages differ from the image", n_diff, pg.count);
	ret = write_pages(&s, &pg, n_diff);
	if (ret < 0)
		goto out;
	b->r->bytes_written = pg.written;
	b->r->bytes_skipped = pg.blank;
	sr->pages_unchanged = pg.count - n_diff;
	if (b->o->verify != VERIFY_NONE && n_diff) {
		uint32_t bad;

		ret = compare(&s, &pg, differ, &bad);
		if (ret == ST_OK && bad)
			ret = st_fail(b->e, ST_ERR_VERIFY, "CRC of %u page(s) differs after the load "
				      "(first at 0x%08x)", bad, pg.base + (pg.first +
				      (uint32_t)((uint8_t *)memchr(differ, 1, pg.count) - differ)) * pg.page);
		if (ret == ST_OK)
			b->r->bytes_verified = (uint64_t)pg.count * pg.page;
	}
out:
	sr->bad_frames = s.bad_frames;
	free(differ);
	free(pg.want);
	free(pg.todo);
	return ret;
}
