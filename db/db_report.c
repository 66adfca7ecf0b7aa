/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Gathering station report's numbers.  On a log of millions of runs the
 * summaries of schema 3 answer (db_report_sum.c); here are the same numbers
 * from the rows, used when a filter needs them and by the tests that hold
 * both to the same result (the measurements' statistics:
 * db_report_stats.c).  Yield counts units per operation (a unit
 * passed if any of its judged runs passed); first-pass yield takes each
 * unit's first judged run of the operation over the whole log, then applies
 * the filters to it, so a --since window does not make a retest look
 * "first" (docs/quality.md).  A run counts once it has ended:
 * runs in progress are left out, as in the v_* views.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"
#include "db/db_report_sum.h"

#define DAY "date(r.started_us / 1000000, 'unixepoch')"
#define BY_DAY(col) "CASE WHEN ?8 IS NULL THEN '' ELSE " col " END"

static const char yield_sql[] =
	"WITH y AS (SELECT " DAY " AS day, count(*) AS runs"
	"  FROM runs r WHERE r.outcome <> 'running' AND " REP_WHERE " GROUP BY " BY_DAY("day") "),"
	" u AS (SELECT " DAY " AS day, max(r.outcome = 'pass') AS passed FROM runs r"
	"  WHERE " REP_JUDGED " AND " REP_WHERE
	"  GROUP BY " BY_DAY("day") ", r.unit_serial, " DB_OP("r") "),"
	" uy AS (SELECT day, count(*) AS units, sum(passed) AS passed FROM u GROUP BY " BY_DAY("day") "),"
	" f AS (SELECT " DAY " AS day, count(*) AS units, sum(r.outcome = 'pass') AS passed"
	"  FROM runs r WHERE " REP_WHERE " AND " REP_FIRST_OF_OP
	"  GROUP BY " BY_DAY("day") ")"
	" SELECT y.day, y.runs, coalesce(uy.units, 0), coalesce(uy.passed, 0), coalesce(f.units, 0),"
	" coalesce(f.passed, 0) FROM y LEFT JOIN uy ON (?8 IS NULL OR uy.day = y.day)"
	" LEFT JOIN f ON (?8 IS NULL OR f.day = y.day) ORDER BY y.day";

/* From the runs the filter selects to their steps (CROSS JOIN keeps that
 * order): left to itself the planner starts from every failing step of the
 * log, a quarter of a second on a million runs even for one unit. */
static const char pareto_sql[] =
	"SELECT s.name, count(*) FROM runs r CROSS JOIN steps s ON s.run_id = r.id"
	" WHERE s.outcome IN ('fail', 'error') AND " DB_LEAF_STEP " AND r.outcome <> 'running' AND "
	REP_WHERE
	" GROUP BY s.name ORDER BY 2 DESC, 1";

double rep_ratio(int64_t num, int64_t den)
{
	return den ? (double)num / (double)den : NAN;
}

/* Per day (by_day) or one total row. */
static int yields(sqlite3 *h, struct report *r, bool by_day)
{
	sqlite3_stmt *st = dbr_prepare_where(h, yield_sql, r->f);

	if (!st)
		return -1;
	if (by_day)
		sqlite3_bind_int(st, 8, 1);
	if (r->with_errors)
		sqlite3_bind_int(st, 9, 1);
	return rep_yield_rows(st, r, by_day);
}

sqlite3_stmt *rep_pareto_stmt(sqlite3 *h, const struct rep_filter *f)
{
	return dbr_prepare_where(h, pareto_sql, f);
}

static int pareto(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = rep_pareto_stmt(h, r->f);

	if (!st)
		return -1;
	return rep_pareto_rows(st, r);
}

static int day_add(struct report *r, sqlite3_stmt *st, const struct rep_counts *c)
{
	struct rep_day *nd = realloc(r->days, (r->ndays + 1) * sizeof(*r->days));

	if (!nd)
		return -1;
	r->days = nd;
	memset(&nd[r->ndays], 0, sizeof(*nd));
	snprintf(nd[r->ndays].day, sizeof(nd[0].day), "%s", (const char *)sqlite3_column_text(st, 0));
	nd[r->ndays++].c = *c;
	return 0;
}

static int fail_add(struct report *r, sqlite3_stmt *st)
{
	struct rep_fail *nf = realloc(r->fails, (r->nfails + 1) * sizeof(*r->fails));

	if (!nf)
		return -1;
	r->fails = nf;
	nf[r->nfails].step = dbr_dup_col(st, 0);
	nf[r->nfails].count = sqlite3_column_int64(st, 1);
	r->fail_total += nf[r->nfails++].count;
	return 0;
}

/* Rows of (day, runs, units, passed, first units, first passed): the total,
 * or one entry a day. Finalizes st. */
int rep_yield_rows(sqlite3_stmt *st, struct report *r, bool by_day)
{
	struct rep_counts c;

	while (sqlite3_step(st) == SQLITE_ROW) {
		c = (struct rep_counts){ sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
					 sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
					 sqlite3_column_int64(st, 5) };
		if (!by_day)
			r->total = c;
		else if (day_add(r, st, &c))
			break;
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* Rows of (step, failures), most first. Finalizes st. */
int rep_pareto_rows(sqlite3_stmt *st, struct report *r)
{
	while (sqlite3_step(st) == SQLITE_ROW)
		if (fail_add(r, st))
			break;
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

bool report_can_summarise(const struct rep_filter *f)
{
	const int64_t hour = 3600000000LL;

	/* the summary cells know hour, fixture, sequence, outcome and (schema
	 * 12) the line: station, operator, work order, part number, revision;
	 * not units (--serial: the rows, through runs_unit_started) */
	return !f->serial && (!f->has_since || f->since_us % hour == 0) &&
	       (!f->has_until || f->until_us % hour == 0);
}

bool report_filter_line(const struct rep_filter *f)
{
	return f->operator_name || f->work_order || f->part_number || f->revision;
}

/* Steps that talked to the CMS with cms.insecure, in the runs selected
 * (through the partial index step_values_insecure).  [1]: when the
 * summaries answer, the filters are coarse (an outcome, a fixture, hours):
 * start from the few marked steps, not from every run an outcome selects. */
static const char *const insecure_sql[] = {
	"SELECT count(*) FROM step_values v JOIN steps s ON s.id = v.step_id"
	" JOIN runs r ON r.id = s.run_id WHERE v.key = 'cms.insecure'"
	" AND r.outcome <> 'running' AND " REP_WHERE,
	"SELECT count(*) FROM step_values v CROSS JOIN steps s ON s.id = v.step_id"
	" CROSS JOIN runs r ON r.id = s.run_id WHERE v.key = 'cms.insecure'"
	" AND r.outcome <> 'running' AND " REP_WHERE,
};

static int insecure(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = dbr_prepare_where(h, insecure_sql[r->summary], r->f);

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		r->cms_insecure = sqlite3_column_int64(st, 0);
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* Error and aborted runs (through runs_outcome), runs without a serial
 * (through runs_unit_started, where NULLs come first: forced when the
 * summaries answer, or --outcome pass would read every passing run). */
#define UNJUDGED(by) \
	"SELECT (SELECT count(*) FROM runs r WHERE r.outcome = 'error' AND " REP_WHERE ")," \
	" (SELECT count(*) FROM runs r WHERE r.outcome = 'aborted' AND " REP_WHERE ")," \
	" (SELECT count(*) FROM runs r " by " WHERE r.unit_serial IS NULL" \
	"  AND r.outcome <> 'running' AND " REP_WHERE ")"
static const char *const unjudged_sql[] = { UNJUDGED(""), UNJUDGED("INDEXED BY runs_unit_started") };

/* The stations that wrote to this log, for the report's header. */
static const char stations_sql[] =
	"SELECT group_concat(name, ', ') FROM (SELECT name FROM stations ORDER BY name LIMIT 32)";

static int stations(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = dbr_prepare(h, stations_sql);

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		r->stations = dbr_dup_col(st, 0);
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static int unjudged(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = dbr_prepare_where(h, unjudged_sql[r->summary], r->f);

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->errors = sqlite3_column_int64(st, 0);
		r->aborted = sqlite3_column_int64(st, 1);
		r->unidentified = sqlite3_column_int64(st, 2);
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static int query(sqlite3 *h, struct report *r, enum rep_query q)
{
	if (q == REP_Q_INSECURE)	/* a few rows: no summary needed */
		return insecure(h, r);
	if (q == REP_Q_UNJUDGED)
		return unjudged(h, r) || stations(h, r);
	if (r->summary)
		return rep_sum_query(h, r, q);
	switch (q) {
	case REP_Q_TOTAL: return yields(h, r, false);
	case REP_Q_DAYS: return yields(h, r, true);
	case REP_Q_PARETO: return pareto(h, r);
	case REP_Q_STATS: return rep_stats_rows(h, r);
	case REP_Q_HIST: return 0;	/* the statistics' one pass made them */
	default: return -1;
	}
}

int report_query(struct db *db, struct report *r, enum rep_query q, struct st_error *e)
{
	int ret;

	pthread_mutex_lock(&db->mu);
	ret = query(db->h, r, q);
	if (ret)
		ret = st_fail(e, ST_ERR_DB, "cannot read the log: %s", sqlite3_errmsg(db->h));
	pthread_mutex_unlock(&db->mu);
	return ret;
}

static bool same_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static int mode_cmp(const void *x, const void *y)
{
	const struct rep_mode *a = x, *b = y;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if ((c = strcmp(a->step, b->step)) || (c = strcmp(a->name, b->name)))
		return c;
	if (!a->sequence != !b->sequence)	/* no sequence first, as SQL's NULLs */
		return a->sequence ? 1 : -1;
	if (a->sequence && (c = strcmp(a->sequence, b->sequence)))
		return c;
	return a->high - b->high;
}

/* The failure modes from the measurements' counts beyond each limit. */
int rep_modes(struct report *r)
{
	r->modes = calloc(2 * (size_t)r->nmeas + 1, sizeof(*r->modes));
	if (!r->modes)
		return -1;
	for (int i = 0; i < r->nmeas; i++) {
		const struct rep_meas *m = &r->meas[i];

		for (int high = 0; high < 2; high++) {
			int64_t n = high ? m->out_high : m->out_low;
			int k;

			if (!n)
				continue;
			for (k = 0; k < r->nmodes; k++)
				if (r->modes[k].high == high && same_str(r->modes[k].sequence,
									 m->sequence) &&
				    !strcmp(r->modes[k].step, m->step) &&
				    !strcmp(r->modes[k].name, m->name))
					break;
			if (k == r->nmodes)
				r->modes[r->nmodes++] = (struct rep_mode){ m->sequence, m->step,
									   m->name, high, 0 };
			r->modes[k].count += n;
			r->mode_total += n;
		}
	}
	qsort(r->modes, r->nmodes, sizeof(*r->modes), mode_cmp);
	return 0;
}

/* Every section from one snapshot of the log: one read transaction on
 * this connection (WAL: the runs a station ends meanwhile are in none of
 * the sections, not in the Pareto but missing from the totals), db->mu
 * held throughout so that no other statement on it joins the transaction. */
int report_build(struct db *db, const struct rep_filter *f, struct report *r,
		 struct st_error *e)
{
	bool txn;
	int ret = 0;

	r->f = f;
	/* a window off the hour: its whole hours' cells and its minutes' rows */
	r->summary = !r->exact && (report_can_summarise(f) || rep_edges_usable(f));
	pthread_mutex_lock(&db->mu);
	txn = sqlite3_get_autocommit(db->h) && sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) ==
						    SQLITE_OK;
	for (int q = 0; q < REP_Q__COUNT && !ret; q++) {
		if (r->days_only && q != REP_Q_DAYS)
			continue;
		if (query(db->h, r, q))
			ret = st_fail(e, ST_ERR_DB, "cannot read the log: %s", sqlite3_errmsg(db->h));
		if (!ret && r->between)
			r->between(r->between_ctx, (enum rep_query)q);
	}
	if (!ret && !r->days_only)
		ret = dbi_suspects_count(db, f, &r->suspects, e);
	if (txn)
		sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);	/* reads only: ends it */
	pthread_mutex_unlock(&db->mu);
	if (!ret && rep_modes(r))
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory");
	return ret;
}

void report_free(struct report *r)
{
	for (int i = 0; i < r->nfails; i++)
		free(r->fails[i].step);
	for (int i = 0; i < r->nmeas; i++) {
		free(r->meas[i].sequence);
		free(r->meas[i].step);
		free(r->meas[i].name);
		free(r->meas[i].unit);
	}
	free(r->fails);
	free(r->modes);
	free(r->stations);
	free(r->meas);
	free(r->days);
	memset(r, 0, sizeof(*r));
}
