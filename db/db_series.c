/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --spc's values: one measurement, fixture by fixture in
 * time order, the filtered runs first, as for the statistics.
 *
 * A control chart needs of each fixture its first points (the baseline the
 * limits come from) and its latest ones (what the line does now), not the
 * hundred thousand between them: with a window (db_report.h), each fixture
 * is read from both ends along runs_fixture_started (schema 13), the first
 * head values in time order and then the last tail values after them,
 * newest first and given oldest first.  Without one, every value in one
 * ordered read.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

#define SERIES_COLS \
	"SELECT r.fixture, " REP_ISO("r.started_us") " AS time, r.started_us," \
	" r.unit_serial, r.id AS run_id, m.value, m.unit, m.id AS mid," \
	" " DB_OP("r") " AS sequence_name FROM runs r CROSS JOIN steps s ON s.run_id = r.id" \
	" CROSS JOIN measurements m ON m.step_id = s.id"
#define SERIES_WHERE \
	" WHERE r.outcome <> 'running' AND " REP_WHERE \
	" AND (?8 IS NULL OR " FIRST_JUDGED_OP_RUN ") AND m.name = ?9 AND m.value IS NOT NULL"

/* Every value: columns fixture, time (ISO), started_us, unit_serial,
 * run_id, value, unit, mid (the measurement's id, the order within a run),
 * sequence_name (the run's operation: report/spc.c refuses a chart of two). */
static const char all_sql[] =
	SERIES_COLS SERIES_WHERE " ORDER BY r.fixture, r.started_us, m.id";

/* The same of every run (no run filter): the values of the name's defs
 * first, in one pass over measurement_values, then joined run by run.
 * Through the view (schema 15) each step's values were read and each
 * one's def looked up to compare the name; schema 14 had SQLite index the
 * name's rows of measurements once instead (an automatic index): on a
 * 50,000-run log 0.66 s CPU at 14, 0.83 s through the view, 0.55 s so.
 * With a run filter the view's read, run by run, is kept: this one reads
 * every value of the name whatever runs are selected. */
static const char every_run_sql[] =
	"WITH mv AS MATERIALIZED (SELECT v.id, v.step_id, v.def, v.value FROM measurement_values v"
	" WHERE v.def IN (SELECT id FROM measurement_defs WHERE name = ?9) AND v.value IS NOT NULL)"
	" SELECT r.fixture, " REP_ISO("r.started_us") " AS time, r.started_us,"
	" r.unit_serial, r.id AS run_id, m.value, d.unit, m.id AS mid,"
	" " DB_OP("r") " AS sequence_name FROM runs r CROSS JOIN steps s ON s.run_id = r.id CROSS JOIN mv m ON m.step_id = s.id"
	" CROSS JOIN measurement_defs d ON d.id = m.def"
	" WHERE r.outcome <> 'running' AND " REP_WHERE " AND (?8 IS NULL OR " FIRST_JUDGED_OP_RUN ")"
	" ORDER BY r.fixture, r.started_us, m.id";

static bool no_run_filter(const struct rep_filter *f)
{
	return !f->has_since && !f->has_until && !f->fixture && !f->seq_name && !f->seq_version &&
	       !f->outcome && !f->serial && !f->operator_name && !f->work_order &&
	       !f->part_number && !f->revision && !f->station;
}

/* The fixtures of the log, from runs_fixture_started (one seek each). */
static const char fixtures_sql[] =
	"WITH RECURSIVE fx(f) AS (SELECT min(fixture) FROM runs UNION ALL"
	" SELECT (SELECT min(fixture) FROM runs WHERE fixture > fx.f) FROM fx"
	" WHERE fx.f IS NOT NULL) SELECT f FROM fx WHERE f IS NOT NULL";

/* A fixture's first ?11 values. */
static const char head_sql[] =
	SERIES_COLS SERIES_WHERE " AND r.fixture = ?10 ORDER BY r.started_us, m.id LIMIT ?11";

/* Its last ?11 values after (?12, ?13), the head's last, oldest first
 * (asked for one more than the window: report/spc.c knows by it that points
 * between were skipped). */
static const char tail_sql[] =
	"SELECT * FROM (" SERIES_COLS SERIES_WHERE " AND r.fixture = ?10"
	" AND r.started_us >= ?12 AND (r.started_us > ?12 OR m.id > ?13)"
	" ORDER BY r.started_us DESC, m.id DESC LIMIT ?11) ORDER BY started_us, mid";

struct head {
	db_row_fn fn;
	void *ctx;
	int n;
	int64_t last_us, last_mid;
};

/* Hands the head's rows on, keeping the last one's place. */
static int head_row(void *ctx, const struct db_row *row)
{
	struct head *h = ctx;

	if (!row->columns_only) {
		h->n++;
		h->last_us = row->v[2].i;
		h->last_mid = row->v[7].i;
	}
	return h->fn(h->ctx, row);
}

static sqlite3_stmt *prepare(struct db *db, const char *sql, const struct rep_filter *f,
			     bool first_only, const char *name)
{
	sqlite3_stmt *st = dbr_prepare_where(db->h, sql, f);

	if (st && first_only)
		sqlite3_bind_int(st, 8, 1);
	if (st)
		dbi_bind_text(st, 9, name);
	return st;
}

#define QUERY_FAILED(db, e) \
	st_fail(e, ST_ERR_DB, "cannot query the log: %s", sqlite3_errmsg((db)->h))

/* One fixture's two ends. */
static int fixture_ends(struct db *db, const char *fx, const char *name, const struct rep_filter *f,
			bool first_only, const struct db_series_window *w, db_row_fn fn,
			void *ctx, struct st_error *e)
{
	struct head h = { .fn = fn, .ctx = ctx };
	sqlite3_stmt *st = prepare(db, head_sql, f, first_only, name);
	int ret;

	if (!st)
		return QUERY_FAILED(db, e);
	/* the name as stored, byte for byte (dbi_bind_text() would mend a
	 * name that is not UTF-8, which then matches no run) */
	sqlite3_bind_text(st, 10, fx, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 11, w->head);
	ret = dbr_each_row(db->h, st, head_row, &h, e);
	if (ret || h.n < w->head)
		return ret;	/* the whole series was in the head */
	st = prepare(db, tail_sql, f, first_only, name);
	if (!st)
		return QUERY_FAILED(db, e);
	sqlite3_bind_text(st, 10, fx, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 11, w->tail + 1);	/* one more: some were skipped */
	sqlite3_bind_int64(st, 12, h.last_us);
	sqlite3_bind_int64(st, 13, h.last_mid);
	return dbr_each_row(db->h, st, fn, ctx, e);
}

struct fixtures {
	char **v;
	int n;
	struct st_error *e;
};

static int add_fixture(void *ctx, const struct db_row *row)
{
	struct fixtures *l = ctx;
	char **nv;

	if (row->columns_only || row->v[0].type != DB_TEXT)
		return 0;
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv || !(nv[l->n] = strdup(row->v[0].s))) {
		l->v = nv ? nv : l->v;
		return st_fail(l->e, ST_ERR_NOMEM, "out of memory");
	}
	l->v = nv;
	l->n++;
	return 0;
}

/* Both ends of each fixture's series, in one read transaction (a run a
 * station ends meanwhile is in both reads or in neither); db->mu held. */
static int window(struct db *db, const char *name, const struct rep_filter *f, bool first_only,
		  const struct db_series_window *w, db_row_fn fn, void *ctx, struct st_error *e)
{
	struct fixtures l = { .e = e };
	bool txn = sqlite3_get_autocommit(db->h) &&
		   sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	int ret = 0;

	if (f && f->fixture) {
		ret = add_fixture(&l, &(struct db_row){ .n = 1, .v[0] = { .type = DB_TEXT,
								       .s = f->fixture } });
	} else {
		sqlite3_stmt *st = dbr_prepare(db->h, fixtures_sql);

		ret = st ? dbr_each_row(db->h, st, add_fixture, &l, e) : QUERY_FAILED(db, e);
	}
	for (int i = 0; !ret && i < l.n; i++)
		ret = fixture_ends(db, l.v[i], name, f, first_only, w, fn, ctx, e);
	for (int i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	if (txn)
		sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);	/* reads only */
	return ret;
}

/* The kinds of the name's values in the runs selected: a row per sequence
 * (NULL for none or ''), version and unit, with its count of values; the
 * chart refuses more than one sequence or unit (report/spc.c).  Unless
 * exact, the summaries' keys say first whether the name has more than one
 * at all in the log (one indexed read): only then are the values read (a
 * run put in by SQL has no summary: the chart's own points tell, and then
 * it asks again, exact). */
static const char kinds_keys_sql[] =
	"SELECT count(*) FROM (SELECT DISTINCT nullif(sequence_name, ''), unit FROM meas_keys"
	" WHERE name = ?1)";
static const char kinds_sql[] =
	"SELECT " DB_OP("r") " AS sequence_name, r.sequence_version, m.unit, count(*) AS n"
	" FROM runs r CROSS JOIN steps s ON s.run_id = r.id"
	" CROSS JOIN measurements m ON m.step_id = s.id" SERIES_WHERE
	" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

int db_meas_kinds(struct db *db, const char *name, const struct rep_filter *f, bool first_only,
		  bool exact, db_row_fn fn, void *ctx, struct st_error *e)
{
	sqlite3_stmt *st;
	int kinds = 0;

	pthread_mutex_lock(&db->mu);
	st = exact ? NULL : dbr_prepare(db->h, kinds_keys_sql);
	if (st) {
		dbi_bind_text(st, 1, name);
		if (sqlite3_step(st) == SQLITE_ROW)
			kinds = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	if (kinds == 1)	/* one sequence and unit in the whole log (0: no keys, read) */
		return 0;
	return dbr_rows_where(db, kinds_sql, f, first_only, name, fn, ctx, e);
}

int db_meas_series(struct db *db, const char *name, const struct rep_filter *f,
		   bool first_only, const struct db_series_window *w, db_row_fn fn, void *ctx,
		   struct st_error *e)
{
	int ret;

	if (!w || w->tail <= 0 || w->head <= 0)
		return dbr_rows_where(db, no_run_filter(f) ? every_run_sql : all_sql, f, first_only,
				      name, fn, ctx, e);
	pthread_mutex_lock(&db->mu);
	ret = window(db, name, f, first_only, w, fn, ctx, e);
	pthread_mutex_unlock(&db->mu);
	return ret;
}
