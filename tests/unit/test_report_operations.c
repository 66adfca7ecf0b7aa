/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --operations on a log with known answers (worked by hand
 * below): yield and first-pass yield per operation over the same units,
 * error and aborted runs apart (or judged as failures with --with-errors),
 * unidentified runs apart, runs per unit, rolled throughput yield, and a
 * time window that must not make a retest a first pass.
 *
 *   ict   (day 1)  A pass; B fail, pass; C error, pass; D aborted;
 *                  one run without a serial, fail
 *   final          A pass (day 1); B fail, fail (day 1), pass (day 2);
 *                  C pass (day 2)
 *
 * ict:   7 runs, 1 error, 1 aborted, 1 unidentified; units judged A B C = 3,
 *        all passed (100 %); first judged runs A pass, B fail, C pass (its
 *        error judges nobody): FPY 2/3; runs per unit 1: 2 (A, C), 2: 1 (B)
 *   --with-errors: units A B C D = 4, passed 3 (75 %); first runs A pass,
 *        B fail, C error, D aborted: FPY 1/4; runs per unit 1: 2, 2: 2
 * final: 5 runs, units 3, passed 3; first runs A pass, B fail, C pass:
 *        FPY 2/3 (B's and C's first final run counts although they ran ict
 *        first); runs per unit 1: 2, 3: 1
 * RTY = 2/3 * 2/3 = 4/9; with errors 1/4 * 2/3 = 1/6
 * --sequence final --since day 2: B's pass and C's pass; units 2, first
 *        units 1 (C; B's first final run was on day 1), FPY 1/1
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_db_data.h"
#include "report/report.h"
#include "test_json.h"

static char dir[64], path[128];

static void one(struct db *db, const char *seq, const char *serial, int64_t t,
		enum db_outcome o)
{
	t_one_step_run(db, seq, serial, "F1", "ST", t, o);
}

static int setup(void **state)
{
	const int64_t d1 = T_DAY1_US, d2 = T_DAY1_US + T_DAY_US;
	struct db *db;
	struct st_error e;
	int64_t t = d1;

	if (t_mkdir(dir, sizeof(dir), "ops") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	one(db, "ict", "A", t += T_MIN_US, DB_PASS);
	one(db, "ict", "B", t += T_MIN_US, DB_FAIL);
	one(db, "ict", "B", t += T_MIN_US, DB_PASS);
	one(db, "ict", "C", t += T_MIN_US, DB_ERROR);
	one(db, "ict", "C", t += T_MIN_US, DB_PASS);
	one(db, "ict", "D", t += T_MIN_US, DB_ABORTED);
	one(db, "ict", NULL, t += T_MIN_US, DB_FAIL);
	one(db, "final", "A", t += T_MIN_US, DB_PASS);
	one(db, "final", "B", t += T_MIN_US, DB_FAIL);
	one(db, "final", "B", t += T_MIN_US, DB_FAIL);
	t = d2;
	one(db, "final", "B", t += T_MIN_US, DB_PASS);
	one(db, "final", "C", t += T_MIN_US, DB_PASS);
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static char *ops(const struct rep_filter *f, bool with_errors, const char *format)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	assert_int_equal(report_operations(out, db_reader(db), f, with_errors, format, &e), ST_OK);
	fclose(out);
	db_close(db);
	return buf;
}

static json_t *ops_json(const struct rep_filter *f, bool with_errors)
{
	return t_json_take(ops(f, with_errors, "json"));
}

static json_t *op(json_t *j, const char *name)
{
	return t_json_named(j, "operations", "operation", name, 0);
}

static int64_t n(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", k);
	return json_integer_value(v);
}

#define r t_json_num

static void test_by_hand(void **state)
{
	struct rep_filter f = { 0 };
	json_t *j = ops_json(&f, false), *o, *per;

	o = op(j, "ict");
	assert_int_equal(n(o, "runs"), 7);
	assert_int_equal(n(o, "errors"), 1);
	assert_int_equal(n(o, "aborted"), 1);
	assert_int_equal(n(o, "unidentified"), 1);
	assert_int_equal(n(o, "units"), 3);
	assert_int_equal(n(o, "passed"), 3);
	assert_int_equal(n(o, "first_units"), 3);
	assert_int_equal(n(o, "first_passed"), 2);
	per = json_object_get(o, "runs_per_unit");
	assert_int_equal(n(per, "1"), 2);
	assert_int_equal(n(per, "2"), 1);
	assert_int_equal(json_object_size(per), 2);
	o = op(j, "final");
	assert_int_equal(n(o, "runs"), 5);
	assert_int_equal(n(o, "units"), 3);
	assert_int_equal(n(o, "first_units"), 3);
	assert_int_equal(n(o, "first_passed"), 2);
	assert_true(fabs(r(o, "first_pass_yield") - 2.0 / 3) < 1e-12);
	per = json_object_get(o, "runs_per_unit");
	assert_int_equal(n(per, "1"), 2);
	assert_int_equal(n(per, "3"), 1);
	assert_true(fabs(r(j, "rolled_throughput_yield") - 4.0 / 9) < 1e-12);
	json_decref(j);
}

static void test_with_errors(void **state)
{
	struct rep_filter f = { 0 };
	json_t *j = ops_json(&f, true), *o = op(j, "ict");

	assert_true(json_is_true(json_object_get(j, "with_errors")));
	assert_int_equal(n(o, "units"), 4);
	assert_int_equal(n(o, "passed"), 3);
	assert_int_equal(n(o, "first_units"), 4);
	assert_int_equal(n(o, "first_passed"), 1);
	assert_int_equal(n(json_object_get(o, "runs_per_unit"), "2"), 2);
	assert_true(fabs(r(j, "rolled_throughput_yield") - 1.0 / 6) < 1e-12);
	json_decref(j);
}

/* One operation in a window: its FPY over its own first runs, and a retest
 * inside the window is not a first pass. */
static void test_window_and_sequence(void **state)
{
	struct rep_filter f = { .seq_name = "final", .has_since = true,
				.since_us = T_DAY1_US + T_DAY_US };
	json_t *j = ops_json(&f, false), *o;
	char *t;

	assert_int_equal(json_array_size(json_object_get(j, "operations")), 1);
	o = op(j, "final");
	assert_int_equal(n(o, "units"), 2);
	assert_int_equal(n(o, "first_units"), 1);
	assert_int_equal(n(o, "first_passed"), 1);
	json_decref(j);
	t = ops(&f, false, "text");
	assert_non_null(strstr(t, "  final                     2      2      2  100.0%      1      1  "
				  "100.0%      0       0            0\n"));
	assert_non_null(strstr(t, "rolled throughput yield (product of FPY): 100.0%\n"));
	free(t);
	f = (struct rep_filter){ 0 };
	t = ops(&f, false, "csv");
	assert_non_null(strstr(t, "\r\noperation,ict,first_pass_yield,0.666666666666667\r\n"));
	assert_non_null(strstr(t, "\r\noperation,final,runs_per_unit_3,1\r\n"));
	assert_non_null(strstr(t, "\r\ntotal,,rolled_throughput_yield,0.444444444444444\r\n"));
	free(t);
}

/* station report's totals, from the summaries and from the rows. */
static void totals(struct db *db, const struct rep_filter *f, int how, int64_t runs,
		   int64_t units, int64_t passed, int64_t first_units, int64_t first_passed)
{
	/* how: 0 the summaries, 1 the rows, 2 with errors from the summaries,
	 * 3 with errors from the rows */
	struct report r = { .db_path = path, .exact = how == 1 || how == 3,
			    .with_errors = how >= 2 };
	struct st_error e;

	assert_int_equal(report_build(db, f, &r, &e), ST_OK);
	assert_int_equal(r.summary, how == 0 || how == 2);
	assert_int_equal(r.total.runs, runs);
	assert_int_equal(r.total.units, units);
	assert_int_equal(r.total.passed, passed);
	assert_int_equal(r.total.first_units, first_units);
	assert_int_equal(r.total.first_passed, first_passed);
	report_free(&r);
}

/* station report itself: the operations' definitions (a unit counts in each
 * operation it ran, the first judged run of each operation is its first
 * pass, unidentified runs are no unit), and the runs that judge no board
 * apart.  Over the log: ict's 3 units and final's 3, all passed; first
 * passes 2 of ict's 3 and 2 of final's 3. */
static void test_report_counts_them_apart(void **state)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_filter f = { 0 };
	struct report r = { .db_path = path };
	struct st_error e;
	struct db *db;

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	assert_int_equal(report_build(db, &f, &r, &e), ST_OK);
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.aborted, 1);
	assert_int_equal(r.unidentified, 1);
	report_free(&r);
	for (int exact = 0; exact < 2; exact++) {
		totals(db, &f, exact, 12, 6, 6, 6, 4);
		f.seq_name = "ict";
		totals(db, &f, exact, 7, 3, 3, 3, 2);
		f.seq_name = "final";
		totals(db, &f, exact, 5, 3, 3, 3, 2);
		/* day 2: B's pass and C's; only C's is a first run */
		f.has_since = true;
		f.since_us = T_DAY1_US + T_DAY_US;
		totals(db, &f, exact, 2, 2, 2, 1, 1);
		f = (struct rep_filter){ .seq_name = "ict", .outcome = "fail" };
		/* B's failed first run; the unidentified fail is no unit */
		totals(db, &f, exact, 2, 1, 0, 1, 0);
		f = (struct rep_filter){ 0 };
	}
	/* --with-errors: C's error run is its first ict run, failed; D's
	 * aborted run makes it a unit, failed: ict 4 units, 3 passed, first
	 * passes A only; final as before */
	for (int how = 2; how <= 3; how++) {
		f = (struct rep_filter){ 0 };
		totals(db, &f, how, 12, 7, 6, 7, 3);
		f.seq_name = "ict";
		totals(db, &f, how, 7, 4, 3, 4, 1);
		f.seq_name = "final";
		totals(db, &f, how, 5, 3, 3, 3, 2);
	}
	f = (struct rep_filter){ 0 };
	f.seq_name = "final";
	assert_int_equal(report_build(db, &f, &r, &e), ST_OK);
	assert_int_equal(r.errors + r.aborted + r.unidentified, 0);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);

		report_text(out, &r);
		fclose(out);
		/* every unit ran ict first: final's own first runs count */
		assert_non_null(strstr(buf, "first pass        2 of 3 units passed   66.7%\n"));
		free(buf);
	}
	report_free(&r);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_with_errors),
		cmocka_unit_test(test_window_and_sequence),
		cmocka_unit_test(test_report_counts_them_apart),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
