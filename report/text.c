/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report as text for a terminal: yields, the Pareto of failing
 * steps, and per measurement its statistics, Pp/Ppk and a histogram with the
 * limits drawn in (bins beyond a limit are drawn with 'x').
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "report/report-internal.h"

#define BAR_MAX 40

void rep_filters_line(FILE *f, const struct rep_filter *flt)
{
	char buf[1024];
	char *shown = st_text_show_dup(rep_filters_str(flt, buf, sizeof(buf)));

	fprintf(f, "filters: %s\n", shown ? shown : "?");
	free(shown);
}

static const char *pct(char buf[16], double v)
{
	if (isnan(v))
		return "-";
	snprintf(buf, 16, "%.1f%%", 100 * v);
	return buf;
}

static void yields(FILE *f, const struct report *r)
{
	const struct rep_counts *t = &r->total;
	char a[16], b[16];

	fprintf(f, "\nyield        %6lld of %lld units passed   %s   (%lld run%s)\n",
		(long long)t->passed, (long long)t->units, pct(a, rep_ratio(t->passed, t->units)),
		(long long)t->runs, t->runs == 1 ? "" : "s");
	fprintf(f, "first pass   %6lld of %lld units passed   %s\n", (long long)t->first_passed,
		(long long)t->first_units, pct(a, rep_ratio(t->first_passed, t->first_units)));
	if (r->with_errors)
		fprintf(f, "with errors  %6lld error, %lld aborted runs judged as failures; %lld "
			"run%s without a serial (no unit: not in the yield); per operation: --operations\n",
			(long long)r->errors,
			(long long)r->aborted, (long long)r->unidentified,
			r->unidentified == 1 ? "" : "s");
	else if (r->errors || r->aborted || r->unidentified)
		fprintf(f, "not judged   %6lld error, %lld aborted runs (the station's, not the "
			"boards'); %lld run%s without a serial (no unit: not in the yield); per "
			"operation: --operations\n",
			(long long)r->errors, (long long)r->aborted, (long long)r->unidentified,
			r->unidentified == 1 ? "" : "s");
	if (r->suspects)
		fprintf(f, "suspect      %6lld mark%s (cloned identities: quarantine; see station "
			"trace)\n", (long long)r->suspects, r->suspects == 1 ? "" : "s");
	if (!r->ndays)
		return;
	fprintf(f, "\nyield by day\n  %-10s %6s %6s %7s %8s %11s\n", "day", "runs", "units",
		"passed", "yield", "first-pass");
	for (int i = 0; i < r->ndays; i++) {
		const struct rep_counts *c = &r->days[i].c;

		fprintf(f, "  %-10s %6lld %6lld %7lld %8s %11s\n", r->days[i].day,
			(long long)c->runs, (long long)c->units, (long long)c->passed,
			pct(a, rep_ratio(c->passed, c->units)),
			pct(b, rep_ratio(c->first_passed, c->first_units)));
	}
}

static void pareto(FILE *f, const struct report *r)
{
	char a[16], b[16];
	int64_t cum = 0;
	int ws = 28;

	if (!r->nfails) {
		fputs("\nfailures by step: none\n", f);
		return;
	}
	for (int i = 0; i < r->nfails; i++)
		ws = rep_col_width(ws, r->fails[i].step);
	fputs("\nfailures by step (Pareto)\n  ", f);
	rep_col(f, "step", ws);
	fprintf(f, " %6s %8s %11s\n", "count", "share", "cumulative");
	for (int i = 0; i < r->nfails; i++) {
		cum += r->fails[i].count;
		fputs("  ", f);
		rep_col(f, r->fails[i].step, ws);
		fprintf(f, " %6lld %8s %11s\n", (long long)r->fails[i].count,
			pct(a, rep_ratio(r->fails[i].count, r->fail_total)),
			pct(b, rep_ratio(cum, r->fail_total)));
	}
}

/* "step / measurement" of a mode, as stored (rep_col shows it). */
static void mode_what(const struct rep_mode *m, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s / %s", m->step, m->name);
}

/* Each mode with its operation (sequence; "-" for runs without one): two
 * sequences may measure a "vdd" of their own. */
static void modes(FILE *f, const struct report *r)
{
	char a[16], b[16], what[512];
	int64_t cum = 0;
	int wo = (int)strlen("operation"), ww = 28;

	if (!r->nmodes)
		return;
	for (int i = 0; i < r->nmodes; i++) {
		mode_what(&r->modes[i], what, sizeof(what));
		wo = rep_col_width(wo, r->modes[i].sequence ? r->modes[i].sequence : "-");
		ww = rep_col_width(ww, what);
	}
	fputs("\nfailures by mode (a measurement beyond a limit)\n  ", f);
	rep_col(f, "operation", wo);
	fputc(' ', f);
	rep_col(f, "step / measurement", ww);
	fprintf(f, " %-5s %6s %8s %11s\n", "side", "count", "share", "cumulative");
	for (int i = 0; i < r->nmodes; i++) {
		const struct rep_mode *m = &r->modes[i];

		cum += m->count;
		mode_what(m, what, sizeof(what));
		fputs("  ", f);
		rep_col(f, m->sequence ? m->sequence : "-", wo);
		fputc(' ', f);
		rep_col(f, what, ww);
		fprintf(f, " %-5s %6lld %8s %11s\n", m->high ? "high" : "low",
			(long long)m->count, pct(a, rep_ratio(m->count, r->mode_total)),
			pct(b, rep_ratio(cum, r->mode_total)));
	}
}

static void limit_mark(FILE *f, const char *which, double v)
{
	fprintf(f, "      %10s  ------------ %s %.6g ------------\n", "", which, v);
}

/* One bin's line: its label (lower edge), the bar, the count, a note. */
static void bin_line(FILE *f, const struct rep_shown *b, int64_t top, const char *label,
		     const char *note)
{
	int len = (int)((b->n * BAR_MAX + top - 1) / top);
	char bar[BAR_MAX + 1];

	memset(bar, b->out ? 'x' : '#', (size_t)len);
	bar[len] = '\0';
	fprintf(f, "      %10s |%-*s %lld%s\n", label, BAR_MAX, bar, (long long)b->n, note);
}

/* A tail bin wider than the others says its range, an open one (the tail
 * not known) how far it reaches, a gap of empty tail bins where it lies. */
static void shown_line(FILE *f, const struct rep_meas *m, const struct rep_shown *b, bool first,
		       int64_t top)
{
	char label[32], note[96] = "";

	snprintf(label, sizeof(label), "%.6g", b->lo);
	if (b->gap) {
		snprintf(label, sizeof(label), "...");
		snprintf(note, sizeof(note), " (none from %.6g to %.6g)", b->lo, b->hi);
	} else if (b->open && first) {
		snprintf(label, sizeof(label), "< %.6g", b->hi);
		snprintf(note, sizeof(note), " (down to min %.6g)", m->min);
	} else if (b->open) {
		snprintf(label, sizeof(label), ">= %.6g", b->lo);
		snprintf(note, sizeof(note), " (up to max %.6g)", m->max);
	} else if (b->wide) {
		snprintf(note, sizeof(note), " (%.6g to %.6g)", b->lo, b->hi);
	}
	bin_line(f, b, top, label, note);
}

static void histogram(FILE *f, const struct rep_meas *m)
{
	struct rep_shown b[REP_SHOWN_MAX];
	int n = rep_hist_shown(m, b);
	int64_t top = 1;
	bool lsl_done = !m->has_low, usl_done = !m->has_high;
	double eps = m->width * 1e-9;

	for (int i = 0; i < n; i++)
		if (b[i].n > top)
			top = b[i].n;
	for (int i = 0; i < n; i++) {
		if (!lsl_done && b[i].lo >= m->low - eps) {
			limit_mark(f, "LSL", m->low);
			lsl_done = true;
		}
		if (!usl_done && b[i].lo >= m->high - eps) {
			limit_mark(f, "USL", m->high);
			usl_done = true;
		}
		shown_line(f, m, &b[i], i == 0, top);
	}
	if (!lsl_done)
		limit_mark(f, "LSL", m->low);
	if (!usl_done)
		limit_mark(f, "USL", m->high);
}

static void measurement(FILE *f, const struct rep_meas *m)
{
	char *seq = st_text_show_dup(m->sequence ? m->sequence : "-");
	char *step = st_text_show_dup(m->step), *name = st_text_show_dup(m->name);
	char *unit = m->unit ? st_text_show_dup(m->unit) : NULL;

	fprintf(f, "\n  %s / %s / %s%s%s%s\n", seq ? seq : "?", step ? step : "?",
		name ? name : "?", unit ? " (" : "", unit ? unit : "", unit ? ")" : "");
	free(seq);
	free(step);
	free(name);
	free(unit);
	fprintf(f, "    n %lld  mean %.6g  sigma ", (long long)m->n, m->mean);
	if (m->has_sigma)
		fprintf(f, "%.6g", m->sigma);
	else
		fputs("-", f);
	fprintf(f, "  min %.6g  max %.6g\n    ", m->min, m->max);
	if (m->has_low)
		fprintf(f, "LSL %.6g  ", m->low);
	if (m->has_high)
		fprintf(f, "USL %.6g  ", m->high);
	if (m->has_pp)
		fprintf(f, "Pp %.3f  ", m->pp);
	if (m->has_ppk)
		fprintf(f, "Ppk %.3f", m->ppk);
	else
		fputs(m->has_low || m->has_high ? "Ppk -" : "no limits", f);
	fprintf(f, "  beyond limits: %lld low, %lld high\n", (long long)m->out_low,
		(long long)m->out_high);
	histogram(f, m);
}

int report_text(FILE *f, const struct report *r)
{
	char *st = st_text_show_dup(r->stations ? r->stations : "-");

	fprintf(f, "station report: %s\nstations: %s\n", r->db_path, st ? st : "?");
	free(st);
	rep_filters_line(f, r->f);
	if (r->cms_insecure)
		fprintf(f, "WARNING: %lld CMS call%s made with cms.insecure: the CMS's certificate "
			"and host were NOT verified for those units\n", (long long)r->cms_insecure,
			r->cms_insecure == 1 ? "" : "s");
	yields(f, r);
	pareto(f, r);
	modes(f, r);
	if (!r->nmeas) {
		fputs("\nmeasurements: none\n", f);
		return 0;
	}
	fputs("\nmeasurements (sequence / step / name)\n", f);
	for (int i = 0; i < r->nmeas; i++)
		measurement(f, &r->meas[i]);
	return 0;
}
