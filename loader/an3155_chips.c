/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flash of the STM32 parts the AN3155 loader knows, by the product id
 * Get ID returns: uniform pages (F0, F1, G0) or sectors of several sizes
 * (F2, F4), which Extended Erase names by number just the same.  A part not
 * here is erased whole, unless the sequence's options give its page size.
 */
#include <string.h>

#define LOG_PREFIX "an3155"
#include "common/log.h"
#include "loader/an3155-internal.h"

#define KIB 1024u

static const struct sect_run f4_1m[] = { { 4, 16 }, { 1, 64 }, { 7, 128 }, { 0, 0 } };
static const struct sect_run f4_512k[] = { { 4, 16 }, { 1, 64 }, { 3, 128 }, { 0, 0 } };
static const struct sect_run f4_256k[] = { { 4, 16 }, { 1, 64 }, { 1, 128 }, { 0, 0 } };

/* Sizes are the largest of each line: the Get ID product id does not tell
 * a 64 KiB F103 from a 512 KiB one, so the part's own flash size register
 * (KiB, 16 bits; the "Device electronic signature" chapter of RM0008 (F1),
 * RM0091 (F0), RM0090 (F2/F4), RM0444 (G0)) is read too.  RAM is the SRAM
 * contiguous at 0x20000000, of which the ROM keeps a part for itself
 * (AN2606) and NACKs writes there. */
#define F1_SIZE_REG 0x1FFFF7E0u
#define F0_SIZE_REG 0x1FFFF7CCu
#define F4_SIZE_REG 0x1FFF7A22u
#define G0_SIZE_REG 0x1FFF75E0u

static const struct chip {
	uint16_t pid;
	const char *name;
	uint32_t size, page;		/* page 0: sectors */
	const struct sect_run *sect;
	uint32_t ram;
	uint32_t size_reg;		/* the flash size register, 0: none known */
} chips[] = {
	{ 0x0412, "STM32F10x low-density", 32 * KIB, 1024, NULL, 10 * KIB, F1_SIZE_REG },
	{ 0x0410, "STM32F10x medium-density", 128 * KIB, 1024, NULL, 20 * KIB, F1_SIZE_REG },
	{ 0x0414, "STM32F10x high-density", 512 * KIB, 2048, NULL, 64 * KIB, F1_SIZE_REG },
	{ 0x0418, "STM32F105/107 connectivity line", 256 * KIB, 2048, NULL, 64 * KIB, F1_SIZE_REG },
	{ 0x0420, "STM32F100 value line", 128 * KIB, 1024, NULL, 8 * KIB, F1_SIZE_REG },
	{ 0x0440, "STM32F05x", 64 * KIB, 1024, NULL, 8 * KIB, F0_SIZE_REG },
	{ 0x0444, "STM32F03x", 32 * KIB, 1024, NULL, 4 * KIB, F0_SIZE_REG },
	{ 0x0448, "STM32F07x", 128 * KIB, 2048, NULL, 16 * KIB, F0_SIZE_REG },
	{ 0x0460, "STM32G07x/G08x", 128 * KIB, 2048, NULL, 36 * KIB, G0_SIZE_REG },
	{ 0x0411, "STM32F2xx", 1024 * KIB, 0, f4_1m, 128 * KIB, F4_SIZE_REG },
	{ 0x0413, "STM32F405/407/415/417", 1024 * KIB, 0, f4_1m, 128 * KIB, F4_SIZE_REG },
	{ 0x0421, "STM32F446", 512 * KIB, 0, f4_512k, 128 * KIB, F4_SIZE_REG },
	{ 0x0423, "STM32F401xB/C", 256 * KIB, 0, f4_256k, 64 * KIB, F4_SIZE_REG },
	{ 0x0431, "STM32F411", 512 * KIB, 0, f4_512k, 128 * KIB, F4_SIZE_REG },
	{ 0x0433, "STM32F401xD/E", 512 * KIB, 0, f4_512k, 96 * KIB, F4_SIZE_REG },
};

struct size_read {
	uint32_t reg;
	uint8_t v[2];
};

static int size_attempt(struct bl *b, void *ctx)
{
	struct size_read *q = ctx;
	static const uint8_t two[2] = { 0x01, 0xfe };	/* N-1 = 1: two bytes */
	int ret;

	ret = bl_cmd_addr(b, BL_READ, q->reg);
	if (ret == ST_OK)
		ret = bl_send_ack(b, two, 2, b->o->timeout_ms);
	if (ret == ST_OK)
		ret = bl_read(b, q->v, 2, b->o->timeout_ms);
	return ret;
}

/* The part's own flash size, in bytes, or 0 when it cannot be read (a NACK:
 * read protection, or a ROM that does not map it; the table stands). */
static int read_flash_size(struct bl *b, uint32_t reg, uint32_t *size)
{
	const struct bl_op op = { .what = "read of the flash size register", .addr = reg,
				  .has_addr = true, .timeout_ms = b->o->timeout_ms };
	struct size_read q = { .reg = reg };
	int ret;

	*size = 0;
	ret = bl_retry(b, &op, size_attempt, &q);
	if (ret == ST_ERR_NACK) {
		log_info("the flash size register at 0x%08x cannot be read: the table's size "
			 "stands", reg);
		return ST_OK;
	}
	if (ret < 0)
		return ret;
	*size = (uint32_t)(q.v[0] | q.v[1] << 8) * KIB;
	return ST_OK;
}

int bl_geometry(struct bl *b, struct geom *g)
{
	const struct loader_opts *o = b->o;
	uint32_t reg = 0, size;
	int ret;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
		if (chips[i].pid == b->pid) {
			g->base = 0x08000000;
			g->size = chips[i].size;
			g->page = chips[i].page;
			g->sect = chips[i].sect;
			g->ram_base = 0x20000000;
			g->ram_size = chips[i].ram;
			reg = chips[i].size_reg;
			log_dbg("chip 0x%04x: %s", b->pid, chips[i].name);
		}
	}
	if (reg && !o->flash_size && bl_has_cmd(b, BL_READ)) {
		ret = read_flash_size(b, reg, &size);
		if (ret < 0)
			return ret;
		/* a smaller part of the line; a value past the line's largest
		 * (an erased or unmapped register reads 0xFFFF) is not believed */
		if (size && size < g->size) {
			log_info("chip 0x%04x: %u KiB of flash (its flash size register)", b->pid,
				 size / KIB);
			g->size = size;
		}
	}
	if (o->page_size) {
		g->page = o->page_size;
		g->sect = NULL;
	}
	if (o->flash_base)
		g->base = o->flash_base;
	if (o->flash_size)
		g->size = o->flash_size;
	if (g->page && (!g->size || !g->base))
		return st_fail(b->e, ST_ERR_ARG,
			       "chip 0x%04x is not in the table: with a page size, give the flash "
			       "base and size too", b->pid);
	return ST_OK;
}

bool geom_known(const struct geom *g)
{
	return g->page || g->sect;
}

/* Walk the sectors to the one holding byte off (or numbered idx).  Past
 * the table (a flash size given larger than the part's), sectors go on at
 * the last size. */
static void sect_find(const struct geom *g, uint32_t off, uint32_t idx, bool by_off,
		      struct geom_unit *u)
{
	uint32_t start = 0, n = 0, size = 0, k;

	for (const struct sect_run *r = g->sect; r->count; r++) {
		size = r->kib * KIB;
		for (uint32_t i = 0; i < r->count; i++, n++) {
			if (by_off ? off < start + size : n == idx) {
				*u = (struct geom_unit){ .index = n, .start = start, .size = size };
				return;
			}
			start += size;
		}
	}
	k = by_off ? (off - start) / size : idx - n;
	*u = (struct geom_unit){ .index = n + k, .start = start + k * size, .size = size };
}

void geom_unit_at(const struct geom *g, uint32_t off, struct geom_unit *u)
{
	if (!g->sect) {
		*u = (struct geom_unit){ .index = off / g->page, .start = off / g->page * g->page,
					 .size = g->page };
		return;
	}
	sect_find(g, off, 0, true, u);
}

void geom_unit_no(const struct geom *g, uint32_t idx, struct geom_unit *u)
{
	if (!g->sect) {
		*u = (struct geom_unit){ .index = idx, .start = idx * g->page, .size = g->page };
		return;
	}
	sect_find(g, 0, idx, false, u);
}
