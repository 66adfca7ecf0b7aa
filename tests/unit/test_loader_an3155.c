/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transcript tests for the AN3155 loader (curl style): a thread on the
 * master side of a pty plays a scripted ROM bootloader, and each test pins
 * the exact bytes the loader sends and the verdict it ends with.  The loader
 * talks to the slave side through the real link layer (termios backend).
 */
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader/loader.h"

#define ACK 0x79
#define NACK 0x1F
#define T_MS 100	/* loader timeout in these tests */

struct step {
	size_t exp_off, n_exp, rep_off, n_rep;
};

struct script {
	struct step s[96];
	int n;
	uint8_t exp[16384], rep[16384];
	size_t n_exp_all, n_rep_all;
	bool hangup;	/* after the last step the port goes away (a USB-UART pulled) */
};

struct peer {
	int fd;
	const struct script *sc;
	uint8_t got[32768];
	size_t n_got;
	atomic_bool stop;
	pthread_t th;
};

static void step(struct script *sc, const void *exp, size_t ne, const void *rep, size_t nr)
{
	struct step *s = &sc->s[sc->n++];

	assert_true(sc->n <= (int)(sizeof(sc->s) / sizeof(sc->s[0])));
	s->exp_off = sc->n_exp_all;
	s->n_exp = ne;
	s->rep_off = sc->n_rep_all;
	s->n_rep = nr;
	memcpy(sc->exp + sc->n_exp_all, exp, ne);
	sc->n_exp_all += ne;
	if (nr)
		memcpy(sc->rep + sc->n_rep_all, rep, nr);
	sc->n_rep_all += nr;
}

static const uint8_t ack[] = { ACK }, nack[] = { NACK };

/* A command pair answered with reply[0]. */
static void cmd(struct script *sc, uint8_t c, const uint8_t *reply)
{
	step(sc, (const uint8_t[]){ c, (uint8_t)~c }, 2, reply, 1);
}

static void addr(struct script *sc, uint32_t a)
{
	const uint8_t f[5] = { a >> 24, a >> 16, a >> 8, a, (a >> 24) ^ (a >> 16 & 0xff) ^
			       (a >> 8 & 0xff) ^ (a & 0xff) };

	step(sc, f, 5, ack, 1);
}

static void write_frame(struct script *sc, const uint8_t *d, size_t n, const uint8_t *reply)
{
	uint8_t f[258];

	f[0] = (uint8_t)(n - 1);
	memcpy(f + 1, d, n);
	f[n + 1] = f[0];
	for (size_t i = 0; i < n; i++)
		f[n + 1] ^= d[i];
	step(sc, f, n + 2, reply, reply ? 1 : 0);
}

static void read_back(struct script *sc, uint32_t a, const uint8_t *d, size_t n)
{
	uint8_t rep[257] = { ACK };

	memcpy(rep + 1, d, n);
	cmd(sc, 0x11, ack);
	addr(sc, a);
	step(sc, (const uint8_t[]){ (uint8_t)(n - 1), (uint8_t)~(n - 1) }, 2, rep, n + 1);
}

/* Read Memory of the 2-byte flash size register at reg, answered kib. */
static void size_read(struct script *sc, uint32_t reg, uint16_t kib)
{
	cmd(sc, 0x11, ack);
	addr(sc, reg);
	step(sc, (const uint8_t[]){ 0x01, 0xfe }, 2,
	     (const uint8_t[]){ ACK, (uint8_t)kib, (uint8_t)(kib >> 8) }, 3);
}

/* 0x7F, Get (v3.1, the commands dut-sim offers), Get ID pid. */
static void hello_id(struct script *sc, uint16_t pid)
{
	step(sc, (const uint8_t[]){ 0x7f }, 1, ack, 1);
	step(sc, (const uint8_t[]){ 0x00, 0xff }, 2,
	     (const uint8_t[]){ ACK, 7, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, ACK }, 11);
	step(sc, (const uint8_t[]){ 0x02, 0xfd }, 2,
	     (const uint8_t[]){ ACK, 1, (uint8_t)(pid >> 8), (uint8_t)pid, ACK }, 5);
}

/* ...then the flash size register, which says what the table says. */
static void hello_pid(struct script *sc, uint16_t pid)
{
	hello_id(sc, pid);
	if (pid == 0x0413)
		size_read(sc, 0x1fff7a22, 1024);
	else
		size_read(sc, 0x1ffff7e0, 512);
}

static void hello(struct script *sc)
{
	hello_pid(sc, 0x0414);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;

	for (int i = 0; i < p->sc->n && !p->stop; i++) {
		const struct step *s = &p->sc->s[i];
		size_t need = s->n_exp;

		while (need && !p->stop) {
			struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
			ssize_t r;

			if (poll(&pfd, 1, 20) <= 0)
				continue;
			r = read(p->fd, p->got + p->n_got, need);
			if (r <= 0)
				return NULL;
			p->n_got += (size_t)r;
			need -= (size_t)r;
		}
		if (s->n_rep && write(p->fd, p->sc->rep + s->rep_off, s->n_rep) != (ssize_t)s->n_rep)
			return NULL;
	}
	if (p->sc->hangup) {
		close(p->fd);
		p->fd = -1;
		return NULL;
	}
	/* Past the script: record anything more the loader sends. */
	while (!p->stop && p->n_got < sizeof(p->got)) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		r = read(p->fd, p->got + p->n_got, sizeof(p->got) - p->n_got);
		if (r <= 0)
			break;
		p->n_got += (size_t)r;
	}
	return NULL;
}

struct run {
	int ret;
	struct st_error e;
	struct loader_result r;
	int n_progress;
	uint64_t last_done, last_total;
	/* the load's deadline comes once stop_at bytes are done (progress) */
	struct loader_opts *o;
	uint64_t stop_at;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct run *run = ctx;

	run->n_progress++;
	run->last_done = done;
	run->last_total = total;
	if (run->o && done >= run->stop_at)
		run->o->deadline_ms = link_now_ms();
}

/* Play sc against the loader flashing img with o; check the transcript. */
static void play(const struct script *sc, const struct image *img, struct loader_opts *o,
		 struct run *run)
{
	struct peer *p = calloc(1, sizeof(*p));
	struct termios t;
	struct link *l;
	int slave;

	assert_non_null(p);
	assert_int_equal(openpty(&p->fd, &slave, NULL, NULL, NULL), 0);
	tcgetattr(slave, &t);
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	assert_int_equal(link_open(&l, ttyname(slave), NULL, &run->e), ST_OK);
	close(slave);
	p->sc = sc;
	assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
	o->progress = on_progress;
	o->progress_ctx = run;
	run->ret = loader_find("an3155")->flash(l, img, o, &run->r, &run->e);
	usleep(50 * 1000);	/* let the peer record any stray bytes */
	p->stop = true;
	pthread_join(p->th, NULL);
	link_close(l);
	if (p->fd >= 0)
		close(p->fd);
	if (p->n_got != sc->n_exp_all || memcmp(p->got, sc->exp, p->n_got)) {
		size_t i = 0;

		while (i < p->n_got && i < sc->n_exp_all && p->got[i] == sc->exp[i])
			i++;
		fail_msg("transcript differs at byte %zu: got %zu bytes, expected %zu (%s)", i,
			 p->n_got, sc->n_exp_all, run->e.msg);
	}
	free(p);
}

/* One 256-byte block at 0x08000040: with 128-byte pages, pages 0..2. */
static uint8_t blk[256];
static struct image_segment seg1 = { .addr = 0x08000040, .len = 256, .data = blk };
static const struct image img1 = { .format = IMG_RAW, .seg = &seg1, .n_seg = 1, .total = 256 };

static void opts(struct loader_opts *o)
{
	loader_opts_default(o);
	o->timeout_ms = T_MS;
	o->page_size = 128;
}

static void erase3(struct script *sc)
{
	cmd(sc, 0x44, ack);
	step(sc, (const uint8_t[]){ 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01 }, 9,
	     ack, 1);
}

static void write_at(struct script *sc, uint32_t a, const uint8_t *d, const uint8_t *reply)
{
	cmd(sc, 0x31, ack);
	addr(sc, a);
	write_frame(sc, d, 256, reply);
}

static void write1(struct script *sc, const uint8_t *reply)
{
	write_at(sc, 0x08000040, blk, reply);
}

/* One test's script, options and outcome (cmocka state). */
struct tc {
	struct script sc;
	struct loader_opts o;
	struct run run;
};

static int tc_new(void **state)
{
	struct tc *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	opts(&t->o);
	*state = t;
	return 0;
}

static int tc_free(void **state)
{
	free(*state);
	return 0;
}

/* The usual start: sync, Get, Get ID, erase of pages 0..2. */
static struct tc *begin(void **state)
{
	struct tc *t = *state;

	hello(&t->sc);
	erase3(&t->sc);
	return t;
}

static void test_full_transcript(void **state)
{
	struct tc *t = begin(state);

	write1(&t->sc, ack);
	read_back(&t->sc, 0x08000040, blk, 256);
	cmd(&t->sc, 0x21, ack);
	addr(&t->sc, 0x08000040);
	t->o.go = true;
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_string_equal(t->run.r.chip_id, "0x0414");
	assert_int_equal(t->run.r.bl_version, 0x31);
	assert_int_equal(t->run.r.bytes_written, 256);
	assert_int_equal(t->run.r.bytes_verified, 256);
	assert_int_equal(t->run.r.block_retries, 0);
	assert_int_equal(t->run.n_progress, 3);	/* start, after write, after read */
	assert_int_equal(t->run.last_done, 512);
	assert_int_equal(t->run.last_total, 512);
}

static void test_nack_then_retry(void **state)
{
	struct tc *t = begin(state);

	write1(&t->sc, nack);
	write1(&t->sc, ack);	/* the whole command again */
	t->o.verify = VERIFY_NONE;
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_int_equal(t->run.r.block_retries, 1);
	assert_int_equal(t->run.r.bytes_written, 256);
}

static void test_nack_beyond_retries(void **state)
{
	struct tc *t = begin(state);

	for (int i = 0; i < 3; i++)
		write1(&t->sc, nack);
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_ERR_NACK);
	assert_string_equal(t->run.e.msg, "write at 0x08000040 NACKed 3 times (block 1 of 1): "
			    "the flash may be write-protected, or not erased");
}

static void test_silence(void **state)
{
	struct tc *t = *state;

	for (int i = 0; i < 3; i++)
		step(&t->sc, (const uint8_t[]){ 0x7f }, 1, NULL, 0);
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_ERR_TIMEOUT);
	assert_string_equal(t->run.e.msg, "no answer from the ROM bootloader after 0x7F "
			    "(timeout 100 ms): check BOOT0 was high at reset and the console port");
}

static void test_already_synced(void **state)
{
	struct tc *t = *state;

	/* A synchronised bootloader takes 0x7F as a command byte, NACKs the pair. */
	step(&t->sc, (const uint8_t[]){ 0x7f }, 1, NULL, 0);
	step(&t->sc, (const uint8_t[]){ 0x7f }, 1, nack, 1);
	step(&t->sc, (const uint8_t[]){ 0x00, 0xff }, 2,
	     (const uint8_t[]){ ACK, 2, 0x22, 0x31, 0x43, ACK }, 6);
	/* no Get ID, no Extended Erase: unknown chip, legacy mass erase */
	step(&t->sc, (const uint8_t[]){ 0x43, 0xbc }, 2, ack, 1);
	step(&t->sc, (const uint8_t[]){ 0xff, 0x00 }, 2, ack, 1);
	write1(&t->sc, ack);
	t->o.verify = VERIFY_NONE;
	t->o.page_size = 0;
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_string_equal(t->run.r.chip_id, "0x0000");
	assert_int_equal(t->run.r.bl_version, 0x22);
}

static void test_verify_mismatch(void **state)
{
	struct tc *t = begin(state);
	uint8_t bad[256];
	char want[128];

	memcpy(bad, blk, sizeof(bad));
	bad[0x10] ^= 0x02;
	write1(&t->sc, ack);
	for (int i = 0; i < 3; i++)	/* a mismatch is re-read before it is believed */
		read_back(&t->sc, 0x08000040, bad, 256);
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_ERR_VERIFY);
	snprintf(want, sizeof(want), "verify failed at 0x08000050: wrote 0x%02X, read 0x%02X",
		 blk[0x10], bad[0x10]);
	assert_string_equal(t->run.e.msg, want);
	assert_int_equal(t->run.r.bytes_written, 256);
	assert_int_equal(t->run.r.bytes_verified, 0);
}

/* The bootloader lost a byte of the data frame: the loader times out, feeds
 * 0xFF until a NACK, proves the bootloader is idle, then sends it all again. */
static void test_resync_after_lost_byte(void **state)
{
	static const uint8_t ff[] = { 0xff };
	struct tc *t = begin(state);

	write1(&t->sc, NULL);		/* 258 bytes arrive; one "lost": no answer */
	step(&t->sc, ff, 1, nack, 1);	/* the filler completes it: bad checksum */
	step(&t->sc, ff, 1, NULL, 0);	/* idle: first byte of a command pair */
	step(&t->sc, ff, 1, nack, 1);	/* 0xFF 0xFF is no command */
	write1(&t->sc, ack);
	t->o.verify = VERIFY_NONE;
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_int_equal(t->run.r.block_retries, 1);
}

/* A write whose ACK comes late (among the re-sync fillers' answers), then
 * the same write again, NACKed as an F1 does over programmed flash. */
static void late_ack_refused(struct script *sc)
{
	static const uint8_t ff[] = { 0xff }, ff2[] = { 0xff, 0xff };

	write1(sc, NULL);		/* programmed; the ACK is late */
	step(sc, ff, 1, ack, 1);	/* the late ACK; the filler starts a pair */
	step(sc, ff2, 2, nack, 1);	/* 0xFF 0xFF is no command; one more starts a pair */
	step(sc, ff, 1, nack, 1);	/* idle: proven */
	write1(sc, nack);		/* PGERR: not erased */
}

/*
 * The ACK to a write comes after the loader gave up waiting: the block is
 * programmed.  The loader re-syncs (the late ACK arrives among the fillers'
 * answers) and sends the block again; an F1 refuses to program over it
 * (PGERR) and NACKs, so the loader reads the block back, finds it intact
 * and goes on: no third write, no failure.
 */
static void test_late_ack_read_back_decides(void **state)
{
	struct tc *t = begin(state);

	late_ack_refused(&t->sc);
	read_back(&t->sc, 0x08000040, blk, 256);	/* it is there */
	read_back(&t->sc, 0x08000040, blk, 256);	/* the verify pass */
	play(&t->sc, &img1, &t->o, &t->run);
	if (t->run.ret < 0)
		fail_msg("%s", t->run.e.msg);
	assert_int_equal(t->run.r.block_retries, 1);
	assert_int_equal(t->run.r.writes_confirmed, 1);
	assert_int_equal(t->run.r.units_reerased, 0);
	assert_int_equal(t->run.r.bytes_written, 256);
	assert_int_equal(t->run.r.bytes_verified, 256);
}

/* A write's ACK garbled on the line (one bit flipped): the same path. */
static void test_corrupt_ack_read_back_decides(void **state)
{
	static const uint8_t ff[] = { 0xff }, ff2[] = { 0xff, 0xff }, bad[] = { 0x59 };
	struct tc *t = begin(state);

	write1(&t->sc, bad);
	step(&t->sc, ff, 1, NULL, 0);	/* idle: the first byte of a pair */
	step(&t->sc, ff2, 2, nack, 1);
	step(&t->sc, ff, 1, nack, 1);
	write1(&t->sc, nack);
	read_back(&t->sc, 0x08000040, blk, 256);
	t->o.verify = VERIFY_NONE;
	play(&t->sc, &img1, &t->o, &t->run);
	if (t->run.ret < 0)
		fail_msg("%s", t->run.e.msg);
	assert_int_equal(t->run.r.writes_confirmed, 1);
	assert_int_equal(t->run.r.bytes_written, 256);
}

/*
 * The unacknowledged write left other data (a bit short of the block): the
 * pages holding the block are erased again and it is written anew.
 */
static void test_uncertain_write_other_data_reerased(void **state)
{
	struct tc *t = begin(state);
	uint8_t other[256];

	memcpy(other, blk, sizeof(other));
	other[7] ^= 0x10;
	late_ack_refused(&t->sc);
	read_back(&t->sc, 0x08000040, other, 256);	/* not what was sent */
	erase3(&t->sc);					/* pages 0..2 again */
	write1(&t->sc, ack);
	read_back(&t->sc, 0x08000040, blk, 256);
	play(&t->sc, &img1, &t->o, &t->run);
	if (t->run.ret < 0)
		fail_msg("%s", t->run.e.msg);
	assert_int_equal(t->run.r.writes_confirmed, 0);
	assert_int_equal(t->run.r.units_reerased, 3);
	assert_int_equal(t->run.r.block_retries, 2);
	assert_int_equal(t->run.r.bytes_verified, 256);
}

/* The port goes away mid-load: the verdict names the operation and block. */
static void test_port_gone(void **state)
{
	struct tc *t = begin(state);
	const char *want = "write at 0x08000040 (block 1 of 1): ";

	cmd(&t->sc, 0x31, ack);
	addr(&t->sc, 0x08000040);
	t->sc.hangup = true;
	play(&t->sc, &img1, &t->o, &t->run);
	assert_true(t->run.ret < 0);
	if (strncmp(t->run.e.msg, want, strlen(want)))
		fail_msg("verdict '%s' does not start with '%s'", t->run.e.msg, want);
}

/* The late ACK path once more: the block then reads back as other. */
static void late_then_other(struct script *sc, const uint8_t *other)
{
	late_ack_refused(sc);
	read_back(sc, 0x08000040, other, 256);
}

/* The erases and rewrites are retries: past the budget, the verdict says
 * what was found and how often. */
static void test_uncertain_write_budget(void **state)
{
	struct tc *t = begin(state);
	uint8_t other[256];

	memcpy(other, blk, sizeof(other));
	other[0] ^= 0x01;
	late_then_other(&t->sc, other);
	erase3(&t->sc);
	late_then_other(&t->sc, other);
	t->o.retries = 1;
	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_ERR_VERIFY);
	assert_string_equal(t->run.e.msg, "write at 0x08000040: not acknowledged, then refused, "
			    "and the flash holds other data (verify failed at 0x08000040: wrote "
			    "0x05, read 0x04) (block 1 of 1), after 1 erase and rewrite: the line "
			    "is unreliable; check the cabling and baud rate");
	assert_int_equal(t->run.r.units_reerased, 3);
}

/* Three blocks at 0x08000000, the middle one blank (0xFF): pages 0..5. */
static uint8_t gap[768];
static struct image_segment seg_gap = { .addr = 0x08000000, .len = 768, .data = gap };
static const struct image img_gap = { .format = IMG_RAW, .seg = &seg_gap, .n_seg = 1,
				      .total = 768 };

static void erase6(struct script *sc)
{
	cmd(sc, 0x44, ack);
	step(sc, (const uint8_t[]){ 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
				    0x00, 0x04, 0x00, 0x05, 0x04 }, 15, ack, 1);
}

/* Erased flash reads 0xFF: the blank block is not sent, but read back. */
static void test_blank_block_skipped(void **state)
{
	struct tc *t = *state;

	hello(&t->sc);
	erase6(&t->sc);
	write_at(&t->sc, 0x08000000, gap, ack);
	write_at(&t->sc, 0x08000200, gap + 512, ack);
	for (uint32_t off = 0; off < 768; off += 256)
		read_back(&t->sc, 0x08000000 + off, gap + off, 256);
	play(&t->sc, &img_gap, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_int_equal(t->run.r.bytes_written, 512);
	assert_int_equal(t->run.r.bytes_skipped, 256);
	assert_int_equal(t->run.r.bytes_verified, 768);
	assert_int_equal(t->run.last_done, 1536);	/* progress still counts it */
	assert_int_equal(t->run.last_total, 1536);
}

/* blank: write sends every block, 0xFF or not. */
static void test_blank_block_written_on_request(void **state)
{
	struct tc *t = *state;

	hello(&t->sc);
	erase6(&t->sc);
	for (uint32_t off = 0; off < 768; off += 256)
		write_at(&t->sc, 0x08000000 + off, gap + off, ack);
	t->o.verify = VERIFY_NONE;
	t->o.skip_blank = false;
	play(&t->sc, &img_gap, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_int_equal(t->run.r.bytes_written, 768);
	assert_int_equal(t->run.r.bytes_skipped, 0);
}

/* RAM is not erased: a block of 0xFF there is written like any other. */
static void test_blank_block_in_ram_written(void **state)
{
	static struct image_segment seg = { .addr = 0x20000000, .len = 256, .data = gap + 256 };
	static const struct image img = { .format = IMG_RAW, .seg = &seg, .n_seg = 1,
					  .total = 256 };
	struct tc *t = *state;

	hello(&t->sc);		/* nothing to erase outside the flash */
	write_at(&t->sc, 0x20000000, gap + 256, ack);
	t->o.verify = VERIFY_NONE;
	play(&t->sc, &img, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_int_equal(t->run.r.bytes_written, 256);
	assert_int_equal(t->run.r.bytes_skipped, 0);
}

/*
 * An STM32F407 (PID 0x413) names sectors, not pages: a block across the
 * 16 KiB boundary erases sectors 0 and 1, a block at 128 KiB sector 5 (the
 * first of 128 KiB after four of 16 and one of 64), each by its number.
 */
static void test_f4_sector_numbers(void **state)
{
	static struct image_segment segs[] = { { .addr = 0x08003f80, .len = 256, .data = blk },
						{ .addr = 0x08020000, .len = 256, .data = blk } };
	static const struct image img = { .format = IMG_RAW, .seg = segs, .n_seg = 2,
					  .total = 512 };
	struct tc *t = *state;

	hello_pid(&t->sc, 0x0413);
	cmd(&t->sc, 0x44, ack);
	step(&t->sc, (const uint8_t[]){ 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00 }, 7, ack, 1);
	cmd(&t->sc, 0x44, ack);
	step(&t->sc, (const uint8_t[]){ 0x00, 0x00, 0x00, 0x05, 0x05 }, 5, ack, 1);
	write_at(&t->sc, 0x08003f80, blk, ack);
	write_at(&t->sc, 0x08020000, blk, ack);
	t->o.verify = VERIFY_NONE;
	t->o.page_size = 0;	/* the part's own sectors */
	play(&t->sc, &img, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_OK);
	assert_string_equal(t->run.r.chip_id, "0x0413");
	assert_int_equal(t->run.r.bytes_written, 512);
}

/*
 * Address checks: once Get ID names the part and before anything is erased
 * or written, every run must lie in its flash or its RAM.  A wrong address
 * or an image too large for the part is a configuration error (ST_ERR_ARG),
 * named as address or as size; the transcript ends after Get ID.
 */
/* An image of len bytes of gap at addr on a part whose flash size register
 * says kib, refused after Get ID with msg. */
static void map_refused_kib(void **state, uint16_t kib, uint32_t addr, uint32_t len,
			    const char *msg)
{
	struct image_segment seg = { .addr = addr, .len = len, .data = gap };
	const struct image img = { .format = IMG_RAW, .seg = &seg, .n_seg = 1, .total = len };
	struct tc *t = *state;

	hello_id(&t->sc, 0x0414);
	size_read(&t->sc, 0x1ffff7e0, kib);
	play(&t->sc, &img, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_ERR_ARG);
	assert_string_equal(t->run.e.msg, msg);
	assert_int_equal(t->run.r.bytes_written, 0);
}

static void map_refused(void **state, uint32_t addr, uint32_t len, const char *msg)
{
	map_refused_kib(state, 512, addr, len, msg);
}

static void test_map_outside_flash(void **state)
{
	map_refused(state, 0x08080000, 256, "address: image data at 0x08080000-0x080800ff is "
		    "outside chip 0x0414's flash (0x08000000-0x0807ffff) and RAM "
		    "(0x20000000-0x2000ffff): check the load address or the address the image "
		    "is linked for");
}

static void test_map_past_the_end(void **state)
{
	map_refused(state, 0x0807ff00, 512, "address: image data at 0x0807ff00-0x080800ff runs "
		    "past the end of chip 0x0414's flash (0x08000000-0x0807ffff): check the load "
		    "address or the address the image is linked for");
}

static void test_map_ram_end(void **state)
{
	map_refused(state, 0x2000ff00, 512, "address: image data at 0x2000ff00-0x200100ff is "
		    "outside chip 0x0414's flash (0x08000000-0x0807ffff) and RAM "
		    "(0x20000000-0x2000ffff): check the load address or the address the image "
		    "is linked for");
}

/*
 * The product id does not tell a 128 KiB F103 from a 512 KiB one; its flash
 * size register does: an image linked for 0x08020000 is outside that part.
 */
static void test_map_size_register(void **state)
{
	map_refused_kib(state, 128, 0x08020000, 256, "address: image data at "
			"0x08020000-0x080200ff is outside chip 0x0414's flash (0x08000000-0x0801ffff) "
			"and RAM (0x20000000-0x2000ffff): check the load address or the address the "
			"image is linked for");
}

/* A ROM that will not read the register (NACK): the table's size stands. */
static void test_size_register_refused(void **state)
{
	struct tc *t = *state;

	hello_id(&t->sc, 0x0414);
	for (int i = 0; i < 3; i++) {
		cmd(&t->sc, 0x11, ack);
		step(&t->sc, (const uint8_t[]){ 0x1f, 0xff, 0xf7, 0xe0, 0x1f ^ 0xff ^ 0xf7 ^ 0xe0 },
		     5, nack, 1);
	}
	erase3(&t->sc);
	write1(&t->sc, ack);
	t->o.verify = VERIFY_NONE;
	play(&t->sc, &img1, &t->o, &t->run);
	if (t->run.ret < 0)
		fail_msg("%s", t->run.e.msg);
	assert_int_equal(t->run.r.bytes_written, 256);
}

static void test_map_too_large(void **state)
{
	static struct image_segment seg = { .addr = 0x08000000, .len = 768, .data = gap };
	static const struct image img = { .format = IMG_RAW, .seg = &seg, .n_seg = 1,
					  .total = 768 };
	struct tc *t = *state;

	hello_id(&t->sc, 0x0414);	/* a size given: the register is not read */
	t->o.flash_size = 512;	/* a part with 512 bytes of flash */
	play(&t->sc, &img, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_ERR_ARG);
	assert_string_equal(t->run.e.msg, "size: the image's flash data is 768 bytes "
			    "(0x08000000-0x080002ff), more than chip 0x0414's flash (512 bytes): check "
			    "the image is built for this part");
}

/* Load img1 with the script so far: its time runs out, and the verdict is
 * "flashing stopped after " how_far, nothing retried. */
static void stops(struct tc *t, const char *how_far)
{
	static const char pre[] = "flashing stopped after ";

	play(&t->sc, &img1, &t->o, &t->run);
	assert_int_equal(t->run.ret, ST_ERR_ABORTED);
	assert_memory_equal(t->run.e.msg, pre, sizeof(pre) - 1);
	assert_string_equal(t->run.e.msg + sizeof(pre) - 1, how_far);
	assert_int_equal(t->run.r.block_retries, 0);
}

/* A deadline already past: nothing is sent, and the verdict says so. */
static void test_deadline_passed(void **state)
{
	struct tc *t = *state;

	t->o.deadline_ms = link_now_ms();
	stops(t, "0 of 256 bytes were written: out of time during the first contact with the "
	      "ROM bootloader (0x7F); the board is left in its ROM bootloader, its flash "
	      "untouched");
}

/* The deadline comes as the block is written: no read-back is started. */
static void test_deadline_before_read_back(void **state)
{
	struct tc *t = begin(state);

	write1(&t->sc, ack);
	t->run.o = &t->o;
	t->run.stop_at = 256;
	stops(t, "all 256 bytes were written, 0 of them verified: out of time during read at "
	      "0x08000040 (block 1 of 1); the board is left in its ROM bootloader, the image in "
	      "its flash but not verified: the next run erases and writes it again");
	assert_int_equal(t->run.r.bytes_written, 256);
	assert_int_equal(t->run.r.bytes_verified, 0);
}

/* An erase the board never answers: its wait (10 s and the pages' time)
 * ends at the deadline, 1 s on, with no retry and no re-sync (the
 * transcript).  How long it took is not asserted: these machines are
 * shared and noisy. */
static void test_deadline_cuts_erase(void **state)
{
	struct tc *t = *state;

	hello(&t->sc);
	cmd(&t->sc, 0x44, ack);
	step(&t->sc, (const uint8_t[]){ 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01 }, 9,
	     NULL, 0);
	t->o.timeout_ms = 10000;
	t->o.deadline_ms = link_now_ms() + 1000;
	stops(t, "0 of 256 bytes were written: out of time during erase of pages 0-2 at "
	      "0x08000000; the board is left in its ROM bootloader, its flash erased in part: the "
	      "next run erases and writes it again");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_transcript, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_nack_then_retry, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_nack_beyond_retries, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_silence, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_already_synced, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_verify_mismatch, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_resync_after_lost_byte, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_blank_block_skipped, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_blank_block_written_on_request, tc_new,
						tc_free),
		cmocka_unit_test_setup_teardown(test_blank_block_in_ram_written, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_f4_sector_numbers, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_late_ack_read_back_decides, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_map_outside_flash, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_port_gone, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_map_past_the_end, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_map_too_large, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_map_size_register, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_size_register_refused, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_map_ram_end, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_corrupt_ack_read_back_decides, tc_new,
						tc_free),
		cmocka_unit_test_setup_teardown(test_uncertain_write_other_data_reerased, tc_new,
						tc_free),
		cmocka_unit_test_setup_teardown(test_uncertain_write_budget, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_deadline_passed, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_deadline_before_read_back, tc_new, tc_free),
		cmocka_unit_test_setup_teardown(test_deadline_cuts_erase, tc_new, tc_free),
	};

	for (size_t i = 0; i < sizeof(blk); i++)
		blk[i] = (uint8_t)(i * 13 + 5);
	memcpy(gap, blk, 256);
	memset(gap + 256, 0xff, 256);
	memcpy(gap + 512, blk, 256);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
