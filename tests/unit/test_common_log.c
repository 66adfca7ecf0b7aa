/* SPDX-License-Identifier: Apache-2.0 */
/* The log's sink: whole lines, the level filter, bounded length, and back
 * to stderr when the sink is removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define LOG_PREFIX "unit"
#include "common/log.h"

struct capture {
	int n;
	char last[2048];
};

static void sink(void *ctx, const char *line)
{
	struct capture *c = ctx;

	c->n++;
	snprintf(c->last, sizeof(c->last), "%s", line);
}

static void test_sink_gets_whole_lines(void **state)
{
	struct capture c = { 0 };

	(void)state;
	st_log_set_level(ST_LOG_WARN);
	st_log_set_sink(sink, &c);
	log_warn("block at 0x%08x: %s", 0x08000200u, "NACK");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.last, "unit: warning: block at 0x08000200: NACK");
	log_info("below the level");
	assert_int_equal(c.n, 1);
	st_log_set_sink(NULL, NULL);
	log_warn("to stderr again");
	assert_int_equal(c.n, 1);
}

static void test_long_lines_are_cut(void **state)
{
	struct capture c = { 0 };
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	st_log_set_sink(sink, &c);
	log_err("%s", big);
	st_log_set_sink(NULL, NULL);
	assert_int_equal(c.n, 1);
	assert_int_equal(strlen(c.last), 1023);
	assert_memory_equal(c.last, "unit: error: xxx", 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sink_gets_whole_lines),
		cmocka_unit_test(test_long_lines_are_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
