/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --group-by station or fixture on the central store from
 * its day cells (schema_sum.c), as the plain report is answered
 * (report_sum.c): per group its runs, units, passed, first units and
 * first passed from the cells, its error, aborted and unidentified runs
 * counted from the runs (a few per cent of them, along runs_outcome and
 * runs_unit), in one snapshot.  For a filter the cells answer (whole UTC
 * days, station, fixture, sequence), without --with-errors; else
 * ST_ERR_NOTSUP and report/groups.c reads the runs.
 */
#include <stdlib.h>
#include <string.h>

#include "central/read-internal.h"

/* the unjudged runs per group; @K@ the group's column */
#define UNJUDGED(k) \
	"SELECT r." k ", count(*) FILTER (WHERE r.outcome = 'error')," \
	" count(*) FILTER (WHERE r.outcome = 'aborted')," \
	" count(*) FILTER (WHERE r.unit_serial IS NULL) FROM runs r" \
	" WHERE r.outcome <> 'running' AND (r.outcome IN ('error', 'aborted')" \
	" OR r.unit_serial IS NULL) AND" CPR_WHERE "GROUP BY 1"

struct unjudged {
	char *key;
	int64_t n[3];	/* errors, aborted, unidentified */
};

struct unj {
	struct unjudged *u;
	int n;
};

static int add_unjudged(void *ctx, const struct db_row *row)
{
	struct unj *a = ctx;
	struct unjudged *nu;

	if (row->columns_only)
		return 0;
	nu = realloc(a->u, (a->n + 1) * sizeof(*nu));
	if (!nu)
		return ST_ERR_NOMEM;
	a->u = nu;
	nu = &a->u[a->n];
	if (!(nu->key = strdup(row->v[0].type == DB_TEXT ? row->v[0].s : "")))
		return ST_ERR_NOMEM;
	a->n++;
	for (int i = 0; i < 3; i++)
		nu->n[i] = row->v[i + 1].i;
	return 0;
}

/* Rows of group, runs, units, passed, first_units, first_passed, errors,
 * aborted, unidentified: q's with the unjudged a counted for its group. */
static int emit(PGresult *q, const struct unj *a, db_row_fn fn, void *ctx)
{
	static const char *const names[] = { "key", "runs", "units", "passed", "first_units",
					     "first_passed", "errors", "aborted", "unidentified" };
	struct db_row row = { .columns_only = true, .n = 9 };
	int ret;

	for (int i = 0; i < 9; i++) {
		row.name[i] = names[i];
		row.v[i].type = i ? DB_INT : DB_TEXT;
	}
	ret = fn(ctx, &row);
	row.columns_only = false;
	for (int i = 0; !ret && i < PQntuples(q); i++) {
		const int64_t *u = NULL;

		row.v[0].s = PQgetvalue(q, i, 0);
		for (int j = 0; j < a->n && !u; j++)
			if (!strcmp(a->u[j].key, row.v[0].s))
				u = a->u[j].n;
		for (int j = 1; j < 6; j++)
			row.v[j].i = cpi_i64(q, i, j);
		for (int j = 0; j < 3; j++)
			row.v[6 + j].i = u ? u[j] : 0;
		ret = fn(ctx, &row);
	}
	return ret;
}

int cpr_groups(void *h, const char *key, const struct rep_filter *f, bool with_errors,
	       db_row_fn fn, void *ctx, struct st_error *e)
{
	static const struct rep_filter none = { 0 };
	struct central *c = h;
	bool station = !strcmp(key, "station");
	struct unj a = { 0 };
	PGresult *q = NULL;
	int version = 0, ret;

	if (!f)
		f = &none;
	if ((!station && strcmp(key, "fixture")) || with_errors || !cps_usable(f))
		return st_fail(e, ST_ERR_NOTSUP, "the store's cells do not answer --group-by %s "
			       "for this filter: the runs do", key);
	/* one snapshot: the cells and the runs alike */
	ret = cpi_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "start reading", e);
	if (ret == ST_OK)
		ret = central_schema_version(c, &version, e);
	if (ret == ST_OK && version < 6)	/* units counted as the log does: 6 */
		ret = st_fail(e, ST_ERR_NOTSUP, "central store at schema version %d: its "
			      "cells do not count units per operation", version);
	if (ret == ST_OK) {
		q = cps_group_yields(c, f, station);
		ret = cpi_ok(c, q, "add up the groups' cells", e);
		if (ret < 0)
			q = NULL;
	}
	if (ret == ST_OK) {
		ret = cpr_rows(c, station ? UNJUDGED("station") : UNJUDGED("fixture"), f, NULL, 0,
			       add_unjudged, &a, e);
		if (ret == ST_ERR_NOMEM)
			st_fail(e, ret, "out of memory");
	}
	cpi_rollback(c);
	if (ret == ST_OK)
		ret = emit(q, &a, fn, ctx);
	PQclear(q);
	for (int i = 0; i < a.n; i++)
		free(a.u[i].key);
	free(a.u);
	return ret;
}
