/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The central store as a read backend (db/db_reader.h): station report,
 * trace and export --central.  Here the table and the plumbing: the
 * filter's terms as bound parameters, the query run in libpq's single-row
 * mode (an export of a million rows never sits in memory), each row handed
 * over as a struct db_row typed as SQLite would type it.  The queries are
 * in read_sql.c and read_ops.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/read-internal.h"

static int read_report(void *h, const struct rep_filter *f, struct report *r,
		       struct st_error *e)
{
	return central_report_build(h, f, r, e);
}

static const struct db_reader_ops central_read_ops = {
	.name = "central store",
	.report = read_report,
	.export_rows = cpr_export,
	.trace_rows = cpr_trace,
	.wide_rows = cpr_wide,
	.meas_series = cpr_series,
	.meas_kinds = cpr_kinds,
	.capability_rows = cpr_capability,
	.capability_keys = cpr_capability_keys,
	.operation_rows = cpr_operations,
	.group_sums = cpr_groups,
};

/* A reading session's settings, whatever the server's or the role's
 * defaults.  Reals as exact decimals (extra_float_digits 3: PostgreSQL 12
 * and later print the shortest exact form for any value above 0, older
 * ones 17 digits where their default rounds to 15); text as UTF-8.  JIT
 * off: PostgreSQL compiles a plan whose estimate passes jit_above_cost, and
 * the correlated first-run tests make those estimates high; on 100k runs
 * the compiling took 5 s of a 10 s --capability, more than it saved.
 * Sorts and hashes in memory up to 64 MB.  A statement may take 5 minutes
 * (an export of millions of rows), the connection's 10 s being the line's,
 * for the forwarder.  In that order: a server older than JIT (PostgreSQL
 * 11) refuses it and the rest, and still answers with exact reals in
 * UTF-8, only slower and within 10 s. */
static const char session_sql[] =
	"SET extra_float_digits = 3; SET client_encoding = 'UTF8'; SET jit = off;"
	" SET work_mem = '64MB'; SET statement_timeout = '300s'";

const struct db_reader *central_reader(struct central *c)
{
	PQclear(PQexec(c->pg, session_sql));
	c->rd = (struct db_reader){ .ops = &central_read_ops, .h = c, .where = c->where };
	return &c->rd;
}

/* Room for every parameter: the query's own (10 at most: read_sql.c's
 * series_ends_cells_sql) and one per filter (12). */
#define MAX_PARAMS 24

struct params {
	const char *v[MAX_PARAMS];
	int n;
	char terms[640];
	char since[24], until[24];
};

static void term(struct params *p, const char *col, const char *op, const char *val)
{
	size_t len = strlen(p->terms);

	if (!val || p->n >= MAX_PARAMS)
		return;
	p->v[p->n++] = val;
	snprintf(p->terms + len, sizeof(p->terms) - len, "%s%s %s $%d", len ? " AND " : "", col,
		 op, p->n);
}

/* The terms of the filters given, as db_read.c's where_terms(). */
static void where(const struct rep_filter *f, struct params *p)
{
	if (f) {
		snprintf(p->since, sizeof(p->since), "%lld", (long long)f->since_us);
		snprintf(p->until, sizeof(p->until), "%lld", (long long)f->until_us);
		term(p, "r.started_us", ">=", f->has_since ? p->since : NULL);
		term(p, "r.started_us", "<", f->has_until ? p->until : NULL);
		term(p, "r.fixture", "=", f->fixture);
		term(p, "r.sequence_name", "=", f->seq_name);
		term(p, "r.sequence_version", "=", f->seq_version);
		term(p, "r.outcome", "=", f->outcome);
		term(p, "r.unit_serial", "=", f->serial);
		term(p, "r.operator", "=", f->operator_name);
		term(p, "r.work_order", "=", f->work_order);
		term(p, "r.part_number", "=", f->part_number);
		term(p, "r.revision", "=", f->revision);
		term(p, "r.station", "=", f->station);
	}
	if (!p->terms[0])
		snprintf(p->terms, sizeof(p->terms), "true");
}

/* sql with every "@W@" replaced by "(terms)"; NULL when out of memory. */
static char *expand(const char *sql, const char *terms)
{
	size_t marks = 0, cap, o = 0;
	char *full;

	for (const char *s = sql; (s = strstr(s, "@W@")); s += 3)
		marks++;
	cap = strlen(sql) + marks * (strlen(terms) + 2) + 1;
	full = malloc(cap);
	if (!full)
		return NULL;
	for (const char *s = sql; *s;) {
		if (!strncmp(s, "@W@", 3)) {
			o += (size_t)snprintf(full + o, cap - o, "(%s)", terms);
			s += 3;
		} else {
			full[o++] = *s++;
		}
	}
	full[o] = '\0';
	return full;
}

/* libpq's type oids (catalog/pg_type.h, stable across versions) */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_FLOAT4 = 700,
       OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

static void value(PGresult *r, int c, struct db_value *v)
{
	const char *s = PQgetvalue(r, 0, c);

	memset(v, 0, sizeof(*v));
	if (PQgetisnull(r, 0, c))
		return;
	switch (PQftype(r, c)) {
	case OID_BOOL:
		v->type = DB_INT;
		v->i = s[0] == 't';
		break;
	case OID_INT8: case OID_INT2: case OID_INT4:
		v->type = DB_INT;
		v->i = strtoll(s, NULL, 10);
		break;
	case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
		v->type = DB_REAL;
		v->d = strtod(s, NULL);
		break;
	default:
		v->type = DB_TEXT;
		v->s = s;
		break;
	}
}

/* Hand r's columns (first result) and its row (single-row mode) to fn. */
static int hand_over(PGresult *r, struct db_row *row, bool *named, db_row_fn fn, void *ctx,
		     struct st_error *e)
{
	int ret = 0;

	if (!*named) {
		row->n = PQnfields(r);
		if (row->n > DB_ROW_MAX_COLS)
			return st_fail(e, ST_ERR_LIMIT, "a central query has %d columns, more "
				       "than %d", row->n, DB_ROW_MAX_COLS);
		for (int c = 0; c < row->n; c++)
			row->name[c] = PQfname(r, c);
		row->columns_only = true;
		*named = true;
		ret = fn(ctx, row);
		row->columns_only = false;
	}
	if (ret || PQntuples(r) != 1)
		return ret;
	for (int c = 0; c < row->n; c++) {
		row->name[c] = PQfname(r, c);	/* this result's: the first one is freed */
		value(r, c, &row->v[c]);
	}
	return fn(ctx, row);
}

int cpr_rows(struct central *c, const char *sql, const struct rep_filter *f,
	     const char *const *fixed, int nfixed, db_row_fn fn, void *ctx, struct st_error *e)
{
	struct params p = { .n = nfixed };
	struct db_row row = { 0 };
	bool named = false;
	PGresult *r;
	char *full;
	int ret = 0;

	for (int i = 0; i < nfixed; i++)
		p.v[i] = fixed[i];
	where(f, &p);
	full = expand(sql, p.terms);
	if (!full)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	if (!PQsendQueryParams(c->pg, full, p.n, NULL, p.v, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(c->pg)) {
		free(full);
		return cpi_fail(c, e, "query");
	}
	free(full);
	/* every result is read, also after a failure or fn's stop, so that the
	 * connection is ready for the next query */
	while ((r = PQgetResult(c->pg))) {
		ExecStatusType s = PQresultStatus(r);

		if (!ret && (s == PGRES_SINGLE_TUPLE || s == PGRES_TUPLES_OK))
			ret = hand_over(r, &row, &named, fn, ctx, e);
		else if (!ret)
			ret = cpi_fail_res(c, r, e, "read");
		PQclear(r);
	}
	return ret;
}
