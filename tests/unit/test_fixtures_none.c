/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "none" fixture driver (a bench port, no lines): it opens, names what it
 * is, refuses every line with a message that tells the operator to act by
 * hand, and its shutdown is harmless.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures/fixture.h"

static void test_none(void **state)
{
	struct fixture_def def;
	struct fixture *fx = NULL;
	struct st_error e = { 0 };
	char buf[256];
	bool on = true;

	(void)state;
	fixture_def_init(&def);
	strcpy(def.name, "bench");
	strcpy(def.driver, "none");
	strcpy(def.port, "/dev/ttyUSB7");
	assert_int_equal(fixture_open(&fx, &def, &e), ST_OK);
	assert_int_equal(fixture_probe(fx, buf, sizeof(buf), &e), ST_OK);
	assert_string_equal(buf, "no lines (driver none); console /dev/ttyUSB7");
	assert_int_equal(fixture_set(fx, FX_BOOT, true, &e), ST_ERR_NOTSUP);
	assert_string_equal(e.msg, "fixture bench: set boot 1: the fixture has no lines (driver "
			    "none): set boot by hand, or use a fixture with a sim or ftdi driver");
	assert_int_equal(fixture_get(fx, FX_LID, &on, &e), ST_ERR_NOTSUP);
	assert_non_null(strstr(e.msg, "the fixture has no lines (driver none): lid cannot be read"));
	fixture_shutdown(fx);	/* nothing to switch off: returns */
	fixture_close(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
