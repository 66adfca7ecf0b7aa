/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report --capability over a window whose ends are off the hour (a shift
 * from 06:30): the log's capability cells of its whole hours, and the cells
 * of its minutes before the first whole hour and after the last summed here
 * from the rows, each fixture's values of a UTC hour into one cell as the
 * rows path sums them (st_capcell_add, in the rows' order).  The minutes'
 * cells go into the stream of the log's cells where their key, fixture and
 * hour put them (SQLite's order: NULL, numbers, text), so the report
 * combines the same cells in the same order as from the rows: the same
 * bits (docs/quality.md).
 */
#include <stdlib.h>
#include <string.h>

#include "common/capcell.h"
#include "report/report-internal.h"

#define KEYS 7	/* sequence_name, sequence_version, step, name, unit, low, high */
#define HOUR_US 3600000000LL

/* A cell of the minutes: its key, fixture and hour, its sums. */
struct ecell {
	struct db_value key[KEYS];
	char *fixture;
	int64_t hour;
	struct st_capcell c;
};

struct edges {
	struct ecell *c;
	int n, cap;
	/* handing over: the next of c, the report's function */
	int next;
	db_row_fn fn;
	void *ctx;
	struct st_error *e;
};

static int rank(const struct db_value *v)
{
	return v->type == DB_NULL ? 0 : v->type == DB_TEXT ? 2 : 1;
}

static double num(const struct db_value *v)
{
	return v->type == DB_INT ? (double)v->i : v->d;
}

static int val_cmp(const struct db_value *a, const struct db_value *b)
{
	int ra = rank(a), rb = rank(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 1)
		return num(a) < num(b) ? -1 : num(a) > num(b);
	return ra == 2 ? strcmp(a->s, b->s) : 0;
}

static int key_cmp(const struct db_value *a, const struct db_value *b)
{
	int c = 0;

	for (int i = 0; i < KEYS && !c; i++)
		c = val_cmp(&a[i], &b[i]);
	return c;
}

/* c against a cell row of the log (columns 0-6 the key, 8 the fixture, 9
 * the hour) */
static int cell_cmp(const struct ecell *c, const struct db_row *row)
{
	struct db_value fx = { .type = DB_TEXT, .s = c->fixture };
	int k = key_cmp(c->key, row->v);

	if (!k)
		k = val_cmp(&fx, &row->v[8]);
	return k ? k : c->hour < row->v[9].i ? -1 : c->hour > row->v[9].i;
}

static int ecell_cmp(const void *x, const void *y)
{
	const struct ecell *a = x, *b = y;
	int k = key_cmp(a->key, b->key);

	if (!k)
		k = strcmp(a->fixture, b->fixture);
	return k ? k : a->hour < b->hour ? -1 : a->hour > b->hour;
}

static void ecells_free(struct edges *d)
{
	for (int i = 0; i < d->n; i++) {
		for (int k = 0; k < KEYS; k++)
			free((char *)d->c[i].key[k].s);
		free(d->c[i].fixture);
	}
	free(d->c);
}

static int oom(struct edges *d)
{
	return st_fail(d->e, ST_ERR_NOMEM, "out of memory");
}

/* A new cell for row (a capability row: the key, fixture, started_us,
 * value) in its hour. */
static int ecell_new(struct edges *d, const struct db_row *row, int64_t hour)
{
	struct ecell *c;

	if (d->n == d->cap) {
		int cap = d->cap ? 2 * d->cap : 64;
		struct ecell *nc = realloc(d->c, cap * sizeof(*nc));

		if (!nc)
			return oom(d);
		d->c = nc;
		d->cap = cap;
	}
	c = &d->c[d->n++];
	memset(c, 0, sizeof(*c));
	c->hour = hour;
	c->fixture = strdup(row->v[7].type == DB_TEXT ? row->v[7].s : "");
	for (int k = 0; k < KEYS; k++) {
		c->key[k] = (struct db_value){ .type = row->v[k].type, .i = row->v[k].i,
					       .d = row->v[k].d };
		if (row->v[k].type == DB_TEXT && !(c->key[k].s = strdup(row->v[k].s)))
			return oom(d);
	}
	return c->fixture ? 0 : oom(d);
}

/* A value of the minutes into the cell of its key, fixture and hour (the
 * rows come in that order). */
static int add_value(void *ctx, const struct db_row *row)
{
	struct edges *d = ctx;
	struct ecell *last = d->n ? &d->c[d->n - 1] : NULL;
	int64_t hour;

	if (row->columns_only)
		return 0;
	if (row->n < 10)
		return st_fail(d->e, ST_ERR_DB, "capability rows of %d columns, not 10", row->n);
	hour = row->v[8].i / HOUR_US;
	if (!last || last->hour != hour || key_cmp(last->key, row->v) ||
	    strcmp(last->fixture, row->v[7].type == DB_TEXT ? row->v[7].s : "")) {
		if (ecell_new(d, row, hour))
			return -1;
		last = &d->c[d->n - 1];
	}
	st_capcell_add(&last->c, row->v[8].i,
		       row->v[9].type == DB_INT ? (double)row->v[9].i : row->v[9].d);
	return 0;
}

/* Cell c as a row of the log's capability_sums slot. */
static int hand(struct edges *d, const struct ecell *c)
{
	struct db_row r = { .n = 22 };

	memcpy(r.v, c->key, sizeof(c->key));
	r.v[7] = (struct db_value){ .type = DB_TEXT, .s = "" };	/* the log's station */
	r.v[8] = (struct db_value){ .type = DB_TEXT, .s = c->fixture };
	r.v[9] = (struct db_value){ .type = DB_INT, .i = c->hour };
	r.v[10] = (struct db_value){ .type = DB_INT, .i = c->c.n };
	r.v[11] = (struct db_value){ .type = DB_REAL, .d = c->c.ref };
	r.v[12] = (struct db_value){ .type = DB_REAL, .d = c->c.s1 };
	r.v[13] = (struct db_value){ .type = DB_REAL, .d = c->c.s2 };
	r.v[14] = (struct db_value){ .type = DB_REAL, .d = c->c.min };
	r.v[15] = (struct db_value){ .type = DB_REAL, .d = c->c.max };
	r.v[16] = (struct db_value){ .type = DB_INT, .i = c->c.first_us };
	r.v[17] = (struct db_value){ .type = DB_REAL, .d = c->c.first_v };
	r.v[18] = (struct db_value){ .type = DB_INT, .i = c->c.last_us };
	r.v[19] = (struct db_value){ .type = DB_REAL, .d = c->c.last_v };
	r.v[20] = (struct db_value){ .type = DB_INT, .i = c->c.mr_n };
	r.v[21] = (struct db_value){ .type = DB_REAL, .d = c->c.mr_sum };
	return d->fn(d->ctx, &r);
}

/* A cell of the log's: the minutes' cells before it first. */
static int merge(void *ctx, const struct db_row *row)
{
	struct edges *d = ctx;
	int ret = 0;

	if (row->columns_only)
		return d->fn(d->ctx, row);
	while (!ret && d->next < d->n && cell_cmp(&d->c[d->next], row) < 0)
		ret = hand(d, &d->c[d->next++]);
	return ret ? ret : d->fn(d->ctx, row);
}

int rep_capedge_sums(const struct db_reader *rd, const struct rep_filter *f, bool all_runs,
		     db_row_fn fn, void *ctx, struct st_error *e)
{
	struct rep_filter m[2], whole;
	struct edges d = { .fn = fn, .ctx = ctx, .e = e };
	int n = rep_filter_minutes(f, m, &whole), ret = 0;

	if (!n || f->serial)
		return st_fail(e, ST_ERR_NOTSUP, "no minutes off the hour");
	for (int i = 0; i < n && !ret; i++)
		ret = rd_capability_rows(rd, &m[i], !all_runs, add_value, &d, e);
	if (!ret && d.n > 1)
		qsort(d.c, d.n, sizeof(*d.c), ecell_cmp);
	if (!ret)
		ret = rd_capability_sums(rd, &whole, all_runs, merge, &d, e);
	while (!ret && d.next < d.n)
		ret = hand(&d, &d.c[d.next++]);
	ecells_free(&d);
	return ret;
}
