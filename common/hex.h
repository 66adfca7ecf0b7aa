/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hex, as the wire (SE signatures, chip serials), files (Intel HEX) and the
 * log (run ids, SHA-256 fingerprints) carry it: the one encoder, decoder and
 * SHA-256-to-hex helper of the tree.
 */
#ifndef ST_COMMON_HEX_H
#define ST_COMMON_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit, or -1. */
static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* len bytes as 2 * len digits and a NUL into out[cap]; ST_ERR_LIMIT (and
 * out untouched) when it does not fit. */
int hex_encode(const void *buf, size_t len, char *out, size_t cap, bool upper);
/* hex_len digits into bytes: the count, or ST_ERR_PARSE (odd, empty, not a
 * digit), ST_ERR_LIMIT (more than cap bytes). */
int hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t cap);

/* A certificate serial as an operator types it, "0A:1b:FF" or "0x0a1bff",
 * as the log keeps it: "0a1bff" (no 0x, colons or spaces; lower case),
 * cut to fit out[cap]. */
void hex_normalize(const char *in, char *out, size_t cap);

#define SHA256_HEX_LEN 65	/* 64 digits and a NUL */
/* SHA-256 of buf as lower-case hex; ST_ERR on a failure of mbedTLS. */
int sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN]);

#endif
