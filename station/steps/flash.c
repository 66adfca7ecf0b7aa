/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash: load a firmware image with a native loader over the console link.
 *   flash:
 *     image: ${diag_image}
 *     format: auto          # raw | ihex | elf
 *     address: 0x08000000   # raw images; may be a ${var}
 *     loader: an3155
 *     verify: readback      # crc | none
 *     erase: pages          # mass
 *     blank: skip           # write: send 0xFF blocks too
 *     go: true
 *     protocol: rom         # stub | auto: the STB1 RAM stub (docs/loader.md)
 * Boot strapping (BOOT high, reset) is the sequence's job, with lines steps.
 * The log records the file's SHA-256 and the bytes actually written.  The
 * step's timeout (or its group's) bounds the whole load, erase and verify
 * included: when it runs out the step is an error saying how far it got.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader/loader.h"
#include "station/steps/steps.h"

struct flash_cfg {
	char *image;
	enum image_format format;
	uint32_t address;
	char *address_var;	/* "${...}": expanded and parsed when the step runs */
	const struct loader *loader;
	enum loader_verify verify;
	bool mass_erase;
	bool write_blank;
	bool go;
	int block_retries;
	enum loader_protocol protocol;
};

static const char *const flash_keys[] = { "image", "format", "address", "loader", "verify",
					  "erase", "blank", "go", "block_retries", "protocol", NULL };

static void flash_free(void *p)
{
	struct flash_cfg *c = p;

	free(c->image);
	free(c->address_var);
	free(c);
}

static int pick(struct lint *l, const struct ynode *n, const char *key,
		const char *const *names, int def)
{
	const struct ynode *v = ynode_get(n, key);

	if (!v)
		return def;
	for (int i = 0; names[i] && v->type == YN_SCALAR; i++)
		if (!strcmp(v->str, names[i]))
			return i;
	{
		char list[128];

		lint_err(l, v, "%s: unknown value '%s' (one of: %s)", key,
			 v->type == YN_SCALAR ? v->str : "?", lint_join(list, sizeof(list), names));
	}
	return def;
}

static int flash_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	static const char *const formats[] = { "auto", "raw", "ihex", "elf", NULL };
	static const char *const verifies[] = { "none", "readback", "crc", NULL };
	static const char *const erases[] = { "pages", "mass", NULL };
	static const char *const blanks[] = { "skip", "write", NULL };
	static const char *const protocols[] = { "rom", "stub", "auto", NULL };
	struct flash_cfg *c = calloc(1, sizeof(*c));
	const struct ynode *av;
	char *loader = NULL;
	double addr = 0x08000000, br = 3;

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	c->go = true;
	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "flash: expects a mapping with at least 'image'");
		return ST_ERR_PARSE;
	}
	lint_keys(l, n, flash_keys, "flash");
	if (lint_str(l, n, "image", true, &c->image) && c->image) {
		lint_vars(l, ynode_get(n, "image"), c->image);
		lint_file(l, ynode_get(n, "image"), c->image);
	}
	c->format = (enum image_format)pick(l, n, "format", formats, IMG_AUTO);
	c->verify = (enum loader_verify)pick(l, n, "verify", verifies, VERIFY_READBACK);
	c->mass_erase = pick(l, n, "erase", erases, 0) == 1;
	c->write_blank = pick(l, n, "blank", blanks, 0) == 1;
	c->protocol = (enum loader_protocol)pick(l, n, "protocol", protocols, PROTO_ROM);
	lint_bool(l, n, "go", &c->go);
	av = ynode_get(n, "address");
	if (av && av->type == YN_SCALAR && strstr(av->str, "${")) {
		lint_vars(l, av, av->str);
		c->address_var = strdup(av->str);
		if (!c->address_var)
			return ST_ERR_NOMEM;
	} else if (lint_num(l, n, "address", false, &addr) && (addr < 0 || addr > 0xffffffffu)) {
		lint_err(l, av, "address must fit in 32 bits");
	} else {
		c->address = (uint32_t)addr; /* in range: the cast is defined */
	}
	if (lint_num(l, n, "block_retries", false, &br) && (br < 0 || br > 20))
		lint_err(l, ynode_get(n, "block_retries"), "block_retries must be 0 to 20");
	else
		c->block_retries = (int)br;
	lint_str(l, n, "loader", false, &loader);
	c->loader = loader_find(loader ? loader : "an3155");
	if (!c->loader)
		lint_err(l, ynode_get(n, "loader"), "unknown loader '%s' (native: an3155; use an exec step for openocd, stm32flash, esptool, dfu-util)",
			 loader);
	free(loader);
	return ST_OK;
}


static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct run_ctx *rc = ctx;

	if (rc->ev && rc->ev->progress)
		rc->ev->progress(rc->ev->ctx, rc->fxdef->name, done, total);
}

/* Back into the ROM bootloader after the stub failed: BOOT0 high, a reset
 * pulse, as the sequences do before a flash step. */
static int reenter_rom(void *ctx, struct st_error *e)
{
	struct run_ctx *rc = ctx;
	struct timespec settle = { .tv_nsec = 20000000 };
	int ret;

	if (!rc->fx || !fixture_has_line(rc->fx, FX_BOOT) || !fixture_has_line(rc->fx, FX_RESET))
		return st_fail(e, ST_ERR_NOTSUP, "fixture %s has no boot and reset lines",
			       rc->fxdef->name);
	ret = fixture_set(rc->fx, FX_BOOT, true, e);
	if (ret == ST_OK)
		ret = fixture_set(rc->fx, FX_RESET, true, e);
	nanosleep(&settle, NULL);
	if (ret == ST_OK)
		ret = fixture_set(rc->fx, FX_RESET, false, e);
	nanosleep(&settle, NULL);
	return ret;
}

/* The load address: the configured one, or its ${var} expanded now. */
static int flash_address(const struct flash_cfg *c, struct run_ctx *rc, struct step_result *r,
			 uint32_t *out)
{
	char *v, *end;
	unsigned long long a;

	*out = c->address;
	if (!c->address_var)
		return ST_OK;
	v = rc_expand(rc, r, c->address_var);
	if (!v)
		return ST_ERR_ARG;
	errno = 0;
	a = strtoull(v, &end, 0);
	if (!*v || *end || errno || a > 0xffffffffu || v[0] == '-') {
		sr_set(r, DB_ERROR, "address '%s' (from %s) is not a 32-bit address: give e.g. "
		       "0x08000000", v, c->address_var);
		free(v);
		return ST_ERR_ARG;
	}
	free(v);
	*out = (uint32_t)a;
	return ST_OK;
}

/* A count worth a line in the log: only when it is not zero. */
static void kv_count(struct step_result *r, const char *key, unsigned long long v)
{
	char buf[32];

	if (!v)
		return;
	snprintf(buf, sizeof(buf), "%llu", v);
	sr_kv(r, key, buf);
}

static void flash_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct flash_cfg *c = s->cfg;
	struct st_error e = { 0 };
	struct loader_opts o;
	struct loader_result lr = { 0 };
	struct link_opts lo = rc->fxdef->link;
	struct image img = { 0 };
	struct link *l;
	char *path = rc_expand(rc, r, c->image), *full = NULL;
	uint32_t address;
	int ret;

	if (!path)
		return;	/* rc_expand said why */
	if (flash_address(c, rc, r, &address) < 0) {
		free(path);
		return;	/* flash_address said why */
	}
	full = seq_resolve_path(s->file, path);
	ret = image_load(&img, full ? full : path, c->format, address, 0, &e);
	if (ret < 0) {
		sr_set(r, DB_ERROR, "%s", e.msg);
		goto out;
	}
	ret = rc_link(rc, &l, &e);
	if (ret < 0) {
		sr_set(r, DB_ERROR, "cannot open the console %s: %s", rc->fxdef->port, e.msg);
		goto out;
	}
	/* The ROM bootloader wants even parity on a real UART. */
	if (rc->fxdef->loader_mode[0] &&
	    link_opts_parse_mode(&lo, rc->fxdef->loader_mode, &e) == 0)
		link_set_opts(l, &lo, NULL);
	loader_opts_default(&o);
	o.verify = c->verify;
	o.mass_erase = c->mass_erase;
	o.skip_blank = !c->write_blank;
	o.go = c->go;
	o.retries = c->block_retries;
	o.progress = on_progress;
	o.progress_ctx = rc;
	o.protocol = c->protocol;
	o.stub_baud = (uint32_t)rc->fxdef->stub_baud;
	o.reenter_rom = reenter_rom;
	o.reenter_ctx = rc;
	/* The time left of the step, or of a group around it that ends first:
	 * the loader stops within about one exchange of it, and the engine
	 * names whose time it was (loader.h: the state the board is left in). */
	o.deadline_ms = link_now_ms() + rc_remaining_ms(rc);
	ret = c->loader->flash(l, &img, &o, &lr, &e);
	link_set_opts(l, &rc->fxdef->link, NULL);
	r->has_image = true;
	r->image.path = sr_str(r, full ? full : path);
	r->image.sha256 = sr_str(r, img.sha256);
	r->image.format = image_format_name(img.format);
	r->image.address = img.n_seg ? img.seg[0].addr : address;
	r->image.size = lr.bytes_written;
	r->image.chip_id = lr.chip_id[0] ? sr_str(r, lr.chip_id) : NULL;
	if (ret < 0) {
		sr_set(r, rc_outcome_of(ret), "%s", e.msg);
		goto out;
	}
	kv_count(r, "block_retries", (unsigned long long)lr.block_retries);
	/* an unacknowledged write that read-back showed landed, and pages
	 * erased again because one did not: the line's health, in the log */
	kv_count(r, "writes_confirmed_by_readback", (unsigned long long)lr.writes_confirmed);
	kv_count(r, "pages_erased_again", (unsigned long long)lr.units_reerased);
	kv_count(r, "blank_bytes_skipped", lr.bytes_skipped);
	if (c->protocol != PROTO_ROM)
		sr_kv(r, "protocol", lr.protocol);
	kv_count(r, "pages_unchanged", lr.pages_unchanged);
	kv_count(r, "frames_resent", (unsigned long long)lr.frames_resent);
out:
	image_free(&img);
	free(full);
	free(path);
}

static void flash_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct flash_cfg *c = s->cfg;
	struct step_result r = { 0 };
	char *path = rc_expand(rc, &r, c->image), *full;
	char sha[65] = "", why[ST_ERRMSG_MAX + 32] = "";
	struct st_error e = { 0 };

	full = path ? seq_resolve_path(s->file, path) : NULL;
	if (!path)
		snprintf(why, sizeof(why), "PROBLEM: %s", r.reason);
	else if (full && sha256_file(full, sha, &e) < 0)
		snprintf(why, sizeof(why), "PROBLEM: unreadable: %s", e.msg);
	if (why[0])
		rc->plan_problems++;
	fprintf(out, "      image %s (%s%s) via %s%s, verify %s%s%s\n",
		full ? full : c->image, why[0] ? "" : "sha256 ", why[0] ? why : sha,
		c->loader ? c->loader->name : "?",
		c->protocol == PROTO_STUB ? " (stub)" : c->protocol == PROTO_AUTO ? " (auto)" : "",
		c->verify == VERIFY_NONE ? "none" : c->verify == VERIFY_CRC ? "crc" : "readback",
		c->write_blank ? ", blank blocks written too" : "", c->go ? ", then go" : "");
	free(full);
	free(path);
	sr_reset(&r);
}

const struct step_kind step_flash = {
	.name = "flash",
	.summary = "load a firmware image (raw, Intel HEX, ELF) with a native loader",
	.default_timeout_s = 120,
	.parse = flash_parse,
	.run = flash_run,
	.plan = flash_plan,
	.free_cfg = flash_free,
};
