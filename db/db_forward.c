/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a run for the central store, and marking it forwarded.  The
 * columns are named as in the central schema (central/schema.c), which
 * checks them against its own lists: a column added here and not there is
 * an error in the tests, not a silent loss.  Attached rows are found
 * through the indexes the log already has (by run, or by step).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "db/db-internal.h"
#include "db/db_forward.h"

#define OF_STEPS "step_id IN (SELECT id FROM steps WHERE run_id = ?1)"

static const struct fwd_table {
	const char *name, *sql;
} fwd[] = {
	{ "runs", "SELECT id, unit_serial, station, fixture, operator,"
	  /* an older log's '' (schema < 11 wrote it) is the NULL of today's */
	  " NULLIF(sequence_name, '') AS sequence_name,"
	  " sequence_version, sequence_sha256, software_version, started_us, ended_us, outcome,"
	  " reason, last_step_index, last_step, work_order, part_number, revision"
	  " FROM runs WHERE id = ?1" },
	{ "run_files", "SELECT run_id, path, sha256 FROM run_files WHERE run_id = ?1 ORDER BY path" },
	{ "steps", "SELECT run_id, id, idx, name, kind, phase, outcome, reason, started_us,"
	  " ended_us, duration_us, attempts FROM steps WHERE run_id = ?1 ORDER BY idx" },
	/* started_us repeats the run's: the central store indexes a
	 * measurement by name and time without a join */
	{ "measurements", "SELECT s.run_id, m.id, m.step_id, m.name, m.value, m.text, m.unit,"
	  " m.low, m.high, m.expect, m.outcome, r.started_us FROM runs r"
	  " JOIN steps s ON s.run_id = r.id JOIN measurements m ON m.step_id = s.id"
	  " WHERE r.id = ?1 ORDER BY m.id" },
	{ "images", "SELECT ?1 AS run_id, id, step_id, path, sha256, format, address, size,"
	  " chip_id FROM images WHERE " OF_STEPS " ORDER BY id" },
	{ "identities", "SELECT ?1 AS run_id, id, step_id, chip_serial, cert_serial, subject,"
	  " issuer, not_before, not_after, fingerprint, spki_sha256, subject_serial, masa_url,"
	  " nonce, signature, dpp_uri, pem_chain FROM identities WHERE " OF_STEPS " ORDER BY id" },
	{ "identity_trust", "SELECT run_id, identity_id, trust, anchor_sha256, anchor_subject,"
	  " revocation, masa_encoding, verdict FROM identity_trust WHERE run_id = ?1"
	  " ORDER BY identity_id" },
	{ "run_anchors", "SELECT run_id, sha256, trust, subject FROM run_anchors"
	  " WHERE run_id = ?1 ORDER BY sha256" },
	{ "cms_registrations", "SELECT ?1 AS run_id, id, step_id, status, cms_id, attempts,"
	  " http_status FROM cms_registrations WHERE " OF_STEPS " ORDER BY id" },
	{ "step_values", "SELECT ?1 AS run_id, id, step_id, key, value FROM step_values"
	  " WHERE " OF_STEPS " ORDER BY id" },
	{ "suspects", "SELECT run_id, id, unit_serial, role, chip_serial, fingerprint, time_us,"
	  " reason FROM suspects WHERE run_id = ?1 ORDER BY id" },
	{ "events", "SELECT run_id, id, fixture, time_us, what, detail FROM events"
	  " WHERE run_id = ?1 ORDER BY id" },
};
#define N_FWD ((int)(sizeof(fwd) / sizeof(fwd[0])))

const char *const db_fwd_tables[] = {
	"runs", "run_files", "steps", "measurements", "images", "identities", "identity_trust",
	"run_anchors", "cms_registrations", "step_values", "suspects", "events", NULL
};

static const char queue_sql[] =
	"SELECT id FROM runs WHERE forwarded_us IS NULL AND outcome <> 'running'"
	" ORDER BY ended_us, id LIMIT ?1";
static const char count_sql[] =
	"SELECT count(*) FROM runs WHERE forwarded_us IS NULL AND outcome <> 'running'";
/* What of an ended run changes later: its CMS registrations leave 'queued'
 * (never the other way, db_cms.c), so their count is the run's stamp. */
#define STAMP "(SELECT count(*) FROM cms_registrations WHERE " OF_STEPS " AND status <> 'queued')"
static const char stamp_sql[] = "SELECT " STAMP;
static const char mark_sql[] =
	"UPDATE runs SET forwarded_us = ?2 WHERE id = ?1 AND outcome <> 'running'"
	" AND (?3 < 0 OR " STAMP " = ?3)";
static const char ended_sql[] = "SELECT count(*) FROM runs WHERE id = ?1 AND outcome <> 'running'";

int db_fwd_queue(struct db *db, char (*ids)[DB_ID_LEN], int max, int *n, int64_t *queued,
		 struct st_error *e)
{
	sqlite3_stmt *st;
	int rc, ret = ST_OK;

	*n = 0;
	pthread_mutex_lock(&db->mu);
	st = dbr_prepare(db->h, queue_sql);
	if (!st) {
		ret = dbi_fail(db, e, sqlite3_errcode(db->h), "read the runs to forward");
		goto out;
	}
	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		snprintf(ids[(*n)++], DB_ID_LEN, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ret = dbi_fail(db, e, rc, "read the runs to forward");
		goto out;
	}
	if (queued) {
		st = dbr_prepare(db->h, count_sql);
		rc = st ? sqlite3_step(st) : sqlite3_errcode(db->h);
		*queued = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			ret = dbi_fail(db, e, rc, "count the runs to forward");
	}
out:
	pthread_mutex_unlock(&db->mu);
	return ret;
}

int db_fwd_station(struct db *db, const char *run_id, char **out, struct st_error *e)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&db->mu);
	st = dbr_prepare(db->h, "SELECT station FROM runs WHERE id = ?1");
	if (st)
		dbi_bind_text(st, 1, run_id);
	rc = st ? sqlite3_step(st) : sqlite3_errcode(db->h);
	if (rc == SQLITE_ROW)
		*out = dbr_dup_col(st, 0);
	sqlite3_finalize(st);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? ST_OK : dbi_fail(db, e, rc, "read a run's station");
	pthread_mutex_unlock(&db->mu);
	return rc;
}

struct tab_ctx {
	db_fwd_fn fn;
	void *ctx;
	const char *table;
	struct st_error *e;
};

/* Text as the log stores it (common/text.h): valid UTF-8 as it is, every
 * other byte as \xNN.  A log edited by hand (the sqlite3 CLI) may hold
 * what the station never writes: bytes that are not UTF-8, a NUL inside
 * (a C string would end there), a BLOB; PostgreSQL's text takes neither
 * (it refused the run, and so held every run behind it; a NUL cut it). */
static bool stored_as_is(const struct db_value *v)
{
	return v->type != DB_TEXT || (v->len == (int)strlen(v->s) && st_text_is_utf8(v->s));
}

/* v's text as stored, to free (NULL: out of memory). */
static char *as_stored(const struct db_value *v)
{
	size_t cap = 4 * (size_t)v->len + 1, n = 0;	/* a byte is at most \xNN */
	char *out = malloc(cap);

	for (const char *p = v->s; out; p++) {	/* the parts between NULs */
		n += st_text_utf8(out + n, cap - n, p);
		p += strlen(p);
		if (p >= v->s + v->len)
			break;
		n += (size_t)snprintf(out + n, cap - n, "\\x00");
	}
	return out;
}

static int tab_row(void *arg, const struct db_row *row)
{
	struct tab_ctx *t = arg;
	struct db_row copy;
	char *own[DB_ROW_MAX_COLS] = { NULL };
	bool owned = false;
	int ret;

	for (int i = 0; !row->columns_only && i < row->n; i++)
		owned |= !stored_as_is(&row->v[i]);
	if (!owned)
		return t->fn(t->ctx, t->table, row);
	copy = *row;
	ret = ST_OK;
	for (int i = 0; i < row->n && ret == ST_OK; i++) {
		if (stored_as_is(&row->v[i]))
			continue;
		if (!(own[i] = as_stored(&row->v[i])))
			ret = st_fail(t->e, ST_ERR_NOMEM, "out of memory");
		else
			copy.v[i].s = own[i], copy.v[i].len = (int)strlen(own[i]);
	}
	if (ret == ST_OK)
		ret = t->fn(t->ctx, t->table, &copy);
	for (int i = 0; i < row->n; i++)
		free(own[i]);
	return ret;
}

static int64_t one_int(struct db *db, const char *sql, const char *run_id)
{
	sqlite3_stmt *st = dbr_prepare(db->h, sql);
	int64_t v = -1;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int db_fwd_rows(struct db *db, const char *run_id, db_fwd_fn fn, void *ctx, int64_t *stamp,
		struct st_error *e)
{
	struct tab_ctx t = { fn, ctx, NULL, e };
	int ret = ST_OK;

	pthread_mutex_lock(&db->mu);
	if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		ret = dbi_fail(db, e, sqlite3_errcode(db->h), "start reading a run to forward");
		goto out;
	}
	for (int i = 0; i < N_FWD && ret == ST_OK; i++) {
		sqlite3_stmt *st = dbr_prepare(db->h, fwd[i].sql);

		if (!st) {
			ret = dbi_fail(db, e, sqlite3_errcode(db->h), "read a run to forward");
			break;
		}
		sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
		t.table = fwd[i].name;
		ret = dbr_each_row(db->h, st, tab_row, &t, e);
	}
	if (ret == ST_OK && stamp && (*stamp = one_int(db, stamp_sql, run_id)) < 0)
		ret = dbi_fail(db, e, sqlite3_errcode(db->h), "read a run to forward");
	sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&db->mu);
	return ret;
}

int db_fwd_mark(struct db *db, const char *run_id, int64_t stamp, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret;

	pthread_mutex_lock(&db->mu);
	st = dbr_prepare(db->h, mark_sql);
	if (!st) {
		ret = dbi_fail(db, e, sqlite3_errcode(db->h), "mark a run forwarded");
	} else {
		sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, db_now_us());
		sqlite3_bind_int64(st, 3, stamp);
		ret = dbi_done(db, st, "mark a run forwarded", e);
		if (ret == ST_OK && sqlite3_changes(db->h) != 1)
			ret = one_int(db, ended_sql, run_id) == 1 ? 1 :
			      st_fail(e, ST_ERR_ARG, "run %s is not an ended run of %s", run_id,
				      db->path);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	return ret;
}
