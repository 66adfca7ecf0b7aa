/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware loaders behind one table.  "an3155" is the native STM32 ROM UART
 * bootloader client.  Boot strapping (BOOT high, reset pulse) is done by the
 * sequence through the fixture lines, not here.
 */
#ifndef ST_STATION_LOADER_H
#define ST_STATION_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "link/link.h"
#include "loader/image.h"

enum loader_verify { VERIFY_NONE = 0, VERIFY_READBACK, VERIFY_CRC };
/* rom: the ROM bootloader's own protocol; stub: the STB1 flasher stub
 * (docs/loader.md), falling back to rom on any doubt; auto: stub when the
 * part has one, else rom. */
enum loader_protocol { PROTO_ROM = 0, PROTO_STUB, PROTO_AUTO };

struct loader_opts {
	enum loader_verify verify;
	bool mass_erase;	/* else erase only the pages the image covers */
	/* Skip 256-byte blocks of 0xFF inside the flash this load erased:
	 * erased flash already reads 0xFF (on by default). */
	bool skip_blank;
	bool go;		/* send Go to the image's first address afterwards */
	uint32_t go_addr;	/* 0: first segment's address */
	int retries;		/* per block, on NACK or timeout (bounded) */
	int timeout_ms;		/* per exchange */
	/*
	 * The load's own end: link_now_ms() time (CLOCK_MONOTONIC), 0 for none.
	 * Checked before every exchange and after every one that failed, and no
	 * exchange waits past it (erase, write, read-back, re-sync, the stub's
	 * frames alike), so a load stops within about one exchange of it with
	 * ST_ERR_ABORTED and "flashing stopped after N of M bytes ...", nothing
	 * retried and no fallback from the stub to the ROM.  The board is then
	 * left where the load was: in its ROM bootloader (which may still be
	 * finishing a page erase or a block's write whose answer nobody reads),
	 * or running the stub (the ROM gone until a reset); the flash holds part
	 * of the image, or all of it unverified.  Nothing else is sent: the next
	 * run resets the board into its ROM bootloader (the sequence's lines
	 * steps), erases the image's pages and writes them again.
	 */
	long long deadline_ms;
	/* Flash geometry; 0 takes it from the chip id table (an3155: PIDs of
	 * uniform-page parts).  Unknown geometry and !mass_erase -> mass erase. */
	uint32_t flash_base, flash_size, page_size;
	/* Progress callback, after every block: bytes done of total, where
	 * total counts writing and, when verifying, reading back (may be NULL). */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	enum loader_protocol protocol;
	uint32_t stub_baud;	/* the stub's rate (0: stay at the ROM's) */
	/* Put the board back into its ROM bootloader (BOOT0 high, a reset
	 * pulse): how the loader falls back after the stub ran.  NULL: the
	 * fixture cannot, and a stub that fails after Go is an error. */
	int (*reenter_rom)(void *ctx, struct st_error *e);
	void *reenter_ctx;
};

struct loader_result {
	char chip_id[16];	/* "0x0414" */
	uint8_t bl_version;
	uint64_t bytes_written;
	uint64_t bytes_verified;
	uint64_t bytes_skipped;	/* blank (0xFF) blocks left to the erase */
	int block_retries;	/* total retries that happened */
	/* Writes whose ACK was lost or late, refused when sent again (an F1
	 * will not program over them), and read back intact: written. */
	int writes_confirmed;
	/* Pages (sectors) erased again because such a write left other data. */
	int units_reerased;
	uint32_t crc32;		/* CRC-32 (IEEE) of the bytes read back, when verified */
	long long elapsed_ms;	/* sync to the end, for the log and the bench */
	/* "rom", "stub", or "rom" with why the stub was left */
	char protocol[ST_ERRMSG_MAX];
	uint32_t pages_unchanged;	/* stub: pages whose CRC already matched */
	int frames_resent;		/* stub: damaged frames sent again */
};

struct loader {
	const char *name;
	int (*flash)(struct link *l, const struct image *img, const struct loader_opts *o,
		     struct loader_result *r, struct st_error *e);
};

extern const struct loader loader_an3155;
const struct loader *loader_find(const char *name);

/* verify read-back, page erase, skip blank blocks, no Go, 2 retries,
 * 1000 ms timeout, no deadline. */
void loader_opts_default(struct loader_opts *o);

#endif
