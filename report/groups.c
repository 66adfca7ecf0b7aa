/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --group-by KEY: the runs side by side per fixture,
 * station, operator or work order, or per day, hour or shift of the
 * plant's clock.
 *
 * Each group counts as station report does (docs/quality.md): runs;
 * error, aborted and unidentified runs apart; units = identified units
 * with a judged run in the group, once per operation (sequence), passed =
 * those with a passing one;
 * first = first judged runs of a unit's operation that lie in the group,
 * first_passed = those that passed.  Days, hours and shifts are those of
 * the plant's time zone (station.yaml plant: timezone, or --tz; UTC by
 * default), summer time included: SQLite knows only UTC and the machine's
 * zone, so the runs are grouped here, with the C library's tz database.  A
 * shift runs from its start to the next shift's; a run after midnight in a
 * night shift belongs to the day the shift began.  Stations, fixtures,
 * operators and work orders come from the store's summaries when it keeps
 * them for the filter (db_reader.h's group_sums: the central store's day
 * cells; a NULL key the runs without a value), the same figures.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/text.h"
#include "report/report-internal.h"

const char *const rep_group_keys[] = { "fixture", "station", "operator", "work-order", "day",
				       "hour", "shift", NULL };
enum gkey { G_FIXTURE, G_STATION, G_OPERATOR, G_WORK_ORDER, G_DAY, G_HOUR, G_SHIFT };
/* The DB_OP_RUNS column of each key that is a column. */
static const int key_col[] = { [G_FIXTURE] = 1, [G_STATION] = 2, [G_OPERATOR] = 3,
			       [G_WORK_ORDER] = 9 };

bool rep_tz_valid(const char *name)
{
	char path[256];
	struct stat st;

	if (!name || !*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 63)
		return false;
	if (!strcmp(name, "UTC"))
		return true;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

struct group {
	char *key;
	bool none;	/* no value in the log: key is our placeholder "-" */
	int64_t runs, errors, aborted, unidentified, first, first_passed;
	int64_t units, passed;
};

/* One judged run of an identified unit, to count distinct units (per
 * operation) per group. */
struct unit_run {
	int group;
	char *unit, *op;
	bool passed;
};

struct acc {
	enum gkey key;
	const struct rep_plant *plant;
	struct group *g;
	int n;
	struct unit_run *u;
	int64_t nu, cap;
	struct st_error *e;
};

static const char *text_of(const struct db_value *v)
{
	return v->type == DB_TEXT ? v->s : "-";
}

/* The shift a local time of day falls in (index), and whether it began the
 * day before (a night shift after midnight). */
static int shift_of(const struct rep_plant *p, int min, bool *yesterday)
{
	*yesterday = false;
	for (int i = p->n_shifts - 1; i >= 0; i--)
		if (min >= p->shift[i].start_min)
			return i;
	*yesterday = true;	/* before the first start: the last shift, begun yesterday */
	return p->n_shifts - 1;
}

/* Does the local hour of t (tm) come twice, the clocks put back within or
 * after it (2026-10-25 02:00-03:00 in Europe/Berlin: CEST, then CET)? */
static bool hour_twice(time_t t, const struct tm *tm)
{
	for (int d = -1; d <= 1; d += 2) {
		time_t o = t + d * 3600;
		struct tm x;

		localtime_r(&o, &x);
		if (x.tm_year == tm->tm_year && x.tm_yday == tm->tm_yday &&
		    x.tm_hour == tm->tm_hour && x.tm_gmtoff != tm->tm_gmtoff)
			return true;
	}
	return false;
}

static void time_key(const struct acc *a, int64_t us, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	bool yesterday;
	int s;

	localtime_r(&t, &tm);
	if (a->key == G_DAY) {
		strftime(buf, cap, "%Y-%m-%d", &tm);
	} else if (a->key == G_HOUR) {
		/* the hour that comes twice is two groups, each with its
		 * offset ("2026-10-25 02:00 +0200", "... +0100") */
		strftime(buf, cap, hour_twice(t, &tm) ? "%Y-%m-%d %H:00 %z" : "%Y-%m-%d %H:00", &tm);
	} else {
		s = shift_of(a->plant, tm.tm_hour * 60 + tm.tm_min, &yesterday);
		if (yesterday) {
			/* the local day before: the last second before this
			 * day's midnight (or earlier, the midnight skipped), not
			 * tm_mday - 1, a day the zone may have skipped (Samoa's
			 * 2011-12-30) */
			t -= tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec + 1;
			localtime_r(&t, &tm);
		}
		strftime(buf, cap, "%Y-%m-%d ", &tm);
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s", a->plant->shift[s].name);
	}
}

static int group_of(struct acc *a, const char *key, bool none)
{
	struct group *ng;

	/* runs come oldest first: a time group is mostly the last one */
	for (int i = a->n - 1; i >= 0; i--)
		if (a->g[i].none == none && !strcmp(a->g[i].key, key))
			return i;
	ng = realloc(a->g, (a->n + 1) * sizeof(*ng));
	if (!ng)
		return -1;
	a->g = ng;
	memset(&a->g[a->n], 0, sizeof(*ng));
	a->g[a->n].none = none;
	if (!(a->g[a->n].key = strdup(key)))
		return -1;
	return a->n++;
}

static int add_unit(struct acc *a, int g, const char *unit, const char *op, bool passed)
{
	if (a->nu == a->cap) {
		int64_t cap = a->cap ? 2 * a->cap : 256;
		struct unit_run *nu = realloc(a->u, cap * sizeof(*nu));

		if (!nu)
			return -1;
		a->u = nu;
		a->cap = cap;
	}
	a->u[a->nu] = (struct unit_run){ g, strdup(unit), strdup(op), passed };
	a->nu++;
	return a->u[a->nu - 1].unit && a->u[a->nu - 1].op ? 0 : -1;
}

/* Rows of DB_OP_RUNS: started_us, fixture, station, operator, unit_serial,
 * sequence_name, outcome, judged, first, work_order. */
static int add_row(void *ctx, const struct db_row *row)
{
	struct acc *a = ctx;
	const char *outcome = text_of(&row->v[6]);
	char key[128];
	struct group *g;
	bool none = false;
	int gi;

	if (row->columns_only)
		return 0;
	if (a->key <= G_WORK_ORDER && key_col[a->key] >= row->n)
		return st_fail(a->e, ST_ERR_DB, "--group-by %s: the log gives no such column",
			       rep_group_keys[a->key]);
	if (a->key <= G_WORK_ORDER) {
		none = row->v[key_col[a->key]].type != DB_TEXT;
		snprintf(key, sizeof(key), "%s", text_of(&row->v[key_col[a->key]]));
	} else {
		time_key(a, row->v[0].i, key, sizeof(key));
	}
	gi = group_of(a, key, none);
	if (gi < 0)
		return st_fail(a->e, ST_ERR_NOMEM, "out of memory");
	g = &a->g[gi];
	g->runs++;
	g->errors += !strcmp(outcome, "error");
	g->aborted += !strcmp(outcome, "aborted");
	g->unidentified += row->v[4].type == DB_NULL;
	if (row->v[8].i) {
		g->first++;
		g->first_passed += !strcmp(outcome, "pass");
	}
	if (row->v[4].type == DB_TEXT && row->v[7].i &&
	    add_unit(a, gi, row->v[4].s, text_of(&row->v[5]), !strcmp(outcome, "pass")))
		return st_fail(a->e, ST_ERR_NOMEM, "out of memory");
	return 0;
}

/* Rows of the store's group sums (db_reader.h's group_sums). */
static int add_sum(void *ctx, const struct db_row *row)
{
	struct acc *a = ctx;
	int gi;

	if (row->columns_only)
		return 0;
	if (row->n < 9 || (row->v[0].type != DB_TEXT && row->v[0].type != DB_NULL))
		return st_fail(a->e, ST_ERR_DB, "--group-by %s: the store's sums have no key",
			       rep_group_keys[a->key]);
	/* NULL: the runs without an operator or work order, as add_row names them */
	gi = group_of(a, text_of(&row->v[0]), row->v[0].type == DB_NULL);
	if (gi < 0)
		return st_fail(a->e, ST_ERR_NOMEM, "out of memory");
	a->g[gi].runs += row->v[1].i;
	a->g[gi].units += row->v[2].i;
	a->g[gi].passed += row->v[3].i;
	a->g[gi].first += row->v[4].i;
	a->g[gi].first_passed += row->v[5].i;
	a->g[gi].errors += row->v[6].i;
	a->g[gi].aborted += row->v[7].i;
	a->g[gi].unidentified += row->v[8].i;
	return 0;
}

static int unit_cmp(const void *x, const void *y)
{
	const struct unit_run *a = x, *b = y;

	int c = strcmp(a->unit, b->unit);

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return c ? c : strcmp(a->op, b->op);
}

static void count_units(struct acc *a)
{
	if (a->nu)	/* no qsort() of an empty array (a NULL base) */
		qsort(a->u, a->nu, sizeof(*a->u), unit_cmp);
	for (int64_t i = 0; i < a->nu;) {
		int64_t j = i;
		bool passed = false;

		for (; j < a->nu && !unit_cmp(&a->u[j], &a->u[i]); j++)
			passed |= a->u[j].passed;
		a->g[a->u[i].group].units++;
		a->g[a->u[i].group].passed += passed;
		i = j;
	}
}

static int key_cmp(const void *x, const void *y)
{
	return strcmp(((const struct group *)x)->key, ((const struct group *)y)->key);
}

static const char *pct(char buf[16], double v)
{
	if (isnan(v))
		return "-";
	snprintf(buf, 16, "%.1f%%", 100 * v);
	return buf;
}

static void text(FILE *f, const struct acc *a, const char *key, const char *tz)
{
	char b1[16], b2[16];
	int wk = rep_col_width(24, key);

	for (int i = 0; i < a->n; i++)
		wk = rep_col_width(wk, a->g[i].key);
	fprintf(f, "by %s%s%s\n  ", key, a->key >= G_DAY ? ", time zone " : "",
		a->key >= G_DAY ? tz : "");
	rep_col(f, key, wk);
	fprintf(f, " %6s %6s %6s %7s %6s %6s %7s %6s %7s %12s\n", "runs",
		"units", "passed", "yield", "first", "passed", "FPY", "error", "aborted",
		"unidentified");
	for (int i = 0; i < a->n; i++) {
		const struct group *g = &a->g[i];

		fputs("  ", f);
		rep_col(f, g->key, wk);
		fprintf(f, " %6lld %6lld %6lld %7s %6lld %6lld %7s %6lld %7lld %12lld\n",
			(long long)g->runs, (long long)g->units, (long long)g->passed,
			pct(b1, rep_ratio(g->passed, g->units)), (long long)g->first,
			(long long)g->first_passed, pct(b2, rep_ratio(g->first_passed, g->first)),
			(long long)g->errors, (long long)g->aborted, (long long)g->unidentified);
	}
	if (!a->n)
		fputs("  (no runs)\n", f);
}

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static void json(FILE *f, const struct acc *a, const char *key, const char *tz)
{
	json_t *arr = json_array(), *root;

	for (int i = 0; i < a->n; i++) {
		const struct group *g = &a->g[i];

		json_array_append_new(arr, json_pack(
			"{s:o,s:I,s:I,s:I,s:o,s:I,s:I,s:o,s:I,s:I,s:I}", "key", rep_json_text(g->key),
			"runs", (json_int_t)g->runs, "units", (json_int_t)g->units,
			"passed", (json_int_t)g->passed, "yield", num(rep_ratio(g->passed, g->units)),
			"first_units", (json_int_t)g->first,
			"first_passed", (json_int_t)g->first_passed,
			"first_pass_yield", num(rep_ratio(g->first_passed, g->first)),
			"errors", (json_int_t)g->errors, "aborted", (json_int_t)g->aborted,
			"unidentified", (json_int_t)g->unidentified));
	}
	root = json_pack("{s:s,s:o,s:o}", "group_by", key, "timezone", rep_json_text(tz),
			 "groups", arr);
	rep_json_print(f, root, true);
	json_decref(root);
}

/* A CSV row of group g: the key is outside text, defused as a formula,
 * except our own placeholder "-" for no value, written as it is. */
static void csv_metric(FILE *f, const char *key, const struct group *g, const char *metric,
		       double v)
{
	char buf[32];

	if (!g->none) {
		rep_csv_metric(f, key, g->key, metric, v);
		return;
	}
	rep_csv_field(f, key);
	fprintf(f, ",-,%s,", metric);
	if (!isnan(v))
		fputs(rep_num(buf, v), f);
	fputs("\r\n", f);
}

static void csv(FILE *f, const struct acc *a, const char *key)
{
	fputs("section,key,metric,value\r\n", f);
	for (int i = 0; i < a->n; i++) {
		const struct group *g = &a->g[i];

		csv_metric(f, key, g, "runs", (double)g->runs);
		csv_metric(f, key, g, "units", (double)g->units);
		csv_metric(f, key, g, "passed", (double)g->passed);
		csv_metric(f, key, g, "yield", rep_ratio(g->passed, g->units));
		csv_metric(f, key, g, "first_units", (double)g->first);
		csv_metric(f, key, g, "first_passed", (double)g->first_passed);
		csv_metric(f, key, g, "first_pass_yield",
			       rep_ratio(g->first_passed, g->first));
		csv_metric(f, key, g, "errors", (double)g->errors);
		csv_metric(f, key, g, "aborted", (double)g->aborted);
		csv_metric(f, key, g, "unidentified", (double)g->unidentified);
	}
}

char *rep_tz_enter(const char *tz)
{
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;

	setenv("TZ", tz, 1);
	tzset();
	return saved;
}

void rep_tz_leave(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* The plant's days from the store's summaries (1), when it keeps them for
 * f and the zone's offsets are whole hours there (report/tzperiods.c);
 * else 0: the rows answer. */
static int days_of_cells(struct acc *a, const struct db_reader *rd, const struct rep_filter *f,
			 const char *tz, bool with_errors, struct st_error *e)
{
	char *periods = report_can_summarise(f) ? rep_tz_periods(tz, f) : NULL;
	struct report r = { .with_errors = with_errors, .plant_tz = tz, .plant_periods = periods,
			    .days_only = true };
	int ret = periods ? rd_report(rd, f, &r, e) : 0;

	if (!ret && periods && r.summary && r.days_tz && r.days_unjudged) {
		a->g = calloc(r.ndays ? r.ndays : 1, sizeof(*a->g));
		ret = a->g ? 1 : st_fail(e, ST_ERR_NOMEM, "out of memory");
		for (int i = 0; ret > 0 && i < r.ndays; i++) {
			const struct rep_day *d = &r.days[i];

			a->g[i] = (struct group){ .key = strdup(d->day), .runs = d->c.runs,
						  .units = d->c.units, .passed = d->c.passed,
						  .first = d->c.first_units,
						  .first_passed = d->c.first_passed,
						  .errors = d->errors, .aborted = d->aborted,
						  .unidentified = d->unidentified };
			a->n++;
			if (!a->g[i].key)
				ret = st_fail(e, ST_ERR_NOMEM, "out of memory");
		}
	}
	report_free(&r);
	free(periods);
	return ret;
}

/* The groups of a->key over the runs f selects, counted, in the plant's
 * zone tz. */
static int collect(struct acc *a, const struct db_reader *rd, const struct rep_filter *f,
		   const char *tz, bool with_errors, struct st_error *e)
{
	char *saved;
	int ret;

	if (!rep_tz_valid(tz))
		return st_fail(e, ST_ERR_ARG, "time zone '%s' is not in this machine's tz database "
			       "(/usr/share/zoneinfo); give one like Europe/Berlin or UTC", tz);
	if (a->key == G_DAY) {	/* from the summaries when they can */
		ret = days_of_cells(a, rd, f, tz, with_errors, e);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (a->key <= G_WORK_ORDER) {	/* the same */
		ret = rd_group_sums(rd, rep_group_keys[a->key], f, with_errors, add_sum, a, e);
		if (ret != ST_ERR_NOTSUP) {
			if (!ret && a->n)
				qsort(a->g, a->n, sizeof(*a->g), key_cmp);
			return ret;
		}
		if (a->n)
			return st_fail(e, ST_ERR_DB, "the %s answered --group-by %s, then refused it",
				       rd->ops->name, rep_group_keys[a->key]);
	}
	saved = rep_tz_enter(tz);
	ret = rd_operation_rows(rd, DB_OP_RUNS, f, with_errors, add_row, a, e);
	rep_tz_leave(saved);
	if (!ret) {
		count_units(a);
		/* the units point at groups by index: sort only after counting;
		 * days, hours and shifts stay in time order, as they came */
		if (a->key <= G_WORK_ORDER && a->n)
			qsort(a->g, a->n, sizeof(*a->g), key_cmp);
	}
	return ret;
}

static void acc_free(struct acc *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->g[i].key);
	for (int64_t i = 0; i < a->nu; i++) {
		free(a->u[i].unit);
		free(a->u[i].op);
	}
	free(a->g);
	free(a->u);
}

int report_groups(FILE *out, const struct db_reader *rd, const struct rep_filter *f, const char *key,
		  const struct rep_plant *plant, bool with_errors, const char *format,
		  struct st_error *e)
{
	static const struct rep_plant none = { .timezone = "UTC" };
	struct acc a = { .plant = plant ? plant : &none, .e = e };
	const char *tz = a.plant->timezone[0] ? a.plant->timezone : "UTC";
	int k, ret;

	for (k = 0; rep_group_keys[k] && strcmp(rep_group_keys[k], key); k++)
		;
	if (!rep_group_keys[k])
		return st_fail(e, ST_ERR_ARG, "--group-by: no key '%s'", key);
	a.key = (enum gkey)k;
	if (a.key == G_SHIFT && !a.plant->n_shifts)
		return st_fail(e, ST_ERR_ARG, "--group-by shift: no shifts defined; give them in "
			       "station.yaml (plant: shifts: - {name: early, start: \"06:00\"} ...)");
	ret = collect(&a, rd, f, tz, with_errors, e);
	if (!ret && !strcmp(format, "json"))
		json(out, &a, key, tz);
	else if (!ret && !strcmp(format, "csv"))
		csv(out, &a, key);
	else if (!ret)
		text(out, &a, key, tz);
	acc_free(&a);
	return ret;
}

int rep_plant_days(const struct db_reader *rd, const struct rep_filter *f, const char *tz,
		   bool with_errors, struct report *r, struct st_error *e)
{
	struct rep_plant plant = { 0 };
	struct acc a = { .key = G_DAY, .plant = &plant, .e = e };
	struct rep_day *d = NULL;
	int ret;

	snprintf(plant.timezone, sizeof(plant.timezone), "%s", tz);
	ret = collect(&a, rd, f, tz, with_errors, e);
	if (!ret && a.n && !(d = calloc(a.n, sizeof(*d))))
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory");
	for (int i = 0; !ret && i < a.n; i++) {
		const struct group *g = &a.g[i];

		snprintf(d[i].day, sizeof(d[i].day), "%s", g->key);
		d[i].c = (struct rep_counts){ .runs = g->runs, .units = g->units,
					      .passed = g->passed, .first_units = g->first,
					      .first_passed = g->first_passed };
	}
	if (!ret) {
		free(r->days);
		r->days = d;
		r->ndays = a.n;
		r->days_tz = tz;
	}
	acc_free(&a);
	return ret;
}
