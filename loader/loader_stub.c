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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_PREFIX "stub"
#include "common/log.h"
#include "loader/stub-internal.h"

#define STUB_ADDR 0x20000200u	/* above the F1 ROM's 512 bytes of RAM (AN2606) */
#define S_SYNC_TX 0x5A
#define S_SYNC_RX 0xA5
#define MAXP 1028
/* What loader/stub/stub_f1.c takes: frames in flight, largest payload */
#define STUB_WINDOW 3
#define STUB_MAXP 1028
#define FIRST_TRIES 3		/* the first frame, while the stub starts */
#define STUB_START_NS 1000000	/* from Go's ACK to the stub's USART, with margin */
#define FIRST_WAIT_MS 50
#define BAD_ROUNDS 4		/* go-back-N rounds before giving up */

enum { C_ERASE = 0x10, C_WRITE = 0x11, C_CRC = 0x12, C_BAD = 0xFF };
#define STUB_SYSCLK 64000000u	/* what the stub sets: PCLK2 for its USART */
#define STUB_BRR_AT 8		/* the image's third word: the USART's BRR */
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
	uint32_t a2;			/* CRC: the range's length */
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
	bool started;		/* the stub has answered once */
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
	if (f->cmd == C_ERASE || f->cmd == C_WRITE || f->cmd == C_CRC) {
		le32(t + n, f->addr);
		n += 4;
	}
	if (f->cmd == C_CRC) {
		le32(t + n, f->a2);
		n += 4;
	}
	if (f->data) {
		memcpy(t + n, f->data, f->len - 4u);
		n += f->len - 4u;
	}
	le32(t + n, bl_crc32(0, t + 1, n - 1));
	n += 4;
	return link_write(s->b->l, t, n, bl_wait(s->b, s->b->o->timeout_ms), s->b->e);
}

/* The next answer: sync, header, payload, CRC; noise before the sync byte
 * is skipped (bounded), a damaged answer is ST_ERR_PROTO. */
static int read_reply(struct stub *s, int timeout_ms)
{
	struct bl *b = s->b;
	uint8_t c = 0, *h = s->rx;
	int ret, skipped = 0;

	do {
		ret = link_read_some(b->l, &c, 1, bl_wait(b, timeout_ms), b->e);
		if (ret < 0)
			return ret == ST_ERR_TIMEOUT ?
			       st_fail(b->e, ST_ERR_TIMEOUT, "no answer from the stub within %d ms",
				       timeout_ms) : ret;
	} while (c != S_SYNC_RX && ++skipped < 2 * MAXP);
	if (c != S_SYNC_RX)
		return st_fail(b->e, ST_ERR_PROTO, "%d bytes of noise and no stub answer", skipped);
	ret = link_read_exact(b->l, h, 5, bl_wait(b, timeout_ms), b->e);
	if (ret < 0)
		return ret;
	s->rx_cmd = h[0];
	s->rx_seq = h[1];
	s->rx_status = h[2];
	s->rx_len = (uint16_t)(h[3] | h[4] << 8);
	if (s->rx_len > 1024)
		return st_fail(b->e, ST_ERR_PROTO, "a stub answer of %u bytes (at most 1024)",
			       s->rx_len);
	ret = link_read_exact(b->l, h + 5, s->rx_len + 4u, bl_wait(b, timeout_ms), b->e);
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

typedef void (*done_fn)(void *ctx, size_t i, const uint8_t *answer, uint16_t len);

/* The load's time ran out while frame f was due. */
static int stub_stop(struct stub *s, const struct frame *f)
{
	return bl_stop(s->b, "the stub's %s at 0x%08x", f->cmd == C_WRITE ? "write" :
		       f->cmd == C_ERASE ? "erase" : "CRC", f->addr);
}

/* Send frames f[0..n) with up to s->window in flight, each answered in
 * order once done.  A damaged frame is answered BADFRAME naming the frame
 * the stub wants next: those before it are still answered, those after it
 * are dropped by the stub, so the host goes back to it once the answers
 * before it are in (go-back-N). */
static int exchange(struct stub *s, const struct frame *f, size_t n, done_fn on_done,
		    void *ctx, int timeout_ms)
{
	struct bl *b = s->b;
	uint8_t base = s->seq;
	size_t sent = 0, done = 0, back_to = SIZE_MAX;
	int ret, rounds = 0;

	while (done < n) {
		if (bl_time_up(b))
			return stub_stop(s, &f[done]);
		if (done == back_to) {
			sent = done;
			back_to = SIZE_MAX;
		}
		while (sent < n && sent - done < (size_t)s->window && back_to == SIZE_MAX) {
			ret = send_frame(s, &f[sent], (uint8_t)(base + sent));
			if (ret < 0)
				return ret;
			sent++;
		}
		ret = read_reply(s, timeout_ms);
		if (ret < 0 && ret != ST_ERR_ABORTED && bl_time_up(b))
			return stub_stop(s, &f[done]);	/* a wait the deadline cut */
		if (ret < 0)
			return ret;
		if (s->rx_cmd == C_BAD) {
			size_t k = (uint8_t)(s->rx_seq - base);

			if (k < done || k >= sent || (back_to != SIZE_MAX && k >= back_to))
				continue;	/* about frames already being sent again */
			if (++rounds > BAD_ROUNDS)
				return st_fail(b->e, ST_ERR_PROTO, "frames still damaged after %d "
					       "resends", BAD_ROUNDS);
			s->bad_frames++;
			log_warn("the stub got a damaged frame: sending again from #%zu", k);
			back_to = k;
			continue;
		}
		if (s->rx_seq != (uint8_t)(base + done) || s->rx_cmd != f[done].cmd)
			return st_fail(b->e, ST_ERR_PROTO, "the stub answered #%u (0x%02x) when "
				       "#%zu (0x%02x) was due", (uint8_t)(s->rx_seq - base),
				       s->rx_cmd, done, f[done].cmd);
		if (s->rx_status)
			return st_fail(b->e, ST_ERR_FAIL, "the stub refused %s at 0x%08x: %s",
				       f[done].cmd == C_WRITE ? "a write" : f[done].cmd == C_ERASE ?
				       "an erase" : "a command", f[done].addr,
				       status_name(s->rx_status));
		if (on_done)
			on_done(ctx, done, s->rx + 5, s->rx_len);
		done++;
	}
	s->seq = (uint8_t)(base + n);
	return ST_OK;
}

static int one(struct stub *s, const struct frame *f, int timeout_ms)
{
	return exchange(s, f, 1, NULL, NULL, timeout_ms);
}

/* ---- upload, start, rate --------------------------------------------------- */

/* The stub into SRAM, with the BRR for rate written into its third word. */
static int upload(struct bl *b, uint32_t rate)
{
	uint8_t img[BL_BLOCK];

	for (size_t off = 0; off < loader_stub_f1_len; off += BL_BLOCK) {
		size_t n = loader_stub_f1_len - off < BL_BLOCK ? loader_stub_f1_len - off : BL_BLOCK;
		int ret;

		if (bl_time_up(b))
			return bl_stop(b, "the stub's upload at 0x%08zx", STUB_ADDR + off);
		ret = bl_cmd_addr(b, BL_WRITE, STUB_ADDR + (uint32_t)off);
		if (ret < 0)
			return ret;
		memcpy(img, loader_stub_f1 + off, n);
		if (!off)
			le32(img + STUB_BRR_AT, (STUB_SYSCLK + rate / 2) / rate);
		b->frame[0] = (uint8_t)(n - 1);
		memcpy(b->frame + 1, img, n);
		b->frame[n + 1] = bl_xor(b->frame, n + 1);
		b->stage = STAGE_DATA;
		ret = bl_send_ack(b, b->frame, n + 2, b->o->timeout_ms);
		if (ret < 0)
			return ret;
	}
	return ST_OK;
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

struct compare_ctx {
	const struct pages *pg;
	uint8_t *differ;
	uint32_t n_diff;
	bool short_answer;
};

static void on_crc(void *ctx, size_t i, const uint8_t *answer, uint16_t len)
{
	struct compare_ctx *c = ctx;
	const uint8_t *w = c->pg->want + i * c->pg->page;

	if (len != 4) {
		c->short_answer = true;
		return;
	}
	c->differ[i] = get32(answer) != stub_crc_words(~0u, w, c->pg->page);
	c->n_diff += c->differ[i];
}

/* One CRC over every page the image touches: a re-flash of the same image
 * is decided with one frame. */
static int same_all(struct stub *s, const struct pages *pg, bool *same)
{
	const struct frame f = { .cmd = C_CRC, .len = 8, .a2 = pg->count * pg->page,
				 .addr = pg->base + pg->first * pg->page };
	int ret = one(s, &f, s->started ? s->b->o->timeout_ms : FIRST_WAIT_MS);

	/* the first frame also finds out whether the stub runs: it may still
	 * be setting up its clock and USART, or have missed the frame's start */
	for (int i = 1; i < FIRST_TRIES && !s->started && ret == ST_ERR_TIMEOUT; i++) {
		link_flush_input(s->b->l);
		ret = one(s, &f, FIRST_WAIT_MS * (i + 1));
	}
	s->started = true;
	if (ret == ST_OK && s->rx_len != 4)
		ret = st_fail(s->b->e, ST_ERR_PROTO, "a CRC answer without its 4 bytes");
	*same = ret == ST_OK && get32(s->rx + 5) == stub_crc_words(~0u, pg->want,
								    (size_t)pg->count * pg->page);
	return ret;
}

/* The chip's CRC of every page, one frame each (several in flight),
 * compared with what the image wants: differ[i] = 1 where they differ. */
static int compare(struct stub *s, const struct pages *pg, uint8_t *differ, uint32_t *n_diff)
{
	struct frame *f;
	struct compare_ctx c = { .pg = pg, .differ = differ };
	int ret;

	f = calloc(pg->count, sizeof(*f));
	if (!f)
		return st_fail(s->b->e, ST_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < pg->count; i++)
		f[i] = (struct frame){ .cmd = C_CRC, .len = 8, .a2 = pg->page,
				       .addr = pg->base + (pg->first + i) * pg->page };
	ret = exchange(s, f, pg->count, on_crc, &c, s->b->o->timeout_ms);
	free(f);
	if (ret == ST_OK && c.short_answer)
		ret = st_fail(s->b->e, ST_ERR_PROTO, "a CRC answer without its 4 bytes");
	*n_diff = c.n_diff;
	return ret;
}

struct progress_ctx {
	struct stub *s;
	const struct frame *f;
	uint64_t done, total;
};

static void on_frame(void *ctx, size_t i, const uint8_t *answer, uint16_t len)
{
	struct progress_ctx *p = ctx;
	const struct loader_opts *o = p->s->b->o;

	if (p->f[i].cmd != C_WRITE)
		return;
	p->done += p->f[i].len - 4u;
	p->s->b->written = p->done;
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
	s->b->to_write = pc.total;	/* what differs from the image: how far the load got */
	s->b->written = 0;
	s->b->touched = n > 0;
	ret = exchange(s, f, n, on_frame, &pc, s->b->o->timeout_ms);
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
	struct stub s = { .b = b, .window = STUB_WINDOW, .maxp = STUB_MAXP };
	struct pages pg = { 0 };
	struct link_opts lo = b->l->opts;
	uint32_t rate = b->o->stub_baud ? b->o->stub_baud : (uint32_t)lo.baud;
	uint8_t *differ = NULL;
	uint32_t n_diff = 0;
	bool same = false;
	int ret;

	memset(sr, 0, sizeof(*sr));
	if (!stub_fits(b->pid) || !g->page || !g->size)
		return st_fail(b->e, ST_ERR_NOTSUP, "no stub for chip 0x%04x (the STB1 stub is "
			       "for the STM32F103: PIDs 0x0410, 0x0412, 0x0414)", b->pid);
	ret = pages_build(&pg, img, g, b->e);
	if (ret < 0)
		goto out;
	if (rate < 9600 || rate > STUB_SYSCLK / 16)
		return st_fail(b->e, ST_ERR_ARG, "stub_baud %u: the stub's USART takes 9600 to %u",
			       rate, STUB_SYSCLK / 16);
	log_info("uploading the %zu-byte stub to 0x%08x (%u baud)", loader_stub_f1_len, STUB_ADDR,
		 rate);
	ret = upload(b, rate);
	if (ret == ST_OK)
		ret = bl_cmd_addr(b, BL_GO, STUB_ADDR);
	if (ret < 0)
		goto out;
	sr->went = true;	/* from here on the ROM is gone until a reset */
	if (rate != (uint32_t)lo.baud) {	/* the stub talks at its rate */
		lo.baud = (int)rate;
		ret = link_set_opts(b->l, &lo, b->e);
		if (ret < 0)
			goto out;
	}
	/* the stub's PLL locks within 200 us (DS5319) before its USART is on:
	 * a frame sent sooner would be lost, and found out only by a timeout */
	nanosleep(&(struct timespec){ .tv_nsec = STUB_START_NS }, NULL);
	differ = calloc(pg.count, 1);
	if (ret == ST_OK && !differ)
		ret = st_fail(b->e, ST_ERR_NOMEM, "out of memory");
	if (ret < 0)
		goto out;
	/* a re-flash of the same image is decided with one frame */
	ret = same_all(&s, &pg, &same);
	if (ret == ST_OK && !same)
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
		uint32_t bad = 0;

		b->verifying = true;
		ret = same_all(&s, &pg, &same);
		if (ret == ST_OK && !same)
			ret = compare(&s, &pg, differ, &bad);
		if (ret == ST_OK && !same && !bad)
			ret = st_fail(b->e, ST_ERR_VERIFY, "the CRC of the whole range differs "
				      "after the load, but no page's does");
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
