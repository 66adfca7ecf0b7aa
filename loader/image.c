/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware image files: format detection, the raw format, the segment
 * builder shared by the parsers, and SHA-256 of what was read (the log
 * records exactly which bytes a board received).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#define LOG_PREFIX "image"
#include "common/hex.h"
#include "common/log.h"
#include "loader/image.h"
#include "loader/image-internal.h"

static const char *const format_names[] = {
	[IMG_AUTO] = "auto", [IMG_RAW] = "raw", [IMG_IHEX] = "ihex", [IMG_ELF] = "elf",
};

const char *image_format_name(enum image_format f)
{
	if ((unsigned)f >= sizeof(format_names) / sizeof(format_names[0]))
		return "unknown";
	return format_names[f];
}

int image_format_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (!strcasecmp(name, format_names[i]))
			return (int)i;
	if (!strcasecmp(name, "hex"))
		return IMG_IHEX;
	if (!strcasecmp(name, "bin"))
		return IMG_RAW;
	return -1;
}

/* ---- segment builder ---------------------------------------------------- */

int segb_add(struct seg_builder *b, uint32_t addr, const uint8_t *data, size_t len,
	     struct st_error *e)
{
	struct image_segment *last = b->n ? &b->seg[b->n - 1] : NULL;

	if (!len)
		return ST_OK;
	if ((uint64_t)addr + len > 0x100000000ull)
		return st_fail(e, ST_ERR_PARSE,
			       "data at 0x%08x (%zu bytes) runs past the 32-bit address space",
			       addr, len);
	if (last && (uint64_t)last->addr + last->len == addr) {
		/* Grow the chunk geometrically: Intel HEX adds 16-32 bytes at a time. */
		if (last->len + len > b->cap_last) {
			size_t cap = b->cap_last ? b->cap_last : 256;
			uint8_t *p;

			while (cap < last->len + len)
				cap *= 2;
			p = realloc(last->data, cap);
			if (!p)
				return st_fail(e, ST_ERR_NOMEM, "out of memory for %zu bytes", cap);
			last->data = p;
			b->cap_last = cap;
		}
		memcpy(last->data + last->len, data, len);
		last->len += (uint32_t)len;
		return ST_OK;
	}
	if (b->n == b->cap) {
		int cap = b->cap ? b->cap * 2 : 8;
		struct image_segment *s = realloc(b->seg, (size_t)cap * sizeof(*s));

		if (!s)
			return st_fail(e, ST_ERR_NOMEM, "out of memory for %d segments", cap);
		b->seg = s;
		b->cap = cap;
	}
	last = &b->seg[b->n];
	last->data = malloc(len);
	if (!last->data)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for %zu bytes", len);
	memcpy(last->data, data, len);
	last->addr = addr;
	last->len = (uint32_t)len;
	b->cap_last = len;
	b->n++;
	return ST_OK;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct image_segment *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int segb_finish(struct seg_builder *b, struct image *img, struct st_error *e)
{
	int out = 0;

	if (!b->n)
		return st_fail(e, ST_ERR_PARSE, "no data to load");
	qsort(b->seg, (size_t)b->n, sizeof(b->seg[0]), seg_cmp);
	for (int i = 1; i < b->n; i++) {
		struct image_segment *prev = &b->seg[out], *cur = &b->seg[i];
		uint64_t prev_end = (uint64_t)prev->addr + prev->len;
		uint8_t *p;

		if (cur->addr < prev_end)
			return st_fail(e, ST_ERR_PARSE,
				       "data at 0x%08x-0x%08llx overlaps data at 0x%08x-0x%08llx",
				       cur->addr, (unsigned long long)cur->addr + cur->len - 1,
				       prev->addr, (unsigned long long)prev_end - 1);
		if (cur->addr > prev_end) {
			/* Move, so that segb_free() frees each buffer once. */
			if (++out != i) {
				b->seg[out] = *cur;
				cur->data = NULL;
			}
			continue;
		}
		p = realloc(prev->data, (size_t)prev->len + cur->len);
		if (!p)
			return st_fail(e, ST_ERR_NOMEM, "out of memory merging segments");
		memcpy(p + prev->len, cur->data, cur->len);
		prev->data = p;
		prev->len += cur->len;
		free(cur->data);
		cur->data = NULL;
	}
	img->seg = b->seg;
	img->n_seg = out + 1;
	img->total = 0;
	for (int i = 0; i < img->n_seg; i++)
		img->total += img->seg[i].len;
	b->seg = NULL;
	b->n = b->cap = 0;
	return ST_OK;
}

void segb_free(struct seg_builder *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->seg[i].data);
	free(b->seg);
	memset(b, 0, sizeof(*b));
}

/* ---- formats -------------------------------------------------------------- */

static int parse_raw(struct image *img, const uint8_t *buf, size_t len, uint32_t addr,
		     struct st_error *e)
{
	struct seg_builder b = { 0 };
	int ret;

	if (!len)
		return st_fail(e, ST_ERR_PARSE, "empty file: nothing to load");
	if ((uint64_t)addr + len > 0x100000000ull)
		return st_fail(e, ST_ERR_PARSE,
			       "%zu bytes at 0x%08x run past the 32-bit address space: "
			       "check the load address", len, addr);
	ret = segb_add(&b, addr, buf, len, e);
	if (ret == ST_OK)
		ret = segb_finish(&b, img, e);
	segb_free(&b);
	return ret;
}

static enum image_format detect(const uint8_t *buf, size_t len)
{
	if (len >= 4 && !memcmp(buf, "\177ELF", 4))
		return IMG_ELF;
	if (len >= 1 && buf[0] == ':')
		return IMG_IHEX;
	return IMG_RAW;
}

int image_parse(struct image *img, const uint8_t *buf, size_t len, enum image_format fmt,
		uint32_t raw_addr, struct st_error *e)
{
	int ret;

	memset(img, 0, sizeof(*img));
	if (fmt == IMG_AUTO)
		fmt = detect(buf, len);
	switch (fmt) {
	case IMG_RAW:
		ret = parse_raw(img, buf, len, raw_addr, e);
		break;
	case IMG_IHEX:
		ret = image_parse_ihex(img, buf, len, e);
		break;
	case IMG_ELF:
		ret = image_parse_elf(img, buf, len, e);
		break;
	default:
		return st_fail(e, ST_ERR_ARG, "unknown image format %d", (int)fmt);
	}
	if (ret < 0) {
		image_free(img);
		return ret;
	}
	img->format = fmt;
	img->file_size = len;
	if (sha256_hex(buf, len, img->sha256) < 0) {
		image_free(img);
		return st_fail(e, ST_ERR, "SHA-256 failed");
	}
	return ST_OK;
}

void image_free(struct image *img)
{
	if (!img)
		return;
	for (int i = 0; i < img->n_seg; i++)
		free(img->seg[i].data);
	free(img->seg);
	img->seg = NULL;
	img->n_seg = 0;
	img->total = 0;
}

/* Read a whole file of at most max bytes; the size is checked again while
 * reading, since a file may grow between fstat() and read(). */
static int read_file(const char *path, uint64_t max, uint8_t **out, size_t *outlen,
		     struct st_error *e)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, ret = ST_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return st_fail(e, ST_ERR_IO, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = st_fail(e, ST_ERR_IO, "not a regular file");
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = st_fail(e, ST_ERR_LIMIT, "file is %lld bytes, larger than the limit of %llu bytes",
			      (long long)st.st_size, (unsigned long long)max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory for %lld bytes", (long long)st.st_size);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = st_fail(e, ST_ERR_IO, "read failed: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			ret = st_fail(e, ST_ERR_IO, "file grew while being read");
			goto out;
		}
	}
	*out = buf;
	*outlen = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

int image_load(struct image *img, const char *path, enum image_format fmt,
	       uint32_t raw_addr, uint64_t max_size, struct st_error *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	memset(img, 0, sizeof(*img));
	ret = read_file(path, max_size ? max_size : IMAGE_MAX_DEFAULT, &buf, &len, e);
	if (ret == ST_OK)
		ret = image_parse(img, buf, len, fmt, raw_addr, e);
	free(buf);
	if (ret < 0) {
		st_error_prefix(e, "%s", path);
		return ret;
	}
	log_dbg("%s: %s, %d segment(s), %llu bytes, sha256 %s", path,
		image_format_name(img->format), img->n_seg, (unsigned long long)img->total,
		img->sha256);
	return ST_OK;
}

int sha256_file(const char *path, char out[65], struct st_error *e)
{
	mbedtls_sha256_context ctx;
	unsigned char buf[65536], d[32];
	int fd, ret = ST_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return st_fail(e, ST_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	mbedtls_sha256_init(&ctx);
	if (mbedtls_sha256_starts_ret(&ctx, 0) != 0) {
		ret = st_fail(e, ST_ERR, "%s: SHA-256 failed", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = st_fail(e, ST_ERR_IO, "%s: read failed: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (mbedtls_sha256_update_ret(&ctx, buf, (size_t)n) != 0) {
			ret = st_fail(e, ST_ERR, "%s: SHA-256 failed", path);
			goto out;
		}
	}
	if (mbedtls_sha256_finish_ret(&ctx, d) != 0) {
		ret = st_fail(e, ST_ERR, "%s: SHA-256 failed", path);
		goto out;
	}
	hex_encode(d, sizeof(d), out, SHA256_HEX_LEN, false);
out:
	mbedtls_sha256_free(&ctx);
	close(fd);
	return ret;
}
