/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What station report and trace say when the answer is not what an
 * operator expects, on the log of test_db_data.h with fixture F2 renamed ""
 * by hand (the station names a fixture without a name "fixture"; another
 * tool need not):
 *   - report --spc of no values names the filters in force, which may be
 *     why (a fixture that is not in the log, first runs only);
 *   - the fixture "" is shown as "" wherever text names a fixture (--spc
 *     text and HTML, --group-by fixture, trace, the filters line), never
 *     as nothing ("fixture : 3 points");
 *   - one of a count is singular, and no operator is "-", not nothing.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_station_report.h"

static char errp[160];

static int setup_said(void **state)
{
	struct db *db;
	struct st_error e;

	if (setup(state) < 0 || db_open(&db, dbp, NULL, &e) < 0)
		return -1;
	t_edit_text(db, "F2", "");
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE fixture = ''"), 5);
	db_close(db);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	return 0;
}

/* report ARGS... (NULL-terminated) with its standard error in errp; the
 * exit status. */
static int report_err(const char *first, ...)
{
	char *argv[32] = { "report", "--db", dbp, "-o", outp, (char *)first };
	int argc = 6, fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved, ret;
	va_list ap;

	va_start(ap, first);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	ret = cmd_report(argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return ret;
}

static void has(const char *path, const char *want)
{
	char *t = slurp(path);

	if (!strstr(t, want))
		fail_msg("no '%s' in:\n%s", want, t);
	free(t);
}

static void lacks(const char *path, const char *bad)
{
	char *t = slurp(path);

	if (strstr(t, bad))
		fail_msg("'%s' in:\n%s", bad, t);
	free(t);
}

static void test_spc_none_names_the_filters(void **state)
{
	assert_int_equal(report_err("--spc", "vdd", "--fixture", "NOPE", NULL), EXIT_UNIT_FAIL);
	has(errp, "station report: no measurement 'vdd' with values in the runs selected "
		  "(filters: fixture NOPE, each unit's first run; the names: station export "
		  "--what measurements)\n");
	assert_int_equal(report_err("--spc", "vdd", "--fixture", "F1", "--since", "2027-01-01",
				    "--all-runs", NULL), EXIT_UNIT_FAIL);
	has(errp, "(filters: since 2027-01-01T00:00:00Z fixture F1, every run; the names:");
	assert_int_equal(report_err("--spc", "nosuch", NULL), EXIT_UNIT_FAIL);
	has(errp, "no measurement 'nosuch' with values in the runs selected (filters: none, "
		  "each unit's first run; ");
	/* a name from the command line is shown, not sent to the terminal raw */
	assert_int_equal(report_err("--spc", "vdd", "--operator", "x\x1b[2J", NULL),
			 EXIT_UNIT_FAIL);
	has(errp, "(filters: operator x\\e[2J, each unit's first run;");
	/* values found: nothing said */
	assert_int_equal(report_err("--spc", "vdd", "--fixture", "F1", NULL), EXIT_PASS);
	lacks(errp, "no measurement");
}

static void test_empty_fixture_name_shown(void **state)
{
	/* --spc: text and HTML */
	assert_int_equal(report_err("--spc", "vdd", NULL), EXIT_PASS);
	has(outp, "\nfixture \"\": 3 points");
	has(outp, "\nfixture F1: 3 points");
	lacks(outp, "fixture :");
	assert_int_equal(report_err("--spc", "vdd", "-f", "html", NULL), EXIT_PASS);
	has(outp, "<h2>fixture &quot;&quot;</h2>");
	/* --group-by fixture: the row's name cell ("" sorts first; the ended runs) */
	assert_int_equal(report_err("--group-by", "fixture", NULL), EXIT_PASS);
	has(outp, "\n  \"\"                            4      3      3  100.0%");
	/* the filters line of a report on that fixture */
	assert_int_equal(report_err("--fixture", "", NULL), EXIT_PASS);
	has(outp, "filters: fixture \"\"\n");
	/* trace */
	assert_int_equal(run_cmd(cmd_trace, "trace", "U3", NULL), EXIT_PASS);
	has(outp, "  fixture \"\" @ ST1  operator ana\n");
}

/* One run without a serial, one unit tested with no operator given: the
 * report says "1 run without a serial" (it said "1 runs"), trace says
 * "operator -" (it said "operator " and nothing). */
static void test_one_and_none_said(void **state)
{
	struct db_run_info ri = { .unit_serial = "NOOP1", .station = "ST1", .fixture = "F1",
				  .sequence_name = "factory", .sequence_version = "1",
				  .started_us = 1767600000000000 };
	struct db_step s = { .index = 0, .name = "test", .kind = "console", .outcome = DB_PASS,
			     .started_us = ri.started_us, .ended_us = ri.started_us + 1,
			     .attempts = 1 };
	char id[DB_ID_LEN];
	struct st_error e;
	struct db *db;

	assert_int_equal(db_open(&db, dbp, NULL, &e), ST_OK);
	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, DB_PASS, NULL, &e), ST_OK);
	t_one_step_run(db, "factory", NULL, "F1", "ST1", ri.started_us + 60000000, DB_PASS);
	db_close(db);

	assert_int_equal(report_err("-f", "text", NULL), EXIT_PASS);
	has(outp, "; 1 run without a serial (no unit: not in the yield);");
	lacks(outp, "1 runs without");
	assert_int_equal(report_err("-f", "html", NULL), EXIT_PASS);
	has(outp, "; 1 run without a serial (no unit: not in the yield)</p>");
	assert_int_equal(run_cmd(cmd_trace, "trace", "NOOP1", NULL), EXIT_PASS);
	has(outp, "  fixture F1 @ ST1  operator -\n");
}

/* A run without a serial, traced by its id: "run ID, no serial" (it said
 * "unit ID: 1 run", the run id for a serial); a name found nowhere says
 * every kind of name trace looks for. */
static void test_run_id_traced(void **state)
{
	struct db_run_info ri = { .station = "ST1", .fixture = "F1", .sequence_name = "factory",
				  .sequence_version = "1", .started_us = 1767700000000000 };
	struct db_step s = { .index = 0, .name = "test", .kind = "console", .outcome = DB_FAIL,
			     .started_us = ri.started_us, .ended_us = ri.started_us + 1,
			     .attempts = 1 };
	char id[DB_ID_LEN], want[DB_ID_LEN + 32];
	struct st_error e;
	struct db *db;

	(void)state;
	assert_int_equal(db_open(&db, dbp, NULL, &e), ST_OK);
	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, DB_FAIL, NULL, &e), ST_OK);
	db_close(db);
	assert_int_equal(run_cmd(cmd_trace, "trace", id, NULL), EXIT_PASS);
	snprintf(want, sizeof(want), "run %s, no serial: 1 run\n", id);
	has(outp, want);
	lacks(outp, "unit ");
	assert_int_not_equal(run_cmd(cmd_trace, "trace", "NOWHERE9", NULL), EXIT_PASS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spc_none_names_the_filters),
		cmocka_unit_test(test_empty_fixture_name_shown),
		cmocka_unit_test(test_one_and_none_said),
		cmocka_unit_test(test_run_id_traced),
	};
	return cmocka_run_group_tests(tests, setup_said, teardown);
}
