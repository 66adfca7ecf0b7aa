/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station export --what wide: one row per run, one column per measurement,
 * for Minitab or JMP (report/wide.c lays them out); here its two queries,
 * the measurement columns the filter's runs have and every value with its
 * run's first-run flag (each unit's first judged run of its operation).
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
	" s.name AS step, m.name, m.value, m.text, m.unit"
	" FROM wr LEFT JOIN (steps s JOIN measurements m ON m.step_id = s.id) ON s.run_id = wr.id"
	" ORDER BY wr.started_us, wr.id, m.id",
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
