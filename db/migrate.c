/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Creating and upgrading the schema, in place and in one transaction.
 *
 * upgrade_pre[v] takes a version-v log to v+1 with ALTERs on the tables v
 * already had; then db/schema.sql (idempotent) runs, creating what is new
 * and re-creating the views, and sets PRAGMA user_version; upgrade_post[v]
 * then fills new tables from old rows (and the summaries of schema 3 are
 * rebuilt from the rows by db_summary.c).  A frozen copy of each old schema
 * is kept in db/migrations/ for the migration tests.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define LOG_PREFIX "db"
#include "common/log.h"
#include "db/db-internal.h"

extern const char db_schema_sql[];

/* The hour and day cells and what hangs on them, dropped: schema.sql
 * makes them anew, dbi_sum_rebuild() fills them from the rows.  (A log
 * from before schema 3 has runs.cell, from [2], but no cells for the
 * foreign key to name while runs.cell is cleared.)  Dropping cells checks
 * the foreign key runs.cell for each cell: through runs_cell_fk, built for
 * it, not a scan of every run per cell (minutes on 50,000 runs). */
#define DROP_SUMMARIES \
	"DROP VIEW IF EXISTS v_yield;\n" \
	"DROP VIEW IF EXISTS v_first_pass_yield;\n" \
	"DROP VIEW IF EXISTS v_failures_pareto;\n" \
	"DROP VIEW IF EXISTS v_measurement_stats;\n" \
	"DROP TABLE IF EXISTS meas_sum;\n" \
	"DROP TABLE IF EXISTS step_fails;\n" \
	"DROP TABLE IF EXISTS unit_first;\n" \
	"DROP TABLE IF EXISTS unit_cells;\n" \
	"DROP INDEX IF EXISTS cells_key;\n" \
	"CREATE TABLE IF NOT EXISTS cells (id INTEGER PRIMARY KEY);\n" \
	"UPDATE runs SET cell = NULL;\n" \
	"CREATE INDEX IF NOT EXISTS runs_cell_fk ON runs(cell);\n" \
	"DROP TABLE cells;\n" \
	"DROP INDEX runs_cell_fk;\n"

static const char *const upgrade_pre[DB_SCHEMA_VERSION] = {
	[1] =
	"ALTER TABLE runs ADD COLUMN last_step_index INTEGER;\n"
	"ALTER TABLE runs ADD COLUMN last_step TEXT;\n"
	"UPDATE runs SET (last_step_index, last_step) = (SELECT idx, name FROM steps s "
	"  WHERE s.run_id = runs.id ORDER BY idx DESC LIMIT 1);\n"
	"ALTER TABLE steps ADD COLUMN phase TEXT;\n"
	"ALTER TABLE steps ADD COLUMN duration_us INTEGER;\n"
	"ALTER TABLE steps ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;\n"
	"UPDATE steps SET duration_us = ended_us - started_us;\n"
	"ALTER TABLE measurements ADD COLUMN run_id TEXT REFERENCES runs(id);\n"
	"ALTER TABLE measurements ADD COLUMN text TEXT;\n"
	"ALTER TABLE measurements ADD COLUMN expect TEXT;\n"
	"ALTER TABLE images ADD COLUMN run_id TEXT REFERENCES runs(id);\n"
	"ALTER TABLE images ADD COLUMN path TEXT;\n"
	"ALTER TABLE images ADD COLUMN format TEXT;\n"
	"ALTER TABLE images ADD COLUMN chip_id TEXT;\n"
	"ALTER TABLE identities ADD COLUMN run_id TEXT REFERENCES runs(id);\n"
	"ALTER TABLE identities ADD COLUMN chip_serial TEXT;\n"
	"ALTER TABLE identities ADD COLUMN not_before TEXT;\n"
	"ALTER TABLE identities ADD COLUMN not_after TEXT;\n"
	"ALTER TABLE identities ADD COLUMN spki_sha256 TEXT;\n"
	"ALTER TABLE identities ADD COLUMN subject_serial TEXT;\n"
	"ALTER TABLE identities ADD COLUMN masa_url TEXT;\n"
	"ALTER TABLE identities ADD COLUMN nonce TEXT;\n"
	"ALTER TABLE identities ADD COLUMN signature TEXT;\n"
	"ALTER TABLE identities ADD COLUMN dpp_uri TEXT;\n"
	"UPDATE measurements SET run_id = (SELECT run_id FROM steps WHERE id = step_id);\n"
	"UPDATE images SET run_id = (SELECT run_id FROM steps WHERE id = step_id);\n"
	"UPDATE identities SET run_id = (SELECT run_id FROM steps WHERE id = step_id);\n"
	"DROP INDEX IF EXISTS runs_unit;\n",
	[2] =
	"ALTER TABLE runs ADD COLUMN cell INTEGER REFERENCES cells(id);\n",
	/* schema 6 (station serve): what the MES names a run by */
	[5] =
	"ALTER TABLE runs ADD COLUMN work_order TEXT;\n"
	"ALTER TABLE runs ADD COLUMN part_number TEXT;\n"
	"ALTER TABLE runs ADD COLUMN revision TEXT;\n",
	/* schema 7: the central store's forwarded mark; runs already ended are
	 * queued (sent once a central: is configured) */
	[6] =
	"ALTER TABLE runs ADD COLUMN forwarded_us INTEGER;\n",
	/* schema 9: summary cells per hour and outcome, first runs per
	 * operation: the old summaries go, rebuilt from the rows after */
	[8] = DROP_SUMMARIES,
	/* schema 10: measurements without the run_id copied from their step
	 * (and its index): the table is rebuilt, rows and ids as they were;
	 * schema.sql then re-creates its other indexes */
	[9] =
	"CREATE TABLE measurements_v10 (id INTEGER PRIMARY KEY,"
	"  step_id INTEGER NOT NULL REFERENCES steps(id), name TEXT NOT NULL, value REAL,"
	"  text TEXT, unit TEXT, low REAL, high REAL, expect TEXT, outcome TEXT NOT NULL);\n"
	"INSERT INTO measurements_v10 (id, step_id, name, value, text, unit, low, high, expect,"
	"  outcome) SELECT id, step_id, name, value, text, unit, low, high, expect, outcome"
	"  FROM measurements ORDER BY id;\n"
	"DROP TABLE measurements;\n"
	"ALTER TABLE measurements_v10 RENAME TO measurements;\n",
	/* schema 11: no query reads measurements by name alone any more (a
	 * measurement's values come through their runs and steps), and the
	 * index was a tenth of the log that db check --quick read */
	[10] =
	"DROP INDEX IF EXISTS measurements_name;\n",
	/* schema 12: the summary cells keyed by the line's dimensions too
	 * (report --operator, --work-order, ...): the cells go, schema.sql
	 * makes them with the new columns and key, and every summary is
	 * rebuilt from the rows below (whatever version the log had) */
	/* schema 12: a run without a sequence name is NULL, never '' (stations
	 * before schema 11 stored '', which the summaries kept as another
	 * operation: its own cells, measurement and capability keys); the
	 * summaries, keyed by the line too, are built again from the rows */
	[11] =
	"UPDATE runs SET sequence_name = NULL WHERE sequence_name = '';\n"
	DROP_SUMMARIES,
	/* 14: split_pre_sql and split_post_sql below */
};

static const char *const upgrade_post[DB_SCHEMA_VERSION] = {
	[1] =
	"INSERT OR IGNORE INTO stations (name, software_version, first_seen_us, last_seen_us) "
	"  SELECT station, max(software_version), min(started_us), max(started_us) "
	"  FROM runs GROUP BY station;\n"
	"INSERT OR IGNORE INTO fixtures (station, name, first_seen_us, last_seen_us) "
	"  SELECT station, fixture, min(started_us), max(started_us) "
	"  FROM runs GROUP BY station, fixture;\n",
};

/* Schema 15: the measurements in two tables, their defs kept once
 * (schema.sql), the view measurements in the table's place.  Where
 * measurements is still a table, it steps aside before schema.sql (its
 * index goes with it) and its rows move after: every row and id as it was,
 * a def per distinct name, unit, limits and expected text (IS: NULL
 * matches NULL), in the order first met.  (Asked of the schema, not of the
 * version: a log whose version was set back by hand, as make bench does to
 * time older upgrades, already has the view.) */
static const char split_pre_sql[] = "ALTER TABLE measurements RENAME TO measurements_v14;\n";
static const char split_post_sql[] =
	"INSERT INTO measurement_defs (name, unit, low, high, expect)"
	"  SELECT name, unit, low, high, expect FROM measurements_v14"
	"  GROUP BY name, unit, low, high, expect ORDER BY min(id);\n"
	"INSERT INTO measurement_values (id, step_id, def, value, text, outcome)"
	"  SELECT m.id, m.step_id, d.id, m.value, m.text, m.outcome FROM measurements_v14 m"
	"  JOIN measurement_defs d ON d.name = m.name AND d.unit IS m.unit AND d.low IS m.low"
	"  AND d.high IS m.high AND d.expect IS m.expect ORDER BY m.id;\n"
	"DROP TABLE measurements_v14;\n";

/* One integer from a constant query. */
static int query_int(struct db *db, const char *sql, int *v, const char *what,
		     struct st_error *e)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return dbi_fail(db, e, rc, what);
	return ST_OK;
}

static int read_version(struct db *db, int *v, struct st_error *e)
{
	return query_int(db, "PRAGMA user_version", v, "read the schema version", e);
}

static int run_sql(struct db *db, const char *sql, int from, struct st_error *e)
{
	char what[64];
	int rc;

	if (!sql)
		return ST_OK;
	rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return ST_OK;
	snprintf(what, sizeof(what), "upgrade the schema from version %d", from);
	return dbi_fail(db, e, rc, what);
}

/* Under BEGIN IMMEDIATE: another station process may have just done it. */
static int upgrade(struct db *db, struct st_error *e)
{
	int v, tables = 0, split = 0, ret;

	ret = read_version(db, &v, e);
	if (ret < 0)
		return ret;
	if (v == 0) {
		/* A file with tables but no version was not made by the station. */
		ret = query_int(db, "SELECT count(*) FROM sqlite_schema", &tables,
				"read the schema", e);
		if (ret < 0)
			return ret;
		if (tables)
			return st_fail(e, ST_ERR_DB, "%s holds tables but is not a station log "
				       "(no schema version); pass --db with another file", db->path);
	}
	for (int i = v; i > 0 && i < DB_SCHEMA_VERSION && ret == ST_OK; i++)
		ret = run_sql(db, upgrade_pre[i], i, e);
	if (ret == ST_OK && v > 0)
		ret = query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'measurements'"
				" AND type = 'table'", &split, "read the schema", e);
	if (ret == ST_OK && split)
		ret = run_sql(db, split_pre_sql, v, e);
	if (ret == ST_OK && v < DB_SCHEMA_VERSION)
		ret = run_sql(db, db_schema_sql, v, e);
	for (int i = v; i > 0 && i < DB_SCHEMA_VERSION && ret == ST_OK; i++)
		ret = run_sql(db, upgrade_post[i], i, e);
	if (ret == ST_OK && split)
		ret = run_sql(db, split_post_sql, v, e);
	/* the summaries, from every row already logged: schema 3 added them,
	 * 4 counts leaf steps only in the Pareto, 5 judged runs only in the
	 * yields, 9 keys them by hour and outcome, 12 by the line's dimensions
	 * (db_summary_rebuild()'s code, in this transaction) */
	if (ret == ST_OK && v > 0 && v < 12)
		ret = dbi_sum_rebuild(db, e);	/* and 11's capability cells */
	/* schema 14: the capability cells per line value beside them; 16:
	 * per outcome too */
	else if (ret == ST_OK && v >= 12 && v < 16)
		ret = dbi_cap_rebuild(db, e);
	if (ret < 0)
		return ret;
	ret = read_version(db, &v, e);
	if (ret == ST_OK && v != DB_SCHEMA_VERSION)
		return st_fail(e, ST_ERR_DB, "schema.sql sets version %d, the code expects %d "
			       "(a build bug)", v, DB_SCHEMA_VERSION);
	return ret;
}

int dbi_schema_apply(struct db *db, struct st_error *e)
{
	int v, ret;

	ret = read_version(db, &v, e);
	if (ret < 0)
		return ret;
	db->found_version = v;
	if (v == DB_SCHEMA_VERSION || db->as_is)
		return ST_OK;
	if (v > DB_SCHEMA_VERSION)
		return st_fail(e, ST_ERR_DB, "the log %s has schema version %d, newer than this "
			       "station understands (%d); update the station software", db->path,
			       v, DB_SCHEMA_VERSION);
	if (db->readonly)
		return st_fail(e, ST_ERR_DB, "the log %s has schema version %d, this station "
			       "reads version %d; run 'station db migrate --db %s' first",
			       db->path, v, DB_SCHEMA_VERSION, db->path);
	/* an upgrade that rebuilds the summaries holds the log for minutes on
	 * a large log (schema 12: 151 s for a million runs; 14, the capability
	 * cells alone: 136 s; 15, the 20 million measurements moved; 16, the
	 * capability cells again): said before, so that nobody takes the wait
	 * for a hang and stops it (a stop loses nothing: the upgrade is one
	 * transaction, done again on the next open) */
	if (v > 0 && v < 16)
		log_warn("%s: upgrading the log from schema version %d to %d: its %s, which takes "
			 "minutes on a large log (a stop loses nothing; the upgrade starts again on "
			 "the next open)", db->path, v, DB_SCHEMA_VERSION,
			 v < 12 ? "summaries are rebuilt from the rows" :
			 v < 15 ? "measurements are rewritten into their new tables and its "
				  "capability cells rebuilt from the rows" :
				  "capability cells are rebuilt from the rows");
	ret = dbi_begin(db, e);
	if (ret < 0)
		return ret;
	ret = upgrade(db, e);
	if (ret == ST_OK)
		ret = dbi_commit(db, e);
	if (ret < 0) {
		dbi_rollback(db);
		return ret;
	}
	if (v > 0)
		log_info("%s: upgraded the log from schema version %d to %d", db->path, v,
			 DB_SCHEMA_VERSION);
	return ST_OK;
}
