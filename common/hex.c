/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <mbedtls/sha256.h>

#include "common/err.h"
#include "common/hex.h"

int hex_encode(const void *buf, size_t len, char *out, size_t cap, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	const uint8_t *b = buf;

	if (len > (cap - 1) / 2 || !cap)
		return ST_ERR_LIMIT;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * len] = '\0';
	return ST_OK;
}

int hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t cap)
{
	if (hex_len == 0 || hex_len % 2)
		return ST_ERR_PARSE;
	if (hex_len / 2 > cap)
		return ST_ERR_LIMIT;
	for (size_t i = 0; i < hex_len; i += 2) {
		int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return ST_ERR_PARSE;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(hex_len / 2);
}

int sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN])
{
	unsigned char d[32];

	if (mbedtls_sha256_ret(buf, len, d, 0) != 0)
		return ST_ERR;
	return hex_encode(d, sizeof(d), out, SHA256_HEX_LEN, false);
}

void hex_normalize(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	for (; *in && n + 1 < cap; in++)
		if (*in != ':' && *in != ' ')
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
}
