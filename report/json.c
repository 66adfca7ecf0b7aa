/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report as JSON (one document) and as CSV in long form
 * (section,key,metric,value), which a spreadsheet pivots and a script
 * filters without knowing the report's layout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#include "report/report-internal.h"

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *opt(bool has, double v)
{
	return has ? num(v) : json_null();
}

/* Text from the log, or from an argument, as a JSON string.  jansson takes
 * only UTF-8, and a log edited by hand may hold other bytes: they go in as
 * the log stores them (common/text.h, \xNN), so no entry is dropped for its
 * text.  Every string of a report's JSON that did not come from us goes
 * through here (docs/database.md, JSON and bytes that are not UTF-8). */
json_t *rep_json_text(const char *s)
{
	char *u;
	json_t *j;

	if (!s)
		return json_null();
	if (st_text_is_utf8(s))
		return json_string(s);
	u = st_text_utf8_dup(s);
	j = u ? json_string(u) : NULL;
	free(u);
	return j;
}

int rep_json_set(json_t *o, const char *key, json_t *v)
{
	char *u;
	int ret;

	if (st_text_is_utf8(key))
		return json_object_set_new(o, key, v);
	u = st_text_utf8_dup(key);
	if (!u) {
		json_decref(v);
		return -1;
	}
	ret = json_object_set_new(o, u, v);
	free(u);
	return ret;
}


static json_t *filters(const struct rep_filter *f)
{
	char a[32], b[32];

	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			 "since", f->has_since ? json_string(rep_iso(a, f->since_us)) : json_null(),
			 "until", f->has_until ? json_string(rep_iso(b, f->until_us)) : json_null(),
			 "fixture", rep_json_text(f->fixture), "sequence", rep_json_text(f->seq_name),
			 "sequence_version", rep_json_text(f->seq_version), "outcome", rep_json_text(f->outcome),
			 "serial", rep_json_text(f->serial), "operator", rep_json_text(f->operator_name),
			 "work_order", rep_json_text(f->work_order), "part_number", rep_json_text(f->part_number),
			 "revision", rep_json_text(f->revision), "station", rep_json_text(f->station));
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

/* A known tail: its bins holding values, nearest first, as {lo, hi, count}. */
static json_t *tail_json(const struct rep_meas *m, int side)
{
	json_t *a = json_array();

	for (int j = 0; j < m->tail[side].n; j++) {
		double lo, hi;

		if (!m->tail[side].count[j])
			continue;
		rep_tail_range(m, side, j, &lo, &hi);
		json_array_append_new(a, json_pack("{s:o,s:o,s:I}", "lo", num(lo), "hi", num(hi),
						   "count", (json_int_t)m->tail[side].count[j]));
	}
	return a;
}

static json_t *measurement(const struct rep_meas *m)
{
	json_t *bins = json_array();
	json_t *o;

	for (int i = 0; i < m->nbins; i++)
		json_array_append_new(bins, json_integer(m->bins[i]));
	/* a figure that is not finite (an infinity edited into the log) is
	 * null: jansson takes none, and the entry would be lost */
	o = json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I}",
		      "sequence", rep_json_text(m->sequence), "step", rep_json_text(m->step), "name", rep_json_text(m->name),
		      "unit", rep_json_text(m->unit), "n", (json_int_t)m->n, "mean", num(m->mean),
		      "sigma", opt(m->has_sigma, m->sigma), "min", num(m->min), "max", num(m->max),
		      "low", opt(m->has_low, m->low), "high", opt(m->has_high, m->high),
		      "ppk", opt(m->has_ppk, m->ppk), "beyond_low", (json_int_t)m->out_low,
		      "beyond_high", (json_int_t)m->out_high);
	json_object_set_new(o, "pp", opt(m->has_pp, m->pp));
	json_object_set_new(o, "histogram", json_pack("{s:o,s:o,s:o,s:b,s:b}", "lo", num(m->lo),
						      "width", num(m->width), "counts", bins,
						      "open_low", m->open_low, "open_high", m->open_high));
	json_object_set_new(json_object_get(o, "histogram"), "tail_low", tail_json(m, 0));
	json_object_set_new(json_object_get(o, "histogram"), "tail_high", tail_json(m, 1));
	return o;
}

/* The Pareto by failure mode: measurement and side, most first. */
static json_t *modes_json(const struct report *r)
{
	json_t *a = json_array();
	int64_t cum = 0;

	for (int i = 0; i < r->nmodes; i++) {
		const struct rep_mode *m = &r->modes[i];

		cum += m->count;
		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:s,s:I,s:o,s:o}",
			"sequence", rep_json_text(m->sequence), "step", rep_json_text(m->step),
			"name", rep_json_text(m->name),
			"side", m->high ? "high" : "low", "count", (json_int_t)m->count,
			"share", num(rep_ratio(m->count, r->mode_total)),
			"cumulative", num(rep_ratio(cum, r->mode_total))));
	}
	return a;
}

int report_json(FILE *f, const struct report *r)
{
	json_t *root = json_pack("{s:o,s:o}", "log", rep_json_text(r->db_path), "filters", filters(r->f));
	json_t *days = json_array(), *fails = json_array(), *meas = json_array();
	char now[32];
	int64_t cum = 0;

	json_object_set_new(root, "stations", rep_json_text(r->stations));
	json_object_set_new(root, "generated", json_string(rep_now_iso(now)));
	json_object_set_new(root, "timezone", json_string("UTC"));
	json_object_set_new(root, "total", counts(&r->total));
	json_object_set_new(root, "cms_insecure", json_integer(r->cms_insecure));
	json_object_set_new(root, "suspect_marks", json_integer((json_int_t)r->suspects));
	json_object_set_new(root, "with_errors", json_boolean(r->with_errors));
	json_object_set_new(root, "error_runs", json_integer((json_int_t)r->errors));
	json_object_set_new(root, "aborted_runs", json_integer((json_int_t)r->aborted));
	json_object_set_new(root, "unidentified_runs", json_integer((json_int_t)r->unidentified));
	for (int i = 0; i < r->ndays; i++) {
		json_t *d = json_pack("{s:s}", "day", r->days[i].day);
		json_t *c = counts(&r->days[i].c);

		json_object_update(d, c);	/* "day" first, for the reader */
		json_decref(c);
		json_array_append_new(days, d);
	}
	for (int i = 0; i < r->nfails; i++) {
		cum += r->fails[i].count;
		json_array_append_new(fails, json_pack("{s:o,s:I,s:o,s:o}", "step",
			rep_json_text(r->fails[i].step), "count", (json_int_t)r->fails[i].count,
			"share", num(rep_ratio(r->fails[i].count, r->fail_total)),
			"cumulative", num(rep_ratio(cum, r->fail_total))));
	}
	for (int i = 0; i < r->nmeas; i++)
		json_array_append_new(meas, measurement(&r->meas[i]));
	json_object_set_new(root, "days", days);
	json_object_set_new(root, "failures", fails);
	json_object_set_new(root, "failure_modes", modes_json(r));
	json_object_set_new(root, "measurements", meas);
	rep_json_print(f, root, true);
	json_decref(root);
	return 0;
}

void rep_csv_metric(FILE *f, const char *section, const char *key, const char *metric, double v)
{
	char buf[32];

	rep_csv_field(f, section);
	fputc(',', f);
	rep_csv_field(f, key);
	fputc(',', f);
	rep_csv_field(f, metric);
	fputc(',', f);
	if (isfinite(v))	/* none, or an infinity edited into the log: empty */
		fputs(rep_num(buf, v), f);
	fputs("\r\n", f);
}

static void counts_rows(FILE *f, const char *section, const char *key,
			const struct rep_counts *c)
{
	rep_csv_metric(f, section, key, "runs", (double)c->runs);
	rep_csv_metric(f, section, key, "units", (double)c->units);
	rep_csv_metric(f, section, key, "passed", (double)c->passed);
	rep_csv_metric(f, section, key, "yield", rep_ratio(c->passed, c->units));
	rep_csv_metric(f, section, key, "first_units", (double)c->first_units);
	rep_csv_metric(f, section, key, "first_passed", (double)c->first_passed);
	rep_csv_metric(f, section, key, "first_pass_yield", rep_ratio(c->first_passed, c->first_units));
}

static void meas_rows(FILE *f, const struct rep_meas *m)
{
	char key[512];

	rep_meas_key(m, key, sizeof(key));
	rep_csv_metric(f, "measurement", key, "n", (double)m->n);
	rep_csv_metric(f, "measurement", key, "mean", m->mean);
	rep_csv_metric(f, "measurement", key, "sigma", m->has_sigma ? m->sigma : NAN);
	rep_csv_metric(f, "measurement", key, "min", m->min);
	rep_csv_metric(f, "measurement", key, "max", m->max);
	rep_csv_metric(f, "measurement", key, "low", m->has_low ? m->low : NAN);
	rep_csv_metric(f, "measurement", key, "high", m->has_high ? m->high : NAN);
	rep_csv_metric(f, "measurement", key, "pp", m->has_pp ? m->pp : NAN);
	rep_csv_metric(f, "measurement", key, "ppk", m->has_ppk ? m->ppk : NAN);
	rep_csv_metric(f, "measurement", key, "beyond_low", (double)m->out_low);
	rep_csv_metric(f, "measurement", key, "beyond_high", (double)m->out_high);
}

int report_csv(FILE *f, const struct report *r)
{
	int64_t cum = 0;

	char buf[1024], now[32];

	fputs("section,key,metric,value\r\n", f);
	fputs("report,,filters,", f);
	rep_csv_field(f, rep_filters_str(r->f, buf, sizeof(buf)));
	fprintf(f, "\r\nreport,,generated,%s\r\n", rep_now_iso(now));
	fputs("report,,stations,", f);
	rep_csv_field(f, r->stations ? r->stations : "");
	fputs("\r\nreport,,timezone,UTC\r\n", f);
	counts_rows(f, "total", "", &r->total);
	rep_csv_metric(f, "total", "", "cms_insecure", (double)r->cms_insecure);
	rep_csv_metric(f, "total", "", "suspect_marks", (double)r->suspects);
	rep_csv_metric(f, "total", "", "error_runs", (double)r->errors);
	rep_csv_metric(f, "total", "", "aborted_runs", (double)r->aborted);
	rep_csv_metric(f, "total", "", "unidentified_runs", (double)r->unidentified);
	for (int i = 0; i < r->ndays; i++)
		counts_rows(f, "day", r->days[i].day, &r->days[i].c);
	for (int i = 0; i < r->nfails; i++) {
		cum += r->fails[i].count;
		rep_csv_metric(f, "failures", r->fails[i].step, "count", (double)r->fails[i].count);
		rep_csv_metric(f, "failures", r->fails[i].step, "share",
		    rep_ratio(r->fails[i].count, r->fail_total));
		rep_csv_metric(f, "failures", r->fails[i].step, "cumulative", rep_ratio(cum, r->fail_total));
	}
	cum = 0;
	for (int i = 0; i < r->nmodes; i++) {
		const struct rep_mode *m = &r->modes[i];
		char key[512];

		cum += m->count;
		snprintf(key, sizeof(key), "%s/%s/%s %s", m->sequence ? m->sequence : "-", m->step,
			 m->name, m->high ? "high" : "low");
		rep_csv_metric(f, "failure_mode", key, "count", (double)m->count);
		rep_csv_metric(f, "failure_mode", key, "share", rep_ratio(m->count, r->mode_total));
		rep_csv_metric(f, "failure_mode", key, "cumulative", rep_ratio(cum, r->mode_total));
	}
	for (int i = 0; i < r->nmeas; i++)
		meas_rows(f, &r->meas[i]);
	return 0;
}
