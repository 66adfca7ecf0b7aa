/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report as one self-contained HTML file a quality engineer can
 * mail: inline CSS and inline SVG charts (yield over time; a histogram per
 * measurement with its limit and mean lines), no script, no external
 * resource of any kind.  Every text from the log is shown as common/text.h
 * says and HTML-escaped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "report/report-internal.h"

#define CW 640		/* chart size in px */
#define CH 200
#define PAD 36

/* Text from the log as shown (common/text.h: controls and bidirectional
 * overrides escaped, so a board's reply cannot reorder what is read), then
 * HTML-escaped. */
void rep_html_esc(FILE *f, const char *text)
{
	char *shown = text ? st_text_show_dup(text) : NULL;

	for (const char *s = shown; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
	free(shown);
}

static void pct_cell(FILE *f, double v)
{
	if (isnan(v))
		fputs("<td>-</td>", f);
	else
		fprintf(f, "<td>%.1f%%</td>", 100 * v);
}

static void head(FILE *f, const struct report *r)
{
	char buf[1024], now[32];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
	      "station report</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#222}\n"
	      "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
	      "td,th{border:1px solid #bbb;padding:.2em .6em;text-align:right}\n"
	      "th{background:#eee}td:first-child,td.name{text-align:left}\n"
	      ".lim{stroke:#c00;stroke-width:2;stroke-dasharray:6 4}\n"
	      ".mean{stroke:#06c;stroke-width:2}.bar{fill:#7a9}.out{fill:#d88}\n"
	      ".tail{stroke:#a00;stroke-width:2;stroke-dasharray:3 2}.far{stroke:#555;stroke-width:1}\n"
	      ".ax{stroke:#555}.grid{stroke:#ddd}text{font-size:11px}\n"
	      ".pbar{fill:#c66}.zoom{fill:#a00}.warn{color:#a00;font-weight:bold}\n"
	      "</style></head><body>\n<h1>station report</h1>\n<p>log: <code>", f);
	rep_html_esc(f, r->db_path);
	fputs("</code><br>filters: ", f);
	rep_html_esc(f, rep_filters_str(r->f, buf, sizeof(buf)));
	fputs("<br>stations: ", f);
	rep_html_esc(f, r->stations ? r->stations : "-");
	fprintf(f, "<br>generated %s; ", rep_now_iso(now));
	if (r->days_tz) {
		fputs("times in <span class=\"tz\">UTC</span>; days in the plant's time zone ", f);
		rep_html_esc(f, r->days_tz);
		fputs(" (station.yaml), counted as <code>station report --group-by day</code> "
		      "counts them", f);
	} else {
		rep_html_zone(f, r->plant_tz);
	}
	fputs("</p>\n", f);
}

void rep_html_zone(FILE *f, const char *plant_tz)
{
	fputs("times and days in <span class=\"tz\">UTC</span>", f);
	if (!plant_tz || !*plant_tz || !strcmp(plant_tz, "UTC"))
		return;
	fputs(", not in the plant's time zone ", f);
	rep_html_esc(f, plant_tz);
	fputs(" (station.yaml; <code>station report --group-by day|hour|shift</code> counts in "
	      "it)", f);
}

static void yield_table(FILE *f, const struct report *r)
{
	const struct rep_counts *t = &r->total;

	fputs("<h2>Yield</h2>\n<table><tr><th></th><th>units</th><th>passed</th><th>yield</th>"
	      "</tr>\n", f);
	fprintf(f, "<tr><td>yield</td><td>%lld</td><td>%lld</td>", (long long)t->units,
		(long long)t->passed);
	pct_cell(f, rep_ratio(t->passed, t->units));
	fprintf(f, "</tr>\n<tr><td>first pass</td><td>%lld</td><td>%lld</td>",
		(long long)t->first_units, (long long)t->first_passed);
	pct_cell(f, rep_ratio(t->first_passed, t->first_units));
	fprintf(f, "</tr></table>\n<p>%lld run%s</p>\n", (long long)t->runs,
		t->runs == 1 ? "" : "s");
	if (r->with_errors)
		fprintf(f, "<p>with errors: %lld error and %lld aborted runs judged as failures; "
			"%lld run%s without a serial (no unit: not in the yield)</p>\n", (long long)r->errors,
			(long long)r->aborted, (long long)r->unidentified,
			r->unidentified == 1 ? "" : "s");
	else if (r->errors || r->aborted || r->unidentified)
		fprintf(f, "<p>not judged: %lld error and %lld aborted runs (the station's, not the "
			"boards'); %lld run%s without a serial (no unit: not in the yield)</p>\n", (long long)r->errors,
			(long long)r->aborted, (long long)r->unidentified,
			r->unidentified == 1 ? "" : "s");
	if (r->suspects)
		fprintf(f, "<p class=\"warn\">suspect: %lld mark%s (cloned identities: quarantine; "
			"see station trace)</p>\n", (long long)r->suspects, r->suspects == 1 ? "" : "s");
	if (!r->ndays)
		return;
	fputs("<table><tr><th>day (", f);
	rep_html_esc(f, r->days_tz ? r->days_tz : "UTC");
	fputs(")</th><th>runs</th><th>units</th><th>passed</th><th>yield</th>"
	      "<th>first-pass yield</th></tr>\n", f);
	for (int i = 0; i < r->ndays; i++) {
		const struct rep_counts *c = &r->days[i].c;

		fprintf(f, "<tr><td>%s</td><td>%lld</td><td>%lld</td><td>%lld</td>", r->days[i].day,
			(long long)c->runs, (long long)c->units, (long long)c->passed);
		pct_cell(f, rep_ratio(c->passed, c->units));
		pct_cell(f, rep_ratio(c->first_passed, c->first_units));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static double day_x(int i, int n)
{
	return n > 1 ? PAD + (double)i * (CW - 2 * PAD) / (n - 1) : CW / 2.0;
}

/* A line with a dot per day: a single day still shows. */
static void yield_line(FILE *f, const struct report *r, bool first, const char *color,
		       double y0)
{
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < r->ndays; i++) {
			const struct rep_counts *c = &r->days[i].c;
			double v = first ? rep_ratio(c->first_passed, c->first_units) :
				   rep_ratio(c->passed, c->units);
			double x = day_x(i, r->ndays);
			double y = CH - PAD - (v - y0) / (1 - y0) * (CH - 2 * PAD);

			if (isnan(v))
				continue;
			if (pass == 0)
				fprintf(f, "%.1f,%.1f ", x, y);
			else
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">"
					"<title>%s: %.1f%%</title></circle>\n", x, y, color,
					r->days[i].day, 100 * v);
		}
		if (pass == 0)
			fputs("\"/>\n", f);
	}
}

/* The y axis' bottom: 0, or a 10 % step below the lowest value when all
 * are high, so that a move of a few points shows (the axis says so). */
static double axis_floor(const struct report *r)
{
	double lo = 1;

	for (int i = 0; i < r->ndays; i++) {
		const struct rep_counts *c = &r->days[i].c;
		double a = rep_ratio(c->passed, c->units), b = rep_ratio(c->first_passed,
									 c->first_units);

		if (!isnan(a) && a < lo)
			lo = a;
		if (!isnan(b) && b < lo)
			lo = b;
	}
	lo = floor(lo * 10 - 0.5) / 10;
	return lo > 0 ? lo : 0;
}

/* Yield and first-pass yield per day; every `every`th day labelled and the
 * last, at most 9 labels, at least `every` days and (CW - 2 PAD) / 8 = 71
 * px apart: a date at 11 px is some 60 px wide (365 days: every 46th). */
static void yield_chart(FILE *f, const struct report *r)
{
	double y0;
	int every;

	if (!r->ndays)
		return;
	y0 = axis_floor(r);
	every = (r->ndays + 7) / 8;
	fprintf(f, "<h3>Yield over time</h3>\n<svg class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"yield over time\">\n", CW, CH,
		CW, CH);
	for (int k = 0; k <= 2; k++) {
		double v = y0 + k * (1 - y0) / 2, y = CH - PAD - k / 2.0 * (CH - 2 * PAD);

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			"<text x=\"2\" y=\"%.1f\">%.0f%%</text>\n", PAD, y, CW - PAD, y, y + 4,
			100 * v);
	}
	if (y0 > 0)	/* the axis does not start at 0: say so on it */
		fprintf(f, "<text class=\"zoom\" x=\"2\" y=\"%d\">axis from %.0f%%, not 0</text>\n",
			CH - 4, 100 * y0);
	for (int i = 0; i < r->ndays; i++)
		if ((i % every == 0 && r->ndays - 1 - i >= every) || i == r->ndays - 1)
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
				day_x(i, r->ndays), CH - PAD / 3, r->days[i].day);
	yield_line(f, r, false, "#393", y0);
	yield_line(f, r, true, "#06c", y0);
	fprintf(f, "<text x=\"%d\" y=\"14\" fill=\"#393\">yield</text><text x=\"%d\" y=\"14\" "
		"fill=\"#06c\">first-pass yield</text>\n</svg>\n", PAD, PAD + 60);
}

/* A bar per failing step (the first 15), longest first. */
static void pareto_chart(FILE *f, const struct report *r)
{
	int n = r->nfails < 15 ? r->nfails : 15, bh = 18, left = 180;
	int64_t top = r->nfails ? r->fails[0].count : 0;

	if (!n || top <= 0)
		return;
	fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"failures by step\">\n", CW, n * bh + 8, CW, n * bh + 8);
	for (int i = 0; i < n; i++) {
		double w = (double)r->fails[i].count / (double)top * (CW - left - 60);

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, i * bh + 14);
		rep_html_esc(f, r->fails[i].step);
		fprintf(f, "</text><rect class=\"pbar\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
			"height=\"%d\"/><text x=\"%.1f\" y=\"%d\">%lld</text>\n", left, i * bh + 3,
			w, bh - 5, left + w + 4, i * bh + 14, (long long)r->fails[i].count);
	}
	fputs("</svg>\n", f);
}

static void pareto_table(FILE *f, const struct report *r)
{
	int64_t cum = 0;

	fputs("<h2>Failures by step (Pareto)</h2>\n", f);
	if (!r->nfails) {
		fputs("<p>none</p>\n", f);
		return;
	}
	fputs("<table><tr><th>step</th><th>count</th><th>share</th><th>cumulative</th></tr>\n", f);
	for (int i = 0; i < r->nfails; i++) {
		cum += r->fails[i].count;
		fputs("<tr><td>", f);
		rep_html_esc(f, r->fails[i].step);
		fprintf(f, "</td><td>%lld</td>", (long long)r->fails[i].count);
		pct_cell(f, rep_ratio(r->fails[i].count, r->fail_total));
		pct_cell(f, rep_ratio(cum, r->fail_total));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	pareto_chart(f, r);
}

static void modes_table(FILE *f, const struct report *r)
{
	int64_t cum = 0;

	if (!r->nmodes)
		return;
	fputs("<h2>Failures by mode</h2>\n<table><tr><th>operation</th><th>step / measurement</th>"
	      "<th>side</th><th>count</th><th>share</th><th>cumulative</th></tr>\n", f);
	for (int i = 0; i < r->nmodes; i++) {
		const struct rep_mode *m = &r->modes[i];

		cum += m->count;
		fputs("<tr><td>", f);
		rep_html_esc(f, m->sequence ? m->sequence : "-");
		fputs("</td><td class=\"name\">", f);
		rep_html_esc(f, m->step);
		fputs(" / ", f);
		rep_html_esc(f, m->name);
		fprintf(f, "</td><td>%s</td><td>%lld</td>", m->high ? "high" : "low",
			(long long)m->count);
		pct_cell(f, rep_ratio(m->count, r->mode_total));
		pct_cell(f, rep_ratio(cum, r->mode_total));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* x of value v: each bin shown takes one slot of the same width, v
 * placed within its bin's slot (tail bins are wider than frame bins). */
static double hx(const struct rep_shown *b, int n, double v)
{
	double bw = (double)(CW - 2 * PAD) / n, at = 0;

	for (int i = 0; i < n; i++) {
		if (v >= b[i].hi && i < n - 1)
			continue;
		at = i + (b[i].hi > b[i].lo ? (v - b[i].lo) / (b[i].hi - b[i].lo) : 0);
		break;
	}
	return PAD + fmin(fmax(at, 0), n) * bw;
}

/* A vertical line at v, labelled at label_y (limits above, mean below, so
 * that a mean close to a limit stays readable). */
static void vline(FILE *f, const struct rep_shown *b, int n, const char *cls, const char *label,
		  double v, int label_y)
{
	double x = hx(b, n, v);

	fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
		"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s %.6g</text>\n", cls, x, PAD / 2,
		x, CH - PAD, x, label_y, label, v);
}

/* A bar's tooltip: its lower edge, or its range (tail bins), or how far
 * an open bin reaches. */
static void bar_title(FILE *f, const struct rep_meas *m, const struct rep_shown *b, bool first)
{
	if (b->open && first)
		fprintf(f, "below %.6g, down to %.6g", b->hi, m->min);
	else if (b->open)
		fprintf(f, "%.6g and above, up to %.6g", b->lo, m->max);
	else if (b->tail)
		fprintf(f, "%.6g to %.6g", b->lo, b->hi);
	else
		fprintf(f, "%.6g", b->lo);
}

static void histogram(FILE *f, const struct rep_meas *m)
{
	struct rep_shown b[REP_SHOWN_MAX];
	int n = rep_hist_shown(m, b);
	double bw = (double)(CW - 2 * PAD) / n;
	int64_t top = 1;

	for (int i = 0; i < n; i++)
		if (b[i].n > top)
			top = b[i].n;
	fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"histogram\">\n", CW, CH, CW, CH);
	fprintf(f, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", PAD, CH - PAD,
		CW - PAD, CH - PAD);
	for (int i = 0; i < n; i++) {
		double h = (double)b[i].n / (double)top * (CH - 2 * PAD - 10);

		if (b[i].gap)	/* empty tail bins: a break in the axis */
			fprintf(f, "<text class=\"gap\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
				"&#8230;<title>none from %.6g to %.6g</title></text>\n",
				PAD + (i + 0.5) * bw, CH - PAD - 2, b[i].lo, b[i].hi);
		if (!b[i].n)
			continue;
		fprintf(f, "<rect class=\"%s%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\"><title>", b[i].out ? "out" : "bar",
			b[i].open ? " tail" : b[i].tail ? " far" : "", PAD + i * bw + 1,
			CH - PAD - h, bw > 2 ? bw - 2 : bw, h);
		bar_title(f, m, &b[i], i == 0);
		fprintf(f, ": %lld</title></rect>\n", (long long)b[i].n);
	}
	/* the axis ends: the first and last bins' edges, or the furthest
	 * values when an open bin holds a tail */
	fprintf(f, "<text x=\"%d\" y=\"%d\">%s%.6g</text><text x=\"%d\" y=\"%d\" "
		"text-anchor=\"end\">%s%.6g</text>\n", PAD, CH - PAD + 14,
		b[0].open ? "min " : "", b[0].lo, CW - PAD, CH - PAD + 14,
		b[n - 1].open ? "max " : "", b[n - 1].hi);
	if (m->has_low)
		vline(f, b, n, "lim", "LSL", m->low, PAD / 2 - 4);
	if (m->has_high)
		vline(f, b, n, "lim", "USL", m->high, PAD / 2 - 4);
	vline(f, b, n, "mean", "mean", m->mean, CH - 6);
	fputs("</svg>\n", f);
}

static void measurement(FILE *f, const struct rep_meas *m)
{
	fputs("<h3>", f);
	rep_html_esc(f, m->sequence ? m->sequence : "-");
	fputs(" / ", f);
	rep_html_esc(f, m->step);
	fputs(" / ", f);
	rep_html_esc(f, m->name);
	if (m->unit) {
		fputs(" (", f);
		rep_html_esc(f, m->unit);
		fputs(")", f);
	}
	/* a limit changed without a new version is another section: say which */
	if (m->has_low)
		fprintf(f, " LSL %.6g", m->low);
	if (m->has_high)
		fprintf(f, " USL %.6g", m->high);
	fprintf(f, "</h3>\n<table><tr><th>n</th><th>mean</th><th>sigma</th><th>min</th><th>max"
		"</th><th>LSL</th><th>USL</th><th>Pp</th><th>Ppk</th></tr>\n<tr><td>%lld</td><td>%.6g</td>",
		(long long)m->n, m->mean);
	if (m->has_sigma)
		fprintf(f, "<td>%.6g</td>", m->sigma);
	else
		fputs("<td>-</td>", f);
	fprintf(f, "<td>%.6g</td><td>%.6g</td>", m->min, m->max);
	if (m->has_low)
		fprintf(f, "<td>%.6g</td>", m->low);
	else
		fputs("<td>-</td>", f);
	if (m->has_high)
		fprintf(f, "<td>%.6g</td>", m->high);
	else
		fputs("<td>-</td>", f);
	if (m->has_pp)
		fprintf(f, "<td class=\"pp\">%.3f</td>", m->pp);
	else
		fputs("<td class=\"pp\">-</td>", f);
	if (m->has_ppk)
		fprintf(f, "<td class=\"ppk\">%.3f</td>", m->ppk);
	else
		fputs("<td class=\"ppk\">-</td>", f);
	fputs("</tr></table>\n", f);
	histogram(f, m);
}

int report_html(FILE *f, const struct report *r)
{
	head(f, r);
	if (r->cms_insecure)
		fprintf(f, "<p class=\"warn\">WARNING: %lld CMS call%s made with <code>cms.insecure"
			"</code>: the CMS's certificate and host were NOT verified for those units.</p>\n",
			(long long)r->cms_insecure, r->cms_insecure == 1 ? "" : "s");
	yield_table(f, r);
	yield_chart(f, r);
	pareto_table(f, r);
	modes_table(f, r);
	fputs("<h2>Measurements</h2>\n", f);
	if (!r->nmeas)
		fputs("<p>none</p>\n", f);
	for (int i = 0; i < r->nmeas; i++)
		measurement(f, &r->meas[i]);
	fputs("</body></html>\n", f);
	return 0;
}
