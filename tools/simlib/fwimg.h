/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated firmware image header, shared by tools/mkimage (writes it)
 * and tools/dut-sim (recognises what is in flash).  The simulator cannot
 * execute code, so an image tells it what it is.  Tools only: the station
 * never includes this (it treats images as opaque bytes).
 *
 * Layout: 32 bytes at the start of the image, all integers little-endian.
 *
 *   off size field
 *    0   4   magic      "STFW"
 *    4   1   kind       1 = diagnostic firmware, 2 = production firmware
 *    5   1   hdr_ver    1
 *    6   2   reserved   0
 *    8   4   length     payload length in bytes (payload follows the header)
 *   12   4   crc32      CRC-32 (IEEE 802.3, as zlib's crc32()) of the payload
 *   16  16   version    ASCII version string, NUL-padded (not necessarily
 *                       NUL-terminated when 16 characters long)
 *   32   -   payload
 *
 * An image is valid when the magic and header version match, the kind is
 * known, the payload fits in the space given and its CRC matches.
 */
#ifndef ST_TOOLS_FWIMG_H
#define ST_TOOLS_FWIMG_H

#include <stddef.h>
#include <stdint.h>

#define FWIMG_MAGIC "STFW"
#define FWIMG_HDR_SIZE 32
#define FWIMG_HDR_VERSION 1
#define FWIMG_VERSION_LEN 16

enum fwimg_kind { FWIMG_DIAG = 1, FWIMG_PROD = 2 };

struct fwimg_hdr {
	enum fwimg_kind kind;
	uint32_t length;
	uint32_t crc32;
	char version[FWIMG_VERSION_LEN + 1]; /* always NUL-terminated */
};

/* CRC-32 as zlib's crc32(crc, buf, len); start with crc = 0. */
uint32_t fwimg_crc32(uint32_t crc, const void *buf, size_t len);

/* "diag" / "prod" / NULL, and back (-1 when unknown). */
const char *fwimg_kind_name(enum fwimg_kind kind);
int fwimg_kind_parse(const char *name);

/* Serialise h into out[FWIMG_HDR_SIZE]. Returns -1 if the version is too long. */
int fwimg_hdr_pack(const struct fwimg_hdr *h, uint8_t out[FWIMG_HDR_SIZE]);

/*
 * Check the image in buf[0..cap): header fields and payload CRC.  Returns 0
 * and fills h when valid, else -1 with a short reason in *why (static text).
 */
int fwimg_check(const uint8_t *buf, size_t cap, struct fwimg_hdr *h,
		const char **why);

#endif
