/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --spc on a log with known answers: a stable fixture the
 * rules must leave alone, a drift (rule 3) and a jump (rules 1 and mr)
 * they must flag on the very points, limits computed by hand, and a
 * retest's value left out unless every run is asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_db_data.h"
#include "test_json.h"
#include "report/report.h"

static char dir[64], path[128];
static int64_t clock_us = T_DAY1_US;

static void run(struct db *db, const char *fixture, const char *serial, double v)
{
	struct db_run_info ri = { .unit_serial = serial, .station = "ST", .fixture = fixture,
				  .sequence_name = "final", .sequence_version = "1",
				  .started_us = clock_us += 60000000 };
	struct db_measurement m = { .name = "vout", .unit = "V", .value = v, .low = 9,
				    .high = 11, .outcome = DB_PASS };
	struct db_step s = { .index = 0, .name = "vout", .kind = "measure", .outcome = DB_PASS,
			     .meas = &m, .n_meas = 1, .started_us = clock_us,
			     .ended_us = clock_us + 1, .attempts = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, DB_PASS, NULL, &e), ST_OK);
}

/* 20 baseline points alternating 10.0 / 10.2 on each fixture, then:
 * F1 20 more of the same, F2 a rise of 7 points, F3 a jump to 11.0. */
static int setup(void **state)
{
	static const double rise[] = { 10.1, 10.15, 10.2, 10.25, 10.3, 10.35, 10.4 };
	struct db *db;
	struct st_error e;
	char sn[32];
	int u = 0;

	if (t_mkdir(dir, sizeof(dir), "spc") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	for (int i = 0; i < 40; i++) {
		const char *fx[] = { "F1", "F2", "F3" };

		for (int f = 0; f < 3; f++) {
			double v = i % 2 ? 10.2 : 10.0;

			if (i >= 20 && f == 1 && i - 20 >= 7)
				continue;
			if (i >= 20 && f == 1)
				v = rise[i - 20];
			if (i == 20 && f == 2)
				v = 11.0;
			snprintf(sn, sizeof(sn), "U%04d", u++);
			run(db, fx[f], sn, v);
		}
	}
	run(db, "F1", "U0000", 50.0);	/* a retest of F1's first unit, far off */
	/* X ran another operation first: its first "final" run is still a first */
	t_one_step_run(db, "ict", "X", "F4", "ST", clock_us += 60000000, DB_PASS);
	run(db, "F4", "X", 10.1);
	run(db, "F4", NULL, 10.3);	/* no serial: no unit's, so never a first run */
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static char *spc_out(bool all_runs, const char *format)
{
	struct spc_opts o = { .name = "vout", .baseline = 20, .all_runs = all_runs };
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_filter f = { 0 };
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	assert_int_equal(report_spc(out, db_reader(db), &f, &o, format, &e), ST_OK);
	fclose(out);
	db_close(db);
	return buf;
}

static json_t *spc(bool all_runs)
{
	return t_json_take(spc_out(all_runs, "json"));
}

static json_t *fixture(json_t *j, int i, const char *name, int n)
{
	json_t *fx = json_array_get(json_object_get(j, "fixtures"), i);

	assert_non_null(fx);
	assert_string_equal(json_string_value(json_object_get(fx, "fixture")), name);
	assert_int_equal(json_integer_value(json_object_get(fx, "n")), n);
	return fx;
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* The rules of point i (0-based) as "1,mr". */
static const char *rules_of(json_t *fx, int i, char *buf, size_t cap)
{
	json_t *r = json_object_get(json_array_get(json_object_get(fx, "points"), i), "rules"), *v;
	size_t k, n = 0;

	buf[0] = '\0';
	json_array_foreach(r, k, v)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", k ? "," : "", json_string_value(v));
	return buf;
}

static void test_limits_by_hand(void **state)
{
	json_t *j = spc(false), *fx = fixture(j, 0, "F1", 40);
	double sigma = 0.2 / 1.128;

	assert_true(fabs(num(fx, "cl") - 10.1) < 1e-12);
	assert_true(fabs(num(fx, "mr_bar") - 0.2) < 1e-12);
	assert_true(fabs(num(fx, "sigma") - sigma) < 1e-12);
	assert_true(fabs(num(fx, "ucl") - (10.1 + 3 * sigma)) < 1e-12);
	assert_true(fabs(num(fx, "lcl") - (10.1 - 3 * sigma)) < 1e-12);
	assert_true(fabs(num(fx, "mr_ucl") - 3.267 * 0.2) < 1e-12);
	json_decref(j);
}

static void test_stable_not_flagged(void **state)
{
	json_t *j = spc(false), *fx = fixture(j, 0, "F1", 40);

	assert_int_equal(json_integer_value(json_object_get(fx, "flagged")), 0);
	json_decref(j);
}

static void test_drift_flagged(void **state)
{
	json_t *j = spc(false), *fx = fixture(j, 1, "F2", 27);
	char b[64];

	/* 10.1 .. 10.35 is the sixth point in a row rising, 10.4 the seventh */
	assert_int_equal(json_integer_value(json_object_get(fx, "flagged")), 2);
	assert_string_equal(rules_of(fx, 25, b, sizeof(b)), "3");
	assert_string_equal(rules_of(fx, 26, b, sizeof(b)), "3");
	assert_string_equal(rules_of(fx, 24, b, sizeof(b)), "");
	json_decref(j);
}

static void test_jump_flagged(void **state)
{
	json_t *j = spc(false), *fx = fixture(j, 2, "F3", 40);
	char b[64];

	assert_int_equal(json_integer_value(json_object_get(fx, "flagged")), 2);
	assert_string_equal(rules_of(fx, 20, b, sizeof(b)), "1,mr");	/* 11.0 */
	assert_string_equal(rules_of(fx, 21, b, sizeof(b)), "mr");	/* back to 10.0 */
	json_decref(j);
}

static void test_first_run_of_its_operation(void **state)
{
	json_t *j = spc(false);

	fixture(j, 3, "F4", 1);
	json_decref(j);
	j = spc(true);	/* every run: the run without a serial too */
	fixture(j, 3, "F4", 2);
	json_decref(j);
}

static void test_retest_only_with_all_runs(void **state)
{
	json_t *j = spc(true), *fx = fixture(j, 0, "F1", 41);
	char b[64];

	assert_string_equal(rules_of(fx, 40, b, sizeof(b)), "1,mr");	/* the retest's 50 V */
	json_decref(j);
}

/* The retest's 50 V lies far beyond the histogram's frame (9..11, bins of
 * 0.1, 20 more each side up to 13): the tail beyond shows it in its bin
 * (beyond 40 widths each bin twice the one before: 42.4 to 68), the empty
 * bins between as one gap, in the summaries' report (from the rows of the
 * one hour cell holding it) and in the rows' alike. */
static void test_histogram_tail(void **state)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_filter f = { 0 };
	struct st_error e;
	struct db *db;

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	for (int exact = 0; exact < 2; exact++) {
		struct report r = { .db_path = path, .exact = exact };
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		const struct rep_meas *m;

		assert_int_equal(report_build(db, &f, &r, &e), ST_OK);
		assert_int_equal(r.summary, !exact);
		assert_int_equal(r.nmeas, 1);
		m = &r.meas[0];
		assert_false(m->open_high || m->open_low);
		assert_true(m->tail[1].known && m->tail[0].known);
		assert_int_equal(m->tail[0].n, 0);
		assert_int_equal(m->tail[1].n, REP_TAIL_SAME + 9);	/* (50 - 12.9) / 0.1 = 371 */
		assert_int_equal(m->tail[1].count[REP_TAIL_SAME + 8], 1);
		assert_int_equal(m->nbins, 39);	/* 9 .. 12.8: the tail starts at 12.9 */
		report_text(out, &r);
		fclose(out);
		assert_non_null(strstr(buf, "\n            12.8 |    "));
		assert_non_null(strstr(buf, "\n             ... |         "
					     "                                0 (none from 12.9 to 42.4)\n"
					     "            42.4 |x                                        "
					     "1 (42.4 to 68)\n"));
		assert_null(strstr(buf, "up to max"));
		free(buf);
		buf = NULL;
		out = open_memstream(&buf, &len);
		report_html(out, &r);
		fclose(out);
		assert_non_null(strstr(buf, "<title>42.4 to 68: 1</title>"));
		assert_non_null(strstr(buf, "<title>none from 12.9 to 42.4</title>"));
		assert_non_null(strstr(buf, ">68</text>"));
		free(buf);
		report_free(&r);
	}
	db_close(db);
}

static int count(const char *h, const char *needle)
{
	int n = 0;

	for (const char *p = h; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The charts in HTML: an I and an MR chart per fixture, red exactly where
 * the rules flagged (F2's two drift points on its I chart; F3's jump on
 * both charts and the jump back on its MR chart), none on F1. */
static void test_html_charts(void **state)
{
	char *h = spc_out(false, "html"), *f2 = strstr(h, "<h2>fixture F2</h2>");

	assert_memory_equal(h, "<!DOCTYPE html>", 15);
	assert_int_equal(count(h, "<svg"), 7);	/* F4's one point: no MR chart */
	assert_int_equal(count(h, "class=\"flag\""), 5);
	assert_non_null(f2);
	assert_null(memmem(h, (size_t)(f2 - h), "class=\"flag\"", 12));
	assert_non_null(strstr(h, "rule 3 (6 in a row rising or falling)"));
	assert_non_null(strstr(h, "rule 1 (beyond 3 sigma) rule mr (moving range above its limit)"));
	/* an MR chart's flagged point names its own rule only */
	for (const char *m = h; (m = strstr(m, "aria-label=\"moving range chart\"")); m++) {
		const char *end = strstr(m, "</svg>");

		assert_non_null(end);
		assert_null(memmem(m, (size_t)(end - m), "rule 1 (", 8));
	}
	assert_non_null(strstr(strstr(h, "aria-label=\"moving range chart\""),
			       "</title></circle>"));
	assert_null(strstr(h, "<script"));
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_by_hand),
		cmocka_unit_test(test_stable_not_flagged),
		cmocka_unit_test(test_drift_flagged),
		cmocka_unit_test(test_jump_flagged),
		cmocka_unit_test(test_retest_only_with_all_runs),
		cmocka_unit_test(test_first_run_of_its_operation),
		cmocka_unit_test(test_html_charts),
		cmocka_unit_test(test_histogram_tail),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
