/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the central part only: the connection and the libpq helpers
 * shared by pg.c, schema.c, send.c and report.c.
 */
#ifndef ST_CENTRAL_INT_H
#define ST_CENTRAL_INT_H

#include <libpq-fe.h>

#include "central/central.h"

struct central {
	PGconn *pg;
	char where[192];	/* host/db, for messages */
	bool prepared;		/* the insert statements of send.c */
	struct db_reader rd;	/* central_reader() */
};

/* A failed call: libpq's message (one line) with what we were doing and
 * where; returns ST_ERR_CLOSED when the connection is gone, else ST_ERR_DB. */
int cpi_fail(struct central *c, struct st_error *e, const char *what);
/* cpi_fail for a refused statement, with what to do when the login lacks a
 * right (SQLSTATE 42501) or the schema is missing (42P01, 42883). */
int cpi_fail_res(struct central *c, const PGresult *r, struct st_error *e, const char *what);
/* Run constant SQL (no parameters); ST_OK when it succeeded. */
int cpi_exec(struct central *c, const char *sql, const char *what, struct st_error *e);
/* PGRES_COMMAND_OK / PGRES_TUPLES_OK? (clears r on failure; e set) */
int cpi_ok(struct central *c, PGresult *r, const char *what, struct st_error *e);
void cpi_rollback(struct central *c);

/* A row the store refused for want of a binding of this login to the run's
 * station (row-level security, schema 10): e set to which login, which
 * station and the owner's INSERT that binds them, and < 0 returned; 0 for
 * any other failure (bind.c). */
struct db_row;
int cpi_refused_row(struct central *c, const PGresult *r, const char *table,
		    const struct db_row *row, const char *run_id, struct st_error *e);

/* The central tables and their columns, in the order db_fwd_rows() gives
 * them (schema.c). */
struct cpi_table {
	const char *name;
	const char *columns;	/* "a, b, c" */
	int ncols;
	const char *conflict;	/* after ON CONFLICT; NULL: DO NOTHING */
};
extern const struct cpi_table cpi_tables[];
/* Shared by report.c and report_sum.c (report_rows.c): sql with @W@
 * replaced by terms (values v[0..n-1] as $1..$n) and @D@ by day; a
 * result's values; the yield rows (day, runs, units, passed, first units,
 * first passed) and the Pareto rows (step, count) into r (q cleared). */
PGresult *cpi_query(struct central *c, const char *sql, const char *terms, int n,
		    const char *const *v, const char *day);
int64_t cpi_i64(PGresult *r, int row, int col);
double cpi_dbl(PGresult *r, int row, int col);
char *cpi_dup(PGresult *r, int row, int col);
/* A measurement's group from columns 0..5 (sequence, step, name, unit,
 * low, high) of row i; the rest of m zeroed. */
void cpi_meas_key(struct rep_meas *m, PGresult *q, int i);
int cpi_yield_rows(struct central *c, PGresult *q, struct report *r, bool by_day,
		   struct st_error *e);
/* A day of r's per-day yields (its label, its counts). */
int cpi_day_add(struct report *r, const char *day, const struct rep_counts *k,
		struct st_error *e);
int cpi_pareto_rows(struct central *c, PGresult *q, struct report *r, struct st_error *e);

/* The rows' definitions (report.c): a judged run (o: the outcomes that
 * judge, CPI_JUDGED_E with --with-errors) of an identified unit, its
 * unit's first judged run of its operation over the store, a run's UTC
 * day (alias r); the rows' yield statements (cpi_rows_yield_sql[with
 * errors], @D@ the day or '') and Pareto. */
#define CPI_JUDGED_J "('pass', 'fail')"
#define CPI_JUDGED_E "('pass', 'fail', 'error', 'aborted')"
#define CPI_JUDGED(o) "r.outcome IN " o " AND r.unit_serial IS NOT NULL"
#define CPI_FIRST_RUN(o) \
	"NOT EXISTS (SELECT 1 FROM runs p WHERE p.unit_serial = r.unit_serial" \
	"  AND p.sequence_name IS NOT DISTINCT FROM r.sequence_name AND p.outcome IN " o \
	"  AND (p.started_us < r.started_us OR (p.started_us = r.started_us AND p.id < r.id)))"
#define CPI_ROWS_DAY "to_char(to_timestamp(r.started_us / 1000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
extern const char *const cpi_rows_yield_sql[2];
extern const char cpi_rows_pareto_sql[];
/* the unit key of the summaries (schema_v6.c) of run r */
#define CPI_UNIT_KEY \
	"length(r.unit_serial)::text || ':' || r.unit_serial ||" \
	" CASE WHEN r.sequence_name IS NULL THEN '-' ELSE '+' || r.sequence_name END"
#define CPI_DAY_US 86400000000LL
/* a / b rounded down (cal.c) */
int64_t cpi_floor_div(int64_t a, int64_t b);
/* The first second of the UTC calendar month of s (seconds since the
 * epoch), or of the next month when up and s is not that second (cal.c). */
int64_t cpi_month_first(int64_t s, bool up);

/* The store's schema version (0: none). */
int central_schema_version(struct central *c, int *v, struct st_error *e);
/* Version 4's statements: the summaries (schema_sum.c). */
extern const char *const cpi_v4[];
/* Version 5's: summaries of concurrent stations, several runs a call (schema_v5.c). */
extern const char *const cpi_v5[];
extern const char *const cpi_v6[];
/* Version 7's: capability cells, the rebuild under the summaries' lock (schema_v7.c). */
extern const char *const cpi_v7[];
/* Version 8's: capability cells of days and months (schema_v8.c). */
extern const char *const cpi_v8[];
extern const char *const cpi_v9[];
/* Version 10's: writer logins bound to stations, no temporary tables for
 * PUBLIC, '' sequences as NULL (schema_v10.c). */
extern const char *const cpi_v10[];
/* Version 11's: measurements by name and run, their values in the index
 * (schema_v11.c). */
extern const char *const cpi_v11[];
/* Version 12's: the 'x' day cells keyed by outcome and line too
 * (schema_v12.c). */
extern const char *const cpi_v12[];
/* Version 13's: month cells of the measurement sums (schema_v13.c). */
extern const char *const cpi_v13[];
/* Version 14's: the line values of the capability cells (schema_v14.c). */
extern const char *const cpi_v14[];
/* Version 15's: hour cells of the measurements and failed steps (schema_v15.c). */
extern const char *const cpi_v15[];
/* a line column of the 'x' cells, aliases a and b: equal values, NULL to
 * NULL (an equality the planner hashes, then IS NOT DISTINCT FROM) */
#define CPI_SAME(a, b, col) \
	"coalesce(" a "." col ", '') = coalesce(" b "." col ", '') AND " a "." col \
	" IS NOT DISTINCT FROM " b "." col

/* r is its unit's first judged run of its operation (read_sql.c's): the runs
 * the capability cells hold (schema_v7.c) */
#define CPI_FIRST_JUDGED \
	"r.outcome IN ('pass', 'fail') AND r.unit_serial IS NOT NULL\n" \
	"    AND NOT EXISTS (SELECT 1 FROM runs p WHERE p.unit_serial = r.unit_serial\n" \
	"      AND p.outcome IN ('pass', 'fail')\n" \
	"      AND p.sequence_name IS NOT DISTINCT FROM r.sequence_name\n" \
	"      AND (p.started_us < r.started_us OR (p.started_us = r.started_us\n" \
	"      AND p.id COLLATE \"C\" < r.id COLLATE \"C\")))"

/* capability key k (sum_cap_keys) is that of v's values (NULLs equal) */
#define CPI_KEY_MATCH(k, v) \
	"coalesce(" k ".sequence_name, '') = coalesce(" v ".sequence_name, '')\n" \
	"    AND coalesce(" k ".sequence_version, '') = coalesce(" v ".sequence_version, '')\n" \
	"    AND " k ".step = " v ".step AND " k ".name = " v ".name\n" \
	"    AND coalesce(" k ".unit, '') = coalesce(" v ".unit, '')\n" \
	"    AND coalesce(" k ".low, 'NaN') = coalesce(" v ".low, 'NaN')\n" \
	"    AND coalesce(" k ".high, 'NaN') = coalesce(" v ".high, 'NaN')\n" \
	"    AND " k ".sequence_name IS NOT DISTINCT FROM " v ".sequence_name\n" \
	"    AND " k ".sequence_version IS NOT DISTINCT FROM " v ".sequence_version\n" \
	"    AND " k ".unit IS NOT DISTINCT FROM " v ".unit\n"

/* Capability cells combined on the server (schema_v8.c's day and month
 * cells, read_cap.c's figures of a key).  A combined cell: n, mean, m2 (sum
 * of (x - mean)^2), ssw and n_sub (the within sum of squares and count of
 * its hour cells, the subgroups), min, max, first_us, first_v, last_us,
 * last_v (its first and last value in time order), mr_n, mr_sum (its
 * moving ranges).  CPI_CAP_HOUR: an hour cell (sum_cap, alias c) as one:
 * mean = ref + s1 / n, m2 = ssw = max(0, s2 - s1^2 / n), n_sub 1, as
 * report/capsum.c takes a cell. */
#define CPI_CAP_HOUR \
	"c.key, c.station, c.fixture, c.hour, c.n, c.ref + c.s1 / c.n::float8 AS mean," \
	" greatest(0, c.s2 - c.s1 * c.s1 / c.n::float8) AS m2," \
	" greatest(0, c.s2 - c.s1 * c.s1 / c.n::float8) AS ssw, 1 AS n_sub, c.min, c.max," \
	" c.first_us, c.first_v, c.last_us, c.last_v, c.mr_n, c.mr_sum"
#define CPI_CAP_CELL \
	"c.key, c.station, c.fixture, c.hour, c.n, c.mean, c.m2, c.ssw, c.n_sub, c.min, c.max," \
	" c.first_us, c.first_v, c.last_us, c.last_v, c.mr_n, c.mr_sum"
/* The combined cells of src (a FROM item of combined cells with their
 * start hour, hour) grouped by grp, their moving ranges joined within each
 * chain (grp's columns or more: a station's fixture) in hour order by
 * |first_v - last_v of the cell before|.  Two passes, so no precision is
 * lost to a common reference: the group's mean (about r, a cell's mean),
 * then m2 = sum of the cells' m2 + n (mean_i - mean)^2 (Chan et al.).
 * Columns: grp's, then a combined cell's (first_v and last_v those of the
 * group's first and last cell when chain is grp). */
#define CPI_CAP_COMBINE(src, chain, grp) \
	"SELECT " grp ", sum(n)::bigint AS n, min(gm) AS mean," \
	" sum(m2 + n * (mean - gm) * (mean - gm)) AS m2, sum(ssw) AS ssw," \
	" sum(n_sub)::bigint AS n_sub, min(min) AS min, max(max) AS max," \
	" min(first_us) AS first_us, min(first_v) FILTER (WHERE pv IS NULL) AS first_v," \
	" max(last_us) AS last_us, min(last_v) FILTER (WHERE nx IS NULL) AS last_v," \
	" (sum(mr_n) + count(pv))::bigint AS mr_n," \
	" sum(mr_sum) + coalesce(sum(abs(first_v - pv)), 0) AS mr_sum" \
	" FROM (SELECT *, r + sum(n * (mean - r)) OVER g / sum(n::float8) OVER g AS gm" \
	"  FROM (SELECT *, lag(last_v) OVER w AS pv, lead(hour) OVER w AS nx," \
	"    first_value(mean) OVER g AS r FROM " src \
	"   WINDOW w AS (PARTITION BY " chain " ORDER BY hour), g AS (PARTITION BY " grp ")) a" \
	"  WINDOW g AS (PARTITION BY " grp ")) b" \
	" GROUP BY " grp

/* station report --central from the summaries (report_sum.c): can they
 * answer f (whole days, fixture, station, sequence; from version 12 outcome
 * and the line's operator, work order, part number, revision), and the yields (with
 * r->with_errors corrected by the error and aborted runs), the Pareto and
 * the measurements (with histograms) into r. */
bool cps_usable(const struct rep_filter *f);
/* ... from which schema version (an outcome or a line value: 12) */
int cps_version(const struct rep_filter *f);
/* The day cells a filter selects (report_sum.c): their level, the terms
 * (alias c, $1 the level) and the values they take. */
struct cps_cells {
	char terms[512];
	const char *v[16];
	char level[2], month[2], since[24], until[24], m0[24], m1[24];
	int n;
};
void cps_cells_of(const struct rep_filter *f, struct cps_cells *p);
/* ... those of its measurement sums in a store of version: from version
 * 13 the month cells of its whole months, the day cells of its other days */
void cps_meas_cells_of(const struct rep_filter *f, int version, struct cps_cells *p);
/* ... grouped by a key whose own level is level ('t', 'f', 'q', 'x' for
 * a line value): those cells when f selects by nothing else, else the
 * finest */
void cps_group_cells(const struct rep_filter *f, char level, struct cps_cells *p);
/* A measurement of the summaries from a row of columns: its key's name
 * (0-5), n, ref, s1, s2, min, max, out_low, out_high, key id, frame
 * (15-17); its moments computed. */
void cps_stat_row(struct rep_meas *m, PGresult *q, int i);
/* A window off UTC midnight (report_edge.c): cpe_usable(f) when the day
 * cells answer f's whole days and the rows (version 15: and the hour
 * cells) each partial day (f otherwise as cps_usable asks; a window within
 * one day is one partial day); cpe_split: the filter of its whole days (an
 * empty window when it has none) and of its partial days (0, 1 or 2 of
 * them into edges). */
bool cpe_usable(const struct rep_filter *f);
int cpe_split(const struct rep_filter *f, struct rep_filter *whole, struct rep_filter edges[2]);
/* The partial days' rows added to r, which the day cells of whole filled:
 * the yields (total: a unit of the rows counted once per operation where
 * no selected cell holds it (nor, with --with-errors, a selected error
 * or aborted run), as passed where none had it pass; each partial day a
 * day of its own, from the same statement; by_day: the days put in
 * order, after the cells' were added), the Pareto, the measurements' sums about their key's
 * reference and bins in its frame (before the cells' bins are read:
 * rep_hist_finish after). */
int cpe_yields(struct central *c, struct report *r, const struct rep_filter *whole,
	       const struct rep_filter *edges, int n, bool by_day, struct st_error *e);
/* The partial days' yields per group (rows: a run's group, alias r; cells:
 * a cell's, alias c, of the cells cps_group_cells gives for level): rows of group, runs,
 * units and passes new to the group's selected cells, first runs, first
 * passes (with_errors: with --with-errors) */
PGresult *cpe_group_yields(struct central *c, const struct rep_filter *whole,
			   const struct rep_filter *edges, int n, bool with_errors, char level,
			   const char *cells, const char *rows);
int cpe_pareto(struct central *c, struct report *r, const struct rep_filter *edges, int n,
	       int version, struct st_error *e);
int cpe_stats(struct central *c, struct report *r, const struct rep_filter *edges, int n,
	      int version, struct st_error *e);
int cps_build(struct central *c, const struct rep_filter *f, int version, struct report *r,
	      struct st_error *e);
/* --with-errors: add to r's yields (its total and days, read; day: a
 * cell's day as text) what error and aborted runs change, for the cells
 * that terms (with values v[0..n), $1 the level) select (report_err.c).
 * cps_errors_by: those changes per group of the cells (group: its column,
 * alias c), rows of group (NULL: the total), units, first units, first
 * passed. */
int cps_with_errors(struct central *c, struct report *r, const char *terms, int n,
		    const char *const *v, const char *day, struct st_error *e);
PGresult *cps_errors_by(struct central *c, const char *terms, int n, const char *const *v,
			const char *group);
/* --group-by station, fixture, operator or work order, --operations from
 * the summaries, for f (cps_usable): rows of group (col of the cells, an
 * expression of alias c, of level with no other filter), runs, units,
 * passed, first units, first passed (report_sum.c; read_grp.c adds the
 * unjudged runs). */
PGresult *cps_group_yields(struct central *c, const struct rep_filter *f, char level,
			   const char *col);
/* --with-errors: cps_errors_by for the groups of cps_group_yields. */
PGresult *cps_group_errors(struct central *c, const struct rep_filter *f, char level,
			   const char *col);
const struct cpi_table *cpi_table_find(const char *name);

#endif
