/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A measurement's def (schema 15: measurement_defs, the name, unit, limits
 * and expected text kept once per kind) when the station logs it: found
 * in a cache of the defs this connection used, else looked up (the view's
 * trigger's look-up, measurement_defs_key) and made when new.  The station
 * then inserts into measurement_values itself: through the view's trigger
 * every measurement paid two index look-ups, a step of 20 measurements
 * 140-146 us against 85-89 us into one table (bench/report_1m.c steplog).
 *
 * The cache holds ids that another connection may change (a hand edit
 * deleting a def, a log merged in): it is dropped whenever PRAGMA
 * data_version says another connection committed, and after a rollback of
 * ours (a def made in the transaction rolled back is gone).  Keys are the
 * fields as the caller gives them; the look-up binds them as the rows
 * store them (dbi_bind_text: invalid UTF-8 as \xNN), so two spellings
 * that are stored alike find the one def.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

#define NDEFS 64	/* a sequence has some twenty kinds */

struct def {
	char *name, *unit, *expect;
	double low, high;	/* NAN: none */
	sqlite3_int64 id;
};

struct dbi_defs {
	struct def d[NDEFS];
	int n, next;		/* next: the slot to reuse once full */
	sqlite3_int64 version;	/* PRAGMA data_version when filled */
};

static void def_free(struct def *d)
{
	free(d->name);
	free(d->unit);
	free(d->expect);
	memset(d, 0, sizeof(*d));
}

void dbi_defs_forget(struct db *db)
{
	struct dbi_defs *c = db->defs;

	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		def_free(&c->d[i]);
	c->n = c->next = 0;
}

void dbi_defs_free(struct db *db)
{
	dbi_defs_forget(db);
	free(db->defs);
	db->defs = NULL;
}

static bool same_text(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static bool same_real(double a, double b)
{
	return isnan(a) ? isnan(b) : a == b;
}

static bool matches(const struct def *d, const char *name, const struct db_measurement *m)
{
	return !strcmp(d->name, name) && same_text(d->unit, m->unit) &&
	       same_real(d->low, m->low) && same_real(d->high, m->high) &&
	       same_text(d->expect, m->expect);
}

/* The cache as of now: emptied when another connection committed since it
 * was filled. */
static int fresh(struct db *db, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_DATA_VERSION, e);
	sqlite3_int64 v;
	int rc;

	if (!st)
		return ST_ERR_DB;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return dbi_fail(db, e, rc, "read the log's data version");
	v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!db->defs && !(db->defs = calloc(1, sizeof(*db->defs))))
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	if (db->defs->version != v)
		dbi_defs_forget(db);
	db->defs->version = v;
	return ST_OK;
}

static sqlite3_stmt *bound(struct db *db, enum dbi_slot slot, const char *name,
			   const struct db_measurement *m, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, slot, e);

	if (st) {
		dbi_bind_text(st, 1, name);
		dbi_bind_text(st, 2, m->unit);
		dbi_bind_real(st, 3, m->low);
		dbi_bind_real(st, 4, m->high);
		dbi_bind_text(st, 5, m->expect);
	}
	return st;
}

/* Looked up, else made. */
static int lookup(struct db *db, const char *name, const struct db_measurement *m,
		  sqlite3_int64 *id, struct st_error *e)
{
	sqlite3_stmt *st = bound(db, DBS_DEF_FIND, name, m, e);
	int rc;

	if (!st)
		return ST_ERR_DB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return ST_OK;
	if (rc != SQLITE_DONE)
		return dbi_fail(db, e, rc, "find a measurement's kind");
	if (!(st = bound(db, DBS_DEF_ADD, name, m, e)) ||
	    dbi_done(db, st, "record a new kind of measurement", e) < 0)
		return ST_ERR_DB;
	*id = sqlite3_last_insert_rowid(db->h);
	return ST_OK;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

int dbi_meas_def(struct db *db, const struct db_measurement *m, sqlite3_int64 *id,
		 struct st_error *e)
{
	const char *name = m->name ? m->name : "";
	struct dbi_defs *c;
	struct def *d;
	bool oom = false;
	int ret = fresh(db, e);

	if (ret < 0)
		return ret;
	c = db->defs;
	for (int i = 0; i < c->n; i++)
		if (matches(&c->d[i], name, m)) {
			*id = c->d[i].id;
			return ST_OK;
		}
	ret = lookup(db, name, m, id, e);
	if (ret < 0)
		return ret;
	/* kept for the next time; a full cache reuses its slots in turn */
	if (c->n < NDEFS) {
		d = &c->d[c->n++];
	} else {
		d = &c->d[c->next];
		c->next = (c->next + 1) % NDEFS;
		def_free(d);
	}
	*d = (struct def){ .name = dup_or_null(name, &oom), .unit = dup_or_null(m->unit, &oom),
			   .expect = dup_or_null(m->expect, &oom), .low = m->low, .high = m->high,
			   .id = *id };
	if (oom)	/* not kept: the next one looks it up again */
		dbi_defs_forget(db);
	return ST_OK;
}
