/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A report window whose ends are not on the hour (a shift from 06:30, a
 * week from Monday 05:45): the hour cells answer its whole hours
 * (db_report_sum.c), the rows the minutes before the first whole hour and
 * after the last, at most an hour's runs at each end, through runs_started.
 * What the rows give is added to what the cells gave, as the rows of the
 * whole window would give it (the tests hold both to the same result):
 * runs, first runs, failures and every measurement's sums, extremes and
 * bins add up; a unit counts once per operation (and day), so a unit of
 * the minutes counts only when no selected cell holds it already, and as
 * passed only when none of those cells had it pass (with --with-errors,
 * counted by the whole hours also where it has an error or aborted run
 * there, as the cells' correction counts it).  Measurements are
 * summed about their summary key's reference and binned in its frame, as
 * the cells hold them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_report_sum.h"

int rep_filter_minutes(const struct rep_filter *f, struct rep_filter out[2],
		       struct rep_filter *whole)
{
	int64_t h0, h1;
	int n = 0;

	rep_sum_hours(f, &h0, &h1);
	if (whole) {
		*whole = *f;
		whole->since_us = f->has_since ? h0 * HOUR_US : 0;
		whole->until_us = f->has_until ? h1 * HOUR_US : 0;
	}
	if (!f->has_since && !f->has_until)
		return 0;
	if (f->has_since && f->has_until && h0 > h1) {	/* within one hour */
		out[n++] = *f;
		return n;
	}
	if (f->has_since && f->since_us < h0 * HOUR_US) {
		out[n] = *f;
		out[n].has_until = true;
		out[n++].until_us = h0 * HOUR_US;
	}
	if (f->has_until && f->until_us > h1 * HOUR_US) {
		out[n] = *f;
		out[n].has_since = true;
		out[n++].since_us = h1 * HOUR_US;
	}
	return n;
}

static int edges(const struct rep_filter *f, struct rep_filter out[2])
{
	return rep_filter_minutes(f, out, NULL);
}

static bool off_hour(bool has, int64_t us)
{
	return has && us % HOUR_US != 0;
}

bool rep_edges_usable(const struct rep_filter *f)
{
	return !f->serial &&
	       (off_hour(f->has_since, f->since_us) || off_hour(f->has_until, f->until_us));
}

/* --- yields ------------------------------------------------------------- */

/* The minutes' ended runs: the day (?8 set; the plant's with the periods
 * ?12), the unit and operation of a judged run (?9, --with-errors: error
 * and aborted runs judge it too), whether it passed, and whether it is its
 * unit's first judged run of the operation over the whole log. */
static const char runs_sql[] =
	"WITH tzq AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS h0,"
	"  json_extract(value, '$[1]') AS h1, json_extract(value, '$[2]') AS off"
	"  FROM json_each(?12))"
	" SELECT CASE WHEN ?8 IS NULL THEN '' ELSE date(" PDAY_IN("tzq", "r.started_us / 3600000000")
	" * 86400, 'unixepoch') END, " PDAY_IN("tzq", "r.started_us / 3600000000") ","
	" CASE WHEN " REP_JUDGED " THEN r.unit_serial END, coalesce(r.sequence_name, ''),"
	" r.outcome = 'pass', " REP_FIRST_OF_OP
	" FROM runs r WHERE r.outcome <> 'running' AND " REP_WHERE;

/* Do the whole hours (of the day ?32 with ?6) count unit ?30 of operation
 * ?31: does a selected cell hold it, and did it pass there; with ?9
 * (--with-errors), or has it an error or aborted run there? */
static const char unit_sql[] =
	"WITH " PLANT_PERIODS ","
	" u AS (SELECT count(*) AS n, coalesce(max(uc.passed), 0) AS p FROM unit_cells uc"
	"  CROSS JOIN cells c ON c.id = uc.cell WHERE uc.unit = ?30"
	"  AND coalesce(c.sequence_name, '') = ?31 AND " CELL_WHERE
	"  AND (?6 IS NULL OR " PDAY("c.hour") " = ?32))"
	" SELECT u.n > 0 OR (?9 IS NOT NULL AND EXISTS (SELECT 1 FROM runs e"
	"  WHERE e.unit_serial = ?30 AND coalesce(e.sequence_name, '') = ?31"
	"  AND e.outcome IN ('error', 'aborted') AND " E_SEL("e")
	"  AND (?6 IS NULL OR " PDAY("e.started_us / 3600000000") " = ?32))), u.p FROM u";

/* A unit-operation judged in the minutes, on a day. */
struct eunit {
	char day[16];
	int64_t dnum;
	char *unit, *op;
	int passed;
};

struct eyield {
	struct eunit *u;
	int n, cap;
	struct rep_day *d;	/* the minutes' own counts a day ("" in all) */
	int nd;
};

static int eunit_cmp(const void *a, const void *b)
{
	const struct eunit *x = a, *y = b;
	int c = strcmp(x->day, y->day);

	if (!c)
		c = strcmp(x->unit, y->unit);
	return c ? c : strcmp(x->op, y->op);
}

static struct rep_counts *eday(struct eyield *y, const char *day)
{
	struct rep_day *nd;

	for (int i = 0; i < y->nd; i++)
		if (!strcmp(y->d[i].day, day))
			return &y->d[i].c;
	if (!(nd = realloc(y->d, (y->nd + 1) * sizeof(*nd))))
		return NULL;
	y->d = nd;
	memset(&nd[y->nd], 0, sizeof(*nd));
	snprintf(nd[y->nd].day, sizeof(nd[0].day), "%s", day);
	return &nd[y->nd++].c;
}

static int eunit_add(struct eyield *y, sqlite3_stmt *st, const char *day)
{
	struct eunit *u;

	if (y->n == y->cap) {
		int cap = y->cap ? 2 * y->cap : 64;
		struct eunit *nu = realloc(y->u, cap * sizeof(*nu));

		if (!nu)
			return -1;
		y->u = nu;
		y->cap = cap;
	}
	u = &y->u[y->n];
	snprintf(u->day, sizeof(u->day), "%s", day);
	u->dnum = sqlite3_column_int64(st, 1);
	u->unit = dbr_dup_col(st, 2);
	u->op = dbr_dup_col(st, 3);
	u->passed = sqlite3_column_int(st, 4);
	if (!u->unit || !u->op) {
		free(u->unit);
		free(u->op);
		return -1;
	}
	y->n++;
	return 0;
}

/* The minutes' runs of one end into y. */
static int eruns(sqlite3 *h, struct report *r, const struct rep_filter *f, bool by_day,
		 struct eyield *y)
{
	sqlite3_stmt *st = dbr_prepare_where(h, runs_sql, f);
	int ret = 0;

	if (!st)
		return -1;
	if (by_day)
		sqlite3_bind_int(st, 8, 1);
	if (r->with_errors)
		sqlite3_bind_int(st, 9, 1);
	if (by_day && r->days_tz)
		sqlite3_bind_text(st, 12, r->plant_periods, -1, SQLITE_STATIC);
	while (!ret && sqlite3_step(st) == SQLITE_ROW) {
		const char *day = (const char *)sqlite3_column_text(st, 0);
		struct rep_counts *c = eday(y, day ? day : "");
		int pass = sqlite3_column_int(st, 4);

		if (!c) {
			ret = -1;
			break;
		}
		c->runs++;
		if (sqlite3_column_int(st, 5)) {
			c->first_units++;
			c->first_passed += pass;
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL && eunit_add(y, st, day ? day : ""))
			ret = -1;
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		ret = -1;
	return ret;
}

/* Each distinct unit-operation (of a day) of the minutes: counted unless a
 * selected cell holds it, as passed unless such a cell had it pass. */
static int eunits(sqlite3 *h, struct report *r, bool by_day, struct eyield *y)
{
	sqlite3_stmt *st = dbr_prepare(h, unit_sql);
	int ret = 0;

	if (!st)
		return -1;
	rep_sum_bind_cells(st, r->f);
	if (by_day)
		sqlite3_bind_int(st, 6, 1);
	if (r->with_errors)
		sqlite3_bind_int(st, 9, 1);
	if (by_day && r->days_tz)
		sqlite3_bind_text(st, 12, r->plant_periods, -1, SQLITE_STATIC);
	qsort(y->u, y->n, sizeof(*y->u), eunit_cmp);
	for (int i = 0; i < y->n && !ret;) {
		struct eunit *u = &y->u[i];
		int passed = 0, j;

		for (j = i; j < y->n && !eunit_cmp(u, &y->u[j]); j++)
			passed |= y->u[j].passed;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 30, u->unit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 31, u->op, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 32, u->dnum);
		if (sqlite3_step(st) != SQLITE_ROW) {
			ret = -1;
			break;
		}
		struct rep_counts *c = eday(y, u->day);

		if (!c) {
			ret = -1;
			break;
		}
		if (!sqlite3_column_int(st, 0)) {
			c->units++;
			c->passed += passed;
		} else if (passed && !sqlite3_column_int(st, 1)) {
			c->passed++;
		}
		i = j;
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		ret = -1;
	return ret;
}

static void counts_add(struct rep_counts *a, const struct rep_counts *b)
{
	a->runs += b->runs;
	a->units += b->units;
	a->passed += b->passed;
	a->first_units += b->first_units;
	a->first_passed += b->first_passed;
}

int rep_day_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rep_day *)a)->day, ((const struct rep_day *)b)->day);
}

/* The minutes' counts into r's total, or into its days (a day of the
 * minutes alone: a new one, in order). */
static int emerge(struct report *r, bool by_day, const struct eyield *y)
{
	for (int i = 0; i < y->nd; i++) {
		struct rep_day *d = NULL, *nd;

		if (!by_day) {
			counts_add(&r->total, &y->d[i].c);
			continue;
		}
		for (int k = 0; k < r->ndays && !d; k++)
			if (!strcmp(r->days[k].day, y->d[i].day))
				d = &r->days[k];
		if (!d) {
			if (!(nd = realloc(r->days, (r->ndays + 1) * sizeof(*nd))))
				return -1;
			r->days = nd;
			d = &nd[r->ndays++];
			memset(d, 0, sizeof(*d));
			memcpy(d->day, y->d[i].day, sizeof(d->day));
		}
		counts_add(&d->c, &y->d[i].c);
	}
	if (by_day && r->ndays > 1)
		qsort(r->days, r->ndays, sizeof(*r->days), rep_day_cmp);
	return 0;
}

int rep_edge_yields(sqlite3 *h, struct report *r, bool by_day)
{
	struct rep_filter f[2];
	struct eyield y = { 0 };
	int n = rep_edges_usable(r->f) ? edges(r->f, f) : 0, ret = 0;

	for (int i = 0; i < n && !ret; i++)
		ret = eruns(h, r, &f[i], by_day, &y);
	if (!ret && y.n)
		ret = eunits(h, r, by_day, &y);
	if (!ret)
		ret = emerge(r, by_day, &y);
	for (int i = 0; i < y.n; i++) {
		free(y.u[i].unit);
		free(y.u[i].op);
	}
	free(y.u);
	free(y.d);
	return ret;
}

/* --- Pareto ------------------------------------------------------------- */

int rep_fail_cmp(const void *a, const void *b)
{
	const struct rep_fail *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->step, y->step);
}

int rep_edge_pareto(sqlite3 *h, struct report *r)
{
	struct rep_filter f[2];
	int n = rep_edges_usable(r->f) ? edges(r->f, f) : 0, ret = 0;

	for (int i = 0; i < n && !ret; i++) {
		sqlite3_stmt *st = rep_pareto_stmt(h, &f[i]);

		if (!st)
			return -1;
		while (!ret && sqlite3_step(st) == SQLITE_ROW) {
			const char *step = (const char *)sqlite3_column_text(st, 0);
			int64_t count = sqlite3_column_int64(st, 1);
			struct rep_fail *nf;
			int k;

			for (k = 0; k < r->nfails && strcmp(r->fails[k].step, step ? step : ""); k++)
				;
			if (k == r->nfails) {
				if (!(nf = realloc(r->fails, (r->nfails + 1) * sizeof(*nf))) ||
				    !(nf[k].step = strdup(step ? step : ""))) {
					if (nf)
						r->fails = nf;
					ret = -1;
					break;
				}
				r->fails = nf;
				nf[r->nfails++].count = 0;
			}
			r->fails[k].count += count;
			r->fail_total += count;
		}
		if (sqlite3_finalize(st) != SQLITE_OK)
			ret = -1;
	}
	if (!ret && r->nfails > 1)
		qsort(r->fails, r->nfails, sizeof(*r->fails), rep_fail_cmp);
	return ret;
}

/* --- measurements ------------------------------------------------------- */

/* The minutes' values with their summary key (columns 0-5 its name, as
 * rep_meas_add() takes them; 6 its id, 7 the value, 8 the reference, 9-11
 * the histogram's frame).  Every value of an ended run has its key: the
 * run's summary was kept in its last transaction. */
static const char values_sql[] =
	FILTERED_RUNS "SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, k.id,"
	" m.value, k.ref, k.hist_lo, k.hist_width, k.hist_hi"
	" FROM fr CROSS JOIN steps s ON s.run_id = fr.id CROSS JOIN measurements m ON m.step_id = s.id"
	" JOIN meas_keys k ON k.name = m.name AND k.step = s.name"
	" AND k.sequence_name IS fr.sequence_name AND k.unit IS m.unit AND k.low IS m.low"
	" AND k.high IS m.high WHERE m.value IS NOT NULL ORDER BY m.id";

struct rep_meas *rep_meas_by_key(struct report *r, int64_t key)
{
	for (int i = 0; i < r->nmeas; i++)
		if (r->meas[i].key == key)
			return &r->meas[i];
	return NULL;
}

/* NULL first, then numbers (SQLite's order) */
static int real_cmp(bool ha, double a, bool hb, double b)
{
	if (ha != hb)
		return ha ? 1 : -1;
	return !ha ? 0 : a < b ? -1 : a > b;
}

static int text_cmp(const char *a, const char *b)
{
	if (a && b)
		return strcmp(a, b);
	return a ? 1 : b ? -1 : 0;
}

/* The cells' order (db_report_sum.c stats_sql): sequence, step, name, low,
 * high, unit. */
int rep_meas_cmp(const void *x, const void *y)
{
	const struct rep_meas *a = x, *b = y;
	int c;

	if ((c = text_cmp(a->sequence, b->sequence)) || (c = text_cmp(a->step, b->step)) ||
	    (c = text_cmp(a->name, b->name)) ||
	    (c = real_cmp(a->has_low, a->low, b->has_low, b->low)) ||
	    (c = real_cmp(a->has_high, a->high, b->has_high, b->high)))
		return c;
	return text_cmp(a->unit, b->unit);
}

/* Each value of the minutes to fn with its measurement in r (one added
 * when the cells had none of its key). */
static int each_value(sqlite3 *h, struct report *r,
		      void (*fn)(struct rep_meas *m, double v, void *ctx), void *ctx)
{
	struct rep_filter f[2];
	int n = edges(r->f, f), ret = 0;

	for (int i = 0; i < n && !ret; i++) {
		sqlite3_stmt *st = dbr_prepare_where(h, values_sql, &f[i]);

		if (!st)
			return -1;
		while (!ret && sqlite3_step(st) == SQLITE_ROW) {
			int64_t key = sqlite3_column_int64(st, 6);
			double v = sqlite3_column_double(st, 7);
			struct rep_meas *m = rep_meas_by_key(r, key);

			if (!m) {
				if (!(m = rep_meas_add(r, st)) || !m->step || !m->name) {
					ret = -1;
					break;
				}
				m->key = key;
				m->ref = sqlite3_column_double(st, 8);
				m->fr = (struct db_hist_frame){ sqlite3_column_double(st, 9),
								sqlite3_column_double(st, 10),
								sqlite3_column_double(st, 11) };
				m->min = m->max = v;
			}
			fn(m, v, ctx);
		}
		if (sqlite3_finalize(st) != SQLITE_OK)
			ret = -1;
	}
	return ret;
}

/* as db_summary.c's meas_add() sums a value into a cell */
static void sum_value(struct rep_meas *m, double v, void *ctx)
{
	double d = v - m->ref;

	(void)ctx;
	m->n++;
	m->s1 += d;
	m->s2 += d * d;
	m->min = v < m->min ? v : m->min;
	m->max = v > m->max ? v : m->max;
	m->out_low += m->has_low && v < m->low;
	m->out_high += m->has_high && v > m->high;
}

int rep_edge_stats(sqlite3 *h, struct report *r)
{
	if (!rep_edges_usable(r->f))
		return 0;
	if (each_value(h, r, sum_value, NULL))
		return -1;
	for (int i = 0; i < r->nmeas; i++)
		rep_meas_moments(&r->meas[i]);
	if (r->nmeas > 1)
		qsort(r->meas, r->nmeas, sizeof(*r->meas), rep_meas_cmp);
	return 0;
}

struct ebins {
	struct report *r;
	int64_t (*tail)[2][REP_TAIL_MAX];
	int n;	/* tail's entries */
};

static void bin_value(struct rep_meas *m, double v, void *ctx)
{
	struct ebins *b = ctx;
	int side, j = rep_tail_bin(&m->fr, v, &side), i = (int)(m - b->r->meas);

	m->all[db_hist_bin(&m->fr, v)]++;
	if (j >= 0 && i < b->n)
		b->tail[i][side][j]++;
}

int rep_edge_hist(sqlite3 *h, struct report *r, int64_t (*tail)[2][REP_TAIL_MAX])
{
	struct ebins b = { r, tail, r->nmeas };
	int n = r->nmeas, ret;

	if (!rep_edges_usable(r->f))
		return 0;
	ret = each_value(h, r, bin_value, &b);
	/* the statistics took in every key of the minutes: none is new here */
	return !ret && r->nmeas != n ? -1 : ret;
}
