/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station trace and station export on the hand-made log of test_db_data.h,
 * checked field by field: a unit's runs oldest first with everything
 * attached, lookups by certificate serial, CSV and JSON lines rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_station_report.h"

static json_t *trace_json(const char *serial)
{
	json_error_t err;
	json_t *j;

	assert_int_equal(run_cmd(cmd_trace, "trace", "-f", "json", serial, NULL), EXIT_PASS);
	j = json_load_file(outp, 0, &err);
	if (!j)
		fail_msg("trace JSON: %s", err.text);
	return j;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *at(json_t *o, const char *k, size_t i)
{
	return json_array_get(json_object_get(o, k), i);
}

static void test_trace_unit_oldest_first(void **state)
{
	json_t *j = trace_json("U4"), *u, *r, *s, *m;

	assert_string_equal(str(j, "query"), "U4");
	assert_int_equal(json_array_size(json_object_get(j, "units")), 1);
	u = at(j, "units", 0);
	assert_string_equal(str(u, "unit_serial"), "U4");
	assert_int_equal(json_array_size(json_object_get(u, "runs")), 2);
	r = at(u, "runs", 0);			/* run 5: 2026-01-06 08:00, error */
	assert_string_equal(str(r, "id"), t_runs[4].id);
	assert_string_equal(str(r, "started"), "2026-01-06T08:00:00.000Z");
	assert_string_equal(str(r, "outcome"), "error");
	assert_string_equal(str(r, "fixture"), "F2");
	assert_string_equal(str(r, "station"), "ST1");
	assert_string_equal(str(r, "operator"), "ana");
	assert_string_equal(str(r, "sequence_version"), "1.0");
	assert_int_equal(json_array_size(json_object_get(r, "steps")), 3);
	s = at(r, "steps", 1);
	assert_string_equal(str(s, "name"), "rails");
	m = at(s, "measurements", 0);
	assert_string_equal(str(m, "name"), "vdd");
	assert_true(fabs(json_real_value(json_object_get(m, "value")) - 3.31) < 1e-12);
	assert_true(fabs(json_real_value(json_object_get(m, "low")) - 3.0) < 1e-12);
	assert_string_equal(str(m, "unit"), "V");
	s = at(r, "steps", 2);
	assert_string_equal(str(s, "outcome"), "error");
	assert_string_equal(str(s, "reason"), "chain does not verify");
	assert_string_equal(str(at(s, "identities", 0), "cert_serial"), "0a05");
	assert_string_equal(str(at(s, "identities", 0), "fingerprint"), "fp-U4");
	r = at(u, "runs", 1);			/* run 7: the retest that passed */
	assert_string_equal(str(r, "id"), t_runs[6].id);
	assert_string_equal(str(r, "outcome"), "pass");
	s = at(r, "steps", 3);
	assert_string_equal(str(s, "name"), "flash prod");
	m = at(s, "images", 0);
	assert_string_equal(str(m, "sha256"), "feedbeef");
	assert_int_equal(json_integer_value(json_object_get(m, "address")), 0x08000000);
	assert_int_equal(json_integer_value(json_object_get(m, "size")), 4096);
	json_decref(j);
}

static void test_trace_by_certificate_serial(void **state)
{
	json_t *j = trace_json("0A:07");	/* run 7's certificate, any case, colons */

	assert_string_equal(str(at(j, "units", 0), "unit_serial"), "U4");
	assert_int_equal(json_array_size(json_object_get(at(j, "units", 0), "runs")), 2);
	json_decref(j);
	j = trace_json("se-U3");		/* the SE chip serial */
	assert_string_equal(str(at(j, "units", 0), "unit_serial"), "U3");
	json_decref(j);
	assert_int_equal(run_cmd(cmd_trace, "trace", "NO-SUCH", NULL), EXIT_UNIT_FAIL);
	assert_int_equal(run_cmd(cmd_trace, "trace", NULL), EXIT_USAGE);
}

static void test_trace_text(void **state)
{
	char *t;

	assert_int_equal(run_cmd(cmd_trace, "trace", "U2", NULL), EXIT_PASS);
	t = slurp(outp);
	assert_memory_equal(t, "unit U2: 2 runs\n", 16);
	/* the failed run first, then the retest */
	assert_true(strstr(t, "  fail  rails: vdd out of limits") < strstr(t, "  pass  "));
	assert_non_null(strstr(t, "        vdd = 3.7 V  [3, 3.6]  fail\n"));
	assert_non_null(strstr(t, "        idle_ma = 50 mA  [-, 100]  pass\n"));
	assert_non_null(strstr(t, "image fw/prod.bin sha256 feedbeef at 0x08000000, 4096 bytes"));
	assert_non_null(strstr(t, "identity cert serial 0a03"));
	free(t);
}

static void test_export_runs_csv(void **state)
{
	char *t, *line, *save = NULL;
	int rows = 0;

	assert_int_equal(run_cmd(cmd_export, "export", NULL), EXIT_PASS);
	t = slurp(outp);
	line = strtok_r(t, "\n", &save);
	assert_string_equal(line, "run_id,unit_serial,station,fixture,operator,work_order,"
			    "part_number,revision,sequence_name,sequence_version,sequence_sha256,software_version,started,ended,"
			    "started_us,ended_us,outcome,reason,last_step\r");
	while ((line = strtok_r(NULL, "\n", &save))) {
		char want[256];

		if (rows == 1) {	/* run 2: failed at rails */
			snprintf(want, sizeof(want), "%s,U2,ST1,F1,ana,,,,factory,1.0,ab12,test,"
				 "2026-01-05T08:10:00.000Z,2026-01-05T08:11:00.000Z,%lld,%lld,fail,"
				 "rails: vdd out of limits,rails\r", t_runs[1].id,
				 (long long)t_runs[1].start_us,
				 (long long)t_runs[1].start_us + 60000000);
			assert_string_equal(line, want);
		}
		rows++;
	}
	assert_int_equal(rows, T_NRUNS);	/* every run, the one in progress too */
	free(t);
}

/* One row per ended run, a column per measurement, the retest marked. */
static void test_export_wide_csv(void **state)
{
	char *t, *line, *save = NULL, want[256];
	int rows = 0, running = 0;

	for (int i = 0; i < T_NRUNS; i++)
		running += t_runs[i].running;
	assert_int_equal(run_cmd(cmd_export, "export", "--what", "wide", NULL), EXIT_PASS);
	t = slurp(outp);
	line = strtok_r(t, "\n", &save);
	assert_string_equal(line, "run_id,unit_serial,station,fixture,operator,sequence_name,"
			    "sequence_version,started,ended,outcome,first_run,"
			    "rails/idle_ma [mA],rails/vdd [V]\r");
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (rows == 1) {	/* U2's first run: failed at rails, no idle current */
			snprintf(want, sizeof(want), "%s,U2,ST1,F1,ana,factory,1.0,"
				 "2026-01-05T08:10:00.000Z,2026-01-05T08:11:00.000Z,fail,1,,3.7\r",
				 t_runs[1].id);
			assert_string_equal(line, want);
		}
		if (rows == 2) {	/* U2's retest: not a first run */
			snprintf(want, sizeof(want), "%s,U2,ST1,F1,ana,factory,1.0,"
				 "2026-01-05T08:20:00.000Z,2026-01-05T08:21:00.000Z,pass,0,50,3.32\r",
				 t_runs[2].id);
			assert_string_equal(line, want);
		}
		/* U4's first run ended error (the station's): its pass is its first
		 * judged run, the one FPY and capability take */
		if (rows == 4)
			assert_non_null(strstr(line, ",U4,ST1,F2,") ? strstr(line, ",error,0,") : NULL);
		if (rows == 6)
			assert_non_null(strstr(line, ",U4,ST1,F2,") ? strstr(line, ",pass,1,") : NULL);
		rows++;
	}
	assert_int_equal(rows, T_NRUNS - running);	/* ended runs only */
	free(t);
	assert_int_equal(run_cmd(cmd_export, "export", "-w", "wide", "-f", "jsonl", "--serial",
				 "U2", NULL), EXIT_PASS);
	t = slurp(outp);
	assert_non_null(strstr(t, "\"first_run\":0,\"measurements\":{\"rails/idle_ma [mA]\":50"));
	free(t);
}

static void test_export_measurements_jsonl(void **state)
{
	char *t, *line, *save = NULL;
	json_t *j;
	int rows = 0;

	assert_int_equal(run_cmd(cmd_export, "export", "--what", "measurements", "-f", "jsonl",
				 "--serial", "U2", NULL), EXIT_PASS);
	t = slurp(outp);
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		j = json_loads(line, 0, NULL);
		assert_non_null(j);
		assert_string_equal(str(j, "unit_serial"), "U2");
		assert_string_equal(str(j, "step"), "rails");
		if (rows == 0) {
			assert_string_equal(str(j, "run_id"), t_runs[1].id);
			assert_string_equal(str(j, "name"), "vdd");
			assert_true(fabs(json_real_value(json_object_get(j, "value")) - 3.7) < 1e-12);
			assert_string_equal(str(j, "outcome"), "fail");
			assert_true(json_is_null(json_object_get(j, "text")));
		}
		if (rows == 2) {	/* the retest's one-sided limit */
			assert_string_equal(str(j, "name"), "idle_ma");
			assert_true(json_is_null(json_object_get(j, "low")));
			assert_int_equal(json_number_value(json_object_get(j, "high")), 100);
		}
		json_decref(j);
		rows++;
	}
	assert_int_equal(rows, 3);	/* vdd; vdd + idle_ma */
	free(t);
}

static void test_export_steps_filtered(void **state)
{
	char *t;

	assert_int_equal(run_cmd(cmd_export, "export", "-w", "steps", "--fixture", "F2",
				 "--outcome", "error", NULL), EXIT_PASS);
	t = slurp(outp);
	/* header + run 5's three steps */
	assert_int_equal(count_lines(t), 4);
	assert_non_null(strstr(t, ",U4,F2,factory,1.0,2,identity,se-identity,steps,error,"
			       "chain does not verify,2026-01-06T08:00:02.000Z,"));
	free(t);
	assert_int_equal(run_cmd(cmd_export, "export", "-w", "images", NULL), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_export, "export", "-f", "xml", NULL), EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_unit_oldest_first),
		cmocka_unit_test(test_trace_by_certificate_serial),
		cmocka_unit_test(test_trace_text),
		cmocka_unit_test(test_export_runs_csv),
		cmocka_unit_test(test_export_measurements_jsonl),
		cmocka_unit_test(test_export_wide_csv),
		cmocka_unit_test(test_export_steps_filtered),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
