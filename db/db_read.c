/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The read queries of station export and station trace, as typed rows
 * (struct db_row) for report/ to print: the SQL of the reading commands
 * lives here, next to the schema it reads, and nothing above db/ sees a
 * statement.  Filters and keys are bound parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "db/db-internal.h"

const char *const db_outcomes[] = {
	"pass", "fail", "error", "skipped", "aborted", "running", NULL
};

sqlite3_stmt *dbr_prepare(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

void dbr_bind_filter(sqlite3_stmt *st, const struct rep_filter *f)
{
	if (f->has_since)
		sqlite3_bind_int64(st, 1, f->since_us);
	if (f->has_until)
		sqlite3_bind_int64(st, 2, f->until_us);
	dbi_bind_text(st, 3, f->fixture);
	dbi_bind_text(st, 4, f->seq_name);
	dbi_bind_text(st, 5, f->seq_version);
	dbi_bind_text(st, 6, f->outcome);
	dbi_bind_text(st, 7, f->serial);
	/* 8 to 19 are the queries' own */
	dbi_bind_text(st, 20, f->operator_name);
	dbi_bind_text(st, 21, f->work_order);
	dbi_bind_text(st, 22, f->part_number);
	dbi_bind_text(st, 23, f->revision);
	dbi_bind_text(st, 24, f->station);
}

/* The terms of the filters given, with the parameter numbers bind_filter()
 * uses; "1" for none. */
static void where_terms(const struct rep_filter *f, char *buf, size_t cap)
{
	const struct {
		bool on;
		const char *term;
	} t[] = {
		{ f->has_since, "r.started_us >= ?1" }, { f->has_until, "r.started_us < ?2" },
		{ f->fixture, "r.fixture = ?3" }, { f->seq_name, "r.sequence_name = ?4" },
		{ f->seq_version, "r.sequence_version = ?5" }, { f->outcome, "r.outcome = ?6" },
		{ f->serial, "r.unit_serial = ?7" }, { f->operator_name, "r.operator = ?20" },
		{ f->work_order, "r.work_order = ?21" }, { f->part_number, "r.part_number = ?22" },
		{ f->revision, "r.revision = ?23" }, { f->station, "r.station = ?24" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].on)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " AND " : "", t[i].term);
	if (!n)
		snprintf(buf, cap, "1");
}

sqlite3_stmt *dbr_prepare_where(sqlite3 *h, const char *sql, const struct rep_filter *f)
{
	static const char mark[] = "@WHERE@";
	char terms[512], *full, *o;
	size_t marks = 0, len;
	sqlite3_stmt *st;

	/* 12 terms of at most 26 characters and their ANDs fit */
	_Static_assert(sizeof(terms) > 12 * (26 + 5), "room for every filter term");
	where_terms(f, terms, sizeof(terms));
	for (const char *p = sql; (p = strstr(p, mark)); p += sizeof(mark) - 1)
		marks++;
	len = strlen(sql) + marks * (strlen(terms) + 2) + 1;
	full = o = malloc(len);
	if (!full)
		return NULL;
	for (const char *p = sql, *m; *p; p = m + sizeof(mark) - 1) {
		m = strstr(p, mark);
		if (!m) {
			o += snprintf(o, len - (size_t)(o - full), "%s", p);
			break;
		}
		o += snprintf(o, len - (size_t)(o - full), "%.*s(%s)", (int)(m - p), p, terms);
	}
	st = dbr_prepare(h, full);
	free(full);
	if (st)
		dbr_bind_filter(st, f);
	return st;
}

char *dbr_dup_col(sqlite3_stmt *st, int c)
{
	const char *s = (const char *)sqlite3_column_text(st, c);

	return s ? strdup(s) : NULL;
}

/* Step st to the end, handing each row to fn; finalizes st.  The db's lock
 * is held by the caller. */
int dbr_each_row(sqlite3 *h, sqlite3_stmt *st, db_row_fn fn, void *ctx, struct st_error *e)
{
	struct db_row row;
	int rc, ret = 0;

	row.n = sqlite3_column_count(st);
	if (row.n > DB_ROW_MAX_COLS) {
		sqlite3_finalize(st);
		return st_fail(e, ST_ERR_LIMIT, "a log query has %d columns, more than %d", row.n,
			       DB_ROW_MAX_COLS);
	}
	for (int c = 0; c < row.n; c++)
		row.name[c] = sqlite3_column_name(st, c);
	row.columns_only = true;
	ret = fn(ctx, &row);
	row.columns_only = false;
	rc = SQLITE_DONE;
	for (bool first = true; !ret && (rc = sqlite3_step(st)) == SQLITE_ROW; first = false) {
		for (int c = 0; c < row.n; c++) {
			struct db_value *v = &row.v[c];

			/* a name read before sqlite3_step() may be freed by it (a
			 * statement re-prepared): read them again after the first
			 * (the read transaction then holds the schema) */
			if (first)
				row.name[c] = sqlite3_column_name(st, c);

			memset(v, 0, sizeof(*v));
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_INTEGER:
				v->type = DB_INT;
				v->i = sqlite3_column_int64(st, c);
				break;
			case SQLITE_FLOAT:
				v->type = DB_REAL;
				v->d = sqlite3_column_double(st, c);
				break;
			case SQLITE_NULL:
				v->type = DB_NULL;
				break;
			default:
				v->type = DB_TEXT;
				v->s = (const char *)sqlite3_column_text(st, c);
				v->len = sqlite3_column_bytes(st, c);
				if (!v->s)
					v->type = DB_NULL;
				break;
			}
		}
		ret = fn(ctx, &row);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = st_fail(e, ST_ERR_DB, "reading the log failed: %s", sqlite3_errmsg(h));
	sqlite3_finalize(st);
	return ret;
}

static sqlite3_stmt *prepare(struct db *db, const char *sql, struct st_error *e)
{
	sqlite3_stmt *st = dbr_prepare(db->h, sql);

	if (!st)
		st_fail(e, ST_ERR_DB, "cannot query the log: %s", sqlite3_errmsg(db->h));
	return st;
}

/* --- station export ------------------------------------------------------ */

const char *const db_export_whats[] = { "runs", "steps", "measurements", NULL };

static const char *const export_sql[] = {
	"SELECT r.id AS run_id, r.unit_serial, r.station, r.fixture, r.operator,"
	" r.work_order, r.part_number, r.revision, r.sequence_name, r.sequence_version, r.sequence_sha256, r.software_version,"
	" " REP_ISO("r.started_us") " AS started, " REP_ISO("r.ended_us") " AS ended,"
	" r.started_us, r.ended_us, r.outcome, r.reason, r.last_step"
	" FROM runs r WHERE " REP_WHERE " ORDER BY r.started_us, r.id",

	"SELECT s.run_id, r.unit_serial, r.fixture, r.sequence_name, r.sequence_version,"
	" s.idx AS step_index, s.name AS step, s.kind, s.phase, s.outcome, s.reason,"
	" " REP_ISO("s.started_us") " AS started, s.started_us, s.ended_us, s.duration_us,"
	" s.attempts FROM steps s JOIN runs r ON r.id = s.run_id WHERE " REP_WHERE
	" ORDER BY r.started_us, r.id, s.idx",

	"SELECT s.run_id, r.unit_serial, r.fixture, r.sequence_name, r.sequence_version,"
	" s.idx AS step_index, s.name AS step, m.name, m.value, m.text, m.unit, m.low, m.high,"
	" m.expect, m.outcome, " REP_ISO("s.ended_us") " AS time"
	" FROM measurements m JOIN steps s ON s.id = m.step_id JOIN runs r ON r.id = s.run_id"
	" WHERE " REP_WHERE " ORDER BY r.started_us, r.id, s.idx, m.id",
};
_Static_assert(sizeof(export_sql) / sizeof(export_sql[0]) ==
	       sizeof(db_export_whats) / sizeof(db_export_whats[0]) - 1,
	       "one export query per name");

int db_export_rows(struct db *db, const char *what, const struct rep_filter *f, db_row_fn fn,
		   void *ctx, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret;

	for (size_t i = 0; db_export_whats[i]; i++) {
		if (strcmp(what, db_export_whats[i]))
			continue;
		pthread_mutex_lock(&db->mu);
		st = dbr_prepare_where(db->h, export_sql[i], f);
		if (!st)
			st_fail(e, ST_ERR_DB, "cannot query the log: %s", sqlite3_errmsg(db->h));
		if (st) {
			ret = dbr_each_row(db->h, st, fn, ctx, e);
		} else {
			ret = ST_ERR_DB;
		}
		pthread_mutex_unlock(&db->mu);
		return ret;
	}
	return st_fail(e, ST_ERR_ARG, "--what is runs, steps or measurements, not '%s'", what);
}

/* --- station trace ------------------------------------------------------- */

static const struct trace_q {
	const char *name, *sql;
} trace_q[DB_TRACE__COUNT] = {
	/* A unit is its serial; a run without one (a refused clone, a board
	 * never named) is its own unit, found by its run id or SE chip.  A
	 * certificate's claims find a unit only where the identity passed. */
	[DB_TRACE_UNITS] = { "units",
		"SELECT unit_serial FROM runs WHERE unit_serial = ?1"
		" UNION SELECT id FROM runs WHERE id = ?1 AND unit_serial IS NULL"
		" UNION SELECT coalesce(r.unit_serial, r.id) FROM identities i"
		" JOIN runs r ON r.id = i.run_id JOIN steps s ON s.id = i.step_id"
		" WHERE i.chip_serial = ?1 OR (s.outcome = 'pass'"
		" AND (i.cert_serial = ?2 COLLATE NOCASE OR i.subject_serial = ?1)) ORDER BY 1" },
	[DB_TRACE_RUNS] = { "runs",
		"SELECT id, unit_serial, station, fixture, operator, work_order, part_number, revision,"
		" sequence_name, sequence_version, sequence_sha256, software_version, " REP_ISO("started_us") " AS started, "
		REP_ISO("ended_us") " AS ended, outcome, reason, last_step"
		" FROM runs WHERE unit_serial = ?1 OR (unit_serial IS NULL AND id = ?1)"
		" ORDER BY started_us, id" },
	[DB_TRACE_RUN] = { "run",
		"SELECT id, unit_serial, station, fixture, operator, work_order, part_number, revision,"
		" sequence_name, sequence_version, sequence_sha256, software_version, " REP_ISO("started_us") " AS started, "
		REP_ISO("ended_us") " AS ended, outcome, reason, last_step FROM runs WHERE id = ?1" },
	/* suspect marks (docs/identity.md): on the unit, or on a run without one */
	[DB_TRACE_SUSPECTS] = { "suspect",
		"SELECT role, reason, run_id, chip_serial, fingerprint, " REP_ISO("time_us")
		" AS time FROM suspects WHERE unit_serial = ?1 OR (unit_serial IS NULL AND run_id = ?1)"
		" ORDER BY time_us, id" },
	[DB_TRACE_STEPS] = { "steps",
		"SELECT id, idx AS \"index\", name, kind, phase, outcome, reason, "
		REP_ISO("started_us") " AS started, duration_us, attempts"
		" FROM steps WHERE run_id = ?1 ORDER BY idx" },
	[DB_TRACE_MEASUREMENTS] = { "measurements",
		"SELECT name, value, text, unit, low, high, expect, outcome"
		" FROM measurements WHERE step_id = ?3 ORDER BY id" },
	[DB_TRACE_IMAGES] = { "images",
		"SELECT path, sha256, format, address, size, chip_id"
		" FROM images WHERE step_id = ?3 ORDER BY id" },
	[DB_TRACE_IDENTITIES] = { "identities",
		"SELECT chip_serial, cert_serial, subject, issuer, not_before, not_after,"
		" fingerprint, spki_sha256, subject_serial, masa_url, dpp_uri, nonce,"
		" signature, pem_chain FROM identities WHERE step_id = ?3 ORDER BY id" },
	[DB_TRACE_CMS] = { "cms",
		"SELECT status, cms_id, attempts, http_status"
		" FROM cms_registrations WHERE step_id = ?3 ORDER BY id" },
	[DB_TRACE_VALUES] = { "values",
		"SELECT key, value FROM step_values WHERE step_id = ?3 ORDER BY id" },
};

const char *db_trace_name(enum db_trace_q q)
{
	return (unsigned)q < DB_TRACE__COUNT ? trace_q[q].name : "?";
}

int db_trace_rows(struct db *db, enum db_trace_q q, const char *key, int64_t key_id,
		  db_row_fn fn, void *ctx, struct st_error *e)
{
	sqlite3_stmt *st;
	char hex[256];
	int ret;

	if ((unsigned)q >= DB_TRACE__COUNT)
		return st_fail(e, ST_ERR_ARG, "no trace query %d", (int)q);
	pthread_mutex_lock(&db->mu);
	st = prepare(db, trace_q[q].sql, e);
	if (!st) {
		pthread_mutex_unlock(&db->mu);
		return ST_ERR_DB;
	}
	if (q == DB_TRACE_UNITS) {
		hex_normalize(key, hex, sizeof(hex));
		dbi_bind_text(st, 2, hex);
	}
	if (q <= DB_TRACE_STEPS)
		dbi_bind_text(st, 1, key);
	else
		sqlite3_bind_int64(st, 3, key_id);
	ret = dbr_each_row(db->h, st, fn, ctx, e);
	pthread_mutex_unlock(&db->mu);
	return ret;
}
