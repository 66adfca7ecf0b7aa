/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --central: the numbers of db/db_report.c (yield, first-pass
 * yield, Pareto, per-measurement n, mean, sigma, min, max, beyond-limit
 * counts, histogram, Cpk; CMS calls without verification; suspect marks)
 * computed on the central store, into the same struct report, so that the
 * writers of report/ print them unchanged.  The SQL follows db_report.c's
 * statement by statement (the same definitions of a unit, a first run, a
 * leaf step); text sorts in byte order (COLLATE "C", NULLs first) as SQLite
 * does.  Histogram frames come from the limits, or from each measurement's
 * first value in time when a limit is missing.  A filter the summaries of
 * central schema 4 can answer (whole days, fixture, station, sequence;
 * from version 12 outcome, operator, work order, part number, revision)
 * reads them instead of the rows: report_sum.c; a window off midnight
 * with those filters, their whole days and the rows of the partial days
 * at its ends: report_edge.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central-internal.h"

/* yields count judged runs (pass or fail) of identified units, a unit
 * once per operation (sequence); first pass: its first judged run of the
 * operation; as db_report.c.  With --with-errors (the _E statement) error
 * and aborted runs judge their unit too, as failures. */
#define JUDGED_J CPI_JUDGED_J
#define JUDGED_E CPI_JUDGED_E
#define JUDGED(o) CPI_JUDGED(o)
#define FIRST_RUN(o) CPI_FIRST_RUN(o)
#define DAY CPI_ROWS_DAY

/* @D@: the day expression, or '' for the total; @W@: the filter's terms. */
#define YIELD_SQL(o) \
	"WITH y AS (SELECT @D@ AS day, count(*) AS runs" \
	"  FROM runs r WHERE r.outcome <> 'running' AND @W@ GROUP BY 1)," \
	" u AS (SELECT @D@ AS day, max(CASE WHEN r.outcome = 'pass' THEN 1 ELSE 0 END) AS passed" \
	"  FROM runs r WHERE " JUDGED(o) " AND @W@ GROUP BY 1, r.unit_serial, r.sequence_name)," \
	" uy AS (SELECT day, count(*) AS units, sum(passed) AS passed FROM u GROUP BY 1)," \
	" f AS (SELECT @D@ AS day, count(*) AS units," \
	"  count(*) FILTER (WHERE r.outcome = 'pass') AS passed" \
	"  FROM runs r WHERE " JUDGED(o) " AND @W@ AND " FIRST_RUN(o) " GROUP BY 1)" \
	" SELECT y.day, y.runs, coalesce(uy.units, 0), coalesce(uy.passed, 0)," \
	" coalesce(f.units, 0), coalesce(f.passed, 0) FROM y LEFT JOIN uy ON uy.day = y.day" \
	" LEFT JOIN f ON f.day = y.day ORDER BY y.day"
const char *const cpi_rows_yield_sql[2] = { YIELD_SQL(JUDGED_J), YIELD_SQL(JUDGED_E) };

const char cpi_rows_pareto_sql[] =
	"SELECT s.name, count(*) FROM steps s JOIN runs r ON r.id = s.run_id"
	" WHERE s.outcome IN ('fail', 'error') AND coalesce(s.kind, '') NOT IN ('group', 'include')"
	" AND r.outcome <> 'running' AND @W@ GROUP BY s.name ORDER BY 2 DESC, s.name COLLATE \"C\"";

/* Every value, in time order alone: meas_rows() finds each one's
 * measurement; the runs' steps apart (st), hashed against their
 * measurements (joined step by step, each step's look-up read all its run's
 * measurements).  A shift of the 1M-run store, 2,800 runs and 55,000
 * values: 340-550 -> 150-210 ms, most of it the sort by the key's six
 * columns before */
static const char values_sql[] =
	"WITH fr AS MATERIALIZED (SELECT r.id, r.sequence_name, r.started_us FROM runs r"
	"  WHERE r.outcome <> 'running' AND @W@),"
	" st AS MATERIALIZED (SELECT s.run_id, s.id, s.name FROM fr JOIN steps s ON s.run_id = fr.id)"
	" SELECT fr.sequence_name, s.name, m.name, m.unit, m.low, m.high, m.value"
	" FROM fr JOIN measurements m ON m.run_id = fr.id"
	" JOIN st s ON s.run_id = m.run_id AND s.id = m.step_id WHERE m.value IS NOT NULL"
	" ORDER BY fr.started_us, fr.id, m.id";

static const char insecure_sql[] =
	"SELECT count(*) FROM step_values v JOIN steps s ON s.run_id = v.run_id AND s.id = v.step_id"
	" JOIN runs r ON r.id = s.run_id WHERE v.key = 'cms.insecure' AND r.outcome <> 'running'"
	" AND @W@";
static const char unjudged_sql[] =
	"SELECT (SELECT count(*) FROM runs r WHERE r.outcome = 'error' AND @W@),"
	" (SELECT count(*) FROM runs r WHERE r.outcome = 'aborted' AND @W@),"
	" (SELECT count(*) FROM runs r WHERE r.unit_serial IS NULL AND r.outcome <> 'running'"
	"  AND @W@)";
/* the stations that sent runs, for the header (the log: those that wrote):
 * the first 32 found by runs_station one after the other, a look-up each
 * (a DISTINCT read the whole index, 80 ms on a million runs) */
static const char stations_sql[] =
	"WITH RECURSIVE s(station) AS ((SELECT station FROM runs ORDER BY station LIMIT 1)"
	" UNION ALL SELECT (SELECT r.station FROM runs r WHERE r.station > s.station"
	"  ORDER BY r.station LIMIT 1) FROM s WHERE s.station IS NOT NULL)"
	" SELECT string_agg(station, ', ' ORDER BY station COLLATE \"C\") FROM"
	" (SELECT station FROM s WHERE station IS NOT NULL LIMIT 32) t";
/* as db_suspects_count(): time, fixture and station only */
static const char suspects_sql[] =
	"SELECT count(*) FROM suspects s JOIN runs r ON r.id = s.run_id WHERE @W@";

struct params {
	char terms[512];
	const char *v[12];
	char since[24], until[24];
	int n;
};

static void term(struct params *p, bool on, const char *col, const char *op, const char *val)
{
	size_t len = strlen(p->terms);

	if (!on)
		return;
	p->v[p->n++] = val;
	snprintf(p->terms + len, sizeof(p->terms) - len, "%s%s %s $%d", len ? " AND " : "", col,
		 op, p->n);
}

static void params(const struct rep_filter *f, bool all, struct params *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->since, sizeof(p->since), "%lld", (long long)f->since_us);
	snprintf(p->until, sizeof(p->until), "%lld", (long long)f->until_us);
	term(p, f->has_since, "r.started_us", ">=", p->since);
	term(p, f->has_until, "r.started_us", "<", p->until);
	term(p, f->fixture != NULL, "r.fixture", "=", f->fixture);
	term(p, all && f->seq_name, "r.sequence_name", "=", f->seq_name);
	term(p, all && f->seq_version, "r.sequence_version", "=", f->seq_version);
	term(p, all && f->outcome, "r.outcome", "=", f->outcome);
	term(p, all && f->serial, "r.unit_serial", "=", f->serial);
	term(p, all && f->operator_name, "r.operator", "=", f->operator_name);
	term(p, all && f->work_order, "r.work_order", "=", f->work_order);
	term(p, all && f->part_number, "r.part_number", "=", f->part_number);
	term(p, all && f->revision, "r.revision", "=", f->revision);
	term(p, f->station != NULL, "r.station", "=", f->station);
	if (!p->n)
		snprintf(p->terms, sizeof(p->terms), "true");
}

/* sql with @W@ and @D@ replaced, run with p's values. */
static PGresult *query(struct central *c, const char *sql, const struct params *p,
		       const char *day)
{
	return cpi_query(c, sql, p->terms, p->n, p->v, day);
}

static int yields(struct central *c, struct report *r, const struct params *p, bool by_day,
		  struct st_error *e)
{
	const char *sql = cpi_rows_yield_sql[r->with_errors];

	return cpi_yield_rows(c, query(c, sql, p, by_day ? DAY : "''"), r, by_day, e);
}

static int pareto(struct central *c, struct report *r, const struct params *p, struct st_error *e)
{
	return cpi_pareto_rows(c, query(c, cpi_rows_pareto_sql, p, ""), r, e);
}

static bool same_text(const char *a, PGresult *q, int i, int c)
{
	return PQgetisnull(q, i, c) ? !a : a && !strcmp(a, PQgetvalue(q, i, c));
}

static bool same_real(bool has, double v, PGresult *q, int i, int c)
{
	return PQgetisnull(q, i, c) ? !has : has && cpi_dbl(q, i, c) == v;
}

static bool same_key(const struct rep_meas *m, PGresult *q, int i)
{
	return same_text(m->sequence, q, i, 0) && same_text(m->step, q, i, 1) &&
	       same_text(m->name, q, i, 2) && same_text(m->unit, q, i, 3) &&
	       same_real(m->has_low, m->low, q, i, 4) && same_real(m->has_high, m->high, q, i, 5);
}

/* The histogram frames the summaries gave the measurements (as db_report.c's
 * frame(): a frame with a limit missing is set by the value the summaries
 * saw first, not by the first of the runs selected); m->key marks those
 * found. */
static const char frames_sql[] =
	"SELECT sequence_name, step, name, unit, low, high, id, hist_lo, hist_width, hist_hi"
	" FROM sum_meas_keys";

/* A group's running sums, as the log's rows path keeps them
 * (db_report_stats.c): the mean as the sum over the count, sigma from
 * Welford's update. */
struct moments {
	double sum, wmean, m2;
};

/* r->meas from every value of the runs selected, in one statement and one
 * pass (as the log's rep_stats_rows): each value's measurement found or
 * added (its histogram frame the summaries' for its key, when version 4's
 * keys hold it, else set by its first value), then counted, summed, binned;
 * the measurements in the report's order at the end.  The statistics in a
 * statement of their own read every value a second time (a shift of the
 * 1M-run store: 150 ms of its ~350). */
static int meas_rows(struct central *c, struct report *r, const struct params *p, int version,
		     struct st_error *e)
{
	PGresult *q = query(c, values_sql, p, ""), *k = NULL;
	int ret = cpi_ok(c, q, "read the values", e), g = 0;
	struct moments *a = NULL;

	if (ret == ST_OK && version >= 4) {
		k = PQexec(c->pg, frames_sql);
		ret = cpi_ok(c, k, "read the histogram frames", e);
		if (ret < 0)
			k = NULL;
	}
	for (int i = 0; ret == ST_OK && i < PQntuples(q); i++) {
		double v = cpi_dbl(q, i, 6), d;
		struct rep_meas *m;

		for (int j = 0; j < r->nmeas && !same_key(&r->meas[g], q, i); j++)
			g = (g + 1) % r->nmeas;
		if (!r->nmeas || !same_key(&r->meas[g], q, i)) {
			struct rep_meas *nm = realloc(r->meas, (r->nmeas + 1) * sizeof(*nm));
			struct moments *na = realloc(a, (r->nmeas + 1) * sizeof(*na));

			if (nm)
				r->meas = nm;
			if (na)
				a = na;
			if (!nm || !na) {
				ret = st_fail(e, ST_ERR_NOMEM, "out of memory");
				break;
			}
			g = r->nmeas++;
			m = &r->meas[g];
			cpi_meas_key(m, q, i);
			m->min = m->max = v;
			a[g] = (struct moments){ 0 };
			for (int j = 0; k && j < PQntuples(k) && !m->key; j++)
				if (same_key(m, k, j)) {
					m->key = cpi_i64(k, j, 6);
					m->fr = (struct db_hist_frame){ cpi_dbl(k, j, 7),
									cpi_dbl(k, j, 8),
									cpi_dbl(k, j, 9) };
				}
			if (!m->key)
				db_hist_frame(m->has_low ? m->low : NAN,
					      m->has_high ? m->high : NAN, v, &m->fr);
		}
		m = &r->meas[g];
		d = v - a[g].wmean;
		m->n++;
		a[g].sum += v;
		a[g].wmean += d / (double)m->n;
		a[g].m2 += d * (v - a[g].wmean);
		m->min = v < m->min ? v : m->min;
		m->max = v > m->max ? v : m->max;
		rep_hist_add(m, v);
	}
	for (int i = 0; ret == ST_OK && i < r->nmeas; i++) {
		struct rep_meas *m = &r->meas[i];

		m->mean = a[i].sum / (double)m->n;
		if (m->n > 1) {
			m->sigma = sqrt(a[i].m2 / (double)(m->n - 1));
			m->has_sigma = true;
		}
		m->tail[0].known = m->tail[1].known = true;	/* every value counted */
		rep_hist_finish(m);
	}
	if (ret == ST_OK && r->nmeas > 1)	/* (none: r->meas NULL, qsort's UB) */
		qsort(r->meas, r->nmeas, sizeof(*r->meas), rep_meas_cmp);
	free(a);
	if (k)
		PQclear(k);
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}

static int count(struct central *c, const char *sql, const struct params *p, int64_t *n,
		 struct st_error *e)
{
	PGresult *q = query(c, sql, p, "");
	int ret = cpi_ok(c, q, "count", e);

	if (ret == ST_OK) {
		*n = PQntuples(q) ? cpi_i64(q, 0, 0) : 0;
		PQclear(q);
	}
	return ret;
}

static int unjudged(struct central *c, struct report *r, const struct params *p,
		    struct st_error *e)
{
	PGresult *q = query(c, unjudged_sql, p, "");
	int ret = cpi_ok(c, q, "count the unjudged runs", e);

	if (ret < 0)
		return ret;
	r->errors = cpi_i64(q, 0, 0);
	r->aborted = cpi_i64(q, 0, 1);
	r->unidentified = cpi_i64(q, 0, 2);
	PQclear(q);
	q = query(c, stations_sql, &(struct params){ .terms = "true" }, "");
	ret = cpi_ok(c, q, "list the stations", e);
	if (ret < 0)
		return ret;
	r->stations = cpi_dup(q, 0, 0);
	PQclear(q);
	return ST_OK;
}

int central_report_build(struct central *c, const struct rep_filter *f, struct report *r,
			 struct st_error *e)
{
	struct params p, ps;
	int ret, version = 0;

	r->f = f;
	params(f, true, &p);
	params(f, false, &ps);
	/* one snapshot: every figure from the same runs */
	ret = cpi_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "start reading", e);
	if (ret == ST_OK)
		ret = central_schema_version(c, &version, e);
	/* the summaries (report_sum.c); version 6 counts units as the log
	 * does (schema_v6.c), 12 keys cells by outcome and line: an older
	 * store, not yet migrated, is read from its rows */
	r->summary = !r->exact && (cps_usable(f) || cpe_usable(f)) && version >= cps_version(f);
	if (ret == ST_OK && r->summary)
		ret = cps_build(c, f, version, r, e);
	if (ret == ST_OK && !r->summary)
		ret = yields(c, r, &p, false, e);
	if (ret == ST_OK && !r->summary)
		ret = yields(c, r, &p, true, e);
	if (ret == ST_OK && !r->summary)
		ret = pareto(c, r, &p, e);
	if (ret == ST_OK && !r->summary)
		ret = meas_rows(c, r, &p, version, e);
	if (ret == ST_OK)
		ret = count(c, insecure_sql, &p, &r->cms_insecure, e);
	if (ret == ST_OK)
		ret = unjudged(c, r, &p, e);
	if (ret == ST_OK)
		ret = count(c, suspects_sql, &ps, &r->suspects, e);
	if (ret == ST_OK && rep_modes(r))
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory");
	cpi_rollback(c);
	return ret;
}
