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
	"WITH fr AS MATERIALIZED (SELECT r.id, r.sequence_name, r.sequence_version, r.fixture,"
	"  r.started_us FROM runs r WHERE r.outcome <> 'running' AND " REP_WHERE
	"  AND (?8 IS NULL OR " FIRST_OP_RUN "))"
	" SELECT fr.sequence_name, fr.sequence_version, s.name AS step, m.name, m.unit, m.low,"
	" m.high, fr.fixture, fr.started_us, m.value"
	" FROM fr JOIN measurements m ON m.run_id = fr.id JOIN steps s ON s.id = m.step_id"
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
