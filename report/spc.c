/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --spc NAME: individuals and moving-range (I-MR) charts of
 * one measurement, one per fixture, with the run rules flagged.
 *
 * Per fixture, the values in time order (each unit's first run unless all
 * runs are asked for) are the individuals x[i]; the moving ranges are
 * mr[i] = |x[i] - x[i-1]|.  The control limits come from a baseline: the
 * first `baseline` points.  Centre line CL = mean of the baseline, MR-bar =
 * mean of its moving ranges, sigma = MR-bar / d2 with d2 = 1.128 (the bias
 * of the range of two), UCL/LCL = CL +- 3 sigma, and the MR chart's upper
 * limit D4 MR-bar with D4 = 3.267 (Montgomery, Introduction to Statistical
 * Quality Control, ch. 6; NIST/SEMATECH e-Handbook 6.3.2).
 *
 * The rules (Nelson, J. Quality Technology 16(4), 1984; the first four
 * extend the Western Electric rules), each flagged on the point that
 * completes the pattern:
 *   1  a point beyond 3 sigma
 *   2  nine points in a row on one side of the centre line
 *   3  six points in a row steadily increasing or decreasing (a drift)
 *   5  two of three points beyond 2 sigma on one side
 *   6  four of five points beyond 1 sigma on one side
 *   mr a moving range above its upper limit (a jump between two units)
 *
 * A fixture of a long log has far more points than a chart can show or a
 * reader wants: with --last T, after the baseline only the latest T points
 * are shown, the SPC_CONTEXT before them read too so that the rules and the
 * first moving range look back as far as they would on every point.  The
 * store gives both ends (db/db_series.c) or every point, and the same
 * points are kept either way: the baseline, and a ring of the last
 * T + SPC_CONTEXT.  Points between the baseline and those are not shown,
 * whether or not they were read ("points between not shown"), so the log and
 * the central store draw the same chart.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "report/report-internal.h"

#define D2 1.128
#define D4 3.267
/* rule 2 looks back furthest: 9 points, the latest and 8 before it */
#define SPC_CONTEXT 8

enum { RULE_1 = 1 << 0, RULE_2 = 1 << 1, RULE_3 = 1 << 2, RULE_5 = 1 << 3, RULE_6 = 1 << 4,
       RULE_MR = 1 << 5 };

static const struct {
	int bit;
	const char *name, *what;
} rules[] = {
	{ RULE_1, "1", "beyond 3 sigma" },
	{ RULE_2, "2", "9 in a row on one side" },
	{ RULE_3, "3", "6 in a row rising or falling" },
	{ RULE_5, "5", "2 of 3 beyond 2 sigma" },
	{ RULE_6, "6", "4 of 5 beyond 1 sigma" },
	{ RULE_MR, "mr", "moving range above its limit" },
};

struct point {
	double x, mr;
	int64_t us;
	char *time, *serial, *run;
	int flags;
};

struct series {
	char *fixture;
	struct point *p;
	int n, cap;
	double cl, sigma, ucl, lcl, mrbar, mr_ucl;
	int base;
	bool limits;
	bool infinite;	/* the baseline holds an infinity: no limits */
	int after;	/* points after the baseline given (the ring's writes) */
	int seg;	/* > 0: p[seg] starts a run of points not after p[seg - 1] */
	int gap_after;	/* > 0: shown points p[0 .. gap_after) and the latest */
};

struct spc {
	struct series *s;
	int n;
	char *unit;
	bool unit_read;	/* the first point's unit is in unit (NULL: none) */
	char *seq;	/* the first point's sequence, when the store says */
	bool mixed;	/* a point of another unit or sequence than the first's */
	int head, ring;	/* kept of a fixture: the first head, the last ring (0: all) */
	struct st_error *e;
};

static char *dup_text(const struct db_value *v)
{
	return v->type == DB_TEXT ? strdup(v->s) : NULL;
}

static void point_free(struct point *p)
{
	free(p->time);
	free(p->serial);
	free(p->run);
}

/* Where the next point of s goes: appended, or over the oldest of the ring
 * of its latest points once that is full. */
static struct point *next_point(struct spc *c, struct series *s)
{
	struct point *p;

	if (s->n >= c->head)
		s->after++;
	if (c->ring && s->n == c->head + c->ring) {
		p = &s->p[c->head + (s->after - 1) % c->ring];
		point_free(p);
		return p;
	}
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 64;
		struct point *np = realloc(s->p, cap * sizeof(*np));

		if (!np)
			return NULL;
		s->p = np;
		s->cap = cap;
	}
	return &s->p[s->n++];
}

/* Rows: fixture, time, started_us, unit_serial, run_id, value, unit. */
static int add_row(void *ctx, const struct db_row *row)
{
	struct spc *c = ctx;
	struct series *s = c->n ? &c->s[c->n - 1] : NULL;
	struct point *p;
	const char *fx;

	if (row->columns_only)	/* its values are not set */
		return 0;
	fx = row->v[0].type == DB_TEXT ? row->v[0].s : "";
	if (!s || strcmp(s->fixture, fx)) {
		struct series *ns = realloc(c->s, (c->n + 1) * sizeof(*ns));

		if (!ns)
			return st_fail(c->e, ST_ERR_NOMEM, "out of memory");
		c->s = ns;
		s = &c->s[c->n++];
		memset(s, 0, sizeof(*s));
		s->fixture = strdup(fx);
	}
	p = next_point(c, s);
	if (!p)
		return st_fail(c->e, ST_ERR_NOMEM, "out of memory");
	memset(p, 0, sizeof(*p));
	p->time = dup_text(&row->v[1]);
	p->us = row->v[2].i;
	p->serial = dup_text(&row->v[3]);
	p->run = dup_text(&row->v[4]);
	p->x = row->v[5].type == DB_INT ? (double)row->v[5].i : row->v[5].d;
	if (!c->unit_read) {
		c->unit_read = true;
		c->unit = row->v[6].type == DB_TEXT ? strdup(row->v[6].s) : NULL;
		c->seq = row->n > 8 ? dup_text(&row->v[8]) : NULL;
	} else if ((row->v[6].type == DB_TEXT) != !!c->unit ||
		   (c->unit && strcmp(c->unit, row->v[6].s)) ||
		   (row->n > 8 && ((row->v[8].type == DB_TEXT) != !!c->seq ||
				   (c->seq && strcmp(c->seq, row->v[8].s))))) {
		c->mixed = true;	/* kinds the store's summaries did not know */
	}
	return 0;
}

/* --- one chart, one sequence and one unit -------------------------------- */
#define KINDS_KEPT 8

/* The sequences (and versions) and units of the name's values: the first
 * KINDS_KEPT of them (NULL: none), and how many. */
struct kind {
	char *seq, *ver, *unit;
	long long n;
};

struct kinds {
	struct kind k[KINDS_KEPT];
	int n;
	bool seqs, units;	/* a sequence, a unit other than the first's */
	bool version_units;	/* a sequence version in two units */
	struct kind prev;	/* the row before (rows ordered by seq, ver, unit) */
};

static bool eq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static void kind_free(struct kind *k)
{
	free(k->seq);
	free(k->ver);
	free(k->unit);
}

static void kind_set(struct kind *k, const struct db_row *row)
{
	k->seq = dup_text(&row->v[0]);
	k->ver = dup_text(&row->v[1]);
	k->unit = dup_text(&row->v[2]);
	k->n = row->v[3].i;
}

/* Rows: sequence_name, sequence_version, unit, n (db_meas_kinds()). */
static int add_kind(void *ctx, const struct db_row *row)
{
	struct kinds *ks = ctx;
	struct kind k;

	if (row->columns_only)
		return 0;
	kind_set(&k, row);
	if (ks->n) {
		ks->seqs |= !eq(k.seq, ks->k[0].seq);
		ks->units |= !eq(k.unit, ks->k[0].unit);
		ks->version_units |= eq(k.seq, ks->prev.seq) && eq(k.ver, ks->prev.ver);
	}
	if (ks->n < KINDS_KEPT)
		kind_set(&ks->k[ks->n], row);
	kind_free(&ks->prev);
	ks->prev = k;
	ks->n++;
	return 0;
}

/* A chart of values in more than one unit, or of more than one operation,
 * is no chart of a process: refused (ST_ERR_ARG), saying what was found
 * and what picks one. */
static int one_kind(const struct db_reader *rd, const struct rep_filter *f,
		    const struct spc_opts *o, bool exact, struct st_error *e)
{
	struct kinds ks = { 0 };
	char list[360];
	size_t len = 0;
	int ret = rd_meas_kinds(rd, o->name, f, !o->all_runs, exact, add_kind, &ks, e);
	bool seqs = ks.seqs, units = ks.units;

	list[0] = '\0';
	for (int i = 0; !ret && (seqs || units) && i < ks.n && i < KINDS_KEPT; i++) {
		const struct kind *k = &ks.k[i];
		char *sq = k->seq ? st_text_show_dup(k->seq) : NULL;
		char *v = k->ver ? st_text_show_dup(k->ver) : NULL;
		char *u = k->unit ? st_text_show_dup(k->unit) : NULL;
		int w = snprintf(list + len, sizeof(list) - len, "%s%s%s%s%s in %s (%lld value%s)",
				 i ? ", " : "", sq ? "sequence " : "no sequence", sq ? sq : "",
				 v ? "@" : "", v ? v : "", u ? u : "no unit", k->n,
				 k->n == 1 ? "" : "s");

		if (w > 0)
			len = len + (size_t)w < sizeof(list) ? len + (size_t)w : sizeof(list) - 1;
		free(sq);
		free(v);
		free(u);
	}
	if (!ret && (seqs || units)) {
		char *name = st_text_show_dup(o->name);

		ret = st_fail(e, ST_ERR_ARG, "measurement '%s' has values in %s%s%s in the runs "
			      "selected, and one control chart cannot mix them: %s%s; %s",
			      name ? name : "?", seqs ? "more than one sequence" : "",
			      seqs && units ? " and " : "", units ? "more than one unit" : "", list,
			      ks.n > KINDS_KEPT ? ", ..." : "",
			      seqs ? "--sequence NAME picks one" :
			      !ks.version_units ? "--sequence NAME@VERSION picks one" :
			      "one version of the sequence measures it in more than one unit "
			      "(station export --what measurements lists them), which --spc "
			      "cannot chart apart");
		free(name);
	}
	for (int i = 0; i < ks.n && i < KINDS_KEPT; i++)
		kind_free(&ks.k[i]);
	kind_free(&ks.prev);
	return ret;
}

/* Points of two kinds the kinds asked before did not say: asked again,
 * exact, for the message. */
static int mixed(const struct db_reader *rd, const struct rep_filter *f, const struct spc_opts *o,
		 struct st_error *e)
{
	char *name;
	int ret = one_kind(rd, f, o, true, e);

	if (ret)
		return ret;
	name = st_text_show_dup(o->name);
	ret = st_fail(e, ST_ERR_ARG, "measurement '%s' has values in more than one unit or "
		      "sequence in the runs selected, and one control chart cannot mix them: "
		      "--sequence NAME picks one sequence", name ? name : "?");
	free(name);
	return ret;
}

/* The first point of i's run of consecutive points. */
static int run_start(const struct series *s, int i)
{
	return s->seg && i >= s->seg ? s->seg : 0;
}

/* Beyond k sigma on the side of sign (+1 above, -1 below)? */
static bool beyond(const struct series *s, double x, double k, int sign)
{
	return sign > 0 ? x > s->cl + k * s->sigma : x < s->cl - k * s->sigma;
}

/* m of the last n points (ending at i) beyond k sigma on one side. */
static bool m_of_n(const struct series *s, int i, int m, int n, double k)
{
	if (i + 1 - run_start(s, i) < n)
		return false;
	for (int sign = -1; sign <= 1; sign += 2) {
		int c = 0;

		for (int j = i - n + 1; j <= i; j++)
			c += beyond(s, s->p[j].x, k, sign);
		if (c >= m && beyond(s, s->p[i].x, k, sign))
			return true;
	}
	return false;
}

static bool same_side_run(const struct series *s, int i, int n)
{
	int above = 0, below = 0;

	if (i + 1 - run_start(s, i) < n)
		return false;
	for (int j = i - n + 1; j <= i; j++) {
		above += s->p[j].x > s->cl;
		below += s->p[j].x < s->cl;
	}
	return above == n || below == n;
}

/* n points in a row, each higher (or each lower) than the one before. */
static bool trend(const struct series *s, int i, int n)
{
	int up = 0, down = 0;

	if (i + 1 - run_start(s, i) < n)
		return false;
	for (int j = i - n + 2; j <= i; j++) {
		up += s->p[j].x > s->p[j - 1].x;
		down += s->p[j].x < s->p[j - 1].x;
	}
	return up == n - 1 || down == n - 1;
}

static void limits(struct series *s, int baseline)
{
	double sum = 0, mrsum = 0, lo, hi;

	for (int i = 1; i < s->n; i++)
		s->p[i].mr = i == s->seg ? NAN : fabs(s->p[i].x - s->p[i - 1].x);
	s->base = baseline > 0 && baseline < s->n ? baseline : s->n;
	if (s->base < 2)
		return;	/* one point has no moving range: no limits */
	for (int i = 0; i < s->base; i++)
		if (!isfinite(s->p[i].x)) {
			/* an infinity edited into the log (the station records
			 * none): its mean and spread are no limits, and every
			 * point would be "beyond" them */
			s->infinite = true;
			return;
		}
	lo = hi = s->p[0].x;
	for (int i = 0; i < s->base; i++) {
		sum += s->p[i].x;
		lo = fmin(lo, s->p[i].x);
		hi = fmax(hi, s->p[i].x);
	}
	for (int i = 1; i < s->base; i++)
		mrsum += s->p[i].mr;
	/* an equal baseline: its value as CL (a mean off by rounding would
	 * put every point "off the line", beyond a sigma of 0) */
	s->cl = lo == hi ? lo : sum / s->base;
	s->mrbar = mrsum / (s->base - 1);
	s->sigma = rep_sigma_clean(s->mrbar / D2, fmax(fabs(lo), fabs(hi)));
	s->ucl = s->cl + 3 * s->sigma;
	s->lcl = s->cl - 3 * s->sigma;
	s->mr_ucl = D4 * s->mrbar;
	s->limits = true;
}

static void flag(struct series *s)
{
	for (int i = 0; s->limits && i < s->n; i++) {
		struct point *p = &s->p[i];

		/* no spread in the baseline: only the side and trend rules mean
		 * anything, and a point off the line is beyond any sigma */
		p->flags |= (s->sigma > 0 ? beyond(s, p->x, 3, 1) || beyond(s, p->x, 3, -1) :
			     p->x != s->cl) ? RULE_1 : 0;
		p->flags |= same_side_run(s, i, 9) ? RULE_2 : 0;
		p->flags |= trend(s, i, 6) ? RULE_3 : 0;
		if (s->sigma > 0) {
			p->flags |= m_of_n(s, i, 2, 3, 2) ? RULE_5 : 0;
			p->flags |= m_of_n(s, i, 4, 5, 1) ? RULE_6 : 0;
			p->flags |= i > 0 && p->mr > s->mr_ucl ? RULE_MR : 0;
		}
	}
}

static void reverse(struct point *p, int n)
{
	for (int i = 0, j = n - 1; i < j; i++, j--) {
		struct point t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
}

/* The ring of the latest points in time order, and whether points between
 * the baseline and the latest last are not shown.  Only when the ring
 * wrapped were points skipped: then those held before the latest last (the
 * context) start a run of their own; else they follow the baseline and the
 * rules look back into it, as on the chart of every point.  (A store giving
 * both ends gives one point more than the ring when it skipped any.) */
static void window(struct series *s, int head, int ring, int last)
{
	if (!ring || s->after <= last)
		return;
	if (s->after > ring) {	/* wrapped: the oldest is at after % ring */
		int k = s->after % ring;

		reverse(s->p + head, k);
		reverse(s->p + head + k, ring - k);
		reverse(s->p + head, ring);
		s->seg = head;	/* points were skipped: no look-back past them */
	}
	s->gap_after = head;
}

/* The context, read for the rules only, out of the points shown. */
static void drop_context(struct series *s, int last)
{
	int ctx = s->gap_after ? s->n - s->gap_after - last : 0;

	if (ctx <= 0)
		return;
	for (int i = s->gap_after; i < s->gap_after + ctx; i++)
		point_free(&s->p[i]);
	memmove(s->p + s->gap_after, s->p + s->gap_after + ctx, last * sizeof(*s->p));
	s->n -= ctx;
}

static int nflagged(const struct series *s)
{
	int n = 0;

	for (int i = 0; i < s->n; i++)
		n += s->p[i].flags != 0;
	return n;
}

static void rule_list(FILE *f, int flags)
{
	bool first = true;

	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
		if (flags & rules[r].bit) {
			fprintf(f, "%srule %s (%s)", first ? "" : ", ", rules[r].name, rules[r].what);
			first = false;
		}
}

/* Six significant digits for people; the JSON keeps every digit. */
static const char *g6(char buf[32], double v)
{
	snprintf(buf, 32, "%.6g", v);
	return buf;
}

static void text(FILE *f, const struct spc *c, const struct spc_opts *o)
{
	char a[32], b[32], d[32];
	char *name = st_text_show_dup(o->name), *unit = c->unit ? st_text_show_dup(c->unit) : NULL;

	fprintf(f, "spc %s%s%s%s: I-MR per fixture, %s, limits from the first %d points",
		name ? name : "?", unit ? " (" : "", unit ? unit : "", unit ? ")" : "",
		o->all_runs ? "every run" : "each unit's first run", o->baseline);
	if (o->last)
		fprintf(f, ", then the latest %d", o->last);
	fputc('\n', f);
	if (!c->n)
		fprintf(f, "no values of '%s' in the runs selected\n", name ? name : "?");
	free(name);
	free(unit);
	for (int i = 0; i < c->n; i++) {
		const struct series *s = &c->s[i];
		int nf = nflagged(s);

		char *fx = rep_name_dup(s->fixture);

		fprintf(f, "\nfixture %s: %d point%s", fx ? fx : "?", s->n, s->n == 1 ? "" : "s");
		free(fx);
		if (s->gap_after)
			fprintf(f, " shown, the first %d and the latest %d (those between not "
				"shown: --last 0 shows every point; #N is a point's place in the "
				"chart)\n", s->gap_after, s->n - s->gap_after);
		if (s->infinite) {
			fprintf(f, ", no limits: the baseline holds an infinite value (a hand "
				"edit: the station records none), nothing flagged\n");
			continue;
		}
		if (!s->limits) {
			fprintf(f, ", too few for limits (2 at least)\n");
			continue;
		}
		fprintf(f, "  CL %s  sigma %s  UCL %s  LCL ", g6(a, s->cl), g6(b, s->sigma),
			g6(d, s->ucl));
		fprintf(f, "%s  MR-bar %s  MR UCL ", g6(a, s->lcl), g6(b, s->mrbar));
		fprintf(f, "%s\n  %d point%s flagged%s\n", g6(d, s->mr_ucl), nf,
			nf == 1 ? "" : "s", nf ? ":" : "");
		int ws = 16;

		for (int j = 0; j < s->n; j++)
			if (s->p[j].flags)
				ws = rep_col_width(ws, s->p[j].serial ? s->p[j].serial : "-");
		for (int j = 0; j < s->n; j++) {
			const struct point *p = &s->p[j];

			if (!p->flags)
				continue;
			fprintf(f, "    #%-5d %s  ", j + 1, p->time ? p->time : "-");
			rep_col(f, p->serial ? p->serial : "-", ws);
			fprintf(f, " %-12s ", g6(a, p->x));
			rule_list(f, p->flags);
			fputc('\n', f);
		}
	}
}

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void json(FILE *f, const struct spc *c, const struct spc_opts *o)
{
	json_t *fx = json_array();

	for (int i = 0; i < c->n; i++) {
		const struct series *s = &c->s[i];
		json_t *pts = json_array(), *js;

		for (int j = 0; j < s->n; j++) {
			const struct point *p = &s->p[j];
			json_t *fl = json_array();

			for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
				if (p->flags & rules[r].bit)
					json_array_append_new(fl, json_string(rules[r].name));
			json_array_append_new(pts, json_pack("{s:s?,s:o,s:o,s:o,s:o,s:o}",
				"time", p->time, "serial", rep_json_text(p->serial),
				"run_id", rep_json_text(p->run),
				"value", num(p->x), "mr", j ? num(p->mr) : json_null(), "rules", fl));
		}
		js = json_pack("{s:o,s:i,s:i,s:b,s:o}", "fixture", rep_json_text(s->fixture),
			       "n", s->n, "baseline", s->base, "limits", s->limits, "gap_after",
			       s->gap_after ? json_integer(s->gap_after) : json_null());
		if (s->infinite)
			json_object_set_new(js, "no_limits", json_string("the baseline holds an "
					    "infinite value"));
		if (s->limits)
			json_object_update_new(js, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:i}",
				"cl", num(s->cl), "sigma", num(s->sigma), "ucl", num(s->ucl),
				"lcl", num(s->lcl), "mr_bar", num(s->mrbar), "mr_ucl", num(s->mr_ucl),
				"flagged", nflagged(s)));
		json_object_set_new(js, "points", pts);
		json_array_append_new(fx, js);
	}
	fx = json_pack("{s:o,s:o,s:b,s:i,s:o,s:o}", "measurement", rep_json_text(o->name),
		       "unit", rep_json_text(c->unit),
		       "first_runs_only", !o->all_runs, "baseline", o->baseline, "last",
		       o->last ? json_integer(o->last) : json_null(), "fixtures", fx);
	rep_json_print(f, fx, true);
	json_decref(fx);
}

/* --- HTML: one I chart and one MR chart per fixture, inline SVG ---------- */
#define HW 720
#define HH 180
#define HP 44

static double px(const struct series *s, int i)
{
	return s->n > 1 ? HP + (double)i * (HW - 2 * HP) / (s->n - 1) : HW / 2.0;
}

/* The y of v on a chart of lo..hi; an infinity (a hand edit) at the
 * edge on its side, a NaN (the moving range between two) at the bottom. */
static double py(double v, double lo, double hi)
{
	v = isnan(v) ? lo : v > hi ? hi : v < lo ? lo : v;
	return HH - HP / 2 - (v - lo) / (hi - lo) * (HH - HP);
}

/* A horizontal line at v (y from lo..hi), labelled on the right. */
static void hline(FILE *f, const char *cls, const char *label, double v, double lo, double hi)
{
	double y = HH - HP / 2 - (v - lo) / (hi - lo) * (HH - HP);

	fprintf(f, "<line class=\"%s\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
		"<text x=\"%d\" y=\"%.1f\">%s %.6g</text>\n", cls, HP, y, HW - HP, y,
		HW - HP + 2, y + 4, label, v);
}

/* The individuals (mr false) or moving ranges of s, limits drawn, flagged
 * points red with their rules in the tooltip. */
static void chart(FILE *f, const struct series *s, bool mr)
{
	double lo = INFINITY, hi = -INFINITY;
	int every = (s->n + 9) / 10;

	for (int i = mr; i < s->n; i++) {
		double v = mr ? s->p[i].mr : s->p[i].x;

		if (!isfinite(v))	/* an infinity: drawn at the edge */
			continue;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	if (s->limits) {
		double top = mr ? s->mr_ucl : s->ucl, bottom = mr ? 0 : s->lcl;

		lo = bottom < lo ? bottom : lo;
		hi = top > hi ? top : hi;
	}
	if (!isfinite(lo) || !isfinite(hi))	/* no finite value */
		lo = hi = 0;
	if (!(hi > lo)) {
		lo -= 1;
		hi += 1;
	}
	fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"%s\">\n", HW + 60, HH, HW + 60, HH,
		mr ? "moving range chart" : "individuals chart");
	fprintf(f, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
		HP - 6, HP / 2 - 6, HW - 2 * HP + 12, HH - HP + 12);
	if (s->limits) {
		hline(f, "cl", mr ? "MR-bar" : "CL", mr ? s->mrbar : s->cl, lo, hi);
		hline(f, "lim", "UCL", mr ? s->mr_ucl : s->ucl, lo, hi);
		if (!mr)
			hline(f, "lim", "LCL", s->lcl, lo, hi);
	}
	if (s->gap_after) {	/* the points not shown: a break in the line */
		double g = (px(s, s->gap_after - 1) + px(s, s->gap_after)) / 2;

		fprintf(f, "<line class=\"gap\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\">"
			"<title>points between not shown</title></line>\n", g, HP / 2 - 6, g,
			HH - HP / 2 + 6);
	}
	fputs("<polyline fill=\"none\" stroke=\"#06c\" points=\"", f);
	for (int i = mr; i < s->n; i++)
		fprintf(f, "%s%.1f,%.1f ", s->gap_after && i == s->gap_after ?
			"\"/>\n<polyline fill=\"none\" stroke=\"#06c\" points=\"" : "", px(s, i),
			py(mr ? s->p[i].mr : s->p[i].x, lo, hi));
	fputs("\"/>\n", f);
	for (int i = mr; i < s->n; i++) {
		const struct point *p = &s->p[i];
		double v = mr ? p->mr : p->x;
		bool red = mr ? (p->flags & RULE_MR) : (p->flags & ~RULE_MR);

		fprintf(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\"><title>#%d ",
			red ? "flag" : "pt", px(s, i), py(v, lo, hi),
			red ? 4 : 2, i + 1);
		rep_html_esc(f, p->serial ? p->serial : "-");
		fprintf(f, " %s %.6g", p->time ? p->time : "", v);
		/* the MR chart's point: its own rule (the I chart's lists all) */
		for (size_t r = 0; red && r < sizeof(rules) / sizeof(rules[0]); r++)
			if (p->flags & rules[r].bit & (mr ? RULE_MR : ~0))
				fprintf(f, " rule %s (%s)", rules[r].name, rules[r].what);
		fputs("</title></circle>\n", f);
		if (!mr && (i % every == 0 || i == s->n - 1))
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
				px(s, i), HH - 4, i + 1);
	}
	fputs("</svg>\n", f);
}

static void html(FILE *f, const struct spc *c, const struct spc_opts *o)
{
	char now[32];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
	      "station report --spc</title>\n<style>\nbody{font-family:sans-serif;margin:2em}\n"
	      ".cl{stroke:#393;stroke-width:1.5}.lim{stroke:#c00;stroke-dasharray:6 4}\n"
	      ".pt{fill:#06c}.flag{fill:#d00}text{font-size:11px}.frame{fill:none;stroke:#bbb}\n"
	      ".gap{stroke:#888;stroke-width:3;stroke-dasharray:2 3}\n"
	      "</style></head><body>\n<h1>"
	      "I-MR: ", f);
	rep_html_esc(f, o->name);
	if (c->unit) {
		fputs(" (", f);
		rep_html_esc(f, c->unit);
		fputc(')', f);
	}
	fprintf(f, "</h1>\n<p>%s; limits from the first %d points of each fixture", o->all_runs ?
		"every run" : "each unit's first run", o->baseline);
	if (o->last)
		fprintf(f, ", then its latest %d", o->last);
	fprintf(f, "; generated %s; ", rep_now_iso(now));
	rep_html_zone(f, o->plant_tz);
	fputs("</p>\n", f);
	if (!c->n)
		fputs("<p>no values in the runs selected</p>\n", f);
	for (int i = 0; i < c->n; i++) {
		const struct series *s = &c->s[i];

		fputs("<h2>fixture ", f);
		rep_html_esc(f, *s->fixture ? s->fixture : "\"\"");	/* as text shows it */
		fprintf(f, "</h2>\n<p>%d point%s, %d flagged", s->n, s->n == 1 ? "" : "s",
			nflagged(s));
		if (s->gap_after)
			fprintf(f, "; the first %d and the latest %d, those between not shown",
				s->gap_after, s->n - s->gap_after);
		if (s->infinite)
			fputs(", no limits: the baseline holds an infinite value (a hand edit: the "
			      "station records none)", f);
		else if (!s->limits)
			fputs(", too few for limits (2 at least)", f);
		fputs("</p>\n", f);
		chart(f, s, false);
		if (s->n > 1)
			chart(f, s, true);
	}
	fputs("</body></html>\n", f);
}

/* No value: said with the filters in force, which may be why (a fixture
 * that is not there, first runs only). */
static int not_found(const struct rep_filter *f, const struct spc_opts *o, struct st_error *e)
{
	char buf[512];
	char *name = st_text_show_dup(o->name), *flt = st_text_show_dup(rep_filters_str(f, buf,
										sizeof(buf)));
	int ret = st_fail(e, ST_ERR_NOTFOUND, "no measurement '%s' with values in the runs "
			  "selected (filters: %s, %s; the names: station export --what "
			  "measurements)", name ? name : "?", flt ? flt : "?",
			  o->all_runs ? "every run" : "each unit's first run");

	free(name);
	free(flt);
	return ret;
}

int report_spc(FILE *out, const struct db_reader *rd, const struct rep_filter *f, const struct spc_opts *o,
	       const char *format, struct st_error *e)
{
	struct spc c = { .e = e, .head = o->baseline, .ring = o->last ? o->last + SPC_CONTEXT : 0 };
	struct db_series_window w = { .head = c.head, .tail = c.ring };
	int ret;

	ret = one_kind(rd, f, o, false, e);
	if (!ret)
		ret = rd_meas_series(rd, o->name, f, !o->all_runs, &w, add_row, &c, e);
	if (!ret && c.mixed)
		ret = mixed(rd, f, o, e);
	if (!ret && !c.n)	/* as trace's "no unit": exit status 1, nothing drawn */
		ret = not_found(f, o, e);
	for (int i = 0; !ret && i < c.n; i++) {
		window(&c.s[i], c.head, c.ring, o->last);
		limits(&c.s[i], o->baseline);
		flag(&c.s[i]);
		drop_context(&c.s[i], o->last);
	}
	if (!ret && !strcmp(format, "json"))
		json(out, &c, o);
	else if (!ret && !strcmp(format, "html"))
		html(out, &c, o);
	else if (!ret)
		text(out, &c, o);
	for (int i = 0; i < c.n; i++) {
		for (int j = 0; j < c.s[i].n; j++)
			point_free(&c.s[i].p[j]);
		free(c.s[i].p);
		free(c.s[i].fixture);
	}
	free(c.s);
	free(c.unit);
	free(c.seq);
	return ret;
}
