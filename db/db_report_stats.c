/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A report's measurement statistics from the rows (report_build() when the
 * summaries cannot answer the filter, and the tests that hold both to one
 * result): n, mean, sigma, extremes and histogram of every measurement in
 * one pass over the values the filter selects, and the process capability
 * arithmetic (Pp, Ppk; Cp, Cpk take the same with sigma within) that every
 * path shares.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

#define MEAS_OF_FILTERED_RUNS \
	" FROM fr JOIN steps s ON s.run_id = fr.id JOIN measurements m ON m.step_id = s.id" \
	" WHERE m.value IS NOT NULL"
#define MEAS_KEY "fr.sequence_name, s.name, m.name, m.unit, m.low, m.high"

/* Every value of every group, group after group (in the order of the
 * report), each group's in the order logged: one pass gives the count, mean,
 * extremes, sigma and histogram of every group. */
static const char values_sql[] =
	FILTERED_RUNS "SELECT " MEAS_KEY ", m.value" MEAS_OF_FILTERED_RUNS
	" ORDER BY 1, 2, 3, 5, 6, 4, m.id";

/* The histogram frame the summaries gave this measurement. */
static const char frame_sql[] =
	"SELECT hist_lo, hist_width, hist_hi FROM meas_keys WHERE sequence_name IS ?1"
	" AND step IS ?2 AND name IS ?3 AND unit IS ?4 AND low IS ?5 AND high IS ?6";

bool rep_pk(double mean, double sigma, bool has_low, double low, bool has_high, double high,
	    double *k)
{
	double up, down;

	if (!(sigma > 0) || (!has_low && !has_high))
		return false;
	up = has_high ? (high - mean) / (3 * sigma) : INFINITY;
	down = has_low ? (mean - low) / (3 * sigma) : INFINITY;
	*k = up < down ? up : down;
	return true;
}

bool rep_p(double sigma, bool has_low, double low, bool has_high, double high, double *p)
{
	if (!(sigma > 0) || !has_low || !has_high)
		return false;
	*p = (high - low) / (6 * sigma);
	return true;
}

double rep_sigma_clean(double sigma, double scale)
{
	return sigma <= REP_SIGMA_REL * fabs(scale) ? 0 : sigma;
}

void rep_meas_pp(struct rep_meas *m)
{
	double s;

	if (m->n > 0 && m->min == m->max) {
		m->mean = m->min;
		m->sigma = 0;
	}
	if (m->has_sigma)
		m->sigma = rep_sigma_clean(m->sigma, fmax(fabs(m->min), fabs(m->max)));
	/* an infinity edited into the log (the station records none): the
	 * mean is that infinity and no other figure is given, as --capability
	 * (docs/quality.md), not a sigma of NaN or 0 */
	if (!isfinite(m->mean) || !isfinite(m->sigma))
		m->has_sigma = false;
	s = m->has_sigma ? m->sigma : NAN;

	m->has_ppk = rep_pk(m->mean, s, m->has_low, m->low, m->has_high, m->high, &m->ppk);
	m->has_pp = rep_p(s, m->has_low, m->low, m->has_high, m->high, &m->pp);
}

static void bind_real_or_null(sqlite3_stmt *st, int i, bool has, double v)
{
	if (has)
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int frame(sqlite3 *h, struct rep_meas *m, double first)
{
	sqlite3_stmt *st = dbr_prepare(h, frame_sql);
	int rc;

	if (!st)
		return -1;
	dbi_bind_text(st, 1, m->sequence);
	dbi_bind_text(st, 2, m->step);
	dbi_bind_text(st, 3, m->name);
	dbi_bind_text(st, 4, m->unit);
	bind_real_or_null(st, 5, m->has_low, m->low);
	bind_real_or_null(st, 6, m->has_high, m->high);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		m->fr = (struct db_hist_frame){ sqlite3_column_double(st, 0),
						sqlite3_column_double(st, 1),
						sqlite3_column_double(st, 2) };
	else	/* not summarised yet: as the summary would set it */
		db_hist_frame(m->has_low ? m->low : NAN, m->has_high ? m->high : NAN, first,
			      &m->fr);
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* A measurement group from columns 0..5 (sequence, step, name, unit, low,
 * high) of a statistics row. */
struct rep_meas *rep_meas_add(struct report *r, sqlite3_stmt *st)
{
	struct rep_meas *m, *nm = realloc(r->meas, (r->nmeas + 1) * sizeof(*r->meas));

	if (!nm)
		return NULL;
	r->meas = nm;
	m = &r->meas[r->nmeas++];
	memset(m, 0, sizeof(*m));
	m->sequence = dbr_dup_col(st, 0);
	m->step = dbr_dup_col(st, 1);
	m->name = dbr_dup_col(st, 2);
	m->unit = dbr_dup_col(st, 3);
	m->has_low = sqlite3_column_type(st, 4) != SQLITE_NULL;
	m->low = sqlite3_column_double(st, 4);
	m->has_high = sqlite3_column_type(st, 5) != SQLITE_NULL;
	m->high = sqlite3_column_double(st, 5);
	return m;
}

static bool same_text(const char *a, sqlite3_stmt *st, int c)
{
	const char *b = (const char *)sqlite3_column_text(st, c);

	return a && b ? !strcmp(a, b) : !a && !b;
}

static bool same_real(bool has, double v, sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL ? !has :
	       has && sqlite3_column_double(st, c) == v;
}

/* Is this values row (columns 0..5) of group m? */
static bool same_key(const struct rep_meas *m, sqlite3_stmt *st)
{
	return same_text(m->sequence, st, 0) && same_text(m->step, st, 1) &&
	       same_text(m->name, st, 2) && same_text(m->unit, st, 3) &&
	       same_real(m->has_low, m->low, st, 4) && same_real(m->has_high, m->high, st, 5);
}

/* A group's running sums: the mean as avg() takes it (the sum over the
 * count), sigma from Welford's update (deviations about the running mean:
 * no cancellation, and 0 for equal values). */
struct moments {
	double sum, wmean, m2;
};

static void group_add(struct rep_meas *m, struct moments *a, double v)
{
	double d = v - a->wmean;

	m->n++;
	a->sum += v;
	a->wmean += d / (double)m->n;
	a->m2 += d * (v - a->wmean);
	m->min = v < m->min ? v : m->min;
	m->max = v > m->max ? v : m->max;
	rep_hist_add(m, v);
}

static void group_end(struct rep_meas *m, const struct moments *a)
{
	m->mean = a->sum / (double)m->n;
	if (m->n > 1) {
		m->sigma = sqrt(a->m2 / (double)(m->n - 1));
		m->has_sigma = true;
	}
	m->tail[0].known = m->tail[1].known = true;	/* every value counted */
	rep_hist_finish(m);
}

/* One pass over the values: each group is complete when the next begins. */
int rep_stats_rows(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = dbr_prepare_where(h, values_sql, r->f);
	struct rep_meas *m = NULL;
	struct moments a = { 0 };
	int ret = 0;

	if (!st)
		return -1;
	while (!ret && sqlite3_step(st) == SQLITE_ROW) {
		double v = sqlite3_column_double(st, 6);

		if (!m || !same_key(m, st)) {
			if (m)
				group_end(m, &a);
			if (!(m = rep_meas_add(r, st))) {
				ret = -1;
				break;
			}
			a = (struct moments){ 0 };
			m->min = m->max = v;
			if (frame(h, m, v) < 0)
				ret = -1;
		}
		group_add(m, &a, v);
	}
	if (m && !ret)
		group_end(m, &a);
	if (sqlite3_finalize(st) != SQLITE_OK)
		ret = -1;
	return ret;
}
