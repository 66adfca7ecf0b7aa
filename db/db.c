/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log's connection: open (WAL, busy timeout, foreign keys), the
 * per-connection statement cache, SQLite errors turned into messages an
 * operator can act on, integrity check, crash recovery and events.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "db"
#include "common/log.h"
#include "common/text.h"
#include "db/db-internal.h"

/* A quality engineer's sqlite3 may hold a write lock for a moment; wait
 * for it rather than fail a unit. */
#define DB_BUSY_MS 5000

const char *db_outcome_name(enum db_outcome o)
{
	static const char *const names[] = {
		[DB_PASS] = "pass", [DB_FAIL] = "fail", [DB_ERROR] = "error",
		[DB_SKIPPED] = "skipped", [DB_ABORTED] = "aborted", [DB_RUNNING] = "running",
	};

	if ((unsigned)o >= sizeof(names) / sizeof(names[0]))
		return "error";
	return names[o];
}

int64_t db_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *code_name(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL: return "SQLITE_FULL";
	case SQLITE_READONLY: return "SQLITE_READONLY";
	case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
	case SQLITE_BUSY: return "SQLITE_BUSY";
	case SQLITE_LOCKED: return "SQLITE_LOCKED";
	case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
	case SQLITE_NOTADB: return "SQLITE_NOTADB";
	case SQLITE_IOERR: return "SQLITE_IOERR";
	case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
	case SQLITE_PERM: return "SQLITE_PERM";
	case SQLITE_NOMEM: return "SQLITE_NOMEM";
	case SQLITE_ERROR: return "SQLITE_ERROR";
	}
	return "SQLITE_OTHER";
}

static const char *advice(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return "free disk space; every step logged before this one is safe";
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return "make the file and its directory writable, or pass --db with a writable path";
	case SQLITE_CANTOPEN:
		return "check that the directory exists and is writable, or pass --db";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "another program holds a write lock on the log; end its transaction and retry";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "the file is damaged or not a station log; run 'station db check', "
		       "keep a copy and start a new log";
	case SQLITE_IOERR:
		return "the disk reported an I/O error; check the drive (dmesg)";
	case SQLITE_CONSTRAINT:
		return "a value breaks the log's rules (a station bug; report it with this message)";
	}
	return "see the message above";
}

int dbi_fail(struct db *db, struct st_error *e, int rc, const char *what)
{
	const char *msg = db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
	const char *path = db && db->path ? db->path : "?";
	/* SQLite says "disk I/O error" when its WAL index cannot grow on a
	 * full disk: name the real cause. */
	bool full = db && db->h && (rc & 0xff) == SQLITE_IOERR &&
		    sqlite3_system_errno(db->h) == ENOSPC;

	return st_fail(e, ST_ERR_DB, "cannot %s in the log %s: %s (%s%s); %s", what, path, msg,
		       code_name(rc), full ? ", no space left on the device" : "",
		       advice(full ? SQLITE_FULL : rc));
}

sqlite3_stmt *dbi_stmt(struct db *db, enum dbi_slot slot, struct st_error *e)
{
	sqlite3_stmt *st = db->st[slot];
	int rc;

	if (!st) {
		rc = sqlite3_prepare_v3(db->h, dbi_sql[slot], -1, SQLITE_PREPARE_PERSISTENT, &st,
					NULL);
		if (rc != SQLITE_OK) {
			dbi_fail(db, e, rc, "prepare a statement");
			return NULL;
		}
		db->st[slot] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int dbi_done(struct db *db, sqlite3_stmt *st, const char *what, struct st_error *e)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		dbi_fail(db, e, rc, what);
		sqlite3_reset(st);
		return ST_ERR_DB;
	}
	sqlite3_reset(st);
	return ST_OK;
}

int dbi_begin(struct db *db, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_BEGIN, e);

	return st ? dbi_done(db, st, "start a transaction", e) : ST_ERR_DB;
}

int dbi_commit(struct db *db, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_COMMIT, e);

	return st ? dbi_done(db, st, "commit", e) : ST_ERR_DB;
}

void dbi_rollback(struct db *db)
{
	/* After some errors (SQLITE_FULL, IOERR) SQLite has already rolled back. */
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	dbi_defs_forget(db);	/* a def made in it is gone */
}

/* Text is stored as received when it is valid UTF-8, with every other byte
 * as \xNN (common/text.h): a look-up binds through here too, so it finds
 * what was stored from the same bytes. */
void dbi_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	char *u;

	if (!s) {
		sqlite3_bind_null(st, i);
	} else if (st_text_is_utf8(s)) {
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	} else if ((u = st_text_utf8_dup(s)) != NULL) {
		sqlite3_bind_text(st, i, u, -1, free);
	} else {
		sqlite3_bind_null(st, i);	/* out of memory: the step's error follows */
	}
}

void dbi_bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

/* Say plainly what is wrong with the path before SQLite says "unable to
 * open database file". */
static int precheck(const char *path, const struct db_opts *o, struct st_error *e)
{
	struct stat sb;
	char *dup, *dir;
	int ret = ST_OK;

	if (!path || !*path)
		return st_fail(e, ST_ERR_ARG, "no log file given; pass --db FILE");
	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return st_fail(e, ST_ERR_ARG, "the log %s is a directory; pass --db FILE",
				       path);
		/* SQLite would put its journal beside it: /dev/null-journal */
		if (!S_ISREG(sb.st_mode))
			return st_fail(e, ST_ERR_ARG, "the log %s is not a regular file (a device, "
				       "a pipe?); pass --db FILE", path);
		if (!o->readonly && access(path, W_OK) != 0)
			return st_fail(e, ST_ERR_IO, "the log %s is read-only (%s); make it "
				       "writable or pass --db with a writable path", path,
				       strerror(errno));
		return ST_OK;
	}
	if (o->readonly || o->must_exist)
		return st_fail(e, ST_ERR_NOTFOUND, "no log at %s (%s); pass --db FILE with the "
			       "station's log", path, strerror(errno));
	dup = strdup(path);
	if (!dup)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	dir = dirname(dup);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		ret = st_fail(e, ST_ERR_IO, "cannot create the log %s: the directory %s does not "
			      "exist; create it or pass --db with another path", path, dir);
	else if (access(dir, W_OK | X_OK) != 0)
		ret = st_fail(e, ST_ERR_IO, "cannot create the log %s: the directory %s is not "
			      "writable (%s); fix its permissions or pass --db", path, dir,
			      strerror(errno));
	free(dup);
	return ret;
}

/* SQLite's busy wait, bounded by the station's stop as well as by time. */
static int busy_wait(void *ctx, int count)
{
	const struct db *db = ctx;
	int waited_ms = count * 10;
	struct timespec ts = { 0, 10 * 1000000L };

	if (waited_ms >= DB_BUSY_MS || (db->stop && atomic_load(db->stop) && waited_ms >= DB_BUSY_STOP_MS))
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

static int pragmas(struct db *db, const struct db_opts *o, struct st_error *e)
{
	char mode[16] = "";
	sqlite3_stmt *st = NULL;
	int rc;

	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_handler(db->h, busy_wait, db);
	rc = sqlite3_exec(db->h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "open");
	if (db->readonly)
		return ST_OK;
	/* WAL: readers (reports, a quality engineer's sqlite3) never block the line.
	 * Stations started together on a new log race to switch it, and the
	 * switch does not wait on the busy handler: the losers try again, with
	 * a short random pause, for as long as the busy timeout. */
	for (int waited = 0, ms;; waited += ms) {
		rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		st = NULL;
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		if (waited >= DB_BUSY_MS)
			break;
		/* processes forked from one parent share random()'s state */
		ms = 5 + (int)((unsigned)getpid() * 2654435761u >> 8) % 20 + waited % 7;
		sqlite3_sleep(ms);
	}
	if (rc != SQLITE_ROW)
		return dbi_fail(db, e, rc, "switch to WAL mode");
	if (strcmp(mode, "wal") != 0)
		return st_fail(e, ST_ERR_DB, "the log %s refused WAL mode (got '%s'); put it on a "
			       "local file system", db->path, mode);
	rc = sqlite3_exec(db->h, o->sync_full ? "PRAGMA synchronous = FULL" :
			  "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "set synchronous");
	return ST_OK;
}

/* A log on a read-only file system (a copy on a DVD, an archive mount) or
 * in a directory the reader may not write: a reader of a WAL log needs
 * its -shm file, which it cannot create there.
 * A cleanly closed log has no -wal left, so nothing is lost opening it
 * immutable: the file is read as it is.  One with a -wal was not closed
 * cleanly and cannot be read whole there.  SQLITE_OK, an SQLite code, or
 * an st_err with e set. */
static int readonly_fs(struct db *db, struct st_error *e)
{
	char wal[4096], uri[3 * 4096 + 32];
	struct stat sb;
	size_t n = 0;
	int rc;

	rc = sqlite3_exec(db->h, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	/* CANTOPEN: no -shm can be made (read-only mount); READONLY: the
	 * directory is write-protected (an archived copy), e.g. CANTINIT */
	if ((rc & 0xff) != SQLITE_CANTOPEN && (rc & 0xff) != SQLITE_READONLY)
		return rc;
	snprintf(wal, sizeof(wal), "%s-wal", db->path);
	if (stat(wal, &sb) == 0 && sb.st_size > 0)
		return st_fail(e, ST_ERR_DB, "the log %s was not closed cleanly (%s holds %lld "
			       "bytes) and cannot be read where it is (read-only file system?): "
			       "copy the log and its -wal file to a writable place and read the copy",
			       db->path, wal, (long long)sb.st_size);
	/* RFC 3986 for SQLite's URI file names: %XX for all but the unreserved */
	n = (size_t)snprintf(uri, sizeof(uri), "file:");
	for (const unsigned char *p = (const unsigned char *)db->path; *p; p++)
		n += (size_t)snprintf(uri + n, sizeof(uri) - n,
				      isalnum(*p) || strchr("/-._~", *p) ? "%c" : "%%%02X", *p);
	snprintf(uri + n, sizeof(uri) - n, "?immutable=1");
	sqlite3_close(db->h);
	db->h = NULL;
	rc = sqlite3_open_v2(uri, &db->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->h, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	return rc;
}

int db_open(struct db **out, const char *path, const struct db_opts *o, struct st_error *e)
{
	static const struct db_opts defaults;
	struct db *db;
	int flags, rc, ret;

	*out = NULL;
	if (!o)
		o = &defaults;
	ret = precheck(path, o, e);
	if (ret < 0)
		return ret;
	if (!o->readonly && !o->must_exist) {
		/* made here, so that its mode follows the umask (0664 at most:
		 * never world-writable); SQLite gives -wal and -shm the same */
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0664);

		if (fd >= 0)
			close(fd);
	}
	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&db->mu, NULL);
	dbi_reader_init(db);
	db->readonly = o->readonly;
	db->as_is = o->as_is;
	db->stop = o->stop;
	/* A reader's connection is used under db->mu alone (report, trace,
	 * export, db check: one thread): without SQLite's own mutex around
	 * every call, reading the 330,000 capability cells of a 90-day log
	 * takes a tenth less CPU (docs/database.md). */
	flags = o->readonly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_READWRITE;
	if (!o->readonly && !o->must_exist)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	if (rc == SQLITE_OK && o->readonly)
		rc = readonly_fs(db, e);
	if (rc < 0) {
		ret = rc;
		goto out;
	}
	if (rc != SQLITE_OK) {
		ret = dbi_fail(db, e, rc, "open");
		goto out;
	}
	ret = pragmas(db, o, e);
	if (ret == ST_OK && !o->readonly)
		ret = dbi_sum_register(db, e);
	if (ret < 0)
		goto out;
	ret = dbi_schema_apply(db, e);
out:
	if (ret < 0) {
		db_close(db);
		return ret;
	}
	*out = db;
	return ST_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (int i = 0; i < DBS__COUNT; i++)
		sqlite3_finalize(db->st[i]);
	dbi_defs_free(db);
	if (db->h && sqlite3_close(db->h) != SQLITE_OK)
		log_warn("closing %s: %s", db->path, sqlite3_errmsg(db->h));
	pthread_mutex_destroy(&db->mu);
	free(db->path);
	free(db);
}

int db_found_version(struct db *db)
{
	return db->found_version;
}

const char *db_path(struct db *db)
{
	return db->path;
}

struct sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

/* Collect up to a few lines of a check pragma's rows; *bad when not "ok". */
static int check_pragma(struct db *db, const char *sql, char *buf, size_t cap, int *bad,
			struct st_error *e)
{
	sqlite3_stmt *st;
	size_t len = strlen(buf);
	int rc;

	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(st, 0);

		if (row && !strcmp(row, "ok"))
			continue;
		(*bad)++;
		if (len + 2 < cap)
			len += snprintf(buf + len, cap - len, "%s%s", len ? "; " : "", row ? row : "?");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, e, rc, "check");
	return ST_OK;
}

/* The foreign-key check's rows summed per table and the table they refer
 * to ("268 rows of measurement_values refer to measurement_defs"), into
 * buf; *bad: the rows. */
static int check_refs(struct db *db, char *buf, size_t cap, int *bad, struct st_error *e)
{
	sqlite3_stmt *st;
	size_t len = 0;
	int rc;

	rc = sqlite3_prepare_v2(db->h, "SELECT \"table\", parent, count(*) FROM"
				" pragma_foreign_key_check GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "check");
	buf[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 2);

		*bad += (int)n;
		if (len + 2 < cap)
			len += (size_t)snprintf(buf + len, cap - len, "%s%lld row%s of %s refer%s to %s",
						len ? "; " : "", (long long)n, n == 1 ? "" : "s",
						(const char *)sqlite3_column_text(st, 0),
						n == 1 ? "s" : "", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (len >= cap && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
	return rc == SQLITE_DONE ? ST_OK : dbi_fail(db, e, rc, "check");
}

/* path for a shell, in single quotes ('\'' for a quote inside). */
static void shell_quoted(const char *path, char *out, size_t cap)
{
	size_t n = 0;

	if (cap < 3)
		return;
	out[n++] = '\'';
	for (const char *p = path; *p && n + 6 < cap; p++) {
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *p;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
}

/* Measurement values that are text or bytes, not numbers ('' or 'nan', as
 * sqlite3 .import writes an empty cell): the reports read each as 0.  Their
 * count into *n, the first one's id into *first. */
static int check_text_values(struct db *db, int64_t *n, int64_t *first, struct st_error *e)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db->h, "SELECT count(*), min(id) FROM measurement_values"
				" WHERE typeof(value) IN ('text', 'blob')", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "check");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		*first = sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ST_OK : dbi_fail(db, e, rc, "check");
}

/* pragma, then (full) the foreign-key check: a look-up of every row's
 * parents, which at a million runs takes longer than quick_check itself,
 * and the measurement values that are not numbers. */
static int check(struct db *db, const char *pragma, bool full, struct st_error *e)
{
	struct dbi_check_read rd;
	char what[300] = "", refs[300] = "", q[2 * PATH_MAX];
	int bad = 0, fk = 0, ret;
	int64_t text = 0, text_id = 0;

	pthread_mutex_lock(&db->mu);
	dbi_check_read_start(db->h, db->path, &rd);
	ret = check_pragma(db, pragma, what, sizeof(what), &bad, e);
	if (ret == ST_OK && full)
		ret = check_refs(db, refs, sizeof(refs), &fk, e);
	if (ret == ST_OK && full && !bad)
		ret = check_text_values(db, &text, &text_id, e);
	dbi_check_read_end(db->h, &rd);
	pthread_mutex_unlock(&db->mu);
	if (ret < 0)
		return ret;
	if (bad)
		return st_fail(e, ST_ERR_DB, "the log %s failed its integrity check (%d problem%s): "
			       "%s%s%s; keep a copy, then '.recover' it with sqlite3 or start a new log",
			       db->path, bad + fk, bad + fk == 1 ? "" : "s", what, fk ? "; " : "",
			       refs);
	/* the file is sound; rows point at rows that are gone (an edit by
	 * hand: a def deleted while values use it, a step deleted before its
	 * measurements): the data to mend, not the file */
	shell_quoted(db->path, q, sizeof(q));
	if (fk)
		return st_fail(e, ST_ERR_DB, "the log %s is sound, but rows refer to rows that are "
			       "gone (a hand edit?): %s; list them with sqlite3 %s 'PRAGMA "
			       "foreign_key_check', then restore the rows they refer to from a copy "
			       "of the log taken before the edit, or delete the rows that refer to "
			       "them", db->path, refs, q);
	if (text)
		return st_fail(e, ST_ERR_DB, "the log %s is sound, but %lld measurement value%s "
			       "%s text, not a number (the first: measurement %lld; '' or 'nan' as "
			       "sqlite3 .import writes an empty cell, a hand edit), which the reports "
			       "would count as 0; list them with sqlite3 %s \"SELECT id, quote(value) "
			       "FROM measurements WHERE typeof(value) IN ('text', 'blob')\", set each "
			       "to its number or to NULL (UPDATE measurements SET value = NULL WHERE "
			       "id = %lld), then station db rebuild", db->path, (long long)text,
			       text == 1 ? "" : "s", text == 1 ? "is" : "are", (long long)text_id, q,
			       (long long)text_id);
	return ST_OK;
}

int db_check(struct db *db, struct st_error *e)
{
	return check(db, "PRAGMA integrity_check(20)", true, e);
}

int db_quick_check(struct db *db, struct st_error *e)
{
	return check(db, "PRAGMA quick_check(20)", false, e);
}

/* A run still marked running: its id and fixture. */
struct running {
	char id[DB_ID_LEN];
	char fixture[64];
};

/* The runs still marked running (crashed ones, or live in another station). */
static int running_runs(struct db *db, struct running **runs, int *n, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_RUNNING_IDS, e);
	struct running *v = NULL, *nv;
	int rc;

	*n = 0;
	if (!st)
		return ST_ERR_DB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *fx = sqlite3_column_text(st, 1);

		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (!nv) {
			rc = SQLITE_NOMEM;
			break;
		}
		v = nv;
		snprintf(v[*n].id, sizeof(v[*n].id), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(v[*n].fixture, sizeof(v[*n].fixture), "%s", fx ? (const char *)fx : "");
		(*n)++;
	}
	sqlite3_reset(st);
	*runs = v;
	return rc == SQLITE_DONE ? ST_OK : dbi_fail(db, e, rc, "find unfinished runs");
}

/* One run: the recovery event, the run marked aborted, its summary. */
static int recover_one(struct db *db, const char *id, int64_t now, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_RECOVER_EVENT, e);

	if (!st)
		return ST_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (dbi_done(db, st, "record recovery", e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_RECOVER, e);
	if (!st)
		return ST_ERR_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (dbi_done(db, st, "mark an unfinished run aborted", e) < 0)
		return ST_ERR_DB;
	return dbi_sum_run_ended(db, id, e);
}

int db_recover(struct db *db, db_run_live_fn live, void *ctx, int *n, int *n_live,
	       struct st_error *e)
{
	struct running *runs = NULL;
	int ret, count = 0, skipped = 0, nruns = 0;
	int64_t now = db_now_us();

	if (n)
		*n = 0;
	if (n_live)
		*n_live = 0;
	pthread_mutex_lock(&db->mu);
	ret = dbi_begin(db, e);
	if (ret < 0)
		goto out;
	ret = running_runs(db, &runs, &nruns, e);
	for (int i = 0; ret == ST_OK && i < nruns; i++) {
		if (live && live(runs[i].fixture, ctx)) {
			skipped++;	/* another station is running it */
			continue;
		}
		ret = recover_one(db, runs[i].id, now, e);
		count++;
	}
	if (ret == ST_OK)
		ret = dbi_commit(db, e);
	if (ret < 0)
		dbi_rollback(db);
out:
	pthread_mutex_unlock(&db->mu);
	free(runs);
	if (ret == ST_OK && n)
		*n = count;
	if (ret == ST_OK && n_live)
		*n_live = skipped;
	if (ret == ST_OK && count)
		log_info("%s: marked %d unfinished run%s aborted", db->path, count,
			 count == 1 ? "" : "s");
	return ret < 0 ? ST_ERR_DB : ret;
}

int db_event(struct db *db, const char *run_id, const char *fixture, const char *what,
	     const char *detail, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret = ST_ERR_DB;

	if (!what)
		return st_fail(e, ST_ERR_ARG, "db_event: no event name");
	pthread_mutex_lock(&db->mu);
	st = dbi_stmt(db, DBS_EVENT, e);
	if (st) {
		dbi_bind_text(st, 1, run_id);
		dbi_bind_text(st, 2, fixture);
		sqlite3_bind_int64(st, 3, db_now_us());
		dbi_bind_text(st, 4, what);
		dbi_bind_text(st, 5, detail);
		ret = dbi_done(db, st, "record an event", e);
	}
	pthread_mutex_unlock(&db->mu);
	return ret;
}
