/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --capability: process capability per measurement, the
 * short-term (within) and long-term (overall) figures side by side.
 *
 *   sigma within  = MR-bar / d2, d2 = 1.128: MR-bar is the mean of the
 *                   moving ranges |x(i) - x(i-1)| of consecutive values on
 *                   one fixture (a fixture's first value has none); or,
 *                   with rational subgroups (a fixture's values in one UTC
 *                   hour), s_p / c4(d): s_p = sqrt(sum (x - subgroup
 *                   mean)^2 / sum (n_i - 1)), d = sum (n_i - 1) + 1
 *   sigma overall = the sample standard deviation of every value
 *   Cp  = (USL - LSL) / (6 sigma within)    Pp  = the same, sigma overall
 *   Cpk = min(USL - mean, mean - LSL) / (3 sigma within), one-sided with
 *         one limit;                        Ppk = the same, sigma overall
 *
 * (Montgomery, Introduction to Statistical Quality Control, ch. 8; AIAG
 * SPC manual, 2nd ed., Cp/Cpk vs Pp/Ppk.)  The values are each unit's first judged
 * run of its sequence unless every run is asked for: retests of failing
 * units and contact-fault outliers are not the process.  A group is a
 * sequence version, step, measurement and the limits in force; a limit
 * changed without a new version starts a new group, labelled with its
 * limits and the time of its first and last value.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "report/report-internal.h"

#define D2 1.128

void rep_capability(const double *x, const bool *brk, int64_t n, bool has_low, double low,
		    bool has_high, double high, struct rep_cap *c)
{
	double sum = 0, ss = 0, mr = 0, lo = x ? x[0] : 0, hi = lo;

	memset(c, 0, sizeof(*c));
	c->n = n;
	if (!n)
		return;
	for (int64_t i = 0; i < n; i++) {
		sum += x[i];
		lo = fmin(lo, x[i]);
		hi = fmax(hi, x[i]);
	}
	/* equal values: their value, not a mean off by the sum's rounding */
	c->mean = lo == hi ? lo : sum / (double)n;
	c->scale = fmax(fabs(lo), fabs(hi));
	for (int64_t i = 0; i < n; i++) {
		ss += (x[i] - c->mean) * (x[i] - c->mean);
		if (i > 0 && !brk[i]) {
			mr += fabs(x[i] - x[i - 1]);
			c->n_mr++;
		}
	}
	if (rep_cap_infinite(lo, hi, c))
		return;
	c->has_overall = n > 1;
	c->sigma_overall = c->has_overall ? rep_sigma_clean(sqrt(ss / (double)(n - 1)), c->scale) :
			   NAN;
	c->has_within = c->n_mr > 0;
	c->mr_bar = c->has_within ? mr / (double)c->n_mr : NAN;
	c->sigma_within = c->has_within ? rep_sigma_clean(c->mr_bar / D2, c->scale) : NAN;
	c->has_cp = rep_p(c->sigma_within, has_low, low, has_high, high, &c->cp);
	c->has_cpk = rep_pk(c->mean, c->sigma_within, has_low, low, has_high, high, &c->cpk);
	c->has_pp = rep_p(c->sigma_overall, has_low, low, has_high, high, &c->pp);
	c->has_ppk = rep_pk(c->mean, c->sigma_overall, has_low, low, has_high, high, &c->ppk);
}

void rep_capability_pooled(const double *x, const bool *sub, int64_t n, bool has_low,
			   double low, bool has_high, double high, struct rep_cap *c)
{
	double ss = 0;

	rep_capability(x, sub, n, has_low, low, has_high, high, c);
	c->pooled = true;	/* no moving ranges: the subgroups give sigma within */
	c->n_mr = 0;
	c->mr_bar = NAN;
	for (int64_t i = 0, j; i < n; i = j) {
		double sum = x[i], m;

		for (j = i + 1; j < n && !sub[j]; j++)
			sum += x[j];
		m = sum / (double)(j - i);
		for (int64_t k = i; k < j; k++)
			ss += (x[k] - m) * (x[k] - m);
		c->n_sub++;
		c->df += j - i - 1;
	}
	if (isinf(c->scale))	/* an infinity among them: rep_cap_infinite() */
		return;
	c->has_within = c->df > 0;
	c->sigma_within = c->has_within ?
			  rep_sigma_clean(sqrt(ss / (double)c->df) / rep_c4((double)c->df + 1),
					  c->scale) :
			  NAN;
	c->has_cp = rep_p(c->sigma_within, has_low, low, has_high, high, &c->cp);
	c->has_cpk = rep_pk(c->mean, c->sigma_within, has_low, low, has_high, high, &c->cpk);
}

struct group {
	char *sequence, *version, *step, *name, *unit;
	bool has_low, has_high;
	double low, high;
	int64_t first_us, last_us;
	struct rep_cap cap;
};

struct acc {
	struct group *g;
	int n;
	/* the group being read: its cells combined, and (reading rows) the
	 * cell being summed, a fixture's values in one UTC hour */
	struct rep_capsum sum;
	struct st_capcell cell;
	char *cell_fx, *cell_st;
	int64_t cell_hour;
	bool subgroups;
	const char *store;	/* the reader's name, for messages */
	struct st_error *e;
};

static char *dup_text(const struct db_value *v)
{
	return v->type == DB_TEXT ? strdup(v->s) : NULL;
}

static bool same_text(const char *a, const struct db_value *v)
{
	return v->type == DB_TEXT ? a && !strcmp(a, v->s) : !a;
}

static bool same_real(bool has, double x, const struct db_value *v)
{
	double y = v->type == DB_INT ? (double)v->i : v->d;

	return v->type == DB_NULL ? !has : has && x == y;
}

static double real(const struct db_value *v)
{
	return v->type == DB_INT ? (double)v->i : v->type == DB_REAL ? v->d : NAN;
}

static const char *text_or(const struct db_value *v, const char *none)
{
	return v->type == DB_TEXT ? v->s : none;
}

/* Columns 0..6 of both queries: sequence_name, sequence_version, step, name,
 * unit, low, high. */
static bool same_group(const struct group *g, const struct db_row *row)
{
	return same_text(g->sequence, &row->v[0]) && same_text(g->version, &row->v[1]) &&
	       same_text(g->step, &row->v[2]) && same_text(g->name, &row->v[3]) &&
	       same_text(g->unit, &row->v[4]) && same_real(g->has_low, g->low, &row->v[5]) &&
	       same_real(g->has_high, g->high, &row->v[6]);
}

/* The cell being summed from rows into the group's sum. */
static int flush_cell(struct acc *a)
{
	int ret = 0;

	if (a->cell.n && rep_capsum_add(&a->sum, &a->cell, a->cell_st, a->cell_fx))
		ret = st_fail(a->e, ST_ERR_NOMEM, "out of memory");
	memset(&a->cell, 0, sizeof(a->cell));
	free(a->cell_fx);
	free(a->cell_st);
	a->cell_fx = a->cell_st = NULL;
	return ret;
}

static int finish(struct acc *a)
{
	struct group *g;
	int ret = flush_cell(a);

	if (a->n) {
		g = &a->g[a->n - 1];
		rep_capsum_cap(&a->sum, a->subgroups, g->has_low, g->low, g->has_high, g->high,
			       &g->cap);
		g->first_us = a->sum.first_us;
		g->last_us = a->sum.last_us;
	}
	rep_capsum_free(&a->sum);
	return ret;
}

/* A new group when row's key is not the group's (finishing that one). */
static int next_group(struct acc *a, const struct db_row *row)
{
	struct group *ng, *g;

	if (a->n && same_group(&a->g[a->n - 1], row))
		return 0;
	if (finish(a))
		return -1;
	ng = realloc(a->g, (a->n + 1) * sizeof(*ng));
	if (!ng)
		return st_fail(a->e, ST_ERR_NOMEM, "out of memory");
	a->g = ng;
	g = &a->g[a->n++];
	memset(g, 0, sizeof(*g));
	g->sequence = dup_text(&row->v[0]);
	g->version = dup_text(&row->v[1]);
	g->step = dup_text(&row->v[2]);
	g->name = dup_text(&row->v[3]);
	g->unit = dup_text(&row->v[4]);
	g->has_low = row->v[5].type != DB_NULL;
	g->low = real(&row->v[5]);
	g->has_high = row->v[6].type != DB_NULL;
	g->high = real(&row->v[6]);
	return 0;
}

/* A value (db_capability_rows: the key, fixture, started_us, value, and
 * from a store of several stations an 11th column, the station) into the
 * cell of its (station,) fixture and hour. */
static int add_row(void *ctx, const struct db_row *row)
{
	struct acc *a = ctx;
	const char *fx, *stn;
	int64_t us;

	if (row->columns_only)
		return 0;
	if (row->n < 10)
		return st_fail(a->e, ST_ERR_DB, "capability rows of %d columns, not 10", row->n);
	fx = text_or(&row->v[7], "");
	stn = row->n > 10 ? text_or(&row->v[10], "") : "";
	us = row->v[8].i;
	if (next_group(a, row))
		return -1;
	if (a->cell.n && (strcmp(a->cell_fx, fx) || strcmp(a->cell_st, stn) ||
			  us / 3600000000LL != a->cell_hour) && flush_cell(a))
		return -1;
	if (!a->cell.n) {
		a->cell_fx = strdup(fx);
		a->cell_st = strdup(stn);
		if (!a->cell_fx || !a->cell_st)
			return st_fail(a->e, ST_ERR_NOMEM, "out of memory");
		a->cell_hour = us / 3600000000LL;
	}
	st_capcell_add(&a->cell, us, real(&row->v[9]));
	return 0;
}

/* A cell (the capability_sums slot: the key, station, fixture, hour, n,
 * ref, s1, s2, min, max, first_us, first_v, last_us, last_v, mr_n, mr_sum). */
static int add_cell(void *ctx, const struct db_row *row)
{
	struct acc *a = ctx;
	struct st_capcell c;

	if (row->columns_only)
		return 0;
	if (row->n < 22)
		return st_fail(a->e, ST_ERR_DB, "capability cells of %d columns, not 22", row->n);
	if (next_group(a, row))
		return -1;
	c = (struct st_capcell){ .n = row->v[10].i, .ref = real(&row->v[11]),
				 .s1 = real(&row->v[12]), .s2 = real(&row->v[13]),
				 .min = real(&row->v[14]), .max = real(&row->v[15]),
				 .first_us = row->v[16].i, .first_v = real(&row->v[17]),
				 .last_us = row->v[18].i, .last_v = real(&row->v[19]),
				 .mr_n = row->v[20].i, .mr_sum = real(&row->v[21]) };
	if (rep_capsum_add(&a->sum, &c, text_or(&row->v[7], ""), text_or(&row->v[8], "")))
		return st_fail(a->e, ST_ERR_NOMEM, "out of memory");
	return 0;
}

/* A key's cells combined by the store (the capability_keys slot: the key,
 * n, mean, m2, ssw, n_sub, min, max, first_us, last_us, mr_n, mr_sum): the
 * group's sum as rep_capsum_add() would have made it of the cells. */
static int add_key(void *ctx, const struct db_row *row)
{
	struct acc *a = ctx;
	struct rep_capsum *s = &a->sum;

	if (row->columns_only)
		return 0;
	if (row->n < 18)
		return st_fail(a->e, ST_ERR_DB, "combined capability cells of %d columns, not 18",
			       row->n);
	if (a->n && same_group(&a->g[a->n - 1], row))
		return st_fail(a->e, ST_ERR_DB, "the %s sent a capability key twice",
			       a->store ? a->store : "store");
	if (next_group(a, row))
		return -1;
	s->n = row->v[7].i;
	s->mean = real(&row->v[8]);
	s->m2 = real(&row->v[9]);
	s->ssw = real(&row->v[10]);
	s->n_sub = row->v[11].i;
	s->df = s->n - s->n_sub;
	s->min = real(&row->v[12]);
	s->max = real(&row->v[13]);
	s->first_us = row->v[14].i;
	s->last_us = row->v[15].i;
	s->mr_n = row->v[16].i;
	s->mr_sum = real(&row->v[17]);
	return 0;
}

static const char *g6(char buf[32], bool has, double v)
{
	if (!has || !isfinite(v))	/* an MR-bar of values with an infinity */
		return "-";
	snprintf(buf, 32, "%.6g", v);
	return buf;
}

static const char *f3(char buf[32], bool has, double v)
{
	if (!has)
		return "-";
	snprintf(buf, 32, "%.3f", v);
	return buf;
}

static void show(FILE *f, const char *s)
{
	char *t = st_text_show_dup(s ? s : "-");

	fputs(t ? t : "?", f);
	free(t);
}

static void text(FILE *f, const struct acc *a, const struct rep_filter *flt, bool all_runs)
{
	char b1[32], b2[32], b3[32], b4[32], t1[32], t2[32];

	if (a->subgroups)
		fprintf(f, "capability: %s; within sigma = pooled sigma of subgroups (a fixture's "
			"values in one UTC hour) / c4, overall sigma = sample sigma\n",
			all_runs ? "every run" : "each unit's first judged run of its sequence");
	else
		fprintf(f, "capability: %s; within sigma = MR-bar / %.3f (consecutive values on "
			"one fixture), overall sigma = sample sigma\n", all_runs ? "every run" :
			"each unit's first judged run of its sequence", D2);
	rep_filters_line(f, flt);
	for (int i = 0; i < a->n; i++) {
		const struct group *g = &a->g[i];
		const struct rep_cap *c = &g->cap;

		fputs("\n  ", f);
		show(f, g->sequence);
		fputc('@', f);
		show(f, g->version);
		fputs(" / ", f);
		show(f, g->step);
		fputs(" / ", f);
		show(f, g->name);
		if (g->unit) {
			fputs(" (", f);
			show(f, g->unit);
			fputc(')', f);
		}
		fprintf(f, "  LSL %s USL %s  %s .. %s\n", g6(b1, g->has_low, g->low),
			g6(b2, g->has_high, g->high), rep_iso(t1, g->first_us),
			rep_iso(t2, g->last_us));
		if (c->pooled)
			fprintf(f, "    n %lld  mean %.6g  subgroups %lld (df %lld)  sigma within %s  "
				"overall %s\n", (long long)c->n, c->mean, (long long)c->n_sub,
				(long long)c->df, g6(b2, c->has_within, c->sigma_within),
				g6(b3, c->has_overall, c->sigma_overall));
		else
			fprintf(f, "    n %lld  mean %.6g  MR-bar %s  sigma within %s  overall %s\n",
				(long long)c->n, c->mean, g6(b1, c->n_mr > 0, c->mr_bar),
				g6(b2, c->has_within, c->sigma_within),
				g6(b3, c->has_overall, c->sigma_overall));
		fprintf(f, "    Cp %s  Cpk %s", f3(b1, c->has_cp, c->cp), f3(b2, c->has_cpk, c->cpk));
		fprintf(f, "  Pp %s  Ppk %s\n", f3(b3, c->has_pp, c->pp), f3(b4, c->has_ppk, c->ppk));
	}
}

static json_t *opt(bool has, double v)
{
	return has && isfinite(v) ? json_real(v) : json_null();
}

static void json(FILE *f, const struct acc *a, bool all_runs)
{
	json_t *arr = json_array(), *root;
	char t1[32], t2[32];

	for (int i = 0; i < a->n; i++) {
		const struct group *g = &a->g[i];
		const struct rep_cap *c = &g->cap;
		/* names as the log stores them, bytes that are not UTF-8 as \xNN */
		json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:I,s:o}",
			"sequence", rep_json_text(g->sequence),
			"sequence_version", rep_json_text(g->version), "step", rep_json_text(g->step),
			"name", rep_json_text(g->name), "unit", rep_json_text(g->unit),
			"low", opt(g->has_low, g->low),
			"high", opt(g->has_high, g->high), "first", rep_iso(t1, g->first_us),
			"last", rep_iso(t2, g->last_us), "n", (json_int_t)c->n,
			"mean", opt(c->n > 0, c->mean));

		if (c->pooled)
			json_object_update_new(o, json_pack("{s:I,s:I}", "subgroups",
							    (json_int_t)c->n_sub, "subgroup_df",
							    (json_int_t)c->df));
		json_object_update_new(o, json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			"moving_ranges", (json_int_t)c->n_mr, "mr_bar", opt(c->n_mr > 0, c->mr_bar),
			"sigma_within", opt(c->has_within, c->sigma_within),
			"sigma_overall", opt(c->has_overall, c->sigma_overall),
			"cp", opt(c->has_cp, c->cp), "cpk", opt(c->has_cpk, c->cpk),
			"pp", opt(c->has_pp, c->pp), "ppk", opt(c->has_ppk, c->ppk)));
		json_array_append_new(arr, o);
	}
	root = json_pack("{s:b,s:s,s:f,s:o}", "first_runs_only", !all_runs, "sigma_within",
			 a->subgroups ? "subgroups: fixture and UTC hour, pooled / c4" :
			 "moving range / d2", "d2", D2, "measurements", arr);
	rep_json_print(f, root, true);
	json_decref(root);
}

static void csv_num(FILE *f, bool has, double v)
{
	char buf[32];

	fputc(',', f);
	if (has && isfinite(v))
		fputs(rep_num(buf, v), f);
}

static void csv(FILE *f, const struct acc *a)
{
	char t[32];

	/* JSON's counts last, after the columns of before (a script reading
	 * ppk as the 18th keeps working) */
	fputs("sequence,sequence_version,step,name,unit,low,high,first,last,n,mean,mr_bar,"
	      "sigma_within,sigma_overall,cp,cpk,pp,ppk,moving_ranges", f);
	fputs(a->subgroups ? ",subgroups,subgroup_df\r\n" : "\r\n", f);
	for (int i = 0; i < a->n; i++) {
		const struct group *g = &a->g[i];
		const struct rep_cap *c = &g->cap;
		const char *txt[] = { g->sequence, g->version, g->step, g->name, g->unit };

		/* no sequence name: "-", as every section names it */
		fputs(g->sequence ? "" : "-", f);
		for (int k = 0; k < 5; k++) {
			if (k)
				fputc(',', f);
			rep_csv_field(f, txt[k]);
		}
		csv_num(f, g->has_low, g->low);
		csv_num(f, g->has_high, g->high);
		fprintf(f, ",%s", rep_iso(t, g->first_us));
		fprintf(f, ",%s,%lld", rep_iso(t, g->last_us), (long long)c->n);
		csv_num(f, c->n > 0, c->mean);
		csv_num(f, c->n_mr > 0, c->mr_bar);
		csv_num(f, c->has_within, c->sigma_within);
		csv_num(f, c->has_overall, c->sigma_overall);
		csv_num(f, c->has_cp, c->cp);
		csv_num(f, c->has_cpk, c->cpk);
		csv_num(f, c->has_pp, c->pp);
		csv_num(f, c->has_ppk, c->ppk);
		fprintf(f, ",%lld", (long long)c->n_mr);
		if (a->subgroups && c->pooled)
			fprintf(f, ",%lld,%lld", (long long)c->n_sub, (long long)c->df);
		else if (a->subgroups)
			fputs(",,", f);
		fputs("\r\n", f);
	}
}

/* No value: said with the filters in force, which may be why (a window
 * without runs, a fixture that is not there, first runs only). */
static int not_found(const struct rep_filter *f, bool all_runs, struct st_error *e)
{
	char buf[512];
	char *flt = st_text_show_dup(rep_filters_str(f, buf, sizeof(buf)));
	int ret = st_fail(e, ST_ERR_NOTFOUND, "no measurement with values in the runs selected "
			  "(filters: %s, %s)", flt ? flt : "?",
			  all_runs ? "every run" : "each unit's first run");

	free(flt);
	return ret;
}

/* The groups from the store's capability cells when it keeps them for f
 * (not from_rows; every run's with all_runs): combined by the store, or by
 * the report; else from the rows. */
static int read_groups(struct acc *a, const struct db_reader *rd, const struct rep_filter *f,
		       bool all_runs, bool from_rows, struct st_error *e)
{
	int ret = ST_ERR_NOTSUP;

	a->store = rd->ops->name;
	if (!from_rows) {
		/* (the central store's combined cells are of first runs) */
		if (!all_runs)
			ret = rd_capability_keys(rd, f, add_key, a, e);
		if (ret == ST_ERR_NOTSUP && !a->n)
			ret = rd_capability_sums(rd, f, all_runs, add_cell, a, e);
		/* a window off the hour: the log's cells and its minutes' */
		if (ret == ST_ERR_NOTSUP && !a->n)
			ret = rep_capedge_sums(rd, f, all_runs, add_cell, a, e);
		if (ret == ST_ERR_NOTSUP && a->n)
			return st_fail(e, ST_ERR_DB, "the %s answered capability cells, then "
				       "refused them", rd->ops->name);
	}
	if (ret == ST_ERR_NOTSUP)
		ret = rd_capability_rows(rd, f, !all_runs, add_row, a, e);
	if (finish(a) && !ret)
		ret = ST_ERR_NOMEM;
	return ret;
}

int report_capability(FILE *out, const struct db_reader *rd, const struct rep_filter *f,
		      bool all_runs, bool subgroups, bool from_rows, const char *format,
		      struct st_error *e)
{
	struct acc a = { .e = e, .subgroups = subgroups };
	int ret = read_groups(&a, rd, f, all_runs, from_rows, e), n = 0;

	for (int i = 0; i < a.n; i++)
		n += a.g[i].cap.n > 0;
	if (!ret && !n)		/* as --spc's: exit status 1, nothing printed */
		ret = not_found(f, all_runs, e);
	if (!ret && !strcmp(format, "json"))
		json(out, &a, all_runs);
	else if (!ret && !strcmp(format, "csv"))
		csv(out, &a);
	else if (!ret)
		text(out, &a, f, all_runs);
	for (int i = 0; i < a.n; i++) {
		free(a.g[i].sequence);
		free(a.g[i].version);
		free(a.g[i].step);
		free(a.g[i].name);
		free(a.g[i].unit);
	}
	free(a.g);
	return ret;
}
