// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS queue: registrations the register step logged as 'queued' while
 * the CMS was unavailable, worked by `station cms sync`.  The row itself is
 * the queue entry, so a registration is queued exactly when its step
 * committed; marking it is one conditional UPDATE (status = 'queued'), so
 * two syncs never both mark it, and the CMS keys by fingerprint, so a sync
 * that died between the CMS's answer and the UPDATE is answered
 * "already-registered" next time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

#define QUEUED_MAX 100000

static const char sql_queued[] =
	"SELECT c.id, c.run_id, COALESCE(r.unit_serial, i.subject_serial), r.station, "
	"r.fixture, i.chip_serial, i.fingerprint, i.pem_chain, COALESCE(c.attempts, 0) "
	"FROM cms_registrations c JOIN runs r ON r.id = c.run_id "
	"LEFT JOIN identities i ON i.id = (SELECT max(id) FROM identities WHERE run_id = c.run_id) "
	"WHERE c.status = 'queued' ORDER BY c.id";
static const char sql_mark[] =
	"UPDATE cms_registrations SET status = ?2, cms_id = ?3, "
	"attempts = COALESCE(attempts, 0) + ?4, http_status = ?5 "
	"WHERE id = ?1 AND status = 'queued'";
/* A registration marked after its run was forwarded: the run is queued
 * again, so that the central store hears the final state (its insert of a
 * registration moves 'queued' forward, never back; central/schema.c). */
static const char sql_requeue[] =
	"UPDATE runs SET forwarded_us = NULL WHERE id = (SELECT s.run_id FROM cms_registrations c"
	" JOIN steps s ON s.id = c.step_id WHERE c.id = ?1)";
static const char sql_retried[] =
	"UPDATE cms_registrations SET attempts = COALESCE(attempts, 0) + ?2, "
	"http_status = ?3 WHERE id = ?1 AND status = 'queued'";

static const char sql_last[] =
	"SELECT c.status, COALESCE(c.cms_id, ''), c.run_id FROM cms_registrations c "
	"JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = ?1 ORDER BY c.id DESC LIMIT 1";

static char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static void copy_col(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

void db_cms_queued_free(struct db_cms_queued *q, int n)
{
	for (int i = 0; q && i < n; i++) {
		free(q[i].unit_serial);
		free(q[i].station);
		free(q[i].fixture);
		free(q[i].chip_serial);
		free(q[i].fingerprint);
		free(q[i].pem_chain);
	}
	free(q);
}

static int push_row(sqlite3_stmt *st, struct db_cms_queued **q, int *n, int *cap)
{
	struct db_cms_queued *r;

	if (*n == *cap) {
		int nc = *cap ? 2 * *cap : 16;

		r = realloc(*q, (size_t)nc * sizeof(**q));
		if (!r)
			return ST_ERR_NOMEM;
		*q = r;
		*cap = nc;
	}
	r = &(*q)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	copy_col(st, 1, r->run_id, sizeof(r->run_id));
	r->unit_serial = col(st, 2);
	r->station = col(st, 3);
	r->fixture = col(st, 4);
	r->chip_serial = col(st, 5);
	r->fingerprint = col(st, 6);
	r->pem_chain = col(st, 7);
	r->attempts = sqlite3_column_int(st, 8);
	return ST_OK;
}

int db_cms_queued_list(struct db *db, struct db_cms_queued **out, int *n, struct st_error *e)
{
	sqlite3_stmt *st = NULL;
	int rc, cap = 0, ret = ST_OK;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&db->mu);
	rc = sqlite3_prepare_v2(db->h, sql_queued, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = dbi_fail(db, e, rc, "list queued CMS registrations");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < QUEUED_MAX) {
		ret = push_row(st, out, n, &cap);
		if (ret < 0) {
			st_fail(e, ret, "out of memory listing queued CMS registrations");
			goto out;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, "list queued CMS registrations");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	if (ret < 0) {
		db_cms_queued_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

/* One UPDATE: 1 when it changed the row, 0 when the row was no longer queued. */
static int update(struct db *db, const char *sql, int64_t id, const char *status,
		  const char *cms_id, int attempts, int http_status, struct st_error *e)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;
	int marking = status != NULL;

	if (db->readonly)
		return st_fail(e, ST_ERR_ARG, "the log is open read-only");
	pthread_mutex_lock(&db->mu);
	if (marking && (ret = dbi_begin(db, e)) < 0)
		goto out;
	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = dbi_fail(db, e, rc, "update a queued CMS registration");
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	if (marking) {
		dbi_bind_text(st, 2, status);
		dbi_bind_text(st, 3, cms_id);
		sqlite3_bind_int(st, 4, attempts);
		sqlite3_bind_int(st, 5, http_status);
	} else {
		sqlite3_bind_int(st, 2, attempts);
		sqlite3_bind_int(st, 3, http_status);
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, "update a queued CMS registration");
	else
		ret = sqlite3_changes(db->h) > 0;
	if (marking && ret == 1) {
		sqlite3_finalize(st);
		st = NULL;
		rc = sqlite3_prepare_v2(db->h, sql_requeue, -1, &st, NULL);
		if (rc == SQLITE_OK)
			sqlite3_bind_int64(st, 1, id);
		rc = rc == SQLITE_OK ? sqlite3_step(st) : rc;
		if (rc != SQLITE_DONE)
			ret = dbi_fail(db, e, rc, "queue a run again for the central store");
	}
	if (marking && ret >= 0 && dbi_commit(db, e) < 0)
		ret = ST_ERR_DB;
out:
	sqlite3_finalize(st);
	if (marking && ret < 0)
		dbi_rollback(db);
	pthread_mutex_unlock(&db->mu);
	return ret;
}

int db_cms_mark(struct db *db, int64_t id, const char *status, const char *cms_id,
		int attempts, int http_status, struct st_error *e)
{
	if (!status || (strcmp(status, "registered") && strcmp(status, "failed")))
		return st_fail(e, ST_ERR_ARG, "a queued registration is marked registered or "
			       "failed, not '%s'", status ? status : "(null)");
	return update(db, sql_mark, id, status, cms_id, attempts, http_status, e);
}

int db_cms_retried(struct db *db, int64_t id, int attempts, int http_status,
		   struct st_error *e)
{
	return update(db, sql_retried, id, NULL, NULL, attempts, http_status, e);
}


int db_cms_last(struct db *db, const char *unit_serial, struct db_cms_last *out,
		struct st_error *e)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&db->mu);
	rc = sqlite3_prepare_v2(db->h, sql_last, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, unit_serial, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_col(st, 0, out->status, sizeof(out->status));
		copy_col(st, 1, out->cms_id, sizeof(out->cms_id));
		copy_col(st, 2, out->run_id, sizeof(out->run_id));
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		ret = dbi_fail(db, e, rc, "look up a unit's CMS registration");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return ret;
}
