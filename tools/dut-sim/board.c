// SPDX-License-Identifier: Apache-2.0
/*
 * The board behind the fixture lines: power, BOOT and RESET decide what the
 * MCU runs (ROM bootloader, the firmware in flash, or nothing), and a NOR
 * flash model that keeps its contents across power cycles and, with
 * --state FILE, across processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/dut-sim/dutsim.h"

static const char *const mode_names[] = {
	[MODE_OFF] = "off", [MODE_ROM] = "rom", [MODE_DIAG] = "diag",
	[MODE_PROD] = "prod", [MODE_DEAD] = "dead", [MODE_STUB] = "stub",
};

const char *board_mode_name(enum mode m)
{
	return mode_names[m];
}

static int state_open(struct sim *s)
{
	struct stat st;

	s->state_fd = open(s->state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->state_fd < 0 || fstat(s->state_fd, &st) < 0) {
		fprintf(stderr, "dut-sim: cannot open state file %s: %s\n", s->state_path,
			strerror(errno));
		return -1;
	}
	if (st.st_size == (off_t)s->flash_size &&
	    pread(s->state_fd, s->flash, s->flash_size, 0) == (ssize_t)s->flash_size) {
		sim_log("flash loaded from %s", s->state_path);
		return 0;
	}
	/* new or of another size: start from erased flash */
	if (ftruncate(s->state_fd, 0) < 0 ||
	    pwrite(s->state_fd, s->flash, s->flash_size, 0) != (ssize_t)s->flash_size) {
		fprintf(stderr, "dut-sim: cannot write state file %s: %s\n", s->state_path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int board_init(struct sim *s)
{
	s->flash = malloc(s->flash_size);
	if (!s->flash)
		return -1;
	memset(s->flash, 0xff, s->flash_size);
	s->state_fd = -1;
	s->fw_cache = -1;
	s->mode = MODE_OFF;
	if (s->state_path)
		return state_open(s);
	return 0;
}

static void state_sync(struct sim *s, uint32_t off, size_t len)
{
	s->fw_cache = -1;
	if (s->state_fd >= 0 && pwrite(s->state_fd, s->flash + off, len, off) != (ssize_t)len)
		sim_log("cannot update state file %s: %s", s->state_path, strerror(errno));
}

/* --image: flash programmed before the board reaches the fixture */
int board_load_image(struct sim *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "dut-sim: cannot open image %s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(s->flash, 0xff, s->flash_size);
	n = fread(s->flash, 1, s->flash_size, f);
	if (!feof(f) || ferror(f)) {
		fprintf(stderr, "dut-sim: image %s is larger than the %u KiB flash\n", path,
			s->flash_size / 1024);
		fclose(f);
		return -1;
	}
	fclose(f);
	state_sync(s, 0, s->flash_size);
	sim_log("flash: %zu bytes from %s", n, path);
	return 0;
}

void board_free(struct sim *s)
{
	if (s->state_fd >= 0)
		close(s->state_fd);
	free(s->flash);
}


/* Everything in RAM is gone: bootloader state, console input, queued output. */
static void lose_ram(struct sim *s)
{
	cpu_free(s);
	memset(s->ram, 0, sizeof(s->ram));
	rom_reset(s);
	s->line_len = 0;
	s->line_overflow = false;
	s->busy_until = 0;
	wire_drop_pending(s);
}

static void set_mode(struct sim *s, enum mode m)
{
	if (s->mode != m)
		sim_log("mode %s -> %s", board_mode_name(s->mode), board_mode_name(m));
	s->mode = m;
}

int board_flash_image(struct sim *s, struct fwimg_hdr *h)
{
	const char *why;

	if (s->fw_cache < 0)
		s->fw_cache = fwimg_check(s->flash, s->flash_size, &s->fw_flash, &why) == 0;
	if (s->fw_cache && h)
		*h = s->fw_flash;
	return s->fw_cache ? 0 : -1;
}

/* Jump to the application in flash: boot its console, or hang if none. */
void board_run_flash(struct sim *s, uint64_t when)
{
	const char *why = "";

	if (fwimg_check(s->flash, s->flash_size, &s->fw, &why) < 0) {
		sim_log("no valid firmware at 0x%08x (%s): board stays silent", FLASH_BASE, why);
		set_mode(s, MODE_DEAD);
		return;
	}
	set_mode(s, s->fw.kind == FWIMG_DIAG ? MODE_DIAG : MODE_PROD);
	if (s->pty_open)
		console_boot(s, when);
	else
		set_mode(s, MODE_DEAD);
}

/* Power-on or reset release: BOOT0 is sampled to pick the boot space. */
static void boot(struct sim *s)
{
	uint64_t now = sim_now_ns();

	lose_ram(s);
	if (!s->pty_open) {
		set_mode(s, MODE_DEAD);
		return;
	}
	if (s->line[LINE_BOOT]) {
		set_mode(s, MODE_ROM);
		return;
	}
	board_run_flash(s, now);
}

void board_set_line(struct sim *s, enum line l, int v)
{
	int old = s->line[l];

	s->line[l] = v;
	if (old == v)
		return;
	switch (l) {
	case LINE_POWER:
		if (v && !s->line[LINE_RESET])
			boot(s);
		if (!v) {
			lose_ram(s);
			set_mode(s, MODE_OFF);
		}
		break;
	case LINE_RESET:
		if (!s->line[LINE_POWER])
			break;
		if (v) {
			lose_ram(s);
			set_mode(s, MODE_OFF); /* held in reset */
		} else {
			boot(s);
		}
		break;
	default:
		break; /* BOOT is only sampled at boot; lid and LEDs are plain lines */
	}
}

void board_input(struct sim *s, uint8_t b)
{
	if (s->faults.silent)
		return;
	switch (s->mode) {
	case MODE_ROM:
		rom_input(s, b);
		break;
	case MODE_DIAG:
	case MODE_PROD:
		console_input(s, b);
		break;
	case MODE_STUB:
		cpu_rx(s, b);
		break;
	default:
		break; /* nobody listens */
	}
}

/* The address range as memory, or NULL when it leaves a region. */
const uint8_t *mem_map(struct sim *s, uint32_t addr, size_t len, bool write)
{
	uint64_t end = (uint64_t)addr + len;

	if (addr >= FLASH_BASE && end <= (uint64_t)FLASH_BASE + s->flash_size)
		return s->flash + (addr - FLASH_BASE);
	if (addr >= RAM_BASE && end <= (uint64_t)RAM_BASE + RAM_SIZE)
		return s->ram + (addr - RAM_BASE);
	if (!write && addr >= OPT_BASE && end <= (uint64_t)OPT_BASE + OPT_SIZE) {
		/* option bytes: RDP level 0 (0xA5/0x5A), user and WRP unset */
		static const uint8_t opt[OPT_SIZE] = {
			0xa5, 0x5a, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
			0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
		};
		return opt + (addr - OPT_BASE);
	}
	if (!write && addr >= s->size_reg && end <= (uint64_t)s->size_reg + sizeof(s->size_kib))
		return s->size_kib + (addr - s->size_reg);
	return NULL;
}

/*
 * Programming, as the reference manuals say the parts do:
 *  - F1 (RM0008 3.3.3 and the Flash programming manual PM0075 2.3.3, FLASH_SR
 *    bit PGERR): the flash is programmed a half-word at a time, and a
 *    half-word that does not read 0xFFFF is not programmed: PGERR is set,
 *    except when the value written is 0x0000, which is always accepted.
 *    The ROM then answers NACK (AN3155 3.6 ends Write Memory with ACK only
 *    when the write succeeded).  Rewriting the same data is refused too.
 *  - F2/F4 (RM0090 3.5.4 "Standard programming"): successive writes without
 *    an erase are allowed when they only turn bits from 1 to 0; writing a 1
 *    needs an erase.  The manual sets no error flag for it (PGSERR is a
 *    programming sequence error, PGPERR a parallelism mismatch, neither
 *    about the old contents), so the cell keeps the AND of old and new and
 *    a read-back is what catches it.
 * What the ROM does with the rest of a block after a refused half-word is
 * not documented: dut-sim stops at the first refused unit (those before it
 * are programmed), which is what a loop over FLASH_SR would do.
 * Returns 0 and the modelled programming time in *us, or -1 and why.
 */
int flash_program(struct sim *s, uint32_t addr, const uint8_t *d, size_t n, uint32_t *us,
		  char *why, size_t cap)
{
	uint32_t off = addr - FLASH_BASE;
	size_t i = 0;
	int ret = 0;

	*us = 0;
	if (addr < FLASH_BASE || (uint64_t)off + n > s->flash_size) {
		snprintf(why, cap, "write outside flash");
		return -1;
	}
	for (; i < n; i += s->prog_unit) {
		size_t k = n - i < s->prog_unit ? n - i : s->prog_unit;
		uint8_t *f = s->flash + off + i;
		bool erased = true, zero = true;

		for (size_t j = 0; j < k; j++) {
			erased &= f[j] == 0xff;
			zero &= d[i + j] == 0x00;
		}
		if (s->prog_erased_only && !erased && !zero) {
			snprintf(why, cap, "PGERR: the half-word at 0x%08x reads 0x%02x%02x, not "
				 "erased (0xFFFF)", addr + (uint32_t)i, f[1], f[0]);
			ret = -1;
			break;
		}
		for (size_t j = 0; j < k; j++)
			f[j] &= d[i + j];
		*us += s->t_prog_us;
	}
	state_sync(s, off, i < n ? i : n);
	s->prog_us += *us;
	return ret;
}

/* Erase pages (sectors) first..first+count-1.  Returns the modelled erase
 * time in microseconds, or -1 for a page the part does not have. */
int64_t flash_erase_pages(struct sim *s, uint32_t first, uint32_t count)
{
	int64_t us = 0;

	if (first >= s->n_sect || count > s->n_sect - first)
		return -1;
	for (uint32_t i = first; i < first + count; i++) {
		memset(s->flash + s->sect_off[i], 0xff, s->sect_size[i]);
		state_sync(s, s->sect_off[i], s->sect_size[i]);
		us += (int64_t)s->sect_erase_ms[i] * 1000;
	}
	s->erase_us += (uint64_t)us;
	return us;
}

void flash_erase_all(struct sim *s)
{
	memset(s->flash, 0xff, s->flash_size);
	state_sync(s, 0, s->flash_size);
	s->erase_us += (uint64_t)s->t_mass_erase_ms * 1000;
}
