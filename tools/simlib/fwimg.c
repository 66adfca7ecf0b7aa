// SPDX-License-Identifier: Apache-2.0
/* Firmware image header for the simulators: see fwimg.h for the layout. */
#include <string.h>

#include "tools/simlib/fwimg.h"

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

uint32_t fwimg_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc_table[1])
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

const char *fwimg_kind_name(enum fwimg_kind kind)
{
	switch (kind) {
	case FWIMG_DIAG:
		return "diag";
	case FWIMG_PROD:
		return "prod";
	}
	return NULL;
}

int fwimg_kind_parse(const char *name)
{
	if (!strcmp(name, "diag"))
		return FWIMG_DIAG;
	if (!strcmp(name, "prod"))
		return FWIMG_PROD;
	return -1;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int fwimg_hdr_pack(const struct fwimg_hdr *h, uint8_t out[FWIMG_HDR_SIZE])
{
	size_t vlen = strlen(h->version);

	if (vlen > FWIMG_VERSION_LEN)
		return -1;
	memset(out, 0, FWIMG_HDR_SIZE);
	memcpy(out, FWIMG_MAGIC, 4);
	out[4] = h->kind;
	out[5] = FWIMG_HDR_VERSION;
	put_le32(out + 8, h->length);
	put_le32(out + 12, h->crc32);
	memcpy(out + 16, h->version, vlen);
	return 0;
}

int fwimg_check(const uint8_t *buf, size_t cap, struct fwimg_hdr *h,
		const char **why)
{
	if (cap < FWIMG_HDR_SIZE || memcmp(buf, FWIMG_MAGIC, 4)) {
		*why = "no image magic";
		return -1;
	}
	if (buf[5] != FWIMG_HDR_VERSION) {
		*why = "unknown header version";
		return -1;
	}
	if (!fwimg_kind_name(buf[4])) {
		*why = "unknown image kind";
		return -1;
	}
	h->kind = buf[4];
	h->length = get_le32(buf + 8);
	h->crc32 = get_le32(buf + 12);
	memcpy(h->version, buf + 16, FWIMG_VERSION_LEN);
	h->version[FWIMG_VERSION_LEN] = '\0';
	if (h->length > cap - FWIMG_HDR_SIZE) {
		*why = "payload longer than memory";
		return -1;
	}
	if (fwimg_crc32(0, buf + FWIMG_HDR_SIZE, h->length) != h->crc32) {
		*why = "payload CRC mismatch";
		return -1;
	}
	return 0;
}
