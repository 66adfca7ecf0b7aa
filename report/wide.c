/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station export --what wide: one row per run, one column per measurement,
 * for Minitab, JMP or a spreadsheet: run_id, unit_serial, station, fixture,
 * operator, sequence, version, started, ended, outcome, first_run, then a
 * column "STEP/NAME [UNIT]" for every measurement the selected runs have,
 * sorted, so the header is the same for the same runs.  A value measured
 * twice in one run (a retried step) keeps the last.  Titles are unique
 * (unique_titles()): a CSV reader or a JSON object keeps every column.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report-internal.h"

#define FIXED 11	/* run_id .. first_run of the values query */
static const char *const fixed_name[FIXED] = {
	"run_id", "unit_serial", "station", "fixture", "operator", "sequence_name",
	"sequence_version", "started", "ended", "outcome", "first_run",
};

struct col {
	char *step, *name, *unit, *title;
};

struct wide {
	FILE *out;
	bool csv;
	struct col *c;
	int n, cap;
	char *run;		/* the run being gathered */
	struct db_value fixed[FIXED];
	char *fixed_text[FIXED];
	struct db_value *v;	/* one per column */
	char **v_text;
	struct st_error *e;
};

static char *dup0(const struct db_value *v)
{
	return v->type == DB_TEXT ? strdup(v->s) : NULL;
}

static int cmp3(const char *a1, const char *a2, const char *a3, const char *b1, const char *b2,
		const char *b3)
{
	int r = strcmp(a1 ? a1 : "", b1 ? b1 : "");

	if (!r)
		r = strcmp(a2 ? a2 : "", b2 ? b2 : "");
	if (!r)
		r = strcmp(a3 ? a3 : "", b3 ? b3 : "");
	return r;
}

static int add_col(void *ctx, const struct db_row *row)
{
	struct wide *w = ctx;
	struct col *c;
	size_t len;

	if (row->columns_only)
		return 0;
	if (w->n == w->cap) {
		int cap = w->cap ? 2 * w->cap : 32;
		struct col *nc = realloc(w->c, cap * sizeof(*nc));

		if (!nc)
			return st_fail(w->e, ST_ERR_NOMEM, "out of memory");
		w->c = nc;
		w->cap = cap;
	}
	c = &w->c[w->n++];
	c->step = dup0(&row->v[0]);
	c->name = dup0(&row->v[1]);
	c->unit = dup0(&row->v[2]);
	len = strlen(c->step ? c->step : "") + strlen(c->name ? c->name : "") +
	      strlen(c->unit ? c->unit : "") + 8;
	c->title = malloc(len);
	if (!c->title)
		return st_fail(w->e, ST_ERR_NOMEM, "out of memory");
	snprintf(c->title, len, "%s/%s%s%s%s", c->step ? c->step : "", c->name ? c->name : "",
		 c->unit ? " [" : "", c->unit ? c->unit : "", c->unit ? "]" : "");
	return 0;
}

static int title_cmp(const void *a, const void *b)
{
	const struct col *x = *(const struct col *const *)a, *y = *(const struct col *const *)b;
	int r = strcmp(x->title, y->title);

	return r ? r : (x < y ? -1 : x > y);	/* equal titles in column order */
}

/* The title with a, b and c after it. */
static int retitle(struct col *c, const char *a, const char *b, const char *cc)
{
	size_t len = strlen(c->title) + strlen(a) + strlen(b) + strlen(cc) + 1;
	char *t = malloc(len);

	if (!t)
		return -1;
	snprintf(t, len, "%s%s%s%s", c->title, a, b, cc);
	free(c->title);
	c->title = t;
	return 0;
}

/* Columns whose "STEP/NAME [UNIT]" is another's (step "a/b" name "c" and
 * step "a" name "b/c"; a name ending in " [V]") are told apart: each of
 * them gets " (step STEP)"; what still repeats (nothing a station logs)
 * then " #2", " #3" ... after the first in column order.  The same columns
 * give the same titles (docs/database.md). */
static int unique_titles(struct wide *w)
{
	struct col **s = malloc((w->n ? w->n : 1) * sizeof(*s));
	int ret = 0;

	if (!s)
		return st_fail(w->e, ST_ERR_NOMEM, "out of memory");
	for (int pass = 0; !ret && pass < 3; pass++) {
		bool again = false;

		for (int i = 0; i < w->n; i++)
			s[i] = &w->c[i];
		qsort(s, w->n, sizeof(*s), title_cmp);
		for (int i = 0, j; !ret && i < w->n; i = j) {
			for (j = i + 1; j < w->n && !strcmp(s[j]->title, s[i]->title); j++)
				;
			for (int k = i; j - i > 1 && k < j && !ret; k++) {
				again = true;
				char num[16];

				snprintf(num, sizeof(num), "%d", k - i + 1);
				if (pass == 0)
					ret = retitle(s[k], " (step ", s[k]->step ? s[k]->step : "", ")");
				else if (k > i)
					ret = retitle(s[k], " #", num, "");
			}
		}
		if (!again)
			break;
	}
	free(s);
	return ret ? st_fail(w->e, ST_ERR_NOMEM, "out of memory") : 0;
}

/* The column of a (step, name, unit); -1 when not among them.  The columns
 * are sorted by the query (ORDER BY 1, 2, 3), so a binary search. */
static int find_col(const struct wide *w, const char *step, const char *name, const char *unit)
{
	int lo = 0, hi = w->n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int r = cmp3(step, name, unit, w->c[mid].step, w->c[mid].name, w->c[mid].unit);

		if (!r)
			return mid;
		if (r < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

static void put_value(const struct wide *w, json_t *o, const char *key,
		      const struct db_value *v, bool first)
{
	char num[32];

	if (!w->csv) {
		json_t *j = v->type == DB_INT ? json_integer(v->i) : v->type == DB_REAL ?
			    json_real(v->d) : v->type == DB_TEXT ? rep_json_text(v->s) : json_null();

		rep_json_set(o, key, j ? j : json_null());	/* a measurement's title */
		return;
	}
	if (!first)
		fputc(',', w->out);
	if (v->type == DB_REAL)
		fputs(rep_num_exact(num, v->d), w->out);
	else if (v->type == DB_INT)
		fprintf(w->out, "%lld", (long long)v->i);
	else if (v->type == DB_TEXT)
		rep_csv_field(w->out, v->s);
}

static void flush_run(struct wide *w)
{
	json_t *o, *m;

	if (!w->run)
		return;
	o = w->csv ? NULL : json_object();
	m = w->csv ? NULL : json_object();
	for (int i = 0; i < FIXED; i++)
		put_value(w, o, fixed_name[i], &w->fixed[i], i == 0);
	for (int i = 0; i < w->n; i++)
		put_value(w, m, w->c[i].title, &w->v[i], false);
	if (w->csv) {
		fputs("\r\n", w->out);
	} else {
		json_object_set_new(o, "measurements", m);
		rep_json_print_exact(w->out, o);
		json_decref(o);
	}
	for (int i = 0; i < FIXED; i++) {
		free(w->fixed_text[i]);
		w->fixed_text[i] = NULL;
	}
	for (int i = 0; i < w->n; i++) {
		free(w->v_text[i]);
		w->v_text[i] = NULL;
		w->v[i] = (struct db_value){ .type = DB_NULL };
	}
	free(w->run);
	w->run = NULL;
}

/* A copy of a value that outlives the row. */
static void keep(struct db_value *to, char **text, const struct db_value *v)
{
	free(*text);
	*text = NULL;
	*to = *v;
	if (v->type == DB_TEXT) {
		*text = strdup(v->s);
		to->s = *text;
		if (!*text)
			to->type = DB_NULL;
	}
}

/* Rows: 0..10 the run's fields, 11 step, 12 name, 13 value, 14 text, 15 unit. */
static int add_value(void *ctx, const struct db_row *row)
{
	struct wide *w = ctx;
	const struct db_value *val;
	int c;

	if (row->columns_only) {
		if (w->csv) {
			for (int i = 0; i < FIXED; i++) {
				fputs(i ? "," : "", w->out);
				rep_csv_field(w->out, fixed_name[i]);
			}
			for (int i = 0; i < w->n; i++) {
				fputc(',', w->out);
				rep_csv_field(w->out, w->c[i].title);
			}
			fputs("\r\n", w->out);
		}
		return 0;
	}
	if (!w->run || row->v[0].type != DB_TEXT || strcmp(w->run, row->v[0].s)) {
		flush_run(w);
		w->run = dup0(&row->v[0]);
		for (int i = 0; i < FIXED; i++)
			keep(&w->fixed[i], &w->fixed_text[i], &row->v[i]);
	}
	if (row->v[12].type != DB_TEXT)
		return 0;	/* a run without measurements */
	c = find_col(w, row->v[11].type == DB_TEXT ? row->v[11].s : NULL, row->v[12].s,
		     row->v[15].type == DB_TEXT ? row->v[15].s : NULL);
	if (c < 0)
		return 0;
	val = row->v[13].type != DB_NULL ? &row->v[13] : &row->v[14];
	keep(&w->v[c], &w->v_text[c], val);
	return 0;
}

int report_export_wide(FILE *out, const struct db_reader *rd, const struct rep_filter *f, const char *format,
		       struct st_error *e)
{
	struct wide w = { .out = out, .csv = !strcmp(format, "csv"), .e = e };
	int ret;

	ret = rd_wide_rows(rd, DB_WIDE_COLUMNS, f, add_col, &w, e);
	if (!ret)
		ret = unique_titles(&w);
	if (!ret) {
		w.v = calloc(w.n ? w.n : 1, sizeof(*w.v));
		w.v_text = calloc(w.n ? w.n : 1, sizeof(*w.v_text));
		if (!w.v || !w.v_text)
			ret = st_fail(e, ST_ERR_NOMEM, "out of memory");
	}
	if (!ret)
		ret = rd_wide_rows(rd, DB_WIDE_VALUES, f, add_value, &w, e);
	if (!ret)
		flush_run(&w);
	free(w.run);
	for (int i = 0; i < FIXED; i++)
		free(w.fixed_text[i]);
	for (int i = 0; i < w.n; i++) {
		free(w.c[i].step);
		free(w.c[i].name);
		free(w.c[i].unit);
		free(w.c[i].title);
		if (w.v_text)
			free(w.v_text[i]);
	}
	free(w.c);
	free(w.v);
	free(w.v_text);
	return ret;
}
