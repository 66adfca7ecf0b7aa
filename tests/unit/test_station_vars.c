/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run variables: set, get, ${name} expansion, "$${" escapes, and every way
 * a reference can be wrong, each an error that names the problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "station/vars.h"

static int setup(void **state)
{
	static struct vars vs;

	vars_init(&vs);
	*state = &vs;
	return 0;
}

static int teardown(void **state)
{
	vars_free(*state);
	return 0;
}

/* Expand in with vs: ST_OK and the text, or the error's message. */
static char *expand(struct vars *vs, const char *in, int want)
{
	static char msg[ST_ERRMSG_MAX];
	struct st_error e = { 0 };
	char *out = NULL;

	assert_int_equal(vars_expand(vs, in, &out, &e), want);
	if (want == ST_OK)
		return out;
	assert_null(out);
	snprintf(msg, sizeof(msg), "%s", e.msg);
	return msg;
}

static void expect_expands(struct vars *vs, const char *in, const char *want)
{
	char *out = expand(vs, in, ST_OK);

	assert_string_equal(out, want);
	free(out);
}

static void test_set_get_overwrite(void **state)
{
	struct vars *vs = *state;

	assert_null(vars_get(vs, "serial"));
	assert_int_equal(vars_set(vs, "serial", "SIM000001"), ST_OK);
	assert_string_equal(vars_get(vs, "serial"), "SIM000001");
	assert_int_equal(vars_set(vs, "serial", "SIM000002"), ST_OK);
	assert_string_equal(vars_get(vs, "serial"), "SIM000002");
	assert_int_equal(vs->n, 1);
	/* NULL is the empty value, not a missing one */
	assert_int_equal(vars_set(vs, "operator", NULL), ST_OK);
	assert_string_equal(vars_get(vs, "operator"), "");
}

/* Past the first allocation (32): every one kept, in its place. */
static void test_many_variables(void **state)
{
	struct vars *vs = *state;
	char name[16], value[16];

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		snprintf(value, sizeof(value), "x%d", i);
		assert_int_equal(vars_set(vs, name, value), ST_OK);
	}
	assert_int_equal(vs->n, 300);
	assert_string_equal(vars_get(vs, "v0"), "x0");
	assert_string_equal(vars_get(vs, "v64"), "x64");
	assert_string_equal(vars_get(vs, "v299"), "x299");
	expect_expands(vs, "${v65}/${v299}", "x65/x299");
}

static void test_expand(void **state)
{
	struct vars *vs = *state;

	vars_set(vs, "serial", "SIM000123");
	vars_set(vs, "se.chip_serial", "0123ABCD");
	vars_set(vs, "a-b_c", "ok");
	vars_set(vs, "empty", "");
	expect_expands(vs, "no references", "no references");
	expect_expands(vs, "", "");
	expect_expands(vs, "${serial}", "SIM000123");
	expect_expands(vs, "CN=${serial},chip=${se.chip_serial}!", "CN=SIM000123,chip=0123ABCD!");
	expect_expands(vs, "${a-b_c}${empty}${a-b_c}", "okok");
	/* a lone '$' or '{' is text */
	expect_expands(vs, "cost $5 {x} $", "cost $5 {x} $");
}

/* A value is never expanded again: ${...} inside it is text. */
static void test_values_are_not_expanded_again(void **state)
{
	struct vars *vs = *state;

	vars_set(vs, "scanned", "${serial}");
	vars_set(vs, "serial", "SIM000123");
	expect_expands(vs, "[${scanned}]", "[${serial}]");
}

static void test_escape(void **state)
{
	struct vars *vs = *state;

	vars_set(vs, "x", "1");
	expect_expands(vs, "$${x}", "${x}");
	expect_expands(vs, "$${x} is ${x}", "${x} is 1");
	expect_expands(vs, "$$", "$$");
}

static void test_undefined_names_it(void **state)
{
	struct vars *vs = *state;

	vars_set(vs, "serial", "S");
	assert_string_equal(expand(vs, "${serial} ${nobody}", ST_ERR_ARG),
			    "variable '${nobody}' has no value in this run");
}

static void test_bad_references(void **state)
{
	struct vars *vs = *state;
	char name[VARS_NAME_MAX + 8], ref[VARS_NAME_MAX + 16];
	static const char *const bad[] = { "${", "${serial", "${}", "${a b}", "${a/b}", NULL };

	vars_set(vs, "serial", "S");
	for (int i = 0; bad[i]; i++) {
		char want[128];

		snprintf(want, sizeof(want), "bad variable reference in '%s'", bad[i]);
		assert_string_equal(expand(vs, bad[i], ST_ERR_ARG), want);
	}
	/* a name longer than VARS_NAME_MAX - 1 cannot be a variable */
	memset(name, 'n', VARS_NAME_MAX);
	name[VARS_NAME_MAX] = '\0';
	vars_set(vs, name, "long");
	snprintf(ref, sizeof(ref), "${%s}", name);
	assert_non_null(strstr(expand(vs, ref, ST_ERR_ARG), "bad variable reference"));
	name[VARS_NAME_MAX - 1] = '\0';
	vars_set(vs, name, "fits");
	snprintf(ref, sizeof(ref), "${%s}", name);
	expect_expands(vs, ref, "fits");
}

/* A text may expand to VARS_EXPAND_MAX bytes, not one more: refused, not
 * truncated (the limit once applied to the doubled buffer, refusing 3 x). */
static void test_expansion_is_bounded(void **state)
{
	struct vars *vs = *state;
	char *big = malloc(VARS_VALUE_MAX + 1), *out;
	char in[64];

	assert_non_null(big);
	memset(big, 'b', VARS_VALUE_MAX);
	big[VARS_VALUE_MAX] = '\0';
	vars_set(vs, "big", big);
	free(big);
	snprintf(in, sizeof(in), "${big}${big}${big}");
	out = expand(vs, in, ST_OK);
	assert_int_equal(strlen(out), 3 * VARS_VALUE_MAX);
	free(out);
	snprintf(in, sizeof(in), "${big}${big}${big}${big}");
	out = expand(vs, in, ST_OK);
	assert_int_equal(strlen(out), VARS_EXPAND_MAX);
	free(out);
	snprintf(in, sizeof(in), "${big}${big}${big}${big}x");
	assert_string_equal(expand(vs, in, ST_ERR_LIMIT),
			    "'${big}${big}${big}${big}x' expands to more than 262144 bytes");
}

/* vars_next_ref: each reference in turn, escapes skipped. */
static void test_next_ref(void **state)
{
	const char *p = "a ${one} $${two} ${three}.", *q;
	char name[VARS_NAME_MAX];

	assert_int_equal(vars_next_ref(&p, name, sizeof(name)), 1);
	assert_string_equal(name, "one");
	assert_int_equal(vars_next_ref(&p, name, sizeof(name)), 1);
	assert_string_equal(name, "three");
	assert_string_equal(p, ".");
	assert_int_equal(vars_next_ref(&p, name, sizeof(name)), 0);
	q = "${toolong}";
	assert_int_equal(vars_next_ref(&q, name, 4), -1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_set_get_overwrite),
		T(test_many_variables),
		T(test_expand),
		T(test_values_are_not_expanded_again),
		T(test_escape),
		T(test_undefined_names_it),
		T(test_bad_references),
		T(test_expansion_is_bounded),
		T(test_next_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
