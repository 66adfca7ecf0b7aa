/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity policy's rows (docs/identity.md, docs/database.md): the trust
 * anchors of each run, the anchor and verdict of each logged identity, and
 * the suspect marks a detected clone leaves on the original and the copy.
 * Written rarely (once per identity step), so each call prepares its own
 * statement; always bound, never formatted.
 */
#include <string.h>

#include <sqlite3.h>

#include "db/db-internal.h"

/* Run sql (bound by bind) to completion; the caller holds db->mu. */
static int exec_bound(struct db *db, const char *sql, const char *what,
		      void (*bind)(sqlite3_stmt *, const void *), const void *arg,
		      struct st_error *e)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, what);
	bind(st, arg);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ST_OK : dbi_fail(db, e, rc, what);
}

struct trust_row {
	int64_t identity_id;
	const char *run_id;
	const struct db_identity *id;
};

static void bind_trust(sqlite3_stmt *st, const void *arg)
{
	const struct trust_row *r = arg;

	sqlite3_bind_int64(st, 1, r->identity_id);
	dbi_bind_text(st, 2, r->run_id);
	dbi_bind_text(st, 3, r->id->trust);
	dbi_bind_text(st, 4, r->id->anchor_sha256);
	dbi_bind_text(st, 5, r->id->anchor_subject);
	dbi_bind_text(st, 6, r->id->revocation);
	dbi_bind_text(st, 7, r->id->masa_encoding);
	dbi_bind_text(st, 8, r->id->passed ? "pass" : "fail");
}

int dbi_identity_trust(struct db *db, int64_t identity_id, const char *run_id,
		       const struct db_identity *id, struct st_error *e)
{
	const struct trust_row r = { identity_id, run_id, id };

	return exec_bound(db, "INSERT INTO identity_trust (identity_id, run_id, trust, "
			  "anchor_sha256, anchor_subject, revocation, masa_encoding, verdict) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", "log an identity's anchor",
			  bind_trust, &r, e);
}

struct anchor_row {
	const char *run_id, *trust;
	const struct db_anchor *a;
};

static void bind_anchor(sqlite3_stmt *st, const void *arg)
{
	const struct anchor_row *r = arg;

	dbi_bind_text(st, 1, r->run_id);
	dbi_bind_text(st, 2, r->trust);
	dbi_bind_text(st, 3, r->a->sha256);
	dbi_bind_text(st, 4, r->a->subject);
}

int db_run_anchors(struct db *db, const char *run_id, const char *trust,
		   const struct db_anchor *a, int n, struct st_error *e)
{
	int ret;

	if (!run_id || !trust)
		return st_fail(e, ST_ERR_ARG, "db_run_anchors: missing run id or trust store");
	pthread_mutex_lock(&db->mu);
	ret = dbi_begin(db, e);
	for (int i = 0; ret == ST_OK && i < n; i++) {
		const struct anchor_row r = { run_id, trust, &a[i] };

		ret = exec_bound(db, "INSERT OR IGNORE INTO run_anchors (run_id, trust, sha256, "
				 "subject) VALUES (?1, ?2, ?3, ?4)", "log the trust anchors",
				 bind_anchor, &r, e);
	}
	if (ret == ST_OK)
		ret = dbi_commit(db, e);
	else
		dbi_rollback(db);
	pthread_mutex_unlock(&db->mu);
	return ret;
}

static void bind_suspect(sqlite3_stmt *st, const void *arg)
{
	const struct db_suspect *s = arg;

	dbi_bind_text(st, 1, s->unit_serial);
	dbi_bind_text(st, 2, s->run_id);
	dbi_bind_text(st, 3, s->role);
	dbi_bind_text(st, 4, s->chip_serial);
	dbi_bind_text(st, 5, s->fingerprint);
	sqlite3_bind_int64(st, 6, db_now_us());
	dbi_bind_text(st, 7, s->reason ? s->reason : "");
}

int db_suspect_mark(struct db *db, const struct db_suspect *s, struct st_error *e)
{
	int ret;

	if (!s->run_id || !s->role)
		return st_fail(e, ST_ERR_ARG, "db_suspect_mark: missing run id or role");
	pthread_mutex_lock(&db->mu);
	ret = exec_bound(db, "INSERT INTO suspects (unit_serial, run_id, role, chip_serial, "
			 "fingerprint, time_us, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			 "mark a suspect unit", bind_suspect, s, e);
	pthread_mutex_unlock(&db->mu);
	return ret;
}

static void bind_run(sqlite3_stmt *st, const void *arg)
{
	dbi_bind_text(st, 1, arg);
}

int db_run_clear_serial(struct db *db, const char *run_id, struct st_error *e)
{
	int ret;

	pthread_mutex_lock(&db->mu);
	ret = exec_bound(db, "UPDATE runs SET unit_serial = NULL WHERE id = ?1",
			 "clear a run's unit serial", bind_run, run_id, e);
	pthread_mutex_unlock(&db->mu);
	return ret;
}

int dbi_suspects_count(struct db *db, const struct rep_filter *f, int64_t *n,
		       struct st_error *e)
{
	static const char sql[] =
		"SELECT count(*) FROM suspects s JOIN runs r ON r.id = s.run_id"
		" WHERE (?1 IS NULL OR r.started_us >= ?1) AND (?2 IS NULL OR r.started_us < ?2)"
		" AND (?3 IS NULL OR r.fixture = ?3) AND (?4 IS NULL OR r.station = ?4)";
	sqlite3_stmt *st = NULL;
	int rc, ret = ST_OK;

	*n = 0;
	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* a log written before the table, opened read-only: no marks */
		return rc == SQLITE_ERROR ? ST_OK : dbi_fail(db, e, rc, "count the suspect marks");
	}
	if (f && f->has_since)
		sqlite3_bind_int64(st, 1, f->since_us);
	if (f && f->has_until)
		sqlite3_bind_int64(st, 2, f->until_us);
	if (f) {
		dbi_bind_text(st, 3, f->fixture);
		dbi_bind_text(st, 4, f->station);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		ret = dbi_fail(db, e, rc, "count the suspect marks");
	sqlite3_finalize(st);
	return ret;
}

int db_suspects_count(struct db *db, const struct rep_filter *f, int64_t *n,
		      struct st_error *e)
{
	int ret;

	pthread_mutex_lock(&db->mu);
	ret = dbi_suspects_count(db, f, n, e);
	pthread_mutex_unlock(&db->mu);
	return ret;
}
