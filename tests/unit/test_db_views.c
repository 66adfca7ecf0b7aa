/* SPDX-License-Identifier: Apache-2.0 */
/* The views a quality engineer queries with sqlite3, on the hand-made log
 * of test_db_data.h whose numbers are worked out there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_db_data.h"

static char dir[64];
static struct db *db;

static int setup(void **state)
{
	char path[128];
	struct st_error e;

	if (t_mkdir(dir, sizeof(dir), "dbviews") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	t_make_dataset(db);
	return 0;
}

static int teardown(void **state)
{
	db_close(db);
	return t_rmdir(dir);
}

/* All rows of a query as "a|b|c;" text, for whole-table comparisons. */
static void rows(const char *sql, char *buf, size_t cap)
{
	sqlite3_stmt *q = t_query(db, sql);
	size_t len = 0;

	buf[0] = '\0';
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(q); c++) {
			const char *t = (const char *)sqlite3_column_text(q, c);

			len += snprintf(buf + len, cap - len, "%s%s", c ? "|" : "", t ? t : "-");
		}
		len += snprintf(buf + len, cap - len, ";");
	}
	sqlite3_finalize(q);
}

static void test_yield_by_day_and_fixture(void **state)
{
	char buf[512];

	rows("SELECT day, fixture, sequence_name, sequence_version, runs, units, passed, yield "
	     "FROM v_yield ORDER BY day, fixture", buf, sizeof(buf));
	assert_string_equal(buf,
		"2026-01-05|F1|factory|1.0|3|2|2|1.0;"
		"2026-01-05|F2|factory|1.0|1|1|1|1.0;"
		"2026-01-06|F1|factory|1.0|1|1|0|0.0;"
		"2026-01-06|F2|factory|1.0|3|2|2|1.0;");	/* U7 still running: left out */
}

static void test_first_pass_yield(void **state)
{
	char buf[512];

	rows("SELECT day, fixture, units, passed_first, fpy FROM v_first_pass_yield "
	     "ORDER BY day, fixture", buf, sizeof(buf));
	assert_string_equal(buf,
		"2026-01-05|F1|2|1|0.5;"
		"2026-01-05|F2|1|1|1.0;"
		"2026-01-06|F1|1|0|0.0;"
		"2026-01-06|F2|2|2|1.0;");	/* U4's error judges nobody: its pass is its first */
	assert_int_equal(t_int(db, "SELECT sum(passed_first) * 100 / sum(units) "
			       "FROM v_first_pass_yield"), 66);
}

static void test_failures_pareto(void **state)
{
	char buf[256];

	rows("SELECT step, failures, share, cumulative FROM v_failures_pareto", buf, sizeof(buf));
	assert_string_equal(buf, "rails|2|0.6667|0.6667;identity|1|0.3333|1.0;");
}

static void test_unit_latest(void **state)
{
	char buf[512];

	rows("SELECT unit_serial, fixture, started, outcome, runs FROM v_unit_latest "
	     "ORDER BY unit_serial", buf, sizeof(buf));
	assert_string_equal(buf,
		"U1|F1|2026-01-05T08:00:00.000Z|pass|1;"
		"U2|F1|2026-01-05T08:20:00.000Z|pass|2;"
		"U3|F2|2026-01-05T08:30:00.000Z|pass|1;"
		"U4|F2|2026-01-06T08:20:00.000Z|pass|2;"
		"U5|F2|2026-01-06T08:10:00.000Z|pass|1;"
		"U6|F1|2026-01-06T08:30:00.000Z|fail|1;"
		"U7|F2|2026-01-06T08:40:00.000Z|running|1;");
}

static void test_measurement_stats_and_cpk(void **state)
{
	assert_int_equal(t_int(db, "SELECT n FROM v_measurement_stats WHERE name = 'vdd'"), 8);
	assert_true(fabs(t_real(db, "SELECT mean FROM v_measurement_stats WHERE name = 'vdd'")
			 - 3.30375) < 1e-9);
	assert_true(fabs(t_real(db, "SELECT stddev FROM v_measurement_stats WHERE name = 'vdd'")
			 - 0.2144053) < 1e-6);
	assert_true(fabs(t_real(db, "SELECT cpk FROM v_measurement_stats WHERE name = 'vdd'")
			 - 0.4605763) < 1e-6);
	assert_true(fabs(t_real(db, "SELECT min FROM v_measurement_stats WHERE name = 'vdd'")
			 - 2.90) < 1e-12);
	assert_true(fabs(t_real(db, "SELECT max FROM v_measurement_stats WHERE name = 'vdd'")
			 - 3.70) < 1e-12);
	/* one-sided: only an upper limit */
	assert_int_equal(t_int(db, "SELECT low IS NULL FROM v_measurement_stats "
			       "WHERE name = 'idle_ma'"), 1);
	assert_true(fabs(t_real(db, "SELECT cpk FROM v_measurement_stats WHERE name = 'idle_ma'")
			 - 2.3570226) < 1e-6);
}

/* Every example query in db/queries/ runs on the current schema. */
static void test_example_queries_run(void **state)
{
	const char *top = getenv("ST_TOP");
	char qdir[512], p[1024], sql[8192];
	struct dirent *de;
	int files = 0;
	DIR *d;

	snprintf(qdir, sizeof(qdir), "%s/db/queries", top ? top : ".");
	d = opendir(qdir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		const char *tail;
		sqlite3_stmt *q;
		size_t n;
		FILE *f;

		if (!strstr(de->d_name, ".sql"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", qdir, de->d_name);
		f = fopen(p, "r");
		assert_non_null(f);
		n = fread(sql, 1, sizeof(sql) - 1, f);
		fclose(f);
		sql[n] = '\0';
		if (sqlite3_prepare_v2(db_handle(db), sql, -1, &q, &tail) != SQLITE_OK)
			fail_msg("%s: %s", de->d_name, sqlite3_errmsg(db_handle(db)));
		sqlite3_bind_text(q, sqlite3_bind_parameter_index(q, ":serial"), "U4", -1,
				  SQLITE_STATIC);
		while (sqlite3_step(q) == SQLITE_ROW)
			;
		assert_int_equal(sqlite3_finalize(q), SQLITE_OK);
		files++;
	}
	closedir(d);
	assert_true(files >= 5);
}

/* yield_by_fixture_week.sql labels weeks as ISO 8601 does (the C
 * library's %G-W%V): 2026-01-05, a Monday, is in 2026-W02, not %W's W01. */
static void test_week_query_is_iso(void **state)
{
	const char *top = getenv("ST_TOP");
	char p[512], sql[4096], want[16];
	time_t day1 = (time_t)(T_DAY1_US / 1000000);
	struct tm tm;
	sqlite3_stmt *q;
	size_t n;
	int rows_seen = 0;
	FILE *f;

	gmtime_r(&day1, &tm);
	strftime(want, sizeof(want), "%G-W%V", &tm);
	assert_string_equal(want, "2026-W02");
	snprintf(p, sizeof(p), "%s/db/queries/yield_by_fixture_week.sql", top ? top : ".");
	f = fopen(p, "r");
	assert_non_null(f);
	n = fread(sql, 1, sizeof(sql) - 1, f);
	fclose(f);
	sql[n] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		/* both days of the data (Monday and Tuesday) are in one ISO week */
		assert_string_equal((const char *)sqlite3_column_text(q, 0), want);
		rows_seen++;
	}
	sqlite3_finalize(q);
	assert_int_equal(rows_seen, 2);	/* F1 and F2 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yield_by_day_and_fixture),
		cmocka_unit_test(test_first_pass_yield),
		cmocka_unit_test(test_failures_pareto),
		cmocka_unit_test(test_unit_latest),
		cmocka_unit_test(test_measurement_stats_and_cpk),
		cmocka_unit_test(test_example_queries_run),
		cmocka_unit_test(test_week_query_is_iso),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
