/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The summaries (db_summary.c) recomputed from the rows, in bulk SQL: all
 * of them (an upgrade, db_summary_rebuild), or the two hour cells and their
 * day cells a run moved between when it ended a second time with another
 * outcome.  A run's measurements go to its hour cell; a day cell is the sum
 * of its hour cells (the bins blobs add up, the sums share one reference).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <string.h>

#include "db/db-internal.h"

#define HOUR_US 3600000000LL

/* The line's dimensions of a cell (schema 12), as a column list, and the
 * same in a and b (NULL-safe: a run need not have them). */
#define DIMS "station, operator, work_order, part_number, revision"
#define SAME_DIMS(a, b) \
	a ".station IS " b ".station AND " a ".operator IS " b ".operator" \
	" AND " a ".work_order IS " b ".work_order AND " a ".part_number IS " b ".part_number" \
	" AND " a ".revision IS " b ".revision"

/* The measurement sums of the hour cells, from the measurement rows FROM
 * and WHERE select (m, s, r): per cell and key, about the key's ref. */
#define MEAS_SUMS(from, where) \
	"INSERT INTO meas_sum (cell, key, n, s1, s2, min, max, out_low, out_high, bins)" \
	" SELECT r.cell, k.id, count(*), sum(m.value - k.ref)," \
	" sum((m.value - k.ref) * (m.value - k.ref)), min(m.value), max(m.value)," \
	" sum(m.low IS NOT NULL AND m.value < m.low), sum(m.high IS NOT NULL AND m.value > m.high)," \
	" st_hist_agg(m.value, k.hist_lo, k.hist_width, k.hist_hi) " from \
	" JOIN meas_keys k ON k.name = m.name AND k.step = s.name" \
	" AND k.sequence_name IS r.sequence_name AND k.unit IS m.unit AND k.low IS m.low" \
	" AND k.high IS m.high WHERE m.value IS NOT NULL AND " where " GROUP BY r.cell, k.id"

/* A day cell's sums from its hour cells' (d: the day cells concerned): of
 * its line, or of every line (d.station NULL). */
#define DAY_SUMS(where) \
	"INSERT INTO meas_sum (cell, key, n, s1, s2, min, max, out_low, out_high, bins)" \
	" SELECT d.id, m.key, sum(m.n), sum(m.s1), sum(m.s2), min(m.min), max(m.max)," \
	" sum(m.out_low), sum(m.out_high), st_hist_sum(m.bins)" \
	" FROM cells d JOIN cells c ON c.hours = 1 AND c.hour >= d.hour AND c.hour < d.hour + 24" \
	" AND c.fixture = d.fixture AND c.sequence_name IS d.sequence_name" \
	" AND c.sequence_version IS d.sequence_version AND c.outcome = d.outcome" \
	" AND (d.station IS NULL OR " SAME_DIMS("c", "d") ")" \
	" CROSS JOIN meas_sum m ON m.cell = c.id WHERE d.hours = 24 AND " where \
	" GROUP BY d.id, m.key"

/* Failing leaf steps of the runs r selects, per hour cell. */
#define STEP_FAILS(where) \
	"INSERT INTO step_fails (cell, step, n) SELECT r.cell, s.name, count(*)" \
	" FROM runs r CROSS JOIN steps s ON s.run_id = r.id" \
	" WHERE s.outcome IN ('fail', 'error') AND " DB_LEAF_STEP " AND " where \
	" GROUP BY r.cell, s.name"

static const char *const rebuild_cells[] = {
	"DELETE FROM meas_sum", "DELETE FROM meas_keys", "DELETE FROM step_fails",
	"DELETE FROM unit_first", "DELETE FROM unit_cells", "UPDATE runs SET cell = NULL",
	/* each cell deleted checks the foreign key runs.cell: through an
	 * index, not a scan of the runs per cell */
	"CREATE INDEX IF NOT EXISTS runs_cell_fk ON runs(cell)", "DELETE FROM cells",
	"DROP INDEX runs_cell_fk",
	"INSERT INTO cells (hour, hours, fixture, sequence_name, sequence_version, outcome, " DIMS ")"
	" SELECT DISTINCT started_us / 3600000000, 1, fixture, sequence_name, sequence_version,"
	" outcome, " DIMS " FROM runs WHERE outcome <> 'running' ORDER BY 1, 3, 4, 5, 6, 7, 8, 9,"
	" 10, 11",
	"INSERT INTO cells (hour, hours, fixture, sequence_name, sequence_version, outcome, " DIMS ")"
	" SELECT DISTINCT hour / 24 * 24, 24, fixture, sequence_name, sequence_version, outcome, "
	DIMS " FROM cells WHERE hours = 1 ORDER BY 1, 3, 4, 5, 6, 7, 8, 9, 10, 11",
	/* and the day cells of every line (station NULL) */
	"INSERT INTO cells (hour, hours, fixture, sequence_name, sequence_version, outcome)"
	" SELECT DISTINCT hour / 24 * 24, 24, fixture, sequence_name, sequence_version, outcome"
	" FROM cells WHERE hours = 1 ORDER BY 1, 3, 4, 5, 6",
	/* per run through cells_key (an UPDATE ... FROM would scan the runs
	 * for every cell) */
	"UPDATE runs SET cell = (SELECT c.id FROM cells c WHERE c.hours = 1"
	" AND c.hour = runs.started_us / 3600000000 AND c.fixture = runs.fixture"
	" AND c.sequence_name IS runs.sequence_name AND c.sequence_version IS runs.sequence_version"
	" AND c.outcome = runs.outcome AND " SAME_DIMS("c", "runs") ") WHERE outcome <> 'running'",
	"UPDATE cells SET runs = t.n FROM (SELECT cell, count(*) AS n FROM runs"
	" WHERE cell IS NOT NULL GROUP BY cell) t WHERE t.cell = cells.id",
	STEP_FAILS("r.cell IS NOT NULL"),
	/* the yields' units: identified units' judged runs */
	"INSERT INTO unit_cells (unit, cell, passed) SELECT unit_serial, cell, max(outcome = 'pass')"
	" FROM runs WHERE outcome IN ('pass', 'fail') AND unit_serial IS NOT NULL"
	" AND cell IS NOT NULL GROUP BY 1, 2",
	"INSERT INTO unit_first (unit, op, run_id, cell, passed)"
	" SELECT unit_serial, op, id, cell, outcome = 'pass'"
	" FROM (SELECT unit_serial, coalesce(sequence_name, '') AS op, id, cell, outcome,"
	"  row_number() OVER (PARTITION BY unit_serial, coalesce(sequence_name, '')"
	"  ORDER BY started_us, id) AS nth FROM runs WHERE outcome IN ('pass', 'fail')"
	"  AND unit_serial IS NOT NULL AND cell IS NOT NULL) WHERE nth = 1",
	"UPDATE unit_first SET multi = 1 WHERE (SELECT count(*) FROM unit_cells uc"
	" JOIN cells c ON c.id = uc.cell WHERE uc.unit = unit_first.unit"
	" AND coalesce(c.sequence_name, '') = unit_first.op) > 1",
	"UPDATE cells SET units = t.n, passed = t.p FROM (SELECT cell, count(*) AS n,"
	" sum(passed) AS p FROM unit_cells GROUP BY cell) t WHERE t.cell = cells.id",
	"UPDATE cells SET first_units = t.n, first_passed = t.p FROM (SELECT cell, count(*) AS n,"
	" sum(passed) AS p FROM unit_first GROUP BY cell) t WHERE t.cell = cells.id",
	NULL
};

/* Each measurement key with its first value (the lowest id): its ref. */
static const char keys_sql[] =
	"SELECT NULL, r.sequence_name, s.name, m.name, m.unit, m.low, m.high, m.value, min(m.id)"
	" FROM measurements m JOIN steps s ON s.id = m.step_id JOIN runs r ON r.id = s.run_id"
	" WHERE r.cell IS NOT NULL AND m.value IS NOT NULL GROUP BY 2, 3, 4, 5, 6, 7 ORDER BY 9";

static const char *const rebuild_meas[] = {
	MEAS_SUMS("FROM measurements m JOIN steps s ON s.id = m.step_id JOIN runs r ON r.id = s.run_id",
		  "r.cell IS NOT NULL"),
	DAY_SUMS("1"),
	NULL
};

/* Two hour cells (?1, ?2) of hour ?3 and their day cells (?4, ?5 of their
 * lines, ?6, ?7 of every line). */
#define IN_CELLS "r.started_us >= ?3 * 3600000000 AND r.started_us < (?3 + 1) * 3600000000" \
	" AND r.cell IN (?1, ?2)"

static const char *const recount[] = {
	"UPDATE cells SET runs = (SELECT count(*) FROM runs r WHERE " IN_CELLS
	" AND r.cell = cells.id) WHERE id IN (?1, ?2)",
	"DELETE FROM step_fails WHERE cell IN (?1, ?2)",
	STEP_FAILS(IN_CELLS),
	"DELETE FROM meas_sum WHERE cell IN (?1, ?2, ?4, ?5, ?6, ?7)",
	MEAS_SUMS("FROM runs r CROSS JOIN steps s ON s.run_id = r.id"
		  " JOIN measurements m ON m.step_id = s.id", IN_CELLS),
	DAY_SUMS("d.id IN (?4, ?5, ?6, ?7)"),
	NULL
};

/* Run each statement, the parameters it names bound from p[0..6]. */
static int exec_all(struct db *db, const char *const *sql, const int64_t *p, const char *what,
		    struct st_error *e)
{
	for (; *sql; sql++) {
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(db->h, *sql, -1, &st, NULL);

		if (rc != SQLITE_OK)
			return dbi_fail(db, e, rc, what);
		for (int i = 1; p && i <= sqlite3_bind_parameter_count(st) && i <= 7; i++)
			sqlite3_bind_int64(st, i, p[i - 1]);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return dbi_fail(db, e, rc, what);
	}
	return ST_OK;
}

/* A day cell of hour cell c (looked up: it exists once c has runs): of
 * its line, or (all) of every line. */
static int day_of(struct db *db, int64_t c, bool all, int64_t *day, struct st_error *e)
{
	static const char sql[] =
		"SELECT d.id FROM cells c JOIN cells d ON d.hours = 24 AND d.hour = c.hour / 24 * 24"
		" AND d.fixture = c.fixture AND d.sequence_name IS c.sequence_name"
		" AND d.sequence_version IS c.sequence_version AND d.outcome = c.outcome"
		" AND CASE WHEN ?2 THEN d.station IS NULL AND d.operator IS NULL"
		" AND d.work_order IS NULL AND d.part_number IS NULL AND d.revision IS NULL"
		" ELSE " SAME_DIMS("d", "c") " END WHERE c.id = ?1";
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "find a day cell");
	sqlite3_bind_int64(st, 1, c);
	sqlite3_bind_int(st, 2, all);
	rc = sqlite3_step(st);
	*day = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ST_OK : dbi_fail(db, e, rc, "find a day cell");
}

int dbi_sum_recount_cells(struct db *db, int64_t a, int64_t b, int64_t hour, struct st_error *e)
{
	int64_t p[7] = { a, b, hour, -1, -1, -1, -1 };
	int ret = ST_OK;

	for (int i = 0; i < 4 && ret == ST_OK; i++)
		ret = day_of(db, i % 2 ? b : a, i >= 2, &p[3 + i], e);
	return ret < 0 ? ret : exec_all(db, recount, p, "recount the summaries of a run", e);
}

int dbi_sum_rebuild(struct db *db, struct st_error *e)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = exec_all(db, rebuild_cells, NULL, "rebuild the summaries", e);
	if (ret < 0)
		return ret;
	rc = sqlite3_prepare_v2(db->h, keys_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "rebuild the measurement summaries");
	while (ret == ST_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ret = dbi_sum_meas_key(db, st, sqlite3_column_double(st, 7), e);
	sqlite3_finalize(st);
	if (ret == ST_OK && rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, "rebuild the measurement summaries");
	if (ret == ST_OK)
		ret = exec_all(db, rebuild_meas, NULL, "rebuild the measurement summaries", e);
	return ret < 0 ? ret : dbi_cap_rebuild(db, e);
}

/* A rebuild that failed on a sum of NULL (SQLite keeps no NaN: inf - inf
 * of an infinity edited into a log by hand; the station records none): the
 * measurement that holds one named instead of the constraint, with what
 * to do.  ST_OK: none found, e as it was. */
static int name_infinity(struct db *db, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret = ST_OK;

	if (!strstr(e->msg, "NOT NULL") ||
	    sqlite3_prepare_v2(db->h, "SELECT v.id, s.run_id, d.name FROM measurement_values v"
			       " JOIN steps s ON s.id = v.step_id JOIN measurement_defs d ON d.id = v.def"
			       " WHERE v.value IN (9e999, -9e999) ORDER BY v.id LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return ST_OK;
	if (sqlite3_step(st) == SQLITE_ROW)
		ret = st_fail(e, ST_ERR_DB, "cannot rebuild the summaries of %s: measurement %lld "
			      "('%s' of run %s) is infinite, which they cannot sum (a value edited "
			      "in by hand: the station records none); set it to a finite value or "
			      "NULL (UPDATE measurements SET value = NULL WHERE id = %lld), then "
			      "rebuild; nothing was changed", db->path,
			      (long long)sqlite3_column_int64(st, 0),
			      (const char *)sqlite3_column_text(st, 2),
			      (const char *)sqlite3_column_text(st, 1),
			      (long long)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	return ret;
}

/* A measurement value that is text or bytes ('' or 'nan' as sqlite3
 * .import writes an empty cell): summed as 0, it would put a 0 the log
 * does not hold into every figure; the first one named, with what to do.
 * ST_OK: none.  db->mu held. */
static int name_text_value(struct db *db, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret = ST_OK, rc;

	rc = sqlite3_prepare_v2(db->h, "SELECT v.id, s.run_id, d.name, quote(v.value)"
				" FROM measurement_values v JOIN steps s ON s.id = v.step_id"
				" JOIN measurement_defs d ON d.id = v.def"
				" WHERE typeof(v.value) IN ('text', 'blob') ORDER BY v.id LIMIT 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "rebuild the summaries");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = st_fail(e, ST_ERR_DB, "cannot rebuild the summaries of %s: measurement %lld "
			      "('%s' of run %s) holds %s, text where a number belongs, which they "
			      "would count as 0 ('' or 'nan' as sqlite3 .import writes an empty "
			      "cell); set it to its number or NULL (UPDATE measurements SET value = "
			      "NULL WHERE id = %lld), then rebuild ('station db check' counts them); "
			      "nothing was changed", db->path, (long long)sqlite3_column_int64(st, 0),
			      (const char *)sqlite3_column_text(st, 2),
			      (const char *)sqlite3_column_text(st, 1),
			      (const char *)sqlite3_column_text(st, 3),
			      (long long)sqlite3_column_int64(st, 0));
	else if (rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, "rebuild the summaries");
	sqlite3_finalize(st);
	return ret;
}

int db_summary_rebuild(struct db *db, struct st_error *e)
{
	int ret;

	if (db->readonly)
		return st_fail(e, ST_ERR_ARG, "the log %s is open read-only", db->path);
	pthread_mutex_lock(&db->mu);
	ret = name_text_value(db, e);
	if (ret == ST_OK)
		ret = dbi_begin(db, e);
	if (ret == ST_OK) {
		/* a run without a sequence name is NULL, as schema 12's upgrade
		 * made it: a '' edited or imported in since would be another
		 * operation in the summaries (failure modes, measurement keys) */
		int rc = sqlite3_exec(db->h, "UPDATE runs SET sequence_name = NULL"
				      " WHERE sequence_name = ''", NULL, NULL, NULL);

		ret = rc == SQLITE_OK ? dbi_sum_rebuild(db, e) :
		      dbi_fail(db, e, rc, "rebuild the summaries");
		if (ret == ST_OK)
			ret = dbi_commit(db, e);
		if (ret < 0) {
			dbi_rollback(db);
			name_infinity(db, e);
		}
	}
	pthread_mutex_unlock(&db->mu);
	return ret;
}
