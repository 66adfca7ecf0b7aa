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

#include "../common/err.h"
#include "../fixtures/link.h"
#include "image.h"

enum loader_verify { VERIFY_NONE = 0, VERIFY_READBACK, VERIFY_CRC };

struct loader_opts {
	enum loader_verify verify;
	bool mass_erase;	/* else erase only the pages the image covers */
	bool go;		/* send Go to the image's first address afterwards */
	uint32_t go_addr;	/* 0: first segment's address */
	int retries;		/* per block, on NACK or timeout (bounded) */
	int timeout_ms;		/* per exchange */
	/* Progress callback: bytes done of total (may be NULL). */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct loader_result {
	char chip_id[16];	/* "0x0414" */
	uint8_t bl_version;
	uint64_t bytes_written;
	uint64_t bytes_verified;
	int block_retries;	/* total retries that happened */
};

struct loader {
	const char *name;
	int (*flash)(struct link *l, const struct image *img, const struct loader_opts *o,
		     struct loader_result *r, struct st_error *e);
};

extern const struct loader loader_an3155;
const struct loader *loader_find(const char *name);

void loader_opts_default(struct loader_opts *o);

#endif
