/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel HEX: ':' LL AAAA TT DD... CC per line.  Record types 00 data,
 * 01 end of file, 02 extended segment address, 03 start segment address,
 * 04 extended linear address, 05 start linear address.  Every error names
 * the line, so an operator can open the file at the right place.
 */
#include <string.h>

#include "loader/image.h"
#include "loader/image-internal.h"
#include "common/hex.h"

/* 5 header/checksum bytes plus up to 255 data bytes, as hex digits. */
#define IHEX_MAX_BYTES (5 + 255)

enum { REC_DATA = 0, REC_EOF, REC_ESA, REC_SSA, REC_ELA, REC_SLA };

/* Decode one line (without its end of line) into rec[]; returns the number of
 * bytes or a negative error. */
static int decode_line(const uint8_t *s, size_t n, unsigned lineno, uint8_t *rec,
		       struct st_error *e)
{
	size_t nbytes;
	uint8_t sum = 0;

	if (s[0] != ':')
		return st_fail(e, ST_ERR_PARSE, "line %u: record does not start with ':'", lineno);
	s++;
	n--;
	if (n % 2)
		return st_fail(e, ST_ERR_PARSE, "line %u: odd number of hex digits (%zu)",
			       lineno, n);
	nbytes = n / 2;
	if (nbytes < 5)
		return st_fail(e, ST_ERR_PARSE, "line %u: record too short (%zu bytes, at least 5)",
			       lineno, nbytes);
	if (nbytes > IHEX_MAX_BYTES)
		return st_fail(e, ST_ERR_PARSE, "line %u: record too long (%zu bytes, at most %d)",
			       lineno, nbytes, IHEX_MAX_BYTES);
	for (size_t i = 0; i < nbytes; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return st_fail(e, ST_ERR_PARSE, "line %u: not a hex digit at column %zu",
				       lineno, 2 * i + (hi < 0 ? 2 : 3));
		rec[i] = (uint8_t)(hi << 4 | lo);
		sum += rec[i];
	}
	if (rec[0] + 5u != nbytes)
		return st_fail(e, ST_ERR_PARSE,
			       "line %u: length field says %u data bytes, the record holds %zu: "
			       "file truncated or edited?", lineno, rec[0], nbytes - 5);
	if (sum) {
		uint8_t want = (uint8_t)(rec[nbytes - 1] - sum);

		return st_fail(e, ST_ERR_PARSE, "line %u: bad checksum 0x%02X, expected 0x%02X",
			       lineno, rec[nbytes - 1], want);
	}
	return (int)nbytes;
}

struct ihex_state {
	struct seg_builder b;
	uint32_t base;
	bool eof;
};

static int want_len(const uint8_t *rec, unsigned lineno, unsigned len, struct st_error *e)
{
	if (rec[0] != len)
		return st_fail(e, ST_ERR_PARSE,
			       "line %u: record type %02x must hold %u data bytes, holds %u",
			       lineno, rec[3], len, rec[0]);
	return ST_OK;
}

static int apply_record(struct ihex_state *st, struct image *img, const uint8_t *rec,
			unsigned lineno, struct st_error *e)
{
	unsigned len = rec[0], off = (unsigned)rec[1] << 8 | rec[2];
	const uint8_t *d = rec + 4;
	int ret;

	switch (rec[3]) {
	case REC_DATA:
		/* Offsets wrap inside a 64 KiB window per the spec; no tool we
		 * know relies on it, so refuse instead of guessing. */
		if (off + len > 0x10000)
			return st_fail(e, ST_ERR_PARSE,
				       "line %u: %u bytes at offset 0x%04x cross a 64 KiB boundary",
				       lineno, len, off);
		ret = segb_add(&st->b, st->base + off, d, len, e);
		if (ret < 0)
			st_error_prefix(e, "line %u", lineno);
		return ret;
	case REC_EOF:
		st->eof = true;
		return want_len(rec, lineno, 0, e);
	case REC_ESA:
		ret = want_len(rec, lineno, 2, e);
		st->base = ((uint32_t)d[0] << 8 | d[1]) << 4;
		return ret;
	case REC_ELA:
		ret = want_len(rec, lineno, 2, e);
		st->base = ((uint32_t)d[0] << 8 | d[1]) << 16;
		return ret;
	case REC_SSA:
		ret = want_len(rec, lineno, 4, e);
		img->has_entry = true;
		img->entry = ((uint32_t)d[0] << 8 | d[1]) * 16u + ((uint32_t)d[2] << 8 | d[3]);
		return ret;
	case REC_SLA:
		ret = want_len(rec, lineno, 4, e);
		img->has_entry = true;
		img->entry = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
		return ret;
	}
	return st_fail(e, ST_ERR_PARSE, "line %u: unknown record type %02x", lineno, rec[3]);
}

static bool blank(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

int image_parse_ihex(struct image *img, const uint8_t *buf, size_t len, struct st_error *e)
{
	struct ihex_state st = { .base = 0 };
	uint8_t rec[IHEX_MAX_BYTES];
	unsigned lineno = 0;
	size_t pos = 0;
	int ret = ST_OK;

	while (pos < len) {
		const uint8_t *line = buf + pos;
		const uint8_t *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (blank(line, n))
			continue;
		if (st.eof) {
			ret = st_fail(e, ST_ERR_PARSE, "line %u: data after the end-of-file record",
				      lineno);
			goto out;
		}
		while (n && line[n - 1] == '\r')
			n--;
		ret = decode_line(line, n, lineno, rec, e);
		if (ret < 0)
			goto out;
		ret = apply_record(&st, img, rec, lineno, e);
		if (ret < 0)
			goto out;
	}
	if (!st.eof) {
		ret = st_fail(e, ST_ERR_PARSE,
			      "no end-of-file record (type 01) after line %u: file truncated?", lineno);
		goto out;
	}
	ret = segb_finish(&st.b, img, e);
out:
	segb_free(&st.b);
	return ret;
}
