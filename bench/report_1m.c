// SPDX-License-Identifier: Apache-2.0
/*
 * report_1m: the production-log figures of make bench (bench/report_1m.sh).
 *   report_1m gen DB RUNS        a log of RUNS runs through the db API: 8
 *                                fixtures, 90 days, 2 sequence versions,
 *                                20 measurements a run, failures retested,
 *                                operators by shift, work orders (line_at)
 *   report_1m steplog DB N       log N steps of 20 measurements: median, p99
 *   report_1m runend DB N        end N runs of 20 measurements: median, p99
 *   report_1m query DB REPEATS   each report query: median ms (summaries)
 *   report_1m migrate DB         upgrade a cached log to this build's schema
 *                                (stdout: upgrade|ms)
 *   report_1m capability DB REPEATS  report --capability from the capability
 *                                cells (the rows for comparison): median ms
 *   report_1m spc DB REPEATS     report --spc: a fixture's baseline and latest
 *                                points, then once every point (rows)
 *   report_1m plantdays DB REPEATS  the yield by the plant's day from the hour
 *                                cells (the rows for comparison): median ms
 * Linked against the station's archives; prints "name|value" lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sqlite3.h>

#include "db/db.h"
#include "db/db_reader.h"
#include "db/db_report.h"
#include "report/report.h"

#define NMEAS 20
#define DAYS 90

static uint64_t rs = 88172645463325252ULL;

static double urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

static double nrand(void)
{
	double u = urand(), v = urand();

	return sqrt(-2 * log(u > 1e-300 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* This process's CPU time: on a shared machine the wall time is also the
 * other tenants' load; the CPU time is the query's own work. */
static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char names[NMEAS][8];

/* Measurement k: nominal 1+k, limits +-5 % (m18 none, m19 high only);
 * m07 drifts (sigma 2 %) so that it fails about 1 % of units. */
static void fill(struct db_measurement *m, int k)
{
	double nom = 1 + k, sd = (k == 7 ? 0.02 : 0.012) * nom;

	*m = (struct db_measurement){ .name = names[k], .unit = "V" };
	m->value = nom + sd * nrand();
	m->low = k >= 18 ? NAN : nom * 0.95;
	m->high = k == 18 ? NAN : nom * 1.05;
	m->outcome = (!isnan(m->low) && m->value < m->low) ||
		     (!isnan(m->high) && m->value > m->high) ? DB_FAIL : DB_PASS;
}

/* The line at time t (dt: since the log's start) on fixture fx (1..8):
 * two operators a shift (fixtures F1-F4, F5-F8), three 8-hour shifts
 * from 06:00, ten operators in rotation, the outgoing one finishing runs
 * for 10 minutes into the next shift on F1-F4; one work order at a time,
 * 37 hours each, changed at 40 minutes past an hour, its part number
 * (of three) and revision (A or B). */
struct line {
	char op[8], wo[16], part[8], rev[2];
};

static void line_at(int64_t dt, int fx, struct line *l)
{
	const int64_t hour = 3600000000LL, shift = 8 * hour;
	int64_t s = (dt + 2 * hour - (fx <= 4 ? hour / 6 : 0)) / shift;	/* 22:00 on day 0 */
	long wo = (long)((dt + hour / 3) / (37 * hour));

	snprintf(l->op, sizeof(l->op), "op%ld", (long)((s * 2 + (fx > 4)) % 10));
	snprintf(l->wo, sizeof(l->wo), "WO-%04ld", wo);
	snprintf(l->part, sizeof(l->part), "P-%ld", wo % 3);
	snprintf(l->rev, sizeof(l->rev), "%c", wo % 5 == 4 ? 'B' : 'A');
}

static int one_run(struct db *db, const char *serial, const char *fixture, int64_t t,
		   const char *version, const struct line *l, bool *failed)
{
	struct db_run_info ri = { .unit_serial = serial, .station = "bench", .fixture = fixture,
				  .operator_name = l->op, .work_order = l->wo,
				  .part_number = l->part, .revision = l->rev,
				  .sequence_name = "factory", .sequence_version = version,
				  .started_us = t };
	struct db_measurement m[NMEAS];
	static const char *const steps[] = { "power", "rails", "calibrate", "flash" };
	enum db_outcome o = DB_PASS;
	char id[DB_ID_LEN];
	struct st_error e;

	if (db_run_begin(db, &ri, id, &e) < 0)
		goto fail;
	for (int k = 0; k < NMEAS; k++)
		fill(&m[k], k);
	for (int i = 0; i < 4 && o == DB_PASS; i++) {
		struct db_step s = { .index = i, .name = steps[i], .kind = "measure",
				     .phase = "steps", .outcome = DB_PASS, .started_us = t + i,
				     .ended_us = t + i + 1, .attempts = 1 };

		if (i == 1 || i == 2) {
			s.meas = m + (i - 1) * 10;
			s.n_meas = 10;
			for (int k = 0; k < 10; k++)
				if (s.meas[k].outcome != DB_PASS)
					s.outcome = DB_FAIL;
		}
		if (i == 3 && urand() < 0.002)
			s.outcome = DB_ERROR;
		o = s.outcome;
		if (db_step_log(db, id, &s, &e) < 0)
			goto fail;
	}
	*failed = o != DB_PASS;
	if (db_run_end(db, id, o, o == DB_PASS ? NULL : "bench failure", &e) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "report_1m: %s\n", e.msg);
	return 1;
}

static int gen(const char *path, long runs)
{
	char serial[32], fixture[16], (*queue)[32] = calloc(4096, 32);
	int64_t t0 = 1767225600000000LL;	/* 2026-01-01 */
	double span = DAYS * 86400e6 / (double)runs;
	long unit = 0, qh = 0, qt = 0;
	struct db *db;
	struct st_error e;

	if (db_open(&db, path, NULL, &e) < 0) {
		fprintf(stderr, "report_1m: %s\n", e.msg);
		return 1;
	}
	/* generation speed only: the figures are of the queries on the result */
	sqlite3_exec(db_handle(db), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	for (long i = 0; i < runs; i++) {
		bool failed = false;
		struct line l;
		int fx;

		if (qh != qt && urand() < 0.9) {	/* retest a failed unit */
			snprintf(serial, sizeof(serial), "%s", queue[qh]);
			qh = (qh + 1) % 4096;
		} else {
			snprintf(serial, sizeof(serial), "SN%08ld", unit++);
		}
		fx = (int)(urand() * 8) + 1;
		snprintf(fixture, sizeof(fixture), "F%d", fx);
		line_at((int64_t)(i * span), fx, &l);
		if (one_run(db, serial, fixture, t0 + (int64_t)(i * span),
			    i < runs / 2 ? "1.0" : "1.1", &l, &failed)) {
			db_close(db);
			return 1;
		}
		if (failed && (qt + 1) % 4096 != qh) {
			snprintf(queue[qt], 32, "%s", serial);
			qt = (qt + 1) % 4096;
		}
	}
	db_close(db);
	free(queue);
	return 0;
}

static int steplog(const char *path, int n)
{
	struct db_run_info ri = { .unit_serial = "X", .fixture = "F1", .sequence_name = "factory",
				  .sequence_version = "1.0" };
	struct db_measurement m[NMEAS];
	double *t = calloc(n, sizeof(*t));
	char id[DB_ID_LEN];
	struct db *db;
	struct st_error e;

	if (db_open(&db, path, NULL, &e) < 0 || db_run_begin(db, &ri, id, &e) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct db_step s = { .index = i, .name = "rails", .kind = "measure", .phase = "steps",
				     .outcome = DB_PASS, .started_us = 1, .ended_us = 2,
				     .attempts = 1, .meas = m, .n_meas = NMEAS };
		double a;

		for (int k = 0; k < NMEAS; k++)
			fill(&m[k], k);
		a = now_ms();
		if (db_step_log(db, id, &s, &e) < 0) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		t[i] = (now_ms() - a) * 1e3;
	}
	db_run_end(db, id, DB_PASS, NULL, &e);
	db_close(db);
	qsort(t, n, sizeof(*t), cmpd);
	printf("step_median_us|%.1f\nstep_p99_us|%.1f\n", t[n / 2], t[(int)(n * 0.99)]);
	free(t);
	return 0;
}

/* N runs of one step of 20 measurements, each of its own unit (so a first
 * run: its values go into the capability cells), with an operator, work
 * order, part and revision: the time of db_run_end(), which keeps every
 * summary in the run's last transaction. */
static int runend(const char *path, int n)
{
	struct db_measurement m[NMEAS];
	double *t = calloc(n, sizeof(*t));
	char id[DB_ID_LEN], serial[32];
	struct db *db;
	struct st_error e;

	if (!t || db_open(&db, path, NULL, &e) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct db_run_info ri = { .unit_serial = serial, .fixture = "F1",
					  .sequence_name = "factory", .sequence_version = "1.0",
					  .operator_name = "op1", .work_order = "WO-1",
					  .part_number = "P-1", .revision = "A",
					  .started_us = 1770595200000000LL + i * 1000000LL };
		struct db_step s = { .index = 0, .name = "rails", .kind = "measure", .phase = "steps",
				     .outcome = DB_PASS, .started_us = 1, .ended_us = 2,
				     .attempts = 1, .meas = m, .n_meas = NMEAS };
		double a;

		snprintf(serial, sizeof(serial), "U%d", i);
		for (int k = 0; k < NMEAS; k++)
			fill(&m[k], k);
		if (db_run_begin(db, &ri, id, &e) < 0 || db_step_log(db, id, &s, &e) < 0)
			return 1;
		a = now_ms();
		if (db_run_end(db, id, DB_PASS, NULL, &e) < 0) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		t[i] = (now_ms() - a) * 1e3;
	}
	db_close(db);
	qsort(t, n, sizeof(*t), cmpd);
	printf("end_median_us|%.1f\nend_p99_us|%.1f\n", t[n / 2], t[(int)(n * 0.99)]);
	free(t);
	return 0;
}

static int query(const char *path, int reps, bool exact)
{
	static const char *const qn[REP_Q__COUNT] = {
		"yield and first-pass yield, total", "yield and first-pass yield by day",
		"failures by step (Pareto)", "measurement n/mean/sigma/min/max/Pp/Ppk",
		"measurement histograms against limits", "CMS calls with cms.insecure",
		"error, aborted and unidentified runs",
	};
	struct db_opts o = { .readonly = true, .must_exist = true };
	struct rep_filter f = { 0 };
	double t[REP_Q__COUNT][64], tc[REP_Q__COUNT][64];
	struct db *db;
	struct st_error e;

	if (reps > 64 || db_open(&db, path, &o, &e) < 0)
		return 1;
	for (int r = 0; r < reps; r++) {
		struct report rp = { .exact = exact };

		rp.f = &f;
		rp.summary = !exact;
		for (int q = 0; q < REP_Q__COUNT; q++) {
			double a = now_ms(), c = cpu_ms();

			if (report_query(db, &rp, q, &e))
				return 1;
			t[q][r] = now_ms() - a;
			tc[q][r] = cpu_ms() - c;
		}
		if (r == 0)
			printf("log|%lld runs, %lld units, %d days, %d measurements\n",
			       (long long)rp.total.runs, (long long)rp.total.units, rp.ndays,
			       rp.nmeas);
		report_free(&rp);
	}
	for (int q = 0; q < REP_Q__COUNT; q++) {
		qsort(t[q], reps, sizeof(double), cmpd);
		qsort(tc[q], reps, sizeof(double), cmpd);
		printf("%s|%.1f|%.1f\n", qn[q], t[q][reps / 2], tc[q][reps / 2]);
	}
	db_close(db);
	return 0;
}

static int count_row(void *ctx, const struct db_row *row)
{
	*(long *)ctx += !row->columns_only;
	return 0;
}

static double median(double *t, int n)
{
	qsort(t, n, sizeof(double), cmpd);
	return t[n / 2];
}

/* What a quality engineer filters by, as station report answers it (the
 * summaries for an outcome, windows and the line, with the rows of a
 * window's minutes off the hour; the rows for a unit): one unit, one outcome, a shift, a
 * fixture in a shift, a week of shifts, an operator, a work order, a part;
 * and the export of one unit's measurements. */
static int filters(const char *path, int reps)
{
	const int64_t day = 1770681600000000LL;	/* 2026-02-10, inside the 90 days */
	const struct {
		const char *name;
		struct rep_filter f;
	} q[] = {
		{ "report --serial", { .serial = "SN00123456" } },
		{ "report --outcome fail", { .outcome = "fail" } },
		{ "report shift 06:00-14:00", { .has_since = true, .since_us = day + 6 * 3600000000LL,
						.has_until = true, .until_us = day + 14 * 3600000000LL } },
		{ "report --fixture F3 --sequence factory@1.1 shift",
		  { .fixture = "F3", .seq_name = "factory", .seq_version = "1.1",
		    .has_since = true, .since_us = day + 6 * 3600000000LL + 86400000000LL * 40,
		    .has_until = true, .until_us = day + 14 * 3600000000LL + 86400000000LL * 40 } },
		{ "report --outcome fail, shift", { .outcome = "fail", .has_since = true,
						    .since_us = day + 6 * 3600000000LL, .has_until = true,
						    .until_us = day + 14 * 3600000000LL } },
		{ "report a week, Monday 06:00 to Monday 06:00",
		  { .has_since = true, .since_us = day - 86400000000LL + 6 * 3600000000LL,
		    .has_until = true, .until_us = day + 6 * 86400000000LL + 6 * 3600000000LL } },
		{ "report --outcome pass --fixture F2",
		  { .outcome = "pass", .fixture = "F2" } },
		/* schema 12: the line's filters read the cells */
		{ "report --operator op3", { .operator_name = "op3" } },
		{ "report --operator op3, a week",
		  { .operator_name = "op3", .has_since = true,
		    .since_us = day - 86400000000LL + 6 * 3600000000LL, .has_until = true,
		    .until_us = day + 6 * 86400000000LL + 6 * 3600000000LL } },
		{ "report --work-order WO-0025", { .work_order = "WO-0025" } },
		{ "report --work-order WO-0025, a week",
		  { .work_order = "WO-0025", .has_since = true,
		    .since_us = day - 86400000000LL + 6 * 3600000000LL, .has_until = true,
		    .until_us = day + 6 * 86400000000LL + 6 * 3600000000LL } },
		{ "report --part-number P-1 --revision B --outcome fail",
		  { .part_number = "P-1", .revision = "B", .outcome = "fail" } },
		/* off the hour: the whole hours' cells and the minutes' rows */
		{ "report shift 06:30-14:30 (off the hour)",
		  { .has_since = true, .since_us = day + 6 * 3600000000LL + 1800000000LL,
		    .has_until = true, .until_us = day + 14 * 3600000000LL + 1800000000LL } },
		{ "report a week, Monday 06:30 to Monday 06:30",
		  { .has_since = true, .since_us = day - 86400000000LL + 6 * 3600000000LL + 1800000000LL,
		    .has_until = true,
		    .until_us = day + 6 * 86400000000LL + 6 * 3600000000LL + 1800000000LL } },
		{ "report --operator op3, a week from Monday 05:45",
		  { .operator_name = "op3", .has_since = true,
		    .since_us = day - 86400000000LL + 5 * 3600000000LL + 2700000000LL,
		    .has_until = true,
		    .until_us = day + 6 * 86400000000LL + 5 * 3600000000LL + 2700000000LL } },
	};
	struct db_opts o = { .readonly = true, .must_exist = true };
	struct rep_filter one = { .serial = "SN00123456" };
	double t[64], tc[64];
	struct db *db;
	struct st_error e;
	long rows = 0;
	bool summary = false;

	if (reps > 64 || db_open(&db, path, &o, &e) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		for (int r = 0; r < reps; r++) {
			struct report rp = { 0 };
			double a = now_ms(), c = cpu_ms();

			if (report_build(db, &q[i].f, &rp, &e)) {
				fprintf(stderr, "report_1m: %s\n", e.msg);
				return 1;
			}
			t[r] = now_ms() - a;
			tc[r] = cpu_ms() - c;
			if (!r)
				summary = rp.summary;
			report_free(&rp);
		}
		printf("%s (%s)|%.1f|%.1f\n", q[i].name, summary ? "summaries" : "rows",
		       median(t, reps), median(tc, reps));
	}
	for (int r = 0; r < reps; r++) {
		double a = now_ms();

		rows = 0;
		if (db_export_rows(db, "measurements", &one, count_row, &rows, &e)) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		t[r] = now_ms() - a;
	}
	printf("export --serial (%ld rows)|%.1f\n", rows, median(t, reps));
	/* report --capability reads the first runs' values from the rows */
	for (int r = 0; r < reps; r++) {
		struct rep_filter shift = q[3].f;
		double a = now_ms();

		rows = 0;
		if (db_capability_rows(db, &shift, true, count_row, &rows, &e)) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		t[r] = now_ms() - a;
	}
	printf("report --capability --fixture F3 shift (%ld values)|%.1f\n", rows, median(t, reps));
	/* report --operations: per-operation FPY over a shift, a day, the log */
	for (size_t i = 2; i < 4; i++) {
		for (int r = 0; r < reps; r++) {
			double a = now_ms();

			if (db_operation_rows(db, DB_OP_TOTALS, &q[i].f, false, count_row, &rows,
					      &e) ||
			    db_operation_rows(db, DB_OP_RETESTS, &q[i].f, false, count_row, &rows,
					      &e)) {
				fprintf(stderr, "report_1m: %s\n", e.msg);
				return 1;
			}
			t[r] = now_ms() - a;
		}
		printf("report --operations, %s|%.1f\n", q[i].name + strlen("report "),
		       median(t, reps));
	}
	/* report --group-by reads each run of the filter (its key is made in C) */
	for (int r = 0; r < reps; r++) {
		double a = now_ms();

		rows = 0;
		if (db_operation_rows(db, DB_OP_RUNS, &q[2].f, false, count_row, &rows, &e)) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		t[r] = now_ms() - a;
	}
	printf("report --group-by, a shift (%ld runs)|%.1f\n", rows, median(t, reps));
	{
		/* wall and CPU apart: a wall time far above the CPU time is the
		 * disk (or other tenants), not the check */
		double a = now_ms(), c = cpu_ms();

		if (db_quick_check(db, &e)) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		printf("db check --quick (quick_check, the log mapped)|%.1f|%.1f\n", now_ms() - a,
		       cpu_ms() - c);
	}
	db_close(db);
	return 0;
}

/* report --capability as station report runs it (JSON to /dev/null): the
 * whole log, a fixture, a week, line values, outcomes; from the cells and,
 * once, from the rows. */
static int capability(const char *path, int reps)
{
	const int64_t mon = 1770595200000000LL;	/* 2026-02-09, a Monday */
	const struct {
		const char *name;
		struct rep_filter f;
		bool rows, subgroups;
	} q[] = {
		{ "report --capability, whole log", { 0 }, false, false },
		{ "report --capability --subgroups, whole log", { 0 }, false, true },
		{ "report --capability --fixture F3", { .fixture = "F3" }, false, false },
		{ "report --capability, a week (Monday 00:00 to Monday 00:00)",
		  { .has_since = true, .since_us = mon, .has_until = true,
		    .until_us = mon + 7 * 86400000000LL }, false, false },
		/* off the hour: the whole hours' cells, the minutes' rows */
		{ "report --capability, a week (Monday 06:30 to Monday 06:30)",
		  { .has_since = true, .since_us = mon + 23400000000LL, .has_until = true,
		    .until_us = mon + 7 * 86400000000LL + 23400000000LL }, false, false },
		{ "report --capability --sequence factory@1.1 --fixture F3",
		  { .seq_name = "factory", .seq_version = "1.1", .fixture = "F3" }, false, false },
		/* one line value: its cells (schema 14) */
		{ "report --capability --operator op3", { .operator_name = "op3" }, false, false },
		{ "report --capability --operator op3, a week",
		  { .operator_name = "op3", .has_since = true, .since_us = mon, .has_until = true,
		    .until_us = mon + 7 * 86400000000LL }, false, false },
		{ "report --capability --work-order WO-0025", { .work_order = "WO-0025" }, false,
		  false },
		{ "report --capability --part-number P-1 --revision B",
		  { .part_number = "P-1", .revision = "B" }, false, false },
		/* two values, a revision alone: one value's cells checked hour by
		 * hour, the mixed hours from the rows */
		{ "report --capability --operator op3 --part-number P-1",
		  { .operator_name = "op3", .part_number = "P-1" }, false, false },
		{ "report --capability --revision B", { .revision = "B" }, false, false },
		/* an outcome: the cells of its first runs (schema 16) */
		{ "report --capability --outcome pass", { .outcome = "pass" }, false, false },
		{ "report --capability --outcome fail", { .outcome = "fail" }, false, false },
		{ "report --capability --outcome fail --operator op3",
		  { .outcome = "fail", .operator_name = "op3" }, false, false },
		{ "report --capability --outcome pass, a week (Monday 06:30 to Monday 06:30)",
		  { .outcome = "pass", .has_since = true, .since_us = mon + 23400000000LL,
		    .has_until = true, .until_us = mon + 7 * 86400000000LL + 23400000000LL }, false,
		  false },
		/* every ended run's values: their cells (schema 16) */
		{ "report --capability --all-runs, whole log", { 0 }, false, false },
		{ "report --capability --all-runs --fixture F3, a week",
		  { .fixture = "F3", .has_since = true, .since_us = mon, .has_until = true,
		    .until_us = mon + 7 * 86400000000LL }, false, false },
		{ "report --capability --from-rows, whole log (rows)", { 0 }, true, false },
		{ "report --capability --from-rows --operator op3 (rows)", { .operator_name = "op3" },
		  true, false },
		{ "report --capability --from-rows --revision B (rows)", { .revision = "B" }, true,
		  false },
	};
	struct db_opts o = { .readonly = true, .must_exist = true };
	FILE *null = fopen("/dev/null", "w");
	double t[64], tc[64];
	struct db *db;
	struct st_error e;

	if (reps > 64 || !null || db_open(&db, path, &o, &e) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		for (int r = 0; r < (q[i].rows ? 1 : reps); r++) {
			double a = now_ms(), c = cpu_ms();

			if (report_capability(null, db_reader(db), &q[i].f,
					      strstr(q[i].name, "--all-runs") != NULL, q[i].subgroups,
					      q[i].rows, "json", &e)) {
				fprintf(stderr, "report_1m: %s\n", e.msg);
				return 1;
			}
			t[r] = now_ms() - a;
			tc[r] = cpu_ms() - c;
		}
		printf("%s|%.1f|%.1f\n", q[i].name, median(t, q[i].rows ? 1 : reps),
		       median(tc, q[i].rows ? 1 : reps));
	}
	db_close(db);
	fclose(null);
	return 0;
}

/* The HTML report's yield by day in the plant's zone (Europe/Berlin, two
 * summer time changes in the log's 90 days): from the hour cells (the
 * zone's whole-hour periods, then report_build()'s days query) and from
 * the rows (rep_plant_days(), as --group-by day); --group-by day. */
static int plantdays(const char *path, int reps)
{
	const char *tz = "Europe/Berlin";
	struct db_opts o = { .readonly = true, .must_exist = true };
	struct rep_filter all = { 0 };
	double t[64], tc[64];
	struct db *db;
	struct st_error e;

	if (reps > 64 || db_open(&db, path, &o, &e) < 0)
		return 1;
	for (int rows = 0; rows < 2; rows++) {
		int n = 0;

		for (int i = 0; i < (rows ? 1 : reps); i++) {
			double a = now_ms(), c = cpu_ms();
			char *periods = rows ? NULL : rep_tz_periods(tz, &all);
			struct report r = { .f = &all, .summary = !rows, .plant_tz = tz,
					    .plant_periods = periods };
			int ret = rows ? rep_plant_days(db_reader(db), &all, tz, false, &r, &e) :
					 report_query(db, &r, REP_Q_DAYS, &e);

			if (ret || !r.days_tz) {
				fprintf(stderr, "report_1m: %s\n", ret ? e.msg : "days not the plant's");
				return 1;
			}
			n = r.ndays;
			report_free(&r);
			free(periods);
			t[i] = now_ms() - a;
			tc[i] = cpu_ms() - c;
		}
		printf("report -f html, yield by the plant's day (%s, %d days), %s|%.1f|%.1f\n", tz, n,
		       rows ? "rows" : "hour cells", median(t, rows ? 1 : reps),
		       median(tc, rows ? 1 : reps));
	}
	/* --group-by day as station report runs it (the hour cells answer) */
	{
		struct rep_plant plant = { 0 };
		FILE *null = fopen("/dev/null", "w");

		snprintf(plant.timezone, sizeof(plant.timezone), "%s", tz);
		for (int i = 0; null && i < reps; i++) {
			double a = now_ms(), c = cpu_ms();

			if (report_groups(null, db_reader(db), &all, "day", &plant, false, "json",
					  &e)) {
				fprintf(stderr, "report_1m: %s\n", e.msg);
				return 1;
			}
			t[i] = now_ms() - a;
			tc[i] = cpu_ms() - c;
		}
		if (null)
			fclose(null);
		printf("report --group-by day --tz %s, whole log|%.1f|%.1f\n", tz, median(t, reps),
		       median(tc, reps));
	}
	db_close(db);
	return 0;
}

/* report --spc of the drifting m07: a fixture's baseline and latest points
 * (the log's two-ended read), whole log, one fixture, a week, every run;
 * then once every point (--last 0: the rows), with the peak memory of each
 * way (ru_maxrss; the window's measured first). */
static int spc(const char *path, int reps)
{
	const int64_t mon = 1770595200000000LL;	/* 2026-02-09, a Monday */
	const struct {
		const char *name;
		struct rep_filter f;
		int last;
		bool all_runs;
	} q[] = {
		{ "report --spc m07, whole log (-f json)", { 0 }, 500, false },
		{ "report --spc m07 --fixture F3", { .fixture = "F3" }, 500, false },
		{ "report --spc m07, a week (Monday 00:00 to Monday 00:00)",
		  { .has_since = true, .since_us = mon, .has_until = true,
		    .until_us = mon + 7 * 86400000000LL }, 500, false },
		{ "report --spc m07 --all-runs, whole log", { 0 }, 500, true },
		{ "report --spc m07 --last 0, whole log (rows)", { 0 }, 0, false },
	};
	struct db_opts o = { .readonly = true, .must_exist = true };
	FILE *null = fopen("/dev/null", "w");
	double t[64], tc[64];
	struct db *db;
	struct st_error e;
	struct rusage ru;

	if (reps > 64 || !null || db_open(&db, path, &o, &e) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct spc_opts so = { .name = "m07", .baseline = SPC_BASELINE_DEFAULT,
				       .last = q[i].last, .all_runs = q[i].all_runs };
		int n = q[i].last ? reps : 1;

		if (!q[i].last) {
			getrusage(RUSAGE_SELF, &ru);
			printf("report --spc m07 peak memory, the window's|%ld\n", ru.ru_maxrss);
		}
		for (int r = 0; r < n; r++) {
			double a = now_ms(), c = cpu_ms();

			if (report_spc(null, db_reader(db), &q[i].f, &so, "json", &e)) {
				fprintf(stderr, "report_1m: %s\n", e.msg);
				return 1;
			}
			t[r] = now_ms() - a;
			tc[r] = cpu_ms() - c;
		}
		printf("%s|%.1f|%.1f\n", q[i].name, median(t, n), median(tc, n));
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("report --spc m07 peak memory, every point's|%ld\n", ru.ru_maxrss);
	db_close(db);
	fclose(null);
	return 0;
}

int main(int argc, char **argv)
{
	for (int k = 0; k < NMEAS; k++)
		snprintf(names[k], sizeof(names[k]), "m%02d", k);
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "migrate")) {
		struct db *db;
		struct st_error e;
		double a = now_ms();

		if (db_open(&db, argv[2], NULL, &e) < 0) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		db_close(db);
		fprintf(stderr, "report_1m: upgraded in %.0f s\n", (now_ms() - a) / 1e3);
		printf("upgrade|%.0f\n", now_ms() - a);
		return 0;
	}
	/* station db compact's VACUUM: the pages an upgrade left free given
	 * back, as a plant does after it (docs/database.md) */
	if (argc == 3 && !strcmp(argv[1], "compact")) {
		struct db_space before, after;
		struct db *db;
		struct st_error e;
		bool wal_kept;
		double a = now_ms();

		if (db_open(&db, argv[2], NULL, &e) < 0 ||
		    db_compact(db, NULL, NULL, &before, &after, &wal_kept, &e) < 0) {
			fprintf(stderr, "report_1m: %s\n", e.msg);
			return 1;
		}
		db_close(db);
		fprintf(stderr, "report_1m: compacted %lld -> %lld MiB in %.0f s\n",
			(long long)(before.pages * before.page_size >> 20),
			(long long)(after.pages * after.page_size >> 20), (now_ms() - a) / 1e3);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "steplog"))
		return steplog(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "runend"))
		return runend(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "filters"))
		return filters(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "capability"))
		return capability(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "spc"))
		return spc(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "plantdays"))
		return plantdays(argv[2], atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "query"))
		return query(argv[2], atoi(argv[3]), argc > 4 && !strcmp(argv[4], "exact"));
	fprintf(stderr, "usage: report_1m gen DB RUNS | steplog DB N | runend DB N | query DB REPEATS [exact] | filters DB REPEATS"
		" | capability DB REPEATS | plantdays DB REPEATS | spc DB REPEATS | migrate DB\n");
	return 2;
}
