/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `when` conditions (station/when.c): the grammar, errors with their
 * column, and evaluation on values, so that no value (a scan, --serial, a
 * board's reply) can change what a condition compares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "station/when.h"

static struct vars vs;

static int setup(void **state)
{
	(void)state;
	vars_init(&vs);
	vars_set(&vs, "ok.outcome", "pass");
	vars_set(&vs, "bad.outcome", "fail");
	vars_set(&vs, "v", "3.31");
	vars_set(&vs, "n", "12");
	vars_set(&vs, "empty", "");
	vars_set(&vs, "flag", "false");
	vars_set(&vs, "word", "abc");
	/* hostile values: they must stay values */
	vars_set(&vs, "serial", "a == a");
	vars_set(&vs, "scan", "x\" or \"1\" == \"1");
	vars_set(&vs, "reply", "pass or 1 == 1");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vars_free(&vs);
	return 0;
}

/* Evaluate text: 1 true, 0 false, -1 an evaluation error. */
static int eval(const char *text)
{
	struct when_expr *w = NULL;
	struct st_error e = { 0 };
	bool yes = false;
	int col, ret;

	ret = when_parse(text, &w, &col, &e);
	if (ret != ST_OK)
		fail_msg("'%s' does not parse: col %d: %s", text, col, e.msg);
	ret = when_eval(w, &vs, &yes, &e);
	when_free(w);
	return ret < 0 ? -1 : yes;
}

static void bad(const char *text, int want_col, const char *want_msg)
{
	struct when_expr *w = NULL;
	struct st_error e = { 0 };
	int col;

	if (when_parse(text, &w, &col, &e) != ST_ERR_PARSE)
		fail_msg("'%s' parsed", text);
	assert_null(w);
	if (col != want_col || !strstr(e.msg, want_msg))
		fail_msg("'%s': col %d '%s', want col %d '%s'", text, col, e.msg, want_col, want_msg);
}

static void test_compare(void **state)
{
	(void)state;
	assert_int_equal(eval("${ok.outcome} == pass"), 1);
	assert_int_equal(eval("${ok.outcome} != pass"), 0);
	assert_int_equal(eval("${bad.outcome} == \"fail\""), 1);
	assert_int_equal(eval("${bad.outcome} == 'fail'"), 1);
	/* numeric when both sides are numbers: 12 > 9 (as text it would not be) */
	assert_int_equal(eval("${n} > 9"), 1);
	assert_int_equal(eval("${n} <= 12.0"), 1);
	assert_int_equal(eval("${n} == 12.0"), 1);
	assert_int_equal(eval("${v} >= 3.2 and ${v} <= 3.4"), 1);
	assert_int_equal(eval("${v} < 3.3"), 0);
	/* text ordering when neither side is a number */
	assert_int_equal(eval("${word} < abd"), 1);
	/* an ordering between a number and text is an error, not a guess */
	assert_int_equal(eval("${word} > 3"), -1);
	/* an undefined variable is an error */
	assert_int_equal(eval("${nope} == 1"), -1);
}

static void test_logic(void **state)
{
	(void)state;
	assert_int_equal(eval("${ok.outcome} == pass and ${bad.outcome} == pass"), 0);
	assert_int_equal(eval("${ok.outcome} == pass or ${bad.outcome} == pass"), 1);
	assert_int_equal(eval("not ${bad.outcome} == pass"), 1);
	assert_int_equal(eval("not (${ok.outcome} == pass or ${n} > 100)"), 0);
	/* and binds tighter than or */
	assert_int_equal(eval("${ok.outcome} == pass or ${n} > 100 and ${n} < 0"), 1);
	assert_int_equal(eval("(${ok.outcome} == pass or ${n} > 100) and ${n} < 0"), 0);
	/* short-circuit: the undefined right side is not evaluated */
	assert_int_equal(eval("${ok.outcome} == pass or ${nope} == 1"), 1);
	/* lone values */
	assert_int_equal(eval("${ok.outcome}"), 1);
	assert_int_equal(eval("${empty}"), 0);
	assert_int_equal(eval("${flag}"), 0);
	assert_int_equal(eval("not ${flag}"), 1);
}

/* A value holding operators is compared as it is: it cannot become part of
 * the expression (the old evaluator expanded first, then looked for ==). */
static void test_values_cannot_inject(void **state)
{
	(void)state;
	assert_int_equal(eval("${serial} == SIM000001"), 0);
	assert_int_equal(eval("${serial} != SIM000001"), 1);
	assert_int_equal(eval("${serial} == \"a == a\""), 1);
	assert_int_equal(eval("${scan} == abc"), 0);
	assert_int_equal(eval("${reply} == pass"), 0);
	assert_int_equal(eval("${reply}"), 1); /* a non-empty value: no operator inside it */
}

static void test_errors_name_the_column(void **state)
{
	(void)state;
	bad("${a} = fail", 6, "unexpected '= fail'");
	bad("!${flag}", 1, "unexpected '!'");
	bad("${a} == b && ${c}", 11, "unexpected '&& ${c}'");
	bad("${a} ==", 8, "ends where a value was expected");
	bad("(${a} == b", 1, "'(' is not closed");
	bad("${a} == b)", 10, "')' without its '('");
	bad("${a}x == b", 5, "a variable is a whole operand");
	bad("${a b} == c", 4, "a variable reference is ${name}");
	bad("${a} == \"b", 9, "unclosed \"");
	bad("1 < ${a} < 3", 10, "comparisons do not chain");
	bad("${a} == and", 9, "'and' where a value was expected");
	bad("", 1, "ends where a value was expected");
}

static void collect(const char *name, void *arg)
{
	char *seen = arg;

	strcat(seen, name);
	strcat(seen, ";");
}

static void test_vars_listed(void **state)
{
	struct when_expr *w = NULL;
	struct st_error e = { 0 };
	char seen[64] = "";
	int col;

	(void)state;
	assert_int_equal(when_parse("${a} == 1 or not (${b.c} != x)", &w, &col, &e), ST_OK);
	when_each_var(w, collect, seen);
	assert_string_equal(seen, "a;b.c;");
	when_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_values_cannot_inject),
		cmocka_unit_test(test_errors_name_the_column),
		cmocka_unit_test(test_vars_listed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
