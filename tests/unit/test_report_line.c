/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Schema 12: the summary cells know the line (station, operator, work
 * order, part number, revision), so report --operator, --work-order,
 * --part-number, --revision and --station read cells, and say what the
 * rows say, figure by figure and in text and JSON.  On a log with known
 * answers (fixture F1, sequence "line", hours H, H+1, H+2 from T_DAY1_US):
 *
 *  run unit op  wo  part/rev hour outcome                     vdd [3.1,3.5]
 *   1  U1   A   W1  P1/A     H    pass                        3.30
 *   2  U2   A   W1  P1/A     H    fail at rails (far beyond)  9.00
 *   3  U2   B   W1  P1/A     H    pass (a retest, another op) 3.32
 *   4  U3   B   W2  P2/B     H    fail at "self test" (in group "final") 3.28
 *   5  U3   A   W2  P2/B     H+1  pass                        3.31
 *   6  U4   -   W2  P2/B     H+1  error (judges no unit)      -
 *   7  U5   B   -   P1/A     H+2  pass                        3.29
 *   8  U6   A   W2  P2/B     H+2  pass, its serial given after the end 3.30
 *
 * --operator A: runs 1 2 5 8; units U1 U2 U3 U6, passed U1 U3 U6; first
 * judged runs of a unit (over the whole log) here: 1 (pass) 2 (fail) 8
 * (pass): 3, 2 passed; Pareto rails 1; vdd n 4, 1 above its limit.
 * --operator B: runs 3 4 7; units U2 U3 U5, passed U2 U5; first runs 4, 7.
 * --work-order W1: runs 1 2 3; units U1 U2 both passed; first 1, 2.
 * --part-number P2 --revision B: runs 4 5 6 8; units U3 U6 passed; first
 * 4 (fail) 8; Pareto self test 1.
 * --operator A, hour H, --outcome fail: run 2; unit U2 not passed; first 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_db_data.h"
#include "db/db_report.h"
#include "report/report.h"

#define HOUR 3600000000LL

static char dir[64], path[128];

struct lrun {
	const char *unit, *op, *wo, *part, *rev;
	int hour;
	enum db_outcome o;
	const char *fail_at;	/* "rails" (vdd beyond its limit) or "self test" */
	double vdd;		/* NAN: none */
	bool serial_later;
};

static const struct lrun lruns[] = {
	{ "U1", "A", "W1", "P1", "A", 0, DB_PASS, NULL, 3.30, false },
	{ "U2", "A", "W1", "P1", "A", 0, DB_FAIL, "rails", 9.00, false },
	{ "U2", "B", "W1", "P1", "A", 0, DB_PASS, NULL, 3.32, false },
	{ "U3", "B", "W2", "P2", "B", 0, DB_FAIL, "self test", 3.28, false },
	{ "U3", "A", "W2", "P2", "B", 1, DB_PASS, NULL, 3.31, false },
	{ "U4", NULL, "W2", "P2", "B", 1, DB_ERROR, NULL, NAN, false },
	{ "U5", "B", NULL, "P1", "A", 2, DB_PASS, NULL, 3.29, false },
	{ "U6", "A", "W2", "P2", "B", 2, DB_PASS, NULL, 3.30, true },
};

static void lrun_log(struct db *db, const struct lrun *l, int i)
{
	int64_t t = T_DAY1_US + l->hour * HOUR + i * T_MIN_US;
	struct db_run_info ri = { .unit_serial = l->serial_later ? NULL : l->unit, .station = "ST",
				  .fixture = "F1", .operator_name = l->op, .work_order = l->wo,
				  .part_number = l->part, .revision = l->rev,
				  .sequence_name = "line", .sequence_version = "1",
				  .started_us = t };
	struct db_measurement m = { .name = "vdd", .unit = "V", .value = l->vdd, .low = 3.1,
				    .high = 3.5, .outcome = l->vdd > 3.5 ? DB_FAIL : DB_PASS };
	struct db_step rails = { .index = 1, .name = "rails", .outcome = m.outcome, .meas = &m,
				 .n_meas = !isnan(l->vdd), .started_us = t, .ended_us = t + 1 };
	struct db_step child = { .index = 2, .name = "self test", .kind = "console",
				 .outcome = DB_FAIL, .started_us = t, .ended_us = t + 2 };
	struct db_step group = { .index = 3, .name = "final", .kind = "group",
				 .outcome = DB_FAIL, .started_us = t, .ended_us = t + 3 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &rails, &e), ST_OK);
	if (l->fail_at && !strcmp(l->fail_at, "self test")) {
		assert_int_equal(db_step_log(db, id, &child, &e), ST_OK);
		assert_int_equal(db_step_log(db, id, &group, &e), ST_OK);
	}
	assert_int_equal(db_run_end(db, id, l->o, l->fail_at, &e), ST_OK);
	if (l->serial_later)
		assert_int_equal(db_run_set_serial(db, id, l->unit, &e), ST_OK);
}

static void line_log(const char *p)
{
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	for (size_t i = 0; i < sizeof(lruns) / sizeof(lruns[0]); i++)
		lrun_log(db, &lruns[i], (int)i);
	db_close(db);
}

struct text {
	char *p, *json;
	size_t n, njson;
};

/* r printed as text and as JSON. */
static void print(const struct report *r, struct text *t)
{
	FILE *out = open_memstream(&t->p, &t->n);

	assert_non_null(out);
	assert_int_equal(report_text(out, r), 0);
	fclose(out);
	out = open_memstream(&t->json, &t->njson);
	assert_non_null(out);
	assert_int_equal(report_json(out, r), 0);
	fclose(out);
}

/* The same JSON, but for when it was made and the last of a real's 15
 * digits (the cells sum in another order than the rows). */
static void same_json(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	assert_int_equal(json_typeof(a), json_typeof(b));
	if (json_is_real(a)) {
		double x = json_real_value(a), y = json_real_value(b);

		assert_true(fabs(x - y) <= 1e-12 * fmax(1, fabs(x)));
	} else if (json_is_object(a)) {
		assert_int_equal(json_object_size(a), json_object_size(b));
		json_object_foreach(a, k, v)
			if (strcmp(k, "generated"))
				same_json(v, json_object_get(b, k));
	} else if (json_is_array(a)) {
		assert_int_equal(json_array_size(a), json_array_size(b));
		json_array_foreach(a, i, v)
			same_json(v, json_array_get(b, i));
	} else {
		assert_true(json_equal(a, b));
	}
}

static void same_text(struct text *a, struct text *b)
{
	json_t *ja = json_loads(a->json, 0, NULL), *jb = json_loads(b->json, 0, NULL);

	assert_string_equal(a->p, b->p);
	assert_non_null(ja);
	assert_non_null(jb);
	same_json(ja, jb);
	json_decref(ja);
	json_decref(jb);
	free(a->p);
	free(a->json);
	free(b->p);
	free(b->json);
}

static void same_counts(const struct rep_counts *a, const struct rep_counts *b)
{
	assert_int_equal(a->runs, b->runs);
	assert_int_equal(a->units, b->units);
	assert_int_equal(a->passed, b->passed);
	assert_int_equal(a->first_units, b->first_units);
	assert_int_equal(a->first_passed, b->first_passed);
}

/* The report of f from the summary cells, checked against the rows' (the
 * same figures, the same text and JSON, also --with-errors), and the
 * known answers: runs, units, passed, first units, first passed; the
 * Pareto's first step and count (NULL: none); vdd's n and values above. */
static void known(struct db *db, const struct rep_filter *f, const int64_t want[5],
		  const char *pareto, int64_t vdd_n, int64_t vdd_high)
{
	for (int we = 0; we < 2; we++) {
		struct report s = { .with_errors = we }, x = { .exact = true, .with_errors = we };
		struct text ts = { 0 }, tx = { 0 };

		assert_int_equal(report_build(db, f, &s, NULL), 0);
		assert_int_equal(report_build(db, f, &x, NULL), 0);
		assert_true(s.summary);
		assert_false(x.summary);
		same_counts(&s.total, &x.total);
		assert_int_equal(s.ndays, x.ndays);
		for (int i = 0; i < s.ndays; i++)
			same_counts(&s.days[i].c, &x.days[i].c);
		print(&s, &ts);
		print(&x, &tx);
		same_text(&ts, &tx);
		if (!we) {
			const int64_t got[5] = { s.total.runs, s.total.units, s.total.passed,
						 s.total.first_units, s.total.first_passed };

			assert_memory_equal(got, want, sizeof(got));
			assert_int_equal(s.nfails, pareto ? 1 : 0);
			if (pareto) {
				assert_string_equal(s.fails[0].step, pareto);
				assert_int_equal(s.fails[0].count, 1);
			}
			assert_int_equal(s.nmeas, vdd_n ? 1 : 0);
			if (vdd_n) {
				assert_int_equal(s.meas[0].n, vdd_n);
				assert_int_equal(s.meas[0].out_high, vdd_high);
				/* 9.00, far beyond the frame: its tail read from the
				 * rows of its cell, the line's included */
				assert_true(s.meas[0].tail[1].known);
				assert_int_equal(s.meas[0].tail[1].n > 0, vdd_high > 0);
			}
		}
		report_free(&s);
		report_free(&x);
	}
}

static void known_answers(struct db *db)
{
	struct rep_filter f = { .operator_name = "A" };

	known(db, &f, (int64_t[]){ 4, 4, 3, 3, 2 }, "rails", 4, 1);
	f = (struct rep_filter){ .operator_name = "B" };
	known(db, &f, (int64_t[]){ 3, 3, 2, 2, 1 }, "self test", 3, 0);
	f = (struct rep_filter){ .work_order = "W1" };
	known(db, &f, (int64_t[]){ 3, 2, 2, 2, 1 }, "rails", 3, 1);
	f = (struct rep_filter){ .part_number = "P2", .revision = "B" };
	known(db, &f, (int64_t[]){ 4, 2, 2, 2, 1 }, "self test", 3, 0);
	f = (struct rep_filter){ .operator_name = "A", .has_since = true, .since_us = T_DAY1_US,
				 .has_until = true, .until_us = T_DAY1_US + HOUR,
				 .outcome = "fail" };
	known(db, &f, (int64_t[]){ 1, 1, 0, 1, 0 }, "rails", 1, 1);
	f = (struct rep_filter){ .work_order = "W2", .has_since = true,
				 .since_us = T_DAY1_US + HOUR, .outcome = "pass" };
	known(db, &f, (int64_t[]){ 2, 2, 2, 1, 1 }, NULL, 2, 0);
	f = (struct rep_filter){ .station = "ST", .operator_name = "nobody" };
	known(db, &f, (int64_t[]){ 0, 0, 0, 0, 0 }, NULL, 0, 0);
	f = (struct rep_filter){ .station = "ST", .part_number = "P1", .revision = "B" };
	known(db, &f, (int64_t[]){ 0, 0, 0, 0, 0 }, NULL, 0, 0);
}

static int setup(void **state)
{
	if (t_mkdir(dir, sizeof(dir), "repline") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	line_log(path);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static void test_line_filters_from_cells(void **state)
{
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	known_answers(db);
	/* the hour cells: one per hour, outcome and line (here each run has its own) */
	assert_int_equal(t_int(db, "SELECT count(*) FROM cells WHERE hours = 1"), 8);
	/* rebuilt from the rows: the same */
	assert_int_equal(db_summary_rebuild(db, &e), ST_OK);
	known_answers(db);
	db_close(db);
}

/* A schema 11 log (db/migrations/v11.sql: the same rows, its cells keyed
 * without the line) is upgraded: the cells rebuilt with it, the same
 * answers. */
static void test_v11_log_upgraded(void **state)
{
	char p[160];
	struct db *db;
	struct st_error e;

	snprintf(p, sizeof(p), "%s/v11.db", dir);
	t_copy_log(p, "db/migrations/v11.sql", path, NULL);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 11);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM pragma_table_info('cells')"
			       " WHERE name IN ('station', 'operator', 'work_order', 'part_number',"
			       " 'revision')"), 5);
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs r JOIN cells c ON c.id = r.cell"
			       " WHERE c.operator IS r.operator AND c.work_order IS r.work_order"), 8);
	known_answers(db);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_filters_from_cells),
		cmocka_unit_test(test_v11_log_upgraded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
