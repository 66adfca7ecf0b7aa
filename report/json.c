/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report as JSON (one document) and as CSV in long form
 * (section,key,metric,value), which a spreadsheet pivots and a script
 * filters without knowing the report's layout.
 */
#include <math.h>
#include <string.h>

#include "report/report-internal.h"

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *opt(bool has, double v)
{
	return has ? json_real(v) : json_null();
}

static json_t *str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *filters(const struct rep_filter *f)
{
	char a[32], b[32];

	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			 "since", f->has_since ? json_string(rep_iso(a, f->since_us)) : json_null(),
			 "until", f->has_until ? json_string(rep_iso(b, f->until_us)) : json_null(),
			 "fixture", str(f->fixture), "sequence", str(f->seq_name),
			 "sequence_version", str(f->seq_version), "outcome", str(f->outcome),
			 "serial", str(f->serial), "operator", str(f->operator_name),
			 "work_order", str(f->work_order), "part_number", str(f->part_number),
			 "revision", str(f->revision));
}

static json_t *counts(const struct rep_counts *c)
{
	return json_pack("{s:I,s:I,s:I,s:o,s:I,s:I,s:o}", "runs", (json_int_t)c->runs,
			 "units", (json_int_t)c->units, "passed", (json_int_t)c->passed,
			 "yield", num(rep_ratio(c->passed, c->units)),
			 "first_units", (json_int_t)c->first_units,
			 "first_passed", (json_int_t)c->first_passed,
			 "first_pass_yield", num(rep_ratio(c->first_passed, c->first_units)));
}

static json_t *measurement(const struct rep_meas *m)
{
	json_t *bins = json_array();
	json_t *o;

	for (int i = 0; i < m->nbins; i++)
		json_array_append_new(bins, json_integer(m->bins[i]));
	o = json_pack("{s:o,s:o,s:o,s:o,s:I,s:f,s:o,s:f,s:f,s:o,s:o,s:o,s:I,s:I}",
		      "sequence", str(m->sequence), "step", str(m->step), "name", str(m->name),
		      "unit", str(m->unit), "n", (json_int_t)m->n, "mean", m->mean,
		      "sigma", opt(m->has_sigma, m->sigma), "min", m->min, "max", m->max,
		      "low", opt(m->has_low, m->low), "high", opt(m->has_high, m->high),
		      "cpk", opt(m->has_cpk, m->cpk), "beyond_low", (json_int_t)m->out_low,
		      "beyond_high", (json_int_t)m->out_high);
	json_object_set_new(o, "histogram", json_pack("{s:f,s:f,s:o}", "lo", m->lo,
						      "width", m->width, "counts", bins));
	return o;
}

int report_json(FILE *f, const struct report *r)
{
	json_t *root = json_pack("{s:s,s:o}", "log", r->db_path, "filters", filters(r->f));
	json_t *days = json_array(), *fails = json_array(), *meas = json_array();
	int64_t cum = 0;

	json_object_set_new(root, "total", counts(&r->total));
	json_object_set_new(root, "cms_insecure", json_integer(r->cms_insecure));
	json_object_set_new(root, "suspect_marks", json_integer((json_int_t)r->suspects));
	for (int i = 0; i < r->ndays; i++) {
		json_t *d = json_pack("{s:s}", "day", r->days[i].day);
		json_t *c = counts(&r->days[i].c);

		json_object_update(d, c);	/* "day" first, for the reader */
		json_decref(c);
		json_array_append_new(days, d);
	}
	for (int i = 0; i < r->nfails; i++) {
		cum += r->fails[i].count;
		json_array_append_new(fails, json_pack("{s:s,s:I,s:o,s:o}", "step",
			r->fails[i].step, "count", (json_int_t)r->fails[i].count,
			"share", num(rep_ratio(r->fails[i].count, r->fail_total)),
			"cumulative", num(rep_ratio(cum, r->fail_total))));
	}
	for (int i = 0; i < r->nmeas; i++)
		json_array_append_new(meas, measurement(&r->meas[i]));
	json_object_set_new(root, "days", days);
	json_object_set_new(root, "failures", fails);
	json_object_set_new(root, "measurements", meas);
	rep_json_print(f, root, true);
	json_decref(root);
	return 0;
}

static void row(FILE *f, const char *section, const char *key, const char *metric, double v)
{
	char buf[32];

	rep_csv_field(f, section);
	fputc(',', f);
	rep_csv_field(f, key);
	fputc(',', f);
	rep_csv_field(f, metric);
	fputc(',', f);
	if (!isnan(v))
		fputs(rep_num(buf, v), f);
	fputs("\r\n", f);
}

static void counts_rows(FILE *f, const char *section, const char *key,
			const struct rep_counts *c)
{
	row(f, section, key, "runs", (double)c->runs);
	row(f, section, key, "units", (double)c->units);
	row(f, section, key, "passed", (double)c->passed);
	row(f, section, key, "yield", rep_ratio(c->passed, c->units));
	row(f, section, key, "first_units", (double)c->first_units);
	row(f, section, key, "first_passed", (double)c->first_passed);
	row(f, section, key, "first_pass_yield", rep_ratio(c->first_passed, c->first_units));
}

static void meas_rows(FILE *f, const struct rep_meas *m)
{
	char key[512];

	rep_meas_key(m, key, sizeof(key));
	row(f, "measurement", key, "n", (double)m->n);
	row(f, "measurement", key, "mean", m->mean);
	row(f, "measurement", key, "sigma", m->has_sigma ? m->sigma : NAN);
	row(f, "measurement", key, "min", m->min);
	row(f, "measurement", key, "max", m->max);
	row(f, "measurement", key, "low", m->has_low ? m->low : NAN);
	row(f, "measurement", key, "high", m->has_high ? m->high : NAN);
	row(f, "measurement", key, "cpk", m->has_cpk ? m->cpk : NAN);
	row(f, "measurement", key, "beyond_low", (double)m->out_low);
	row(f, "measurement", key, "beyond_high", (double)m->out_high);
}

int report_csv(FILE *f, const struct report *r)
{
	int64_t cum = 0;

	char buf[1024], now[32];

	fputs("section,key,metric,value\r\n", f);
	fputs("report,,filters,", f);
	rep_csv_field(f, rep_filters_str(r->f, buf, sizeof(buf)));
	fprintf(f, "\r\nreport,,generated,%s\r\n", rep_now_iso(now));
	counts_rows(f, "total", "", &r->total);
	row(f, "total", "", "cms_insecure", (double)r->cms_insecure);
	for (int i = 0; i < r->ndays; i++)
		counts_rows(f, "day", r->days[i].day, &r->days[i].c);
	for (int i = 0; i < r->nfails; i++) {
		cum += r->fails[i].count;
		row(f, "failures", r->fails[i].step, "count", (double)r->fails[i].count);
		row(f, "failures", r->fails[i].step, "share",
		    rep_ratio(r->fails[i].count, r->fail_total));
		row(f, "failures", r->fails[i].step, "cumulative", rep_ratio(cum, r->fail_total));
	}
	for (int i = 0; i < r->nmeas; i++)
		meas_rows(f, &r->meas[i]);
	return 0;
}
