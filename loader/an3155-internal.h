/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to the native STM32 ROM UART bootloader client (ST AN3155):
 * loader_an3155.c speaks the wire (frames, ACKs, retries, re-sync, verdicts),
 * loader_an3155_flash.c runs a load: identify, stub or ROM, erase, write,
 * verify, go; an3155_erase.c plans the image and erases; an3155_blocks.c
 * writes and verifies its blocks.
 */
#ifndef ST_STATION_AN3155_H
#define ST_STATION_AN3155_H

#include <stdint.h>

#include "loader/loader.h"

#define BL_ACK 0x79
#define BL_NACK 0x1F
#define BL_INIT 0x7F

enum bl_cmd {
	BL_GET = 0x00, BL_GET_VERSION = 0x01, BL_GET_ID = 0x02, BL_READ = 0x11,
	BL_GO = 0x21, BL_WRITE = 0x31, BL_ERASE = 0x43, BL_EXT_ERASE = 0x44,
};

#define BL_BLOCK 256		/* Write/Read Memory carry at most 256 bytes */
/* The longest frame the loader sends: Write Memory's N-1, 256 data bytes and
 * the checksum (AN3155 3.6).  Erase frames must fit too (checked where they
 * are built, and by _Static_assert against their chunk size). */
#define BL_FRAME_MAX (1 + BL_BLOCK + 1)

/* Which part of a command the last exchange was in (for the verdict). */
enum bl_stage { STAGE_CMD, STAGE_ADDR, STAGE_DATA };

struct bl {
	struct link *l;
	const struct loader_opts *o;
	struct loader_result *r;
	struct st_error *e;
	enum bl_stage stage;
	uint8_t version;
	uint16_t pid;
	uint8_t cmds[256];	/* command codes offered, from Get */
	int n_cmds;
	/* One command's bytes, sent with one write: N-1, 256 data, checksum. */
	uint8_t frame[BL_FRAME_MAX];
	/* How far the load got, for the verdict when its time runs out
	 * (loader_opts.deadline_ms): the image bytes it is to write, those
	 * written (or left blank to the erase) and those read back so far. */
	uint64_t to_write, written, verified;
	bool touched;		/* erasing began */
	bool verifying;
	bool stub_running;	/* the stub was started: the ROM is gone until a reset */
	bool out_of_time;	/* bl_stop() ended the load */
};

/* What an operation is, for the final verdict after its retries. */
struct bl_op {
	const char *what;	/* "write", "read", "erase", ... */
	uint32_t addr;		/* shown as "at 0x%08x" when has_addr */
	bool has_addr;
	int block, n_blocks;	/* 1-based; shown when n_blocks > 0 */
	const char *nack_hint;	/* why the data stage may be refused */
	int timeout_ms;		/* the longest wait in the exchange */
};

/* One attempt of an operation: ST_OK, ST_ERR_NACK, ST_ERR_TIMEOUT,
 * ST_ERR_PROTO (retried) or another error (not retried). */
typedef int (*bl_attempt_fn)(struct bl *b, void *ctx);

int bl_sync(struct bl *b);
int bl_get(struct bl *b);
int bl_get_id(struct bl *b);
bool bl_has_cmd(const struct bl *b, uint8_t cmd);

/* The longest an exchange may wait: want_ms, cut to what is left before the
 * load's deadline (at least 1 ms: a wait is never only a poll). */
int bl_wait(const struct bl *b, int want_ms);
/* The load's deadline has come (never, without one). */
bool bl_time_up(const struct bl *b);
/* End the load because its time ran out: ST_ERR_ABORTED, the message where
 * it stood ("write at 0x08000800 (block 9 of 32)"); an3155_flash() words
 * the verdict from it and how far the load got. */
int bl_stop(struct bl *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* link_read_exact within bl_wait(timeout_ms). */
int bl_read(struct bl *b, void *buf, size_t n, int timeout_ms);

/* Send cmd and its complement, wait for ACK. */
int bl_cmd(struct bl *b, uint8_t cmd);
/* Send a 4-byte big-endian address and its XOR checksum, wait for ACK. */
int bl_addr(struct bl *b, uint32_t addr);
/* The command, then the address; the next exchange is the data stage. */
int bl_cmd_addr(struct bl *b, uint8_t cmd, uint32_t addr);
/* Send n bytes in one write, wait up to timeout_ms for ACK. */
int bl_send_ack(struct bl *b, const uint8_t *buf, size_t n, int timeout_ms);
/* Run fn up to 1 + retries times, re-syncing after timeouts; on final
 * failure fill the verdict from op. */
int bl_retry(struct bl *b, const struct bl_op *op, bl_attempt_fn fn, void *ctx);

uint8_t bl_xor(const uint8_t *p, size_t n);
/* CRC-32 (IEEE 802.3, zlib's crc32(): crc 0 to start). */
uint32_t bl_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* ---- the part's flash (an3155_chips.c) ---- */

/* Sectors of one size, in KiB: a layout is runs of them, ended by count 0. */
struct sect_run {
	uint16_t count, kib;
};

struct geom {
	uint32_t base, size;		/* size 0: unknown */
	uint32_t page;			/* uniform pages; 0 with sectors or unknown */
	const struct sect_run *sect;	/* sectors, or NULL */
	uint32_t ram_base, ram_size;	/* size 0: unknown */
};

/* One erase unit (page or sector): its number for Erase, its offset from
 * the flash base and its size. */
struct geom_unit {
	uint32_t index, start, size;
};

/* The flash of b->pid from the table, then the options' overrides. */
int bl_geometry(struct bl *b, struct geom *g);
/* Pages or sectors known: erase can name them. */
bool geom_known(const struct geom *g);
/* The unit holding byte off (from the flash base); the unit numbered idx. */
void geom_unit_at(const struct geom *g, uint32_t off, struct geom_unit *u);
void geom_unit_no(const struct geom *g, uint32_t idx, struct geom_unit *u);

/* ---- the load (loader_an3155_flash.c, an3155_erase.c, an3155_blocks.c) ---- */

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

/* The image's runs (word-aligned, 0xFF padded); bl_plan_free even on error. */
int bl_plan_build(struct plan *p, const struct image *img, struct st_error *e);
void bl_plan_free(struct plan *p);
/* Every run inside the part's flash or RAM: else ST_ERR_ARG, nothing sent. */
int bl_check_map(struct bl *b, const struct plan *p, const struct geom *g);
/* Erase what the plan covers (or everything: mass erase). */
int bl_erase(struct bl *b, const struct plan *p, const struct geom *g);
/* Erase n pages (sectors) from first. */
int bl_erase_units(struct bl *b, uint32_t first, uint32_t n, const struct geom *g);
/* Write (read == false) or read back and compare every block of the plan;
 * progress counts from done0 of total. */
int bl_blocks(struct bl *b, const struct plan *p, const struct geom *g, bool read,
	      uint64_t done0, uint64_t total);
void bl_progress(const struct bl *b, uint64_t done, uint64_t total);

int an3155_flash(struct link *l, const struct image *img, const struct loader_opts *o,
		 struct loader_result *r, struct st_error *e);

#endif
