/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capability cells (schema 11: cap_keys, cap_cells in db/schema.sql), kept
 * in the transaction that ends a run, like the other summaries.  A cell is
 * one capability key's values on one fixture in one UTC hour, summed by
 * st_capcell_add() in time order (started_us, then measurement id), so the
 * report combines cells into exactly the figures of the rows
 * (report/capsum.c).  A run that becomes a unit's first judged run of its
 * operation after its fixture's hour already holds later values, or one
 * that stops being it (an earlier-started run of the unit ended after
 * it), has its fixture's hour recomputed from the rows: a slice of one
 * hour of one fixture, small.  Schema 14 keeps, per line dimension (an
 * operator, a work order, a part number, a part number and revision, a
 * revision; schema 16: the outcome of the first run, pass or fail), whose
 * values a fixture's hour holds (cap_dims): one value's only (its cells are
 * the hour's cells), or several's, whose cells are then kept apart
 * (cap_dim_cells), summed from the same values in the same order.  An
 * hour that turns mixed (a second operator's value) has the first value's
 * cells copied from the hour's cells as they were, so they are what
 * summing its values alone gives.  A first run ended again with another
 * outcome has its hour recomputed (db_summary.c).  Schema 16: the cells
 * of every ended run (--all-runs, dim 7, val ''), kept apart in every
 * hour like an outcome's, added when a run ends (before its first-run
 * values are), recomputed with the hour; a pass over the values of first
 * runs leaves them alone, a pass over every run's touches nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/capcell.h"
#include "db/db-internal.h"

#define HOUR_US 3600000000LL

struct ccell {
	int64_t key;
	struct st_capcell c;
	bool dirty;
};

/* A line value's cells in a slice: c[i] beside the slice's c[i] (its key),
 * cap of them (zeroed: n = 0 until a value comes). */
struct dimv {
	int dim;
	char *val;
	struct ccell *c;
	int cap;
};

/* A line dimension of a fixture's hour: no value yet, one value (val,
 * NULL for runs without one), or several (the values' cells apart). */
enum { DIM_NONE, DIM_ONE, DIM_MIXED };
#define NDIM 7
#define DIM_ALL 7	/* every ended run's values (report --capability --all-runs) */

struct dstate {
	int st;
	char *val;
	bool dirty;
};

/* A fixture's hour: its cells by key, and by key per line value. */
struct slice {
	char *fixture;
	int64_t hour;
	struct ccell *c;
	int n, cap;
	struct dimv *dv;
	int ndv, dvcap;
	struct dstate ds[NDIM + 1];	/* by dim, 1..NDIM */
};

/* A value row's line values by dim (columns 10-13: operator, work order,
 * part number, revision; dim 4 both of the last two; column 14, dim 6: the
 * run's outcome, pass or fail), NULL for none. */
struct rowline {
	const char *v[NDIM + 1];
	char *both;
};

/* A pass over values: the keys met and each fixture's open hour; all: the
 * values of every ended run (DB_CAP_ALL_VALUES), into dim 7 alone, else
 * those of first runs (DB_CAP_VALUES), into the cells and dims 1 to 6. */
struct capw {
	struct db *db;
	struct st_error *e;
	bool all;
	struct dbi_capkeys keys;
	struct slice *sl;
	int nsl;
};

static int oom(struct capw *w)
{
	return st_fail(w->e, ST_ERR_NOMEM, "out of memory");
}

/* A cell's sums into statement slot (DBS_CAP_PUT, DBS_CAP_DIM_PUT: key,
 * fixture, hour, the sums, and the line value's dim and val). */
static int cell_put(struct capw *w, const struct slice *s, int64_t key, const struct st_capcell *c,
		    const struct dimv *dv)
{
	sqlite3_stmt *st = dbi_stmt(w->db, dv ? DBS_CAP_DIM_PUT : DBS_CAP_PUT, w->e);

	if (!st)
		return ST_ERR_DB;
	sqlite3_bind_int64(st, 1, key);
	dbi_bind_text(st, 2, s->fixture);
	sqlite3_bind_int64(st, 3, s->hour);
	sqlite3_bind_int64(st, 4, c->n);
	sqlite3_bind_double(st, 5, c->ref);
	sqlite3_bind_double(st, 6, c->s1);
	sqlite3_bind_double(st, 7, c->s2);
	sqlite3_bind_double(st, 8, c->min);
	sqlite3_bind_double(st, 9, c->max);
	sqlite3_bind_int64(st, 10, c->first_us);
	sqlite3_bind_double(st, 11, c->first_v);
	sqlite3_bind_int64(st, 12, c->last_us);
	sqlite3_bind_double(st, 13, c->last_v);
	sqlite3_bind_int64(st, 14, c->mr_n);
	sqlite3_bind_double(st, 15, c->mr_sum);
	if (dv) {
		sqlite3_bind_int(st, 16, dv->dim);
		sqlite3_bind_text(st, 17, dv->val, -1, SQLITE_STATIC);
	}
	return dbi_done(w->db, st, "write a capability cell", w->e) < 0 ? ST_ERR_DB : ST_OK;
}

static void slice_clear(struct slice *s)
{
	for (int d = 0; d < s->ndv; d++) {
		free(s->dv[d].val);
		free(s->dv[d].c);
	}
	for (int d = 1; d <= NDIM; d++) {
		free(s->ds[d].val);
		s->ds[d] = (struct dstate){ 0 };
	}
	s->ndv = 0;
	s->n = 0;
}

/* The dims of s whose state changed, into cap_dims. */
static int marks_put(struct capw *w, const struct slice *s)
{
	for (int d = 1; d <= NDIM; d++) {
		sqlite3_stmt *st;

		if (!s->ds[d].dirty)
			continue;
		if (!(st = dbi_stmt(w->db, DBS_CAP_MARK_PUT, w->e)))
			return ST_ERR_DB;
		dbi_bind_text(st, 1, s->fixture);
		sqlite3_bind_int64(st, 2, s->hour);
		sqlite3_bind_int(st, 3, d);
		if (s->ds[d].st == DIM_ONE && s->ds[d].val)
			sqlite3_bind_text(st, 4, s->ds[d].val, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int(st, 5, s->ds[d].st == DIM_MIXED);
		if (dbi_done(w->db, st, "write a capability cell", w->e) < 0)
			return ST_ERR_DB;
	}
	return ST_OK;
}

static int slice_write(struct capw *w, struct slice *s)
{
	int ret = ST_OK;

	for (int i = 0; ret == ST_OK && i < s->n; i++)
		if (s->c[i].dirty)
			ret = cell_put(w, s, s->c[i].key, &s->c[i].c, NULL);
	for (int d = 0; ret == ST_OK && d < s->ndv; d++)
		for (int i = 0; ret == ST_OK && i < s->dv[d].cap; i++)
			if (s->dv[d].c[i].dirty)
				ret = cell_put(w, s, s->c[i].key, &s->dv[d].c[i].c, &s->dv[d]);
	if (ret == ST_OK)
		ret = marks_put(w, s);
	slice_clear(s);
	return ret;
}

static struct ccell *slice_cell(struct capw *w, struct slice *s, int64_t key)
{
	for (int i = 0; i < s->n; i++)
		if (s->c[i].key == key)
			return &s->c[i];
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 32;
		struct ccell *nc = realloc(s->c, (size_t)cap * sizeof(*nc));

		if (!nc) {
			oom(w);
			return NULL;
		}
		s->c = nc;
		s->cap = cap;
	}
	s->c[s->n] = (struct ccell){ .key = key };
	return &s->c[s->n++];
}

/* The line value (dim, the first len bytes of val) of slice s, added when new. */
static struct dimv *slice_dimv(struct capw *w, struct slice *s, int dim, const char *val,
			       size_t len)
{
	struct dimv *dv;

	for (int d = 0; d < s->ndv; d++)
		if (s->dv[d].dim == dim && strlen(s->dv[d].val) == len &&
		    !memcmp(s->dv[d].val, val, len))
			return &s->dv[d];
	if (s->ndv == s->dvcap) {
		int cap = s->dvcap ? 2 * s->dvcap : 8;

		if (!(dv = realloc(s->dv, (size_t)cap * sizeof(*dv)))) {
			oom(w);
			return NULL;
		}
		s->dv = dv;
		s->dvcap = cap;
	}
	dv = &s->dv[s->ndv];
	*dv = (struct dimv){ .dim = dim, .val = strndup(val, len) };
	if (!dv->val) {
		oom(w);
		return NULL;
	}
	s->ndv++;
	return dv;
}

/* The cell of line value dv beside the slice's cell c (of its key). */
static struct ccell *dimv_cell(struct capw *w, struct slice *s, struct dimv *dv,
			       const struct ccell *c)
{
	int i = (int)(c - s->c);

	if (i >= dv->cap) {
		int cap = s->cap;
		struct ccell *nc = realloc(dv->c, (size_t)cap * sizeof(*nc));

		if (!nc) {
			oom(w);
			return NULL;
		}
		memset(nc + dv->cap, 0, (size_t)(cap - dv->cap) * sizeof(*nc));
		dv->c = nc;
		dv->cap = cap;
	}
	return &dv->c[i];
}

/* Row st's line values (rl->both malloc'd: free it). */
/* Column c of st as a line value: NULL for none, and for text with a NUL
 * byte inside (a log edited by hand): no filter from a command line holds
 * one, so such a value is nobody's, as a run without one. */
static const char *line_text(sqlite3_stmt *st, int c)
{
	const char *v = (const char *)sqlite3_column_text(st, c);

	return v && !memchr(v, 0, (size_t)sqlite3_column_bytes(st, c)) ? v : NULL;
}

static int row_line(struct capw *w, sqlite3_stmt *st, struct rowline *rl)
{
	const char *part, *rev;

	memset(rl, 0, sizeof(*rl));
	if (w->all) {
		rl->v[DIM_ALL] = "";
		return ST_OK;
	}
	part = line_text(st, 12);
	rev = line_text(st, 13);

	rl->v[1] = line_text(st, 10);
	rl->v[2] = line_text(st, 11);
	rl->v[3] = part;
	rl->v[5] = rev;
	rl->v[6] = line_text(st, 14);
	rl->both = part && rev ? dbi_cap_dim_val(part, rev) : NULL;
	rl->v[4] = rl->both;
	return part && rev && !rl->both ? oom(w) : ST_OK;
}

static bool same_val(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : !a && !b;
}

/* Before a value of line rl goes into s: a dim of no value yet takes rl's;
 * one of another value turns mixed, the value it had getting the hour's
 * cells as they are (every value so far was that value's). */
static int dims_before(struct capw *w, struct slice *s, const struct rowline *rl)
{
	for (int d = 1; d <= NDIM; d++) {
		struct dstate *ds = &s->ds[d];
		struct dimv *dv;

		if ((d == DIM_ALL) != w->all)	/* the other pass's */
			continue;
		/* outcomes, all runs: apart in every hour (most hours hold
		 * both outcomes; a report reads them in one range, not hour
		 * by hour) */
		if (ds->st == DIM_NONE && d >= 6) {
			ds->st = DIM_MIXED;
			ds->dirty = true;
			continue;
		}
		if (ds->st == DIM_NONE) {
			ds->st = DIM_ONE;
			ds->dirty = true;
			if (rl->v[d] && !(ds->val = strdup(rl->v[d])))
				return oom(w);
			continue;
		}
		if (ds->st == DIM_MIXED || same_val(ds->val, rl->v[d]))
			continue;
		ds->st = DIM_MIXED;
		ds->dirty = true;
		if (!ds->val)	/* runs without a value have no cells */
			continue;
		if (!(dv = slice_dimv(w, s, d, ds->val, strlen(ds->val))))
			return ST_ERR_NOMEM;
		for (int i = 0; i < s->n; i++) {
			struct ccell *dc;

			if (!s->c[i].c.n)
				continue;
			if (!(dc = dimv_cell(w, s, dv, &s->c[i])))
				return ST_ERR_NOMEM;
			*dc = s->c[i];
			dc->dirty = true;
		}
	}
	return ST_OK;
}

/* Value x of a run started at us, line rl, into the cells beside c of the
 * dims whose hour is mixed. */
static int dims_add(struct capw *w, struct slice *s, const struct ccell *c,
		    const struct rowline *rl, int64_t us, double x)
{
	for (int d = 1; d <= NDIM; d++) {
		struct dimv *dv;
		struct ccell *dc;

		if (s->ds[d].st != DIM_MIXED || !rl->v[d])
			continue;
		if (!(dv = slice_dimv(w, s, d, rl->v[d], strlen(rl->v[d]))) ||
		    !(dc = dimv_cell(w, s, dv, c)))
			return ST_ERR_NOMEM;
		dc->key = c->key;
		st_capcell_add(&dc->c, us, x);
		dc->dirty = true;
	}
	return ST_OK;
}

/* The open slice of fixture, at hour (the one open before is written). */
static struct slice *slice_at(struct capw *w, const char *fixture, int64_t hour)
{
	struct slice *s = NULL, *ns;

	for (int i = 0; i < w->nsl && !s; i++)
		if (!strcmp(w->sl[i].fixture, fixture))
			s = &w->sl[i];
	if (!s) {
		if (!(ns = realloc(w->sl, (size_t)(w->nsl + 1) * sizeof(*ns)))) {
			oom(w);
			return NULL;
		}
		w->sl = ns;
		s = &w->sl[w->nsl];
		*s = (struct slice){ .fixture = strdup(fixture), .hour = hour };
		if (!s->fixture) {
			oom(w);
			return NULL;
		}
		w->nsl++;
	}
	if (s->hour != hour && slice_write(w, s) < 0)
		return NULL;
	s->hour = hour;
	return s;
}

/* Every value row of st (DB_CAP_VALUES) into its cell; st is reset. */
static int add_values(struct capw *w, sqlite3_stmt *st)
{
	int rc = SQLITE_DONE, ret = ST_OK;

	while (ret == ST_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *fx = (const char *)sqlite3_column_text(st, 7);
		int64_t us = sqlite3_column_int64(st, 8), key;
		struct slice *s;
		struct ccell *c;

		double x = sqlite3_column_double(st, 9);
		struct rowline rl;

		if (dbi_capkey_id(w->db, &w->keys, st, &key, w->e) < 0 || !(s = slice_at(w, fx ? fx : "", us / HOUR_US)) ||
		    !(c = slice_cell(w, s, key)) || row_line(w, st, &rl) != ST_OK) {
			ret = ST_ERR_DB;
			break;
		}
		ret = dims_before(w, s, &rl);
		if (ret == ST_OK && !w->all) {
			st_capcell_add(&c->c, us, x);
			c->dirty = true;
		}
		if (ret == ST_OK)
			ret = dims_add(w, s, c, &rl, us, x);
		free(rl.both);
	}
	if (ret == ST_OK && rc != SQLITE_DONE)
		ret = dbi_fail(w->db, w->e, rc, "read values for the capability cells");
	sqlite3_reset(st);
	for (int i = 0; ret == ST_OK && i < w->nsl; i++)
		ret = slice_write(w, &w->sl[i]);
	return ret;
}

static void capw_free(struct capw *w)
{
	dbi_capkeys_free(&w->keys);
	for (int i = 0; i < w->nsl; i++) {
		slice_clear(&w->sl[i]);
		free(w->sl[i].fixture);
		free(w->sl[i].c);
		free(w->sl[i].dv);
	}
	free(w->sl);
}

/* Bind ?1 hour, ?2 fixture to slot's statement. */
static sqlite3_stmt *slice_stmt(struct capw *w, enum dbi_slot slot, int64_t hour,
				const char *fixture)
{
	sqlite3_stmt *st = dbi_stmt(w->db, slot, w->e);

	if (st) {
		sqlite3_bind_int64(st, 1, hour);
		dbi_bind_text(st, 2, fixture);
	}
	return st;
}

/* A fixture's hour recomputed from the rows. */
static int slice_rebuild(struct capw *w, int64_t hour, const char *fixture)
{
	sqlite3_stmt *st = slice_stmt(w, DBS_CAP_SLICE_DEL, hour, fixture);
	int ret;

	if (!st || dbi_done(w->db, st, "recompute capability cells", w->e) < 0)
		return ST_ERR_DB;
	st = slice_stmt(w, DBS_CAP_DIM_DEL, hour, fixture);
	if (!st || dbi_done(w->db, st, "recompute capability cells", w->e) < 0)
		return ST_ERR_DB;
	st = slice_stmt(w, DBS_CAP_MARK_DEL, hour, fixture);
	if (!st || dbi_done(w->db, st, "recompute capability cells", w->e) < 0)
		return ST_ERR_DB;
	/* the first runs' values, then every run's (dim 7) */
	w->all = false;
	st = slice_stmt(w, DBS_CAP_SLICE_VALUES, hour, fixture);
	ret = st ? add_values(w, st) : ST_ERR_DB;
	w->all = true;
	st = ret == ST_OK ? slice_stmt(w, DBS_CAP_SLICE_ALL_VALUES, hour, fixture) : NULL;
	if (ret == ST_OK)
		ret = st ? add_values(w, st) : ST_ERR_DB;
	w->all = false;
	return ret;
}

/* A cell row of DBS_CAP_SLICE_LOAD (dims false) or DBS_CAP_DIM_LOAD into s. */
static int cell_load(struct capw *w, struct slice *s, sqlite3_stmt *st, bool dims)
{
	struct ccell *c = slice_cell(w, s, sqlite3_column_int64(st, 0));
	struct dimv *dv;

	if (c && dims) {
		dv = slice_dimv(w, s, sqlite3_column_int(st, 13),
				(const char *)sqlite3_column_text(st, 14),
				(size_t)sqlite3_column_bytes(st, 14));
		if (!dv || !(c = dimv_cell(w, s, dv, c)))
			return ST_ERR_NOMEM;
		c->key = sqlite3_column_int64(st, 0);
	}
	if (!c)
		return ST_ERR_NOMEM;
	c->c = (struct st_capcell){
		.n = sqlite3_column_int64(st, 1), .ref = sqlite3_column_double(st, 2),
		.s1 = sqlite3_column_double(st, 3), .s2 = sqlite3_column_double(st, 4),
		.min = sqlite3_column_double(st, 5), .max = sqlite3_column_double(st, 6),
		.first_us = sqlite3_column_int64(st, 7),
		.first_v = sqlite3_column_double(st, 8),
		.last_us = sqlite3_column_int64(st, 9),
		.last_v = sqlite3_column_double(st, 10),
		.mr_n = sqlite3_column_int64(st, 11), .mr_sum = sqlite3_column_double(st, 12) };
	return ST_OK;
}

/* A fixture's hour as it is, loaded into the open slice: its cells
 * (DBS_CAP_SLICE_LOAD), then its line values' (DBS_CAP_DIM_LOAD). */
static int slice_load(struct capw *w, int64_t hour, const char *fixture)
{
	struct slice *s = slice_at(w, fixture, hour);
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE;

	if (!s)
		return ST_ERR_DB;
	for (int pass = 0; pass < 2 && rc == SQLITE_DONE; pass++) {
		if (!(st = slice_stmt(w, pass ? DBS_CAP_DIM_LOAD : DBS_CAP_SLICE_LOAD, hour, fixture)))
			return ST_ERR_DB;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (cell_load(w, s, st, pass) != ST_OK) {
				sqlite3_reset(st);
				return ST_ERR_NOMEM;
			}
		sqlite3_reset(st);
	}
	/* and what each dim holds */
	st = NULL;
	if (rc == SQLITE_DONE && !(st = slice_stmt(w, DBS_CAP_MARK_LOAD, hour, fixture)))
		return ST_ERR_DB;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int d = sqlite3_column_int(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		if (d < 1 || d > NDIM)
			continue;
		s->ds[d] = (struct dstate){ .st = sqlite3_column_int(st, 2) ? DIM_MIXED : DIM_ONE };
		if (v && !(s->ds[d].val = strdup(v))) {
			sqlite3_reset(st);
			return oom(w);
		}
	}
	if (st)
		sqlite3_reset(st);
	return rc == SQLITE_DONE ? ST_OK : dbi_fail(w->db, w->e, rc, "read capability cells");
}

/* A run's start and fixture (*fixture malloc'd), from its state row. */
static int run_slice(struct capw *w, const char *run_id, int64_t *started, char **fixture)
{
	sqlite3_stmt *st = dbi_stmt(w->db, DBS_RUN_STATE, w->e);
	int rc;

	*fixture = NULL;
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*started = sqlite3_column_int64(st, 3);
		*fixture = strdup((const char *)sqlite3_column_text(st, 4));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? st_fail(w->e, ST_ERR_NOTFOUND, "no run %s in the log %s",
						   run_id, w->db->path)
					 : dbi_fail(w->db, w->e, rc, "read a run's capability cells");
	return *fixture ? ST_OK : oom(w);
}

/* Is every value in the fixture's hour (of its first runs, or with all of
 * every run's) from a run started before started? */
static int slice_before(struct capw *w, int64_t started, const char *fixture, bool *before)
{
	sqlite3_stmt *st = slice_stmt(w, w->all ? DBS_CAP_ALL_LAST : DBS_CAP_SLICE_LAST,
				      started / HOUR_US, fixture);
	int rc;

	if (!st)
		return ST_ERR_DB;
	rc = sqlite3_step(st);
	*before = rc == SQLITE_ROW && (sqlite3_column_type(st, 0) == SQLITE_NULL ||
				       sqlite3_column_int64(st, 0) < started);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ST_OK : dbi_fail(w->db, w->e, rc, "read capability cells");
}

/* A run's values added to its fixture's hour: its first run's (all
 * false) or its every run's (dim 7), after the hour's own, or the hour
 * recomputed from the rows when it holds later ones. */
static int run_added(struct db *db, const char *run_id, bool all, struct st_error *e)
{
	struct capw w = { .db = db, .e = e, .all = all };
	int64_t started = 0;
	char *fixture;
	bool before = false;
	int ret = run_slice(&w, run_id, &started, &fixture);
	sqlite3_stmt *st;

	if (ret == ST_OK)
		ret = slice_before(&w, started, fixture, &before);
	if (ret == ST_OK && !before)
		ret = slice_rebuild(&w, started / HOUR_US, fixture);
	else if (ret == ST_OK)
		ret = slice_load(&w, started / HOUR_US, fixture);
	if (ret == ST_OK && before) {
		st = dbi_stmt(db, all ? DBS_CAP_RUN_ALL_VALUES : DBS_CAP_RUN_VALUES, e);
		if (st)
			dbi_bind_text(st, 1, run_id);
		w.all = all;
		ret = st ? add_values(&w, st) : ST_ERR_DB;
	}
	free(fixture);
	capw_free(&w);
	return ret;
}

int dbi_cap_first_added(struct db *db, const char *run_id, struct st_error *e)
{
	return run_added(db, run_id, false, e);
}

int dbi_cap_run_ended(struct db *db, const char *run_id, struct st_error *e)
{
	return run_added(db, run_id, true, e);
}

int dbi_cap_first_dropped(struct db *db, const char *run_id, struct st_error *e)
{
	struct capw w = { .db = db, .e = e };
	int64_t started = 0;
	char *fixture;
	int ret = run_slice(&w, run_id, &started, &fixture);

	if (ret == ST_OK)
		ret = slice_rebuild(&w, started / HOUR_US, fixture);
	free(fixture);
	capw_free(&w);
	return ret;
}

static const char first_values_sql[] = DB_CAP_VALUES("1");
static const char all_values_sql[] = DB_CAP_ALL_VALUES("1");

int dbi_cap_rebuild(struct db *db, struct st_error *e)
{
	struct capw w = { .db = db, .e = e };
	sqlite3_stmt *st;
	int rc, ret;

	rc = sqlite3_exec(db->h, "DELETE FROM cap_cells; DELETE FROM cap_dim_cells; "
			  "DELETE FROM cap_dims; DELETE FROM cap_keys", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "rebuild the capability cells");
	/* the first runs' values, then every run's (dim 7) */
	ret = ST_OK;
	for (int pass = 0; ret == ST_OK && pass < 2; pass++) {
		w.all = pass;
		rc = sqlite3_prepare_v2(db->h, pass ? all_values_sql : first_values_sql, -1, &st,
					NULL);
		if (rc != SQLITE_OK) {
			ret = dbi_fail(db, e, rc, "rebuild the capability cells");
			break;
		}
		ret = add_values(&w, st);
		sqlite3_finalize(st);
	}
	capw_free(&w);
	return ret;
}

char *dbi_cap_dim_val(const char *part, const char *rev)
{
	size_t n = strlen(part) + strlen(rev) + 24;
	char *v = malloc(n);

	if (v)
		snprintf(v, n, "%zu:%s%s", strlen(part), part, rev);
	return v;
}
