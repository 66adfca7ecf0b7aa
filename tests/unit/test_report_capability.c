/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --capability against figures worked out by hand: Cp/Cpk
 * from the within sigma (MR-bar / 1.128, moving ranges only between
 * consecutive values of one fixture) and Pp/Ppk from the overall sample
 * sigma; first runs of each unit's operation only (a retest is left out,
 * a unit's first "final" run counts although it ran "ict" before); a limit
 * changed without a new version starts a new group.
 *
 * On the log of test_db_data.h, vdd [3.0, 3.6], first judged runs in time
 * order (U4's first run ended error: it measured the station, so its pass
 * is its first judged run; U2's 3.32 is a retest):
 *   F1: U1 3.30, U2 3.70, U6 2.90     F2: U3 3.28, U5 3.29, U4 3.33
 *   n 6, mean 19.80 / 6 = 3.30
 *   moving ranges 0.40 0.80 (F1), 0.01 0.04 (F2): MR-bar 1.25 / 4 = 0.3125,
 *   sigma within 0.3125 / 1.128 = 0.2770390
 *   Cp = 0.6 / (6 * 0.2770390) = 0.360960
 *   Cpk = min(3.6 - 3.30, 3.30 - 3.0) / (3 * 0.2770390) = 0.360960
 *   squared deviations 0 + 0.16 + 0.16 + 0.0004 + 0.0001 + 0.0009 = 0.3214,
 *   sigma overall sqrt(0.3214 / 5) = 0.2535350; Pp = Ppk = 0.6 / (6 *
 *   0.2535350) = 0.394423
 * idle_ma (USL 100 only): F1 U1 40, F2 U3 60, U5 50, U4 50: mean 50, moving
 *   ranges 10, 0, sigma within 5 / 1.128 = 4.4326241, Cpk = 50 / 13.297872
 *   = 3.76, no Cp; sigma overall sqrt(200 / 3) = 8.1649658, Ppk =
 *   50 / 24.494897 = 2.0412415, no Pp.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_db_data.h"
#include "report/report.h"
#include "test_json.h"

static char dir[64], path[128], path2[128];

#define CLOSE(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static void one(struct db *db, const char *seq, const char *serial, const char *fixture,
		int64_t t, double v, double low, double high)
{
	struct db_run_info ri = { .unit_serial = serial, .station = "ST", .fixture = fixture,
				  .sequence_name = seq, .sequence_version = "2",
				  .started_us = t };
	struct db_measurement m = { .name = "vout", .unit = "V", .value = v, .low = low,
				    .high = high, .outcome = DB_PASS };
	struct db_step s = { .index = 0, .name = "out", .kind = "measure", .outcome = DB_PASS,
			     .meas = &m, .n_meas = 1, .started_us = t, .ended_us = t + 1,
			     .attempts = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, DB_PASS, NULL, &e), ST_OK);
}

static int setup(void **state)
{
	struct db *db;
	struct st_error e;
	int64_t t = T_DAY1_US;

	if (t_mkdir(dir, sizeof(dir), "cap") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	snprintf(path2, sizeof(path2), "%s/ops.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	t_make_dataset(db);
	db_close(db);
	/* second log: A ran "ict" first (its ict value is another operation's),
	 * then "final" 10.0; B 10.4, C 10.2 under [9, 11]; then the limits
	 * tightened to [9.5, 10.5] without a new version: D 10.1, E 10.3, and
	 * A's retest of final (left out) */
	if (db_open(&db, path2, NULL, &e) < 0)
		return -1;
	one(db, "ict", "A", "F1", t += T_MIN_US, 1.0, 0, 2);
	one(db, "final", "A", "F1", t += T_MIN_US, 10.0, 9, 11);
	one(db, "final", "B", "F1", t += T_MIN_US, 10.4, 9, 11);
	one(db, "final", "C", "F1", t += T_MIN_US, 10.2, 9, 11);
	one(db, "final", "D", "F1", t += T_DAY_US, 10.1, 9.5, 10.5);
	one(db, "final", "E", "F1", t += T_MIN_US, 10.3, 9.5, 10.5);
	one(db, "final", "A", "F1", t += T_MIN_US, 12.0, 9.5, 10.5);
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static json_t *capability_sub(const char *log, bool all_runs, bool subgroups, const char *format,
			      char **text)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_filter f = { 0 };
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, log, &dbo, &e), ST_OK);
	assert_int_equal(report_capability(out, db_reader(db), &f, all_runs, subgroups, false, format, &e), ST_OK);
	fclose(out);
	db_close(db);
	if (text) {
		*text = buf;
		return NULL;
	}
	return t_json_take(buf);
}

static json_t *capability(const char *log, bool all_runs, const char *format, char **text)
{
	return capability_sub(log, all_runs, false, format, text);
}

static json_t *group(json_t *j, const char *name, int nth)
{
	return t_json_named(j, "measurements", "name", name, nth);
}

#define num t_json_num

static void test_formula_by_hand(void **state)
{
	/* 1.0 1.2 0.9 1.1 1.0 on one fixture, limits 0.5..1.5: mean 1.04,
	 * MR 0.2 0.3 0.2 0.1, MR-bar 0.2, sigma within 0.2 / 1.128 = 0.177305;
	 * squared deviations 0.052, sigma overall sqrt(0.013) = 0.114018;
	 * Cp 1 / (6 * 0.177305) = 0.94, Cpk 0.46 / (3 * 0.177305) = 0.8648,
	 * Pp 1 / (6 * 0.114018) = 1.461763, Ppk 0.46 / (3 * 0.114018) = 1.344822 */
	const double x[] = { 1.0, 1.2, 0.9, 1.1, 1.0 };
	bool brk[5] = { true };
	struct rep_cap c;

	rep_capability(x, brk, 5, true, 0.5, true, 1.5, &c);
	CLOSE(c.mean, 1.04);
	assert_int_equal(c.n_mr, 4);
	CLOSE(c.mr_bar, 0.2);
	CLOSE(c.sigma_within, 0.177305);
	CLOSE(c.sigma_overall, 0.114018);
	CLOSE(c.cp, 0.94);
	CLOSE(c.cpk, 0.8648);
	CLOSE(c.pp, 1.461763);
	CLOSE(c.ppk, 1.344822);
	/* a second fixture starting at 0.9: no moving range across fixtures
	 * (MR 0.2, then 0.2 0.1): MR-bar 0.5 / 3 */
	brk[2] = true;
	rep_capability(x, brk, 5, true, 0.5, true, 1.5, &c);
	assert_int_equal(c.n_mr, 3);
	CLOSE(c.mr_bar, 0.5 / 3);
	/* one value: no sigma, no index */
	rep_capability(x, brk, 1, true, 0.5, true, 1.5, &c);
	assert_false(c.has_within || c.has_overall || c.has_cp || c.has_cpk || c.has_pp ||
		     c.has_ppk);
}

/* Equal values whose mean is not exact in binary (0.1 ten times sums to
 * 0.9999999999999999): the value as mean, sigma 0 within and overall (by
 * moving ranges and by subgroups), no index, not one of -1e14. */
static void test_equal_values_no_index(void **state)
{
	double x[10];
	bool brk[10] = { true }, sub[10] = { true, false, false, false, false, true };
	struct rep_cap c;

	for (int i = 0; i < 10; i++)
		x[i] = 0.1;
	rep_capability(x, brk, 10, true, 0, true, 1, &c);
	assert_true(c.mean == 0.1);
	assert_true(c.has_within && c.sigma_within == 0 && c.has_overall && c.sigma_overall == 0);
	assert_false(c.has_cp || c.has_cpk || c.has_pp || c.has_ppk);
	rep_capability_pooled(x, sub, 10, true, 0, true, 1, &c);
	assert_true(c.mean == 0.1 && c.sigma_within == 0 && c.sigma_overall == 0);
	assert_false(c.has_cp || c.has_cpk || c.has_pp || c.has_ppk);
}

/* Values that include an infinity (a log edited by hand): the mean is the
 * infinity (NaN with both signs), no other figure, the counts kept; by
 * moving ranges and by subgroups (rep_cap_infinite, the rule every path
 * shares: a sigma of 0 was the infinite scale's doing). */
static void test_infinite_value_no_figures(void **state)
{
	double x[5] = { 1.0, 1.1, INFINITY, 0.9, 1.0 };
	bool brk[5] = { true }, sub[5] = { true, false, false, true, false };
	struct rep_cap c;

	for (int pooled = 0; pooled < 2; pooled++) {
		if (pooled)
			rep_capability_pooled(x, sub, 5, true, 0.5, true, 1.5, &c);
		else
			rep_capability(x, brk, 5, true, 0.5, true, 1.5, &c);
		assert_true(isinf(c.mean) && c.mean > 0);
		assert_int_equal(c.n, 5);
		assert_int_equal(c.n_mr, pooled ? 0 : 4);
		assert_int_equal(c.n_sub, pooled ? 2 : 0);
		assert_false(c.has_within || c.has_overall || c.has_cp || c.has_cpk ||
			     c.has_pp || c.has_ppk);
		assert_true(isnan(c.mr_bar) && isnan(c.sigma_within) && isnan(c.sigma_overall));
	}
	x[0] = -INFINITY;
	rep_capability(x, brk, 5, true, 0.5, true, 1.5, &c);
	assert_true(isnan(c.mean));
	x[2] = 1.0;	/* -inf alone */
	rep_capability(x, brk, 5, true, 0.5, true, 1.5, &c);
	assert_true(isinf(c.mean) && c.mean < 0 && !c.has_overall);
}

static void test_first_runs_by_hand(void **state)
{
	json_t *j = capability(path, false, "json", NULL), *g;

	assert_true(json_is_true(json_object_get(j, "first_runs_only")));
	g = group(j, "vdd", 0);
	assert_int_equal(num(g, "n"), 6);
	assert_int_equal(num(g, "moving_ranges"), 4);
	CLOSE(num(g, "mean"), 3.30);
	CLOSE(num(g, "mr_bar"), 0.3125);
	CLOSE(num(g, "sigma_within"), 0.2770390);
	CLOSE(num(g, "sigma_overall"), 0.2535350);
	CLOSE(num(g, "cp"), 0.360960);
	CLOSE(num(g, "cpk"), 0.360960);
	CLOSE(num(g, "pp"), 0.394423);
	CLOSE(num(g, "ppk"), 0.394423);
	g = group(j, "idle_ma", 0);
	assert_int_equal(num(g, "n"), 4);
	CLOSE(num(g, "sigma_within"), 4.4326241);
	CLOSE(num(g, "cpk"), 3.76);
	CLOSE(num(g, "ppk"), 2.0412415);
	assert_true(json_is_null(json_object_get(g, "cp")));
	assert_true(json_is_null(json_object_get(g, "pp")));
	json_decref(j);
	/* every run: the retest and the error run are in */
	j = capability(path, true, "json", NULL);
	assert_int_equal(num(group(j, "vdd", 0), "n"), 8);
	json_decref(j);
}

/* A run without a serial is no unit's (docs/database.md): never a first
 * run, so only in the capability of every run. */
static void test_unidentified_not_first(void **state)
{
	char log[160];
	struct st_error e;
	struct db *db;
	json_t *j;

	snprintf(log, sizeof(log), "%s/unid.db", dir);
	assert_int_equal(db_open(&db, log, NULL, &e), ST_OK);
	one(db, "final", "A", "F1", T_DAY1_US, 10.0, 9, 11);
	one(db, "final", NULL, "F1", T_DAY1_US + T_MIN_US, 10.2, 9, 11);
	one(db, "final", "B", "F1", T_DAY1_US + 2 * T_MIN_US, 10.4, 9, 11);
	db_close(db);
	j = capability(log, false, "json", NULL);
	assert_int_equal(num(group(j, "vout", 0), "n"), 2);
	CLOSE(num(group(j, "vout", 0), "mean"), 10.2);
	json_decref(j);
	j = capability(log, true, "json", NULL);
	assert_int_equal(num(group(j, "vout", 0), "n"), 3);
	json_decref(j);
}

/* Rational subgroups: sigma within = s_p / c4(df + 1).  By hand: subgroups
 * {1.0, 1.2, 1.1} and {2.0, 2.2} (a shift between them the moving range
 * would take for noise): squared deviations 0.02 + 0.02, df 2 + 1 = 3,
 * s_p = sqrt(0.04 / 3) = 0.1154701, c4(4) = 0.9213177, sigma within
 * 0.1253314.  On the log (first runs, fixture and UTC hour): F1 08:00 day 1
 * {3.30, 3.70}, F1 day 2 {2.90}, F2 day 1 {3.28}, F2 day 2 {3.29, 3.33}:
 * squared deviations 0.08 + 0.0008, df 2, s_p = 0.2009975, c4(3) =
 * 0.8862269, sigma within 0.2268014, Cp = Cpk = 0.6 / (6 x 0.2268014) =
 * 0.4409144; the overall figures as before. */
static void test_subgroups_by_hand(void **state)
{
	const double x[] = { 1.0, 1.2, 1.1, 2.0, 2.2 };
	const bool sub[5] = { true, false, false, true, false };
	struct rep_cap c;
	json_t *j, *g;

	rep_capability_pooled(x, sub, 5, true, 0.5, true, 2.5, &c);
	assert_true(c.pooled && c.has_within);
	assert_int_equal(c.n_sub, 2);
	assert_int_equal(c.df, 3);
	CLOSE(c.sigma_within, 0.1253314);
	CLOSE(c.cp, 2.0 / (6 * 0.1253314));
	j = capability_sub(path, false, true, "json", NULL);
	g = group(j, "vdd", 0);
	assert_int_equal(num(g, "subgroups"), 4);
	assert_int_equal(num(g, "subgroup_df"), 2);
	CLOSE(num(g, "sigma_within"), 0.2268014);
	CLOSE(num(g, "cp"), 0.4409144);
	CLOSE(num(g, "cpk"), 0.4409144);
	CLOSE(num(g, "sigma_overall"), 0.2535350);
	CLOSE(num(g, "ppk"), 0.394423);
	/* the CSV has JSON's counts too: moving_ranges, and with --subgroups
	 * subgroups and subgroup_df, last (docs/quality.md) */
	char *t, tail[64];
	int mr = (int)num(g, "moving_ranges");

	json_decref(j);
	capability_sub(path, false, true, "csv", &t);
	assert_non_null(strstr(t, ",cp,cpk,pp,ppk,moving_ranges,subgroups,subgroup_df\r\n"));
	snprintf(tail, sizeof(tail), ",%d,4,2\r\n", mr);
	assert_non_null(strstr(t, tail));
	free(t);
}

/* First run per operation, and a limit change starting a new group. */
static void test_operation_and_limit_change(void **state)
{
	json_t *j = capability(path2, false, "json", NULL), *g;
	char *t;

	g = group(j, "vout", 0);	/* ict first: ordered by sequence */
	assert_string_equal(json_string_value(json_object_get(g, "sequence")), "final");
	assert_int_equal(num(g, "low"), 9);
	assert_int_equal(num(g, "n"), 3);	/* A's first final run counts */
	CLOSE(num(g, "mean"), 10.2);
	CLOSE(num(g, "mr_bar"), 0.3);	/* |10.4-10.0|, |10.2-10.4| */
	g = group(j, "vout", 1);
	CLOSE(num(g, "low"), 9.5);
	assert_int_equal(num(g, "n"), 2);	/* A's retest 12.0 left out */
	CLOSE(num(g, "mean"), 10.2);
	assert_string_equal(json_string_value(json_object_get(g, "first")),
			    "2026-01-06T08:04:00Z");
	g = group(j, "vout", 2);
	assert_string_equal(json_string_value(json_object_get(g, "sequence")), "ict");
	json_decref(j);
	capability(path2, false, "text", &t);
	assert_non_null(strstr(t, "final@2 / out / vout (V)  LSL 9.5 USL 10.5  "
				  "2026-01-06T08:04:00Z .. 2026-01-06T08:05:00Z\n"));
	assert_non_null(strstr(t, "    Cp 0.940  Cpk 0.564  Pp 1.179  Ppk 0.707\n"));
	free(t);
	capability(path2, false, "csv", &t);
	assert_non_null(strstr(t, "\r\nfinal,2,out,vout,V,9.5,10.5,2026-01-06T08:04:00Z,"
				  "2026-01-06T08:05:00Z,2,10.2,"));
	assert_non_null(strstr(t, ",cp,cpk,pp,ppk,moving_ranges\r\n"));	/* no subgroups */
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formula_by_hand),
		cmocka_unit_test(test_equal_values_no_index),
		cmocka_unit_test(test_infinite_value_no_figures),
		cmocka_unit_test(test_subgroups_by_hand),
		cmocka_unit_test(test_first_runs_by_hand),
		cmocka_unit_test(test_unidentified_not_first),
		cmocka_unit_test(test_operation_and_limit_change),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
