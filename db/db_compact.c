/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station db compact: the log rewritten by SQLite's VACUUM, its free pages
 * given back and each table's pages laid together.  An upgrade that moves
 * a table (schema 10's measurements, 15's) leaves the old table's pages
 * free inside the file: on make bench's million-run log 15's left 1.2 GiB
 * of 3.4 GiB free, and db check --quick then read a file half again as
 * large as its rows, past the 2 GiB SQLite maps (docs/database.md).
 *
 * VACUUM holds the log's write lock for as long as it copies (tens of
 * seconds on a million runs): a station logging a step meanwhile would give
 * up after its busy timeout and fail the unit, so the log is compacted only
 * while the caller holds every fixture of the log (hold(): the locks that
 * station run takes per log and fixture), which a station running one
 * refuses and a station starting one is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

static int pragma_i64(struct db *db, const char *sql, int64_t *v, struct st_error *e)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? ST_OK : dbi_fail(db, e, rc, "read the log's page counts");
}

static int space(struct db *db, struct db_space *s, struct st_error *e)
{
	int64_t size = 0;
	int ret = pragma_i64(db, "PRAGMA page_count", &s->pages, e);

	if (ret == ST_OK)
		ret = pragma_i64(db, "PRAGMA freelist_count", &s->free_pages, e);
	if (ret == ST_OK)
		ret = pragma_i64(db, "PRAGMA page_size", &size, e);
	s->page_size = size;
	return ret;
}

int db_space(struct db *db, struct db_space *s, struct st_error *e)
{
	int ret;

	pthread_mutex_lock(&db->mu);
	ret = space(db, s, e);
	pthread_mutex_unlock(&db->mu);
	return ret;
}

/* The log's fixtures, malloc'd (names and array), sorted. */
static int fixtures_of(struct db *db, char ***out, int *n, struct st_error *e)
{
	sqlite3_stmt *st;
	char **v = NULL, **nv;
	int rc = sqlite3_prepare_v2(db->h, "SELECT DISTINCT name FROM fixtures ORDER BY name", -1,
				    &st, NULL);

	*n = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *fx = (const char *)sqlite3_column_text(st, 0);

		rc = SQLITE_OK;
		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (!nv || !(nv[*n] = strdup(fx ? fx : ""))) {
			v = nv ? nv : v;
			rc = SQLITE_NOMEM;
			break;
		}
		v = nv;
		(*n)++;
	}
	sqlite3_finalize(st);
	*out = v;
	if (rc != SQLITE_DONE)
		return dbi_fail(db, e, rc, "read the log's fixtures");
	return ST_OK;
}

/* VACUUM's failure said with what to do: it copies the log into SQLite's
 * temporary directory, then through the -wal file back into the log. */
static int vacuum_fail(struct db *db, int rc, struct st_error *e)
{
	if (rc == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
		return st_fail(e, ST_ERR_DB, "cannot compact the log %s: %s; it needs free space "
			       "of about the compacted log's size twice, in SQLite's temporary "
			       "directory (SQLITE_TMPDIR, else TMPDIR, else /var/tmp or /tmp) and "
			       "beside the log (its -wal file); nothing was changed",
			       db->path, sqlite3_errmsg(db->h));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return st_fail(e, ST_ERR_DB, "cannot compact the log %s: another program holds "
			       "it (%s); close it (a sqlite3 session, a station) and compact again; "
			       "nothing was changed", db->path, sqlite3_errmsg(db->h));
	return dbi_fail(db, e, rc, "compact the log");
}

/* The -wal file folded back into the log and emptied: TRUNCATE waits
 * (the busy timeout, 5 s) for readers still on the pages it holds; false
 * when one stayed longer. */
static bool wal_truncate(struct db *db)
{
	sqlite3_stmt *st;
	bool busy = true;

	if (sqlite3_prepare_v2(db->h, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		busy = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return !busy;
}

int db_compact(struct db *db, db_hold_fn hold, void *ctx, struct db_space *before,
	       struct db_space *after, bool *wal_kept, struct st_error *e)
{
	char **fx = NULL;
	int n = 0, rc, ret;

	*wal_kept = false;
	pthread_mutex_lock(&db->mu);
	ret = space(db, before, e);
	if (ret == ST_OK && hold)
		ret = fixtures_of(db, &fx, &n, e);
	if (ret == ST_OK && hold)
		ret = hold((const char *const *)fx, n, ctx, e);
	if (ret == ST_OK) {
		rc = sqlite3_exec(db->h, "VACUUM", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			ret = vacuum_fail(db, rc, e);
	}
	if (ret == ST_OK) {
		*wal_kept = !wal_truncate(db);
		ret = space(db, after, e);
	}
	pthread_mutex_unlock(&db->mu);
	for (int i = 0; i < n; i++)
		free(fx[i]);
	free(fx);
	return ret;
}
