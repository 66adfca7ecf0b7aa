/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station export --what wide: one row per run, one column per measurement,
 * for Minitab or JMP (report/wide.c lays them out); here its two queries,
 * the measurement columns the filter's runs have and every value with its
 * run's first-run flag (each unit's first judged run of its operation).
 *
 * The values are joined run by run (a run's steps that hold a measurement,
 * then their values along measurement_values_step, each def by its id): a
 * run without one still gives its row of NULLs.  The join of steps and
 * measurements in parentheses the LEFT JOIN had before was materialised
 * whole and, with a filter, scanned once per run (export --what wide
 * --fixture F3 on 50,000 runs: over 10 min CPU at schema 14 and 15, now
 * 0.9 s; the whole log 9.5-10.1 s -> 7.1 s).
 */
#include <stdio.h>

#include "db/db-internal.h"

static const char *const wide_sql[] = {
	[DB_WIDE_COLUMNS] =
	FILTERED_RUNS "SELECT DISTINCT s.name AS step, m.name, m.unit"
	" FROM fr JOIN steps s ON s.run_id = fr.id JOIN measurements m ON m.step_id = s.id"
	" ORDER BY 1, 2, 3",
	[DB_WIDE_VALUES] =
	"WITH wr AS MATERIALIZED (SELECT r.*, CASE WHEN " FIRST_JUDGED_OP_RUN
	"  THEN 1 ELSE 0 END AS first_run FROM runs r WHERE r.outcome <> 'running' AND " REP_WHERE ")"
	" SELECT wr.id AS run_id, wr.unit_serial, wr.station, wr.fixture, wr.operator,"
	" wr.sequence_name, wr.sequence_version, " REP_ISO("wr.started_us") " AS started, "
	REP_ISO("wr.ended_us") " AS ended, wr.outcome, wr.first_run,"
	" s.name AS step, d.name, v.value, v.text, d.unit"
	" FROM wr LEFT JOIN steps s ON s.run_id = wr.id"
	" AND EXISTS (SELECT 1 FROM measurement_values x WHERE x.step_id = s.id)"
	" LEFT JOIN measurement_values v ON v.step_id = s.id"
	" LEFT JOIN measurement_defs d ON d.id = v.def"
	" ORDER BY wr.started_us, wr.id, v.id",
};

int db_wide_rows(struct db *db, enum db_wide_q q, const struct rep_filter *f, db_row_fn fn,
		 void *ctx, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret;

	if ((unsigned)q > DB_WIDE_VALUES)
		return st_fail(e, ST_ERR_ARG, "no wide query %d", (int)q);
	pthread_mutex_lock(&db->mu);
	st = dbr_prepare_where(db->h, wide_sql[q], f);
	ret = st ? dbr_each_row(db->h, st, fn, ctx, e) :
		   st_fail(e, ST_ERR_DB, "cannot query the log: %s", sqlite3_errmsg(db->h));
	pthread_mutex_unlock(&db->mu);
	return ret;
}
