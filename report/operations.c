/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --operations: yield and first-pass yield per operation
 * (sequence), computed over the same units, the rolled throughput yield
 * across operations, the runs the station could not judge, and how many
 * runs each unit took.  Definitions: docs/quality.md.
 *
 *   units       identified units with a judged run (pass or fail) of the
 *               operation in the selection; error and aborted runs are the
 *               station's fault (a fixture, a wire, an operator stopping),
 *               not the board's, so they judge nobody unless asked
 *   yield       units with a passing run / units
 *   FPY         units whose first judged run of the operation passed /
 *               units whose first judged run of it is selected
 *   RTY         the product of the operations' FPY: the share of units
 *               that go through every operation without a retest
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "report/report-internal.h"

#define MAX_RETEST 64	/* runs-per-unit counts kept; more go in the last */

struct op {
	char *name;	/* "-" for runs without a sequence name (none) */
	bool none;
	int64_t runs, errors, aborted, skipped, unidentified;
	int64_t units, passed, first_units, first_passed;
	int64_t per_unit[MAX_RETEST + 1];	/* [k]: units with k judged runs */
};

struct ops {
	struct op *o;
	int n;
	struct st_error *e;
};

static int64_t ival(const struct db_value *v)
{
	return v->type == DB_INT ? v->i : v->type == DB_REAL ? (int64_t)v->d : 0;
}

static struct op *find(struct ops *c, const struct db_value *name)
{
	bool none = name->type != DB_TEXT;
	const char *s = none ? "-" : name->s;

	for (int i = 0; i < c->n; i++)
		if (c->o[i].none == none && !strcmp(c->o[i].name, s))
			return &c->o[i];
	return NULL;
}

/* DB_OP_TOTALS rows, one per operation. */
static int add_total(void *ctx, const struct db_row *row)
{
	struct ops *c = ctx;
	struct op *no, *o;

	if (row->columns_only)
		return 0;
	no = realloc(c->o, (c->n + 1) * sizeof(*no));
	if (!no)
		return st_fail(c->e, ST_ERR_NOMEM, "out of memory");
	c->o = no;
	o = &c->o[c->n++];
	memset(o, 0, sizeof(*o));
	/* no sequence name: "-", as the report's other sections name it */
	o->none = row->v[0].type != DB_TEXT;
	o->name = strdup(o->none ? "-" : row->v[0].s);
	if (!o->name)
		return st_fail(c->e, ST_ERR_NOMEM, "out of memory");
	o->runs = ival(&row->v[1]);
	o->errors = ival(&row->v[2]);
	o->aborted = ival(&row->v[3]);
	o->skipped = ival(&row->v[4]);
	o->unidentified = ival(&row->v[5]);
	o->units = ival(&row->v[6]);
	o->passed = ival(&row->v[7]);
	o->first_units = ival(&row->v[8]);
	o->first_passed = ival(&row->v[9]);
	return 0;
}

/* DB_OP_RETESTS rows: operation, runs, units. */
static int add_retest(void *ctx, const struct db_row *row)
{
	struct ops *c = ctx;
	struct op *o;
	int64_t k;

	if (row->columns_only || !(o = find(c, &row->v[0])))
		return 0;
	k = ival(&row->v[1]);
	o->per_unit[k < MAX_RETEST ? k : MAX_RETEST] += ival(&row->v[2]);
	return 0;
}

/* The product of the FPYs; NAN when an operation has none. */
static double rty(const struct ops *c)
{
	double p = 1;

	for (int i = 0; i < c->n; i++)
		p *= rep_ratio(c->o[i].first_passed, c->o[i].first_units);
	return c->n ? p : NAN;
}

static const char *pct(char buf[16], double v)
{
	if (isnan(v))
		return "-";
	snprintf(buf, 16, "%.1f%%", 100 * v);
	return buf;
}

static void text(FILE *f, const struct ops *c, const struct rep_filter *flt, bool with_errors)
{
	char a[16], b[16], fl[1024];
	int wn = 20;

	for (int i = 0; i < c->n; i++)
		wn = rep_col_width(wn, c->o[i].name);
	fprintf(f, "operations (filters: %s)\njudged: pass, fail%s; units are identified units\n\n",
		rep_filters_str(flt, fl, sizeof(fl)), with_errors ?
		", error and aborted (--with-errors: counted as failures)" :
		" (error and aborted runs are the station's, counted apart)");
	fputs("  ", f);
	rep_col(f, "operation", wn);
	fprintf(f, " %6s %6s %6s %7s %6s %6s %7s %6s %7s %12s\n", "runs",
		"units", "passed", "yield", "first", "passed", "FPY", "error", "aborted",
		"unidentified");
	for (int i = 0; i < c->n; i++) {
		const struct op *o = &c->o[i];

		fputs("  ", f);
		rep_col(f, o->name, wn);
		fprintf(f, " %6lld %6lld %6lld %7s %6lld %6lld %7s %6lld %7lld %12lld\n",
			(long long)o->runs, (long long)o->units,
			(long long)o->passed, pct(a, rep_ratio(o->passed, o->units)),
			(long long)o->first_units, (long long)o->first_passed,
			pct(b, rep_ratio(o->first_passed, o->first_units)), (long long)o->errors,
			(long long)o->aborted, (long long)o->unidentified);
	}
	if (!c->n)
		fputs("  (no runs)\n", f);
	fprintf(f, "\nrolled throughput yield (product of FPY): %s\n", pct(a, rty(c)));
	fputs("\nruns per unit (1 = no retest)\n", f);
	for (int i = 0; i < c->n; i++) {
		fputs("  ", f);
		rep_col(f, c->o[i].name, wn);
		for (int k = 1; k <= MAX_RETEST; k++)
			if (c->o[i].per_unit[k])
				fprintf(f, "  %s%d: %lld", k == MAX_RETEST ? ">=" : "", k,
					(long long)c->o[i].per_unit[k]);
		fputc('\n', f);
	}
}

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static void json(FILE *f, const struct ops *c, bool with_errors)
{
	json_t *arr = json_array(), *root;

	for (int i = 0; i < c->n; i++) {
		const struct op *o = &c->o[i];
		json_t *per = json_object();
		char k[16];

		for (int n = 1; n <= MAX_RETEST; n++)
			if (o->per_unit[n]) {
				snprintf(k, sizeof(k), "%s%d", n == MAX_RETEST ? ">=" : "", n);
				json_object_set_new(per, k, json_integer(o->per_unit[n]));
			}
		json_array_append_new(arr, json_pack(
			"{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:o,s:o}",
			"operation", rep_json_text(o->name), "runs", (json_int_t)o->runs,
			"errors", (json_int_t)o->errors, "aborted", (json_int_t)o->aborted,
			"skipped", (json_int_t)o->skipped,
			"unidentified", (json_int_t)o->unidentified, "units", (json_int_t)o->units,
			"passed", (json_int_t)o->passed, "yield", num(rep_ratio(o->passed, o->units)),
			"first_units", (json_int_t)o->first_units,
			"first_passed", (json_int_t)o->first_passed,
			"first_pass_yield", num(rep_ratio(o->first_passed, o->first_units)),
			"runs_per_unit", per));
	}
	root = json_pack("{s:b,s:o,s:o}", "with_errors", with_errors, "operations", arr,
			 "rolled_throughput_yield", num(rty(c)));
	rep_json_print(f, root, true);
	json_decref(root);
}

/* A CSV row of operation o: its name is outside text, defused as a
 * formula, except our own "-" for none, written as it is. */
static void op_metric(FILE *f, const struct op *o, const char *metric, double v)
{
	char buf[32];

	if (!o->none) {
		rep_csv_metric(f, "operation", o->name, metric, v);
		return;
	}
	fprintf(f, "operation,-,%s,", metric);
	if (!isnan(v))
		fputs(rep_num(buf, v), f);
	fputs("\r\n", f);
}

static void csv(FILE *f, const struct ops *c)
{
	fputs("section,key,metric,value\r\n", f);
	for (int i = 0; i < c->n; i++) {
		const struct op *o = &c->o[i];
		const struct {
			const char *m;
			double v;
		} m[] = {
			{ "runs", (double)o->runs }, { "units", (double)o->units },
			{ "passed", (double)o->passed }, { "yield", rep_ratio(o->passed, o->units) },
			{ "first_units", (double)o->first_units },
			{ "first_passed", (double)o->first_passed },
			{ "first_pass_yield", rep_ratio(o->first_passed, o->first_units) },
			{ "errors", (double)o->errors }, { "aborted", (double)o->aborted },
			{ "skipped", (double)o->skipped }, { "unidentified", (double)o->unidentified },
		};
		char k[32];

		for (size_t j = 0; j < sizeof(m) / sizeof(m[0]); j++)
			op_metric(f, o, m[j].m, m[j].v);
		for (int n = 1; n <= MAX_RETEST; n++)
			if (o->per_unit[n]) {
				snprintf(k, sizeof(k), "runs_per_unit_%s%d", n == MAX_RETEST ? "ge" : "",
					 n);
				op_metric(f, o, k, (double)o->per_unit[n]);
			}
	}
	rep_csv_metric(f, "total", "", "rolled_throughput_yield", rty(c));
}

int report_operations(FILE *out, const struct db_reader *rd, const struct rep_filter *f, bool with_errors,
		      const char *format, struct st_error *e)
{
	struct ops c = { .e = e };
	int ret = rd_operation_rows(rd, DB_OP_TOTALS, f, with_errors, add_total, &c, e);

	if (!ret)
		ret = rd_operation_rows(rd, DB_OP_RETESTS, f, with_errors, add_retest, &c, e);
	if (!ret && !strcmp(format, "json"))
		json(out, &c, with_errors);
	else if (!ret && !strcmp(format, "csv"))
		csv(out, &c);
	else if (!ret)
		text(out, &c, f, with_errors);
	for (int i = 0; i < c.n; i++)
		free(c.o[i].name);
	free(c.o);
	return ret;
}
