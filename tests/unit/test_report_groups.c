/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --group-by on a log with known answers: the plant's
 * shifts (early 06:00, late 14:00, night 22:00) in its time zone, a night
 * shift running past midnight, summer time, and fixture/station side by
 * side, each group counted as report --operations counts (worked by hand):
 *
 *  run  UTC               Asia/Kolkata (+05:30)   unit fixture station outcome
 *   1   01-05 00:45       01-05 06:15 early        A   F1  ST1  pass
 *   2   01-05 08:00       01-05 13:30 early        B   F2  ST1  fail
 *   3   01-05 08:40       01-05 14:10 late         B   F2  ST1  pass
 *   4   01-05 17:00       01-05 22:30 night        C   F1  ST1  error
 *   5   01-05 20:00       01-06 01:30 night(01-05) C   F1  ST1  pass
 *   6   01-06 00:29       01-06 05:59 night(01-05) -   F2  ST1  fail
 *   7   01-06 00:31       01-06 06:01 early        D   F1  ST2  pass
 *
 * by shift: 01-05 early: 2 runs, units 2 (A B), passed 1, first 2/1
 *           01-05 late: 1 run, units 1, passed 1, first 0 (B's retest)
 *           01-05 night: 3 runs, 1 error, 1 unidentified, units 1 (C), passed
 *             1, first 1 (C's pass: its error judges nobody), passed 1
 *             (--with-errors: first is C's error, first passed 0)
 *           01-06 early: 1 run, D, first 1/1
 * by day (Kolkata): 01-05 runs 1-4: units 2, first 2, passed 1, 1 error;
 *                   01-06 runs 5-7: units 2 (C D), first 2/2, 1 unidentified
 * by day in UTC: 01-05 runs 1-5, 01-06 runs 6-7
 * by fixture: F1 4 runs, units 3, first 3/3, 1 error; F2 3 runs, units 1,
 *             first 1/0, 1 unidentified
 * Europe/Berlin summer time began 2026-03-29 01:00 UTC: a run at 04:30 UTC
 * that day is 06:30 CEST, early; one the day before at 04:30 UTC is 05:30
 * CET, the night shift of 03-27.
 *
 * The hour the clocks go back, Europe/Berlin 2026-10-25: runs at 00:30
 * and 01:30 UTC are both 02:30 local (CEST, then CET): two hour groups,
 * "2026-10-25 02:00 +0200" and "... +0100", one run each (were one group
 * of 2); the hours around it keep their plain keys.
 * A day a zone skipped, Pacific/Apia 2011-12-30 (12-29 23:59:59 -10:00 was
 * followed by 12-31 00:00 +14:00): runs at 2011-12-30 08:30 UTC (12-29
 * 22:30 local) and 13:00 UTC (12-31 03:00 local) are both the night shift
 * begun 2011-12-29 (was "2011-12-31 night" for the second, a shift 48 h
 * from the first's).
 *
 * By work order (June): WO-1: W1 ict pass, W1 final fail, W1 final pass:
 * 3 runs, units 2 (W1 in each operation), passed 2, first 2/1 (ict's pass,
 * final's fail); WO-2: W2 final pass, a run without a serial fail: 2 runs,
 * units 1, first 1/1, 1 unidentified.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_db_data.h"
#include "report/report.h"
#include "test_json.h"

#define H_US 3600000000LL
#define JAN5 1767571200000000LL		/* 2026-01-05T00:00:00Z */
#define MAR28 1774656000000000LL	/* 2026-03-28T00:00:00Z */
#define JUN1 1780272000000000LL		/* 2026-06-01T00:00:00Z */
#define OCT25 1792886400000000LL	/* 2026-10-25T00:00:00Z */
#define DEC30_2011 1325203200000000LL	/* 2011-12-30T00:00:00Z */
#define M_US 60000000LL

static char dir[64], path[128];
static const struct rep_plant kolkata = {
	.timezone = "Asia/Kolkata",
	.shift = { { "early", 6 * 60 }, { "late", 14 * 60 }, { "night", 22 * 60 } },
	.n_shifts = 3,
};

static void one(struct db *db, const char *serial, const char *fixture, const char *station,
		int64_t t, enum db_outcome o)
{
	t_one_step_run(db, "final", serial, fixture, station, t, o);
}

static void wo(struct db *db, const char *seq, const char *serial, const char *order, int64_t t,
	       enum db_outcome o)
{
	struct db_run_info ri = { .unit_serial = serial, .station = "ST1", .fixture = "F1",
				  .sequence_name = seq, .sequence_version = "1", .started_us = t,
				  .work_order = order };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, o, o == DB_PASS ? NULL : "test", &e), ST_OK);
}

static int setup(void **state)
{
	struct db *db;
	struct st_error e;

	if (t_mkdir(dir, sizeof(dir), "groups") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	one(db, "A", "F1", "ST1", JAN5 + 45 * 60000000LL, DB_PASS);
	one(db, "B", "F2", "ST1", JAN5 + 8 * H_US, DB_FAIL);
	one(db, "B", "F2", "ST1", JAN5 + 8 * H_US + 40 * 60000000LL, DB_PASS);
	one(db, "C", "F1", "ST1", JAN5 + 17 * H_US, DB_ERROR);
	one(db, "C", "F1", "ST1", JAN5 + 20 * H_US, DB_PASS);
	one(db, NULL, "F2", "ST1", JAN5 + 24 * H_US + 29 * 60000000LL, DB_FAIL);
	one(db, "D", "F1", "ST2", JAN5 + 24 * H_US + 31 * 60000000LL, DB_PASS);
	one(db, "F", "F1", "ST1", MAR28 + 4 * H_US + 30 * 60000000LL, DB_PASS);
	one(db, "E", "F1", "ST1", MAR28 + 24 * H_US + 4 * H_US + 30 * 60000000LL, DB_PASS);
	wo(db, "ict", "W1", "WO-1", JUN1 + 8 * H_US, DB_PASS);
	wo(db, "final", "W1", "WO-1", JUN1 + 9 * H_US, DB_FAIL);
	wo(db, "final", "W1", "WO-1", JUN1 + 10 * H_US, DB_PASS);
	wo(db, "final", "W2", "WO-2", JUN1 + 11 * H_US, DB_PASS);
	wo(db, "final", NULL, "WO-2", JUN1 + 12 * H_US, DB_FAIL);
	one(db, "G", "F3", "ST3", OCT25 - 30 * M_US, DB_PASS);	/* 01:30 CEST */
	one(db, "H", "F3", "ST3", OCT25 + 30 * M_US, DB_PASS);	/* 02:30 CEST */
	one(db, "I", "F3", "ST3", OCT25 + 90 * M_US, DB_PASS);	/* 02:30 CET */
	one(db, "J", "F3", "ST3", OCT25 + 150 * M_US, DB_PASS);	/* 03:30 CET */
	one(db, "K", "F3", "ST3", DEC30_2011 + 8 * H_US + 30 * M_US, DB_PASS);
	one(db, "L", "F3", "ST3", DEC30_2011 + 13 * H_US, DB_PASS);
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

/* report --group-by key over f, in format */
static char *groups_over(const char *key, const struct rep_plant *p, const struct rep_filter *f,
			 bool with_errors, const char *format)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	assert_int_equal(report_groups(out, db_reader(db), f, key, p, with_errors, format, &e), ST_OK);
	fclose(out);
	db_close(db);
	return buf;
}

static char *groups(const char *key, const struct rep_plant *p, bool jan, bool with_errors,
		    const char *format)
{
	/* (January: from JAN5, the runs of 2011 apart) */
	struct rep_filter f = { .has_since = jan, .since_us = JAN5, .has_until = jan, .until_us = MAR28 };

	return groups_over(key, p, &f, with_errors, format);
}

/* report --group-by key -f json over [since, until) */
static json_t *groups_in(const char *key, const struct rep_plant *p, int64_t since, int64_t until)
{
	struct rep_filter f = { .has_since = true, .since_us = since, .has_until = true,
				.until_us = until };

	return t_json_take(groups_over(key, p, &f, false, "json"));
}

static json_t *groups_json(const char *key, const struct rep_plant *p, bool with_errors)
{
	return t_json_take(groups(key, p, true, with_errors, "json"));
}

/* Group k's runs, units, passed, first units, first passed, errors,
 * unidentified as "7 3 3 3 3 1 0". */
static const char *g(json_t *j, const char *k, char *buf)
{
	json_t *o = t_json_named(j, "groups", "key", k, 0);

	sprintf(buf, "%g %g %g %g %g %g %g", t_json_num(o, "runs"), t_json_num(o, "units"),
		t_json_num(o, "passed"), t_json_num(o, "first_units"),
		t_json_num(o, "first_passed"), t_json_num(o, "errors"),
		t_json_num(o, "unidentified"));
	return buf;
}

static void test_shifts(void **state)
{
	json_t *j = groups_json("shift", &kolkata, false);
	char b[64];

	assert_int_equal(json_array_size(json_object_get(j, "groups")), 4);
	assert_string_equal(g(j, "2026-01-05 early", b), "2 2 1 2 1 0 0");
	assert_string_equal(g(j, "2026-01-05 late", b), "1 1 1 0 0 0 0");
	assert_string_equal(g(j, "2026-01-05 night", b), "3 1 1 1 1 1 1");
	assert_string_equal(g(j, "2026-01-06 early", b), "1 1 1 1 1 0 0");
	/* in time order, not alphabetical */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "groups"), 1), "key")), "2026-01-05 late");
	json_decref(j);
	j = groups_json("shift", &kolkata, true);
	assert_string_equal(g(j, "2026-01-05 night", b), "3 1 1 1 0 1 1");
	json_decref(j);
}

static void test_days_in_the_zone(void **state)
{
	struct rep_plant utc = { .timezone = "UTC" };
	json_t *j = groups_json("day", &kolkata, false);
	char b[64];

	assert_string_equal(json_string_value(json_object_get(j, "timezone")), "Asia/Kolkata");
	assert_string_equal(g(j, "2026-01-05", b), "4 2 2 2 1 1 0");
	assert_string_equal(g(j, "2026-01-06", b), "3 2 2 2 2 0 1");
	json_decref(j);
	j = groups_json("day", &utc, false);
	assert_int_equal(t_json_num(t_json_named(j, "groups", "key", "2026-01-05", 0), "runs"), 5);
	assert_int_equal(t_json_num(t_json_named(j, "groups", "key", "2026-01-06", 0), "runs"), 2);
	json_decref(j);
	j = groups_json("hour", &kolkata, false);
	assert_int_equal(t_json_num(t_json_named(j, "groups", "key", "2026-01-05 06:00", 0),
				    "runs"), 1);
	json_decref(j);
}

static void test_summer_time(void **state)
{
	struct rep_plant berlin = kolkata;
	char *t;

	snprintf(berlin.timezone, sizeof(berlin.timezone), "Europe/Berlin");
	t = groups("shift", &berlin, false, false, "text");
	assert_non_null(strstr(t, "by shift, time zone Europe/Berlin\n"));
	assert_non_null(strstr(t, "\n  2026-03-27 night "));	/* 05:30 CET */
	assert_non_null(strstr(t, "\n  2026-03-29 early "));	/* 06:30 CEST */
	free(t);
}

/* the group keys of j in order, space-separated, into buf */
static const char *keys(json_t *j, char *buf, size_t cap)
{
	json_t *a = json_object_get(j, "groups");
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_array_size(a); i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s=%g", i ? "," : "",
				      json_string_value(json_object_get(json_array_get(a, i), "key")),
				      t_json_num(json_array_get(a, i), "runs"));
	return buf;
}

static void test_clock_changes(void **state)
{
	struct rep_plant berlin = kolkata, apia = kolkata;
	char b[512];
	json_t *j;

	snprintf(berlin.timezone, sizeof(berlin.timezone), "Europe/Berlin");
	j = groups_in("hour", &berlin, OCT25 - H_US, OCT25 + 3 * H_US);
	assert_string_equal(keys(j, b, sizeof(b)), "2026-10-25 01:00=1,2026-10-25 02:00 +0200=1,"
			    "2026-10-25 02:00 +0100=1,2026-10-25 03:00=1");
	json_decref(j);
	snprintf(apia.timezone, sizeof(apia.timezone), "Pacific/Apia");
	j = groups_in("shift", &apia, DEC30_2011, DEC30_2011 + 24 * H_US);
	assert_string_equal(keys(j, b, sizeof(b)), "2011-12-29 night=2");
	json_decref(j);
}

static void test_side_by_side(void **state)
{
	json_t *j = groups_json("fixture", NULL, false);
	char b[64], *t;

	assert_string_equal(g(j, "F1", b), "4 3 3 3 3 1 0");
	assert_string_equal(g(j, "F2", b), "3 1 1 1 0 0 1");
	json_decref(j);
	j = groups_json("station", NULL, false);
	assert_int_equal(t_json_num(t_json_named(j, "groups", "key", "ST2", 0), "runs"), 1);
	json_decref(j);
	j = json_loads(t = groups("work-order", NULL, false, false, "json"), 0, NULL);
	free(t);
	assert_non_null(j);
	assert_string_equal(g(j, "WO-1", b), "3 2 2 2 1 0 0");
	assert_string_equal(g(j, "WO-2", b), "2 1 1 1 1 0 1");
	json_decref(j);
	t = groups("fixture", NULL, true, false, "csv");
	assert_non_null(strstr(t, "\r\nfixture,F2,first_pass_yield,0\r\n"));
	assert_non_null(strstr(t, "\r\nfixture,F1,errors,1\r\n"));
	free(t);
	/* the runs of January have no work order: our placeholder, not a defused formula */
	t = groups("work-order", NULL, false, false, "csv");
	assert_non_null(strstr(t, "\r\nwork-order,-,runs,"));
	assert_null(strstr(t, "'-"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shifts),
		cmocka_unit_test(test_days_in_the_zone),
		cmocka_unit_test(test_summer_time),
		cmocka_unit_test(test_side_by_side),
		cmocka_unit_test(test_clock_changes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
