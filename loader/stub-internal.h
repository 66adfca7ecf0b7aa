/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to the loader part: the STB1 flasher stub path (loader_stub.c),
 * run by the AN3155 client (loader_an3155_flash.c) when the options ask.
 */
#ifndef ST_LOADER_STUB_H
#define ST_LOADER_STUB_H

#include <stdbool.h>
#include <stdint.h>

#include "loader/an3155-internal.h"

struct stub_load_result {
	bool went;			/* Go was sent: the ROM is gone until a reset */
	int bad_frames;			/* damaged frames sent again */
	uint32_t pages_unchanged;	/* pages whose CRC matched: left alone */
};

/* Upload the stub, start it, load img through it.  ST_ERR_NOTSUP when the
 * part has no stub (nothing was sent).  Any other error is a doubt: the
 * caller falls back to the ROM protocol (after a reset when sr->went). */
int stub_load(struct bl *b, const struct image *img, const struct geom *g,
	      struct stub_load_result *sr);
/* The STM32 CRC unit's CRC-32 over little-endian words (n a multiple of 4). */
uint32_t stub_crc_words(uint32_t crc, const uint8_t *p, size_t n);

#endif
