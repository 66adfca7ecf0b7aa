/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rows a quality engineer's questions need beyond station report's
 * totals: process capability (every value of a measurement, in time order
 * per fixture, each unit's first run of its operation by default).  These
 * read the rows, through the indexes the filters give (REP_WHERE).
 */
#include "db/db-internal.h"

/* Numeric values grouped by what capability is keyed by: sequence name and
 * version, step, name, unit and the limits in force (a limit change starts
 * another group), then fixture by fixture in time order, so consecutive
 * rows of one fixture make the moving ranges.  ?8 set: first runs only. */
static const char capability_sql[] =
	"WITH fr AS MATERIALIZED (SELECT r.id, " DB_OP("r") " AS sequence_name, r.sequence_version,"
	"  r.fixture,"
	"  r.started_us FROM runs r WHERE r.outcome <> 'running' AND " REP_WHERE
	"  AND (?8 IS NULL OR " FIRST_JUDGED_OP_RUN "))"
	" SELECT fr.sequence_name, fr.sequence_version, s.name AS step, m.name, m.unit, m.low,"
	" m.high, fr.fixture, fr.started_us, m.value"
	" FROM fr JOIN steps s ON s.run_id = fr.id JOIN measurements m ON m.step_id = s.id"
	" WHERE m.value IS NOT NULL"
	" ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, m.id";

int dbr_rows_where(struct db *db, const char *sql, const struct rep_filter *f, bool first_only,
		   const char *name, db_row_fn fn, void *ctx, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret;

	pthread_mutex_lock(&db->mu);
	st = dbr_prepare_where(db->h, sql, f);
	if (!st) {
		ret = st_fail(e, ST_ERR_DB, "cannot query the log: %s", sqlite3_errmsg(db->h));
	} else {
		if (first_only)
			sqlite3_bind_int(st, 8, 1);
		if (name)
			dbi_bind_text(st, 9, name);
		ret = dbr_each_row(db->h, st, fn, ctx, e);
	}
	pthread_mutex_unlock(&db->mu);
	return ret;
}

int db_capability_rows(struct db *db, const struct rep_filter *f, bool first_only, db_row_fn fn,
		       void *ctx, struct st_error *e)
{
	return dbr_rows_where(db, capability_sql, f, first_only, NULL, fn, ctx, e);
}

/* The outcomes that judge a unit: pass and fail; with ?8 set, error and
 * aborted too (a station fault counted against the board). */
#define JUDGED(a) "(" a ".outcome IN ('pass', 'fail') OR (?8 IS NOT NULL AND " a \
	".outcome IN ('error', 'aborted')))"

/* r is the first judged run of its unit's operation, over the whole log. */
#define FIRST_JUDGED \
	"(r.unit_serial IS NOT NULL AND " JUDGED("r") " AND NOT EXISTS (SELECT 1 FROM runs p" \
	"  WHERE p.unit_serial = r.unit_serial AND " DB_SAME_OP("p", "r") \
	"  AND " JUDGED("p") " AND (p.started_us < r.started_us" \
	"  OR (p.started_us = r.started_us AND p.id < r.id))))"

/* Per operation (sequence name) over the runs f selects: runs, the runs
 * judged by neither (error, aborted, skipped) and the unidentified ones,
 * then over identified units judged: units, passed (a judged run passed),
 * and first-pass: units whose first judged run of the operation (over the
 * whole log: a window does not make a retest first) is in the selection,
 * and of those that passed. */
static const char *const operation_sql[] = {
	[DB_OP_TOTALS] =
	"WITH fr AS MATERIALIZED (SELECT r.id, r.unit_serial, " DB_OP("r") " AS sequence_name, r.outcome,"
	"  r.started_us FROM runs r WHERE r.outcome <> 'running' AND " REP_WHERE "),"
	" o AS (SELECT sequence_name, count(*) AS runs, sum(outcome = 'error') AS errors,"
	"  sum(outcome = 'aborted') AS aborted, sum(outcome = 'skipped') AS skipped,"
	"  sum(unit_serial IS NULL) AS unidentified FROM fr GROUP BY 1),"
	" u AS (SELECT r.sequence_name, r.unit_serial, max(r.outcome = 'pass') AS passed"
	"  FROM fr r WHERE r.unit_serial IS NOT NULL AND " JUDGED("r") " GROUP BY 1, 2),"
	" uo AS (SELECT sequence_name, count(*) AS units, sum(passed) AS passed FROM u GROUP BY 1),"
	" f AS (SELECT r.sequence_name, count(*) AS first_units,"
	"  sum(r.outcome = 'pass') AS first_passed FROM fr r"
	"  WHERE " FIRST_JUDGED " GROUP BY 1)"
	" SELECT o.sequence_name, o.runs, o.errors, o.aborted, o.skipped, o.unidentified,"
	" coalesce(uo.units, 0) AS units, coalesce(uo.passed, 0) AS passed,"
	" coalesce(f.first_units, 0) AS first_units, coalesce(f.first_passed, 0) AS first_passed"
	" FROM o LEFT JOIN uo ON uo.sequence_name IS o.sequence_name"
	" LEFT JOIN f ON f.sequence_name IS o.sequence_name ORDER BY 1",
	/* how many judged runs each identified unit had: units per count */
	[DB_OP_RETESTS] =
	"WITH fr AS MATERIALIZED (SELECT r.unit_serial, " DB_OP("r") " AS sequence_name, r.outcome"
	"  FROM runs r"
	"  WHERE r.outcome <> 'running' AND r.unit_serial IS NOT NULL AND " REP_WHERE "),"
	" u AS (SELECT r.sequence_name, r.unit_serial, count(*) AS n FROM fr r"
	"  WHERE " JUDGED("r") " GROUP BY 1, 2)"
	" SELECT sequence_name, n AS runs, count(*) AS units FROM u GROUP BY 1, 2 ORDER BY 1, 2",
};

static const char op_runs_sql[] =
	"SELECT r.started_us, r.fixture, r.station, r.operator, r.unit_serial,"
	" " DB_OP("r") " AS sequence_name,"
	" r.outcome, " JUDGED("r") " AS judged, " FIRST_JUDGED " AS first, r.work_order"
	" FROM runs r WHERE r.outcome <> 'running' AND " REP_WHERE " ORDER BY r.started_us, r.id";

int db_operation_rows(struct db *db, enum db_op_q q, const struct rep_filter *f,
		      bool with_errors, db_row_fn fn, void *ctx, struct st_error *e)
{
	if ((unsigned)q > DB_OP_RUNS)
		return st_fail(e, ST_ERR_ARG, "no operation query %d", (int)q);
	return dbr_rows_where(db, q == DB_OP_RUNS ? op_runs_sql : operation_sql[q], f, with_errors,
			      NULL, fn, ctx, e);
}
