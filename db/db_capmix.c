/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report --capability with line filters no cell holds exactly (an
 * operator and a part number, a revision alone, the station of a log of
 * several, an outcome with any of those): the cells of one of the
 * filter's values (the base: the outcome's, else the operator's, the work
 * order's, the part's and revision's, the part's, the revision's; else
 * the cells of every value) are checked, fixture's hour by fixture's
 * hour, against the hour cells' run counts (the summary cells
 * keyed by the line, schema 12): where every run of the base in that hour
 * passes the whole filter, the base's cell is the filter's; where none
 * does, the hour has no values; where some do, the hour is summed from its
 * rows (the filter's values of that hour in time order, as the rows path
 * sums them).  A fixture's hours change line seldom (a shift, a work
 * order), so few hours are read from the rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/capcell.h"
#include "db/db-internal.h"

enum { MIX_SKIP, MIX_USE, MIX_ROWS };

struct mixhour {
	char *fixture;
	int64_t hour;
	int cls;
	struct mixcell *c;	/* MIX_ROWS: the hour's cells by key */
	int n, cap;
};

struct mixcell {
	int64_t key;
	struct st_capcell c;
};

struct capmix {
	struct mixhour *h;
	size_t n, cap;
};

/* The filter's line terms on table alias a ("" for none: cells). */
static void line_terms(const struct rep_filter *f, bool station, const char *a, char *buf,
		       size_t cap)
{
	const struct {
		bool on;
		const char *col, *param;
	} t[] = {
		{ f->operator_name != NULL, "operator", "?20" },
		{ f->work_order != NULL, "work_order", "?21" },
		{ f->part_number != NULL, "part_number", "?22" },
		{ f->revision != NULL, "revision", "?23" },
		{ station && f->station, "station", "?24" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].on)
			n += (size_t)snprintf(buf + n, cap - n, " AND %s%s = %s", a, t[i].col,
					      t[i].param);
}

/* The base's term on the hour cells (an outcome is always the base when
 * the filter has one: db_capsum.c's line_dim). */
static const char *base_term(int dim)
{
	static const char *const t[] = {
		"", " AND operator = ?20", " AND work_order = ?21", " AND part_number = ?22",
		" AND part_number = ?22 AND revision = ?23", " AND revision = ?23",
		" AND outcome = ?6",
	};

	return t[dim];
}

static int hour_cmp(const char *fa, int64_t ha, const char *fb, int64_t hb)
{
	int c = strcmp(fa, fb);

	return c ? c : (ha > hb) - (ha < hb);
}

static struct mixhour *find(const struct capmix *m, const char *fixture, int64_t hour)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = hour_cmp(m->h[mid].fixture, m->h[mid].hour, fixture, hour);

		if (!c)
			return &m->h[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Every fixture's hour of the base with the filter's share of its runs
 * (the hour cells, in fixture and hour order: BINARY, strcmp's, as find()
 * searches them). */
static int classify(sqlite3 *h, const struct rep_filter *f, int dim, bool station,
		    struct capmix *m)
{
	char terms[256], sql[1024];
	sqlite3_stmt *st;
	int rc;

	line_terms(f, station, "", terms, sizeof(terms));
	snprintf(sql, sizeof(sql),
		 "SELECT fixture, hour, sum(runs), coalesce(sum(runs) FILTER (WHERE 1%s), 0)"
		 " FROM cells WHERE hours = 1%s%s%s%s%s%s GROUP BY fixture, hour"
		 " ORDER BY fixture, hour",
		 terms, base_term(dim), f->has_since ? " AND hour >= ?1 / 3600000000" : "",
		 f->has_until ? " AND hour < ?2 / 3600000000" : "",
		 f->fixture ? " AND fixture = ?3" : "",
		 f->seq_name ? " AND coalesce(sequence_name, '') = ?4" : "",
		 f->seq_version ? " AND sequence_version = ?5" : "");
	if (!(st = dbr_prepare(h, sql)))
		return -1;
	dbr_bind_filter(st, f);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *fx = (const char *)sqlite3_column_text(st, 0);
		int64_t all = sqlite3_column_int64(st, 2), some = sqlite3_column_int64(st, 3);
		struct mixhour *x;

		if (m->n == m->cap) {
			size_t cap = m->cap ? 2 * m->cap : 1024;

			if (!(x = realloc(m->h, cap * sizeof(*x)))) {
				rc = SQLITE_NOMEM;
				break;
			}
			m->h = x;
			m->cap = cap;
		}
		x = &m->h[m->n];
		*x = (struct mixhour){ .fixture = strdup(fx ? fx : ""),
				       .hour = sqlite3_column_int64(st, 1),
				       .cls = !some ? MIX_SKIP : some == all ? MIX_USE : MIX_ROWS };
		if (!x->fixture) {
			rc = SQLITE_NOMEM;
			break;
		}
		m->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_NOMEM ? ST_ERR_NOMEM : -1;
	return 0;
}

/* The filter's values of a fixture's hour from the rows, by key (the keys'
 * columns matched as the cells' keys were made: IS, the operation as the
 * report names it), in time order. */
static const char rows_sql[] =
	"SELECT k.id, r.started_us, m.value FROM runs r CROSS JOIN steps s ON s.run_id = r.id"
	" CROSS JOIN measurements m ON m.step_id = s.id JOIN cap_keys k"
	" ON k.sequence_name IS " DB_OP("r") " AND k.sequence_version IS r.sequence_version"
	" AND k.step = s.name AND k.name = m.name AND k.unit IS m.unit AND k.low IS m.low"
	" AND k.high IS m.high"
	" WHERE m.value IS NOT NULL AND r.outcome <> 'running' AND r.fixture = ?30"
	" AND r.started_us >= ?31 * 3600000000 AND r.started_us < (?31 + 1) * 3600000000"
	" AND " REP_WHERE " AND " FIRST_JUDGED_OP_RUN " ORDER BY r.started_us, m.id";

static struct mixcell *hour_cell(struct mixhour *x, int64_t key)
{
	struct mixcell *c;

	for (int i = 0; i < x->n; i++)
		if (x->c[i].key == key)
			return &x->c[i];
	if (x->n == x->cap) {
		int cap = x->cap ? 2 * x->cap : 16;

		if (!(c = realloc(x->c, (size_t)cap * sizeof(*c))))
			return NULL;
		x->c = c;
		x->cap = cap;
	}
	x->c[x->n] = (struct mixcell){ .key = key };
	return &x->c[x->n++];
}

static int sum_rows(sqlite3 *h, const struct rep_filter *f, struct capmix *m)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE;

	for (size_t i = 0; i < m->n && rc == SQLITE_DONE; i++) {
		struct mixhour *x = &m->h[i];

		if (x->cls != MIX_ROWS)
			continue;
		if (!st && !(st = dbr_prepare_where(h, rows_sql, f)))
			return -1;
		sqlite3_bind_text(st, 30, x->fixture, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 31, x->hour);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct mixcell *c = hour_cell(x, sqlite3_column_int64(st, 0));

			if (!c) {
				rc = SQLITE_NOMEM;
				break;
			}
			st_capcell_add(&c->c, sqlite3_column_int64(st, 1),
				       sqlite3_column_double(st, 2));
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_NOMEM ? ST_ERR_NOMEM : -1;
}

int dbi_capmix_load(sqlite3 *h, const struct rep_filter *f, int dim, bool station,
		    struct capmix **out)
{
	struct capmix *m = calloc(1, sizeof(*m));
	int ret;

	*out = NULL;
	if (!m)
		return ST_ERR_NOMEM;
	ret = classify(h, f, dim, station, m);
	if (!ret)
		ret = sum_rows(h, f, m);
	if (ret) {
		dbi_capmix_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

int dbi_capmix_cell(const struct capmix *m, const char *fixture, int64_t hour, int64_t key,
		    struct st_capcell *c)
{
	const struct mixhour *x = find(m, fixture, hour);

	if (!x || x->cls == MIX_SKIP)
		return 0;
	if (x->cls == MIX_USE)
		return 1;
	for (int i = 0; i < x->n; i++)
		if (x->c[i].key == key && x->c[i].c.n > 0) {
			*c = x->c[i].c;
			return 2;
		}
	return 0;
}

void dbi_capmix_free(struct capmix *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->h[i].fixture);
		free(m->h[i].c);
	}
	free(m->h);
	free(m);
}
