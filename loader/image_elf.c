/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ELF32 and ELF64, little-endian: the PT_LOAD segments that carry file data
 * (p_filesz > 0), placed at their physical address (p_paddr: where the
 * linker put the load image, e.g. .data's initial values in flash).  Fields
 * are decoded byte by byte, never by casting the buffer, and every offset and
 * size is checked against the file size in 64-bit arithmetic first.
 */
#include <elf.h>
#include <stddef.h>
#include <string.h>

#include "loader/image.h"
#include "loader/image-internal.h"

/* Past this a file is surely not firmware; bounds the loop below. */
#define ELF_MAX_PHNUM 4096

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Offsets and widths of the fields we use, per class. */
struct elf_layout {
	size_t ehsize;
	size_t phoff, phoff_w, phentsize, phnum, entry, entry_w;
	size_t ph_size, p_type, p_offset, p_paddr, p_filesz, p_memsz, p_w;
};

static const struct elf_layout elf32 = {
	.ehsize = sizeof(Elf32_Ehdr),
	.phoff = offsetof(Elf32_Ehdr, e_phoff), .phoff_w = 4,
	.phentsize = offsetof(Elf32_Ehdr, e_phentsize),
	.phnum = offsetof(Elf32_Ehdr, e_phnum),
	.entry = offsetof(Elf32_Ehdr, e_entry), .entry_w = 4,
	.ph_size = sizeof(Elf32_Phdr),
	.p_type = offsetof(Elf32_Phdr, p_type),
	.p_offset = offsetof(Elf32_Phdr, p_offset),
	.p_paddr = offsetof(Elf32_Phdr, p_paddr),
	.p_filesz = offsetof(Elf32_Phdr, p_filesz),
	.p_memsz = offsetof(Elf32_Phdr, p_memsz),
	.p_w = 4,
};

static const struct elf_layout elf64 = {
	.ehsize = sizeof(Elf64_Ehdr),
	.phoff = offsetof(Elf64_Ehdr, e_phoff), .phoff_w = 8,
	.phentsize = offsetof(Elf64_Ehdr, e_phentsize),
	.phnum = offsetof(Elf64_Ehdr, e_phnum),
	.entry = offsetof(Elf64_Ehdr, e_entry), .entry_w = 8,
	.ph_size = sizeof(Elf64_Phdr),
	.p_type = offsetof(Elf64_Phdr, p_type),
	.p_offset = offsetof(Elf64_Phdr, p_offset),
	.p_paddr = offsetof(Elf64_Phdr, p_paddr),
	.p_filesz = offsetof(Elf64_Phdr, p_filesz),
	.p_memsz = offsetof(Elf64_Phdr, p_memsz),
	.p_w = 8,
};

static int check_ident(const uint8_t *buf, size_t len, const struct elf_layout **lay,
		       struct st_error *e)
{
	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG))
		return st_fail(e, ST_ERR_PARSE, "bad ELF magic: not an ELF file");
	if (buf[EI_CLASS] == ELFCLASS32)
		*lay = &elf32;
	else if (buf[EI_CLASS] == ELFCLASS64)
		*lay = &elf64;
	else
		return st_fail(e, ST_ERR_PARSE, "unknown ELF class %u (neither 32- nor 64-bit)",
			       buf[EI_CLASS]);
	if (buf[EI_DATA] != ELFDATA2LSB)
		return st_fail(e, ST_ERR_PARSE,
			       "big-endian ELF is not supported (EI_DATA %u): STM32 images are little-endian",
			       buf[EI_DATA]);
	if (len < (*lay)->ehsize)
		return st_fail(e, ST_ERR_PARSE, "truncated ELF header: %zu of %zu bytes",
			       len, (*lay)->ehsize);
	return ST_OK;
}

/* One program header: add its file data when it is a PT_LOAD with some. */
static int load_phdr(struct seg_builder *b, const uint8_t *buf, size_t len,
		     const struct elf_layout *L, const uint8_t *ph, unsigned idx,
		     struct st_error *e)
{
	uint64_t off = rd(ph + L->p_offset, (int)L->p_w);
	uint64_t paddr = rd(ph + L->p_paddr, (int)L->p_w);
	uint64_t filesz = rd(ph + L->p_filesz, (int)L->p_w);
	uint64_t memsz = rd(ph + L->p_memsz, (int)L->p_w);
	int ret;

	if (rd(ph + L->p_type, 4) != PT_LOAD || filesz == 0)
		return ST_OK;
	/* off <= len first, so len - off cannot wrap. */
	if (off > len || filesz > len - off)
		return st_fail(e, ST_ERR_PARSE,
			       "segment %u: data at file offset 0x%llx + 0x%llx bytes lies beyond "
			       "the end of the file (%zu bytes): file truncated?", idx,
			       (unsigned long long)off, (unsigned long long)filesz, len);
	if (filesz > memsz)
		return st_fail(e, ST_ERR_PARSE,
			       "segment %u: file size 0x%llx larger than memory size 0x%llx",
			       idx, (unsigned long long)filesz, (unsigned long long)memsz);
	if (paddr > 0xffffffffull || filesz > 0x100000000ull - paddr)
		return st_fail(e, ST_ERR_PARSE,
			       "segment %u: 0x%llx bytes at physical address 0x%llx lie beyond "
			       "the 32-bit address space", idx, (unsigned long long)filesz,
			       (unsigned long long)paddr);
	ret = segb_add(b, (uint32_t)paddr, buf + off, (size_t)filesz, e);
	if (ret < 0)
		st_error_prefix(e, "segment %u", idx);
	return ret;
}

int image_parse_elf(struct image *img, const uint8_t *buf, size_t len, struct st_error *e)
{
	const struct elf_layout *L = NULL;
	struct seg_builder b = { 0 };
	uint64_t phoff, entry;
	unsigned phentsize, phnum;
	int ret;

	ret = check_ident(buf, len, &L, e);
	if (ret < 0)
		return ret;
	phoff = rd(buf + L->phoff, (int)L->phoff_w);
	phentsize = (unsigned)rd(buf + L->phentsize, 2);
	phnum = (unsigned)rd(buf + L->phnum, 2);
	entry = rd(buf + L->entry, (int)L->entry_w);
	if (phnum == 0)
		return st_fail(e, ST_ERR_PARSE, "no program headers: link the firmware as an executable");
	if (phnum >= PN_XNUM || phnum > ELF_MAX_PHNUM)
		return st_fail(e, ST_ERR_PARSE, "too many program headers (%u)", phnum);
	if (phentsize < L->ph_size)
		return st_fail(e, ST_ERR_PARSE, "program header size %u, expected at least %zu",
			       phentsize, L->ph_size);
	/* phnum * phentsize < 2^32: no overflow in 64 bits. */
	if (phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return st_fail(e, ST_ERR_PARSE,
			       "program header table (%u x %u bytes at 0x%llx) lies beyond the end "
			       "of the file (%zu bytes): file truncated?", phnum, phentsize,
			       (unsigned long long)phoff, len);
	for (unsigned i = 0; i < phnum; i++) {
		ret = load_phdr(&b, buf, len, L, buf + phoff + (uint64_t)i * phentsize, i, e);
		if (ret < 0)
			goto out;
	}
	if (!b.n) {
		ret = st_fail(e, ST_ERR_PARSE, "no PT_LOAD segment with file data: nothing to load");
		goto out;
	}
	ret = segb_finish(&b, img, e);
	if (ret == ST_OK && entry <= 0xffffffffull) {
		img->has_entry = true;
		img->entry = (uint32_t)entry;
	}
out:
	segb_free(&b);
	return ret;
}
