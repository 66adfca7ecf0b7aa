/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report with names from outside that do not fit a fixed column:
 * two operations measuring a "vdd" of their own (each failure mode names
 * its operation), names of 60+ characters, multi-byte UTF-8 and an escape
 * sequence in step, measurement, fixture and serial names (every text
 * table stays aligned, counted in terminal columns), and runs without a
 * sequence name (operation "-", as the rest of the report names them).
 *
 *   ict    U1 vdd 2.9 (below LSL 3.0)          final  U1 vdd 3.7, U2 vdd 3.7
 *   LONG   U3 on fixture FX_LONG: LONG_MEAS 5 (above USL 1), step LONG_STEP
 *   (none) U4 pass, U5 fail at UTF_STEP / UTF_MEAS 9 (above USL 1)
 *
 * modes: final/rails/vdd high 2, then ict/rails/vdd low, the LONG one
 * and the unnamed operation's one, 1 each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>

#include "test_db_data.h"
#include "common/text.h"
#include "report/report.h"

#define LONG_STEP "power_rail_sequencing_check_with_a_very_long_descriptive_name_0123456789"
#define LONG_MEAS "supply_current_in_standby_after_the_second_power_cycle_in_microamps"
#define LONG_SEQ "production_final_functional_test_for_the_customer_variant_B_with_a_long_name"
#define FX_LONG "Prüfadapter_Ω_電源_fixture_with_a_rather_long_name_for_line_three_0123"
#define UTF_STEP "Spannungsprüfung_Größe_µ_電源検査"
#define UTF_MEAS "Strom_µA_Ω_\x1b[2J_検査"
#define SERIAL_LONG "SN-電源-0000000000000000000000000000000000000000000000000000000000001"

static char dir[64], path[128];

static int setup(void **state)
{
	struct db *db;
	struct st_error e;
	int64_t t = T_DAY1_US;

	if (t_mkdir(dir, sizeof(dir), "names") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0)
		return -1;
	t_meas_run(db, "ict", "U1", "F1", "rails", "vdd", 2.9, 3.0, 3.6, t += T_MIN_US);
	t_meas_run(db, "final", "U1", "F1", "rails", "vdd", 3.7, 3.0, 3.6, t += T_MIN_US);
	t_meas_run(db, "final", "U2", "F1", "rails", "vdd", 3.7, 3.0, 3.6, t += T_MIN_US);
	t_meas_run(db, LONG_SEQ, SERIAL_LONG, FX_LONG, LONG_STEP, LONG_MEAS, 5, 0, 1, t += T_MIN_US);
	t_meas_run(db, NULL, "U4", "F1", UTF_STEP, UTF_MEAS, 0.5, 0, 1, t += T_MIN_US);
	t_meas_run(db, NULL, "U5", FX_LONG, UTF_STEP, UTF_MEAS, 9, 0, 1, t += T_MIN_US);
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static struct db *open_log(void)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct st_error e;
	struct db *db;

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	return db;
}

/* station report in format fmt, as a string. */
static char *report(const char *fmt)
{
	struct rep_filter f = { 0 };
	struct report r = { .db_path = path, .exact = true };
	struct st_error e;
	struct db *db = open_log();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(rd_report(db_reader(db), &f, &r, &e), ST_OK);
	if (!strcmp(fmt, "json"))
		report_json(out, &r);
	else if (!strcmp(fmt, "csv"))
		report_csv(out, &r);
	else if (!strcmp(fmt, "html"))
		report_html(out, &r);
	else
		report_text(out, &r);
	fclose(out);
	report_free(&r);
	db_close(db);
	return buf;
}

/* The lines of the table whose header starts with head (after two
 * spaces), up to an empty line: each as wide as the header on a terminal
 * (their last column is right-aligned), and no raw escape. */
static int table_aligned(const char *text, const char *head)
{
	char needle[128];
	const char *p;
	int width = -1, rows = 0;

	snprintf(needle, sizeof(needle), "\n  %s", head);
	p = strstr(text, needle);
	if (!p)
		fail_msg("no table '%s' in:\n%s", head, text);
	for (p++; *p && *p != '\n';) {
		const char *nl = strchr(p, '\n');
		char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
		int w = st_text_width(line);

		assert_null(strchr(line, '\x1b'));
		if (width < 0)
			width = w;
		else if (w != width)
			fail_msg("table '%s': %d columns, not %d:\n%s", head, w, width, line);
		free(line);
		rows++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	return rows - 1;
}

/* Item 1: each failure mode with its operation, in every format. */
static void test_modes_name_their_operation(void **state)
{
	char *t = report("text"), *h, *c;
	json_t *j, *m;
	json_error_t je;

	assert_non_null(strstr(t, "\n  operation "));
	assert_non_null(strstr(t, "\n  final "));
	assert_non_null(strstr(t, "\n  ict "));
	assert_non_null(strstr(t, "\n  - "));	/* no sequence name */
	assert_non_null(strstr(t, "\n  " LONG_SEQ " "));
	free(t);
	h = report("html");
	assert_non_null(strstr(h, "<th>operation</th><th>step / measurement</th>"));
	assert_non_null(strstr(h, "<tr><td>final</td><td class=\"name\">rails / vdd</td><td>high"
				  "</td><td>2</td>"));
	assert_non_null(strstr(h, "<tr><td>ict</td><td class=\"name\">rails / vdd</td><td>low"
				  "</td><td>1</td>"));
	assert_non_null(strstr(h, "<tr><td>-</td><td class=\"name\">"));
	free(h);
	c = report("csv");
	assert_non_null(strstr(c, "\r\nfailure_mode,final/rails/vdd high,count,2\r\n"));
	assert_non_null(strstr(c, "\r\nfailure_mode,ict/rails/vdd low,count,1\r\n"));
	free(c);
	t = report("json");
	j = json_loads(t, 0, &je);
	assert_non_null(j);
	m = json_array_get(json_object_get(j, "failure_modes"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "sequence")), "final");
	m = json_array_get(json_object_get(j, "failure_modes"), 1);
	assert_true(json_is_null(json_object_get(m, "sequence")));	/* none: first */
	m = json_array_get(json_object_get(j, "failure_modes"), 3);
	assert_string_equal(json_string_value(json_object_get(m, "sequence")), "ict");
	json_decref(j);
	free(t);
}

/* --operations (fmt) or, fmt NULL, --group-by fixture as text. */
static char *ops(const char *fmt)
{
	struct rep_filter f = { 0 };
	struct st_error e;
	struct db *db = open_log();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (fmt)
		assert_int_equal(report_operations(out, db_reader(db), &f, false, fmt, &e), ST_OK);
	else
		assert_int_equal(report_groups(out, db_reader(db), &f, "fixture", NULL, false,
					       "text", &e), ST_OK);
	fclose(out);
	db_close(db);
	return buf;
}

/* Item 4: runs without a sequence name are operation "-", not "". */
static void test_operation_without_a_name(void **state)
{
	char *t = ops("text"), *c = ops("csv");
	json_error_t je;
	json_t *j, *o;

	assert_non_null(strstr(t, "\n  -  "));
	assert_null(strstr(t, "\n                      2 "));	/* an empty name */
	assert_non_null(strstr(c, "\r\noperation,-,runs,2\r\n"));
	assert_null(strstr(c, "\r\noperation,,"));
	free(t);
	free(c);
	t = ops("json");
	j = json_loads(t, 0, &je);
	assert_non_null(j);
	o = json_array_get(json_object_get(j, "operations"), 0);	/* none first */
	assert_string_equal(json_string_value(json_object_get(o, "operation")), "-");
	assert_int_equal(json_integer_value(json_object_get(o, "runs")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "runs_per_unit"),
							    "1")), 2);
	json_decref(j);
	free(t);
}

/* The display column where needle starts in the line holding it. */
static int column_of(const char *line_start, const char *needle)
{
	const char *p = strstr(line_start, needle);
	char *pre;
	int w;

	assert_non_null(p);
	pre = strndup(line_start, (size_t)(p - line_start));
	w = st_text_width(pre);
	free(pre);
	return w;
}

/* Item 2: names of 60+ characters, multi-byte UTF-8 and an escape do not
 * break a text table: every row as wide as its header, in characters. */
static void test_tables_aligned(void **state)
{
	char *t = report("text"), *o = ops("text"), *g = ops(NULL), *p;

	assert_int_equal(table_aligned(t, "step "), 3);	/* Pareto */
	assert_int_equal(table_aligned(t, "operation "), 4);	/* modes */
	assert_non_null(strstr(t, LONG_STEP " / " LONG_MEAS));	/* not cut */
	assert_non_null(strstr(t, UTF_STEP " / Strom_µA_Ω_\\e[2J_検査"));
	assert_int_equal(table_aligned(o, "operation "), 4);
	/* runs per unit: the counts start in one column */
	p = strstr(o, "runs per unit");
	assert_non_null(p);
	assert_int_equal(column_of(strstr(p, "\n  -") + 1, "1: "),
			 column_of(strstr(p, "\n  " LONG_SEQ) + 1, "1: "));
	assert_int_equal(column_of(strstr(p, "\n  -") + 1, "1: "),
			 column_of(strstr(p, "\n  ict") + 1, "1: "));
	assert_int_equal(table_aligned(g, "fixture "), 2);
	assert_non_null(strstr(g, "\n  " FX_LONG " "));
	free(t);
	free(o);
	free(g);
}

/* Writes a failing run from another connection once the totals are read. */
static void write_between(void *ctx, enum rep_query q)
{
	struct db *w;
	struct st_error e;

	if (q != REP_Q_TOTAL)
		return;
	assert_int_equal(db_open(&w, path, NULL, &e), ST_OK);
	t_meas_run(w, "ict", "U9", "F1", "rails", "vdd", 2.0, 3.0, 3.6, T_DAY1_US + 2 * T_DAY_US);
	db_close(w);
	++*(int *)ctx;
}

/* Item 5: one snapshot.  A run ended between the totals and the other
 * sections is in none of them: the days add up to the totals, the Pareto
 * and the statistics do not count it; the next report has it everywhere.
 * (Runs last: it adds a run to the log.) */
static void test_one_snapshot(void **state)
{
	struct rep_filter f = { 0 };
	struct db *db = open_log();
	struct st_error e;
	int written = 0;

	for (int exact = 1; exact >= 0; exact--) {
		struct report r = { .db_path = path, .exact = exact, .between = write_between,
				    .between_ctx = &written };
		int64_t day_runs = 0, fails = 0;

		assert_int_equal(rd_report(db_reader(db), &f, &r, &e), ST_OK);
		assert_int_equal(written, 2 - exact);
		for (int i = 0; i < r.ndays; i++)
			day_runs += r.days[i].c.runs;
		for (int i = 0; i < r.nfails; i++)
			fails += r.fails[i].count;
		assert_int_equal(r.total.runs, 6 + 1 - exact);
		assert_int_equal(day_runs, r.total.runs);
		assert_int_equal(r.ndays, exact ? 1 : 2);
		assert_int_equal(fails, r.fail_total);
		assert_int_equal(r.fail_total, 5 + 1 - exact);
		report_free(&r);
	}
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes_name_their_operation),
		cmocka_unit_test(test_operation_without_a_name),
		cmocka_unit_test(test_tables_aligned),
		cmocka_unit_test(test_one_snapshot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
