/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report from the summaries equals the report from the rows: on a
 * random log (retests across fixtures, days and operators, units without
 * a serial, runs left running then recovered, a serial changed after the
 * end, operators, work orders, parts and revisions (schema 12), one-
 * and two-sided and missing limits, values beyond the limits), under
 * several filters: same yields, counts, Pareto and histograms, mean and
 * sigma within 1e-9 relative.  And a schema 2 log (db/migrations/v2.sql)
 * upgraded by db_open() gets summaries that give the same report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_db_data.h"
#include "db/db_report.h"
#include "db/db_report_sum.h"

static char dir[64], path[128];
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double nrand(void)
{
	double u = urand(), v = urand();

	return sqrt(-2 * log(u > 1e-300 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

static const char *const fixtures[] = { "F1", "F2", "F3" };

/* One run: two measuring steps (the second fails on a value beyond its
 * limits), on day d, maybe without a serial, maybe left running. */
static void random_run(struct db *db, int i, const char *serial, bool running)
{
	struct db_run_info ri = {
		.unit_serial = serial, .station = "ST", .fixture = fixtures[(int)(urand() * 3)],
		.sequence_name = "factory", .sequence_version = i % 3 ? "1.0" : "1.1",
		.started_us = T_DAY1_US + (int64_t)(urand() * 4 * T_DAY_US),
	};
	struct db_measurement m[5] = {
		{ .name = "vdd", .unit = "V", .value = 3.3 + 0.09 * nrand(), .low = 3.1, .high = 3.5 },
		{ .name = "idle", .unit = "mA", .value = 40 + 8 * nrand(), .low = NAN, .high = 60 },
		{ .name = "gain", .value = 2 + 0.2 * nrand(), .low = 1.7, .high = NAN },
		{ .name = "temp", .unit = "C", .value = 25 + 3 * nrand(), .low = NAN, .high = NAN },
		{ .name = "fw", .value = NAN, .text = "1.2.3", .expect = "1.2.3", .low = NAN,
		  .high = NAN },
	};
	struct db_step s = { .index = 1, .name = "rails", .outcome = DB_PASS, .meas = m, .n_meas = 2 };
	enum db_outcome o = DB_PASS;
	static const char *const ops[] = { "ann", "bob", "cy", NULL };
	static const char *const wos[] = { "WO-1", "WO-2", "WO-3", NULL };
	int shift = (int)((ri.started_us - T_DAY1_US) / (8 * 3600000000LL));
	char id[DB_ID_LEN];
	struct st_error e;

	/* schema 12's line: operators by shift (and a few runs without one),
	 * one work order at a time, its part and revision */
	ri.operator_name = ops[i % 17 == 3 ? 3 : (shift + (i % 5 == 0)) % 3];
	ri.work_order = wos[i % 23 == 4 ? 3 : shift / 2 % 3];
	ri.part_number = ri.work_order ? (shift / 2 % 3 == 1 ? "P-2" : "P-1") : NULL;
	ri.revision = ri.part_number ? (shift / 2 % 3 == 2 ? "B" : "A") : NULL;
	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	for (int k = 0; k < 5; k++)
		m[k].outcome = (!isnan(m[k].low) && m[k].value < m[k].low) ||
			       (!isnan(m[k].high) && m[k].value > m[k].high) ? DB_FAIL : DB_PASS;
	if (m[0].outcome || m[1].outcome)
		s.outcome = o = DB_FAIL;
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	s = (struct db_step){ .index = 2, .name = "calibrate", .meas = m + 2, .n_meas = 3 };
	if (m[2].outcome)
		s.outcome = o = DB_FAIL;
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	if (urand() < 0.03) {
		s = (struct db_step){ .index = 3, .name = "identity", .outcome = DB_ERROR };
		o = DB_ERROR;
		assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	}
	if (!running)
		assert_int_equal(db_run_end(db, id, o, NULL, &e), ST_OK);
	if (!running && serial && i % 97 == 5)	/* a serial corrected after the end */
		assert_int_equal(db_run_set_serial(db, id, "U-FIXED", &e), ST_OK);
}

/* One run of unit serial at t, passing or failing its one measurement,
 * ended with outcome o. */
static void fixed_run(struct db *db, const char *serial, int64_t t, enum db_outcome o)
{
	bool pass = o == DB_PASS;
	struct db_run_info ri = { .unit_serial = serial, .station = "ST", .fixture = "F1",
				  .sequence_name = "factory", .sequence_version = "1.0",
				  .started_us = t, .operator_name = "ann" };
	struct db_measurement m = { .name = "vdd", .unit = "V", .value = pass ? 3.3 : 3.6,
				    .low = 3.1, .high = 3.5, .outcome = pass ? DB_PASS : DB_FAIL };
	struct db_step s = { .index = 1, .name = "rails", .outcome = m.outcome, .meas = &m,
			     .n_meas = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, o, NULL, &e), ST_OK);
}

/* Units of a shift from 06:30 (compare_windows_off_the_hour) tested both
 * in its minutes and in its whole hours: failed in an hour and passed in
 * the minutes (passed, once), passed in an hour and failed in the minutes
 * (passed, once), one tested only in the minutes, and one whose run in an
 * hour ended in an error (with --with-errors: a unit of that hour). */
static void edge_units(struct db *db)
{
	const int64_t day1 = T_DAY1_US - T_DAY1_US % T_DAY_US + T_DAY_US;
	const int64_t hour = 3600000000LL, minute = 60000000LL;

	fixed_run(db, "E-1", day1 + 10 * hour, DB_FAIL);
	fixed_run(db, "E-1", day1 + 14 * hour + 5 * minute, DB_PASS);
	fixed_run(db, "E-2", day1 + 6 * hour + 45 * minute, DB_FAIL);
	fixed_run(db, "E-2", day1 + 11 * hour, DB_PASS);
	fixed_run(db, "E-3", day1 + 6 * hour + 40 * minute, DB_PASS);
	fixed_run(db, "E-4", day1 + 12 * hour, DB_ERROR);
	fixed_run(db, "E-4", day1 + 14 * hour + 7 * minute, DB_PASS);
}

static void random_log(struct db *db, int n)
{
	char serial[32];
	int units = 0;

	for (int i = 0; i < n; i++) {
		bool retest = units && urand() < 0.25;
		int u = retest ? (int)(urand() * units) : units++;

		snprintf(serial, sizeof(serial), "U%04d", u);
		random_run(db, i, i % 41 == 7 ? NULL : serial, i % 53 == 11);
	}
}

static void rel_close(double a, double b)
{
	if (fabs(a - b) > 1e-9 * fmax(fabs(a), fabs(b)) && fabs(a - b) > 1e-12)
		fail_msg("%.17g != %.17g", a, b);
}

static void same_counts(const struct rep_counts *a, const struct rep_counts *b)
{
	assert_int_equal(a->runs, b->runs);
	assert_int_equal(a->units, b->units);
	assert_int_equal(a->passed, b->passed);
	assert_int_equal(a->first_units, b->first_units);
	assert_int_equal(a->first_passed, b->first_passed);
}

static void same_meas(const struct rep_meas *a, const struct rep_meas *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->step, b->step);
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->has_low, b->has_low);
	assert_int_equal(a->has_high, b->has_high);
	rel_close(a->mean, b->mean);
	assert_int_equal(a->has_sigma, b->has_sigma);
	rel_close(a->sigma, b->sigma);
	assert_int_equal(a->has_ppk, b->has_ppk);
	if (a->has_ppk)
		rel_close(a->ppk, b->ppk);
	assert_int_equal(a->has_pp, b->has_pp);
	if (a->has_pp)
		rel_close(a->pp, b->pp);
	assert_true(a->min == b->min && a->max == b->max);
	assert_int_equal(a->out_low, b->out_low);
	assert_int_equal(a->out_high, b->out_high);
	assert_int_equal(a->nbins, b->nbins);
	assert_int_equal(a->open_low, b->open_low);
	assert_int_equal(a->open_high, b->open_high);
	assert_true(a->lo == b->lo && a->width == b->width);
	assert_memory_equal(a->bins, b->bins, a->nbins * sizeof(a->bins[0]));
	for (int k = 0; k < 2; k++) {
		assert_int_equal(a->tail[k].known, b->tail[k].known);
		assert_int_equal(a->tail[k].n, b->tail[k].n);
		assert_memory_equal(a->tail[k].count, b->tail[k].count, sizeof(a->tail[k].count));
	}
}

/* Both reports under filter f (with_errors: --with-errors); returns the
 * number of runs they counted. */
static int64_t compare_we(struct db *db, const struct rep_filter *f, bool with_errors)
{
	struct report x = { .exact = true, .with_errors = with_errors },
		      s = { .with_errors = with_errors };
	int64_t runs;

	assert_int_equal(report_build(db, f, &x, NULL), 0);
	assert_int_equal(report_build(db, f, &s, NULL), 0);
	assert_false(x.summary);
	assert_true(s.summary);
	same_counts(&x.total, &s.total);
	assert_int_equal(x.ndays, s.ndays);
	for (int i = 0; i < x.ndays; i++) {
		assert_string_equal(x.days[i].day, s.days[i].day);
		same_counts(&x.days[i].c, &s.days[i].c);
	}
	assert_int_equal(x.nfails, s.nfails);
	for (int i = 0; i < x.nfails; i++) {
		assert_string_equal(x.fails[i].step, s.fails[i].step);
		assert_int_equal(x.fails[i].count, s.fails[i].count);
	}
	assert_int_equal(x.nmeas, s.nmeas);
	for (int i = 0; i < x.nmeas; i++)
		same_meas(&x.meas[i], &s.meas[i]);
	runs = x.total.runs;
	report_free(&x);
	report_free(&s);
	return runs;
}

/* ... without and with --with-errors (error and aborted runs judging their
 * units, as failures: from the cells and the error runs, as from the rows) */
static int64_t compare(struct db *db, const struct rep_filter *f)
{
	int64_t runs = compare_we(db, f, false);

	assert_int_equal(compare_we(db, f, true), runs);
	return runs;
}

#define HOUR 3600000000LL
#define MINUTE 60000000LL

/* Windows off the hour: their whole hours from the cells, their minutes
 * from the rows (db_report_edge.c), the same as the rows of all of it,
 * without and with --with-errors. */
static void compare_windows_off_the_hour(struct db *db)
{
	const int64_t day0 = T_DAY1_US - T_DAY1_US % T_DAY_US, day1 = day0 + T_DAY_US;
	struct rep_filter f;

	/* a shift from 06:30 to 14:10: two ends of minutes */
	f = (struct rep_filter){ .has_since = true, .since_us = day1 + 6 * HOUR + 30 * MINUTE,
				 .has_until = true, .until_us = day1 + 14 * HOUR + 10 * MINUTE };
	assert_true(compare(db, &f) > 0);
	f.fixture = "F2";
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_since = true, .since_us = day1 + 6 * HOUR + 30 * MINUTE,
				 .has_until = true, .until_us = day1 + 14 * HOUR };
	assert_true(compare(db, &f) > 0);
	/* no whole hour: within one hour, and across one hour's end */
	f = (struct rep_filter){ .has_since = true, .since_us = day1 + 9 * HOUR + 5 * MINUTE,
				 .has_until = true, .until_us = day1 + 9 * HOUR + 55 * MINUTE };
	assert_true(compare(db, &f) >= 0);
	f = (struct rep_filter){ .has_since = true, .since_us = day1 + 9 * HOUR + 20 * MINUTE,
				 .has_until = true, .until_us = day1 + 11 * HOUR + 40 * MINUTE };
	assert_true(compare(db, &f) > 0);
	/* days of a week from 22:30 to 05:45, one end only, line filters */
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + 22 * HOUR + 30 * MINUTE,
				 .has_until = true, .until_us = day0 + 3 * T_DAY_US + 5 * HOUR +
							 45 * MINUTE };
	assert_true(compare(db, &f) > 0);
	f.fixture = "F3";
	f.outcome = "pass";
	assert_true(compare(db, &f) > 0);
	/* a day of its first minutes alone, before the cells' days */
	f = (struct rep_filter){ .has_since = true, .since_us = day1 + 23 * HOUR + 30 * MINUTE,
				 .has_until = true, .until_us = day1 + T_DAY_US + 5 * HOUR +
							 30 * MINUTE };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_since = true, .since_us = day1 + 13 * HOUR + 17 * MINUTE };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_until = true, .until_us = day1 + 3 * HOUR + 1 };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .operator_name = "ann", .has_since = true,
				 .since_us = day1 + 5 * HOUR + 59 * MINUTE, .has_until = true,
				 .until_us = day1 + 2 * T_DAY_US + 14 * HOUR + 1 * MINUTE };
	assert_true(compare(db, &f) > 0);
	/* the whole log, from a minute before it to a minute after */
	f = (struct rep_filter){ .has_since = true, .since_us = day0 - MINUTE, .has_until = true,
				 .until_us = day0 + 6 * T_DAY_US + MINUTE };
	assert_true(compare(db, &f) > 0);
}

static void compare_filters(struct db *db)
{
	const int64_t day0 = T_DAY1_US - T_DAY1_US % T_DAY_US;
	struct rep_filter f = { 0 };
	bool wo;

	assert_true(compare(db, &f) > 0);
	f.fixture = "F2";
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .seq_name = "factory", .seq_version = "1.1" };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_since = true, .since_us = T_DAY1_US - T_DAY1_US % T_DAY_US +
				 T_DAY_US, .has_until = true };
	f.until_us = f.since_us + 2 * T_DAY_US;
	assert_true(compare(db, &f) > 0);
	f.fixture = "F1";
	f.seq_name = "factory";
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .fixture = "none" };
	assert_int_equal(compare(db, &f), 0);
	/* schema 9: an outcome, and windows on the hour (a shift; whole days
	 * with hours either side), alone and with the other filters */
	for (const char *const *o = db_outcomes; *o; o++) {
		f = (struct rep_filter){ .outcome = *o };
		assert_true(compare(db, &f) >= (strcmp(*o, "pass") && strcmp(*o, "fail") ? 0 : 1));
	}
	f = (struct rep_filter){ .outcome = "fail", .fixture = "F1", .seq_name = "factory" };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + T_DAY_US + 6 * HOUR,
				 .has_until = true, .until_us = day0 + T_DAY_US + 14 * HOUR };
	assert_true(compare(db, &f) > 0);
	f.outcome = "pass";
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + 22 * HOUR,
				 .has_until = true, .until_us = day0 + 3 * T_DAY_US + 5 * HOUR };
	assert_true(compare(db, &f) > 0);
	f.fixture = "F3";
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + 2 * T_DAY_US + 13 * HOUR };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .has_until = true, .until_us = day0 + T_DAY_US + 3 * HOUR };
	assert_true(compare(db, &f) > 0);
	/* schema 12: the line's filters, alone and with the others (an old
	 * log copied by t_old_log has no work orders) */
	wo = t_int(db, "SELECT count(*) FROM runs WHERE work_order IS NOT NULL") > 0;
	f = (struct rep_filter){ .operator_name = "bob" };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .work_order = "WO-2", .station = "ST" };
	assert_true(compare(db, &f) > 0 || !wo);
	f = (struct rep_filter){ .part_number = "P-1", .revision = "B", .fixture = "F3" };
	assert_true(compare(db, &f) > 0 || !wo);
	f = (struct rep_filter){ .operator_name = "ann", .has_since = true,
				 .since_us = day0 + T_DAY_US + 6 * HOUR, .has_until = true,
				 .until_us = day0 + 3 * T_DAY_US + 14 * HOUR, .outcome = "pass" };
	assert_true(compare(db, &f) > 0);
	f = (struct rep_filter){ .station = "elsewhere" };
	assert_int_equal(compare(db, &f), 0);
	compare_windows_off_the_hour(db);
}

/* A run ended again with another outcome moves to that outcome's cells. */
static void end_again(struct db *db, const char *from, enum db_outcome to)
{
	char sql[128], id[DB_ID_LEN];
	struct st_error e;

	snprintf(sql, sizeof(sql), "SELECT id FROM runs WHERE outcome = '%s' ORDER BY id LIMIT 1",
		 from);
	t_text(db, sql, id, sizeof(id));
	assert_int_equal(db_run_end(db, id, to, "ended again", &e), ST_OK);
}

static int setup(void **state)
{
	if (t_mkdir(dir, sizeof(dir), "repsum") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static void test_summary_equals_rows(void **state)
{
	struct rep_filter f = { .operator_name = "nobody" };
	struct report r = { 0 };
	struct db *db;
	struct st_error e;
	char unit[32], sql[160];
	int n;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	random_log(db, 600);
	edge_units(db);
	compare_filters(db);
	/* the runs left running count once recovery marks them aborted */
	assert_int_equal(db_recover(db, NULL, NULL, &n, NULL, &e), ST_OK);
	assert_true(n > 5);
	compare_filters(db);
	/* runs ended again with another outcome */
	end_again(db, "pass", DB_FAIL);
	end_again(db, "fail", DB_PASS);
	end_again(db, "aborted", DB_ERROR);
	compare_filters(db);
	/* a rebuild from the rows gives the same summaries */
	assert_int_equal(db_summary_rebuild(db, &e), ST_OK);
	compare_filters(db);
	/* and so does one unit (--serial): its runs, as SQL counts them (the
	 * unit retested most) */
	t_text(db, "SELECT unit_serial FROM runs WHERE unit_serial IS NOT NULL GROUP BY 1"
		   " ORDER BY count(*) DESC, 1 LIMIT 1", unit, sizeof(unit));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE unit_serial = '%s'"
		 " AND outcome <> 'running'", unit);
	f = (struct rep_filter){ .serial = unit };
	assert_int_equal(report_build(db, &f, &r, NULL), 0);
	assert_false(r.summary);
	assert_true(r.total.runs > 1);
	assert_int_equal(r.total.runs, t_int(db, sql));
	report_free(&r);
	db_close(db);
}

static void test_v2_log_upgraded(void **state)
{
	char v2path[160];
	struct db *db;
	struct st_error e;

	snprintf(v2path, sizeof(v2path), "%s/v2.db", dir);
	t_old_log(v2path, "db/migrations/v2.sql", path, NULL);
	assert_int_equal(db_open(&db, v2path, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 2);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE cell IS NULL"), 0);
	assert_int_equal(t_int(db, "SELECT sum(runs) FROM cells"),
			 t_int(db, "SELECT count(*) FROM runs WHERE outcome <> 'running'"));
	compare_filters(db);
	db_close(db);
}

/* The tails' values of one hour cell come by the cell's runs and their
 * own steps (UNIQUE (run_id, idx)), not by every step of the log with
 * that name (steps_name): on the 1M-run log 23 ms against 57 s a cell. */
static void test_tail_values_by_run_steps(void **state)
{
	struct db *db;
	struct st_error e;
	sqlite3_stmt *st;
	char sql[1024], plan[2048] = "";
	size_t len = 0;

	(void)state;
	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", dbs_tail_values_sql);
	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && len < sizeof(plan))
		len += snprintf(plan + len, sizeof(plan) - len, "%s\n",
				(const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	assert_non_null(strstr(plan, "SEARCH s USING INDEX sqlite_autoindex_steps_1 (run_id=?)"));
	assert_null(strstr(plan, "steps_name"));
	db_close(db);
}

/* Schema 15: a measurement's name, unit, limits and expected text kept
 * once per kind (measurement_defs), its value, text and outcome in
 * measurement_values, the view measurements in the table's place.  A v14
 * log keeps every measurement and id, a def per distinct kind, the same
 * report; the view takes what the table took (insert, update, delete). */
static void test_v14_log_splits_measurements(void **state)
{
	char p[160], sql[256];
	struct db *db;
	struct st_error e;
	int64_t n;

	(void)state;
	snprintf(p, sizeof(p), "%s/v14.db", dir);
	t_copy_log(p, "db/migrations/v14.sql", path, NULL);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 14);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE"
			       " name = 'measurements' AND type = 'view'"), 1);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN"
			       " ('measurements_v14', 'measurements_step')"), 0);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS src", path);
	assert_int_equal(sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	n = t_int(db, "SELECT count(*) FROM src.measurement_values");
	assert_true(n > 100);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements"), n);
	assert_int_equal(t_int(db, "SELECT count(*) FROM (SELECT id, step_id, name, value, text,"
			       " unit, low, high, expect, outcome FROM measurements EXCEPT"
			       " SELECT id, step_id, name, value, text, unit, low, high, expect,"
			       " outcome FROM src.measurements)"), 0);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurement_defs"),
			 t_int(db, "SELECT count(*) FROM (SELECT DISTINCT name, unit, low, high,"
			       " expect FROM src.measurements)"));
	assert_true(t_int(db, "SELECT count(*) FROM measurement_defs") < n / 10);
	assert_int_equal(sqlite3_exec(db_handle(db), "DETACH src", NULL, NULL, NULL), SQLITE_OK);
	compare_filters(db);
	/* the view as a table: a hand edit of a value, of a limit (a def of
	 * its own, the old one kept for the others), a row inserted and
	 * deleted */
	assert_int_equal(sqlite3_exec(db_handle(db),
		"UPDATE measurements SET value = 9.5 WHERE id = (SELECT min(id) FROM measurements);"
		"UPDATE measurements SET high = 99 WHERE id = (SELECT max(id) FROM measurements);"
		"INSERT INTO measurements (step_id, name, value, unit, low, high, outcome)"
		"  SELECT step_id, 'hand', 1.5, 'V', NULL, 2, 'pass' FROM measurements LIMIT 1;",
		NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(t_int(db, "SELECT value = 9.5 FROM measurements WHERE id ="
			       " (SELECT min(id) FROM measurements)"), 1);
	assert_int_equal(t_int(db, "SELECT high FROM measurements WHERE id ="
			       " (SELECT max(id) FROM measurements WHERE name <> 'hand')"), 99);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements WHERE high = 99"), 1);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements WHERE name = 'hand'"
			       " AND low IS NULL AND high = 2 AND unit = 'V'"), 1);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements"), n + 1);
	assert_int_equal(sqlite3_exec(db_handle(db), "DELETE FROM measurements WHERE name = 'hand'",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurement_values"), n);
	assert_int_equal(db_check(db, &e), ST_OK);
	db_close(db);
}

/* Schema 10: measurements lose the run_id copied from their step.  A v9
 * log (its summaries as v9 kept them) keeps every measurement and id, and
 * its report from the rows, now through the steps, equals the summaries. */
static void test_v9_log_drops_meas_run_id(void **state)
{
	char p[160], sql[256];
	struct db *db;
	struct st_error e;

	snprintf(p, sizeof(p), "%s/v9.db", dir);
	t_old_log(p, "db/migrations/v9.sql", path,
		"INSERT INTO cells SELECT id, hour, hours, fixture, sequence_name, sequence_version,"
		" outcome, runs, units, passed, first_units, first_passed FROM src.cells;"
		"INSERT INTO unit_cells SELECT * FROM src.unit_cells;"
		"INSERT INTO unit_first SELECT * FROM src.unit_first;"
		"INSERT INTO step_fails SELECT * FROM src.step_fails;"
		"INSERT INTO meas_keys SELECT * FROM src.meas_keys;"
		"INSERT INTO meas_sum SELECT * FROM src.meas_sum;"
		"UPDATE runs SET cell = (SELECT r.cell FROM src.runs r WHERE r.id = runs.id)");
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 9);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM pragma_table_info('measurements')"
			       " WHERE name = 'run_id'"), 0);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN"
			       " ('measurements_run', 'measurements_v10')"), 0);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN"
			       " ('measurement_values_step', 'v_measurements')"), 2);
	/* schema 11 drops measurements_name */
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE name ="
			       " 'measurements_name'"), 0);
	assert_true(t_int(db, "SELECT count(*) FROM measurements") > 100);
	/* every row and id kept, each with its step's run */
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS src", path);
	assert_int_equal(sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM (SELECT id, step_id, name, value, text,"
			       " unit, low, high, expect, outcome FROM measurements EXCEPT"
			       " SELECT id, step_id, name, value, text, unit, low, high, expect,"
			       " outcome FROM src.measurements)"), 0);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements"),
			 t_int(db, "SELECT count(*) FROM src.measurements"));
	assert_int_equal(t_int(db, "SELECT count(*) FROM v_measurements v JOIN steps s"
			       " ON s.id = v.step_id WHERE v.run_id IS NOT s.run_id"), 0);
	assert_int_equal(sqlite3_exec(db_handle(db), "DETACH src", NULL, NULL, NULL), SQLITE_OK);
	compare_filters(db);
	db_close(db);
}

/* A run whose group "final test" failed because its step "self test" did;
 * leaf_only: logged as schema 3 counted it, group and all. */
static void nested_failure(struct db *db, int64_t t)
{
	struct db_run_info ri = { .unit_serial = "N1", .station = "ST", .fixture = "F1",
				  .sequence_name = "nested", .sequence_version = "1",
				  .started_us = t };
	struct db_step child = { .index = 1, .name = "self test", .kind = "console",
				 .outcome = DB_FAIL, .reason = "selftest: ERR 3", .started_us = t,
				 .ended_us = t + 1, .attempts = 1 };
	struct db_step group = { .index = 2, .name = "final test", .kind = "group",
				 .outcome = DB_FAIL, .reason = "self test failed",
				 .started_us = t, .ended_us = t + 2, .attempts = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &child, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &group, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, DB_FAIL, "final test: self test failed", &e), ST_OK);
}

/* The Pareto counts the step that failed, not the group around it: on the
 * rows, on the summaries, and in the v_failures_pareto view. */
static void assert_leaf_pareto(struct db *db)
{
	struct rep_filter f = { .seq_name = "nested" }, g = { .seq_name = "nested", .serial = "N1" };
	struct report sum = { 0 }, rows = { .exact = true };

	assert_int_equal(report_build(db, &f, &sum, NULL), 0);
	assert_true(sum.summary);
	assert_int_equal(report_build(db, &g, &rows, NULL), 0);
	assert_false(rows.summary);
	for (struct report *r = &sum; r; r = r == &sum ? &rows : NULL) {
		assert_int_equal(r->nfails, 1);
		assert_string_equal(r->fails[0].step, "self test");
		assert_int_equal(r->fail_total, 1);
	}
	assert_int_equal(t_int(db, "SELECT count(*) FROM v_failures_pareto WHERE step = 'final test'"), 0);
	assert_int_equal(t_int(db, "SELECT failures FROM v_failures_pareto WHERE step = 'self test'"), 1);
	report_free(&sum);
	report_free(&rows);
}

static void test_pareto_counts_leaf_steps(void **state)
{
	char p[160];
	struct db *db;
	struct st_error e;

	snprintf(p, sizeof(p), "%s/nested.db", dir);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	nested_failure(db, T_DAY1_US);
	assert_leaf_pareto(db);
	db_close(db);
}

/* A schema 3 log counted the group too: the upgrade recounts. */
static void test_v3_log_recounts_pareto(void **state)
{
	char src[160], p[160];
	struct db *db;
	struct st_error e;

	snprintf(src, sizeof(src), "%s/v3src.db", dir);
	snprintf(p, sizeof(p), "%s/v3.db", dir);
	assert_int_equal(db_open(&db, src, NULL, &e), ST_OK);
	nested_failure(db, T_DAY1_US);
	db_close(db);
	/* the group's failure in the summary, the way schema 3 counted it */
	t_old_log(p, "db/migrations/v3.sql", src,
		"INSERT INTO cells (id, day, fixture, runs) VALUES (1, 0, 'F1', 1);"
		"UPDATE runs SET cell = 1;"
		"INSERT INTO step_fails (cell, step, n) VALUES (1, 'self test', 1), (1, 'final test', 1)");
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 3);
	db_close(db);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_leaf_pareto(db);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs_outcome'"), 1);
	db_close(db);
}

/* Schema 5: yields count judged runs.  A v4 log counted a unit's error
 * run as its first (failed) run; the upgrade recounts: its pass is its
 * first judged run. */
static void test_v4_log_recounts_judged(void **state)
{
	char src[160], p[160];
	struct db *db;
	struct st_error e;

	snprintf(src, sizeof(src), "%s/v4src.db", dir);
	snprintf(p, sizeof(p), "%s/v4.db", dir);
	assert_int_equal(db_open(&db, src, NULL, &e), ST_OK);
	t_one_step_run(db, "final", "M", "F1", "ST", T_DAY1_US, DB_ERROR);
	t_one_step_run(db, "final", "M", "F1", "ST", T_DAY1_US + T_MIN_US, DB_PASS);
	db_close(db);
	/* as schema 4 counted it: the error run was M's first, failed */
	t_old_log(p, "db/migrations/v4.sql", src,
		"INSERT INTO cells (id, day, fixture, sequence_name, sequence_version, runs, units,"
		" passed, first_units, first_passed) VALUES (1, 0, 'F1', 'final', '1', 2, 1, 1, 1, 0);"
		"UPDATE runs SET cell = 1");
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 4);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(t_int(db, "SELECT passed_first FROM v_first_pass_yield"), 1);
	assert_int_equal(t_int(db, "SELECT units FROM v_yield"), 1);
	assert_int_equal(t_int(db, "SELECT runs FROM v_yield"), 2);
	db_close(db);
}

/* A run of sequence "tails" with one measurement "v" (limits 0 .. 1). */
static void value_run(struct db *db, int i, const char *fixture, double v)
{
	struct db_run_info ri = { .unit_serial = "T", .station = "ST", .fixture = fixture,
				  .sequence_name = "tails", .sequence_version = "1",
				  .started_us = T_DAY1_US + i * 20 * T_MIN_US };
	struct db_measurement m = { .name = "v", .value = v, .low = 0, .high = 1,
				    .outcome = v < 0 || v > 1 ? DB_FAIL : DB_PASS };
	struct db_step s = { .index = 1, .name = "v", .outcome = m.outcome, .meas = &m,
			     .n_meas = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, m.outcome ? DB_FAIL : DB_PASS, NULL, &e), ST_OK);
}

/* A known tail: limits 0 .. 1, so bins of 0.05 from -1 to 2, the frame's
 * outermost [1.95, 2) holding everything above.  Above: j values in tail
 * bin j = [1.95 + 0.05 j, 1.95 + 0.05 (j + 1)) for j = 1 .. 10, and a
 * contact fault at 1000 ((1000 - 1.95) / 0.05 = 19961 widths: bin 40 +
 * floor(log2(19922)) = 54); below: one value at -1.52 (11.4 widths below
 * -0.95: bin 11).  The rows and the summaries (which read the rows of the
 * hour cells holding such values) give the same bins. */
static void test_histogram_known_tail(void **state)
{
	struct rep_filter f = { .seq_name = "tails" };
	struct report x = { .exact = true }, s = { 0 };
	char p[160];
	struct db *db;
	struct st_error e;
	int i = 0;

	snprintf(p, sizeof(p), "%s/tails.db", dir);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	for (int k = 0; k < 40; k++)
		value_run(db, i++, fixtures[k % 3], 0.3 + 0.01 * (k % 40));
	for (int j = 1; j <= 10; j++)
		for (int k = 0; k < j; k++)
			value_run(db, i++, fixtures[k % 3], 1.95 + 0.05 * (j + 0.5));
	value_run(db, i++, "F2", 1000);
	value_run(db, i++, "F1", -1.52);
	assert_int_equal(report_build(db, &f, &x, NULL), 0);
	assert_int_equal(report_build(db, &f, &s, NULL), 0);
	assert_true(s.summary && !x.summary);
	assert_int_equal(x.nmeas, 1);
	same_meas(&x.meas[0], &s.meas[0]);
	for (struct rep_meas *m = x.meas; m; m = m == x.meas ? s.meas : NULL) {
		assert_true(m->tail[0].known && m->tail[1].known);
		assert_false(m->open_low || m->open_high);
		assert_int_equal(m->tail[1].n, 55);
		for (int j = 0; j < 55; j++)
			assert_int_equal(m->tail[1].count[j], j >= 1 && j <= 10 ? j : j == 54);
		assert_int_equal(m->tail[0].n, 12);
		assert_int_equal(m->tail[0].count[11], 1);
		assert_int_equal(m->nbins, 58);	/* -0.95 .. 1.95: the frame less its ends */
		assert_true(fabs(m->lo - -0.95) < 1e-12);
	}
	report_free(&x);
	report_free(&s);
	db_close(db);
}

/* All-equal values whose mean is not exact in binary: sigma 0, no Pp or
 * Ppk (not -1.5e14 from a sigma of rounding), the value itself as mean,
 * from the rows and from the summaries. */
static void test_equal_values_no_ppk(void **state)
{
	struct rep_filter f = { .seq_name = "tails" };
	char p[160];
	struct db *db;
	struct st_error e;

	snprintf(p, sizeof(p), "%s/equal.db", dir);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	for (int i = 0; i < 30; i++)
		value_run(db, i, fixtures[i % 3], 0.1);
	for (int exact = 0; exact < 2; exact++) {
		struct report r = { .exact = exact };

		assert_int_equal(report_build(db, &f, &r, NULL), 0);
		assert_int_equal(r.summary, !exact);
		assert_int_equal(r.nmeas, 1);
		assert_true(r.meas[0].mean == 0.1);
		assert_true(r.meas[0].has_sigma && r.meas[0].sigma == 0);
		assert_false(r.meas[0].has_ppk || r.meas[0].has_pp);
		report_free(&r);
	}
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_equals_rows),
		cmocka_unit_test(test_v2_log_upgraded),
		cmocka_unit_test(test_v9_log_drops_meas_run_id),
		cmocka_unit_test(test_v14_log_splits_measurements),
		cmocka_unit_test(test_tail_values_by_run_steps),
		cmocka_unit_test(test_pareto_counts_leaf_steps),
		cmocka_unit_test(test_v3_log_recounts_pareto),
		cmocka_unit_test(test_v4_log_recounts_judged),
		cmocka_unit_test(test_histogram_known_tail),
		cmocka_unit_test(test_equal_values_no_ppk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
