/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plant's days from the summaries' hour cells (report/tzperiods.c,
 * db/db_report_sum.c) equal the plant's days from the rows
 * (rep_plant_days(), as --group-by day counts them), day by day: runs,
 * units, passed, first units, first passed, with and without
 * --with-errors, under filters the cells answer, on a random log across
 * the changes to and from summer time of Europe/Berlin (03-29, 10-25) and
 * America/New_York (03-08, 11-01), with retests, error and aborted runs,
 * runs without a serial, two operations and two fixtures.  A zone with a
 * half-hour offset (Asia/Kolkata, +05:30; Australia/Adelaide, +09:30 and
 * +10:30) gets no periods: its days come from the rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_db_data.h"
#include "db/db_reader.h"
#include "report/report.h"

static char dir[64], path[128];
static uint64_t rng = 0x853c49e6748fea9bULL;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

#define HOUR 3600000000LL
#define SPRING 1772668800000000LL	/* 2026-03-05T00:00Z */
#define AUTUMN 1792454400000000LL	/* 2026-10-20T00:00Z */

static void random_run(struct db *db, int i, int64_t t, const char *serial)
{
	static const enum db_outcome outcomes[] = { DB_PASS, DB_PASS, DB_PASS, DB_FAIL, DB_FAIL,
						    DB_ERROR, DB_ABORTED };
	struct db_run_info ri = { .unit_serial = serial, .station = "ST",
				  .fixture = urand() < 0.5 ? "F1" : "F2",
				  .sequence_name = urand() < 0.7 ? "final" : "ict",
				  .sequence_version = "1", .started_us = t };
	enum db_outcome o = outcomes[(int)(urand() * 7)];
	struct db_step s = { .index = 0, .name = "rails", .outcome = o, .started_us = t,
			     .ended_us = t + 1, .attempts = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, o, o == DB_PASS ? NULL : "test", &e), ST_OK);
}

static int setup(void **state)
{
	char serial[32];
	struct db *db;
	struct st_error e;
	int units = 0;

	if (t_mkdir(dir, sizeof(dir), "plantdays") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	for (int i = 0; i < 1200; i++) {
		int64_t t = (i % 2 ? AUTUMN : SPRING) + (int64_t)(urand() * 28 * 24 * HOUR);
		int u = units && urand() < 0.3 ? (int)(urand() * units) : units++;

		snprintf(serial, sizeof(serial), "U%04d", u);
		random_run(db, i, t, i % 37 == 5 ? NULL : serial);
	}
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

/* The days of zone tz under f from the cells and from the rows, alike. */
static void same_days(struct db *db, const char *tz, const struct rep_filter *f, bool we)
{
	char *periods = rep_tz_periods(tz, f);
	struct report s = { .plant_tz = tz, .plant_periods = periods, .with_errors = we };
	struct report r = { .with_errors = we };
	struct st_error e;

	assert_non_null(periods);
	assert_int_equal(report_build(db, f, &s, &e), ST_OK);
	assert_true(s.summary);
	assert_non_null(s.days_tz);
	assert_string_equal(s.days_tz, tz);
	assert_int_equal(rep_plant_days(db_reader(db), f, tz, we, &r, &e), ST_OK);
	assert_true(r.ndays > 0);
	assert_int_equal(s.ndays, r.ndays);
	for (int i = 0; i < r.ndays; i++) {
		const struct rep_counts *a = &s.days[i].c, *b = &r.days[i].c;

		assert_string_equal(s.days[i].day, r.days[i].day);
		assert_int_equal(a->runs, b->runs);
		assert_int_equal(a->units, b->units);
		assert_int_equal(a->passed, b->passed);
		assert_int_equal(a->first_units, b->first_units);
		assert_int_equal(a->first_passed, b->first_passed);
	}
	report_free(&s);
	report_free(&r);
	free(periods);
}

static void test_cells_equal_rows(void **state)
{
	static const char *const zones[] = { "Europe/Berlin", "America/New_York", "UTC",
					     "Asia/Tokyo" };
	struct rep_filter all = { 0 }, f1 = { .fixture = "F1" }, seq = { .seq_name = "final" },
			  win = { .has_since = true, .since_us = SPRING + 20 * 24 * HOUR + 5 * HOUR,
				  .has_until = true, .until_us = AUTUMN + 9 * 24 * HOUR },
			  /* off the hour: the minutes at its ends from the rows */
			  minutes = { .has_since = true,
				      .since_us = SPRING + 20 * 24 * HOUR + 5 * HOUR + 1500000000LL,
				      .has_until = true,
				      .until_us = AUTUMN + 9 * 24 * HOUR + 22 * HOUR + 2700000000LL };
	const struct rep_filter *filters[] = { &all, &f1, &seq, &win, &minutes };
	struct db_opts ro = { .readonly = true, .must_exist = true };
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, path, &ro, &e), ST_OK);
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++)
		for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
			for (int we = 0; we < 2; we++)
				same_days(db, zones[z], filters[i], we);
	db_close(db);
}

/* station report --group-by day in zone tz under f, as JSON. */
static char *by_day(struct db *db, const char *tz, const struct rep_filter *f, bool we)
{
	struct rep_plant plant = { 0 };
	struct st_error e;
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	snprintf(plant.timezone, sizeof(plant.timezone), "%s", tz);
	assert_int_equal(report_groups(o, db_reader(db), f, "day", &plant, we, "json", &e), ST_OK);
	fclose(o);
	return buf;
}

/* --group-by day from the cells (filters they answer) = from the rows (the
 * same runs through --station, which they cannot answer): errors, aborted
 * and unidentified runs too. */
static void test_group_by_day(void **state)
{
	static const char *const zones[] = { "Europe/Berlin", "America/New_York", "UTC",
					     "Asia/Kolkata" };
	struct rep_filter cells[] = { { 0 }, { .fixture = "F2" } };
	struct db_opts ro = { .readonly = true, .must_exist = true };
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, path, &ro, &e), ST_OK);
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
			struct rep_filter rows = cells[i];

			rows.station = "ST";
			for (int we = 0; we < 2; we++) {
				char *a = by_day(db, zones[z], &cells[i], we);
				char *b = by_day(db, zones[z], &rows, we);

				assert_non_null(strstr(a, "\"errors\": "));
				assert_string_equal(a, b);
				free(a);
				free(b);
			}
		}
	}
	db_close(db);
}

/* ... and it is the cells that answer: a copy whose hour cells count 100000
 * more runs an hour shows them in whole-hour zones, not in Kolkata. */
static void test_group_by_day_reads_cells(void **state)
{
	char p[160], sql[256], *a;
	struct rep_filter all = { 0 };
	struct db *db;
	struct st_error e;

	snprintf(p, sizeof(p), "%s/tampered.db", dir);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", p);
	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	assert_int_equal(sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(sqlite3_exec(db_handle(db), "UPDATE cells SET runs = runs + 100000"
				      " WHERE hours = 1", NULL, NULL, NULL), SQLITE_OK);
	a = by_day(db, "Europe/Berlin", &all, false);
	assert_non_null(strstr(a, "\"runs\": 1000"));
	free(a);
	a = by_day(db, "Asia/Kolkata", &all, false);
	assert_null(strstr(a, "\"runs\": 1000"));
	free(a);
	db_close(db);
}

/* Berlin's periods around its spring change: +1 until 2026-03-29 01:00
 * UTC, +2 from then. */
static void test_berlin_periods(void **state)
{
	struct rep_filter f = { .has_since = true, .since_us = SPRING, .has_until = true,
				.until_us = SPRING + 28 * 24 * HOUR };
	char *p = rep_tz_periods("Europe/Berlin", &f), want[128];
	const int64_t h0 = SPRING / HOUR - 1, change = 1774746000000000LL / HOUR;

	assert_non_null(p);
	snprintf(want, sizeof(want), "[[%lld,%lld,1],[%lld,%lld,2]]", (long long)h0,
		 (long long)change, (long long)change, (long long)(h0 + 1 + 28 * 24 + 2));
	assert_string_equal(p, want);
	free(p);
}

/* Half-hour offsets: no periods, the rows answer (the report's days stay
 * UTC's without them; station report then reads the rows). */
static void test_half_hours_rows(void **state)
{
	struct rep_filter all = { 0 };
	struct db_opts ro = { .readonly = true, .must_exist = true };
	struct report s = { .plant_tz = "Asia/Kolkata" };
	struct db *db;
	struct st_error e;

	assert_null(rep_tz_periods("Asia/Kolkata", &all));
	assert_null(rep_tz_periods("Australia/Adelaide", &all));
	assert_null(rep_tz_periods("Nowhere/Atlantis", &all));
	assert_int_equal(db_open(&db, path, &ro, &e), ST_OK);
	assert_int_equal(report_build(db, &all, &s, &e), ST_OK);
	assert_null(s.days_tz);
	report_free(&s);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_equal_rows),
		cmocka_unit_test(test_group_by_day),
		cmocka_unit_test(test_group_by_day_reads_cells),
		cmocka_unit_test(test_berlin_periods),
		cmocka_unit_test(test_half_hours_rows),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
