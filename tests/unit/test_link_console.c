/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_cmd / console_wait_line against a thread that plays a firmware on
 * the master side of a real pty: it reads the command line the station sent,
 * checks it, and answers with canned bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "link/console.h"

struct fw {
	int master;
	char slave[128];
	struct link *l;
	pthread_t th;
	const char *reply;	/* bytes to answer with */
	size_t reply_len;
	char got[256];		/* the command line received */
};

/* Read one line from the station, then answer. */
static void *fw_main(void *arg)
{
	struct fw *f = arg;
	struct pollfd pfd = { .fd = f->master, .events = POLLIN };
	size_t n = 0;

	while (n + 1 < sizeof(f->got) && poll(&pfd, 1, 3000) == 1) {
		if (read(f->master, f->got + n, 1) != 1)
			break;
		if (f->got[n++] == '\n')
			break;
	}
	f->got[n] = '\0';
	if (f->reply_len && write(f->master, f->reply, f->reply_len) < 0)
		return NULL;
	return NULL;
}

static void fw_answer(struct fw *f, const char *reply, size_t len)
{
	f->reply = reply;
	f->reply_len = len;
	assert_int_equal(pthread_create(&f->th, NULL, fw_main, f), 0);
}

#define ANSWER(f, lit) fw_answer(f, lit, sizeof(lit) - 1)

static int setup(void **state)
{
	struct fw *f = calloc(1, sizeof(*f));
	struct st_error e;
	int slave;

	assert_int_equal(openpty(&f->master, &slave, f->slave, NULL, NULL), 0);
	close(slave);
	assert_int_equal(link_open(&f->l, f->slave, NULL, &e), ST_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fw *f = *state;

	link_close(f->l);
	close(f->master);
	free(f);
	return 0;
}

static int run(struct fw *f, const char *cmd, char *resp, size_t cap, int ms,
	       struct st_error *e)
{
	int ret = console_cmd(f->l, cmd, resp, cap, ms, e);

	pthread_join(f->th, NULL);
	return ret;
}

static void test_ok_with_crlf(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	ANSWER(f, "#1 fw diag 1.2.0\r\n\r\n#1 rails 3\r\n#1 OK\r\n");
	assert_int_equal(run(f, "version", resp, sizeof(resp), 2000, &e), ST_OK);
	assert_string_equal(f->got, "#1 version\n");
	assert_string_equal(resp, "fw diag 1.2.0\nrails 3");
}

static void test_echo_dropped(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	ANSWER(f, "#1 rail 3v3\r\n#1 3.301\r\n#1 OK\r\n");
	assert_int_equal(run(f, "rail 3v3", resp, sizeof(resp), 2000, &e), ST_OK);
	assert_string_equal(resp, "3.301");
}

static void test_err_reason(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	ANSWER(f, "#1 measuring\n#1 ERR rail 5v0 out of range\n");
	assert_int_equal(run(f, "rail 5v0", resp, sizeof(resp), 2000, &e), ST_ERR_FAIL);
	assert_string_equal(e.msg, "rail 5v0 out of range");
	assert_string_equal(resp, "measuring");
}

static void test_timeout_says_what(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	ANSWER(f, "#1 self test: pass\r\nhalf a li");
	assert_int_equal(run(f, "selftest", resp, sizeof(resp), 200, &e), ST_ERR_TIMEOUT);
	assert_non_null(strstr(e.msg, "after sending 'selftest'"));
	assert_non_null(strstr(e.msg, "pass\\r\\nhalf a li\""));
}

static void test_timeout_nothing(void **state)
{
	struct fw *f = *state;
	struct st_error e;

	fw_answer(f, "", 0);
	assert_int_equal(run(f, "version", NULL, 0, 100, &e), ST_ERR_TIMEOUT);
	assert_non_null(strstr(e.msg, "last bytes received: nothing"));
}

static void test_garbage(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	ANSWER(f, "\xf8\x00\x80\xfe\x1f\nOK\n");
	assert_int_equal(run(f, "version", resp, sizeof(resp), 2000, &e), ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "non-text bytes (0xf8 0x00 0x80 0xfe 0x1f"));
	assert_non_null(strstr(e.msg, "wrong baud rate or the firmware crashed"));
}

/* The wrong baud rate: high bytes and never a newline.  Named at once, not
 * left to run into the timeout. */
static void test_garbage_without_newline(void **state)
{
	struct fw *f = *state;
	struct st_error e;

	ANSWER(f, "\xa3\xc6\xdf\xa6\xfb");
	assert_int_equal(run(f, "version", NULL, 0, 2000, &e), ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "non-text bytes (0xa3 0xc6 0xdf 0xa6 0xfb)"));
}

static void test_bad_utf8_is_garbage(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	ANSWER(f, "#1 temp 21\xc2\xb0" "C\n\xff\xfe\xfd\nOK\n");
	assert_int_equal(run(f, "temp", resp, sizeof(resp), 2000, &e), ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "(0xff 0xfe 0xfd 0x0a"));
	/* well-formed UTF-8 before it was text */
	assert_string_equal(resp, "temp 21\xc2\xb0" "C");
}

static void test_line_too_long(void **state)
{
	struct fw *f = *state;
	static char big[700];
	struct st_error e;
	char resp[1024];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	fw_answer(f, big, sizeof(big));
	assert_int_equal(run(f, "dump", resp, sizeof(resp), 2000, &e), ST_ERR_LIMIT);
	assert_non_null(strstr(e.msg, "line longer than 512 bytes"));
}

static void test_response_over_cap(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[8];

	ANSWER(f, "#1 0123\n#1 4567\n#1 OK\n");
	assert_int_equal(run(f, "dump", resp, sizeof(resp), 2000, &e), ST_ERR_LIMIT);
	assert_non_null(strstr(e.msg, "longer than 7 bytes"));
	assert_string_equal(resp, "0123");
}

static void test_stale_input_dropped(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	/* left over from an earlier exchange: must not be taken as the answer */
	assert_int_equal(link_unread(f->l, "ERR old\n", 8, &e), ST_OK);
	ANSWER(f, "#1 id 42\n#1 OK\n");
	assert_int_equal(run(f, "id", resp, sizeof(resp), 2000, &e), ST_OK);
	assert_string_equal(resp, "id 42");
}

/* A reply that comes after its command timed out (a slow secure element)
 * carries the old tag: dropped, and the next command gets its own answer. */
static void test_late_reply_not_taken(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	fw_answer(f, "", 0);
	assert_int_equal(run(f, "se info", resp, sizeof(resp), 100, &e), ST_ERR_TIMEOUT);
	ANSWER(f, "#1 chip: VaultIC408\r\n#1 OK\r\n#2 diag 1.2.0\r\n#2 OK\r\n");
	assert_int_equal(run(f, "version", resp, sizeof(resp), 2000, &e), ST_OK);
	assert_string_equal(f->got, "#2 version\n");
	assert_string_equal(resp, "diag 1.2.0");
}

/* Lines without a tag (a banner, a log line) belong to no reply. */
static void test_untagged_lines_ignored(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char resp[64];

	ANSWER(f, "diag 1.2.0 ready\r\nOK\r\n#1 uid: 42\r\n#1 OK\r\n");
	assert_int_equal(run(f, "id", resp, sizeof(resp), 2000, &e), ST_OK);
	assert_string_equal(resp, "uid: 42");
}

/* A firmware that answers without tags is named as such, not a timeout. */
static void test_untagged_firmware(void **state)
{
	struct fw *f = *state;
	struct st_error e;

	ANSWER(f, "ERR unknown command '#1'\r\n");
	assert_int_equal(run(f, "version", NULL, 0, 200, &e), ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "does not speak the tagged console protocol"));
}

static void test_bad_command(void **state)
{
	struct fw *f = *state;
	struct st_error e;

	assert_int_equal(console_cmd(f->l, "a\nb", NULL, 0, 100, &e), ST_ERR_ARG);
	assert_int_equal(console_cmd(f->l, "", NULL, 0, 100, &e), ST_ERR_ARG);
}

static void test_wait_keeps_the_rest(void **state)
{
	struct fw *f = *state;
	struct st_error e;
	char line[64], rest[16];

	/* a power-up glitch byte, a banner, then bytes for the next reader */
	assert_int_equal(write(f->master, "\x00rom v3\r\nREADY diag 1.2\r\nafter\n", 31), 31);
	assert_int_equal(console_wait_line(f->l, "^READY (diag|prod)", line, sizeof(line), 2000,
					   &e), ST_OK);
	assert_string_equal(line, "READY diag 1.2");
	assert_int_equal(link_read_exact(f->l, rest, 6, 2000, &e), ST_OK);
	assert_memory_equal(rest, "after\n", 6);
}

static void test_wait_timeout_and_bad_regex(void **state)
{
	struct fw *f = *state;
	struct st_error e;

	assert_int_equal(write(f->master, "booting\n", 8), 8);
	assert_int_equal(console_wait_line(f->l, "^READY", NULL, 0, 100, &e), ST_ERR_TIMEOUT);
	assert_non_null(strstr(e.msg, "no line matching /^READY/"));
	assert_non_null(strstr(e.msg, "\"booting\\n\""));
	assert_int_equal(console_wait_line(f->l, "(", NULL, 0, 100, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "bad pattern /(/"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ok_with_crlf),
		T(test_echo_dropped),
		T(test_err_reason),
		T(test_timeout_says_what),
		T(test_timeout_nothing),
		T(test_garbage),
		T(test_garbage_without_newline),
		T(test_bad_utf8_is_garbage),
		T(test_line_too_long),
		T(test_response_over_cap),
		T(test_stale_input_dropped),
		T(test_late_reply_not_taken),
		T(test_untagged_lines_ignored),
		T(test_untagged_firmware),
		T(test_bad_command),
		T(test_wait_keeps_the_rest),
		T(test_wait_timeout_and_bad_regex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
