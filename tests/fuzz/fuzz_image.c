/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the firmware image parsers (raw, Intel HEX, ELF) that feed
 * the loader; the first byte picks the format (or auto-detection).
 */
#include <stdint.h>
#include <string.h>

#include "loader/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum image_format fmts[] = { IMG_AUTO, IMG_RAW, IMG_IHEX, IMG_ELF };
	struct st_error e = { 0 };
	struct image img;
	uint64_t total = 0;

	if (size < 1)
		return 0;
	memset(&img, 0, sizeof(img));
	if (image_parse(&img, data + 1, size - 1, fmts[data[0] % 4], 0x08000000, &e) == ST_OK) {
		for (int i = 0; i < img.n_seg; i++) {
			total += img.seg[i].len;
			/* touch every byte: a segment must be inside its buffer */
			if (img.seg[i].len && (img.seg[i].data[0] | img.seg[i].data[img.seg[i].len - 1]) == 0x100)
				__builtin_trap();
		}
		if (total != img.total)
			__builtin_trap();
	}
	image_free(&img);
	return 0;
}
