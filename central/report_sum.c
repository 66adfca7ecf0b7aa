/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --central from the summaries of central schema 4
 * (schema_sum.c): the yields, first-pass yields, Pareto and measurement
 * statistics with their histograms from a few thousand cell rows instead
 * of millions of runs, as db/db_report_sum.c does on a log.  A filter of
 * whole UTC days, fixture, station and sequence can be answered so, and
 * (version 12, schema_v12.c) outcome, operator, work order, part number
 * and revision; the cells of the level that filter selects (nothing, one
 * sequence name, one station, one fixture: their own level; more, or an
 * outcome or a line value: the finest).  Distinct unit
 * counts come from per-cell counts less, for each unit marked multi, the
 * extra selected cells; mean and sigma from sums about a reference; the
 * histogram bins, fixed per measurement, add up across cells.  A window
 * whose ends are not at midnight: the cells of its whole days, and the
 * rows of the partial days at its ends added (report_edge.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central-internal.h"

bool cps_usable(const struct rep_filter *f)
{
	struct rep_filter g = *f;

	g.station = NULL;	/* the central cells know stations too */
	/* ... and (version 12) outcomes and the line at level 'x'; days, not
	 * hours (the log's): a window of whole days only */
	return report_can_summarise(&g) &&
	       (!f->has_since || f->since_us % CPI_DAY_US == 0) &&
	       (!f->has_until || f->until_us % CPI_DAY_US == 0);
}

int cps_version(const struct rep_filter *f)
{
	return f->outcome || report_filter_line(f) ? 12 : 6;
}

static void cterm(struct cps_cells *p, const char *col, const char *op, const char *val)
{
	size_t len = strlen(p->terms);

	if (!val)
		return;
	p->v[p->n++] = val;
	snprintf(p->terms + len, sizeof(p->terms) - len, " AND c.%s %s $%d", col, op, p->n);
}

/* the terms of f's key columns (level 'x''s, or fewer) */
static void key_terms(const struct rep_filter *f, struct cps_cells *p)
{
	cterm(p, "station", "=", f->station);
	cterm(p, "fixture", "=", f->fixture);
	cterm(p, "sequence_name", "=", f->seq_name);
	cterm(p, "sequence_version", "=", f->seq_version);
	/* level 'x' (version 12): NULL where a run has no value, so that
	 * --operator '' selects only the runs whose operator is '' */
	cterm(p, "outcome", "=", f->outcome);
	cterm(p, "operator", "=", f->operator_name);
	cterm(p, "work_order", "=", f->work_order);
	cterm(p, "part_number", "=", f->part_number);
	cterm(p, "revision", "=", f->revision);
}

/* The level of f's cells and the terms that select them. */
void cps_cells_of(const struct rep_filter *f, struct cps_cells *p)
{
	int dims = !!f->seq_name + !!f->station + !!f->fixture;

	memset(p, 0, sizeof(*p));
	p->level[0] = f->seq_version || dims > 1 || cps_version(f) > 6 ? 'x' :
		      f->seq_name ? 'q' : f->station ? 't' : f->fixture ? 'f' : 'a';
	snprintf(p->since, sizeof(p->since), "%lld", (long long)(f->since_us / CPI_DAY_US));
	snprintf(p->until, sizeof(p->until), "%lld", (long long)(f->until_us / CPI_DAY_US));
	p->v[p->n++] = p->level;
	snprintf(p->terms, sizeof(p->terms), "c.level = $1");
	cterm(p, "day", ">=", f->has_since ? p->since : NULL);
	cterm(p, "day", "<", f->has_until ? p->until : NULL);
	key_terms(f, p);
}

/* The first day (days since the epoch) of day's UTC month, or of the next
 * month when up and day is not the first (central_day_month, schema_v13.c). */
static int64_t month_of(int64_t day, bool up)
{
	return cpi_floor_div(cpi_month_first(day * 86400, up), 86400);
}

/* text of p's terms, fmt with the next placeholder for val */
static void put(struct cps_cells *p, const char *fmt, const char *val)
{
	size_t len = strlen(p->terms);

	p->v[p->n++] = val;
	snprintf(p->terms + len, sizeof(p->terms) - len, fmt, p->n);
}

static void text(struct cps_cells *p, const char *t)
{
	size_t len = strlen(p->terms);

	snprintf(p->terms + len, sizeof(p->terms) - len, "%s", t);
}

/* The cells of f's measurement sums: f's cells, but from a store of
 * version 13 on, the month cells (their level in upper case, schema_v13.c)
 * of the whole UTC months in f's window (of whole days; no bound: every
 * month that way) and the day cells of its other days. */
void cps_meas_cells_of(const struct rep_filter *f, int version, struct cps_cells *p)
{
	int64_t d0 = f->since_us / CPI_DAY_US, d1 = f->until_us / CPI_DAY_US;
	int64_t m0 = f->has_since ? month_of(d0, true) : 0, m1 = f->has_until ? month_of(d1, false) : 0;

	cps_cells_of(f, p);
	if (version < 13 || (f->has_since && f->has_until && m0 >= m1))
		return;
	snprintf(p->m0, sizeof(p->m0), "%lld", (long long)m0);
	snprintf(p->m1, sizeof(p->m1), "%lld", (long long)m1);
	p->month[0] = (char)(p->level[0] - 'a' + 'A');
	p->n = 1;
	p->terms[0] = '\0';
	put(p, "(c.level = $%d", p->month);
	if (f->has_since)
		put(p, " AND c.day >= $%d", p->m0);
	if (f->has_until)
		put(p, " AND c.day < $%d", p->m1);
	text(p, " OR c.level = $1 AND (false");
	if (f->has_since) {
		put(p, " OR c.day >= $%d", p->since);
		put(p, " AND c.day < $%d", p->m0);
	}
	if (f->has_until) {
		put(p, " OR c.day >= $%d", p->m1);
		put(p, " AND c.day < $%d", p->until);
	}
	text(p, "))");
	key_terms(f, p);
}

#define CELLS "WITH c AS MATERIALIZED (SELECT * FROM sum_cells c WHERE @W@)"
#define DAY "to_char(to_timestamp(c.day::bigint * 86400) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

/* @D@: the day, or '' for the total. */
static const char yield_sql[] =
	CELLS ","
	" t AS (SELECT @D@ AS d, sum(c.runs) AS runs, sum(c.units) AS units,"
	"  sum(c.passed) AS passed, sum(c.first_units) AS fu, sum(c.first_passed) AS fp"
	"  FROM c WHERE c.runs > 0 GROUP BY 1),"
	" k AS (SELECT d, sum(k - 1) AS du, sum(greatest(kp - 1, 0)) AS dp FROM ("
	"  SELECT uc.unit, @D@ AS d, count(*) AS k, count(*) FILTER (WHERE uc.passed) AS kp"
	"  FROM c JOIN sum_unit_cells uc ON uc.cell = c.id AND uc.multi GROUP BY 1, 2) x"
	"  GROUP BY d)"
	" SELECT t.d, t.runs, t.units - coalesce(k.du, 0), t.passed - coalesce(k.dp, 0), t.fu, t.fp"
	" FROM t LEFT JOIN k ON k.d = t.d ORDER BY t.d";

/* one cell list each: joined, so that the planner sees the cells' index */
#define JOIN_CELLS(t, a) " FROM sum_cells c JOIN " t " " a " ON " a ".cell = c.id WHERE @W@"

static const char pareto_sql[] =
	"SELECT sf.step, sum(sf.n)" JOIN_CELLS("sum_step_fails", "sf")
	" GROUP BY sf.step ORDER BY 2 DESC, sf.step COLLATE \"C\"";

static const char stats_sql[] =
	"SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, sum(m.n), k.ref,"
	" sum(m.s1), sum(m.s2), min(m.min), max(m.max), sum(m.out_low), sum(m.out_high), k.id,"
	" k.hist_lo, k.hist_width, k.hist_hi"
	" FROM sum_cells c JOIN sum_meas m ON m.cell = c.id JOIN sum_meas_keys k ON k.id = m.key"
	" WHERE @W@ GROUP BY k.id ORDER BY k.sequence_name COLLATE \"C\" NULLS FIRST, k.step COLLATE \"C\","
	" k.name COLLATE \"C\", k.low NULLS FIRST, k.high NULLS FIRST, k.unit COLLATE \"C\" NULLS FIRST";

/* the bins of the selected cells added up per measurement, those that
 * hold values (1 .. 60): a few thousand cells of 60 bins each, sent as
 * they are, cost more in transfer on a loaded machine than the sums */
static const char hist_sql[] =
	"SELECT m.key, b.i, sum(b.v) FROM sum_cells c JOIN sum_meas m ON m.cell = c.id"
	" CROSS JOIN LATERAL unnest(m.bins) WITH ORDINALITY AS b(v, i)"
	" WHERE @W@ AND b.v <> 0 GROUP BY 1, 2";

static PGresult *query(struct central *c, const char *sql, const struct cps_cells *p, const char *day)
{
	return cpi_query(c, sql, p->terms, p->n, p->v, day);
}

static int oom(struct st_error *e)
{
	return st_fail(e, ST_ERR_NOMEM, "out of memory");
}

static int yields(struct central *c, struct report *r, const struct cps_cells *p, bool by_day,
		  struct st_error *e)
{
	return cpi_yield_rows(c, query(c, yield_sql, p, by_day ? DAY : "''"), r, by_day, e);
}

static int pareto(struct central *c, struct report *r, const struct cps_cells *p, struct st_error *e)
{
	return cpi_pareto_rows(c, query(c, pareto_sql, p, ""), r, e);
}

void cps_stat_row(struct rep_meas *m, PGresult *q, int i)
{
	cpi_meas_key(m, q, i);
	m->n = cpi_i64(q, i, 6);
	m->ref = cpi_dbl(q, i, 7);
	m->s1 = cpi_dbl(q, i, 8);
	m->s2 = cpi_dbl(q, i, 9);
	m->min = cpi_dbl(q, i, 10);
	m->max = cpi_dbl(q, i, 11);
	m->out_low = cpi_i64(q, i, 12);
	m->out_high = cpi_i64(q, i, 13);
	m->key = cpi_i64(q, i, 14);
	m->fr = (struct db_hist_frame){ cpi_dbl(q, i, 15), cpi_dbl(q, i, 16), cpi_dbl(q, i, 17) };
	rep_meas_moments(m);
}

static int stats(struct central *c, struct report *r, const struct cps_cells *p, struct st_error *e)
{
	PGresult *q = query(c, stats_sql, p, "");
	int ret = cpi_ok(c, q, "read the measurements' summaries", e);
	int n = ret == ST_OK ? PQntuples(q) : 0;

	if (ret == ST_OK && n && !(r->meas = calloc(n, sizeof(*r->meas))))
		ret = oom(e);
	for (int i = 0; ret == ST_OK && i < n; i++) {
		cps_stat_row(&r->meas[i], q, i);
		r->nmeas++;
		if (!r->meas[i].step || !r->meas[i].name)
			ret = oom(e);
	}
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}

static int hist(struct central *c, struct report *r, const struct cps_cells *p, struct st_error *e)
{
	PGresult *q = query(c, hist_sql, p, "");
	int ret = cpi_ok(c, q, "read the histograms", e), k = 0;

	for (int i = 0; ret == ST_OK && r->nmeas && i < PQntuples(q); i++) {
		int64_t key = cpi_i64(q, i, 0), b = cpi_i64(q, i, 1);

		for (int t = 0; t < r->nmeas && r->meas[k].key != key; t++)
			k = (k + 1) % r->nmeas;
		if (r->meas[k].key == key && b >= 1 && b <= REP_BINS)
			r->meas[k].all[b - 1] += cpi_i64(q, i, 2);
	}
	for (int t = 0; ret == ST_OK && t < r->nmeas; t++)
		rep_hist_finish(&r->meas[t]);
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}

int cps_build(struct central *c, const struct rep_filter *f, int version, struct report *r,
	      struct st_error *e)
{
	struct rep_filter whole, edges[2];
	int n = cpe_split(f, &whole, edges), ret;
	struct cps_cells p, pm;

	/* the cells of the whole days, then (report_edge.c) the rows of the
	 * partial days at either end of a window off midnight */
	cps_cells_of(&whole, &p);
	ret = yields(c, r, &p, false, e);
	if (ret == ST_OK && n)
		ret = cpe_yields(c, r, &whole, edges, n, false, e);
	if (ret == ST_OK)
		ret = yields(c, r, &p, true, e);
	/* with r->with_errors, corrected by the error and aborted runs */
	if (ret == ST_OK && r->with_errors)
		ret = cps_with_errors(c, r, p.terms, p.n, p.v, DAY, e);
	if (ret == ST_OK && n)
		ret = cpe_yields(c, r, &whole, edges, n, true, e);
	if (ret == ST_OK)
		ret = pareto(c, r, &p, e);
	if (ret == ST_OK && n)
		ret = cpe_pareto(c, r, edges, n, version, e);
	/* the measurements: whole months from their month cells */
	cps_meas_cells_of(&whole, version, &pm);
	if (ret == ST_OK)
		ret = stats(c, r, &pm, e);
	if (ret == ST_OK && n)
		ret = cpe_stats(c, r, edges, n, version, e);
	if (ret == ST_OK)
		ret = hist(c, r, &pm, e);
	return ret;
}

/* The cells of f grouped by a key whose own level is level ('t', 'f',
 * 'q'; 'x' for a line value, version 12): those cells when f selects by
 * nothing else, else the finest. */
void cps_group_cells(const struct rep_filter *f, char level, struct cps_cells *p)
{
	cps_cells_of(f, p);
	if (p->level[0] == 'a')
		p->level[0] = level;
	else if (p->level[0] != level)
		p->level[0] = 'x';
}

/* The cells' yields per group of col (their column: c.station, c.fixture,
 * c.sequence_name, or an expression of one that is never NULL, as
 * read_grp.c makes of c.operator and c.work_order: the groups are joined
 * on it): yield_sql with the group for the day; a unit counted once per
 * group by the same correction, over its cells within the group. */
PGresult *cps_group_yields(struct central *c, const struct rep_filter *f, char level,
			   const char *col)
{
	struct cps_cells p;

	cps_group_cells(f, level, &p);
	return query(c, yield_sql, &p, col);
}

/* What error and aborted runs change per group (report_err.c). */
PGresult *cps_group_errors(struct central *c, const struct rep_filter *f, char level,
			   const char *col)
{
	struct cps_cells p;

	cps_group_cells(f, level, &p);
	return cps_errors_by(c, p.terms, p.n, p.v, col);
}
