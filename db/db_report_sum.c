/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report's numbers from the summaries (db/schema.sql, kept by
 * db/db_summary.c): thousands of cell rows instead of millions of runs,
 * whatever the filter but --serial (report_can_summarise()).
 * Counts come from the hour cells of the window; measurements from the
 * day cells of the whole days in it and the hour cells of the rest.  Equal to the queries on the rows in db_report.c (the tests hold
 * them to it): per-cell unit counts become distinct counts by subtracting,
 * for each unit seen in several of the selected cells, the extra cells;
 * mean and sigma come from sums about a reference value; the histogram
 * bins are fixed per measurement, so they add up across cells.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"
#include "db/db_report_sum.h"

/* Cells for the measurements: the day cells of the whole days [?10, ?11)
 * in the window (those of every line, station NULL, without a line filter;
 * else those of each line), the hour cells of the hours before ([?1,
 * ?10)) and after them ([?11, ?2)). */
#define NO_LINE "(?20 IS NULL AND ?21 IS NULL AND ?22 IS NULL AND ?23 IS NULL AND ?24 IS NULL)"
#define MEAS_WHERE \
	" (c.hours = 24 AND c.hour >= ?10 AND c.hour < ?11 AND (c.station IS NULL) = " NO_LINE \
	" OR c.hours = 1 AND c.hour >= ?1 AND c.hour < ?10" \
	" OR c.hours = 1 AND c.hour >= ?11 AND c.hour < ?2) AND " CELL_KEY
/* ?6 set: one row per day, else one row.  The unit correction starts from
 * the few unit-operations seen in several cells (CROSS JOIN keeps that
 * order: the planner would rather scan every unit's cells). */
#define GROUP_DAY "CASE WHEN ?6 IS NULL THEN 0 ELSE " PDAY("c.hour") " END"

static const char yield_sql[] =
	"WITH " PLANT_PERIODS ","
	" t AS (SELECT " GROUP_DAY " AS d, sum(c.runs) AS runs, sum(c.units) AS units,"
	"  sum(c.passed) AS passed, sum(c.first_units) AS fu, sum(c.first_passed) AS fp"
	"  FROM cells c WHERE c.runs > 0 AND " CELL_WHERE " GROUP BY d),"
	" k AS (SELECT d, sum(k - 1) AS du, sum(max(kp - 1, 0)) AS dp FROM ("
	"  SELECT " GROUP_DAY " AS d, count(*) AS k, sum(uc.passed) AS kp"
	"  FROM unit_first u CROSS JOIN unit_cells uc ON uc.unit = u.unit CROSS JOIN cells c ON c.id = uc.cell"
	"  WHERE u.multi = 1 AND coalesce(c.sequence_name, '') = u.op AND " CELL_WHERE
	"  GROUP BY u.unit, u.op, d) GROUP BY d)"
	" SELECT date(t.d * 86400, 'unixepoch'), t.runs, t.units - coalesce(k.du, 0),"
	" t.passed - coalesce(k.dp, 0), t.fu, t.fp FROM t LEFT JOIN k ON k.d = t.d ORDER BY t.d";

/* --with-errors: error and aborted runs judge their units too, as
 * failures.  The cells count judged (pass/fail) units only; what error and
 * aborted runs change comes from those runs (few; runs_outcome finds them)
 * and the unit tables: per day (?6) or in all, du units that have such a
 * run selected and no judged run in the selected cells, dfu/dfp the change
 * in first units / first passed where a unit's first such run of the
 * operation (over the whole log) comes before its first judged one: that
 * one is no longer first (if selected), the error run is (if selected). */
#define E_DAY(t) "CASE WHEN ?6 IS NULL THEN 0 ELSE " PDAY("(" t ") / 3600000000") " END"
static const char errors_sql[] =
	"WITH " PLANT_PERIODS ","
	" e AS (SELECT r.id, r.unit_serial AS u, coalesce(r.sequence_name, '') AS op,"
	"  r.started_us, r.fixture, r.sequence_name, r.sequence_version, r.outcome,"
	"  r.station, r.operator, r.work_order, r.part_number, r.revision,"
	"  row_number() OVER (PARTITION BY r.unit_serial, coalesce(r.sequence_name, '')"
	"   ORDER BY r.started_us, r.id) AS rn"
	"  FROM runs r WHERE r.outcome IN ('error', 'aborted') AND r.unit_serial IS NOT NULL),"
	" x AS (SELECT DISTINCT " E_DAY("e.started_us") " AS d, e.u, e.op FROM e WHERE " E_SEL("e") "),"
	" f AS (SELECT e.*, uf.cell, uf.passed FROM e LEFT JOIN unit_first uf"
	"  ON uf.unit = e.u AND uf.op = e.op LEFT JOIN runs j ON j.id = uf.run_id"
	"  WHERE e.rn = 1 AND (j.id IS NULL OR e.started_us < j.started_us"
	"   OR (e.started_us = j.started_us AND e.id < j.id))),"
	" c AS (SELECT x.d, 1 AS du, 0 AS dfu, 0 AS dfp FROM x WHERE NOT EXISTS (SELECT 1"
	"   FROM unit_cells uc CROSS JOIN cells c ON c.id = uc.cell WHERE uc.unit = x.u"
	"   AND coalesce(c.sequence_name, '') = x.op AND " CELL_WHERE
	"   AND (?6 IS NULL OR " PDAY("c.hour") " = x.d))"
	"  UNION ALL SELECT " E_DAY("f.started_us") ", 0, 1, 0 FROM f WHERE " E_SEL("f")
	"  UNION ALL SELECT " GROUP_DAY ", 0, -1, -f.passed FROM f CROSS JOIN cells c"
	"   ON c.id = f.cell WHERE " CELL_WHERE ")"
	" SELECT date(d * 86400, 'unixepoch'), sum(du), sum(dfu), sum(dfp) FROM c GROUP BY d";

static const char pareto_sql[] =
	"SELECT sf.step, sum(sf.n) FROM cells c CROSS JOIN step_fails sf ON sf.cell = c.id"
	" WHERE " CELL_WHERE " GROUP BY sf.step ORDER BY 2 DESC, 1";

static const char stats_sql[] =
	"SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, sum(m.n), k.ref,"
	" sum(m.s1), sum(m.s2), min(m.min), max(m.max), sum(m.out_low), sum(m.out_high), k.id,"
	" k.hist_lo, k.hist_width, k.hist_hi"
	" FROM cells c CROSS JOIN meas_sum m ON m.cell = c.id JOIN meas_keys k ON k.id = m.key"
	" WHERE " MEAS_WHERE " GROUP BY k.id ORDER BY 1, 2, 3, 5, 6, 4";

static const char hist_sql[] =
	"SELECT m.key, m.bins FROM cells c CROSS JOIN meas_sum m ON m.cell = c.id WHERE " MEAS_WHERE;

/* The hour cells of the window holding a value of measurement ?12 below
 * ?13 or above ?14 (their min and max say so), and the values of one
 * such cell beyond those bounds, from the rows: the runs of its hour,
 * fixture, sequence, outcome and line. */
static const char tail_cells_sql[] =
	"SELECT c.hour, c.fixture, c.sequence_name, c.sequence_version, c.outcome, c.station,"
	" c.operator, c.work_order, c.part_number, c.revision"
	" FROM cells c CROSS JOIN meas_sum m ON m.cell = c.id WHERE " CELL_WHERE
	" AND m.key = ?12 AND (m.min < ?13 OR m.max > ?14)";
/* +s.name: not through steps_name (name, outcome), which SQLite took for
 * the run's steps, reading every step of that name in the log once per run
 * of the cell (57 s for one cell of the 1M-run log), but by the run's steps
 * (UNIQUE (run_id, idx)): 23 ms */
const char dbs_tail_values_sql[] =
	"SELECT m.value FROM runs r CROSS JOIN steps s ON s.run_id = r.id"
	" CROSS JOIN measurements m ON m.step_id = s.id"
	" WHERE r.started_us >= ?1 AND r.started_us < ?2 AND r.fixture = ?3"
	" AND r.sequence_name IS ?4 AND r.sequence_version IS ?5 AND r.outcome = ?6"
	" AND +s.name = ?7 AND m.name = ?8 AND m.unit IS ?9 AND m.low IS ?10 AND m.high IS ?11"
	" AND (m.value < ?12 OR m.value > ?13) AND r.station IS ?14 AND r.operator IS ?15"
	" AND r.work_order IS ?16 AND r.part_number IS ?17 AND r.revision IS ?18";

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* A window's end off the hour leaves its minutes to the rows
 * (db_report_edge.c): the cells start at the next hour. */
void rep_sum_hours(const struct rep_filter *f, int64_t *h0, int64_t *h1)
{
	*h0 = f->has_since ? -floor_div(-f->since_us, HOUR_US) : -FAR_HOURS;
	*h1 = f->has_until ? floor_div(f->until_us, HOUR_US) : FAR_HOURS;
}

void rep_sum_bind_cells(sqlite3_stmt *st, const struct rep_filter *f)
{
	int64_t h0, h1, d0 = -FAR_HOURS, d1 = FAR_HOURS;

	rep_sum_hours(f, &h0, &h1);
	if (f->has_since)
		d0 = -floor_div(-h0, 24) * 24;	/* up to a day */
	if (f->has_until)
		d1 = floor_div(h1, 24) * 24;
	if (d1 < d0)	/* no whole day: hour cells only, all "before" one */
		d0 = d1 = h1;
	sqlite3_bind_int64(st, 1, h0);
	sqlite3_bind_int64(st, 2, h1);
	dbi_bind_text(st, 3, f->fixture);
	dbi_bind_text(st, 4, f->seq_name);
	dbi_bind_text(st, 5, f->seq_version);
	dbi_bind_text(st, 7, f->outcome);
	dbi_bind_text(st, 20, f->operator_name);
	dbi_bind_text(st, 21, f->work_order);
	dbi_bind_text(st, 22, f->part_number);
	dbi_bind_text(st, 23, f->revision);
	dbi_bind_text(st, 24, f->station);
	if (sqlite3_bind_parameter_count(st) >= 11) {
		sqlite3_bind_int64(st, 10, d0);
		sqlite3_bind_int64(st, 11, d1);
	}
}

/* The error, aborted and unidentified runs of the filter per plant day
 * (?12; the runs through runs_outcome and runs_unit_started, as the
 * totals' query reads them). */
static const char unjudged_days_sql[] =
	"WITH tzq AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS h0,"
	"  json_extract(value, '$[1]') AS h1, json_extract(value, '$[2]') AS off"
	"  FROM json_each(?12)),"
	" u AS (SELECT 0 AS k, r.started_us FROM runs r WHERE r.outcome = 'error' AND " REP_WHERE
	"  UNION ALL SELECT 1, r.started_us FROM runs r WHERE r.outcome = 'aborted' AND " REP_WHERE
	"  UNION ALL SELECT 2, r.started_us FROM runs r INDEXED BY runs_unit_started"
	"  WHERE r.unit_serial IS NULL AND r.outcome <> 'running' AND " REP_WHERE ")"
	" SELECT date(" PDAY_IN("tzq", "u.started_us / 3600000000") " * 86400, 'unixepoch'),"
	" sum(k = 0), sum(k = 1), sum(k = 2) FROM u GROUP BY 1";

static int unjudged_days(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = dbr_prepare_where(h, unjudged_days_sql, r->f);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 12, r->plant_periods, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *day = (const char *)sqlite3_column_text(st, 0);

		for (int i = 0; day && i < r->ndays; i++) {
			if (strcmp(r->days[i].day, day))
				continue;
			r->days[i].errors = sqlite3_column_int64(st, 1);
			r->days[i].aborted = sqlite3_column_int64(st, 2);
			r->days[i].unidentified = sqlite3_column_int64(st, 3);
		}
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		return -1;
	r->days_unjudged = true;
	return 0;
}

/* Days, not the total (?6): the plant's (?12) when r asks and its periods
 * cover every hour cell the window reaches (r->days_tz says so). */
static int bind_days(sqlite3 *h, sqlite3_stmt *st, struct report *r)
{
	static const char cover_sql[] =
		"SELECT count(*) = 0 OR (min(hour) >= json_extract(?3, '$[0][0]')"
		" AND max(hour) < json_extract(?3, '$[#-1][1]'))"
		" FROM cells WHERE hours = 1 AND hour >= ?1 AND hour < ?2";
	int64_t h0, h1;
	sqlite3_stmt *c;
	int covered = 0;

	sqlite3_bind_int(st, 6, 1);
	if (!r->plant_periods || !r->plant_tz)
		return 0;
	if (!(c = dbr_prepare(h, cover_sql)))
		return -1;
	/* every hour the window reaches, its minutes' too */
	h0 = r->f->has_since ? floor_div(r->f->since_us, HOUR_US) : -FAR_HOURS;
	h1 = r->f->has_until ? -floor_div(-r->f->until_us, HOUR_US) : FAR_HOURS;
	sqlite3_bind_int64(c, 1, h0);
	sqlite3_bind_int64(c, 2, h1);
	sqlite3_bind_text(c, 3, r->plant_periods, -1, SQLITE_STATIC);
	if (sqlite3_step(c) == SQLITE_ROW)
		covered = sqlite3_column_int(c, 0);
	if (sqlite3_finalize(c) != SQLITE_OK)
		return -1;
	if (covered) {
		sqlite3_bind_text(st, 12, r->plant_periods, -1, SQLITE_STATIC);
		r->days_tz = r->plant_tz;
	}
	return 0;
}

/* --with-errors: the changes errors_sql gives, day by day or in all. */
static int with_errors(sqlite3 *h, struct report *r, bool by_day)
{
	sqlite3_stmt *st = dbr_prepare(h, errors_sql);

	if (!st)
		return -1;
	rep_sum_bind_cells(st, r->f);
	if (by_day && bind_days(h, st, r)) {
		sqlite3_finalize(st);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *day = (const char *)sqlite3_column_text(st, 0);
		struct rep_counts *c = by_day ? NULL : &r->total;

		for (int i = 0; by_day && day && i < r->ndays; i++)
			if (!strcmp(r->days[i].day, day))
				c = &r->days[i].c;
		if (!c)
			continue;	/* no cell that day: nothing selected */
		c->units += sqlite3_column_int64(st, 1);
		c->first_units += sqlite3_column_int64(st, 2);
		c->first_passed += sqlite3_column_int64(st, 3);
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static int yields(sqlite3 *h, struct report *r, bool by_day)
{
	sqlite3_stmt *st = dbr_prepare(h, yield_sql);

	if (!st)
		return -1;
	rep_sum_bind_cells(st, r->f);
	if (by_day && bind_days(h, st, r)) {
		sqlite3_finalize(st);
		return -1;
	}
	if (rep_yield_rows(st, r, by_day) || rep_edge_yields(h, r, by_day))
		return -1;
	if (r->with_errors && with_errors(h, r, by_day))
		return -1;
	return by_day && r->days_tz ? unjudged_days(h, r) : 0;
}

static int pareto(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = dbr_prepare(h, pareto_sql);

	if (!st)
		return -1;
	rep_sum_bind_cells(st, r->f);
	return rep_pareto_rows(st, r) || rep_edge_pareto(h, r) ? -1 : 0;
}

/* Sums about ref: mean = ref + S1/n, (n-1) var = S2 - S1^2/n.  What is
 * left of S2 after the subtraction below a few ulps of S2 is rounding, not
 * spread (equal values far from ref, e.g. ref from another fixture): 0, as
 * the rows give. */
void rep_meas_moments(struct rep_meas *m)
{
	double n = (double)m->n, ss;

	m->mean = m->ref + m->s1 / n;
	if (m->n > 1) {
		ss = m->s2 - m->s1 * m->s1 / n;
		if (ss <= m->s2 * 1e-13)
			ss = 0;
		m->sigma = sqrt(ss / (n - 1));
		m->has_sigma = true;
	}
	rep_meas_pp(m);
}

static int stats(sqlite3 *h, struct report *r)
{
	sqlite3_stmt *st = dbr_prepare(h, stats_sql);

	if (!st)
		return -1;
	rep_sum_bind_cells(st, r->f);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct rep_meas *m = rep_meas_add(r, st);

		if (!m)
			break;
		m->n = sqlite3_column_int64(st, 6);
		m->ref = sqlite3_column_double(st, 7);
		m->s1 = sqlite3_column_double(st, 8);
		m->s2 = sqlite3_column_double(st, 9);
		m->min = sqlite3_column_double(st, 10);
		m->max = sqlite3_column_double(st, 11);
		m->out_low = sqlite3_column_int64(st, 12);
		m->out_high = sqlite3_column_int64(st, 13);
		m->key = sqlite3_column_int64(st, 14);
		m->fr = (struct db_hist_frame){ sqlite3_column_double(st, 15),
						sqlite3_column_double(st, 16),
						sqlite3_column_double(st, 17) };
		rep_meas_moments(m);
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		return -1;
	return rep_edge_stats(h, r);
}

struct key_ix {
	int64_t key;
	int i;
};

static int key_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct key_ix *)a)->key, y = ((const struct key_ix *)b)->key;

	return x < y ? -1 : x > y;
}

/* The values beyond lo or hi in one cell (columns of tail_cells_sql) into
 * m's tails.  Finalizes nothing; 0 or -1. */
static int tail_cell(sqlite3_stmt *v, sqlite3_stmt *c, struct rep_meas *m, double lo, double hi)
{
	int64_t hour = sqlite3_column_int64(c, 0);

	sqlite3_reset(v);
	sqlite3_bind_int64(v, 1, hour * HOUR_US);
	sqlite3_bind_int64(v, 2, (hour + 1) * HOUR_US);
	for (int i = 1; i < 5; i++)
		sqlite3_bind_value(v, 2 + i, sqlite3_column_value(c, i));
	for (int i = 5; i < 10; i++)	/* the line */
		sqlite3_bind_value(v, 9 + i, sqlite3_column_value(c, i));
	dbi_bind_text(v, 7, m->step);
	dbi_bind_text(v, 8, m->name);
	dbi_bind_text(v, 9, m->unit);
	if (m->has_low)
		sqlite3_bind_double(v, 10, m->low);
	else
		sqlite3_bind_null(v, 10);
	if (m->has_high)
		sqlite3_bind_double(v, 11, m->high);
	else
		sqlite3_bind_null(v, 11);
	sqlite3_bind_double(v, 12, lo);
	sqlite3_bind_double(v, 13, hi);
	while (sqlite3_step(v) == SQLITE_ROW) {
		double x = sqlite3_column_double(v, 0);
		int side, j = rep_tail_bin(&m->fr, x, &side);

		if (j >= 0)
			m->tail[side].count[j]++;
	}
	return sqlite3_reset(v) == SQLITE_OK ? 0 : -1;
}

/* The tails of m beyond its frame: from the rows of the few hour cells
 * that hold such a value (the summaries keep their count, not their
 * shape), and of the window's minutes off the hour (edge: counted from
 * their rows); a tail within the outermost bin's own width needs none.  Left
 * unknown (shown open-ended) beyond REP_TAIL_CELLS cells, or when the rows
 * no longer add up to the summaries' count. */
#define REP_TAIL_CELLS 256
static int tails(sqlite3 *h, struct report *r, struct rep_meas *m,
		 int64_t edge[2][REP_TAIL_MAX])
{
	double w = m->fr.width, e0 = m->fr.lo - (DB_HIST_OUT - 1) * w;
	double e1 = m->fr.lo + (DB_HIST_IN + DB_HIST_OUT - 1) * w;
	bool far0 = m->all[0] && m->min < e0 - w, far1 = m->all[REP_BINS - 1] && m->max > e1 + w;
	double lo = far0 ? e0 + w / 2 : -INFINITY, hi = far1 ? e1 - w / 2 : INFINITY;
	sqlite3_stmt *c, *v;
	int cells = 0, ret = 0;

	m->tail[0] = (struct rep_tail){ .known = !far0 };
	m->tail[1] = (struct rep_tail){ .known = !far1 };
	m->tail[0].count[0] = far0 ? 0 : m->all[0];
	m->tail[1].count[0] = far1 ? 0 : m->all[REP_BINS - 1];
	if (!far0 && !far1)
		return 0;
	c = dbr_prepare(h, tail_cells_sql);
	v = dbr_prepare(h, dbs_tail_values_sql);
	if (!c || !v) {
		sqlite3_finalize(c);
		sqlite3_finalize(v);
		return -1;
	}
	rep_sum_bind_cells(c, r->f);
	sqlite3_bind_int64(c, 12, m->key);
	sqlite3_bind_double(c, 13, lo);
	sqlite3_bind_double(c, 14, hi);
	while (!ret && sqlite3_step(c) == SQLITE_ROW && ++cells <= REP_TAIL_CELLS)
		ret = tail_cell(v, c, m, lo, hi);
	if (sqlite3_finalize(c) != SQLITE_OK || sqlite3_finalize(v) != SQLITE_OK)
		ret = -1;
	for (int s = 0; s < 2 && !ret; s++) {
		int64_t sum = 0;

		for (int j = 0; (s ? far1 : far0) && j < REP_TAIL_MAX; j++)
			m->tail[s].count[j] += edge[s][j];
		for (int j = 0; j < REP_TAIL_MAX; j++)
			sum += m->tail[s].count[j];
		if (s ? far1 : far0)
			m->tail[s].known = cells <= REP_TAIL_CELLS &&
					   sum == m->all[s ? REP_BINS - 1 : 0];
	}
	return ret;
}

static int hist(sqlite3 *h, struct report *r)
{
	struct key_ix *ix = calloc(r->nmeas ? r->nmeas : 1, sizeof(*ix));
	int64_t (*edge)[2][REP_TAIL_MAX] = calloc(r->nmeas ? r->nmeas : 1, sizeof(*edge));
	sqlite3_stmt *st = dbr_prepare(h, hist_sql);
	int ret;

	if (!st || !ix || !edge) {
		sqlite3_finalize(st);
		free(ix);
		free(edge);
		return -1;
	}
	for (int i = 0; i < r->nmeas; i++)
		ix[i] = (struct key_ix){ r->meas[i].key, i };
	qsort(ix, r->nmeas, sizeof(*ix), key_cmp);
	rep_sum_bind_cells(st, r->f);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct key_ix want = { sqlite3_column_int64(st, 0), 0 };
		struct key_ix *hit = bsearch(&want, ix, r->nmeas, sizeof(*ix), key_cmp);

		if (hit)
			db_hist_add_blob(r->meas[hit->i].all, sqlite3_column_blob(st, 1),
					 sqlite3_column_bytes(st, 1));
	}
	ret = sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
	if (!ret)
		ret = rep_edge_hist(h, r, edge);
	for (int i = 0; i < r->nmeas && !ret; i++)
		ret = tails(h, r, &r->meas[i], edge[i]);
	for (int i = 0; i < r->nmeas; i++)
		rep_hist_finish(&r->meas[i]);
	free(ix);
	free(edge);
	return ret;
}

int rep_sum_query(sqlite3 *h, struct report *r, enum rep_query q)
{
	switch (q) {
	case REP_Q_TOTAL: return yields(h, r, false);
	case REP_Q_DAYS: return yields(h, r, true);
	case REP_Q_PARETO: return pareto(h, r);
	case REP_Q_STATS: return stats(h, r);
	case REP_Q_HIST: return hist(h, r);
	default: return -1;
	}
}
