/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every JSON output on a log edited by hand, with names that are not UTF-8
 * (the station itself stores such bytes as \xNN, common/text.h; a log edited
 * with another tool need not): fixture F2 is "F" 0xff "2", step rails is
 * "rails" 0xfe, measurement idle_ma is "idle" 0xc3 "(" (a lead byte without
 * its continuation).  jansson refuses a string that is not UTF-8; no entry
 * may vanish for it: each comes out as the log would store it, the bytes
 * as \xNN, and the document parses (report, --spc, --capability,
 * --group-by, trace, export).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_station_report.h"
#include "test_json.h"

#define BAD_FX "F\xff" "2"
#define BAD_STEP "rails\xfe"
#define BAD_MEAS "idle\xc3("
#define FX_JSON "F\\xff2"
#define STEP_JSON "rails\\xfe"
#define MEAS_JSON "idle\\xc3("
#define FX_LINE "\"fixture\":\"F\\\\xff2\""	/* in a JSON line */

static int setup_bytes(void **state)
{
	struct db *db;
	struct st_error e;

	if (setup(state) < 0 || db_open(&db, dbp, NULL, &e) < 0)
		return -1;
	t_edit_text(db, "F2", BAD_FX);
	t_edit_text(db, "rails", BAD_STEP);
	t_edit_text(db, "idle_ma", BAD_MEAS);
	/* the edit took: the bytes are in the log as they are */
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE fixture = CAST(X'46FF32' AS TEXT)"),
			 5);
	db_close(db);
	return 0;
}

/* The command's output as JSON (it must parse). */
static json_t *doc(void)
{
	return t_json_take(slurp(outp));
}

/* The array's object whose k is v, or NULL. */
static json_t *find(json_t *a, const char *k, const char *v)
{
	size_t i;
	json_t *o;

	json_array_foreach(a, i, o)
		if (json_is_string(json_object_get(o, k)) &&
		    !strcmp(json_string_value(json_object_get(o, k)), v))
			return o;
	return NULL;
}

static void test_report_json(void **state)
{
	json_t *j, *m;

	assert_int_equal(run_cmd(cmd_report, "report", "-f", "json", NULL), EXIT_PASS);
	j = doc();
	/* vdd and idle_ma, each under its step */
	assert_int_equal(json_array_size(json_object_get(j, "measurements")), 2);
	m = find(json_object_get(j, "measurements"), "name", MEAS_JSON);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "step")), STEP_JSON);
	assert_int_equal(json_integer_value(json_object_get(m, "n")), 5);
	assert_non_null(find(json_object_get(j, "measurements"), "name", "vdd"));
	/* the Pareto: the two failing steps, rails first */
	assert_int_equal(json_array_size(json_object_get(j, "failures")), 2);
	m = json_array_get(json_object_get(j, "failures"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "step")), STEP_JSON);
	assert_int_equal(json_integer_value(json_object_get(m, "count")), 2);
	m = json_array_get(json_object_get(j, "failure_modes"), 0);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "step")), STEP_JSON);
	json_decref(j);
	/* a filter given as bytes is said as the log stores it */
	assert_int_equal(run_cmd(cmd_report, "report", "-f", "json", "--fixture", BAD_FX, NULL),
			 EXIT_PASS);
	j = doc();
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "filters"),
							       "fixture")), FX_JSON);
	json_decref(j);
}

static void test_report_spc_json(void **state)
{
	json_t *j, *fx;

	assert_int_equal(run_cmd(cmd_report, "report", "--spc", "vdd", "-f", "json", NULL),
			 EXIT_PASS);
	j = doc();
	fx = json_object_get(j, "fixtures");
	assert_int_equal(json_array_size(fx), 2);
	assert_non_null(find(fx, "fixture", "F1"));
	assert_non_null(find(fx, "fixture", FX_JSON));
	/* U3, U4, U5 first runs on F2 */
	assert_int_equal(json_integer_value(json_object_get(find(fx, "fixture", FX_JSON), "n")), 3);
	json_decref(j);
}

/* --capability: each measurement's names as the log stores them (from
 * the rows: the hand edit did not touch the cells) */
static void test_report_capability_json(void **state)
{
	json_t *j, *m;

	assert_int_equal(run_cmd(cmd_report, "report", "--capability", "--from-rows", "-f", "json",
				 NULL), EXIT_PASS);
	j = doc();
	assert_int_equal(json_array_size(json_object_get(j, "measurements")), 2);
	m = find(json_object_get(j, "measurements"), "name", MEAS_JSON);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "step")), STEP_JSON);
	assert_true(json_integer_value(json_object_get(m, "n")) > 0);
	json_decref(j);
}

static void test_report_groups_json(void **state)
{
	json_t *j;

	assert_int_equal(run_cmd(cmd_report, "report", "--group-by", "fixture", "-f", "json", NULL),
			 EXIT_PASS);
	j = doc();
	assert_int_equal(json_array_size(json_object_get(j, "groups")), 2);
	assert_non_null(find(json_object_get(j, "groups"), "key", FX_JSON));
	json_decref(j);
}

static void test_trace_json(void **state)
{
	json_t *j, *r;

	assert_int_equal(run_cmd(cmd_trace, "trace", "-f", "json", "U3", NULL), EXIT_PASS);
	j = doc();
	r = json_array_get(json_object_get(json_array_get(json_object_get(j, "units"), 0), "runs"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "fixture")), FX_JSON);
	r = json_array_get(json_object_get(r, "steps"), 1);
	assert_string_equal(json_string_value(json_object_get(r, "name")), STEP_JSON);
	r = json_array_get(json_object_get(r, "measurements"), 1);
	assert_string_equal(json_string_value(json_object_get(r, "name")), MEAS_JSON);
	json_decref(j);
}

/* Every line a JSON object, must and must2 in them; the count of lines. */
static int jsonl_lines(const char *must, const char *must2)
{
	char *t = slurp(outp), *line, *save = NULL;
	int n = 0;

	if (!strstr(t, must) || !strstr(t, must2))
		fail_msg("no %s or no %s in %.2000s", must, must2, t);
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		json_t *j = json_loads(line, 0, NULL);

		if (!j)
			fail_msg("not JSON: %s", line);
		json_decref(j);
	}
	free(t);
	return n;
}

static void test_export_jsonl(void **state)
{
	/* every run (the one in progress too), F2's five with their fixture */
	assert_int_equal(run_cmd(cmd_export, "export", "-f", "jsonl", NULL), EXIT_PASS);
	assert_int_equal(jsonl_lines(FX_LINE, FX_LINE), T_NRUNS);
	/* the steps of the 9 runs (test_db_data.h) */
	assert_int_equal(run_cmd(cmd_export, "export", "-w", "steps", "-f", "jsonl", NULL),
			 EXIT_PASS);
	assert_int_equal(jsonl_lines(FX_LINE, "\"step\":\"rails\\\\xfe\""),
			 4 + 2 + 4 + 4 + 3 + 4 + 4 + 2 + 1);
	/* vdd in the 8 ended runs, idle_ma in the 5 that passed rails */
	assert_int_equal(run_cmd(cmd_export, "export", "-w", "measurements", "-f", "jsonl", NULL),
			 EXIT_PASS);
	assert_int_equal(jsonl_lines(FX_LINE, "\"name\":\"idle\\\\xc3(\""), 8 + 5);
	/* the wide table: the measurement's column (a key) and the fixture */
	assert_int_equal(run_cmd(cmd_export, "export", "-w", "wide", "-f", "jsonl", "--serial",
				 "U3", NULL), EXIT_PASS);
	assert_int_equal(jsonl_lines(FX_LINE, "\"rails\\\\xfe/idle\\\\xc3( [mA]\":60"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_spc_json),
		cmocka_unit_test(test_report_capability_json),
		cmocka_unit_test(test_report_groups_json),
		cmocka_unit_test(test_trace_json),
		cmocka_unit_test(test_export_jsonl),
	};
	return cmocka_run_group_tests(tests, setup_bytes, teardown);
}
