/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the image parsers (image_*.c) only: a builder that collects data
 * chunks at addresses, then sorts them, refuses overlaps and merges adjacent
 * chunks into the image's segments.
 */
#ifndef ST_STATION_IMAGE_INT_H
#define ST_STATION_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "loader/image.h"

struct seg_builder {
	struct image_segment *seg;
	int n, cap;
	size_t cap_last;	/* allocated bytes of seg[n - 1].data */
};

/* Append len bytes at addr: extends the last chunk when addr follows it. */
int segb_add(struct seg_builder *b, uint32_t addr, const uint8_t *data, size_t len,
	     struct st_error *e);
/* Sort, refuse overlaps, merge adjacent, move the result into img. */
int segb_finish(struct seg_builder *b, struct image *img, struct st_error *e);
void segb_free(struct seg_builder *b);

int image_parse_ihex(struct image *img, const uint8_t *buf, size_t len, struct st_error *e);
int image_parse_elf(struct image *img, const uint8_t *buf, size_t len, struct st_error *e);

#endif
