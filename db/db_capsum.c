/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log's capability cells as the reader's capability_sums rows
 * (db/db_reader.h): for the filters the cells can answer (none, whole UTC
 * hours, fixture, sequence name and version), key by key in capability
 * order (capability_sql's, NULLs first), each key's cells by fixture and
 * hour straight from cap_cells' primary key.  A report over the whole log
 * reads every cell (a 90-day log of 8 fixtures and 20 measurements holds
 * some 330,000), so the columns are read by their declared types and the
 * key's once per key; on a read-only log the second half of the keys is
 * read by a thread of its own at the same time (read_two).  One line
 * filter (--operator, --work-order, --part, or --part with --revision)
 * reads the cells of that line value (cap_dim_cells, schema 14) the same
 * way; --station, when every run of the log is that station's, filters
 * nothing.  Other line filters (two values, --revision alone, the station
 * of a log of several) read the cells of one of their values, checked
 * hour by hour (db_capmix.c).  Schema 16: an outcome's cells (dim 6), the
 * base of any line filter with it; and every ended run's (dim 7,
 * --all-runs) for the filters of no line value and no outcome.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/capcell.h"
#include "common/text.h"
#include "db/db-internal.h"

static const char *const names[] = {
	"sequence_name", "sequence_version", "step", "name", "unit", "low", "high", "station",
	"fixture", "hour", "n", "ref", "s1", "s2", "min", "max", "first_us", "first_v",
	"last_us", "last_v", "mr_n", "mr_sum",
};
#define NCOL ((int)(sizeof(names) / sizeof(names[0])))

static const char keys_sql[] =
	"SELECT sequence_name, sequence_version, step, name, unit, low, high, id FROM cap_keys"
	" WHERE %s ORDER BY sequence_name, sequence_version, step, name, unit, low, high, id";
#define CELLS(from) \
	"SELECT fixture, hour, n, ref, s1, s2, min, max, first_us, first_v, last_us, last_v, mr_n," \
	" mr_sum FROM " from " AND %s ORDER BY key, fixture, hour"
static const char cells_sql[] = CELLS("cap_cells WHERE key = ?10");
/* A line value's cells: the hour's cells where its values are the hour's
 * only ones (cap_dims), its own where the hour is mixed; both in fixture
 * and hour order (the hours along cap_dims_val: CROSS JOIN), merged, the
 * filter's terms in each. */
#define SUMS "n, ref, s1, s2, min, max, first_us, first_v, last_us, last_v, mr_n, mr_sum"
static const char dim_cells_sql[] =
	"SELECT d.fixture, d.hour, c." SUMS " FROM (SELECT fixture, hour FROM cap_dims"
	"  WHERE dim = ?11 AND val = ?12 AND mixed = 0 AND %s) d CROSS JOIN cap_cells c"
	"  ON c.key = ?10 AND c.fixture = d.fixture AND c.hour = d.hour"
	" UNION ALL SELECT fixture, hour, " SUMS " FROM cap_dim_cells"
	"  WHERE key = ?10 AND dim = ?11 AND val = ?12 AND %s ORDER BY 1, 2";

/* The cells of f's line: 0 every value's, 1 an operator's, 2 a work
 * order's, 3 a part number's, 4 a part number and revision's, 5 a
 * revision's, 6 an outcome's (cap_dim_cells' dim); *exact: f filters on
 * that value alone (the station aside).  An outcome first: nearly every
 * hour holds first runs that passed and some that failed, so its cells
 * are kept apart, where a line value (an operator's shift, a work order)
 * is most hours' only one: those hours check whole (db_capmix.c). */
#define DIM_ALL 7	/* every ended run's cells (--all-runs) */
#define NOT_ALL 1	/* read_all: a filter those cells cannot answer */

static int line_dim(const struct rep_filter *f, bool *exact)
{
	int dim = f->outcome ? 6 : f->operator_name ? 1 : f->work_order ? 2 :
		  f->part_number && f->revision ? 4 : f->part_number ? 3 : f->revision ? 5 : 0;
	int n = !!f->operator_name + !!f->work_order + !!f->part_number + !!f->revision +
		!!f->outcome;

	*exact = n == (dim == 4 ? 2 : dim ? 1 : 0);
	return dim;
}

/* the summaries' filters (report_can_summarise), outcomes too: the cells
 * of each outcome's first runs (dim 6, schema 16) */
static bool answer(const struct rep_filter *f)
{
	return report_can_summarise(f);
}

/* --station filters nothing when every run of the log is that station's:
 * no day cell of a line (the summaries, kept with the runs and rebuilt
 * from them) is another's; the day cells of every line have none (NULL).
 * (Not the stations registry: rows merged in by SQL need not be in it.) */
static bool station_all(sqlite3 *h, const char *station)
{
	sqlite3_stmt *st = dbr_prepare(h, "SELECT EXISTS (SELECT 1 FROM cells WHERE hours = 24"
				       " AND station IS NOT NULL AND station IS NOT ?1)");
	bool all = false;

	if (st) {
		dbi_bind_text(st, 1, station);
		all = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0;
	}
	sqlite3_finalize(st);
	return all;
}

/* f's line value as cap_dim_cells keeps it (the text as the rows' filter
 * binds it); malloc'd, NULL for memory. */
static char *line_val(const struct rep_filter *f, int dim)
{
	const char *raw = dim == 1 ? f->operator_name : dim == 2 ? f->work_order :
			  dim == 5 ? f->revision : dim == 6 ? f->outcome :
			  dim == DIM_ALL ? "" : f->part_number;
	char *v = st_text_is_utf8(raw) ? strdup(raw) : st_text_utf8_dup(raw), *r, *both;

	if (dim != 4 || !v)
		return v;
	r = st_text_is_utf8(f->revision) ? strdup(f->revision) : st_text_utf8_dup(f->revision);
	both = r ? dbi_cap_dim_val(v, r) : NULL;
	free(v);
	free(r);
	return both;
}

static sqlite3_stmt *prepare(sqlite3 *h, const char *fmt, const char *where,
			     const struct rep_filter *f)
{
	char sql[1024];
	sqlite3_stmt *st;

	/* (fmt takes the terms once, or twice: dim_cells_sql) */
	if ((size_t)snprintf(sql, sizeof(sql), fmt, where[0] ? where + 5 : "1",
			     where[0] ? where + 5 : "1") >= sizeof(sql))
		return NULL;	/* (the longest, the dim cells' with every term, fits) */
	st = dbr_prepare(h, sql);
	if (st)
		dbr_bind_filter(st, f);
	return st;
}

/* A key's columns 0..6, its strings copied. */
struct key {
	struct db_value v[7];
	int64_t id;
};

/* A cell: its fixture (one copy per fixture run of a part) and numbers. */
struct cellrow {
	const char *fx;
	union {
		int64_t i;
		double d;
	} x[13];
};

/* The cells of keys [k0, k1), read on connection h in one read
 * transaction (by a thread of its own, or the caller's). */
struct part {
	sqlite3 *h;
	const char *sql, *cw;
	int dim;
	const char *val;
	const struct capmix *mix;	/* NULL: the cells are the filter's */
	const struct rep_filter *f;
	const struct key *k;
	int k0, k1;
	struct cellrow *r;	/* mapped (RESERVE), or malloc'd when that failed */
	bool mapped;
	size_t n, cap, *end;	/* end[i - k0]: rows of keys up to i */
	char **fx;
	size_t nfx;
	int rc;			/* SQLITE_DONE when read whole */
};

static const bool is_int[14] = { [1] = true, [2] = true, [8] = true, [10] = true, [12] = true };

/* The cells read are held until every key is read (a whole log's: some
 * 40 MiB): in address space reserved at once and faulted in as huge pages
 * where the kernel gives them (a 4 KiB page's fault cost as much as
 * reading its cells, perf on the 1M-run log), else grown by realloc. */
#define RESERVE ((size_t)1 << 30)

static void cells_reserve(struct part *p)
{
	void *m = mmap(NULL, RESERVE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED)
		return;
#ifdef MADV_HUGEPAGE
	madvise(m, RESERVE, MADV_HUGEPAGE);
#endif
	p->r = m;
	p->mapped = true;
	p->cap = RESERVE / sizeof(*p->r);
}

static int add_cellrow(struct part *p, sqlite3_stmt *st)
{
	const char *fx = (const char *)sqlite3_column_text(st, 0);
	struct cellrow *c;

	if (!p->r)
		cells_reserve(p);
	if (p->n == p->cap) {
		if (p->mapped)
			return -1;	/* some 9 million cells: memory */
		size_t cap = p->cap ? 2 * p->cap : 4096;
		struct cellrow *nr = realloc(p->r, cap * sizeof(*nr));

		if (!nr)
			return -1;
		p->r = nr;
		p->cap = cap;
	}
	c = &p->r[p->n];
	/* cells come by fixture: a new copy only when the fixture changes */
	if (!p->nfx || strcmp(p->fx[p->nfx - 1], fx ? fx : "")) {
		char **nf = realloc(p->fx, (p->nfx + 1) * sizeof(*nf));

		if (!nf)
			return -1;
		p->fx = nf;
		if (!(p->fx[p->nfx] = strdup(fx ? fx : "")))
			return -1;
		p->nfx++;
	}
	c->fx = p->fx[p->nfx - 1];
	for (int col = 1; col < 14; col++) {
		if (is_int[col])
			c->x[col - 1].i = sqlite3_column_int64(st, col);
		else
			c->x[col - 1].d = sqlite3_column_double(st, col);
	}
	p->n++;
	return 0;
}

/* The cell just added as the filter has it (db_capmix.c): as it is,
 * summed again from its hour's rows, or none. */
static void mix_cellrow(struct part *p, int64_t key)
{
	struct cellrow *c = &p->r[p->n - 1];
	struct st_capcell cc;

	switch (dbi_capmix_cell(p->mix, c->fx, c->x[0].i, key, &cc)) {
	case 0:
		p->n--;
		break;
	case 2: {
		const union { int64_t i; double d; } v[12] = {
			{ .i = cc.n }, { .d = cc.ref }, { .d = cc.s1 }, { .d = cc.s2 },
			{ .d = cc.min }, { .d = cc.max }, { .i = cc.first_us }, { .d = cc.first_v },
			{ .i = cc.last_us }, { .d = cc.last_v }, { .i = cc.mr_n }, { .d = cc.mr_sum },
		};

		_Static_assert(sizeof(v) == sizeof(c->x) - sizeof(c->x[0]), "a cell's 12 sums");
		memcpy(&c->x[1], v, sizeof(v));
		break;
	}
	default:
		break;
	}
}

static void *read_part(void *arg)
{
	struct part *p = arg;
	sqlite3_stmt *cells;
	int rc = SQLITE_OK;

	/* in the caller's read transaction when it has one (the keys' snapshot) */
	bool own = sqlite3_get_autocommit(p->h);

	p->end = calloc((size_t)(p->k1 - p->k0), sizeof(*p->end));
	cells = p->end ? prepare(p->h, p->sql, p->cw, p->f) : NULL;
	if (cells && p->dim) {
		sqlite3_bind_int(cells, 11, p->dim);
		sqlite3_bind_text(cells, 12, p->val, -1, SQLITE_STATIC);
	}
	if (!cells || (own && sqlite3_exec(p->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)) {
		p->rc = p->end ? SQLITE_ERROR : SQLITE_NOMEM;
		sqlite3_finalize(cells);
		return NULL;
	}
	for (int i = p->k0; i < p->k1; i++) {
		sqlite3_bind_int64(cells, 10, p->k[i].id);
		while ((rc = sqlite3_step(cells)) == SQLITE_ROW)
			if (add_cellrow(p, cells)) {
				rc = SQLITE_NOMEM;
				break;
			} else if (p->mix) {
				mix_cellrow(p, p->k[i].id);
			}
		sqlite3_reset(cells);
		p->end[i - p->k0] = p->n;
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(cells);
	if (own)
		sqlite3_exec(p->h, "COMMIT", NULL, NULL, NULL);
	p->rc = rc;
	return NULL;
}

static void part_free(struct part *p)
{
	for (size_t i = 0; i < p->nfx; i++)
		free(p->fx[i]);
	free(p->fx);
	if (p->mapped)
		munmap(p->r, RESERVE);
	else
		free(p->r);
	free(p->end);
	memset(p, 0, sizeof(*p));
}

static int64_t data_version(sqlite3 *h)
{
	sqlite3_stmt *st = dbr_prepare(h, "PRAGMA data_version");
	int64_t v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The cells of every key into two parts, the second read by a thread on a
 * connection of its own: a reader (a report on a million runs reads some
 * 350,000 cells) has two cores, and on a shared machine two threads get
 * twice one's share.  Whether both saw one snapshot, read_all() checks.
 * false: not done, a's part as it was (the caller reads it whole). */
static bool read_two(struct db *db, struct part *a, struct part *b)
{
	const char *file = sqlite3_db_filename(db->h, "main");
	pthread_t t;
	bool ok;

	if (!db->readonly || a->k1 < 2 || !file || !*file ||
	    sqlite3_open_v2(file, &b->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(b->h);
		b->h = NULL;
		return false;
	}
	/* a writer's brief lock waits, as the caller's connection does */
	sqlite3_busy_timeout(b->h, 5000);
	b->k0 = a->k1 / 2;
	b->k1 = a->k1;
	a->k1 = b->k0;
	if (pthread_create(&t, NULL, read_part, b) != 0) {
		a->k1 = b->k1;
		sqlite3_close(b->h);
		b->h = NULL;
		return false;
	}
	read_part(a);
	pthread_join(t, NULL);
	sqlite3_close(b->h);
	b->h = NULL;
	ok = a->rc == SQLITE_DONE && b->rc == SQLITE_DONE;
	if (!ok) {
		a->k1 = b->k1;
		part_free(b);
		a->rc = 0;
		free(a->end);
		a->end = NULL;
		a->n = 0;
	}
	return ok;
}

static void value(sqlite3_stmt *st, int c, struct db_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL:
		v->type = DB_NULL;
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		v->type = DB_REAL;
		v->d = sqlite3_column_double(st, c);
		break;
	default:
		v->type = DB_TEXT;
		v->s = (const char *)sqlite3_column_text(st, c);
	}
}

/* The keys the filter's sequence selects, in capability order. */
static int load_keys(sqlite3 *h, const char *kw, const struct rep_filter *f, struct key **out,
		     int *n)
{
	sqlite3_stmt *st = prepare(h, keys_sql, kw, f);
	struct key *k = NULL, *nk;
	int rc;

	*n = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(nk = realloc(k, (*n + 1) * sizeof(*nk)))) {
			rc = SQLITE_NOMEM;
			break;
		}
		k = nk;
		for (int c = 0; c < 7; c++) {
			value(st, c, &k[*n].v[c]);
			if (rc == SQLITE_NOMEM)	/* after a failed copy: nothing for keys_free */
				k[*n].v[c].type = DB_NULL;
			else if (k[*n].v[c].type == DB_TEXT &&
				 !(k[*n].v[c].s = strdup(k[*n].v[c].s))) {
				k[*n].v[c].type = DB_NULL;
				rc = SQLITE_NOMEM;
			}
		}
		k[*n].id = sqlite3_column_int64(st, 7);
		(*n)++;
		if (rc == SQLITE_NOMEM)
			break;
	}
	sqlite3_finalize(st);
	*out = k;
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_NOMEM ? ST_ERR_NOMEM : -1;
}

static void keys_free(struct key *k, int n)
{
	for (int i = 0; i < n; i++)
		for (int c = 0; c < 7; c++)
			if (k[i].v[c].type == DB_TEXT)
				free((char *)k[i].v[c].s);
	free(k);
}

/* Every cell of the parts to fn, key by key. */
static int hand_over(const struct key *k, const struct part *const *parts, int nparts,
		     db_row_fn fn, void *ctx)
{
	struct db_row row = { .columns_only = true, .n = NCOL };
	int ret;

	for (int c = 0; c < NCOL; c++)
		row.name[c] = names[c];
	ret = fn(ctx, &row);
	row.columns_only = false;
	row.v[7] = (struct db_value){ .type = DB_TEXT, .s = "" };
	for (int pi = 0; !ret && pi < nparts; pi++) {
		const struct part *p = parts[pi];
		size_t r = 0;

		for (int i = p->k0; !ret && i < p->k1; i++) {
			memcpy(row.v, k[i].v, sizeof(k[i].v));
			for (; !ret && r < p->end[i - p->k0]; r++) {
				const struct cellrow *c = &p->r[r];

				row.v[8] = (struct db_value){ .type = DB_TEXT, .s = c->fx };
				for (int col = 1; col < 14; col++)
					row.v[8 + col] = is_int[col] ?
						(struct db_value){ .type = DB_INT, .i = c->x[col - 1].i } :
						(struct db_value){ .type = DB_REAL, .d = c->x[col - 1].d };
				ret = fn(ctx, &row);
			}
		}
	}
	return ret;
}

void (*db_capsum_between)(void *ctx);
void *db_capsum_between_ctx;

/* The keys and their cells in one read transaction of db->h, so that both
 * are of one snapshot; with two, half the cells read by a second
 * connection (read_two), whose snapshot is the same when no commit came
 * between the transaction's first read and its end: PRAGMA data_version
 * then is unchanged (*same false otherwise: the caller reads again).
 * The filter's line is checked hour by hour (*mix) when the cells read
 * are not the filter's own.  0, ST_ERR_NOMEM, or -1 (SQLite's error on
 * db->h). */
static int read_all(struct db *db, const char *kw, const struct part *how, bool two, struct key **k,
		    int *nk, struct part *a, struct part *b, bool *same, struct capmix **mix)
{
	const struct rep_filter *f = how->f;
	bool exact = true, other;
	int dim = how->dim == DIM_ALL ? DIM_ALL : line_dim(f, &exact);
	int64_t v0;
	int ret;

	*k = NULL;
	*nk = 0;
	*same = true;
	*a = (struct part){ .h = db->h, .sql = how->sql, .cw = how->cw, .dim = how->dim,
			    .val = how->val, .f = f };
	*b = (struct part){ .sql = how->sql, .cw = how->cw, .dim = how->dim, .val = how->val, .f = f };
	*mix = NULL;
	if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	ret = load_keys(db->h, kw, f, k, nk);
	other = f->station && !station_all(db->h, f->station);
	/* a station of several: checked hour by hour against the first
	 * runs' rows (db_capmix.c), which every run's cells are not */
	if (!ret && dim == DIM_ALL && other)
		ret = NOT_ALL;
	else if (!ret && (!exact || other))
		ret = dbi_capmix_load(db->h, f, dim, other, mix);
	a->mix = b->mix = *mix;
	if (db_capsum_between)
		db_capsum_between(db_capsum_between_ctx);
	v0 = data_version(db->h);
	a->k = b->k = *k;
	a->k1 = *nk;
	if (!ret && !(two && read_two(db, a, b)))
		read_part(a);
	sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	if (!ret && *nk && a->rc != SQLITE_DONE)
		ret = a->rc == SQLITE_NOMEM ? ST_ERR_NOMEM : -1;
	if (!ret && b->end && (v0 < 0 || data_version(db->h) != v0))
		*same = false;
	return ret;
}

int db_capability_sums(struct db *db, const struct rep_filter *f, bool all_runs, db_row_fn fn,
		       void *ctx, struct st_error *e)
{
	char kw[128], cw[128];
	struct key *k = NULL;
	struct part a = { 0 }, b = { 0 };
	const struct part *parts[2] = { &a, &b };
	bool exact;
	int nk = 0, ret, dim = all_runs ? DIM_ALL : line_dim(f, &exact);
	struct capmix *mix = NULL;
	struct part how = { .sql = dim ? dim_cells_sql : cells_sql, .cw = cw, .dim = dim, .f = f };
	char *val = NULL;
	bool same;

	/* every run's cells: of no line value, no outcome */
	if (!answer(f) || (all_runs && (f->outcome || report_filter_line(f))))
		return st_fail(e, ST_ERR_NOTSUP, "the log's capability cells cannot answer these "
			       "filters: the rows do");
	if (dim && !(how.val = val = line_val(f, dim)))
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	snprintf(kw, sizeof(kw), "%s%s", f->seq_name ? " AND sequence_name = ?4" : "",
		 f->seq_version ? " AND sequence_version = ?5" : "");
	snprintf(cw, sizeof(cw), "%s%s%s", f->has_since ? " AND hour >= ?1 / 3600000000" : "",
		 f->has_until ? " AND hour < ?2 / 3600000000" : "",
		 f->fixture ? " AND fixture = ?3" : "");
	pthread_mutex_lock(&db->mu);
	ret = read_all(db, kw, &how, true, &k, &nk, &a, &b, &same, &mix);
	if (!ret && !same) {	/* a commit between the two reads: again, on one */
		part_free(&a);
		part_free(&b);
		keys_free(k, nk);
		dbi_capmix_free(mix);
		ret = read_all(db, kw, &how, false, &k, &nk, &a, &b, &same, &mix);
	}
	if (ret == NOT_ALL)
		ret = st_fail(e, ST_ERR_NOTSUP, "the log's cells of every run are not one "
			      "station's: the rows answer");
	else if (ret == ST_ERR_NOMEM)
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory reading the log's capability cells");
	else if (ret < 0)
		ret = st_fail(e, ST_ERR_DB, "reading the log's capability cells failed: %s",
			      sqlite3_errmsg(db->h));
	else	/* its errors are fn's, with their messages */
		ret = hand_over(k, parts, b.end ? 2 : 1, fn, ctx);
	part_free(&a);
	part_free(&b);
	keys_free(k, nk);
	dbi_capmix_free(mix);
	pthread_mutex_unlock(&db->mu);
	free(val);
	return ret;
}
