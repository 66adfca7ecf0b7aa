// SPDX-License-Identifier: Apache-2.0
/*
 * mkimage: builds simulated firmware images for tools/dut-sim, as raw binary,
 * Intel HEX or a minimal ELF32 ARM executable, so the station's loaders can
 * be tested on every format it accepts.  See tools/simlib/fwimg.h.
 */
#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/simlib/fwimg.h"

#define MAX_SIZE (16u << 20)

struct opts {
	int kind;
	const char *version;
	unsigned long size;
	unsigned long pad;	/* trailing 0xFF bytes of the payload */
	const char *format;
	unsigned long addr;
	const char *out;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mkimage --kind diag|prod --version V --size BYTES [--format raw|ihex|elf]\n"
		"               [--pad BYTES] [--addr 0x08000000] -o FILE\n"
		"Builds a simulated firmware image for dut-sim: a 32-byte header (magic STFW,\n"
		"kind, payload length, CRC-32, version; see tools/simlib/fwimg.h) followed by\n"
		"deterministic pseudo-random payload, BYTES in total (header included).\n"
		"  --pad BYTES     the payload's last BYTES are 0xFF, as in a fixed-size slot\n"
		"                  filled the way objcopy --gap-fill 0xff fills it\n"
		"  --format raw    the bytes as they go to flash (default)\n"
		"  --format ihex   Intel HEX with extended linear address records at --addr\n"
		"  --format elf    ELF32 little-endian ARM executable, one PT_LOAD at --addr\n");
}

/* splitmix64: the same kind+version always gives the same payload */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint8_t *build(const struct opts *o)
{
	struct fwimg_hdr h = { .kind = o->kind };
	uint8_t *img = malloc(o->size);
	uint64_t seed = o->kind;

	if (!img)
		return NULL;
	for (const char *c = o->version; *c; c++)
		seed = seed * 131 + (uint8_t)*c;
	for (size_t i = FWIMG_HDR_SIZE; i < o->size; i++)
		img[i] = mix(&seed) >> 56;
	memset(img + o->size - o->pad, 0xff, o->pad);
	h.length = o->size - FWIMG_HDR_SIZE;
	h.crc32 = fwimg_crc32(0, img + FWIMG_HDR_SIZE, h.length);
	snprintf(h.version, sizeof(h.version), "%s", o->version);
	fwimg_hdr_pack(&h, img);
	return img;
}

static int write_ihex(FILE *f, const uint8_t *img, size_t len, uint32_t addr)
{
	uint32_t upper = ~0u;

	for (size_t off = 0; off < len;) {
		uint32_t a = addr + off;
		/* a record never crosses a 64 KiB boundary */
		size_t n = len - off < 16 ? len - off : 16;
		size_t room = 0x10000 - (a & 0xffff);
		uint8_t sum;

		if (n > room)
			n = room;
		if (a >> 16 != upper) {
			upper = a >> 16;
			sum = 2 + 4 + (upper >> 8) + (upper & 0xff);
			fprintf(f, ":02000004%04X%02X\n", upper, (uint8_t)-sum);
		}
		sum = n + ((a >> 8) & 0xff) + (a & 0xff);
		fprintf(f, ":%02zX%04X00", n, a & 0xffff);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%02X", img[off + i]);
			sum += img[off + i];
		}
		fprintf(f, "%02X\n", (uint8_t)-sum);
		off += n;
	}
	/* start linear address: the load address (there is no real code) */
	{
		uint8_t sum = 4 + 5;

		for (int s = 24; s >= 0; s -= 8)
			sum += (addr >> s) & 0xff;
		fprintf(f, ":04000005%08X%02X\n", addr, (uint8_t)-sum);
	}
	fprintf(f, ":00000001FF\n");
	return ferror(f) ? -1 : 0;
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}

static int write_elf(FILE *f, const uint8_t *img, size_t len, uint32_t addr)
{
	uint8_t eh[52] = { 0 }, ph[32] = { 0 };
	uint32_t off = sizeof(eh) + sizeof(ph);

	memcpy(eh, ELFMAG, SELFMAG);
	eh[EI_CLASS] = ELFCLASS32;
	eh[EI_DATA] = ELFDATA2LSB;
	eh[EI_VERSION] = EV_CURRENT;
	le16(eh + 16, ET_EXEC);
	le16(eh + 18, EM_ARM);
	le32(eh + 20, EV_CURRENT);
	le32(eh + 24, addr);		/* e_entry */
	le32(eh + 28, sizeof(eh));	/* e_phoff */
	le32(eh + 32, 0);		/* e_shoff: no sections */
	le32(eh + 36, 0x05000000);	/* EF_ARM_EABI_VER5 */
	le16(eh + 40, sizeof(eh));
	le16(eh + 42, sizeof(ph));
	le16(eh + 44, 1);		/* e_phnum */
	le16(eh + 46, 40);		/* e_shentsize */
	le16(eh + 48, 0);
	le16(eh + 50, 0);
	le32(ph + 0, PT_LOAD);
	le32(ph + 4, off);
	le32(ph + 8, addr);		/* p_vaddr */
	le32(ph + 12, addr);		/* p_paddr: where it goes in flash */
	le32(ph + 16, len);
	le32(ph + 20, len);
	le32(ph + 24, PF_R | PF_X);
	le32(ph + 28, 4);
	if (fwrite(eh, sizeof(eh), 1, f) != 1 || fwrite(ph, sizeof(ph), 1, f) != 1 ||
	    fwrite(img, len, 1, f) != 1)
		return -1;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "version", required_argument, NULL, 'V' },
		{ "size", required_argument, NULL, 's' },
		{ "pad", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "addr", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kind = fwimg_kind_parse(optarg);
			break;
		case 'V':
			o->version = optarg;
			break;
		case 's':
			o->size = strtoul(optarg, &end, 0);
			if (*end)
				o->size = 0;
			break;
		case 'p':
			o->pad = strtoul(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "mkimage: bad --pad '%s'\n", optarg);
				return -1;
			}
			break;
		case 'f':
			o->format = optarg;
			break;
		case 'a':
			o->addr = strtoul(optarg, &end, 0);
			if (*end || o->addr > 0xffffffffu) {
				fprintf(stderr, "mkimage: bad --addr '%s'\n", optarg);
				return -1;
			}
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->kind < 0 || !o->version || !o->out) {
		fprintf(stderr, "mkimage: --kind diag|prod, --version and -o are required\n");
		return -1;
	}
	if (strlen(o->version) > FWIMG_VERSION_LEN) {
		fprintf(stderr, "mkimage: --version longer than %d characters\n",
			FWIMG_VERSION_LEN);
		return -1;
	}
	if (o->size < FWIMG_HDR_SIZE || o->size > MAX_SIZE) {
		fprintf(stderr, "mkimage: --size must be %d..%u bytes\n", FWIMG_HDR_SIZE,
			MAX_SIZE);
		return -1;
	}
	if (o->pad > o->size - FWIMG_HDR_SIZE) {
		fprintf(stderr, "mkimage: --pad is more than the %lu bytes of payload\n",
			o->size - FWIMG_HDR_SIZE);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .kind = -1, .size = 65536, .format = "raw", .addr = 0x08000000 };
	uint8_t *img = NULL;
	FILE *f = NULL;
	int ret = 1;

	if (parse(argc, argv, &o) < 0)
		return 2;
	img = build(&o);
	if (!img) {
		fprintf(stderr, "mkimage: out of memory\n");
		goto out;
	}
	f = fopen(o.out, "wb");
	if (!f) {
		fprintf(stderr, "mkimage: cannot create %s: %s\n", o.out, strerror(errno));
		goto out;
	}
	if (!strcmp(o.format, "raw"))
		ret = fwrite(img, o.size, 1, f) == 1 ? 0 : -1;
	else if (!strcmp(o.format, "ihex"))
		ret = write_ihex(f, img, o.size, o.addr);
	else if (!strcmp(o.format, "elf"))
		ret = write_elf(f, img, o.size, o.addr);
	else {
		fprintf(stderr, "mkimage: unknown --format '%s' (raw, ihex, elf)\n", o.format);
		ret = 2;
		goto out;
	}
	if (fclose(f) != 0)
		ret = -1;
	f = NULL;
	if (ret < 0) {
		fprintf(stderr, "mkimage: cannot write %s: %s\n", o.out, strerror(errno));
		ret = 1;
	}
out:
	if (f)
		fclose(f);
	free(img);
	return ret;
}
