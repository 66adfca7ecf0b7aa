/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log's capability cells as the reader's capability_sums rows
 * (db/db_reader.h): for the filters the cells can answer (none, whole UTC
 * hours, fixture, sequence name and version), key by key in capability
 * order (capability_sql's, NULLs first), each key's cells by fixture and
 * hour straight from cap_cells' primary key.  A report over the whole log
 * reads every cell (a 90-day log of 8 fixtures and 20 measurements holds
 * some 330,000), so the columns are read by their declared types and the
 * key's once per key.
 */
#include <stdio.h>
#include <string.h>

#include "db/db-internal.h"

#define HOUR_US 3600000000LL

static const char *const names[] = {
	"sequence_name", "sequence_version", "step", "name", "unit", "low", "high", "station",
	"fixture", "hour", "n", "ref", "s1", "s2", "min", "max", "first_us", "first_v",
	"last_us", "last_v", "mr_n", "mr_sum",
};
#define NCOL ((int)(sizeof(names) / sizeof(names[0])))

static const char keys_sql[] =
	"SELECT sequence_name, sequence_version, step, name, unit, low, high, id FROM cap_keys"
	" WHERE %s ORDER BY sequence_name, sequence_version, step, name, unit, low, high, id";
static const char cells_sql[] =
	"SELECT fixture, hour, n, ref, s1, s2, min, max, first_us, first_v, last_us, last_v, mr_n,"
	" mr_sum FROM cap_cells WHERE key = ?10 AND %s ORDER BY key, fixture, hour";

static bool answer(const struct rep_filter *f)
{
	return !f->outcome && !f->serial && !f->operator_name && !f->work_order &&
	       !f->part_number && !f->revision && !f->station &&
	       (!f->has_since || f->since_us % HOUR_US == 0) &&
	       (!f->has_until || f->until_us % HOUR_US == 0);
}

static sqlite3_stmt *prepare(struct db *db, const char *fmt, const char *where,
			     const struct rep_filter *f)
{
	char sql[512];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), fmt, where[0] ? where + 5 : "1");
	st = dbr_prepare(db->h, sql);
	if (st)
		dbr_bind_filter(st, f);
	return st;
}

static void value(sqlite3_stmt *st, int c, struct db_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL:
		v->type = DB_NULL;
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		v->type = DB_REAL;
		v->d = sqlite3_column_double(st, c);
		break;
	default:
		v->type = DB_TEXT;
		v->s = (const char *)sqlite3_column_text(st, c);
	}
}

/* One key's cells (cells: its statement, the key bound) to fn. */
static int key_cells(sqlite3_stmt *cells, struct db_row *row, db_row_fn fn, void *ctx)
{
	static const bool is_int[14] = { [1] = true, [2] = true, [8] = true, [10] = true,
					 [12] = true };
	int rc, ret = 0;

	while (!ret && (rc = sqlite3_step(cells)) == SQLITE_ROW) {
		row->v[8] = (struct db_value){ .type = DB_TEXT,
					       .s = (const char *)sqlite3_column_text(cells, 0) };
		for (int c = 1; c < 14; c++)
			row->v[8 + c] = is_int[c] ?
				(struct db_value){ .type = DB_INT, .i = sqlite3_column_int64(cells, c) } :
				(struct db_value){ .type = DB_REAL, .d = sqlite3_column_double(cells, c) };
		ret = fn(ctx, row);
	}
	sqlite3_reset(cells);
	return ret ? ret : rc == SQLITE_DONE ? 0 : -1;
}

static int each_key(struct db *db, sqlite3_stmt *keys, sqlite3_stmt *cells, db_row_fn fn,
		    void *ctx, struct st_error *e)
{
	struct db_row row = { .columns_only = true, .n = NCOL };
	int rc, ret;

	for (int c = 0; c < NCOL; c++)
		row.name[c] = names[c];
	ret = fn(ctx, &row);
	row.columns_only = false;
	row.v[7] = (struct db_value){ .type = DB_TEXT, .s = "" };
	while (!ret && (rc = sqlite3_step(keys)) == SQLITE_ROW) {
		for (int c = 0; c < 7; c++)
			value(keys, c, &row.v[c]);
		sqlite3_bind_int64(cells, 10, sqlite3_column_int64(keys, 7));
		ret = key_cells(cells, &row, fn, ctx);
	}
	if (ret < 0 || (!ret && rc != SQLITE_DONE))
		ret = st_fail(e, ST_ERR_DB, "reading the log's capability cells failed: %s",
			      sqlite3_errmsg(db->h));
	return ret;
}

int db_capability_sums(struct db *db, const struct rep_filter *f, db_row_fn fn, void *ctx,
		       struct st_error *e)
{
	char kw[128], cw[128];
	sqlite3_stmt *keys, *cells;
	int ret;

	if (!answer(f))
		return st_fail(e, ST_ERR_NOTSUP, "the log's capability cells cannot answer these "
			       "filters: the rows do");
	snprintf(kw, sizeof(kw), "%s%s", f->seq_name ? " AND sequence_name = ?4" : "",
		 f->seq_version ? " AND sequence_version = ?5" : "");
	snprintf(cw, sizeof(cw), "%s%s%s", f->has_since ? " AND hour >= ?1 / 3600000000" : "",
		 f->has_until ? " AND hour < ?2 / 3600000000" : "",
		 f->fixture ? " AND fixture = ?3" : "");
	pthread_mutex_lock(&db->mu);
	keys = prepare(db, keys_sql, kw, f);
	cells = keys ? prepare(db, cells_sql, cw, f) : NULL;
	if (!cells)
		ret = st_fail(e, ST_ERR_DB, "cannot query the log: %s", sqlite3_errmsg(db->h));
	else
		ret = each_key(db, keys, cells, fn, ctx, e);
	sqlite3_finalize(keys);
	sqlite3_finalize(cells);
	pthread_mutex_unlock(&db->mu);
	return ret;
}
