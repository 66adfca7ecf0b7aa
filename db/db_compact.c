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
 * when no station holds one of its fixtures (live(), the locks that
 * station run takes per log and fixture).
 */
#include <stdio.h>

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

/* A fixture of the log that a station holds: its name in busy. */
static int held_fixture(struct db *db, db_run_live_fn live, void *ctx, char *busy, size_t len,
			struct st_error *e)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->h, "SELECT DISTINCT name FROM fixtures ORDER BY name", -1,
				    &st, NULL);

	busy[0] = '\0';
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *fx = (const char *)sqlite3_column_text(st, 0);

		if (fx && live(fx, ctx)) {
			snprintf(busy, len, "%s", fx);
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dbi_fail(db, e, rc, "read the log's fixtures");
	return ST_OK;
}

int db_compact(struct db *db, db_run_live_fn live, void *ctx, struct db_space *before,
	       struct db_space *after, struct st_error *e)
{
	char busy[128];
	int rc, ret;

	pthread_mutex_lock(&db->mu);
	ret = space(db, before, e);
	if (ret == ST_OK && live)
		ret = held_fixture(db, live, ctx, busy, sizeof(busy), e);
	if (ret == ST_OK && busy[0]) {
		ret = st_fail(e, ST_ERR_DB, "a station is running fixture '%s' on the log %s; "
			      "stop the stations on this log, then compact it (it holds the log for "
			      "as long as it copies, and a step logged meanwhile would fail)",
			      busy, db->path);
	}
	if (ret == ST_OK) {
		rc = sqlite3_exec(db->h, "VACUUM", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			ret = dbi_fail(db, e, rc, "compact the log (it needs free disk space as "
				       "large as the log, twice over while it copies)");
	}
	/* the copy went through the write-ahead log: folded back, and the
	 * -wal file emptied */
	if (ret == ST_OK) {
		rc = sqlite3_exec(db->h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			ret = dbi_fail(db, e, rc, "write the compacted log back from its -wal file");
	}
	if (ret == ST_OK)
		ret = space(db, after, e);
	pthread_mutex_unlock(&db->mu);
	return ret;
}
