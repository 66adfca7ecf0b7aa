// SPDX-License-Identifier: Apache-2.0
/*
 * The MES results (mes_results, db.h): a run's result document is kept
 * before it is sent; a send that the MES took marks the row sent in one
 * conditional UPDATE (sent_us IS NULL), so a result is marked once, and
 * station mes sync sends only the rows not yet marked.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

#define PENDING_MAX 100000

/* One statement on the log, under its lock: SQLITE_DONE/ROW steps done by fn. */
static int exec(struct db *db, const char *sql, const char *what,
		int (*bind)(sqlite3_stmt *st, const void *arg), const void *arg, struct st_error *e)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = ST_OK;

	if (db->readonly)
		return st_fail(e, ST_ERR_ARG, "the log is open read-only");
	pthread_mutex_lock(&db->mu);
	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		bind(st, arg);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, what);
	else
		ret = sqlite3_changes(db->h) > 0;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return ret;
}

struct keep {
	const char *run_id, *document;
};

static int bind_keep(sqlite3_stmt *st, const void *arg)
{
	const struct keep *k = arg;

	dbi_bind_text(st, 1, k->run_id);
	dbi_bind_text(st, 2, k->document);
	sqlite3_bind_int64(st, 3, db_now_us());
	return 0;
}

int db_mes_keep(struct db *db, const char *run_id, const char *document, struct st_error *e)
{
	const struct keep k = { run_id, document };

	return exec(db, "INSERT INTO mes_results (run_id, document, queued_us) VALUES (?1, ?2, ?3)"
		    " ON CONFLICT (run_id) DO NOTHING", "keep a result for the MES", bind_keep, &k,
		    e);
}

struct tried {
	int64_t id;
	const char *error;
};

static int bind_tried(sqlite3_stmt *st, const void *arg)
{
	const struct tried *t = arg;

	sqlite3_bind_int64(st, 1, t->id);
	dbi_bind_text(st, 2, t->error);
	sqlite3_bind_int64(st, 3, db_now_us());
	return 0;
}

int db_mes_tried(struct db *db, int64_t id, const char *error, struct st_error *e)
{
	const struct tried t = { id, error };

	return exec(db, "UPDATE mes_results SET attempts = attempts + 1, last_error = ?2,"
		    " sent_us = CASE WHEN ?2 IS NULL THEN ?3 END WHERE id = ?1 AND sent_us IS NULL",
		    "mark a result for the MES", bind_tried, &t, e);
}

void db_mes_results_free(struct db_mes_result *r, int n)
{
	for (int i = 0; r && i < n; i++) {
		free(r[i].run_id);
		free(r[i].document);
	}
	free(r);
}

int db_mes_pending(struct db *db, struct db_mes_result **out, int *n, struct st_error *e)
{
	sqlite3_stmt *st = NULL;
	struct db_mes_result *v = NULL, *nv;
	int rc, cap = 0, ret = ST_OK;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&db->mu);
	rc = sqlite3_prepare_v2(db->h, "SELECT id, run_id, document FROM mes_results"
				" WHERE sent_us IS NULL ORDER BY id", -1, &st, NULL);
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW && *n < PENDING_MAX) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, (size_t)cap * sizeof(*v));
			if (!nv) {
				ret = st_fail(e, ST_ERR_NOMEM, "out of memory listing MES results");
				break;
			}
			v = nv;
		}
		v[*n].id = sqlite3_column_int64(st, 0);
		v[*n].run_id = strdup((const char *)sqlite3_column_text(st, 1));
		v[*n].document = strdup((const char *)sqlite3_column_text(st, 2));
		(*n)++;
	}
	if (ret == ST_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, "list the results for the MES");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	if (ret < 0) {
		db_mes_results_free(v, *n);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return ret;
}
