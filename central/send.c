/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forwarding one run: BEGIN, every row of the run as db_fwd_rows() reads
 * it, each through a prepared INSERT ... ON CONFLICT DO NOTHING (the keys
 * are the ids, so a run sent twice is stored once), COMMIT; then the local
 * mark.  A crash between the COMMIT and the mark sends the run again, and
 * the second time changes nothing.  The one exception, a CMS registration
 * (registered by `station cms sync` after its run was forwarded, which
 * queues the run again): its row moves from 'queued' to the final state,
 * never back (cpi_tables' conflict clause, and a trigger centrally).  Values travel as text: integers in
 * decimal, reals with 17 significant digits (exact for a double).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central-internal.h"
#include "common/text.h"
#include "db/db_forward.h"

/* The INSERT of table t: constant identifiers from cpi_tables, values bound. */
static int prepare_one(struct central *c, const struct cpi_table *t, struct st_error *e)
{
	char sql[1024];
	int n = snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (", t->name, t->columns);
	PGresult *r;

	for (int i = 1; i <= t->ncols && n < (int)sizeof(sql); i++)
		n += snprintf(sql + n, sizeof(sql) - n, "%s$%d", i > 1 ? ", " : "", i);
	if (n < (int)sizeof(sql))
		n += snprintf(sql + n, sizeof(sql) - n, ") ON CONFLICT %s",
			      t->conflict ? t->conflict : "DO NOTHING");
	if (n >= (int)sizeof(sql))
		return st_fail(e, ST_ERR_LIMIT, "the insert of %s is too long (a build bug)", t->name);
	r = PQprepare(c->pg, t->name, sql, 0, NULL);
	if (cpi_ok(c, r, "prepare an insert", e) < 0)
		return ST_ERR_DB;
	PQclear(r);
	return ST_OK;
}

static int prepare_all(struct central *c, struct st_error *e)
{
	int ret = ST_OK;

	if (c->prepared)
		return ST_OK;
	for (const struct cpi_table *t = cpi_tables; t->name && ret == ST_OK; t++)
		ret = prepare_one(c, t, e);
	c->prepared = ret == ST_OK;
	return ret;
}

struct send_ctx {
	struct central *c;
	struct st_error *e;
	const char *run_id;
	char unit[48];		/* the run's serial, shown (for messages) */
	int rows;
};

/* The n-th (from 1) of t's columns into dst ("" when there is none). */
static void column_name(const struct cpi_table *t, int n, char *dst, size_t cap)
{
	const char *p = t->columns;

	for (int i = 1; i < n && p; i++)
		if ((p = strchr(p, ',')))
			p++;
	dst[0] = '\0';
	if (!p || n < 1)
		return;
	p += strspn(p, " ");
	snprintf(dst, cap, "%.*s", (int)strcspn(p, ","), p);
}

/* A row the store refused for what it holds (SQLSTATE class 22: a value
 * its column's type cannot take; 23: a constraint; 54: a limit, a text too
 * long for an index): which run, which column, and what to do.  Runs go in
 * order, so this one holds every run queued behind it until the log is
 * mended.  ST_ERR_PARSE (trying again changes nothing: fwd.c says so); 0
 * for any other failure. */
static int refused_data(struct send_ctx *s, const PGresult *r, const struct cpi_table *t,
			const struct db_row *row)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *col = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
	const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT);
	const char *par = ctx ? strstr(ctx, "parameter $") : NULL;
	char name[64] = "", what[160] = "", shown[ST_ERRMSG_MAX / 4];

	if (!state || (strncmp(state, "22", 2) && strncmp(state, "23", 2) &&
		       strncmp(state, "54", 2)))
		return 0;
	if (col)
		snprintf(name, sizeof(name), "%s", col);
	else if (par)
		column_name(t, atoi(par + strlen("parameter $")), name, sizeof(name));
	for (int i = 0; name[0] && i < row->n; i++) {
		const struct db_value *v = &row->v[i];

		if (strcmp(row->name[i], name))
			continue;
		if (v->type == DB_TEXT)
			snprintf(what, sizeof(what), " (%zu bytes)", strlen(v->s));
		else if (v->type == DB_REAL)
			snprintf(what, sizeof(what), " (%.17g)", v->d);
		else if (v->type == DB_INT)
			snprintf(what, sizeof(what), " (%" PRId64 ")", v->i);
	}
	st_text_show(shown, sizeof(shown), msg ? msg : "refused");
	return st_fail(s->e, ST_ERR_PARSE, "central store %s refuses run %s (unit %s) for what the "
		       "log holds: %s%s%s%s: %s; the run stays queued, and the runs queued "
		       "behind it wait for it (runs go in order): mend that value in the log, "
		       "then 'station central sync' (docs/central.md, \"A run the store "
		       "refuses\")", s->c->where, s->run_id ? s->run_id : "?",
		       s->unit[0] ? s->unit : "none", t->name, name[0] ? "." : "", name, what,
		       shown);
}

/* The log's columns against the central table's, name by name. */
static int same_columns(const struct cpi_table *t, const struct db_row *row)
{
	const char *p = t->columns;

	if (row->n != t->ncols)
		return 0;
	for (int i = 0; i < row->n; i++) {
		size_t len = strlen(row->name[i]);

		while (*p == ' ' || *p == ',')
			p++;
		if (strncmp(p, row->name[i], len) || (p[len] && p[len] != ','))
			return 0;
		p += len;
	}
	return 1;
}

static int send_row(void *arg, const char *table, const struct db_row *row)
{
	struct send_ctx *s = arg;
	const struct cpi_table *t = cpi_table_find(table);
	char buf[DB_ROW_MAX_COLS][32];
	const char *vals[DB_ROW_MAX_COLS];
	PGresult *r;

	if (!t)
		return st_fail(s->e, ST_ERR_DB, "the central store has no table %s (a build bug)",
			       table);
	if (row->columns_only)
		return same_columns(t, row) ? 0 :
		       st_fail(s->e, ST_ERR_DB, "the log's %s columns are not the central "
			       "store's (a build bug)", table);
	for (int i = 0; i < row->n; i++) {
		const struct db_value *v = &row->v[i];

		if (!strcmp(table, "runs") && !strcmp(row->name[i], "unit_serial") &&
		    v->type == DB_TEXT &&
		    st_text_show(s->unit, sizeof(s->unit), v->s) >= sizeof(s->unit))
			strcpy(s->unit + sizeof(s->unit) - 8, "...");	/* cut: say so */
		vals[i] = buf[i];
		switch (v->type) {
		case DB_NULL: vals[i] = NULL; break;
		case DB_INT: snprintf(buf[i], sizeof(buf[i]), "%" PRId64, v->i); break;
		case DB_REAL: snprintf(buf[i], sizeof(buf[i]), "%.17g", v->d); break;
		default: vals[i] = v->s; break;
		}
	}
	r = PQexecPrepared(s->c->pg, table, row->n, vals, NULL, NULL, 0);
	/* refused for a station this login is not bound to, or for a value:
	 * say which, and how */
	if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
		int ret = cpi_refused_row(s->c, r, table, row, s->run_id, s->e);

		if (ret == 0)
			ret = refused_data(s, r, t, row);
		if (ret < 0) {
			PQclear(r);
			return ret;
		}
	}
	if (cpi_ok(s->c, r, "store a row", s->e) < 0)
		return ST_ERR_DB;
	PQclear(r);
	s->rows++;
	return 0;
}

/* The summaries (schema_sum.c, schema_v5.c) of the runs ids[0..n-1] in
 * their transaction, in one call: runs already summarised (a resend) are
 * left out by the function itself. */
static int summarise(struct central *c, char (*ids)[DB_ID_LEN], int n, struct st_error *e)
{
	char arr[FWD_BATCH * DB_ID_LEN + 2];
	const char *v = arr;
	size_t len = 1;
	PGresult *r;

	arr[0] = '{';
	for (int i = 0; i < n; i++)	/* 32 hex digits each: nothing to quote */
		len += (size_t)snprintf(arr + len, sizeof(arr) - len, "%s%s", i ? "," : "", ids[i]);
	snprintf(arr + len, sizeof(arr) - len, "}");
	r = PQexecParams(c->pg, "SELECT central_summarise_runs($1::text[])", 1, NULL, &v, NULL,
			 NULL, 0);
	if (cpi_ok(c, r, "summarise a run", e) < 0)
		return ST_ERR_DB;
	PQclear(r);
	return ST_OK;
}

/* The runs ids[0..n-1] in one transaction, committed (or, !commit, rolled
 * back: a trial). */
static int send_batch(struct central *c, struct db *db, char (*ids)[DB_ID_LEN], int n,
		      int64_t *stamps, bool commit, struct st_error *e)
{
	struct send_ctx s = { .c = c, .e = e };
	int ret = n < 1 || n > FWD_BATCH ? st_fail(e, ST_ERR_ARG, "send %d runs at once: 1 to "
						    "%d (a build bug)", n, FWD_BATCH) : ST_OK;

	if (ret == ST_OK)
		ret = prepare_all(c, e);
	if (ret == ST_OK)
		ret = cpi_exec(c, "BEGIN", "start a transaction", e);
	for (int i = 0; i < n && ret == ST_OK; i++) {
		int before = s.rows;

		s.run_id = ids[i];
		s.unit[0] = '\0';
		stamps[i] = -1;
		ret = db_fwd_rows(db, ids[i], send_row, &s, &stamps[i], e);
		if (ret == ST_OK && s.rows == before)
			ret = st_fail(e, ST_ERR_NOTFOUND, "run %s is not in the log", ids[i]);
	}
	if (ret == ST_OK)
		ret = summarise(c, ids, n, e);
	if (ret == ST_OK && commit)
		ret = cpi_exec(c, "COMMIT", "commit a run", e);
	if (ret < 0 || !commit)
		cpi_rollback(c);
	/* a connection that broke mid-way: say so, whatever step noticed */
	if (ret < 0 && PQstatus(c->pg) != CONNECTION_OK && ret != ST_ERR_CLOSED)
		ret = ST_ERR_CLOSED;
	return ret;
}

int central_send_runs(struct central *c, struct db *db, char (*ids)[DB_ID_LEN], int n,
		      int64_t *stamps, struct st_error *e)
{
	return send_batch(c, db, ids, n, stamps, true, e);
}

int central_try_run(struct central *c, struct db *db, const char *id, struct st_error *e)
{
	char one[1][DB_ID_LEN];
	int64_t stamp;

	snprintf(one[0], sizeof(one[0]), "%s", id);
	return send_batch(c, db, one, 1, &stamp, false, e);
}

/* The local marks of a batch the store committed: all of them, even when
 * one changed meanwhile (1: it stays queued, to be sent again). */
static int mark_all(struct db *db, char (*ids)[DB_ID_LEN], int n, const int64_t *stamps,
		    int *marked, struct st_error *e)
{
	int ret = ST_OK, again = 0;

	*marked = 0;
	for (int i = 0; i < n && ret >= ST_OK; i++) {
		ret = db_fwd_mark(db, ids[i], stamps[i], e);
		if (ret == 1)
			again = 1;
		else if (ret == ST_OK)
			(*marked)++;
		if (ret == 1)
			ret = ST_OK;
	}
	return ret == ST_OK ? again : ret;
}

#define QUEUE 64

int central_drain(struct central *c, struct db *db, int max, int *sent, int *left,
		  struct st_error *e)
{
	char ids[QUEUE][DB_ID_LEN];
	int64_t queued = 0, stamps[FWD_BATCH];
	int n = 0, ret, want;

	*sent = 0;
	*left = 0;
	do {
		want = max > 0 && max - *sent < QUEUE ? max - *sent : QUEUE;
		ret = db_fwd_queue(db, ids, want, &n, &queued, e);
		*left = (int)queued;
		for (int i = 0; i < n && ret == ST_OK; i += FWD_BATCH) {
			int k = n - i < FWD_BATCH ? n - i : FWD_BATCH, marked = 0;

			ret = central_send_runs(c, db, ids + i, k, stamps, e);
			if (ret == ST_OK)
				ret = mark_all(db, ids + i, k, stamps, &marked, e);
			*sent += marked;
			*left -= marked;
			if (ret == 1) {	/* changed meanwhile: queued, sent again */
				ret = ST_OK;
				n = want;	/* read the queue again */
				break;
			}
		}
	} while (ret == ST_OK && n == want && (max <= 0 || *sent < max));
	return ret;
}
