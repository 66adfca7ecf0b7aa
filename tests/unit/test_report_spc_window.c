/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --spc --last: a fixture's baseline and its latest points,
 * not every point of a long log.  Known answers: a long fixture whose
 * outlier lies between the baseline and the latest points (not shown) and
 * whose drift is at its very end (flagged, the rule looking back into the
 * points read but not shown); a short fixture shown whole; one just past
 * the window.  The log's two-ended read (db/db_series.c) and a store that
 * gives every point (the central store's way, kept in a ring by
 * report/spc.c) draw byte for byte the same chart, and the shown points and
 * their flags are those of the chart of every point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_db_data.h"
#include "test_json.h"
#include "db/db_reader.h"
#include "report/report.h"

#define BASE 20
#define LAST 30

static char dir[64], path[128];
static int64_t clock_us = T_DAY1_US;

static void point(struct db *db, const char *fixture, int unit, double v)
{
	char sn[32];

	snprintf(sn, sizeof(sn), "%s-%04d", fixture, unit);
	t_meas_run(db, "final", sn, fixture, "vout", "vout", v, 9, 11, clock_us += 60000000);
}

/* LONG: 20 baseline points alternating 10.0 / 10.2, 300 more of them with an
 * outlier (12.0) at 150, then a rise of 7 points from 9.9 by 0.05 (rule 3
 * on its last two), then a retest of the unit of the rise's last point
 * (50.0: every run only).  SHORT: 20 + 25 alternating.  EDGE: 20 + LAST + 3. */
static int setup(void **state)
{
	struct db *db;
	struct st_error e;
	int u = 0;

	if (t_mkdir(dir, sizeof(dir), "spcw") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	for (int i = 0; i < BASE + 300; i++) {
		point(db, "LONG", u++, i == 150 ? 12.0 : i % 2 ? 10.2 : 10.0);
		if (i < BASE + 25)
			point(db, "SHORT", u++, i % 2 ? 10.2 : 10.0);
		if (i < BASE + LAST + 3)
			point(db, "EDGE", u++, i % 2 ? 10.2 : 10.0);
		if (i < BASE + LAST + 3)	/* 9 above the line from 15 to 23 */
			point(db, "RUN", u++, i >= 16 && i <= 24 ? 10.3 : i % 2 ? 10.2 : 10.0);
	}
	for (int i = 0; i < 7; i++)
		point(db, "LONG", i == 6 ? 9999 : u++, 9.9 + 0.05 * i);
	point(db, "LONG", 9999, 50.0);
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

/* The central store's way: every point, whatever the window. */
static int every_point(void *h, const char *name, const struct rep_filter *f, bool first_only,
		       const struct db_series_window *w, db_row_fn fn, void *ctx,
		       struct st_error *e)
{
	return db_meas_series(h, name, f, first_only, NULL, fn, ctx, e);
}

static char *spc_out(int last, bool all_runs, bool every, const char *fixture,
		     const char *format)
{
	struct spc_opts o = { .name = "vout", .baseline = BASE, .last = last,
			      .all_runs = all_runs };
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_filter f = { .fixture = fixture };
	struct db_reader_ops ops;
	struct db_reader rd;
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	rd = *db_reader(db);
	ops = *rd.ops;
	ops.meas_series = every_point;
	if (every)
		rd.ops = &ops;
	assert_int_equal(report_spc(out, &rd, &f, &o, format, &e), ST_OK);
	fclose(out);
	db_close(db);
	return buf;
}

static json_t *spc(int last, bool all_runs, bool every)
{
	return t_json_take(spc_out(last, all_runs, every, NULL, "json"));
}

static json_t *fixture(json_t *j, const char *name)
{
	size_t i;
	json_t *fx;

	json_array_foreach(json_object_get(j, "fixtures"), i, fx)
		if (!strcmp(json_string_value(json_object_get(fx, "fixture")), name))
			return fx;
	fail_msg("no fixture %s", name);
	return NULL;
}

static int flagged(json_t *fx)
{
	return (int)json_integer_value(json_object_get(fx, "flagged"));
}

static json_t *pt(json_t *fx, int i)
{
	return json_array_get(json_object_get(fx, "points"), (size_t)i);
}

/* The long fixture: the baseline and the latest 30, the outlier between
 * them not shown, the drift flagged on its last two points only. */
static void test_long_fixture(void **state)
{
	json_t *w = spc(LAST, false, false), *all = spc(0, false, false);
	json_t *fw = fixture(w, "LONG"), *fa = fixture(all, "LONG");
	int n = (int)json_integer_value(json_object_get(fa, "n"));

	assert_int_equal(json_integer_value(json_object_get(fw, "n")), BASE + LAST);
	assert_int_equal(json_integer_value(json_object_get(fw, "gap_after")), BASE);
	assert_true(json_is_null(json_object_get(fa, "gap_after")));
	assert_int_equal(n, BASE + 300 + 7);
	assert_int_equal(json_integer_value(json_object_get(w, "last")), LAST);
	/* the outlier (rule 1, and its jump in and out) is in every point's
	 * chart, not in the window's */
	assert_true(flagged(fa) > flagged(fw));
	assert_int_equal(flagged(fw), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pt(fw, BASE + LAST - 1),
						"rules"), 0)), "3");
	assert_true(json_equal(json_object_get(pt(fw, BASE + LAST - 2), "rules"),
			       json_object_get(pt(fa, n - 2), "rules")));
	/* every shown point as in the chart of every point: value, moving
	 * range, rules (the first shown one's range from a point not shown) */
	for (int i = 0; i < BASE + LAST; i++) {
		int k = i < BASE ? i : n - (BASE + LAST) + i;

		assert_true(json_equal(pt(fw, i), pt(fa, k)));
	}
	assert_true(json_is_real(json_object_get(pt(fw, BASE), "mr")));
	/* the limits from the same baseline */
	assert_true(json_equal(json_object_get(fw, "ucl"), json_object_get(fa, "ucl")));
	json_decref(w);
	json_decref(all);
}

/* A fixture within the window is shown whole, as without one; one just past
 * it loses the three points after its baseline. */
static void test_short_and_edge(void **state)
{
	json_t *w = spc(LAST, false, false), *all = spc(0, false, false);

	assert_true(json_equal(fixture(w, "SHORT"), fixture(all, "SHORT")));
	assert_int_equal(json_integer_value(json_object_get(fixture(w, "SHORT"), "n")), BASE + 25);
	assert_int_equal(json_integer_value(json_object_get(fixture(w, "EDGE"), "n")), BASE + LAST);
	assert_int_equal(json_integer_value(json_object_get(fixture(w, "EDGE"), "gap_after")),
			 BASE);
	assert_true(json_equal(pt(fixture(w, "EDGE"), BASE), pt(fixture(all, "EDGE"), BASE + 3)));
	json_decref(w);
	json_decref(all);
}

/* Just past the window nothing was skipped: the points before the latest
 * follow the baseline, and the rules look back into it (rule 2 on the first
 * shown point, its nine in a row begun in the baseline). */
static void test_run_into_baseline(void **state)
{
	json_t *w = spc(LAST, false, false), *all = spc(0, false, false);
	json_t *fw = fixture(w, "RUN"), *fa = fixture(all, "RUN");

	assert_int_equal(json_integer_value(json_object_get(fw, "gap_after")), BASE);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pt(fw, BASE),
						"rules"), 0)), "2");
	for (int i = 0; i < BASE + LAST; i++)
		assert_true(json_equal(pt(fw, i), pt(fa, i < BASE ? i : i + 3)));
	json_decref(w);
	json_decref(all);
}

/* The retest's 50.0 is the long fixture's last point with every run, flagged
 * beyond 3 sigma; with first runs only it is not there. */
static void test_retest_in_window(void **state)
{
	json_t *w = spc(LAST, true, false);
	json_t *fx = fixture(w, "LONG");
	json_t *last = pt(fx, BASE + LAST - 1);

	assert_true(json_real_value(json_object_get(last, "value")) == 50.0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(last, "rules"), 0)),
			    "1");
	json_decref(w);
}

/* The two-ended read and every point through the ring: the same bytes, in
 * each format, first runs or every run, one fixture or all. */
static void test_same_as_every_point(void **state)
{
	static const char *const formats[] = { "text", "json", "html" };

	for (int f = 0; f < 3; f++)
		for (int all_runs = 0; all_runs < 2; all_runs++)
			for (int one = 0; one < 2; one++) {
				char *a = spc_out(LAST, all_runs, false, one ? "LONG" : NULL,
						  formats[f]);
				char *b = spc_out(LAST, all_runs, true, one ? "LONG" : NULL,
						  formats[f]);

				if (f != 2)	/* html says when it was made */
					assert_string_equal(a, b);
				else
					assert_int_equal(strlen(a), strlen(b));
				free(a);
				free(b);
			}
}

/* The text says what is not shown. */
static void test_text_says_gap(void **state)
{
	char *t = spc_out(LAST, false, false, NULL, "text");

	assert_non_null(strstr(t, ", then the latest 30\n"));
	assert_non_null(strstr(t, "\nfixture LONG: 50 points shown, the first 20 and the latest 30 "
				  "(those between not shown: --last 0 shows every point; #N is a point's "
				  "place in the chart)\n  CL "));
	assert_non_null(strstr(t, "\nfixture SHORT: 45 points  CL"));
	free(t);
	t = spc_out(LAST, false, false, NULL, "html");
	assert_non_null(strstr(t, "class=\"gap\""));
	free(t);
}

/* A schema 12 log (db/migrations/v12.sql) of the same rows: the upgrade
 * makes runs_fixture_started, and the window reads along it the same chart. */
static void test_upgrade_from_12(void **state)
{
	char old[160], *a, *b;
	struct db *db;
	struct st_error e;

	snprintf(old, sizeof(old), "%s/v12.db", dir);
	t_copy_log(old, "db/migrations/v12.sql", path, NULL);
	assert_int_equal(db_open(&db, old, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 12);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND"
			       " name = 'runs_fixture_started'"), 1);
	db_close(db);
	a = spc_out(LAST, false, false, NULL, "json");
	snprintf(path, sizeof(path), "%s/v12.db", dir);
	b = spc_out(LAST, false, false, NULL, "json");
	snprintf(path, sizeof(path), "%s/station.db", dir);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_fixture),
		cmocka_unit_test(test_short_and_edge),
		cmocka_unit_test(test_run_into_baseline),
		cmocka_unit_test(test_retest_in_window),
		cmocka_unit_test(test_same_as_every_point),
		cmocka_unit_test(test_text_says_gap),
		cmocka_unit_test(test_upgrade_from_12),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
