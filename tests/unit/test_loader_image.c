/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image parsers: good files of each format (made here, and made by GNU
 * binutils under tests/data/images/), and each malformed class with the
 * exact operator-facing message.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader/image.h"

static char tmpdir[64];

static const char *top(void)
{
	const char *t = getenv("ST_TOP");

	return t ? t : ".";
}

static const char *write_tmp(const char *name, const void *buf, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	return path;
}

/* Append one Intel HEX record with its checksum to s. */
static void rec(char *s, unsigned type, unsigned addr, const uint8_t *d, unsigned n)
{
	unsigned sum = n + (addr >> 8) + (addr & 0xff) + type;

	s += strlen(s);
	s += sprintf(s, ":%02X%04X%02X", n, addr, type);
	for (unsigned i = 0; i < n; i++) {
		s += sprintf(s, "%02X", d[i]);
		sum += d[i];
	}
	sprintf(s, "%02X\r\n", (0x100 - (sum & 0xff)) & 0xff);
}

static int parse_str(struct image *img, const char *s, enum image_format f, struct st_error *e)
{
	return image_parse(img, (const uint8_t *)s, strlen(s), f, 0, e);
}

static void test_format_names(void **state)
{
	(void)state;
	assert_string_equal(image_format_name(IMG_IHEX), "ihex");
	assert_int_equal(image_format_from_name("elf"), IMG_ELF);
	assert_int_equal(image_format_from_name("hex"), IMG_IHEX);
	assert_int_equal(image_format_from_name("raw"), IMG_RAW);
	assert_int_equal(image_format_from_name("srec"), -1);
}

static void test_raw(void **state)
{
	struct image img;
	struct st_error e = { 0 };

	(void)state;
	assert_int_equal(image_parse(&img, (const uint8_t *)"abc", 3, IMG_AUTO, 0x08000000, &e),
			 ST_OK);
	assert_int_equal(img.format, IMG_RAW);
	assert_int_equal(img.n_seg, 1);
	assert_int_equal(img.seg[0].addr, 0x08000000);
	assert_int_equal(img.seg[0].len, 3);
	assert_memory_equal(img.seg[0].data, "abc", 3);
	assert_int_equal(img.total, 3);
	assert_string_equal(img.sha256,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	image_free(&img);

	assert_int_equal(image_parse(&img, (const uint8_t *)"", 0, IMG_RAW, 0, &e), ST_ERR_PARSE);
	assert_string_equal(e.msg, "empty file: nothing to load");
	assert_int_equal(image_parse(&img, (const uint8_t *)"abcd", 4, IMG_RAW, 0xfffffffe, &e),
			 ST_ERR_PARSE);
	assert_string_equal(e.msg, "4 bytes at 0xfffffffe run past the 32-bit address space: "
			    "check the load address");
}

static void test_ihex_good(void **state)
{
	static char s[4096];
	uint8_t d[16], ela[2] = { 0x08, 0x00 }, sla[4] = { 0x08, 0x00, 0x01, 0x01 };
	struct image img;
	struct st_error e = { 0 };

	(void)state;
	s[0] = '\0';
	for (int i = 0; i < 16; i++)
		d[i] = (uint8_t)i;
	rec(s, 4, 0, ela, 2);
	rec(s, 0, 0x0010, d, 16);	/* out of order: merged after sorting */
	rec(s, 0, 0x0000, d, 16);
	rec(s, 0, 0x0020, d, 8);
	rec(s, 0, 0x1000, d, 4);	/* gap -> second segment */
	rec(s, 2, 0, (const uint8_t[]){ 0x10, 0x00 }, 2); /* segment base 0x10000 */
	rec(s, 0, 0x0000, d, 2);
	rec(s, 5, 0, sla, 4);
	rec(s, 1, 0, NULL, 0);
	strcat(s, "\n");		/* blank lines at the end are fine */
	assert_int_equal(parse_str(&img, s, IMG_AUTO, &e), ST_OK);
	assert_int_equal(img.format, IMG_IHEX);
	assert_int_equal(img.n_seg, 3);
	assert_int_equal(img.seg[0].addr, 0x10000);
	assert_int_equal(img.seg[0].len, 2);
	assert_int_equal(img.seg[1].addr, 0x08000000);
	assert_int_equal(img.seg[1].len, 40);
	assert_int_equal(img.seg[1].data[17], 1);
	assert_int_equal(img.seg[1].data[39], 7);
	assert_int_equal(img.seg[2].addr, 0x08001000);
	assert_int_equal(img.seg[2].len, 4);
	assert_int_equal(img.total, 46);
	assert_true(img.has_entry);
	assert_int_equal(img.entry, 0x08000101);
	image_free(&img);
}

static void expect_ihex_error(const char *s, const char *msg)
{
	struct image img;
	struct st_error e = { 0 };

	assert_int_equal(parse_str(&img, s, IMG_IHEX, &e), ST_ERR_PARSE);
	assert_string_equal(e.msg, msg);
	assert_null(img.seg);
}

static void test_ihex_bad(void **state)
{
	static char s[4096], t[4096];
	uint8_t d[4] = { 1, 2, 3, 4 };

	(void)state;
	s[0] = '\0';
	rec(s, 0, 0x0100, d, 4);
	strcpy(t, s);
	strcat(t, ":0400000501020304EA\n:00000001FF\n");
	expect_ihex_error(t, "line 2: bad checksum 0xEA, expected 0xED");
	/* no EOF record */
	expect_ihex_error(s, "no end-of-file record (type 01) after line 1: file truncated?");
	/* a record cut short */
	expect_ihex_error(":10010000214601360121470136007EFE09D21901\n",
			  "line 1: length field says 16 data bytes, the record holds 15: "
			  "file truncated or edited?");
	expect_ihex_error("0400000501020304EE\n", "line 1: record does not start with ':'");
	expect_ihex_error(":04000005010203G4EE\n", "line 1: not a hex digit at column 16");
	expect_ihex_error(":0400000\n", "line 1: odd number of hex digits (7)");
	expect_ihex_error(":00000007F9\n:00000001FF\n", "line 1: unknown record type 07");
	expect_ihex_error(":00000001FF\n:00000001FF\n", "line 2: data after the end-of-file record");
	expect_ihex_error(":0100000400FB\n:00000001FF\n",
			  "line 1: record type 04 must hold 2 data bytes, holds 1");
	expect_ihex_error(":00000001FF\n", "no data to load");
	/* overlap */
	strcpy(t, s);
	rec(t, 0, 0x0102, d, 4);
	strcat(t, ":00000001FF\n");
	expect_ihex_error(t, "data at 0x00000102-0x00000105 overlaps data at 0x00000100-0x00000103");
	/* crossing a 64 KiB window */
	t[0] = '\0';
	rec(t, 0, 0xfffe, d, 4);
	expect_ihex_error(t, "line 1: 4 bytes at offset 0xfffe cross a 64 KiB boundary");
}

/* A little ELF32 with three program headers: PT_LOAD, a .bss-like PT_LOAD
 * (no file data, skipped) and a PT_NOTE (skipped). */
static size_t make_elf32(uint8_t *out, uint32_t paddr, uint32_t off_override)
{
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph[3] = { { 0 } };
	const size_t data_off = sizeof(eh) + sizeof(ph);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_ARM;
	eh.e_entry = paddr + 0x101;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_phnum = 3;
	eh.e_ehsize = sizeof(eh);
	ph[0].p_type = PT_LOAD;
	ph[0].p_offset = off_override ? off_override : data_off;
	ph[0].p_vaddr = 0x20000000;
	ph[0].p_paddr = paddr;
	ph[0].p_filesz = 64;
	ph[0].p_memsz = 64;
	ph[1].p_type = PT_LOAD;
	ph[1].p_vaddr = ph[1].p_paddr = 0x20001000;
	ph[1].p_memsz = 4096;
	ph[2].p_type = PT_NOTE;
	ph[2].p_offset = data_off;
	ph[2].p_filesz = 8;
	memcpy(out, &eh, sizeof(eh));
	memcpy(out + sizeof(eh), ph, sizeof(ph));
	for (int i = 0; i < 64; i++)
		out[data_off + i] = (uint8_t)(0xa0 + i);
	return data_off + 64;
}

static void test_elf_good(void **state)
{
	uint8_t buf[512];
	size_t n = make_elf32(buf, 0x08000200, 0);
	struct image img;
	struct st_error e = { 0 };

	(void)state;
	assert_int_equal(image_parse(&img, buf, n, IMG_AUTO, 0, &e), ST_OK);
	assert_int_equal(img.format, IMG_ELF);
	assert_int_equal(img.n_seg, 1);
	assert_int_equal(img.seg[0].addr, 0x08000200);	/* p_paddr, not p_vaddr */
	assert_int_equal(img.seg[0].len, 64);
	assert_int_equal(img.seg[0].data[63], 0xa0 + 63);
	assert_int_equal(img.entry, 0x08000301);
	image_free(&img);
}

static void expect_elf_error(const uint8_t *buf, size_t n, const char *msg)
{
	struct image img;
	struct st_error e = { 0 };

	assert_int_equal(image_parse(&img, buf, n, IMG_ELF, 0, &e), ST_ERR_PARSE);
	assert_string_equal(e.msg, msg);
}

static void test_elf_bad(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	n = make_elf32(buf, 0x08000000, 0x1000);
	expect_elf_error(buf, n, "segment 0: data at file offset 0x1000 + 0x40 bytes lies beyond "
			 "the end of the file (212 bytes): file truncated?");
	n = make_elf32(buf, 0x08000000, 0);
	expect_elf_error(buf, n - 1, "segment 0: data at file offset 0x94 + 0x40 bytes lies beyond "
			 "the end of the file (211 bytes): file truncated?");
	expect_elf_error(buf, 60, "program header table (3 x 32 bytes at 0x34) lies beyond the "
			 "end of the file (60 bytes): file truncated?");
	expect_elf_error(buf, 20, "truncated ELF header: 20 of 52 bytes");
	expect_elf_error((const uint8_t *)"\177ELG and more", 14, "bad ELF magic: not an ELF file");
	n = make_elf32(buf, 0xffffffe0, 0);
	expect_elf_error(buf, n, "segment 0: 0x40 bytes at physical address 0xffffffe0 lie beyond "
			 "the 32-bit address space");
	n = make_elf32(buf, 0x08000000, 0);
	buf[EI_DATA] = ELFDATA2MSB;
	expect_elf_error(buf, n, "big-endian ELF is not supported (EI_DATA 2): STM32 images are "
			 "little-endian");
	/* Every truncation of a good file fails cleanly (ASan watches). */
	n = make_elf32(buf, 0x08000000, 0);
	for (size_t cut = 0; cut < n; cut++) {
		struct image img;
		struct st_error e = { 0 };

		assert_true(image_parse(&img, buf, cut, IMG_ELF, 0, &e) < 0);
	}
}

/* Files made by GNU binutils parse to exactly blob.bin. */
static void test_binutils_files(void **state)
{
	static const struct { const char *name; uint32_t addr; } f[] = {
		{ "blob.hex", 0x08000000 }, { "blob32.elf", 0x08000000 },
		{ "blob64.elf", 0x08000000 }, { "lma32.elf", 0x08000400 },
	};
	char path[512], sha[65];
	struct image raw, img;
	struct st_error e = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/data/images/blob.bin", top());
	assert_int_equal(image_load(&raw, path, IMG_AUTO, 0x08000000, 0, &e), ST_OK);
	assert_int_equal(raw.total, 1000);
	assert_int_equal(sha256_file(path, sha, &e), ST_OK);
	assert_string_equal(sha, raw.sha256);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/data/images/%s", top(), f[i].name);
		if (image_load(&img, path, IMG_AUTO, 0, 0, &e) < 0)
			fail_msg("%s", e.msg);
		assert_int_equal(img.format, strstr(f[i].name, ".hex") ? IMG_IHEX : IMG_ELF);
		assert_int_equal(img.n_seg, 1);
		assert_int_equal(img.seg[0].addr, f[i].addr);
		assert_int_equal(img.seg[0].len, 1000);
		assert_memory_equal(img.seg[0].data, raw.seg[0].data, 1000);
		assert_int_equal(sha256_file(path, sha, &e), ST_OK);
		assert_string_equal(sha, img.sha256);
		image_free(&img);
	}
	image_free(&raw);
}

static void test_load_errors(void **state)
{
	uint8_t big[200] = { 0 };
	char want[512], sha[65];
	const char *p;
	struct image img;
	struct st_error e = { 0 };

	(void)state;
	p = write_tmp("big.bin", big, sizeof(big));
	assert_int_equal(image_load(&img, p, IMG_RAW, 0, 100, &e), ST_ERR_LIMIT);
	snprintf(want, sizeof(want), "%s: file is 200 bytes, larger than the limit of 100 bytes", p);
	assert_string_equal(e.msg, want);
	assert_int_equal(image_load(&img, p, IMG_RAW, 0x08000000, 200, &e), ST_OK);
	image_free(&img);

	p = write_tmp("bad.hex", ":00000001FE\n", 12);
	assert_int_equal(image_load(&img, p, IMG_AUTO, 0, 0, &e), ST_ERR_PARSE);
	snprintf(want, sizeof(want), "%s: line 1: bad checksum 0xFE, expected 0xFF", p);
	assert_string_equal(e.msg, want);

	snprintf(want, sizeof(want), "%s/missing.bin", tmpdir);
	assert_int_equal(image_load(&img, want, IMG_AUTO, 0, 0, &e), ST_ERR_IO);
	assert_non_null(strstr(e.msg, "missing.bin: cannot open: No such file or directory"));
	assert_int_equal(sha256_file(want, sha, &e), ST_ERR_IO);
	assert_non_null(strstr(e.msg, "missing.bin: cannot open: No such file or directory"));
}

/* Random damage to good files never crashes a parser (ASan/UBSan watch in
 * make check): each result is either a clean error or a well-formed image. */
static void test_mutations(void **state)
{
	static char hex[4096];
	uint8_t elf[512], buf[4096], d[16] = { 1, 2, 3 };
	uint32_t seed = 12345;
	size_t n_elf = make_elf32(elf, 0x08000000, 0);

	(void)state;
	hex[0] = '\0';
	rec(hex, 4, 0, (const uint8_t[]){ 0x08, 0x00 }, 2);
	rec(hex, 0, 0x0000, d, 16);
	rec(hex, 0, 0x0010, d, 16);
	rec(hex, 1, 0, NULL, 0);
	for (int i = 0; i < 4000; i++) {
		const bool is_elf = i & 1;
		const size_t n = is_elf ? n_elf : strlen(hex);
		struct image img;
		struct st_error e = { 0 };

		memcpy(buf, is_elf ? elf : (const uint8_t *)hex, n);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % n] = (uint8_t)(seed >> 20);
		}
		if (image_parse(&img, buf, n, IMG_AUTO, 0x08000000, &e) == ST_OK) {
			assert_true(img.n_seg >= 1);
			for (int s = 0; s < img.n_seg; s++)
				assert_true((uint64_t)img.seg[s].addr + img.seg[s].len <= 0x100000000ull);
			image_free(&img);
		} else {
			assert_true(e.msg[0] != '\0');
		}
	}
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/st-image-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_ihex_good),
		cmocka_unit_test(test_ihex_bad),
		cmocka_unit_test(test_elf_good),
		cmocka_unit_test(test_elf_bad),
		cmocka_unit_test(test_binutils_files),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
