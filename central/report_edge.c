/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --central over a window whose ends are not at UTC
 * midnight (a shift 06:00-14:00 over days, a week from Monday 06:00): the
 * day cells answer its whole days (report_sum.c), the rows the hours of the
 * partial day at each end, through runs_started, as the log's hour cells
 * and minutes do (db/db_report_edge.c).  What the rows give is added to
 * what the cells gave, as the rows of the whole window would give it
 * (t_central_edges holds both to the merged log's report): runs, first runs
 * (over the whole store, as the rows define them), failures and every
 * measurement's sums, extremes and bins add up; a unit counts once per
 * operation, so a unit of the partial days counts only where no selected
 * cell holds it (nor, with --with-errors, an error or aborted run of the
 * whole days, as report_err.c counts it there), and as passed only where
 * none of those cells had it pass; by day, a partial day is a day of its
 * own, all rows.  Measurements are summed about their summary key's
 * reference and binned in its frame (central_hist_bin), as the cells hold
 * them.  A window within one day (a shift) is a partial day of its own.
 *
 * From version 15 (schema_v15.c) the hour cells answer the whole hours of
 * the partial days' measurements and failed steps, the rows only their
 * minutes (hours_split); the yields stay the rows' (a unit's distinct count
 * needs its runs: a few thousand a day, read through runs_started).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central-internal.h"
#include "db/db_report.h"

/* f's whole days [*d0, *d1) (as far as it reaches) */
static void days_of(const struct rep_filter *f, int64_t *d0, int64_t *d1)
{
	*d0 = f->has_since ? -cpi_floor_div(-f->since_us, CPI_DAY_US) : 0;
	*d1 = f->has_until ? cpi_floor_div(f->until_us, CPI_DAY_US) : 0;
}

static bool off_midnight(bool has, int64_t us)
{
	return has && us % CPI_DAY_US != 0;
}

bool cpe_usable(const struct rep_filter *f)
{
	int64_t d0, d1;

	days_of(f, &d0, &d1);
	return !f->outcome && !f->serial && !report_filter_line(f) &&
	       (off_midnight(f->has_since, f->since_us) || off_midnight(f->has_until, f->until_us)) &&
	       !(f->has_since && f->has_until && f->since_us > f->until_us);
}

int cpe_split(const struct rep_filter *f, struct rep_filter *whole, struct rep_filter edges[2])
{
	int64_t d0, d1;
	int n = 0;

	*whole = *f;
	if (!cpe_usable(f))
		return 0;
	days_of(f, &d0, &d1);
	whole->since_us = f->has_since ? d0 * CPI_DAY_US : 0;
	whole->until_us = f->has_until ? d1 * CPI_DAY_US : 0;
	if (f->has_since && f->has_until && d0 > d1) {
		/* within one day (a shift): no whole day, the window an edge */
		whole->until_us = whole->since_us;
		edges[n++] = *f;
		return n;
	}
	if (f->has_since && f->since_us < d0 * CPI_DAY_US) {
		edges[n] = *f;
		edges[n].has_until = true;
		edges[n++].until_us = d0 * CPI_DAY_US;
	}
	if (f->has_until && f->until_us > d1 * CPI_DAY_US) {
		edges[n] = *f;
		edges[n].has_since = true;
		edges[n++].since_us = d1 * CPI_DAY_US;
	}
	return n;
}

/* The terms of the partial days' runs (alias r): ((started in edge 0) OR
 * (in edge 1)) AND the filter's fixture, sequence, station; their values
 * after those of the day cells' terms (the cells of whole, of level's
 * groups when level is set; $1 ...), when whole is given. */
struct eterms {
	struct cps_cells cells;
	char rows[768];
	const char *v[24];
	char t[8][24];
	int n;
};

static void rterm(struct eterms *p, const char *fmt, const char *val)
{
	size_t len = strlen(p->rows);

	if (!val)
		return;
	p->v[p->n++] = val;
	snprintf(p->rows + len, sizeof(p->rows) - len, fmt, p->n);
}

static void rtext(struct eterms *p, const char *text)
{
	size_t len = strlen(p->rows);

	snprintf(p->rows + len, sizeof(p->rows) - len, "%s", text);
}

/* The terms of ne ranges [t[2i], t[2i + 1]) of col (hours or
 * microseconds, alias a) and of f's fixture, sequence and station. */
static void range_terms(struct eterms *p, const char *a, const char *col, int64_t (*t)[2],
			int ne, const struct rep_filter *f)
{
	char fmt[64];

	rtext(p, "(");
	for (int i = 0; i < ne; i++) {
		snprintf(p->t[2 * i], sizeof(p->t[0]), "%lld", (long long)t[i][0]);
		snprintf(p->t[2 * i + 1], sizeof(p->t[0]), "%lld", (long long)t[i][1]);
		snprintf(fmt, sizeof(fmt), "%s(%s.%s >= $%%d", i ? " OR " : "", a, col);
		rterm(p, fmt, p->t[2 * i]);
		snprintf(fmt, sizeof(fmt), " AND %s.%s < $%%d)", a, col);
		rterm(p, fmt, p->t[2 * i + 1]);
	}
	rtext(p, ")");
	snprintf(fmt, sizeof(fmt), " AND %s.fixture = $%%d", a);
	rterm(p, fmt, f->fixture);
	snprintf(fmt, sizeof(fmt), " AND %s.sequence_name = $%%d", a);
	rterm(p, fmt, f->seq_name);
	snprintf(fmt, sizeof(fmt), " AND %s.sequence_version = $%%d", a);
	rterm(p, fmt, f->seq_version);
	snprintf(fmt, sizeof(fmt), " AND %s.station = $%%d", a);
	rterm(p, fmt, f->station);
}

/* the runs started in edges (alias r) after the day cells' terms of whole
 * (of level's groups when level is set; $1 ...), when whole is given */
static void eterms_of(const struct rep_filter *whole, char level, const struct rep_filter *edges,
		      int ne, struct eterms *p)
{
	int64_t t[4][2];

	memset(p, 0, sizeof(*p));
	if (whole) {
		if (level)
			cps_group_cells(whole, level, &p->cells);
		else
			cps_cells_of(whole, &p->cells);
		for (int i = 0; i < p->cells.n; i++)
			p->v[p->n++] = p->cells.v[i];
	}
	for (int i = 0; i < ne && i < 4; i++) {
		t[i][0] = edges[i].since_us;
		t[i][1] = edges[i].until_us;
	}
	range_terms(p, "r", "started_us", t, ne < 4 ? ne : 4, &edges[0]);
}

/* Version 15's hour cells (schema_v15.c) answer the whole hours of the
 * partial days, the rows their minutes: each edge [a, b) is split into its
 * whole hours (into hours, hours since the epoch) and the minutes before
 * and after them (into minutes: at most 4). */
static void hours_split(const struct rep_filter *edges, int n, int64_t hours[2][2], int *nh,
			struct rep_filter minutes[4], int *nm)
{
	const int64_t H = 3600000000LL;

	*nh = *nm = 0;
	for (int i = 0; i < n; i++) {
		int64_t a = edges[i].since_us, b = edges[i].until_us;
		int64_t h0 = -cpi_floor_div(-a, H), h1 = cpi_floor_div(b, H);

		if (h0 >= h1) {		/* within one hour */
			minutes[(*nm)++] = edges[i];
			continue;
		}
		hours[*nh][0] = h0;
		hours[(*nh)++][1] = h1;
		if (a < h0 * H) {
			minutes[*nm] = edges[i];
			minutes[(*nm)++].until_us = h0 * H;
		}
		if (b > h1 * H) {
			minutes[*nm] = edges[i];
			minutes[(*nm)++].since_us = h1 * H;
		}
	}
}

/* sql with @R@ the rows' terms, @G@ group, @W@ the cells' terms (or the
 * rows' when p has no cells), @D@ day. */
static PGresult *equery(struct central *c, const char *sql, const struct eterms *p,
			const char *group, const char *day)
{
	size_t cap = strlen(sql) + 8 * (strlen(p->rows) + strlen(group)) + 64, o = 0;
	char *full = malloc(cap);
	PGresult *q;

	if (!full)
		return NULL;
	for (const char *s = sql; *s;) {
		if (!strncmp(s, "@R@", 3) || !strncmp(s, "@G@", 3)) {
			o += snprintf(full + o, cap - o, "(%s)", s[1] == 'R' ? p->rows : group);
			s += 3;
		} else {
			full[o++] = *s++;
		}
	}
	full[o] = '\0';
	q = cpi_query(c, full, p->cells.n ? p->cells.terms : p->rows, p->n, p->v, day);
	free(full);
	return q;
}

static int oom(struct st_error *e)
{
	return st_fail(e, ST_ERR_NOMEM, "out of memory");
}

/* --- yields ------------------------------------------------------------- */

/* Per group (@G@ a run's, alias r; @D@ a cell's, alias c: '' for the
 * report's total), the partial days' ended runs (er), their units per
 * operation (u) with whether a selected cell of their group holds it
 * (held: the unit's few cells along the key of sum_unit_cells, index only,
 * one look-up a unit against the group's cells (sca): one a unit and cell
 * took 190 of a week's 300 ms on the 1M store;
 * with --with-errors, held_e: or a selected error or aborted run of the
 * whole days in the group, placed in the cells' columns as report_err.c
 * places it) and, for a unit held that passed here, whether such a cell
 * had it pass (hp: the table's rows, a few); the group, runs, units new,
 * passes new, first runs and first passes. */
#define EDGE_YIELD_SQL(o, held_e, days_ctes, days_total, days_rows) \
	"WITH er AS MATERIALIZED (SELECT r.id, r.started_us, r.outcome, r.unit_serial," \
	"  r.sequence_name, @G@ AS g, r.started_us / 86400000000 AS d FROM runs r" \
	"  WHERE r.outcome <> 'running' AND @R@)," \
	" sc AS MATERIALIZED (SELECT c.id, @D@ AS g FROM sum_cells c WHERE @W@)," \
	" sca AS MATERIALIZED (SELECT g, array_agg(id) AS ids FROM sc GROUP BY g)," \
	" u AS MATERIALIZED (SELECT r.g, r.unit_serial AS serial, r.sequence_name AS seq," \
	"  " CPI_UNIT_KEY " AS k, bool_or(r.outcome = 'pass') AS passed" \
	"  FROM er r WHERE " CPI_JUDGED(o) " GROUP BY 1, 2, 3)," \
	" hu AS MATERIALIZED (SELECT u.*, EXISTS (SELECT 1 FROM sca JOIN sum_unit_cells x" \
	"   ON x.unit = u.k AND x.cell = ANY (sca.ids) WHERE sca.g = u.g) " held_e " AS held" \
	"  FROM u)," \
	" h AS (SELECT hu.g, count(*) FILTER (WHERE NOT hu.held) AS units," \
	"  count(*) FILTER (WHERE hu.passed AND NOT (hu.held AND EXISTS (SELECT 1" \
	"   FROM sum_unit_cells x JOIN sc ON sc.id = x.cell WHERE x.unit = hu.k" \
	"   AND sc.g = hu.g AND x.passed))) AS passed FROM hu GROUP BY 1)," \
	" fr AS MATERIALIZED (SELECT r.g, r.d, r.outcome FROM er r" \
	"  WHERE " CPI_JUDGED(o) " AND " CPI_FIRST_RUN(o) ")," \
	" f AS (SELECT g, count(*) AS fu, count(*) FILTER (WHERE outcome = 'pass') AS fp" \
	"  FROM fr GROUP BY 1)," \
	" n AS (SELECT g, count(*) AS runs FROM er GROUP BY 1)" days_ctes \
	" SELECT n.g, n.runs, coalesce(h.units, 0), coalesce(h.passed, 0), coalesce(f.fu, 0)," \
	" coalesce(f.fp, 0)" days_total " FROM n LEFT JOIN h ON h.g = n.g LEFT JOIN f ON f.g = n.g" \
	days_rows " ORDER BY 1"
/* ... and with the report's total, each partial day's own yield (a day of
 * its own: all its rows, as cpi_rows_yield_sql counts them), marked 'd'
 * (the total 't') */
#define EDGE_DAYS_CTES(o) \
	", dn AS (SELECT d, count(*) AS runs FROM er GROUP BY 1)," \
	" du AS (SELECT d, count(*) AS units, count(*) FILTER (WHERE passed) AS passed FROM" \
	"  (SELECT d, bool_or(outcome = 'pass') AS passed FROM er r WHERE " CPI_JUDGED(o) \
	"   GROUP BY d, unit_serial, sequence_name) x GROUP BY 1)," \
	" df AS (SELECT d, count(*) AS fu, count(*) FILTER (WHERE outcome = 'pass') AS fp" \
	"  FROM fr GROUP BY 1)"
#define EDGE_DAYS_ROWS \
	" UNION ALL SELECT to_char(to_timestamp(dn.d * 86400) AT TIME ZONE 'UTC', 'YYYY-MM-DD')," \
	" dn.runs, coalesce(du.units, 0), coalesce(du.passed, 0), coalesce(df.fu, 0)," \
	" coalesce(df.fp, 0), 'd' FROM dn LEFT JOIN du ON du.d = dn.d LEFT JOIN df ON df.d = dn.d"
#define HELD_E \
	"OR EXISTS (SELECT 1 FROM (SELECT $1::\"char\" AS level," \
	"   (r.started_us / 86400000000)::integer AS day, r.station, r.fixture," \
	"   coalesce(r.sequence_name, '') AS sequence_name," \
	"   coalesce(r.sequence_version, '') AS sequence_version, r.outcome, r.operator," \
	"   r.work_order, r.part_number, r.revision FROM runs r" \
	"   WHERE r.unit_serial = u.serial AND r.sequence_name IS NOT DISTINCT FROM u.seq" \
	"   AND r.outcome IN ('error', 'aborted')) c WHERE @W@ AND @D@ = u.g)"
static const char *const edge_yield_sql[2] = {
	EDGE_YIELD_SQL(CPI_JUDGED_J, "", "", "", ""),
	EDGE_YIELD_SQL(CPI_JUDGED_E, HELD_E, "", "", ""),
};
static const char *const edge_days_sql[2] = {
	EDGE_YIELD_SQL(CPI_JUDGED_J, "", EDGE_DAYS_CTES(CPI_JUDGED_J), ", 't'", EDGE_DAYS_ROWS),
	EDGE_YIELD_SQL(CPI_JUDGED_E, HELD_E, EDGE_DAYS_CTES(CPI_JUDGED_E), ", 't'", EDGE_DAYS_ROWS),
};

/* q's rows into r: the partial days' total ('t') added to the cells', which
 * r->total holds, and each partial day's own yield ('d') a day of r */
static int edge_rows(struct central *c, PGresult *q, struct report *r, struct st_error *e)
{
	int ret = cpi_ok(c, q, "read the partial days' yield", e);

	for (int i = 0; ret == ST_OK && i < PQntuples(q); i++) {
		struct rep_counts k = { cpi_i64(q, i, 1), cpi_i64(q, i, 2), cpi_i64(q, i, 3),
					cpi_i64(q, i, 4), cpi_i64(q, i, 5) };

		if (PQgetvalue(q, i, 6)[0] != 't') {
			ret = cpi_day_add(r, PQgetvalue(q, i, 0), &k, e);
			continue;
		}
		r->total.runs += k.runs;
		r->total.units += k.units;
		r->total.passed += k.passed;
		r->total.first_units += k.first_units;
		r->total.first_passed += k.first_passed;
	}
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}

int cpe_yields(struct central *c, struct report *r, const struct rep_filter *whole,
	       const struct rep_filter *edges, int n, bool by_day, struct st_error *e)
{
	struct eterms p;

	if (by_day) {
		/* the partial days' own were added with the total: in order */
		if (r->ndays > 1)
			qsort(r->days, r->ndays, sizeof(*r->days), rep_day_cmp);
		return ST_OK;
	}
	eterms_of(whole, 0, edges, n, &p);
	return edge_rows(c, equery(c, edge_days_sql[r->with_errors], &p, "''", "''"), r, e);
}

PGresult *cpe_group_yields(struct central *c, const struct rep_filter *whole,
			   const struct rep_filter *edges, int n, bool with_errors, char level,
			   const char *cells, const char *rows)
{
	struct eterms p;

	eterms_of(whole, level, edges, n, &p);
	return equery(c, edge_yield_sql[with_errors], &p, rows, cells);
}

/* --- Pareto ------------------------------------------------------------- */

/* the failed leaf steps of the partial days' runs (report.c's Pareto),
 * each run's along its key */
static const char pareto_sql[] =
	"SELECT s.name, count(*) FROM runs r CROSS JOIN LATERAL (SELECT s.name FROM steps s"
	"  WHERE s.run_id = r.id AND s.outcome IN ('fail', 'error')"
	"  AND coalesce(s.kind, '') NOT IN ('group', 'include') OFFSET 0) s"
	" WHERE r.outcome <> 'running' AND @W@ GROUP BY s.name";

/* ... and version 15's: those of the partial days' whole hours */
static const char hour_pareto_sql[] =
	"SELECT f.step, sum(f.n)::bigint FROM sum_hours h JOIN sum_fail_hour f ON f.grp = h.id"
	" WHERE @W@ GROUP BY f.step";

/* sql's failed steps (p's terms) added to r's */
static int pareto_add(struct central *c, struct report *r, const char *sql,
		      const struct eterms *p, struct st_error *e)
{
	int had = r->nfails, ret;

	ret = cpi_pareto_rows(c, equery(c, sql, p, "", ""), r, e);
	/* the steps appended after those before: each one those have too
	 * goes into theirs */
	for (int i = had; ret == ST_OK && i < r->nfails; i++) {
		for (int k = 0; k < had; k++) {
			if (strcmp(r->fails[k].step, r->fails[i].step))
				continue;
			r->fails[k].count += r->fails[i].count;
			free(r->fails[i].step);
			r->fails[i--] = r->fails[--r->nfails];
			break;
		}
	}
	return ret;
}

typedef int add_fn(struct central *c, struct report *r, const char *sql, const struct eterms *p,
		   struct st_error *e);

/* hours_sql over the partial days' whole hours (version 15), rows_sql over
 * the rest of them, each added to r by add */
static int hours_and_rows(struct central *c, struct report *r, const struct rep_filter *edges,
			  int n, int version, add_fn *add, const char *hours_sql,
			  const char *rows_sql, struct st_error *e)
{
	struct rep_filter minutes[4];
	int64_t hours[2][2];
	struct eterms p;
	int nh = 0, nm = n, ret = ST_OK;

	if (version >= 15)
		hours_split(edges, n, hours, &nh, minutes, &nm);
	if (nh) {
		memset(&p, 0, sizeof(p));
		range_terms(&p, "h", "hour", hours, nh, &edges[0]);
		ret = add(c, r, hours_sql, &p, e);
	}
	if (ret == ST_OK && nm) {
		eterms_of(NULL, 0, version >= 15 ? minutes : edges, nm, &p);
		ret = add(c, r, rows_sql, &p, e);
	}
	return ret;
}

int cpe_pareto(struct central *c, struct report *r, const struct rep_filter *edges, int n,
	       int version, struct st_error *e)
{
	int ret = hours_and_rows(c, r, edges, n, version, pareto_add, hour_pareto_sql, pareto_sql,
				 e);

	if (ret == ST_OK && r->nfails > 1)
		qsort(r->fails, r->nfails, sizeof(*r->fails), rep_fail_cmp);
	return ret;
}

/* --- measurements ------------------------------------------------------- */

/* The partial days' values with their summary key, summed per key as the
 * cells sum them (the columns of report_sum.c's statistics, cps_stat_row),
 * and the bins that hold values, "bin:count,...".  A run's values have a
 * key: its summary was kept in the transaction that stored it.  Each run's
 * values are read along its key (OFFSET 0 keeps it a look-up per run: a
 * join let the planner hash the 1M store's 20 million measurements, 5-8 s),
 * before the keys are joined (else a look-up per run and key).
 */
static const char stats_sql[] =
	"WITH fr AS MATERIALIZED (SELECT r.id, r.sequence_name FROM runs r"
	"  WHERE r.outcome <> 'running' AND @W@),"
	" mv AS MATERIALIZED (SELECT fr.sequence_name, m.* FROM fr CROSS JOIN LATERAL"
	"  (SELECT s.name AS step, m.name, m.unit, m.low, m.high, m.value FROM measurements m"
	"   JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id"
	"   WHERE m.run_id = fr.id AND m.value IS NOT NULL OFFSET 0) m),"
	" v AS MATERIALIZED (SELECT k.id AS key, m.value AS v, m.value - k.ref AS d,"
	"  m.value < k.low AS lo, m.value > k.high AS hi,"
	"  central_hist_bin(k.hist_lo, k.hist_width, k.hist_hi, m.value) AS bin"
	"  FROM mv m JOIN sum_meas_keys k ON k.name = m.name AND k.step = m.step"
	"  AND k.sequence_name IS NOT DISTINCT FROM m.sequence_name"
	"  AND k.unit IS NOT DISTINCT FROM m.unit AND k.low IS NOT DISTINCT FROM m.low"
	"  AND k.high IS NOT DISTINCT FROM m.high),"
	" a AS (SELECT key, count(*) AS n, sum(d) AS s1, sum(d * d) AS s2, min(v) AS min,"
	"  max(v) AS max, count(*) FILTER (WHERE lo) AS lo, count(*) FILTER (WHERE hi) AS hi"
	"  FROM v GROUP BY key),"
	" b AS (SELECT key, string_agg(bin || ':' || n, ',') AS bins FROM"
	"  (SELECT key, bin, count(*) AS n FROM v GROUP BY 1, 2) x GROUP BY 1)"
	" SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, a.n, k.ref, a.s1, a.s2,"
	" a.min, a.max, a.lo, a.hi, k.id, k.hist_lo, k.hist_width, k.hist_hi, b.bins"
	" FROM a JOIN b ON b.key = a.key JOIN sum_meas_keys k ON k.id = a.key";

/* ... the same columns from version 15's hour cells (their bins, each
 * (bin << 32) + count, made "bin:count,...") */
static const char hour_stats_sql[] =
	"WITH hm AS MATERIALIZED (SELECT m.* FROM sum_hours h"
	"  JOIN sum_meas_hour m ON m.grp = h.id WHERE @W@),"
	" a AS (SELECT key, sum(n)::bigint AS n, sum(s1) AS s1, sum(s2) AS s2, min(min) AS min,"
	"  max(max) AS max, sum(out_low)::bigint AS lo, sum(out_high)::bigint AS hi"
	"  FROM hm GROUP BY key),"
	" b AS (SELECT key, string_agg(bin || ':' || n, ',') AS bins FROM (SELECT hm.key,"
	"  e >> 32 AS bin, sum(e & 4294967295)::bigint AS n"
	"  FROM hm CROSS JOIN LATERAL unnest(hm.bins) AS u(e) GROUP BY 1, 2) x GROUP BY 1)"
	" SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, a.n, k.ref, a.s1, a.s2,"
	" a.min, a.max, a.lo, a.hi, k.id, k.hist_lo, k.hist_width, k.hist_hi, b.bins"
	" FROM a JOIN b ON b.key = a.key JOIN sum_meas_keys k ON k.id = a.key";

/* the sums of q's row i into m (its key's, from the cells) */
static void meas_add(struct rep_meas *m, PGresult *q, int i)
{
	double min = cpi_dbl(q, i, 10), max = cpi_dbl(q, i, 11);

	m->n += cpi_i64(q, i, 6);
	m->s1 += cpi_dbl(q, i, 8);
	m->s2 += cpi_dbl(q, i, 9);
	m->min = min < m->min ? min : m->min;
	m->max = max > m->max ? max : m->max;
	m->out_low += cpi_i64(q, i, 12);
	m->out_high += cpi_i64(q, i, 13);
}

static void bins_add(struct rep_meas *m, const char *s)
{
	while (s && *s) {
		char *end;
		long b = strtol(s, &end, 10);
		long long n = *end == ':' ? strtoll(end + 1, &end, 10) : 0;

		if (b >= 0 && b < REP_BINS)
			m->all[b] += n;
		s = *end == ',' ? end + 1 : NULL;
	}
}

/* sql's sums per key (p's terms) added to r's */
static int stats_add(struct central *c, struct report *r, const char *sql,
		     const struct eterms *p, struct st_error *e)
{
	PGresult *q = equery(c, sql, p, "", "");
	int ret = cpi_ok(c, q, "read the partial days' measurements", e);

	for (int i = 0; ret == ST_OK && i < PQntuples(q); i++) {
		struct rep_meas *m = rep_meas_by_key(r, cpi_i64(q, i, 14)), *nm;

		if (m) {
			meas_add(m, q, i);
		} else if (!(nm = realloc(r->meas, (r->nmeas + 1) * sizeof(*nm)))) {
			ret = oom(e);
		} else {
			r->meas = nm;
			m = &nm[r->nmeas++];
			cps_stat_row(m, q, i);
			if (!m->step || !m->name)
				ret = oom(e);
		}
		if (m)
			bins_add(m, PQgetvalue(q, i, 18));
	}
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}

int cpe_stats(struct central *c, struct report *r, const struct rep_filter *edges, int n,
	      int version, struct st_error *e)
{
	int ret = hours_and_rows(c, r, edges, n, version, stats_add, hour_stats_sql, stats_sql, e);

	if (ret != ST_OK)
		return ret;
	for (int i = 0; i < r->nmeas; i++)
		rep_meas_moments(&r->meas[i]);
	if (r->nmeas > 1)
		qsort(r->meas, r->nmeas, sizeof(*r->meas), rep_meas_cmp);
	return ST_OK;
}
