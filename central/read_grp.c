/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The central store's day cells (schema_sum.c) grouped, as the plain
 * report is answered (report_sum.c): report --group-by station or fixture,
 * from version 12 operator and work order too (the 'x' cells keyed by the
 * run's line, schema_v12.c; a run without one apart from one of '', as
 * report/groups.c names them: "-" and ""), and report --operations (per
 * operation, the sequence name) for a filter
 * the cells answer (whole UTC days, station, fixture, sequence, from
 * version 12 outcome and the line's values; a window
 * off midnight: its whole days, and the rows of the partial days at its
 * ends, report_edge.c).  Per group its runs, units, passed, first units
 * and first passed from the cells (a unit counted once per group by the
 * plain report's correction, over its cells within the group), with
 * --with-errors what the error and aborted runs change in the group
 * (report_err.c), its error, aborted, skipped and unidentified runs
 * counted from the runs (a few per cent of them, along runs_outcome_line and
 * runs_unit), in one snapshot.  Else
 * ST_ERR_NOTSUP, before any row: report/groups.c and read_ops.c read the
 * runs.  The runs per unit of --operations are not in the cells (they
 * hold a unit's presence in a cell, not its runs there): read_ops.c reads
 * them from the runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/read-internal.h"

/* the unjudged runs per group; k: the group's key in the runs */
#define UNJUDGED(k) \
	"SELECT " k ", count(*) FILTER (WHERE r.outcome = 'error')," \
	" count(*) FILTER (WHERE r.outcome = 'aborted')," \
	" count(*) FILTER (WHERE r.outcome = 'skipped')," \
	" count(*) FILTER (WHERE r.unit_serial IS NULL) FROM runs r" \
	" WHERE r.outcome <> 'running' AND (r.outcome IN ('error', 'aborted', 'skipped')" \
	" OR r.unit_serial IS NULL) AND" CPR_WHERE "GROUP BY 1"

/* A group of cells: the key in the cells ('' a run without a sequence
 * name, as the cells keep it), the yields, the unjudged runs. */
struct group {
	char *key;
	bool none;	/* a line key: the runs without a value (key "") */
	int64_t y[5];	/* runs, units, passed, first units, first passed */
	int64_t u[4];	/* errors, aborted, skipped, unidentified */
};

struct groups {
	struct group *g;
	int n;
};

/* How a key groups: its cells' level (with no other filter), their
 * column, a run's, the unjudged runs' statement. */
struct key {
	char level;
	const char *cells, *runs;
	const char *unjudged;
	int version;	/* the store's least schema version */
	bool line;	/* a line value: LINE_KEY, decoded by line_keys() */
};

/* units counted per operation: 6; a sequence '' no longer apart from
 * none (the cells' '' is none): 10 */
#define OP_OF_RUN "coalesce(r.sequence_name, '')"
static const struct key by_station = { 't', "c.station", "r.station", UNJUDGED("r.station"), 6,
				       false };
static const struct key by_fixture = { 'f', "c.fixture", "r.fixture", UNJUDGED("r.fixture"), 6,
				       false };
static const struct key by_operation = { 'q', "c.sequence_name", OP_OF_RUN,
					 UNJUDGED(OP_OF_RUN), 10, false };
/* a line value (version 12's 'x' cells, NULL where a run has none) as a
 * key that is never NULL, so that the statements' joins on it hold for
 * the runs without one too: '=' and the value, '' none */
#define LINE_KEY(col) "coalesce('=' || " col ", '')"
static const struct key by_operator = { 'x', LINE_KEY("c.operator"), LINE_KEY("r.operator"),
					UNJUDGED(LINE_KEY("r.operator")), 12, true };
static const struct key by_work_order = { 'x', LINE_KEY("c.work_order"),
					  LINE_KEY("r.work_order"),
					  UNJUDGED(LINE_KEY("r.work_order")), 12, true };

static int add_unjudged(void *ctx, const struct db_row *row)
{
	struct groups *a = ctx;
	const char *k;

	if (row->columns_only)
		return 0;
	k = row->v[0].type == DB_TEXT ? row->v[0].s : "";
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->g[i].key, k)) {
			for (int j = 0; j < 4; j++)
				a->g[i].u[j] = row->v[j + 1].i;
			break;
		}
	return 0;	/* no cell of it selected: nothing */
}

static int oom(struct st_error *e)
{
	return st_fail(e, ST_ERR_NOMEM, "out of memory");
}

static int from_cells(PGresult *q, struct groups *a, struct st_error *e)
{
	int n = PQntuples(q);

	if (n && !(a->g = calloc(n, sizeof(*a->g))))
		return oom(e);
	for (int i = 0; i < n; i++) {
		struct group *g = &a->g[a->n];

		if (!(g->key = strdup(PQgetvalue(q, i, 0))))
			return oom(e);
		a->n++;
		for (int j = 0; j < 5; j++)
			g->y[j] = cpi_i64(q, i, j + 1);
	}
	return ST_OK;
}

/* A window off midnight: its partial days' yields per group (q, rows as
 * from_cells takes them) added to a's, a group of them alone appended. */
static int add_edges(PGresult *q, struct groups *a, struct st_error *e)
{
	for (int i = 0; i < PQntuples(q); i++) {
		const char *k = PQgetvalue(q, i, 0);
		struct group *g = NULL, *ng;

		for (int j = 0; j < a->n && !g; j++)
			if (!strcmp(a->g[j].key, k))
				g = &a->g[j];
		if (!g) {
			if (!(ng = realloc(a->g, (a->n + 1) * sizeof(*ng))))
				return oom(e);
			a->g = ng;
			g = &ng[a->n];
			memset(g, 0, sizeof(*g));
			if (!(g->key = strdup(k)))
				return oom(e);
			a->n++;
		}
		for (int j = 0; j < 5; j++)
			g->y[j] += cpi_i64(q, i, j + 1);
	}
	return ST_OK;
}

static void groups_free(struct groups *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->g[i].key);
	free(a->g);
}

/* --with-errors: q's changes (group, units, first units, first passed)
 * into a's groups */
static void add_errors(PGresult *q, struct groups *a)
{
	for (int i = 0; i < PQntuples(q); i++)
		for (int j = 0; !PQgetisnull(q, i, 0) && j < a->n; j++)
			if (!strcmp(a->g[j].key, PQgetvalue(q, i, 0))) {
				a->g[j].y[1] += cpi_i64(q, i, 1);
				a->g[j].y[3] += cpi_i64(q, i, 2);
				a->g[j].y[4] += cpi_i64(q, i, 3);
				break;
			}
}

/* LINE_KEY's groups as their value, or none */
static void line_keys(struct groups *a)
{
	for (int i = 0; i < a->n; i++) {
		char *k = a->g[i].key;

		a->g[i].none = !*k;
		if (*k)
			memmove(k, k + 1, strlen(k));
	}
}

/* a's groups of k for f, in one snapshot; ST_ERR_NOTSUP for what the
 * cells do not answer */
static int cell_groups(struct central *c, const struct key *k, const struct rep_filter *f,
		       bool with_errors, struct groups *a, struct st_error *e)
{
	struct rep_filter whole, edges[2];
	int n = cpe_split(f, &whole, edges), version = 0, ret;
	PGresult *q = NULL;

	/* a window off midnight: the cells of its whole days, then the rows
	 * of the partial days at its ends (report_edge.c) */
	ret = cpi_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "start reading", e);
	if (ret == ST_OK)
		ret = central_schema_version(c, &version, e);
	if (ret == ST_OK && (version < k->version || version < cps_version(f)))
		ret = st_fail(e, ST_ERR_NOTSUP, "central store at schema version %d: its "
			      "cells count units otherwise", version);
	if (ret == ST_OK) {
		q = cps_group_yields(c, &whole, k->level, k->cells);
		ret = cpi_ok(c, q, "add up the groups' cells", e);
	}
	if (ret == ST_OK) {
		ret = from_cells(q, a, e);
		PQclear(q);
	}
	if (ret == ST_OK && n) {
		q = cpe_group_yields(c, &whole, edges, n, with_errors, k->level, k->cells,
				     k->runs);
		ret = cpi_ok(c, q, "read the partial days' runs", e);
		if (ret == ST_OK) {
			ret = add_edges(q, a, e);
			PQclear(q);
		}
	}
	if (ret == ST_OK && with_errors) {
		q = cps_group_errors(c, &whole, k->level, k->cells);
		ret = cpi_ok(c, q, "read the error and aborted runs", e);
		if (ret == ST_OK) {
			add_errors(q, a);
			PQclear(q);
		}
	}
	if (ret == ST_OK)
		ret = cpr_rows(c, k->unjudged, f, NULL, 0, add_unjudged, a, e);
	cpi_rollback(c);
	if (ret == ST_OK && k->line)
		line_keys(a);
	return ret;
}

static const struct rep_filter no_filter = { 0 };

static int refuse(struct st_error *e, const char *what)
{
	return st_fail(e, ST_ERR_NOTSUP, "the store's cells do not answer %s for this filter: "
		       "the runs do", what);
}

/* Rows of the columns names (types DB_INT but the first, text), each
 * group's v(g) in a's order. */
static int emit(const struct groups *a, const char *const *names, int ncols,
		void (*v)(const struct group *g, struct db_row *row), db_row_fn fn, void *ctx)
{
	struct db_row row = { .columns_only = true, .n = ncols };
	int ret;

	for (int i = 0; i < ncols; i++) {
		row.name[i] = names[i];
		row.v[i].type = i ? DB_INT : DB_TEXT;
	}
	ret = fn(ctx, &row);
	row.columns_only = false;
	for (int i = 0; !ret && i < a->n; i++) {
		v(&a->g[i], &row);
		ret = fn(ctx, &row);
	}
	return ret;
}

/* group (NULL: a line key's none), runs, units, passed, first_units,
 * first_passed, errors, aborted, unidentified */
static void group_row(const struct group *g, struct db_row *row)
{
	row->v[0].type = g->none ? DB_NULL : DB_TEXT;
	row->v[0].s = g->none ? NULL : g->key;
	for (int j = 0; j < 5; j++)
		row->v[1 + j].i = g->y[j];
	row->v[6].i = g->u[0];
	row->v[7].i = g->u[1];
	row->v[8].i = g->u[3];
}

int cpr_groups(void *h, const char *key, const struct rep_filter *f, bool with_errors,
	       db_row_fn fn, void *ctx, struct st_error *e)
{
	static const char *const names[] = { "key", "runs", "units", "passed", "first_units",
					     "first_passed", "errors", "aborted", "unidentified" };
	static const struct {
		const char *name;
		const struct key *k;
	} keys[] = { { "station", &by_station }, { "fixture", &by_fixture },
		     { "operator", &by_operator }, { "work-order", &by_work_order } };
	const struct key *k = NULL;
	struct groups a = { 0 };
	char what[32];
	int ret;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !k; i++)
		if (!strcmp(key, keys[i].name))
			k = keys[i].k;
	if (!k)
		return refuse(e, "--group-by but by station, fixture, operator or work order");
	f = f ? f : &no_filter;
	snprintf(what, sizeof(what), "--group-by %s", key);
	if (!cps_usable(f) && !cpe_usable(f))
		return refuse(e, what);
	ret = cell_groups(h, k, f, with_errors, &a, e);
	if (ret == ST_OK)
		ret = emit(&a, names, 9, group_row, fn, ctx);
	groups_free(&a);
	return ret;
}

/* operations in byte order, none ('') first: ORDER BY sequence_name
 * COLLATE "C" NULLS FIRST */
static int op_cmp(const void *x, const void *y)
{
	return strcmp(((const struct group *)x)->key, ((const struct group *)y)->key);
}

/* DB_OP_TOTALS' columns: sequence_name (NULL: none), runs, errors,
 * aborted, skipped, unidentified, units, passed, first_units,
 * first_passed */
static void op_row(const struct group *g, struct db_row *row)
{
	row->v[0].type = *g->key ? DB_TEXT : DB_NULL;
	row->v[0].s = *g->key ? g->key : NULL;
	row->v[1].i = g->y[0];
	for (int j = 0; j < 4; j++)
		row->v[2 + j].i = g->u[j];
	for (int j = 1; j < 5; j++)
		row->v[5 + j].i = g->y[j];
}

int cpr_operation_sums(struct central *c, const struct rep_filter *f, bool with_errors,
		       db_row_fn fn, void *ctx, struct st_error *e)
{
	static const char *const names[] = { "sequence_name", "runs", "errors", "aborted",
					     "skipped", "unidentified", "units", "passed",
					     "first_units", "first_passed" };
	struct groups a = { 0 };
	int ret;

	f = f ? f : &no_filter;
	if (!cps_usable(f) && !cpe_usable(f))
		return refuse(e, "--operations");
	ret = cell_groups(c, &by_operation, f, with_errors, &a, e);
	if (ret == ST_OK) {
		if (a.n)
			qsort(a.g, a.n, sizeof(*a.g), op_cmp);
		ret = emit(&a, names, 10, op_row, fn, ctx);
	}
	groups_free(&a);
	return ret;
}
