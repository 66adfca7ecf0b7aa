/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An in-memory link for the fuzz targets: whatever the code under test
 * writes is accepted and dropped; what it reads comes from the fuzzer's
 * input.  Two-byte escapes shape the stream the way a real line does:
 *   0xFD 0x00   the read times out (nothing arrived in time)
 *   0xFD 0xFD   one literal 0xFD byte
 *   0xFD other  a chunk boundary (the next read starts a new chunk)
 * When the input is used up, a few reads time out, then the link reports
 * ST_ERR_IO (the port went away): every loop on the reader ends.
 */
#ifndef ST_TESTS_FUZZ_LINK_H
#define ST_TESTS_FUZZ_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "link/link.h"

#define FUZZ_ESC 0xFD
#define FUZZ_IDLE_TIMEOUTS 4

struct fuzz_stream {
	const uint8_t *p;
	size_t n, off;
	int idle;
	size_t written;
};

/* Set up l (caller-owned, e.g. on the stack) to read from data. */
void fuzz_link_init(struct link *l, struct fuzz_stream *s, const uint8_t *data, size_t n);

#endif
