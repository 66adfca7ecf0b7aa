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
		  "4:12: expected a duration such as 5, 2.5s, 500ms, 1min or 2h, got 'soon'");
	check_one("name: x\nversion: 1\nsteps:\n  - delay: 1s\n    on_fail: explode\n",
		  "5:14: on_fail must be abort, continue or teardown");
	check_one("name: x\nversion: 1\nsteps:\n  - group: nothere\n",
		  "4:12: no group named 'nothere'");
	check_one("name: x\nversion: 1\ngroups:\n  app-boot: {steps: [{delay: 1ms}]}\n"
		  "steps:\n  - group: app-bot\n",
		  "6:12: no group named 'app-bot' (did you mean 'app-boot'?)");
	check_one("name: x\nversion: 1\ngroups:\n  app-boot: [{delay: 1ms}]\n"
		  "steps:\n  - group: app-bot\n",
		  "6:12: no group named 'app-bot' (did you mean 'app-boot'?)");
	check_one("name: x\nversion: 1\nsteps:\n  - measure: {command: a, pattern: 'x', low: 1}\n",
		  "4:36: measure: the pattern needs a (group) around the value");
	check_one("name: x\nversion: 1\nsteps:\n  - measure: {command: a, pattern: '(x)', limit: nope}\n",
		  "4:50: no limit named 'nope' in the limits table");
	check_one("name: x\nversion: 1\nlimits: {prod_self_test: {low: 1, high: 2}}\nsteps:\n"
		  "  - measure: {command: a, pattern: '(x)', limit: prod_selftest}\n",
		  "5:50: no limit named 'prod_selftest' in the limits table (did you mean "
		  "'prod_self_test'?)");
	/* another number is another limit, not a misspelling */
	check_one("name: x\nversion: 1\nlimits: {rail_3v3: {low: 1, high: 2}}\nsteps:\n"
		  "  - measure: {command: a, pattern: '(x)', limit: rail_3v4}\n",
		  "5:50: no limit named 'rail_3v4' in the limits table\n");
	check_one("name: x\nversion: 1\nsteps:\n  - delay: 1s\n    console: version\n",
		  "5:5: step has two kinds, 'delay' and 'console'");
	check_one("name: x\nversion: 1\nsteps:\n  - lines: {power: maybe}\n",
		  "4:20: line 'power' must be on, off or pulse, not 'maybe'");
	check_one("name: x\nversion: 1\nsteps: [\n", "4:1: YAML syntax error");
	check_one("name: x\nversion: 1\nstepz: []\n", "3:1: unknown key 'stepz' in a sequence (did you mean 'steps'?)");
}

/* One meaning per file (issue 22): what editors and the station could read
 * differently, or what can never work, is refused with its place. */
static void test_one_meaning(void **state)
{
	(void)state;
	/* duplicate keys: both places named, at every level */
	check_one("name: x\nversion: 1\nsteps:\n  - delay: 1s\nsteps:\n  - delay: 2s\n",
		  "5:1: duplicate key 'steps' (first at line 3, column 1)");
	check_one("name: x\nversion: 1\nlimits: {v: {low: 1, high: 3.4, high: 99}}\nsteps: [{delay: 1s}]\n",
		  "3:33: duplicate key 'high' (first at line 3, column 22)");
	check_one("name: x\nversion: 1\nsteps:\n  - name: a\n    delay: 1s\n    name: b\n",
		  "6:5: duplicate key 'name' (first at line 4, column 5)");
	check_one("name: x\nversion: 1\nsteps:\n  - &d {delay: 1s}\n",
		  "4:5: YAML anchors (&name) are not supported");
	/* syntax errors: tabs named, an unclosed bracket at its opening too */
	check_one("name: x\nversion: 1\nsteps:\n\t- delay: 1s\n",
		  "4:1: YAML syntax error: found character that cannot start any token: a tab "
		  "character; YAML indents with spaces only\n");
	check_one("name: x\nversion: 1\nsteps: [\n  {delay: 1s},\n  {delay: 2s}\n\nteardown: []\n",
		  "7:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow "
		  "sequence, which started at line 3, column 8)\n");
	/* YAML 1.2 booleans */
	check_one("name: x\nversion: 1\nsteps:\n  - identity: {unique: yes}\n",
		  "4:24: 'unique' must be true or false, not 'yes'");
	/* steps non-empty, and groups too */
	check_one("name: x\nversion: 1\nsteps: []\n", "3:8: 'steps' is empty");
	check_one("name: x\nversion: 1\nsteps:\n  - group: []\n", "4:12: group: the list of steps is empty");
	check_one("name: x\nversion: 1\ngroups: {g: []}\nsteps: [{group: g}]\n",
		  "3:13: group 'g' has no steps");
	/* identifiers and reserved names */
	check_one("name: x\nversion: 1\nvars: {serial: X}\nsteps: [{delay: 1s}]\n",
		  "3:8: variable 'serial': ${serial} is set by the run");
	check_one("name: x\nversion: 1\nvars: {a b: 1}\nsteps: [{delay: 1s}]\n",
		  "3:8: bad variable name 'a b'");
	check_one("name: x\nversion: 1\nsteps:\n  - console: {command: id, capture: {serial: '^uid: (.+)$'}}\n",
		  "4:38: capture 'serial': ${serial} is set by the run and cannot be replaced");
	check_one("name: x\nversion: 1\nsteps:\n  - measure: {name: rail 3v3, command: a, pattern: '(x)', low: 1}\n",
		  "4:21: bad measurement name 'rail 3v3'");
	check_one("name: x\nversion: 1\nsteps:\n  - {id: a, delay: 1s}\n  - {id: a, delay: 1s}\n",
		  "5:10: step id 'a' is used twice");
	check_one("name: x\nversion: 1\nsteps:\n  - {id: 9a, delay: 1s}\n",
		  "4:10: bad step id name '9a'");
	/* one source of limits */
	check_one("name: x\nversion: 1\nlimits: {v: {low: 3.2, high: 3.4}}\nsteps:\n"
		  "  - measure: {command: a, pattern: '(x)', limit: v, unit: mV}\n",
		  "5:59: measure: 'unit' next to 'limit: v'");
	/* durations within bounds */
	check_one("name: x\nversion: 1\nsteps:\n  - {delay: 1s, timeout: 0}\n",
		  "4:26: timeout must be at least 1ms");
	check_one("name: x\nversion: 1\nsteps:\n  - {delay: 1s, timeout: 1e300}\n",
		  "4:26: duration '1e300' is over the limit of 24h");
	check_one("name: x\nversion: 1\nsteps:\n  - delay: 1e19\n",
		  "4:12: duration '1e19' is over the limit of 24h");
	check_one("name: x\nversion: 1\nsteps:\n  - {delay: 1s, retries: 1e1}\n",
		  "4:26: retries must be a whole number from 0 to 100, in digits");
	/* patterns: exactly one group, no \d */
	check_one("name: x\nversion: 1\nsteps:\n  - measure: {command: a, pattern: '(a)(b)', low: 1}\n",
		  "4:36: measure: the pattern needs exactly one (group), around the value, not 2");
	check_one("name: x\nversion: 1\nsteps:\n  - measure: {command: a, pattern: '(\\d+)', low: 1}\n",
		  "4:36: regular expression '(\\d+)': '\\d' is not POSIX extended syntax; write [0-9]");
	/* a misspelt step key is not a second kind; hints catch deletions */
	check_one("name: x\nversion: 1\nsteps:\n  - delay: 1s\n    retires: 1\n",
		  "5:5: unknown step key 'retires' (did you mean 'retries'?)");
	check_one("name: x\nversion: 1\nsteps:\n  - on_fali: continue\n    delay: 1s\n",
		  "4:5: unknown step key 'on_fali' (did you mean 'on_fail'?)");
	check_one("name: x\nversion: 1\nsteps:\n  - console: {comand: id}\n",
		  "4:15: unknown key 'comand' in console (did you mean 'command'?)");
	check_one("name: x\nversion: 1\nsteps:\n  - flash: {image: x.bin, verfy: crc}\n",
		  "4:27: unknown key 'verfy' in flash (did you mean 'verify'?)");
	/* when: parsed at load */
	check_one("name: x\nversion: 1\nsteps:\n  - {delay: 1s, when: '${serial} = a'}\n",
		  "4:34: when: unexpected '= a'");
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
		cmocka_unit_test(test_one_meaning),
		cmocka_unit_test(test_captures_define_variables_in_order),
		cmocka_unit_test(test_flagship_flows_load),
		cmocka_unit_test(test_vars_expand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
