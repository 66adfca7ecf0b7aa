/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text a board or an operator wrote into the log is data in every report:
 * a step named with a terminal escape, a measurement with a bidirectional
 * override, a serial with an OSC title sequence and a step that reads as
 * a spreadsheet formula come out escaped in text (and --spc, --operations,
 * --capability), HTML and CSV; suspect marks are shown in HTML and CSV.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_db_data.h"
#include "report/report.h"

#define ESC_STEP "rails\x1b[2J"			/* clears a terminal */
#define BIDI_NAME "v\xe2\x80\xaeout"		/* U+202E right-to-left override */
#define OSC_SERIAL "SN\x1b]0;pwned\x07"		/* sets a terminal's title */
#define FORMULA_STEP "=HYPERLINK(\"http://x\")"

static char dir[64], path[128];

static int setup(void **state)
{
	struct db_run_info ri = { .unit_serial = OSC_SERIAL, .station = "ST", .fixture = "F1",
				  .sequence_name = "final\x1b[31m", .sequence_version = "1",
				  .started_us = T_DAY1_US };
	struct db_measurement m = { .name = BIDI_NAME, .unit = "V", .value = 12, .low = 9,
				    .high = 11, .outcome = DB_FAIL };
	struct db_step s1 = { .index = 0, .name = ESC_STEP, .kind = "measure", .outcome = DB_FAIL,
			      .reason = "high", .meas = &m, .n_meas = 1, .started_us = T_DAY1_US,
			      .ended_us = T_DAY1_US + 1, .attempts = 1 };
	struct db_step s2 = { .index = 1, .name = FORMULA_STEP, .kind = "console",
			      .outcome = DB_FAIL, .reason = "x", .started_us = T_DAY1_US + 2,
			      .ended_us = T_DAY1_US + 3, .attempts = 1 };
	struct db_suspect sus = { .unit_serial = OSC_SERIAL, .role = "original",
				  .reason = "same certificate" };
	char id[DB_ID_LEN];
	struct db *db;
	struct st_error e;

	if (t_mkdir(dir, sizeof(dir), "hostile") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	if (db_open(&db, path, NULL, &e) < 0 || db_run_begin(db, &ri, id, &e) < 0 ||
	    db_step_log(db, id, &s1, &e) < 0 || db_step_log(db, id, &s2, &e) < 0)
		return -1;
	sus.run_id = id;
	if (db_suspect_mark(db, &sus, &e) < 0 || db_run_end(db, id, DB_FAIL, "x", &e) < 0)
		return -1;
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

enum what { REPORT, SPC, OPERATIONS, CAPABILITY };

static char *out(enum what w, const char *format)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct spc_opts so = { .name = BIDI_NAME, .baseline = 20, .all_runs = true };
	struct rep_filter f = { 0 };
	struct report r = { .db_path = path };
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, path, &dbo, &e), ST_OK);
	if (w == SPC) {
		assert_int_equal(report_spc(o, db_reader(db), &f, &so, format, &e), ST_OK);
	} else if (w == OPERATIONS) {
		assert_int_equal(report_operations(o, db_reader(db), &f, false, format, &e), ST_OK);
	} else if (w == CAPABILITY) {
		assert_int_equal(report_capability(o, db_reader(db), &f, true, false, false, format, &e), ST_OK);
	} else {
		assert_int_equal(report_build(db, &f, &r, &e), ST_OK);
		if (!strcmp(format, "html"))
			report_html(o, &r);
		else if (!strcmp(format, "csv"))
			report_csv(o, &r);
		else
			report_text(o, &r);
		report_free(&r);
	}
	fclose(o);
	db_close(db);
	return buf;
}

/* No raw escape, BEL or bidirectional override reaches the reader. */
static void clean(const char *t)
{
	assert_null(strchr(t, '\x1b'));
	assert_null(strchr(t, '\x07'));
	assert_null(strstr(t, "\xe2\x80\xae"));
}

static void test_text(void **state)
{
	char *t = out(REPORT, "text");

	clean(t);
	assert_non_null(strstr(t, "rails\\e[2J"));
	assert_non_null(strstr(t, "v\\u202eout"));
	assert_non_null(strstr(t, "  final\\e[31m rails\\e[2J / v\\u202eout"));	/* its failure mode */
	assert_non_null(strstr(t, "suspect           1 mark ("));
	free(t);
	t = out(SPC, "text");
	clean(t);
	assert_non_null(strstr(t, "spc v\\u202eout (V): "));
	free(t);
	t = out(OPERATIONS, "text");
	clean(t);
	assert_non_null(strstr(t, "final\\e[31m"));
	free(t);
	t = out(CAPABILITY, "text");
	clean(t);
	assert_non_null(strstr(t, "final\\e[31m@1 / rails\\e[2J / v\\u202eout (V)"));
	free(t);
}

static void test_html(void **state)
{
	char *t = out(REPORT, "html");

	clean(t);
	assert_non_null(strstr(t, "rails\\e[2J"));
	assert_non_null(strstr(t, "=HYPERLINK(&quot;http://x&quot;)"));
	assert_non_null(strstr(t, "suspect: 1 mark (cloned identities"));
	free(t);
}

static void test_csv(void **state)
{
	char *t = out(REPORT, "csv");

	clean(t);
	/* a formula is text to a spreadsheet, not something it runs */
	assert_non_null(strstr(t, "\r\nfailures,\"'=HYPERLINK(\"\"http://x\"\")\",count,1\r\n"));
	assert_null(strstr(t, ",=HYPERLINK"));
	assert_non_null(strstr(t, "\r\ntotal,,suspect_marks,1\r\n"));
	free(t);
	t = out(OPERATIONS, "csv");
	clean(t);
	free(t);
	t = out(CAPABILITY, "csv");
	clean(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
