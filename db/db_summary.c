/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Summaries for reports on large logs (schema 3, schema 9's and 12's keys):
 * per hour cell (UTC hour, fixture, sequence name+version, outcome, and the
 * line: station, operator, work order, part number, revision) the run and
 * unit counts of the yields and failing steps, and per hour and day cell
 * and measurement n, sums about a reference value, min, max and
 * fixed-frame histogram bins (db_summary_hist.c); per hour, fixture and
 * measurement the capability cells of first runs (db_capcell.c).  They
 * change only when a run ends (db_run_end, or recovery marking it aborted),
 * inside that same transaction, so a crash never leaves them out of step
 * with the rows, and logging a step costs no more than before.  Tables: db/schema.sql.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

#define HOUR_US 3600000000LL

/* The line's dimensions of a cell (schema 12): station, operator, work
 * order, part number, revision, as the run has them (NULL: none). */
#define CELL_DIMS 5

/* What a cell is keyed by (hours: 1 an hour cell, 24 a day cell). */
struct cell_key {
	int64_t hour;
	int hours;
	const char *fixture, *seq, *version, *outcome;
	const char *dim[CELL_DIMS];
};

static int find_cell(struct db *db, const struct cell_key *k, int64_t *cell, struct st_error *e)
{
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = dbi_stmt(db, pass ? DBS_CELL_NEW : DBS_CELL_FIND, e);
		int rc;

		if (!st)
			return ST_ERR_DB;
		sqlite3_bind_int64(st, 1, k->hours == 24 ? k->hour / 24 * 24 : k->hour);
		dbi_bind_text(st, 2, k->fixture);
		dbi_bind_text(st, 3, k->seq);
		dbi_bind_text(st, 4, k->version);
		sqlite3_bind_int(st, 5, k->hours);
		dbi_bind_text(st, 6, k->outcome);
		for (int i = 0; i < CELL_DIMS; i++)
			dbi_bind_text(st, 7 + i, k->dim[i]);
		if (pass) {
			if (dbi_done(db, st, "add a summary cell", e) < 0)
				return ST_ERR_DB;
			*cell = sqlite3_last_insert_rowid(db->h);
			return ST_OK;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*cell = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
			return ST_OK;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return dbi_fail(db, e, rc, "find a summary cell");
	}
	return ST_OK;
}

static char *dup_or_null(sqlite3_stmt *st, int c)
{
	const char *s = (const char *)sqlite3_column_text(st, c);

	return s ? strdup(s) : NULL;
}

struct mkey {
	sqlite3_int64 id;
	double ref;
	struct db_hist_frame fr;
};

/* The key of a measurement row (columns 1..6 of st), created on first use
 * with this value as its reference. */
static int meas_key(struct db *db, sqlite3_stmt *row, double v, struct mkey *k,
		    struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_KEY_FIND, e);
	double low, high;
	int rc;

	if (!st)
		return ST_ERR_DB;
	for (int i = 1; i <= 6; i++)
		sqlite3_bind_value(st, i, sqlite3_column_value(row, i));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k->id = sqlite3_column_int64(st, 0);
		k->ref = sqlite3_column_double(st, 1);
		k->fr = (struct db_hist_frame){ sqlite3_column_double(st, 2),
						sqlite3_column_double(st, 3),
						sqlite3_column_double(st, 4) };
		sqlite3_reset(st);
		return ST_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, e, rc, "find a measurement summary");
	low = sqlite3_column_type(row, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(row, 5);
	high = sqlite3_column_type(row, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(row, 6);
	k->ref = v;
	db_hist_frame(low, high, v, &k->fr);
	st = dbi_stmt(db, DBS_KEY_NEW, e);
	if (!st)
		return ST_ERR_DB;
	for (int i = 1; i <= 6; i++)
		sqlite3_bind_value(st, i, sqlite3_column_value(row, i));
	sqlite3_bind_double(st, 7, v);
	sqlite3_bind_double(st, 8, k->fr.lo);
	sqlite3_bind_double(st, 9, k->fr.width);
	sqlite3_bind_double(st, 10, k->fr.hi);
	if (dbi_done(db, st, "add a measurement summary", e) < 0)
		return ST_ERR_DB;
	k->id = sqlite3_last_insert_rowid(db->h);
	return ST_OK;
}

/* One measurement row (cell, sequence, step, name, unit, low, high, value)
 * into its hour cell's summary and into its two day cells' (day[0] of its
 * line, day[1] of every line: station NULL). */
static int meas_add(struct db *db, sqlite3_stmt *row, const int64_t day[2], struct st_error *e)
{
	double v = sqlite3_column_double(row, 7);
	struct mkey k;
	int b;

	if (meas_key(db, row, v, &k, e) < 0)
		return ST_ERR_DB;
	b = db_hist_bin(&k.fr, v);
	for (int i = 0; i < 3; i++) {
		sqlite3_stmt *st = dbi_stmt(db, DBS_MEAS_SUM, e);

		if (!st)
			return ST_ERR_DB;
		if (i)
			sqlite3_bind_int64(st, 1, day[i - 1]);
		else
			sqlite3_bind_value(st, 1, sqlite3_column_value(row, 0));
		sqlite3_bind_int64(st, 2, k.id);
		sqlite3_bind_double(st, 3, v - k.ref);
		sqlite3_bind_double(st, 4, v);
		sqlite3_bind_int(st, 5, sqlite3_column_type(row, 5) != SQLITE_NULL &&
				 v < sqlite3_column_double(row, 5));
		sqlite3_bind_int(st, 6, sqlite3_column_type(row, 6) != SQLITE_NULL &&
				 v > sqlite3_column_double(row, 6));
		sqlite3_bind_int(st, 7, b);
		if (dbi_done(db, st, "summarise a measurement", e) < 0)
			return ST_ERR_DB;
	}
	return ST_OK;
}

/* Every row of a measurement query into the summaries. */
static int meas_rows(struct db *db, sqlite3_stmt *rows, const int64_t day[2],
		     struct st_error *e)
{
	int rc, ret = ST_OK;

	while (ret == ST_OK && (rc = sqlite3_step(rows)) == SQLITE_ROW)
		ret = meas_add(db, rows, day, e);
	if (ret == ST_OK && rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, "read measurements to summarise");
	sqlite3_reset(rows);
	return ret;
}

/* The cells of a run (st: its DBS_RUN_STATE row, reset here): the hour
 * cell its outcome and line put it in, and the day cells of its
 * measurements: day[0] its line's, day[1] that of every line (station
 * NULL: a report without a line filter reads those, a third as many). */
static int run_cells(struct db *db, sqlite3_stmt *st, int64_t *cell, int64_t day[2],
		     struct st_error *e)
{
	char *outcome = dup_or_null(st, 0), *fixture = dup_or_null(st, 4);
	char *name = dup_or_null(st, 5), *version = dup_or_null(st, 6);
	char *dim[CELL_DIMS];
	struct cell_key k = { sqlite3_column_int64(st, 3) / HOUR_US, 1, fixture, name, version,
			      outcome, { NULL } };
	bool ok = outcome && fixture;
	int ret = ST_ERR_NOMEM;

	for (int i = 0; i < CELL_DIMS; i++) {
		k.dim[i] = dim[i] = dup_or_null(st, 7 + i);
		ok = ok && (dim[i] || sqlite3_column_type(st, 7 + i) == SQLITE_NULL);
	}
	sqlite3_reset(st);
	if (ok) {
		ret = find_cell(db, &k, cell, e);
		k.hours = 24;
		if (ret == ST_OK)
			ret = find_cell(db, &k, &day[0], e);
		memset(k.dim, 0, sizeof(k.dim));
		if (ret == ST_OK)
			ret = find_cell(db, &k, &day[1], e);
	}
	free(outcome);
	free(fixture);
	free(name);
	free(version);
	for (int i = 0; i < CELL_DIMS; i++)
		free(dim[i]);
	return ret == ST_ERR_NOMEM ? st_fail(e, ret, "out of memory") : ret;
}

static int set_run_cell(struct db *db, const char *run_id, int64_t cell, struct st_error *e)
{
	sqlite3_stmt *up = dbi_stmt(db, DBS_RUN_CELL, e);

	if (!up)
		return ST_ERR_DB;
	dbi_bind_text(up, 1, run_id);
	sqlite3_bind_int64(up, 2, cell);
	return dbi_done(db, up, "give a run its summary cell", e);
}

/* A run's state row (DBS_RUN_STATE), stepped: st is left on the row. */
static int run_state_row(struct db *db, const char *run_id, sqlite3_stmt **out,
			 struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_RUN_STATE, e);
	int rc;

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? st_fail(e, ST_ERR_NOTFOUND, "no run %s in the log %s",
						   run_id, db->path)
					 : dbi_fail(db, e, rc, "read a run to summarise");
	}
	*out = st;
	return ST_OK;
}

static int run_ended(struct db *db, const char *run_id, char **unit, struct st_error *e)
{
	sqlite3_stmt *st;
	int64_t cell, day[2];
	int ret;

	ret = run_state_row(db, run_id, &st, e);
	if (ret < 0)
		return ret;
	*unit = dup_or_null(st, 1);
	ret = run_cells(db, st, &cell, day, e);
	if (ret == ST_OK)
		ret = set_run_cell(db, run_id, cell, e);
	if (ret < 0)
		return ret;
	if (!*unit)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	st = dbi_stmt(db, DBS_CELL_RUNS, e);
	if (!st)
		return ST_ERR_DB;
	sqlite3_bind_int64(st, 1, cell);
	if (dbi_done(db, st, "count a run", e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_SUM_FAILS, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	sqlite3_bind_int64(st, 2, cell);
	if (dbi_done(db, st, "count failing steps", e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_SUM_MEAS_ROWS, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	return meas_rows(db, st, day, e);
}

int dbi_sum_run_ended(struct db *db, const char *run_id, struct st_error *e)
{
	char *unit = NULL;
	int ret;

	ret = run_ended(db, run_id, &unit, e);
	/* every ended run's values (--all-runs), before its first-run ones */
	if (ret == ST_OK)
		ret = dbi_cap_run_ended(db, run_id, e);
	if (ret == ST_OK)
		ret = dbi_sum_unit(db, unit, e);
	free(unit);
	return ret;
}

int dbi_sum_run_moved(struct db *db, const char *run_id, struct st_error *e)
{
	sqlite3_stmt *st;
	int64_t old, cell, day[2], started;
	bool had;
	int ret;

	ret = run_state_row(db, run_id, &st, e);
	if (ret < 0)
		return ret;
	had = sqlite3_column_type(st, 2) != SQLITE_NULL;
	old = sqlite3_column_int64(st, 2);
	started = sqlite3_column_int64(st, 3);
	ret = run_cells(db, st, &cell, day, e);
	if (ret < 0 || (had && old == cell))
		return ret;
	ret = set_run_cell(db, run_id, cell, e);
	if (ret == ST_OK)
		ret = dbi_sum_recount_cells(db, had ? old : cell, cell, started / HOUR_US, e);
	return ret;
}

static int cell_add(struct db *db, sqlite3_int64 cell, int du, int dp, int dfu, int dfp,
		    struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_CELL_UNITS, e);

	if (!st)
		return ST_ERR_DB;
	sqlite3_bind_int64(st, 1, cell);
	sqlite3_bind_int(st, 2, du);
	sqlite3_bind_int(st, 3, dp);
	sqlite3_bind_int(st, 4, dfu);
	sqlite3_bind_int(st, 5, dfp);
	return dbi_done(db, st, "count units", e);
}

/* DBS_UNIT_DEL / ADD / SET on (unit, cell, passed). */
static int unit_cell_write(struct db *db, enum dbi_slot slot, const char *unit,
			   sqlite3_int64 cell, int passed, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, slot, e);

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	sqlite3_bind_int64(st, 2, cell);
	if (slot != DBS_UNIT_DEL)
		sqlite3_bind_int(st, 3, passed);
	return dbi_done(db, st, "record a unit's cells", e);
}

struct ucell {
	sqlite3_int64 cell;
	int passed;
};

/* Every row of slot for unit, each read into an item of size bytes by
 * fill: *out (malloc'd, NULL for none) and *n. */
static int load_rows(struct db *db, enum dbi_slot slot, const char *unit, size_t size,
		     void (*fill)(sqlite3_stmt *st, void *item), void **out, int *n,
		     struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, slot, e);
	char *v = NULL, *nv;
	int rc, cap = 0;

	*n = 0;
	*out = NULL;
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			nv = realloc(v, (size_t)cap * size);
			if (!nv) {
				sqlite3_reset(st);
				free(v);
				return st_fail(e, ST_ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		fill(st, v + (size_t)(*n)++ * size);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return dbi_fail(db, e, rc, "read a unit's summaries");
	}
	*out = v;
	return ST_OK;
}

static void fill_cell(sqlite3_stmt *st, void *item)
{
	struct ucell *c = item;

	c->cell = sqlite3_column_int64(st, 0);
	c->passed = sqlite3_column_int(st, 1);
}

/* A unit's (cell, passed) list, ordered by cell. */
static int load_cells(struct db *db, enum dbi_slot slot, const char *unit, struct ucell **out,
		      int *n, struct st_error *e)
{
	void *v;
	int ret = load_rows(db, slot, unit, sizeof(**out), fill_cell, &v, n, e);

	*out = v;
	return ret;
}

/* Walk the summarised and the true cell lists of a unit together and
 * write only the differences, so a unit tested daily stays cheap. */
static int merge_cells(struct db *db, const char *unit, const struct ucell *o, int no,
		       const struct ucell *n, int nn, struct st_error *e)
{
	int i = 0, j = 0, ret = ST_OK;

	while (ret == ST_OK && (i < no || j < nn)) {
		if (j >= nn || (i < no && o[i].cell < n[j].cell)) {
			ret = unit_cell_write(db, DBS_UNIT_DEL, unit, o[i].cell, 0, e);
			if (ret == ST_OK)
				ret = cell_add(db, o[i].cell, -1, -o[i].passed, 0, 0, e);
			i++;
		} else if (i >= no || n[j].cell < o[i].cell) {
			ret = unit_cell_write(db, DBS_UNIT_ADD, unit, n[j].cell, n[j].passed, e);
			if (ret == ST_OK)
				ret = cell_add(db, n[j].cell, 1, n[j].passed, 0, 0, e);
			j++;
		} else {
			if (o[i].passed != n[j].passed) {
				ret = unit_cell_write(db, DBS_UNIT_SET, unit, n[j].cell,
						      n[j].passed, e);
				if (ret == ST_OK)
					ret = cell_add(db, n[j].cell, 0, n[j].passed - o[i].passed,
						       0, 0, e);
			}
			i++;
			j++;
		}
	}
	return ret;
}

/* A unit's first judged run of one operation (op: its sequence name). */
struct ufirst {
	char op[256];
	char run[DB_ID_LEN];
	sqlite3_int64 cell;
	int passed, multi;
};

static void fill_first(sqlite3_stmt *st, void *item)
{
	struct ufirst *f = item;

	snprintf(f->op, sizeof(f->op), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(f->run, sizeof(f->run), "%s", (const char *)sqlite3_column_text(st, 1));
	f->cell = sqlite3_column_int64(st, 2);
	f->passed = sqlite3_column_int(st, 3);
	f->multi = sqlite3_column_int(st, 4);
}

/* A unit's first runs, one per operation, ordered by op. */
static int load_first(struct db *db, enum dbi_slot slot, const char *unit, struct ufirst **out,
		      int *n, struct st_error *e)
{
	void *v;
	int ret = load_rows(db, slot, unit, sizeof(**out), fill_first, &v, n, e);

	*out = v;
	return ret;
}

static int first_del(struct db *db, const char *unit, const struct ufirst *o, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_UNIT_FIRST_DEL, e);
	int ret;

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	dbi_bind_text(st, 6, o->op);
	ret = dbi_done(db, st, "forget a unit's first run", e);
	return ret < 0 ? ret : cell_add(db, o->cell, 0, 0, -1, -o->passed, e);
}

static int first_add(struct db *db, const char *unit, const struct ufirst *n, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_UNIT_FIRST_ADD, e);
	int ret;

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	dbi_bind_text(st, 2, n->run);
	sqlite3_bind_int64(st, 3, n->cell);
	sqlite3_bind_int(st, 4, n->passed);
	sqlite3_bind_int(st, 5, n->multi);
	dbi_bind_text(st, 6, n->op);
	ret = dbi_done(db, st, "record a unit's first run", e);
	return ret < 0 ? ret : cell_add(db, n->cell, 0, 0, 1, n->passed, e);
}

/* Walk the summarised and the true first runs (by op) together. */
static int merge_first(struct db *db, const char *unit, const struct ufirst *o, int no,
		       const struct ufirst *n, int nn, struct st_error *e)
{
	int i = 0, j = 0, ret = ST_OK;

	while (ret == ST_OK && (i < no || j < nn)) {
		int c = i >= no ? 1 : j >= nn ? -1 : strcmp(o[i].op, n[j].op);

		if (c < 0) {
			ret = first_del(db, unit, &o[i], e);
			if (ret == ST_OK)
				ret = dbi_cap_first_dropped(db, o[i].run, e);
			i++;
		} else if (c > 0) {
			ret = first_add(db, unit, &n[j], e);
			if (ret == ST_OK)
				ret = dbi_cap_first_added(db, n[j].run, e);
			j++;
		} else {
			if (strcmp(o[i].run, n[j].run) || o[i].cell != n[j].cell ||
			    o[i].passed != n[j].passed || o[i].multi != n[j].multi) {
				ret = first_del(db, unit, &o[i], e);
				if (ret == ST_OK)
					ret = first_add(db, unit, &n[j], e);
			}
			/* the capability cells: a first run that moved; one
			 * whose outcome changed (its values move to the other
			 * outcome's cells, schema 16): its hour from the rows */
			if (ret == ST_OK && strcmp(o[i].run, n[j].run)) {
				ret = dbi_cap_first_dropped(db, o[i].run, e);
				if (ret == ST_OK)
					ret = dbi_cap_first_added(db, n[j].run, e);
			} else if (ret == ST_OK && o[i].passed != n[j].passed) {
				ret = dbi_cap_first_dropped(db, n[j].run, e);
			}
			i++;
			j++;
		}
	}
	return ret;
}

int dbi_sum_unit(struct db *db, const char *unit, struct st_error *e)
{
	struct ucell *o = NULL, *n = NULL;
	struct ufirst *fo = NULL, *fn = NULL;
	int no = 0, nn = 0, nfo = 0, nfn = 0, ret;

	ret = load_cells(db, DBS_UNIT_OLD, unit, &o, &no, e);
	if (ret == ST_OK)
		ret = load_cells(db, DBS_UNIT_NEW, unit, &n, &nn, e);
	if (ret == ST_OK)
		ret = merge_cells(db, unit, o, no, n, nn, e);
	if (ret == ST_OK)
		ret = load_first(db, DBS_UNIT_FIRST_OLD, unit, &fo, &nfo, e);
	if (ret == ST_OK)
		ret = load_first(db, DBS_UNIT_FIRST_NEW, unit, &fn, &nfn, e);
	if (ret == ST_OK)
		ret = merge_first(db, unit, fo, nfo, fn, nfn, e);
	free(o);
	free(n);
	free(fo);
	free(fn);
	return ret;
}

int dbi_sum_meas_key(struct db *db, sqlite3_stmt *row, double v, struct st_error *e)
{
	struct mkey k;

	return meas_key(db, row, v, &k, e);
}
