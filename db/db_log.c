/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing runs and steps.  A step and everything attached to it go in one
 * BEGIN IMMEDIATE ... COMMIT, so a crash leaves either the whole step or
 * none of it, and a step reported as logged survives kill -9.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define LOG_PREFIX "db"
#include "common/hex.h"
#include "common/log.h"
#include "db/db-internal.h"

/* 128 random bits from the kernel: unique across stations without any
 * coordination, and not repeated by a forked child (SQLite's PRNG would). */
static int new_run_id(char id[DB_ID_LEN], struct st_error *e)
{
	unsigned char raw[16];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0)
			return st_fail(e, ST_ERR_IO, "cannot read random bytes for a run id");
		got += (size_t)n;
	}
	return hex_encode(raw, sizeof(raw), id, DB_ID_LEN, false);
}

static int run_register(struct db *db, const struct db_run_info *ri, const char *station,
			const char *fixture, const char *id, struct st_error *e)
{
	int64_t now = db_now_us(), started = ri->started_us ? ri->started_us : now;
	sqlite3_stmt *st;

	st = dbi_stmt(db, DBS_STATION, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, station);
	dbi_bind_text(st, 2, ri->software_version);
	sqlite3_bind_int64(st, 3, now);
	if (dbi_done(db, st, "register the station", e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_FIXTURE, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, station);
	dbi_bind_text(st, 2, fixture);
	sqlite3_bind_int64(st, 3, now);
	if (dbi_done(db, st, "register the fixture", e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_RUN_INSERT, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, id);
	dbi_bind_text(st, 2, ri->unit_serial);
	dbi_bind_text(st, 3, station);
	dbi_bind_text(st, 4, fixture);
	dbi_bind_text(st, 5, ri->operator_name);
	/* no name and an empty one are the same operation: stored as NULL */
	dbi_bind_text(st, 6, ri->sequence_name && *ri->sequence_name ? ri->sequence_name : NULL);
	dbi_bind_text(st, 7, ri->sequence_version);
	dbi_bind_text(st, 8, ri->sequence_sha256);
	dbi_bind_text(st, 9, ri->software_version);
	sqlite3_bind_int64(st, 10, started);
	sqlite3_bind_null(st, 11);	/* its summary cell: when it ends */
	dbi_bind_text(st, 12, ri->work_order);
	dbi_bind_text(st, 13, ri->part_number);
	dbi_bind_text(st, 14, ri->revision);
	return dbi_done(db, st, "start a run", e);
}

int db_run_begin(struct db *db, const struct db_run_info *ri, char run_id[DB_ID_LEN],
		 struct st_error *e)
{
	char host[256] = "station";
	const char *station = ri->station, *fixture = ri->fixture;
	int ret;

	if (!station || !*station) {
		gethostname(host, sizeof(host) - 1);
		station = host;
	}
	if (!fixture || !*fixture)
		fixture = "fixture";
	ret = new_run_id(run_id, e);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&db->mu);
	ret = dbi_begin(db, e);
	if (ret == ST_OK) {
		ret = run_register(db, ri, station, fixture, run_id, e);
		if (ret == ST_OK)
			ret = dbi_commit(db, e);
		if (ret < 0)
			dbi_rollback(db);
	}
	pthread_mutex_unlock(&db->mu);
	return ret;
}

/* A run's outcome and unit (its serial, or its id without one); *unit is
 * malloc'd.  ST_ERR_NOTFOUND when no run has that id. */
static int run_state(struct db *db, const char *run_id, bool *ended, char **unit,
		     const char *what, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_RUN_STATE, e);
	int rc;

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ended = strcmp((const char *)sqlite3_column_text(st, 0), "running") != 0;
		*unit = strdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return st_fail(e, ST_ERR_NOTFOUND, "cannot %s: no run %s in the log %s", what,
			       run_id, db->path);
	if (rc != SQLITE_ROW)
		return dbi_fail(db, e, rc, what);
	return *unit ? ST_OK : st_fail(e, ST_ERR_NOMEM, "out of memory");
}

/* One UPDATE of a run in a transaction, then the summaries: a run that
 * ends is counted; when an ended run changes (its serial, a second end)
 * the units it belonged to are recounted. */
static int run_update(struct db *db, enum dbi_slot slot, const char *run_id, const char *a,
		      const char *b, const char *what, struct st_error *e)
{
	char *before = NULL, *after = NULL;
	bool ended = false, ended_now = false;
	sqlite3_stmt *st;
	int ret;

	ret = run_state(db, run_id, &ended, &before, what, e);
	if (ret < 0)
		return ret;
	st = dbi_stmt(db, slot, e);
	if (!st) {
		free(before);
		return ST_ERR_DB;
	}
	dbi_bind_text(st, 1, run_id);
	if (slot == DBS_RUN_END) {
		sqlite3_bind_int64(st, 2, db_now_us());
		ended_now = strcmp(a, "running") != 0;
	} else {
		dbi_bind_text(st, 2, a);
	}
	dbi_bind_text(st, 3, slot == DBS_RUN_END ? a : b);
	if (slot == DBS_RUN_END)
		dbi_bind_text(st, 4, b);
	ret = dbi_done(db, st, what, e);
	if (ret == ST_OK && !ended && ended_now)
		ret = dbi_sum_run_ended(db, run_id, e);
	else if (ret == ST_OK && ended && slot == DBS_RUN_END)
		ret = dbi_sum_run_moved(db, run_id, e);
	if (ret == ST_OK && ended)
		ret = run_state(db, run_id, &ended, &after, what, e);
	if (ret == ST_OK && after) {
		ret = dbi_sum_unit(db, before, e);
		if (ret == ST_OK && strcmp(before, after))
			ret = dbi_sum_unit(db, after, e);
	}
	free(before);
	free(after);
	return ret;
}

static int run_write(struct db *db, enum dbi_slot slot, const char *run_id, const char *a,
		     const char *b, const char *what, struct st_error *e)
{
	int ret;

	pthread_mutex_lock(&db->mu);
	if (slot == DBS_RUN_FILE) {
		sqlite3_stmt *st = dbi_stmt(db, slot, e);

		ret = ST_ERR_DB;
		if (st) {
			dbi_bind_text(st, 1, run_id);
			dbi_bind_text(st, 2, a);
			dbi_bind_text(st, 3, b);
			ret = dbi_done(db, st, what, e);
			if (ret == ST_OK && sqlite3_changes(db->h) == 0)
				ret = st_fail(e, ST_ERR_NOTFOUND, "cannot %s: no run %s in the "
					      "log %s", what, run_id, db->path);
		}
		goto out;
	}
	ret = dbi_begin(db, e);
	if (ret < 0)
		goto out;
	ret = run_update(db, slot, run_id, a, b, what, e);
	if (ret == ST_OK)
		ret = dbi_commit(db, e);
	if (ret < 0)
		dbi_rollback(db);
out:
	pthread_mutex_unlock(&db->mu);
	return ret;
}

int db_run_set_serial(struct db *db, const char *run_id, const char *serial, struct st_error *e)
{
	return run_write(db, DBS_RUN_SERIAL, run_id, serial, NULL, "record the unit serial", e);
}

int db_run_file(struct db *db, const char *run_id, const char *path, const char *sha256,
		struct st_error *e)
{
	if (!path || !sha256)
		return st_fail(e, ST_ERR_ARG, "db_run_file: path and sha256 are required");
	return run_write(db, DBS_RUN_FILE, run_id, path, sha256, "record a sequence file", e);
}

int db_run_end(struct db *db, const char *run_id, enum db_outcome o, const char *reason,
	       struct st_error *e)
{
	return run_write(db, DBS_RUN_END, run_id, db_outcome_name(o), reason, "end the run", e);
}

/* A child row's statement with its step (?1) and run (?2) bound. */
static sqlite3_stmt *child_stmt(struct db *db, enum dbi_slot slot, sqlite3_int64 step,
				const char *run_id, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, slot, e);

	if (st) {
		sqlite3_bind_int64(st, 1, step);
		dbi_bind_text(st, 2, run_id);
	}
	return st;
}

static int log_meas(struct db *db, sqlite3_int64 step, const char *run_id,
		    const struct db_measurement *m, struct st_error *e)
{
	sqlite3_int64 def;
	sqlite3_stmt *st;

	if (dbi_meas_def(db, m, &def, e) < 0 || !(st = child_stmt(db, DBS_MEAS, step, run_id, e)))
		return ST_ERR_DB;
	sqlite3_bind_int64(st, 3, def);
	dbi_bind_real(st, 4, m->value);
	dbi_bind_text(st, 5, m->text);
	dbi_bind_text(st, 6, db_outcome_name(m->outcome));
	return dbi_done(db, st, "log a measurement", e);
}

static int log_image(struct db *db, sqlite3_int64 step, const char *run_id,
		     const struct db_image *im, struct st_error *e)
{
	sqlite3_stmt *st = child_stmt(db, DBS_IMAGE, step, run_id, e);

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 3, im->path);
	dbi_bind_text(st, 4, im->sha256 ? im->sha256 : "");
	dbi_bind_text(st, 5, im->format);
	sqlite3_bind_int64(st, 6, im->address);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)im->size);
	dbi_bind_text(st, 8, im->chip_id);
	return dbi_done(db, st, "log a flashed image", e);
}

static int log_identity(struct db *db, sqlite3_int64 step, const char *run_id,
			const struct db_identity *id, struct st_error *e)
{
	const char *const cols[] = {
		id->chip_serial, id->cert_serial, id->subject, id->issuer, id->not_before,
		id->not_after, id->fingerprint, id->spki_sha256, id->subject_serial,
		id->masa_url, id->nonce, id->signature, id->dpp_uri, id->pem_chain,
	};
	sqlite3_stmt *st = child_stmt(db, DBS_IDENTITY, step, run_id, e);

	if (!st)
		return ST_ERR_DB;
	int ret;

	for (int i = 0; i < (int)(sizeof(cols) / sizeof(cols[0])); i++)
		dbi_bind_text(st, 3 + i, cols[i]);
	ret = dbi_done(db, st, "log an identity", e);
	if (ret == ST_OK)
		ret = dbi_identity_trust(db, sqlite3_last_insert_rowid(db->h), run_id, id, e);
	return ret;
}

static int log_cms(struct db *db, sqlite3_int64 step, const char *run_id,
		   const struct db_cms *c, struct st_error *e)
{
	sqlite3_stmt *st = child_stmt(db, DBS_CMS, step, run_id, e);

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 3, c->status ? c->status : "unknown");
	dbi_bind_text(st, 4, c->cms_id);
	sqlite3_bind_int(st, 5, c->attempts);
	if (c->http_status)
		sqlite3_bind_int(st, 6, c->http_status);
	return dbi_done(db, st, "log a CMS registration", e);
}

static int log_kv(struct db *db, sqlite3_int64 step, const char *run_id,
		  const struct db_kv *kv, struct st_error *e)
{
	sqlite3_stmt *st = child_stmt(db, DBS_KV, step, run_id, e);

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 3, kv->key ? kv->key : "");
	dbi_bind_text(st, 4, kv->value);
	return dbi_done(db, st, "log a captured value", e);
}

static int log_step_row(struct db *db, const char *run_id, const struct db_step *s,
			struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_STEP, e);

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	sqlite3_bind_int(st, 2, s->index);
	dbi_bind_text(st, 3, s->name ? s->name : "");
	dbi_bind_text(st, 4, s->kind);
	dbi_bind_text(st, 5, s->phase);
	dbi_bind_text(st, 6, db_outcome_name(s->outcome));
	dbi_bind_text(st, 7, s->reason);
	if (s->started_us)
		sqlite3_bind_int64(st, 8, s->started_us);
	if (s->ended_us)
		sqlite3_bind_int64(st, 9, s->ended_us);
	if (s->started_us && s->ended_us)
		sqlite3_bind_int64(st, 10, s->ended_us - s->started_us);
	sqlite3_bind_int(st, 11, s->attempts > 0 ? s->attempts : 1);
	return dbi_done(db, st, "log a step", e);
}

static int log_step_all(struct db *db, const char *run_id, const struct db_step *s,
			struct st_error *e)
{
	sqlite3_int64 step;
	sqlite3_stmt *st;
	int ret;

	ret = log_step_row(db, run_id, s, e);
	if (ret < 0)
		return ret;
	step = sqlite3_last_insert_rowid(db->h);
	for (int i = 0; i < s->n_meas && ret == ST_OK; i++)
		ret = log_meas(db, step, run_id, &s->meas[i], e);
	for (int i = 0; i < s->n_kv && ret == ST_OK; i++)
		ret = log_kv(db, step, run_id, &s->kv[i], e);
	if (ret == ST_OK && s->image)
		ret = log_image(db, step, run_id, s->image, e);
	if (ret == ST_OK && s->identity)
		ret = log_identity(db, step, run_id, s->identity, e);
	if (ret == ST_OK && s->cms)
		ret = log_cms(db, step, run_id, s->cms, e);
	if (ret < 0)
		return ret;
	st = dbi_stmt(db, DBS_RUN_LAST, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	sqlite3_bind_int(st, 2, s->index);
	dbi_bind_text(st, 3, s->name);
	return dbi_done(db, st, "note the last step", e);
}

int db_step_log(struct db *db, const char *run_id, const struct db_step *s, struct st_error *e)
{
	int ret;

	if (!run_id || !s || (s->n_meas && !s->meas) || (s->n_kv && !s->kv))
		return st_fail(e, ST_ERR_ARG, "db_step_log: missing run id or step data");
	pthread_mutex_lock(&db->mu);
	ret = dbi_begin(db, e);
	if (ret == ST_OK) {
		ret = log_step_all(db, run_id, s, e);
		if (ret == ST_OK)
			ret = dbi_commit(db, e);
		if (ret < 0)
			dbi_rollback(db);
	}
	pthread_mutex_unlock(&db->mu);
	if (ret < 0)
		st_error_prefix(e, "step %d (%s) of run %s", s->index, s->name ? s->name : "?",
				run_id);
	return ret;
}

int db_identity_seen(struct db *db, const struct db_identity_key *k, struct db_identity_hit *out,
		     struct st_error *e)
{
	sqlite3_stmt *st;
	int rc, ret = ST_ERR_DB;

	memset(out, 0, sizeof(*out));
	if (!k->fingerprint && !k->spki_sha256)
		return 0;
	pthread_mutex_lock(&db->mu);
	st = dbi_stmt(db, DBS_SEEN, e);
	if (!st)
		goto out;
	dbi_bind_text(st, 1, k->fingerprint);
	dbi_bind_text(st, 2, k->spki_sha256);
	dbi_bind_text(st, 3, k->unit_serial);
	dbi_bind_text(st, 4, k->chip_serial && *k->chip_serial ? k->chip_serial : NULL);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out->unit, sizeof(out->unit), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(out->chip, sizeof(out->chip), "%s", (const char *)sqlite3_column_text(st, 1));
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		dbi_fail(db, e, rc, "look up an identity");
	}
	sqlite3_reset(st);
out:
	pthread_mutex_unlock(&db->mu);
	return ret;
}
