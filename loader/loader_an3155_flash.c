/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading an image through the STM32 ROM UART bootloader (ST AN3155):
 * sync, Get, Get ID, erase only the pages the image covers (or mass erase),
 * Write Memory in 256-byte blocks (blank ones skipped: erased flash is 0xFF),
 * verify by Read Memory, Go.
 *
 * The plan and the erase are in an3155_erase.c, writing and verifying the
 * blocks in an3155_blocks.c; here, the order of it all.
 *
 * The line is the bottleneck (265 wire bytes per 256-byte block), so the
 * block loop allocates nothing, sends each part of a command in one write
 * and never sleeps: the only waits are for the bootloader's answers.
 */
#include <stdio.h>
#include <string.h>

#define LOG_PREFIX "an3155"
#include "common/log.h"
#include "loader/an3155-internal.h"
#include "loader/stub-internal.h"

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
	b->stub_running = sr.went;
	if (ret < 0 && ret != ST_ERR_NOTSUP && !b->out_of_time && bl_time_up(b)) {
		/* a wait the deadline cut short: no time to fall back either */
		snprintf(why, sizeof(why), "%s", b->e->msg);
		return bl_stop(b, "the stub path (%.200s)", why);
	}
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
		b->stub_running = false;
	}
	r->bytes_written = r->bytes_verified = r->bytes_skipped = 0;
	r->pages_unchanged = 0;
	ret = identify(b, g);
	return ret == ST_OK ? STUB_FELL_BACK : ret;
}

/*
 * The verdict of a load whose time ran out (loader_opts.deadline_ms): how far
 * it got, where it stood (bl_stop's message), and the state it leaves the
 * board in, which loader.h describes.  It does not say whose time it was: the
 * engine names the step's or the group's timeout before it.
 */
static int stopped(struct bl *b)
{
	char where[ST_ERRMSG_MAX], done[128];
	const char *flash;

	snprintf(where, sizeof(where), "%s", b->e->msg);
	if (!b->touched)
		flash = "its flash untouched";
	else if (b->verifying && b->verified >= b->to_write)
		flash = "the image in its flash and verified, not started";
	else if (!b->verifying && !b->written)
		flash = "its flash erased in part: the next run erases and writes it again";
	else if (b->verifying || b->written >= b->to_write)
		flash = "the image in its flash but not verified: the next run erases and writes it "
			"again";
	else
		flash = "part of the image in its flash: the next run erases and writes it again";
	if (b->verifying)
		snprintf(done, sizeof(done), "all %llu bytes were written, %llu of them verified",
			 (unsigned long long)b->to_write, (unsigned long long)b->verified);
	else
		snprintf(done, sizeof(done), "%llu of %llu bytes were written",
			 (unsigned long long)b->written, (unsigned long long)b->to_write);
	return st_fail(b->e, ST_ERR_ABORTED, "flashing stopped after %s: out of time during "
		       "%.200s; the board is left %s, %s", done, where,
		       b->stub_running ? "running the flasher stub" : "in its ROM bootloader", flash);
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
	ret = bl_plan_build(&p, img, e);
	if (ret < 0)
		goto out;
	b.to_write = p.bytes;
	ret = identify(&b, &g);
	if (ret == ST_OK)
		ret = bl_check_map(&b, &p, &g);
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
		/* the ROM path writes the whole image: the stub's counts end here */
		b.to_write = p.bytes;
		b.written = b.verified = 0;
		b.verifying = false;
	}
	b.touched = true;
	ret = bl_erase(&b, &p, &g);
	if (ret < 0)
		goto out;
	total = p.bytes * (o->verify != VERIFY_NONE ? 2 : 1);
	bl_progress(&b, 0, total);
	ret = bl_blocks(&b, &p, &g, false, 0, total);
	if (ret < 0)
		goto out;
	if (o->verify == VERIFY_CRC)
		log_info("the ROM bootloader has no CRC command: CRC verify reads the flash back");
	if (o->verify != VERIFY_NONE) {
		b.verifying = true;
		ret = bl_blocks(&b, &p, &g, true, p.bytes, total);
		if (ret < 0)
			goto out;
	}
	if (o->go)
		ret = go(&b, o->go_addr ? o->go_addr : img->seg[0].addr);
out:
	if (ret < 0 && b.out_of_time)
		ret = stopped(&b);
	r->elapsed_ms = link_now_ms() - t0;
	if (ret == ST_OK)
		log_info("wrote %llu bytes in %d blocks (%llu blank bytes left erased), verified "
			 "%llu, %d retries, %lld ms", (unsigned long long)r->bytes_written,
			 p.n_blocks, (unsigned long long)r->bytes_skipped,
			 (unsigned long long)r->bytes_verified, r->block_retries, r->elapsed_ms);
	bl_plan_free(&p);
	return ret;
}

const struct loader loader_an3155 = {
	.name = "an3155",
	.flash = an3155_flash,
};

