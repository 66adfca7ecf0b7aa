/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What report.c (the rows) and report_sum.c (the summaries) share: a query
 * with its filter's terms put in, the values of a result, and the yield and
 * Pareto rows turned into struct report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central-internal.h"

PGresult *cpi_query(struct central *c, const char *sql, const char *terms, int n,
		    const char *const *v, const char *day)
{
	size_t cap = strlen(sql) * 2 + 4 * (strlen(terms) + strlen(day)) + 256, o = 0;
	char *full = malloc(cap);
	PGresult *r;

	if (!full)
		return NULL;
	for (const char *s = sql; *s;) {
		if (!strncmp(s, "@W@", 3) || !strncmp(s, "@D@", 3)) {
			o += snprintf(full + o, cap - o, "(%s)", s[1] == 'W' ? terms : day);
			s += 3;
		} else {
			full[o++] = *s++;
		}
	}
	full[o] = '\0';
	r = PQexecParams(c->pg, full, n, NULL, v, NULL, NULL, 0);
	free(full);
	return r;
}

int64_t cpi_i64(PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double cpi_dbl(PGresult *r, int row, int col)
{
	return strtod(PQgetvalue(r, row, col), NULL);
}

char *cpi_dup(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

void cpi_meas_key(struct rep_meas *m, PGresult *q, int i)
{
	memset(m, 0, sizeof(*m));
	m->sequence = cpi_dup(q, i, 0);
	m->step = cpi_dup(q, i, 1);
	m->name = cpi_dup(q, i, 2);
	m->unit = cpi_dup(q, i, 3);
	m->has_low = !PQgetisnull(q, i, 4);
	m->low = m->has_low ? cpi_dbl(q, i, 4) : 0;
	m->has_high = !PQgetisnull(q, i, 5);
	m->high = m->has_high ? cpi_dbl(q, i, 5) : 0;
}

int cpi_day_add(struct report *r, const char *day, const struct rep_counts *k,
		struct st_error *e)
{
	struct rep_day *nd = realloc(r->days, (r->ndays + 1) * sizeof(*r->days));

	if (!nd)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	r->days = nd;
	snprintf(nd[r->ndays].day, sizeof(nd[0].day), "%s", day);
	nd[r->ndays++].c = *k;
	return ST_OK;
}

int cpi_yield_rows(struct central *c, PGresult *q, struct report *r, bool by_day,
		   struct st_error *e)
{
	int ret = cpi_ok(c, q, "read the yield", e);

	for (int i = 0; ret == ST_OK && i < PQntuples(q); i++) {
		struct rep_counts k = { cpi_i64(q, i, 1), cpi_i64(q, i, 2), cpi_i64(q, i, 3),
					cpi_i64(q, i, 4), cpi_i64(q, i, 5) };

		if (!by_day)
			r->total = k;
		else
			ret = cpi_day_add(r, PQgetvalue(q, i, 0), &k, e);
	}
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}

int cpi_pareto_rows(struct central *c, PGresult *q, struct report *r, struct st_error *e)
{
	int ret = cpi_ok(c, q, "read the Pareto", e);

	for (int i = 0; ret == ST_OK && i < PQntuples(q); i++) {
		struct rep_fail *nf = realloc(r->fails, (r->nfails + 1) * sizeof(*r->fails));

		if (!nf) {
			ret = st_fail(e, ST_ERR_NOMEM, "out of memory");
			break;
		}
		r->fails = nf;
		nf[r->nfails].step = cpi_dup(q, i, 0);
		nf[r->nfails].count = cpi_i64(q, i, 1);
		r->fail_total += nf[r->nfails++].count;
	}
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}
