/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AN3155 loader end to end against bin/dut-sim (a board nobody in this
 * file wrote): images of each format made by bin/mkimage are loaded over the
 * sim's pty, verified by read-back, and started with Go, after which the sim
 * must recognise the firmware; the same image written by Debian's stm32flash
 * leaves the same flash; each fault ends with its exact verdict.
 * Skipped (with a message) only when bin/dut-sim has not been built.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader/loader.h"

#define T_MS 200
#define FAULT_SIZE 8192		/* 32 blocks */

struct sim {
	pid_t pid;
	char pty[160], ctl[160], state[160];
};

static char bindir[256], dir[64];
static struct sim sim1, sim_f4;	/* teardown stops both, whatever failed */

static void path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

/* Run argv; its exit status, or -1. */
static int run(char *const argv[])
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A dut-sim named name, modelling chip (f103 or f407). */
static int sim_start(struct sim *s, const char *name, const char *chip)
{
	char log[160], buf[512];
	size_t n = 0;
	int pfd[2];

	snprintf(s->pty, sizeof(s->pty), "%s/%s.pty", dir, name);
	snprintf(s->ctl, sizeof(s->ctl), "%s/%s.ctl", dir, name);
	snprintf(s->state, sizeof(s->state), "%s/%s.flash", dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	snprintf(buf, sizeof(buf), "%s/dut-sim", bindir);
	if (pipe(pfd) < 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(buf, buf, "--pty", s->pty, "--ctrl", s->ctl, "--fast", "--state", s->state,
		      "--log", log, "--chip", chip, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* Wait for "ready" (10 s at most). */
	while (n < sizeof(buf) - 1) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 10000) <= 0)
			break;
		r = read(pfd[0], buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "ready\n"))
			break;
	}
	close(pfd[0]);
	return strstr(buf, "ready\n") ? 0 : -1;
}

static void sim_stop(struct sim *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

/* One control command; the reply line in reply (without newline). */
static int sim_ctl(const struct sim *s, const char *cmd, char *reply, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = 0;
	int fd, ret = -1;

	if (strlen(s->ctl) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, s->ctl, strlen(s->ctl) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	if (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) != 1)
		goto out;
	while (n < cap - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			break;
		r = read(fd, reply + n, 1);
		if (r <= 0 || reply[n] == '\n')
			break;
		n++;
	}
	reply[n] = '\0';
	ret = strncmp(reply, "OK", 2) ? -1 : 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static void ctl(const char *cmd)
{
	char reply[512];

	if (sim_ctl(&sim1, cmd, reply, sizeof(reply)) < 0)
		fail_msg("dut-sim: '%s' -> '%s'", cmd, reply);
}

/* Power the board up into its ROM bootloader, with a fault or none. */
static void boot_rom(const char *fault)
{
	ctl("set power 0");
	ctl("fault clear");
	ctl("set boot 1");
	ctl("set power 1");
	if (fault)
		ctl(fault);
}

static int sim_status(const struct sim *s, const char *key, char *val, size_t cap)
{
	char reply[1024], *p;

	if (sim_ctl(s, "status", reply, sizeof(reply)) < 0)
		return -1;
	for (p = strtok(reply, " "); p; p = strtok(NULL, " ")) {
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == '=') {
			snprintf(val, cap, "%s", p + strlen(key) + 1);
			return 0;
		}
	}
	return -1;
}

static int status_field(const char *key, char *val, size_t cap)
{
	return sim_status(&sim1, key, val, cap);
}

static void make_image(const char *fmt, int size, char *out, size_t cap)
{
	char sz[16], name[32];

	snprintf(sz, sizeof(sz), "%d", size);
	snprintf(name, sizeof(name), "img-%d.%s", size, fmt);
	path(out, cap, name);
	char mk[300];

	snprintf(mk, sizeof(mk), "%s/mkimage", bindir);
	char *const argv[] = { mk, "--kind", "diag", "--version", "1.0", "--size", sz,
			       "--format", (char *)fmt, "-o", out, NULL };
	assert_int_equal(run(argv), 0);
}

/* At the top of each test: skip, saying why, when the sim is not built. */
#define NEED_SIM()								\
	do {									\
		if (!sim1.pid) {						\
			print_message("skipped: %s/dut-sim is not built (make all)\n", \
				      bindir);					\
			skip();							\
		}								\
	} while (0)

struct flash_run {
	int ret;
	struct st_error e;
	struct loader_result r;
	uint64_t silent_after;	/* send "fault silent" once this many bytes are done */
	bool silenced;
	struct loader_opts *o;	/* its deadline comes once stop_at bytes are done */
	uint64_t stop_at;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct flash_run *fr = ctx;

	if (fr->o && done >= fr->stop_at)
		fr->o->deadline_ms = link_now_ms();

	if (fr->silent_after && !fr->silenced && done >= fr->silent_after) {
		ctl("fault silent");
		fr->silenced = true;
	}
}

static void flash_on(const struct sim *s, const char *file, struct loader_opts *o,
		     struct flash_run *fr)
{
	struct image img;
	struct link *l;

	assert_int_equal(image_load(&img, file, IMG_AUTO, 0x08000000, 0, &fr->e), ST_OK);
	assert_int_equal(link_open(&l, s->pty, NULL, &fr->e), ST_OK);
	o->progress = on_progress;
	o->progress_ctx = fr;
	fr->ret = loader_an3155.flash(l, &img, o, &fr->r, &fr->e);
	link_close(l);
	image_free(&img);
}

static void flash(const char *file, struct loader_opts *o, struct flash_run *fr)
{
	flash_on(&sim1, file, o, fr);
}

static void opts(struct loader_opts *o)
{
	loader_opts_default(o);
	o->timeout_ms = T_MS;
}

/* The first n bytes of a file. */
static void file_bytes(const char *file, uint8_t *out, size_t n)
{
	FILE *f = fopen(file, "rb");

	assert_non_null(f);
	assert_int_equal(fread(out, 1, n, f), n);
	fclose(f);
}

/* The first n bytes of the sim's flash (its --state file). */
static void flash_bytes(const struct sim *s, uint8_t *out, size_t n)
{
	file_bytes(s->state, out, n);
}

static void test_formats(void **state)
{
	static const char *const fmts[] = { "raw", "ihex", "elf" };
	static uint8_t raw[20000], got[20000];
	char file[200], val[64];

	(void)state;
	NEED_SIM();
	make_image("raw", 20000, file, sizeof(file));
	file_bytes(file, raw, sizeof(raw));
	for (size_t i = 0; i < 3; i++) {
		struct loader_opts o;
		struct flash_run fr = { 0 };

		make_image(fmts[i], 20000, file, sizeof(file));
		boot_rom(NULL);
		ctl("fault clear");
		opts(&o);
		o.go = true;
		o.mass_erase = i == 2;	/* once the other way */
		flash(file, &o, &fr);
		if (fr.ret < 0)
			fail_msg("%s: %s", fmts[i], fr.e.msg);
		assert_string_equal(fr.r.chip_id, "0x0414");
		assert_int_equal(fr.r.bytes_written, 20000);
		assert_int_equal(fr.r.bytes_verified, 20000);
		/* Go started it, and the sim found a valid diag image. */
		assert_int_equal(status_field("mode", val, sizeof(val)), 0);
		assert_string_equal(val, "diag");
		assert_int_equal(status_field("fw", val, sizeof(val)), 0);
		assert_string_equal(val, "diag-1.0");
		flash_bytes(&sim1, got, sizeof(got));
		assert_memory_equal(got, raw, sizeof(raw));
	}
	ctl("set power 0");
}

/* stm32flash (written by others) and the station leave the same flash. */
static void test_same_as_stm32flash(void **state)
{
	static uint8_t a[65536], b[65536];
	char file[200], sf[] = "/usr/bin/stm32flash";
	struct sim sim2 = { 0 };
	struct loader_opts o;
	struct flash_run fr = { 0 };

	(void)state;
	NEED_SIM();
	if (access(sf, X_OK) < 0)
		skip();
	make_image("raw", 65536, file, sizeof(file));
	boot_rom(NULL);
	opts(&o);
	flash(file, &o, &fr);
	if (fr.ret < 0)
		fail_msg("%s", fr.e.msg);
	ctl("set power 0");
	assert_int_equal(sim_start(&sim2, "sim2", "f103"), 0);
	char reply[256];

	assert_int_equal(sim_ctl(&sim2, "set boot 1", reply, sizeof(reply)), 0);
	assert_int_equal(sim_ctl(&sim2, "set power 1", reply, sizeof(reply)), 0);
	char *const argv[] = { sf, "-m", "8n1", "-w", file, "-v", "-S", "0x08000000",
			       sim2.pty, NULL };
	int rc = run(argv);

	sim_ctl(&sim2, "set power 0", reply, sizeof(reply));
	flash_bytes(&sim2, b, sizeof(b));
	sim_stop(&sim2);
	assert_int_equal(rc, 0);
	flash_bytes(&sim1, a, sizeof(a));
	assert_memory_equal(a, b, sizeof(a));
}

/*
 * Over an older image, a new one whose middle 4 KiB are 0xFF: those blocks
 * are not sent (the erase made them 0xFF), yet the flash ends up exactly the
 * new image, read back in full; the board programmed only the rest.
 */
static void test_blank_blocks_left_erased(void **state)
{
	static uint8_t img[8192], got[8192];
	char old[200], file[200], val[64];
	struct loader_opts o;
	struct flash_run fr = { 0 }, fr2 = { 0 };

	(void)state;
	NEED_SIM();
	make_image("raw", 8192, old, sizeof(old));
	file_bytes(old, img, sizeof(img));
	boot_rom(NULL);
	opts(&o);
	flash(old, &o, &fr);
	if (fr.ret < 0)
		fail_msg("%s", fr.e.msg);
	assert_int_equal(fr.r.bytes_skipped, 0);
	for (size_t i = 0; i < sizeof(img); i++)	/* a new image: other bytes... */
		img[i] ^= 0x5a;
	memset(img + 2048, 0xff, 4096);			/* ...and a blank middle */
	path(file, sizeof(file), "gap.bin");
	FILE *f = fopen(file, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, sizeof(img), f), sizeof(img));
	fclose(f);
	boot_rom(NULL);
	ctl("counters reset");
	opts(&o);
	flash(file, &o, &fr2);
	if (fr2.ret < 0)
		fail_msg("%s", fr2.e.msg);
	assert_int_equal(fr2.r.bytes_written, 4096);
	assert_int_equal(fr2.r.bytes_skipped, 4096);
	assert_int_equal(fr2.r.bytes_verified, 8192);
	flash_bytes(&sim1, got, sizeof(got));
	assert_memory_equal(got, img, sizeof(img));
	/* the board programmed 2048 halfwords (52 us each), not 4096 */
	assert_int_equal(status_field("prog_us", val, sizeof(val)), 0);
	assert_string_equal(val, "106496");
	ctl("set power 0");
}

/* Power a board up into its ROM bootloader, counters from zero. */
static void sim_rom(const struct sim *s)
{
	char reply[256];

	for (const char *const *c = (const char *const[]){ "set power 0", "set boot 1",
							  "set power 1", "counters reset",
							  NULL }; *c; c++)
		assert_int_equal(sim_ctl(s, *c, reply, sizeof(reply)), 0);
}

/*
 * An STM32F407, whose flash is sectors of 16, 64 and 128 KiB: an 80 KiB image
 * erases sectors 0-4 and no more (4 x 250 + 550 ms modelled), is read back
 * and lands intact.  Debian's stm32flash, which knows the F4's sectors from
 * its own table, erases the same sectors of the same board.
 */
static void test_f4_sectors(void **state)
{
	static uint8_t want[81920], got[81920];
	char file[200], val[64], sf[] = "/usr/bin/stm32flash";
	struct sim *f4 = &sim_f4;
	struct loader_opts o;
	struct flash_run fr = { 0 };

	(void)state;
	NEED_SIM();
	assert_int_equal(sim_start(f4, "f407", "f407"), 0);
	make_image("raw", 81920, file, sizeof(file));
	file_bytes(file, want, sizeof(want));
	sim_rom(f4);
	opts(&o);
	flash_on(f4, file, &o, &fr);
	if (fr.ret < 0)
		fail_msg("%s", fr.e.msg);
	assert_string_equal(fr.r.chip_id, "0x0413");
	assert_int_equal(fr.r.bytes_verified, sizeof(want));
	assert_int_equal(sim_status(f4, "erase_us", val, sizeof(val)), 0);
	assert_string_equal(val, "1550000");
	assert_int_equal(sim_status(f4, "prog_us", val, sizeof(val)), 0);
	assert_string_equal(val, "327680");	/* 20480 words at 16 us */
	flash_bytes(f4, got, sizeof(got));
	assert_memory_equal(got, want, sizeof(want));
	if (access(sf, X_OK) == 0) {
		char *const argv[] = { sf, "-m", "8n1", "-w", file, f4->pty, NULL };

		sim_rom(f4);
		assert_int_equal(run(argv), 0);
		assert_int_equal(sim_status(f4, "erase_us", val, sizeof(val)), 0);
		assert_string_equal(val, "1550000");
	}
	sim_stop(f4);
}

/* Load a FAULT_SIZE image into a board powered up with fault (or none). */
static void fault_run(const char *fault, struct flash_run *fr)
{
	struct loader_opts o;
	char file[200];

	opts(&o);
	make_image("raw", FAULT_SIZE, file, sizeof(file));
	boot_rom(fault);
	flash(file, &o, fr);
	ctl("set power 0");
}

static void expect_verdict(const char *fault, uint64_t silent_after, int ret, const char *msg)
{
	struct flash_run fr = { .silent_after = silent_after };

	fault_run(fault, &fr);
	assert_int_equal(fr.ret, ret);
	assert_string_equal(fr.e.msg, msg);
}

/* The fault costs one retry, and the image still verifies; confirmed: a
 * write read back after its ACK was lost (0 or 1). */
static void expect_recovery(const char *fault, int confirmed)
{
	struct flash_run fr = { 0 };

	fault_run(fault, &fr);
	if (fr.ret < 0)
		fail_msg("%s: %s", fault, fr.e.msg);
	assert_int_equal(fr.r.block_retries, 1);
	assert_int_equal(fr.r.writes_confirmed, confirmed);
	assert_int_equal(fr.r.units_reerased, 0);
	assert_int_equal(fr.r.bytes_verified, FAULT_SIZE);
}

static void test_nack_always(void **state)
{
	(void)state;
	NEED_SIM();
	expect_verdict("fault nack-block=3:always", 0, ST_ERR_NACK,
		       "write at 0x08000200 NACKed 3 times (block 3 of 32): "
		       "the flash may be write-protected, or not erased");
}

static void test_silent(void **state)
{
	(void)state;
	NEED_SIM();
	expect_verdict("fault silent", 0, ST_ERR_TIMEOUT,
		       "no answer from the ROM bootloader after 0x7F (timeout 200 ms): "
		       "check BOOT0 was high at reset and the console port");
}

static void test_silent_mid_flash(void **state)
{
	(void)state;
	NEED_SIM();
	expect_verdict(NULL, 10 * 256, ST_ERR_TIMEOUT,
		       "write at 0x08000a00 (block 11 of 32): no answer from the ROM bootloader "
		       "(1 attempt, timeout 200 ms): the board may have reset or lost power; "
		       "check the console port and the fixture's power");
}

static void test_recoveries(void **state)
{
	(void)state;
	NEED_SIM();
	expect_recovery("fault nack-block=3", 0);
	/* 1 (0x7F) + 11 (Get) + 5 (Get ID) + 5 (the flash size register: 3 ACKs
	 * and 2 bytes) + 2 (erase) + 3 + 3: block 2's data ACK */
	expect_recovery("fault drop-byte=30", 1);	/* a lost ACK */
}

/*
 * The third block's ACK comes after the loader's timeout (200 ms here), or
 * garbled: the block is programmed, the F1 refuses it when it is sent again
 * (PGERR), and reading it back shows it is there.  The load completes and
 * verifies, and the board's flash holds the image.
 */
static void test_uncertain_writes(void **state)
{
	static uint8_t want[FAULT_SIZE], got[FAULT_SIZE];
	char file[200];

	(void)state;
	NEED_SIM();
	expect_recovery("fault late-ack=3:400", 1);
	expect_recovery("fault corrupt-ack=3", 1);
	make_image("raw", FAULT_SIZE, file, sizeof(file));
	file_bytes(file, want, sizeof(want));
	flash_bytes(&sim1, got, sizeof(got));
	assert_memory_equal(got, want, sizeof(want));
}

static void test_corrupt_flash(void **state)
{
	struct flash_run fr = { 0 };
	unsigned addr, w, r;

	(void)state;
	NEED_SIM();
	fault_run("fault corrupt-flash", &fr);
	assert_int_equal(fr.ret, ST_ERR_VERIFY);
	assert_int_equal(sscanf(fr.e.msg, "verify failed at 0x%x: wrote 0x%x, read 0x%x", &addr,
				&w, &r), 3);
	assert_true(addr >= 0x08000000 && addr < 0x08000100);	/* the first block */
	assert_int_equal(__builtin_popcount(w ^ r), 1);		/* one bit flipped */
	assert_int_equal(fr.r.bytes_written, FAULT_SIZE);
}

static void test_garbage(void **state)
{
	struct flash_run fr = { 0 };

	(void)state;
	NEED_SIM();
	fault_run("fault garbage", &fr);
	assert_int_equal(fr.ret, ST_ERR_PROTO);
	assert_non_null(strstr(fr.e.msg, "to 0x7F (expected ACK 0x79): the board may be running "
				"its firmware"));
}

/*
 * The stub's load stops when its time runs out, after the first frame of
 * data it acknowledges: nothing more is sent, no fallback to the ROM (no
 * time is left for one), and the verdict says the stub is left running.
 * An image of its own version, so that its pages differ from the flash.
 */
static void test_deadline_in_stub(void **state)
{
	struct flash_run fr = { 0 };
	struct loader_opts o;
	char file[200], mk[300];

	(void)state;
	NEED_SIM();
	path(file, sizeof(file), "img-deadline.bin");
	snprintf(mk, sizeof(mk), "%s/mkimage", bindir);
	char *const argv[] = { mk, "--kind", "diag", "--version", "7.7.7", "--size", "8192",
			       "-o", file, NULL };
	assert_int_equal(run(argv), 0);
	opts(&o);
	o.protocol = PROTO_STUB;
	fr.o = &o;
	fr.stop_at = 1;
	boot_rom(NULL);
	flash(file, &o, &fr);
	ctl("set power 0");
	assert_int_equal(fr.ret, ST_ERR_ABORTED);
	assert_string_equal(fr.e.msg, "flashing stopped after 1024 of 8192 bytes were written: "
			    "out of time during the stub's write at 0x08000400; the board is left "
			    "running the flasher stub, part of the image in its flash: the next run "
			    "erases and writes it again");
	assert_string_equal(fr.r.protocol, "rom");	/* never fell back: set before the stub */
}

static int setup(void **state)
{
	const char *top = getenv("ST_TOP"), *bd = getenv("BINDIR");

	(void)state;
	if (!bd)
		bd = "bin";
	snprintf(bindir, sizeof(bindir), "%s%s%s", bd[0] == '/' ? "" : top ? top : ".",
		 bd[0] == '/' ? "" : "/", bd);
	strcpy(dir, "/tmp/st-an3155-sim-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char p[300];

	snprintf(p, sizeof(p), "%s/dut-sim", bindir);
	if (access(p, X_OK) < 0)
		return 0;	/* each test skips */
	return sim_start(&sim1, "sim1", "f103");
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	sim_stop(&sim1);
	sim_stop(&sim_f4);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_same_as_stm32flash),
		cmocka_unit_test(test_blank_blocks_left_erased),
		cmocka_unit_test(test_f4_sectors),
		cmocka_unit_test(test_nack_always),
		cmocka_unit_test(test_recoveries),
		cmocka_unit_test(test_uncertain_writes),
		cmocka_unit_test(test_corrupt_flash),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_silent_mid_flash),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_deadline_in_stub),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
