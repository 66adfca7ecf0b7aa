/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware image files: raw binary (with a load address), Intel HEX, ELF
 * (PT_LOAD segments).  Each parser checks every bound; the result is a list
 * of contiguous segments to write, plus the SHA-256 of the file as read.
 */
#ifndef ST_STATION_IMAGE_H
#define ST_STATION_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum image_format { IMG_AUTO = 0, IMG_RAW, IMG_IHEX, IMG_ELF };

struct image_segment {
	uint32_t addr;
	uint32_t len;
	uint8_t *data;
};

struct image {
	enum image_format format;
	char sha256[65];	/* of the file bytes */
	uint64_t file_size;
	struct image_segment *seg;
	int n_seg;
	uint64_t total;		/* sum of segment lengths */
	/* Start address recorded in the file (Intel HEX type 03/05, ELF
	 * e_entry); informational: AN3155 Go takes the vector table. */
	bool has_entry;
	uint32_t entry;
};

const char *image_format_name(enum image_format f);
int image_format_from_name(const char *name); /* -1 when unknown */

/* fmt IMG_AUTO: ELF magic -> ELF, ':' first -> Intel HEX, else raw at raw_addr.
 * Files larger than max_size are refused (0: IMAGE_MAX_DEFAULT).  Every
 * error message starts with the path.  Segments come out sorted by address,
 * adjacent data merged, overlaps refused. */
#define IMAGE_MAX_DEFAULT (64ull << 20)
int image_load(struct image *img, const char *path, enum image_format fmt,
	       uint32_t raw_addr, uint64_t max_size, struct st_error *e);
/* The same from memory (fuzzing, tests). */
int image_parse(struct image *img, const uint8_t *buf, size_t len, enum image_format fmt,
		uint32_t raw_addr, struct st_error *e);
void image_free(struct image *img);

/* SHA-256 of a file, lower-case hex. */
int sha256_file(const char *path, char out[65], struct st_error *e);

#endif
