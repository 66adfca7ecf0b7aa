/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report, driven through its command entry point on the hand-made
 * log of test_db_data.h, checked field by field against the numbers worked
 * out by hand there (yield 5/6, FPY 3/6, Ppk of vdd 0.4605763, ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_station_report.h"
#include <jansson.h>
#include <time.h>

#include "report/report.h"
#include "station/cmd_log_opts.h"

#define REPORT(...) run_cmd(cmd_report, "report", __VA_ARGS__, NULL)
#define EXPORT(...) run_cmd(cmd_export, "export", __VA_ARGS__, NULL)

static json_t *report_json_with(const char *a, const char *b)
{
	json_error_t err;
	json_t *j;

	assert_int_equal(a ? REPORT("-f", "json", (char *)a, (char *)b) : REPORT("-f", "json"),
			 EXIT_PASS);
	j = json_load_file(outp, 0, &err);
	if (!j)
		fail_msg("report JSON: %s", err.text);
	return j;
}

static double num(json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);

	assert_true(json_is_number(v));
	return json_number_value(v);
}

static json_t *meas_named(json_t *root, const char *name)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(root, "measurements"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "name")), name))
			return m;
	fail_msg("no measurement %s", name);
	return NULL;
}

/* The report's sigma is over every value: Pp and Ppk (Cp and Cpk, from the
 * within sigma, are report --capability's: test_report_capability). */
static void test_ppk_by_hand(void **state)
{
	struct rep_meas m = { .has_low = true, .low = 3.0, .has_high = true, .high = 3.6,
			      .mean = 3.30375, .sigma = 0.2144053, .has_sigma = true };

	rep_meas_pp(&m);
	assert_true(m.has_ppk && m.has_pp);
	assert_true(fabs(m.ppk - 0.29625 / (3 * 0.2144053)) < 1e-9);
	assert_true(fabs(m.pp - 0.6 / (6 * 0.2144053)) < 1e-9);
	m.has_low = false;		/* one-sided: USL only, no Pp */
	rep_meas_pp(&m);
	assert_true(m.has_ppk && !m.has_pp);
	assert_true(fabs(m.ppk - (3.6 - 3.30375) / (3 * 0.2144053)) < 1e-9);
	m.has_high = false;
	rep_meas_pp(&m);
	assert_false(m.has_ppk);	/* no limits, no Ppk */
	m.has_low = true;
	m.sigma = 0;
	rep_meas_pp(&m);
	assert_false(m.has_ppk);
}

static void test_json_fields(void **state)
{
	json_t *j = report_json_with(NULL, NULL);
	json_t *t = json_object_get(j, "total"), *d, *f, *m, *h;
	double sum = 0;
	size_t i;

	assert_int_equal(num(t, "runs"), 8);	/* U7 still running: left out */
	assert_int_equal(num(t, "units"), 6);
	assert_int_equal(num(t, "passed"), 5);
	assert_true(fabs(num(t, "yield") - 5.0 / 6) < 1e-12);
	assert_int_equal(num(t, "first_units"), 6);
	assert_int_equal(num(t, "first_passed"), 4);	/* U4's error judges nobody */
	assert_true(fabs(num(t, "first_pass_yield") - 4.0 / 6) < 1e-12);
	/* by failure mode: vdd below 3.0 once (2.90), above 3.6 once (3.70) */
	f = json_object_get(j, "failure_modes");
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 0), "side")),
			    "low");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 1), "name")),
			    "vdd");
	assert_true(fabs(num(json_array_get(f, 1), "cumulative") - 1) < 1e-12);
	assert_string_equal(json_string_value(json_object_get(j, "stations")), "ST1");
	assert_string_equal(json_string_value(json_object_get(j, "timezone")), "UTC");
	/* U4's run 5 ended error: the station's, shown apart */
	assert_int_equal(num(j, "error_runs"), 1);
	assert_int_equal(num(j, "aborted_runs"), 0);
	assert_int_equal(num(j, "unidentified_runs"), 0);
	d = json_array_get(json_object_get(j, "days"), 1);
	assert_string_equal(json_string_value(json_object_get(d, "day")), "2026-01-06");
	assert_int_equal(num(d, "units"), 3);
	assert_int_equal(num(d, "passed"), 2);
	assert_int_equal(num(d, "first_units"), 3);
	assert_int_equal(num(d, "first_passed"), 2);	/* U4 and U5; U6 failed */
	f = json_array_get(json_object_get(j, "failures"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "step")), "rails");
	assert_int_equal(num(f, "count"), 2);
	assert_true(fabs(num(f, "share") - 2.0 / 3) < 1e-12);
	m = meas_named(j, "vdd");
	assert_string_equal(json_string_value(json_object_get(m, "unit")), "V");
	assert_int_equal(num(m, "n"), 8);
	assert_true(fabs(num(m, "mean") - 3.30375) < 1e-12);
	assert_true(fabs(num(m, "sigma") - 0.2144053) < 1e-6);
	assert_true(fabs(num(m, "ppk") - 0.4605763) < 1e-6);
	assert_int_equal(num(m, "beyond_low"), 1);
	assert_int_equal(num(m, "beyond_high"), 1);
	h = json_object_get(json_object_get(m, "histogram"), "counts");
	json_array_foreach(h, i, f)
		sum += json_number_value(f);
	assert_int_equal(sum, 8);
	m = meas_named(j, "idle_ma");
	assert_true(json_is_null(json_object_get(m, "low")));
	assert_true(fabs(num(m, "ppk") - 2.3570226) < 1e-6);
	json_decref(j);
}

static void test_filters_are_bound(void **state)
{
	json_t *j;

	j = report_json_with("--fixture", "F1");	/* U1, U2, U6 */
	assert_int_equal(num(json_object_get(j, "total"), "units"), 3);
	assert_int_equal(num(json_object_get(j, "total"), "passed"), 2);
	json_decref(j);
	j = report_json_with("--until", "2026-01-05");	/* the whole day */
	assert_int_equal(num(json_object_get(j, "total"), "runs"), 4);
	json_decref(j);
	j = report_json_with("--since", "2026-01-06T08:10:00Z");
	assert_int_equal(num(json_object_get(j, "total"), "runs"), 3);
	assert_int_equal(num(meas_named(j, "vdd"), "n"), 3);
	json_decref(j);
	j = report_json_with("--sequence", "factory@1.0");
	assert_int_equal(num(json_object_get(j, "total"), "runs"), 8);
	json_decref(j);
	j = report_json_with("--sequence", "factory@2.0");
	assert_int_equal(num(json_object_get(j, "total"), "runs"), 0);
	assert_int_equal(json_array_size(json_object_get(j, "measurements")), 0);
	json_decref(j);
	/* text that would change a string-built query matches nothing here */
	j = report_json_with("--fixture", "F1' OR '1'='1");
	assert_int_equal(num(json_object_get(j, "total"), "runs"), 0);
	json_decref(j);
}

static void test_text_and_histogram(void **state)
{
	char *t;

	assert_int_equal(REPORT("--outcome", "pass"), EXIT_PASS);
	t = slurp(outp);
	assert_non_null(strstr(t, "filters: outcome pass\n"));
	free(t);
	/* every filter given is named in the header, --station among them */
	assert_int_equal(REPORT("--station", "ST1", "--operator", "ann", "--work-order", "WO 7"),
			 EXIT_PASS);
	t = slurp(outp);
	assert_non_null(strstr(t, "filters: station ST1 operator ann work order WO 7\n"));
	free(t);
	assert_int_equal(REPORT("-f", "text"), EXIT_PASS);
	t = slurp(outp);
	assert_non_null(strstr(t, "yield             5 of 6 units passed   83.3%   (8 runs)"));
	assert_non_null(strstr(t, "first pass        4 of 6 units passed   66.7%"));
	assert_non_null(strstr(t, "failures by mode (a measurement beyond a limit)\n"));
	assert_non_null(strstr(t, "\nstations: ST1\nfilters: none\n"));
	assert_non_null(strstr(t, "\n  factory   rails / vdd                  high       1    50.0%      "
				  "100.0%\n"));
	assert_non_null(strstr(t, "not judged        1 error, 0 aborted runs (the station's, not "
				  "the boards'); 0 runs without a serial"));
	assert_non_null(strstr(t, "  rails                             2    66.7%       66.7%"));
	assert_non_null(strstr(t, "LSL 3  USL 3.6  Pp 0.466  Ppk 0.461  beyond limits: 1 low, 1 high"));
	assert_non_null(strstr(t, "USL 100  Ppk 2.357"));
	assert_non_null(strstr(t, "------------ LSL 3 ------------"));
	/* bins are fixed on the limits (width (3.6 - 3.0) / 20 = 0.03, so that
	 * the summaries add up); those holding 2.90 and 3.70 lie beyond the
	 * limits: drawn with x */
	assert_non_null(strstr(t, "2.88 |xxxxxxxxxxxxxx "));
	assert_non_null(strstr(t, "3.69 |xxxxxxxxxxxxxx "));
	assert_non_null(strstr(t, "3.27 |######################################## 3"));
	free(t);
}

static void test_csv_long_form(void **state)
{
	char *t, *p;

	assert_int_equal(REPORT("-f", "csv"), EXIT_PASS);
	t = slurp(outp);
	assert_memory_equal(t, "section,key,metric,value\r\n", 26);
	assert_non_null(strstr(t, "\r\ntotal,,units,6\r\n"));
	assert_non_null(strstr(t, "\r\ntotal,,error_runs,1\r\n"));
	assert_non_null(strstr(t, "\r\nfailure_mode,factory/rails/vdd low,share,0.5\r\n"));
	assert_non_null(strstr(t, "\r\nday,2026-01-05,first_passed,2\r\n"));
	assert_non_null(strstr(t, "\r\nfailures,identity,cumulative,1\r\n"));
	p = strstr(t, "\r\nmeasurement,factory/rails/vdd [3..3.6],ppk,");
	assert_non_null(p);
	assert_true(fabs(strtod(p + strlen("\r\nmeasurement,factory/rails/vdd [3..3.6],ppk,"),
				NULL) - 0.4605763) < 1e-6);
	assert_non_null(strstr(t, "\r\nmeasurement,factory/rails/idle_ma [-..100],low,\r\n"));
	/* what the numbers are of, and when */
	assert_non_null(strstr(t, "\r\nreport,,filters,none\r\n"));
	assert_non_null(strstr(t, "\r\nreport,,stations,ST1\r\nreport,,timezone,UTC\r\n"));
	assert_non_null(strstr(t, "\r\nreport,,generated,20"));
	free(t);
	assert_int_equal(REPORT("-f", "csv", "--fixture", "F1"), EXIT_PASS);
	t = slurp(outp);
	assert_non_null(strstr(t, "\r\nreport,,filters,fixture F1\r\n"));
	free(t);
}

static int count(const char *h, const char *needle)
{
	int n = 0;

	for (const char *p = h; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_html_self_contained(void **state)
{
	char *h;

	assert_int_equal(REPORT("-f", "html"), EXIT_PASS);
	h = slurp(outp);
	assert_memory_equal(h, "<!DOCTYPE html>", 15);
	assert_non_null(strstr(h, "</html>\n"));
	/* one yield chart, the Pareto's bars and one histogram per measurement */
	assert_int_equal(count(h, "<svg"), 4);
	assert_int_equal(count(h, "</svg>"), 4);
	assert_int_equal(count(h, "class=\"pbar\""), 2);	/* rails 2, identity 1 */
	assert_non_null(strstr(h, "filters: none<br>stations: ST1<br>generated 20"));
	assert_non_null(strstr(h, "<h2>Failures by mode</h2>"));
	assert_non_null(strstr(h, "<tr><td>factory</td><td class=\"name\">rails / vdd</td><td>low</td>"
				  "<td>1</td><td>50.0%</td>"));
	/* lowest: 2/3 (yield and first-pass yield both days): the axis starts at
	 * 60 % and says so */
	assert_non_null(strstr(h, "axis from 60%, not 0"));
	assert_non_null(strstr(h, "rails / vdd (V) LSL 3 USL 3.6</h3>"));
	assert_int_equal(count(h, "class=\"lim\""), 3);	/* vdd LSL+USL, idle_ma USL */
	assert_non_null(strstr(h, "<td class=\"pp\">0.466</td><td class=\"ppk\">0.461</td>"));
	/* nothing fetched from anywhere */
	assert_null(strstr(h, "http://"));
	assert_null(strstr(h, "https://"));
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "href="));
	assert_null(strstr(h, "url("));
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<link"));
	assert_null(strstr(h, "@import"));
	free(h);
}

/* A year of days: the yield chart keeps at most 9 date labels (every
 * 46th day and the last), at least 66 px apart (a date is some 60 px at
 * 11 px; 12 labels were 23 days = 36 px apart at the end), its y axis zoomed to the data (70 .. 100 %) and saying so, and
 * every day on the lines. */
static void test_chart_of_a_year(void **state)
{
	struct rep_filter f = { 0 };
	struct rep_day days[365];
	struct report r = { .db_path = "year.db", .f = &f, .days = days, .ndays = 365 };
	char *h = NULL, *p;
	size_t len = 0;
	FILE *out = open_memstream(&h, &len);
	double last = -1e9;
	int labels = 0;

	for (int i = 0; i < 365; i++) {
		int64_t t = (1767225600LL + i * 86400LL);	/* from 2026-01-01 */
		struct tm tm;

		gmtime_r(&(time_t){ (time_t)t }, &tm);
		strftime(days[i].day, sizeof(days[i].day), "%Y-%m-%d", &tm);
		days[i].c = (struct rep_counts){ .runs = 100, .units = 100, .passed = 85 + i % 15,
						 .first_units = 100, .first_passed = 82 + i % 15 };
		r.total.runs += 100;
	}
	report_html(out, &r);
	fclose(out);
	for (p = h; (p = strstr(p, "<text x=\"")); p++) {
		double x = strtod(p + 9, NULL);
		char *e = strchr(p, '>');

		if (!e || strncmp(e + 1, "2026-", 5))
			continue;
		assert_true(x - last >= 66);
		last = x;
		labels++;
	}
	assert_true(labels >= 2 && labels <= 9);
	assert_non_null(strstr(h, "axis from 70%, not 0"));	/* 82 % - 5 points, down to 10 */
	assert_non_null(strstr(h, "times and days in <span class=\"tz\">UTC</span></p>"));
	assert_int_equal(count(h, "<polyline"), 2);
	free(h);
}

/* A station.yaml next to the log (the file log, in dir) naming the
 * plant's zone. */
static void plant_yaml(char *yaml, size_t cap, const char *log)
{
	FILE *y;

	snprintf(yaml, cap, "%s/station.yaml", dir);
	y = fopen(yaml, "w");
	assert_non_null(y);
	fprintf(y, "log: %s\nplant:\n  timezone: Europe/Berlin\n", log);
	fclose(y);
}

/* Item 3 of issue 18: with a plant time zone in station.yaml the HTML
 * reports say their times are UTC, and the report's days are the plant's
 * (test_html_plant_days), not just "UTC". */
static void test_html_zone(void **state)
{
	char yaml[160], *h;

	plant_yaml(yaml, sizeof(yaml), "station.db");
	assert_int_equal(REPORT("-f", "html", "--config", yaml), EXIT_PASS);
	h = slurp(outp);
	assert_non_null(strstr(h, "times in <span class=\"tz\">UTC</span>; days in the plant's "
				  "time zone Europe/Berlin"));
	assert_non_null(strstr(h, "<th>day (Europe/Berlin)</th>"));
	assert_null(strstr(h, "(times UTC)"));
	free(h);
	assert_int_equal(REPORT("-f", "html", "--config", yaml, "--spc", "vdd"), EXIT_PASS);
	h = slurp(outp);
	assert_non_null(strstr(h, "not in the plant's time zone Europe/Berlin"));
	free(h);
	unlink(yaml);
}

/* The HTML report's days with a plant zone are the plant's, as --group-by
 * day counts them, summer time included.  Europe/Berlin goes from CET
 * (+1) to CEST (+2) at 2026-03-29 01:00 UTC:
 *
 *   UTC                local            unit
 *   03-28 22:30  ->  03-28 23:30 CET    P1 pass
 *   03-28 23:30  ->  03-29 00:30 CET    P2 fail
 *   03-29 21:30  ->  03-29 23:30 CEST   P2 pass
 *   03-29 22:30  ->  03-30 00:30 CEST   P3 pass
 *
 * plant days: 03-28 1 run; 03-29 2 runs, unit P2 passed (its first run
 * failed: first pass 0 of 1); 03-30 1 run.  UTC days would be 03-28 2
 * runs, 03-29 2 runs; a fixed +1 hour would put P2's pass on 03-29 and
 * P3 on 03-29 too (23:30), a fixed +2 P1 on 03-29. */
static void test_html_plant_days(void **state)
{
	const int64_t h = 3600000000LL, t0 = 1774735200000000LL;	/* 2026-03-28 22:00Z */
	char yaml[160], log[160], *html;
	struct st_error e;
	struct db *db;

	snprintf(log, sizeof(log), "%s/dst.db", dir);
	assert_int_equal(db_open(&db, log, NULL, &e), ST_OK);
	t_one_step_run(db, "final", "P1", "F1", "ST", t0 + h / 2, DB_PASS);
	t_one_step_run(db, "final", "P2", "F1", "ST", t0 + 3 * h / 2, DB_FAIL);
	t_one_step_run(db, "final", "P2", "F1", "ST", t0 + 23 * h + h / 2, DB_PASS);
	t_one_step_run(db, "final", "P3", "F1", "ST", t0 + 24 * h + h / 2, DB_PASS);
	db_close(db);
	plant_yaml(yaml, sizeof(yaml), "dst.db");
	assert_int_equal(cmd_report(7, (char *[]){ "report", "--config", yaml, "-o", outp, "-f",
						   "html", NULL }), EXIT_PASS);
	html = slurp(outp);
	assert_non_null(strstr(html, "<th>day (Europe/Berlin)</th>"));
	assert_non_null(strstr(html, "<tr><td>2026-03-28</td><td>1</td><td>1</td><td>1</td>"));
	assert_non_null(strstr(html, "<tr><td>2026-03-29</td><td>2</td><td>1</td><td>1</td>"
				     "<td>100.0%</td><td>0.0%</td>"));
	assert_non_null(strstr(html, "<tr><td>2026-03-30</td><td>1</td><td>1</td><td>1</td>"));
	free(html);
	/* JSON says its days are UTC's, and they are (03-28 2 runs, 03-29 2) */
	assert_int_equal(cmd_report(7, (char *[]){ "report", "--config", yaml, "-o", outp, "-f",
						   "json", NULL }), EXIT_PASS);
	html = slurp(outp);
	assert_non_null(strstr(html, "\"timezone\": \"UTC\""));
	for (const char *d = "2026-03-28"; d; d = strcmp(d, "2026-03-29") ? "2026-03-29" : NULL) {
		char key[40];
		const char *p;

		snprintf(key, sizeof(key), "\"day\": \"%s\"", d);
		p = strstr(html, key);
		assert_non_null(p);
		p = strstr(p, "\"runs\": ");
		assert_non_null(p);
		assert_int_equal(atoi(p + 8), 2);
	}
	assert_null(strstr(html, "2026-03-30"));
	free(html);
	unlink(yaml);
}

static void test_usage_and_log_errors(void **state)
{
	char missing[160];
	char *bad_fmt[] = { "report", "--db", dbp, "-f", "pdf", NULL };
	char *bad_time[] = { "report", "--db", dbp, "--since", "yesterday", NULL };
	char *bad_outcome[] = { "report", "--db", dbp, "--outcome", "meh", NULL };
	char *no_log[] = { "report", "--db", missing, NULL };

	snprintf(missing, sizeof(missing), "%s/nope.db", dir);
	assert_int_equal(cmd_report(5, bad_fmt), EXIT_USAGE);
	assert_int_equal(cmd_report(5, bad_time), EXIT_USAGE);
	assert_int_equal(cmd_report(5, bad_outcome), EXIT_USAGE);
	assert_int_equal(cmd_report(3, no_log), EXIT_STATION);
	assert_int_equal(access(missing, F_OK), -1);	/* reading never creates a log */
	/* a filter given twice is refused, not the last one taken silently */
	assert_int_equal(REPORT("--station", "x", "--station", "st1"), EXIT_USAGE);
	assert_int_equal(REPORT("--fixture", "fxA", "--fixture", "fxB"), EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_trace, "trace", "--db", dbp, "--db", dbp, "U1", NULL),
			 EXIT_USAGE);
	assert_int_equal(run_cmd(cmd_export, "export", "--since", "2026-01-01", "--since",
				 "2026-01-02", NULL), EXIT_USAGE);
	assert_int_equal(REPORT("--since", "2026-01-01", "--until", "2027-01-01"), EXIT_PASS);
}

/* The modes' options: one mode at a time, each option with its mode, no
 * zone the tz database does not have (it would silently be UTC). */
static void test_mode_options(void **state)
{
	assert_int_equal(REPORT("--with-errors", "--capability"), EXIT_USAGE);
	assert_int_equal(REPORT("--with-errors", "--spc", "vdd"), EXIT_USAGE);
	assert_int_equal(REPORT("--subgroups"), EXIT_USAGE);
	assert_int_equal(REPORT("--capability", "--subgroups", "-f", "json"), EXIT_PASS);
	assert_int_equal(REPORT("--with-errors"), EXIT_PASS);
	assert_int_equal(REPORT("--group-by", "work-order"), EXIT_PASS);
	assert_int_equal(REPORT("--group-by", "moon"), EXIT_USAGE);
	assert_int_equal(REPORT("--group-by", "day", "--tz", "Mars/Olympus"), EXIT_USAGE);
	assert_int_equal(REPORT("--tz", "UTC"), EXIT_USAGE);
	assert_int_equal(REPORT("--capability", "--operations"), EXIT_USAGE);
	assert_int_equal(REPORT("--spc", "vdd", "--group-by", "day"), EXIT_USAGE);
	assert_int_equal(REPORT("--all-runs"), EXIT_USAGE);
	assert_int_equal(REPORT("--operations", "-f", "html"), EXIT_USAGE);
	assert_int_equal(REPORT("--group-by", "shift"), EXIT_USAGE);	/* no shifts defined */
	assert_int_equal(REPORT("--group-by", "day", "--tz", "Europe/Berlin", "--with-errors"),
			 EXIT_PASS);
	assert_int_equal(REPORT("--capability", "--all-runs", "-f", "csv"), EXIT_PASS);
}

/* Times are UTC; a date that does not exist is refused, not rolled over. */
static void test_times_validated(void **state)
{
	int64_t us;

	assert_int_equal(rep_parse_time("2026-01-05", false, &us), 0);
	assert_int_equal(us, 1767571200LL * 1000000);
	assert_int_equal(rep_parse_time("2026-01-05", true, &us), 0);	/* to its end */
	assert_int_equal(us, (1767571200LL + 86400) * 1000000);
	assert_int_equal(rep_parse_time("2026-01-05T06:00Z", false, &us), 0);
	assert_int_equal(us, (1767571200LL + 6 * 3600) * 1000000);
	assert_int_equal(rep_parse_time("2028-02-29", false, &us), 0);	/* a leap day */
	assert_int_equal(rep_parse_time("2026-02-30", false, &us), -1);
	assert_int_equal(rep_parse_time("2027-02-29", false, &us), -1);
	assert_int_equal(rep_parse_time("2026-13-01", false, &us), -1);
	assert_int_equal(rep_parse_time("2026-01-05T24:30", false, &us), -1);
	assert_int_equal(rep_parse_time("2026-01-05T10:61", false, &us), -1);
	assert_int_equal(rep_parse_time("yesterday", false, &us), -1);
	/* the forms the help gives, nothing laxer: digits of each field's width, no
	 * blank, no sign (strtoll and strptime took "@ 5", " 2026-03-29", "2026-3-9") */
	assert_int_equal(rep_parse_time("2026-01-05 06:00:30", false, &us), 0);
	assert_int_equal(us, (1767571200LL + 6 * 3600 + 30) * 1000000);
	assert_int_equal(rep_parse_time("2026-01-05T06:00", true, &us), 0);	/* not a bare date */
	assert_int_equal(us, (1767571200LL + 6 * 3600) * 1000000);
	assert_int_equal(rep_parse_time("@1767571200", false, &us), 0);
	assert_int_equal(us, 1767571200LL * 1000000);
	assert_int_equal(rep_parse_time("@0", false, &us), 0);
	assert_int_equal(rep_parse_time("@253402300799", false, &us), 0);	/* 9999-12-31T23:59:59Z */
	assert_int_equal(rep_parse_time("9999-12-31", true, &us), 0);
	assert_int_equal(us, 253402300800LL * 1000000);	/* its end */
	static const char *const lax[] = {
		"@ 5", "@+5", "@-5", "@", "@5x", "@0x10", " 2026-03-29", "2026-03-29 ", "2026-3-29",
		"2026-03-9", "+2026-03-29", "02026-03-29", "2026-03-29T1:00", "2026-03-29T10:00:",
		"2026-03-29T10:00:5", "2026-03-29Z", "2026-03-29T10:00ZZ", "2026-03-29T10", "",
		"2026-03-29T10:00+01:00",
	};
	for (size_t i = 0; i < sizeof(lax) / sizeof(lax[0]); i++) {
		print_message("%s\n", lax[i]);
		assert_int_equal(rep_parse_time(lax[i], false, &us), -1);
	}
	/* out of range: refused as such, never wrapped ("@9223372036855" was
	 * year -290308 and selected every run; "0000-01-01" was echoed "0-01-01") */
	static const char *const far[] = {
		"@9223372036855", "@9223372036854775807", "@99999999999999999999999", "@253402300800",
		"0000-01-01", "1969-12-31", "1969-12-31T23:59:59Z",
	};
	for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		print_message("%s\n", far[i]);
		assert_int_equal(rep_parse_time(far[i], false, &us), -2);
	}
}

/* A window whose --since is not before its --until selects nothing: refused
 * (it said 0 runs, exit status 0), by each command that takes the filters. */
static void test_window_inverted(void **state)
{
	assert_int_equal(REPORT("--since", "2026-03-02", "--until", "2026-03-01"), EXIT_USAGE);
	assert_int_equal(REPORT("--since", "2026-03-02", "--until", "2026-03-02T00:00"),
			 EXIT_USAGE);
	assert_int_equal(REPORT("--since", "@9223372036855"), EXIT_USAGE);
	assert_int_equal(REPORT("--since", "2026-03-01", "--until", "2026-03-01"), EXIT_PASS);
	assert_int_equal(EXPORT("--since", "@1767571201", "--until", "@1767571200"), EXIT_USAGE);
	assert_int_equal(EXPORT("--since", "@1767571200", "--until", "@1767571201"), EXIT_PASS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ppk_by_hand),
		cmocka_unit_test(test_times_validated),
		cmocka_unit_test(test_window_inverted),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_filters_are_bound),
		cmocka_unit_test(test_text_and_histogram),
		cmocka_unit_test(test_csv_long_form),
		cmocka_unit_test(test_html_self_contained),
		cmocka_unit_test(test_chart_of_a_year),
		cmocka_unit_test(test_html_zone),
		cmocka_unit_test(test_html_plant_days),
		cmocka_unit_test(test_usage_and_log_errors),
		cmocka_unit_test(test_mode_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
