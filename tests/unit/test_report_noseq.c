/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs without a sequence name, NULL or "" (an importer, a hand edit, an
 * older station): one operation, "-", wherever a report keys by operation
 * (docs/quality.md).  A log with known answers:
 *
 *   "-"  A pass  (name NULL) vdd 1.0   08:00
 *        A fail  (name "")   vdd 2.0   08:10   A's retest: not a first run
 *        B pass  (name "")   vdd 1.2   08:20
 *   ict  A pass              vdd 1.1   08:30
 *
 * --operations "-": 3 runs, units A B = 2, passed 2, first units 2 (A's
 *      08:00, B), first passed 2; ict: 1 unit, first 1 of 1.
 * report (summaries and rows alike): unit-operations A/-, B/-, A/ict = 3,
 *      passed 3, first 3 of 3.
 * --capability (first runs): "-"/rails/vdd n 2 (1.0 and 1.2; A's 2.0 is a
 *      retest), one row; ict/rails/vdd n 1.
 * CSV keys name the missing sequence "-" in every section.
 *
 * The log is written twice: through db_run_begin() (which stores "" as
 * NULL) and as an older log holding "" (set by SQL, the summaries then
 * rebuilt, which makes it NULL, then set again), where the reading side
 * alone must treat both alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <unistd.h>

#include "test_db_data.h"
#include "report/report.h"
#include "test_json.h"

static char dir[64], path[128];

static void run(struct db *db, const char *seq, const char *serial, double v, int64_t t)
{
	t_meas_run(db, seq, serial, "F1", "rails", "vdd", v, 0.5, 1.5, t);
}

/* The log; legacy: its unnamed runs after A's first hold "" in the file. */
static void make_log(bool legacy)
{
	const int64_t t = T_DAY1_US;
	struct db *db;
	struct st_error e;

	unlink(path);
	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	run(db, NULL, "A", 1.0, t);
	run(db, "", "A", 2.0, t + 10 * T_MIN_US);
	run(db, "", "B", 1.2, t + 20 * T_MIN_US);
	run(db, "ict", "A", 1.1, t + 30 * T_MIN_US);
	if (legacy) {
		static const char *const empty = "UPDATE runs SET sequence_name = ''"
						 " WHERE unit_serial = 'B'"
						 " OR (unit_serial = 'A' AND outcome = 'fail')";

		assert_int_equal(sqlite3_exec(db_handle(db), empty, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE sequence_name = ''"), 2);
		/* the rebuild makes them NULL, as schema 12's upgrade does ... */
		assert_int_equal(db_summary_rebuild(db, &e), ST_OK);
		assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE sequence_name = ''"), 0);
		/* ... and the rows are given '' again: what reads them must
		 * treat it as NULL (the summaries, rebuilt, hold NULL) */
		assert_int_equal(sqlite3_exec(db_handle(db), empty, NULL, NULL, NULL), SQLITE_OK);
	}
	db_close(db);
}

static int setup(void **state)
{
	if (t_mkdir(dir, sizeof(dir), "noseq") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	unlink(path);
	return t_rmdir(dir);
}

enum what { OPS, CAP, REPORT_CSV };

static char *out(enum what w, const char *format)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_filter f = { 0 };
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	if (w == OPS) {
		assert_int_equal(report_operations(o, db_reader(db), &f, false, format, &e), ST_OK);
	} else if (w == CAP) {
		assert_int_equal(report_capability(o, db_reader(db), &f, false, false, false, format,
						   &e), ST_OK);
	} else {
		struct report r = { 0 };

		assert_int_equal(report_build(db, &f, &r, &e), ST_OK);
		assert_int_equal(report_csv(o, &r), 0);
		report_free(&r);
	}
	fclose(o);
	db_close(db);
	return buf;
}

static json_t *out_json(enum what w)
{
	return t_json_take(out(w, "json"));
}

static void check_operations(void)
{
	json_t *j = out_json(OPS), *ops = json_object_get(j, "operations"), *o;

	assert_int_equal(json_array_size(ops), 2);	/* "-" and ict, not "-" twice */
	o = t_json_named(j, "operations", "operation", "-", 0);
	assert_int_equal(t_json_num(o, "runs"), 3);
	assert_int_equal(t_json_num(o, "units"), 2);
	assert_int_equal(t_json_num(o, "passed"), 2);
	assert_int_equal(t_json_num(o, "first_units"), 2);
	assert_int_equal(t_json_num(o, "first_passed"), 2);
	o = t_json_named(j, "operations", "operation", "ict", 0);
	assert_int_equal(t_json_num(o, "first_units"), 1);
	json_decref(j);
}

/* station report's totals from the summaries and from the rows (exact;
 * and a filter on the line, which schema 12's cells answer too, selecting
 * every run). */
static void check_report(void)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_filter all = { 0 }, rows = { .operator_name = "ana" };
	struct report a = { 0 }, b = { .exact = true };
	struct st_error e;
	struct db *db;

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	assert_int_equal(report_build(db, &all, &a, &e), ST_OK);
	assert_int_equal(report_build(db, &all, &b, &e), ST_OK);
	assert_true(a.summary);
	assert_false(b.summary);
	for (int k = 0; k < 3; k++) {
		const struct rep_counts *c = k ? &b.total : &a.total;

		if (k == 2) {
			report_free(&a);
			a = (struct report){ 0 };
			assert_int_equal(report_build(db, &rows, &a, &e), ST_OK);
			assert_true(a.summary);
			c = &a.total;
		}

		assert_int_equal(c->runs, 4);
		assert_int_equal(c->units, 3);
		assert_int_equal(c->passed, 3);
		assert_int_equal(c->first_units, 3);
		assert_int_equal(c->first_passed, 3);
	}
	report_free(&a);
	report_free(&b);
	db_close(db);
}

static void check_capability(void)
{
	json_t *j = out_json(CAP), *g;
	size_t i, unnamed = 0;

	json_array_foreach(json_object_get(j, "measurements"), i, g) {
		json_t *s = json_object_get(g, "sequence");

		if (json_is_null(s) || !strcmp(json_string_value(s), "")) {
			unnamed++;
			assert_true(json_is_null(s));
			assert_int_equal(t_json_num(g, "n"), 2);
			assert_true(fabs(t_json_num(g, "mean") - 1.1) < 1e-12);
		} else {
			assert_string_equal(json_string_value(s), "ict");
			assert_int_equal(t_json_num(g, "n"), 1);
		}
	}
	assert_int_equal(unnamed, 1);
	json_decref(j);
}

static void check_all(void)
{
	check_operations();
	check_report();
	check_capability();
}

static void test_api_log(void **state)
{
	make_log(false);
	check_all();
}

static void test_legacy_log(void **state)
{
	make_log(true);
	check_all();
}

/* One spelling of the missing sequence in CSV: "-" (a key cell that
 * starts with it is defused as a spreadsheet formula, as any other); the
 * older log's "" too, once `station db rebuild` has summarised it: one
 * failure mode and one measurement key of n 3, not "-" and "" apart. */
static void csv_keys(bool legacy)
{
	char *c;

	make_log(legacy);
	c = out(REPORT_CSV, "csv");
	assert_non_null(strstr(c, "\r\nfailure_mode,\"'-/rails/vdd high\",count,1\r\n"));
	assert_non_null(strstr(c, "\r\nmeasurement,\"'-/rails/vdd [0.5..1.5]\",n,3\r\n"));
	assert_null(strstr(c, ",/rails/"));
	free(c);
	c = out(OPS, "csv");
	assert_non_null(strstr(c, "\r\noperation,-,runs,3\r\n"));
	free(c);
	c = out(CAP, "csv");
	assert_non_null(strstr(c, "\r\n-,1,rails,vdd,V,0.5,1.5,"));
	assert_null(strstr(c, "\r\n,1,rails,"));
	free(c);
}

static void test_csv_keys(void **state)
{
	csv_keys(false);
}

static void test_legacy_csv_keys(void **state)
{
	csv_keys(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_log),
		cmocka_unit_test(test_legacy_log),
		cmocka_unit_test(test_csv_keys),
		cmocka_unit_test(test_legacy_csv_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
