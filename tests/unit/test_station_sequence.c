/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sequence loader: every error class reported as file:line:col with
 * the exact message, all errors at once, and the flagship flows load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "station/sequence.h"
#include "station/vars.h"

static char *load_errors(const char *path, int *ret)
{
	struct sequence *s = NULL;
	struct st_error e = { 0 };
	char *errors = NULL;

	*ret = sequence_load(&s, path, NULL, &errors, &e);
	sequence_free(s);
	return errors;
}

static void expect_line(const char *errors, const char *line)
{
	if (!strstr(errors, line))
		fail_msg("missing error line:\n  %s\ngot:\n%s", line, errors);
}

static void test_broken_file_reports_every_error(void **state)
{
	const char *f = "tests/data/seq/broken.yaml";
	int ret;
	char *err = load_errors(f, &ret);

	(void)state;
	assert_int_equal(ret, ST_ERR_PARSE);
	assert_non_null(err);
	expect_line(err, "tests/data/seq/broken.yaml:3:13: limit 'v': low (5) is greater than high (1)\n");
	expect_line(err, "tests/data/seq/broken.yaml:8:33: unknown key 'expekt' in console (did you mean 'expect'?)\n");
	expect_line(err, "tests/data/seq/broken.yaml:10:5: unknown step kind or key 'frobnicate'");
	expect_line(err, "tests/data/seq/broken.yaml:12:24: undefined variable '${nope}'");
	expect_line(err, "tests/data/seq/broken.yaml:14:41: bad regular expression 'diag ('");
	expect_line(err, "tests/data/seq/broken.yaml:16:14: measure 'bad limits': low (3.4) is greater than high (3.2)\n");
	expect_line(err, "tests/data/seq/broken.yaml:18:14: 'retries' must be a number, got 'lots'\n");
	expect_line(err, "tests/data/seq/broken.yaml:21:20: cannot read 'missing-image.bin'");
	expect_line(err, "tests/data/seq/cycle-b.yaml:4:14: include cycle: 'cycle-a.yaml' includes itself");
	free(err);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/st-seq-XXXXXX.yaml");
	int fd = mkstemps(path, 5);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void check_one(const char *yaml, const char *want)
{
	char *path = write_tmp(yaml), *err, *full;
	int ret;

	err = load_errors(path, &ret);
	assert_int_not_equal(ret, ST_OK);
	assert_non_null(err);
	assert_true(asprintf(&full, "%s:%s", path, want) > 0);
	expect_line(err, full);
	free(full);
	free(err);
	unlink(path);
	free(path);
}

static void test_error_classes(void **state)
{
	(void)state;
	check_one("version: 1\nsteps: []\n", "1:1: missing 'name'");
	check_one("name: x\nversion: 1\n", "1:1: missing 'steps'");
	check_one("name: x\nversion: 1\nsteps:\n  - name: a\n", "4:5: step 'a' has no kind");
	check_one("name: x\nversion: 1\nsteps: {a: 1}\n", "3:8: expected a list of steps");
	check_one("name: x\nversion: 1\nsteps:\n  - delay: soon\n",
		  "4:12: expected a duration such as 5, 2.5s, 500ms or 1min, got 'soon'");
	check_one("name: x\nversion: 1\nsteps:\n  - delay: 1s\n    on_fail: explode\n",
		  "5:14: on_fail must be abort, continue or teardown");
	check_one("name: x\nversion: 1\nsteps:\n  - group: nothere\n",
		  "4:12: no group named 'nothere'");
	check_one("name: x\nversion: 1\nsteps:\n  - measure: {command: a, pattern: 'x', low: 1}\n",
		  "4:36: measure: the pattern needs a (group) around the value");
	check_one("name: x\nversion: 1\nsteps:\n  - measure: {command: a, pattern: '(x)', limit: nope}\n",
		  "4:50: no limit named 'nope' in the limits table");
	check_one("name: x\nversion: 1\nsteps:\n  - delay: 1s\n    console: version\n",
		  "5:5: step has two kinds, 'delay' and 'console'");
	check_one("name: x\nversion: 1\nsteps:\n  - lines: {power: maybe}\n",
		  "4:20: line 'power' must be on, off or pulse, not 'maybe'");
	check_one("name: x\nversion: 1\nsteps: [\n", "4:1: YAML syntax error");
	check_one("name: x\nversion: 1\nstepz: []\n", "3:1: unknown key 'stepz' in a sequence (did you mean 'steps'?)");
}

static void test_captures_define_variables_in_order(void **state)
{
	char *ok = write_tmp("name: x\nversion: 1\nsteps:\n"
			     "  - console: {command: version, capture: {fw: '^diag (.+)$'}}\n"
			     "  - console: {command: 'echo ${fw}'}\n");
	char *bad = write_tmp("name: x\nversion: 1\nsteps:\n"
			      "  - console: {command: 'echo ${fw}'}\n"
			      "  - console: {command: version, capture: {fw: '^diag (.+)$'}}\n");
	char *err;
	int ret;

	(void)state;
	err = load_errors(ok, &ret);
	assert_int_equal(ret, ST_OK);
	free(err);
	err = load_errors(bad, &ret);
	assert_int_equal(ret, ST_ERR_PARSE);
	expect_line(err, ":4:24: undefined variable '${fw}'");
	free(err);
	unlink(ok);
	unlink(bad);
	free(ok);
	free(bad);
}

static void test_flagship_flows_load(void **state)
{
	static const char *const files[] = { "sequences/factory-provisioning.yaml",
					     "sequences/production-reflash.yaml",
					     "sequences/final-test.yaml" };
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct sequence *s = NULL;
		struct st_error e = { 0 };
		char *errors = NULL;

		if (sequence_load(&s, files[i], NULL, &errors, &e) != ST_OK)
			fail_msg("%s: %s", files[i], errors ? errors : e.msg);
		assert_true(s->steps.n > 0);
		assert_int_equal(strlen(s->sha256), 64);
		/* includes and the limits table are recorded with their hashes */
		assert_true(s->n_files >= 2);
		sequence_free(s);
	}
}

static void test_vars_expand(void **state)
{
	struct vars vs;
	struct st_error e = { 0 };
	char *out = NULL;

	(void)state;
	vars_init(&vs);
	vars_set(&vs, "serial", "SIM000001");
	vars_set(&vs, "se.serial", "ABCD");
	assert_int_equal(vars_expand(&vs, "u=${serial} se=${se.serial} lit=$${x}", &out, &e), ST_OK);
	assert_string_equal(out, "u=SIM000001 se=ABCD lit=${x}");
	free(out);
	assert_int_equal(vars_expand(&vs, "${missing}", &out, &e), ST_ERR_ARG);
	assert_string_equal(e.msg, "variable '${missing}' has no value in this run");
	assert_int_equal(vars_expand(&vs, "${bad name}", &out, &e), ST_ERR_ARG);
	vars_free(&vs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broken_file_reports_every_error),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_captures_define_variables_in_order),
		cmocka_unit_test(test_flagship_flows_load),
		cmocka_unit_test(test_vars_expand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
