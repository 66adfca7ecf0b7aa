/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"

static void test_every_code_has_a_name(void **state)
{
	(void)state;
	for (int c = ST_OK; c >= ST_ERR_BUSY; c--)
		assert_string_not_equal(st_strerror(c), "unknown error");
	assert_string_equal(st_strerror(-999), "unknown error");
}

static void test_fail_and_prefix(void **state)
{
	struct st_error e;

	(void)state;
	st_error_clear(&e);
	assert_int_equal(st_fail(&e, ST_ERR_TIMEOUT, "no ACK at 0x%08x", 0x08000100u),
			 ST_ERR_TIMEOUT);
	assert_int_equal(e.code, ST_ERR_TIMEOUT);
	st_error_prefix(&e, "flash %s", "diag");
	assert_string_equal(e.msg, "flash diag: no ACK at 0x08000100");
	assert_int_equal(st_fail(NULL, ST_ERR_IO, "ignored"), ST_ERR_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_a_name),
		cmocka_unit_test(test_fail_and_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
