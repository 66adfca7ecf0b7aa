/* SPDX-License-Identifier: Apache-2.0 */
/* The log writer: create, log a step with everything attached, recover,
 * clone lookup, and the errors an operator sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_db_data.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	if (t_mkdir(dir, sizeof(dir), "dblog") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static struct db *open_new(void)
{
	struct db *db;
	struct st_error e;

	unlink(path);
	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	return db;
}

static void test_create_and_reopen(void **state)
{
	struct db *db = open_new();
	struct st_error e;
	char buf[64];

	assert_int_equal(db_found_version(db), 0);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	t_text(db, "PRAGMA journal_mode", buf, sizeof(buf));
	assert_string_equal(buf, "wal");
	assert_int_equal(t_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' "
			       "AND name LIKE 'v_%'"), 7);
	db_close(db);
	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	db_close(db);
}

static void test_step_with_everything(void **state)
{
	struct db *db = open_new();
	struct db_run_info ri = { .station = "ST9", .fixture = "F3", .operator_name = "bo",
				  .sequence_name = "factory", .sequence_version = "2.1",
				  .sequence_sha256 = "c0de", .software_version = "1.2.3" };
	struct db_measurement m[2] = {
		{ .name = "v3v3", .value = 3.31, .unit = "V", .low = 3.2, .high = NAN },
		{ .name = "fw", .value = NAN, .text = "diag 1.4", .expect = "diag 1.4",
		  .low = NAN, .high = NAN },
	};
	struct db_image im = { .path = "diag.bin", .sha256 = "aa55", .format = "raw",
			       .address = 0x08000000, .size = 12345, .chip_id = "0x0414" };
	struct db_identity id = { .cert_serial = "7F01", .fingerprint = "ABCD",
				  .spki_sha256 = "ef01", .subject_serial = "SN-1",
				  .masa_url = "https://masa.example", .pem_chain = "-----BEGIN" };
	struct db_cms cms = { .status = "registered", .cms_id = "cms-9", .attempts = 2,
			      .http_status = 201 };
	struct db_kv kv[1] = { { "version", "1.4" } };
	struct db_step s = { .index = 4, .name = "provision", .kind = "se", .phase = "steps",
			     .outcome = DB_PASS, .started_us = 1000, .ended_us = 251000,
			     .attempts = 3, .meas = m, .n_meas = 2, .image = &im,
			     .identity = &id, .cms = &cms, .kv = kv, .n_kv = 1 };
	char run[DB_ID_LEN], buf[128], sql[256];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, run, &e), ST_OK);
	assert_int_equal(strlen(run), 32);
	assert_int_equal(strspn(run, "0123456789abcdef"), 32);
	assert_int_equal(db_run_set_serial(db, run, "B-0001", &e), ST_OK);
	assert_int_equal(db_run_file(db, run, "limits.yaml", "99ff", &e), ST_OK);
	assert_int_equal(db_step_log(db, run, &s, &e), ST_OK);
	assert_int_equal(db_event(db, run, "F3", "prompt", "operator said yes", &e), ST_OK);
	assert_int_equal(db_run_end(db, run, DB_PASS, NULL, &e), ST_OK);

	t_text(db, "SELECT unit_serial || '|' || station || '|' || fixture || '|' || operator "
	       "|| '|' || sequence_version || '|' || outcome || '|' || last_step FROM runs",
	       buf, sizeof(buf));
	assert_string_equal(buf, "B-0001|ST9|F3|bo|2.1|pass|provision");
	assert_int_equal(t_int(db, "SELECT ended_us >= started_us FROM runs"), 1);
	t_text(db, "SELECT path || '=' || sha256 FROM run_files", buf, sizeof(buf));
	assert_string_equal(buf, "limits.yaml=99ff");
	t_text(db, "SELECT idx || kind || phase || outcome || duration_us || '/' || attempts "
	       "FROM steps", buf, sizeof(buf));
	assert_string_equal(buf, "4sestepspass250000/3");
	assert_true(fabs(t_real(db, "SELECT value FROM measurements WHERE name = 'v3v3'")
			 - 3.31) < 1e-12);
	assert_int_equal(t_int(db, "SELECT high IS NULL AND low = 3.2 FROM measurements "
			       "WHERE name = 'v3v3'"), 1);
	t_text(db, "SELECT coalesce(value, 'null') || '|' || text || '|' || expect FROM "
	       "measurements WHERE name = 'fw'", buf, sizeof(buf));
	assert_string_equal(buf, "null|diag 1.4|diag 1.4");
	t_text(db, "SELECT sha256 || address || '|' || size || chip_id || format FROM images",
	       buf, sizeof(buf));
	assert_string_equal(buf, "aa55134217728|123450x0414raw");
	t_text(db, "SELECT cert_serial || fingerprint || spki_sha256 || subject_serial || "
	       "masa_url FROM identities", buf, sizeof(buf));
	assert_string_equal(buf, "7F01ABCDef01SN-1https://masa.example");
	t_text(db, "SELECT status || cms_id || attempts || http_status FROM cms_registrations",
	       buf, sizeof(buf));
	assert_string_equal(buf, "registeredcms-92201");
	t_text(db, "SELECT key || '=' || value FROM step_values", buf, sizeof(buf));
	assert_string_equal(buf, "version=1.4");
	t_text(db, "SELECT what || ':' || detail FROM events", buf, sizeof(buf));
	assert_string_equal(buf, "prompt:operator said yes");
	/* identities carry their run; measurements reach it through their step */
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM v_measurements WHERE run_id = '%s')"
		 " + (SELECT count(*) FROM identities WHERE run_id = '%s')", run, run);
	assert_int_equal(t_int(db, sql), 3);
	t_text(db, "SELECT name || software_version FROM stations", buf, sizeof(buf));
	assert_string_equal(buf, "ST91.2.3");
	/* the same step index twice is a station bug, reported with its step */
	assert_int_equal(db_step_log(db, run, &s, &e), ST_ERR_DB);
	assert_non_null(strstr(e.msg, "step 4 (provision)"));
	assert_non_null(strstr(e.msg, "SQLITE_CONSTRAINT"));
	db_close(db);
}

static void test_recover_names_last_step(void **state)
{
	struct db *db = open_new();
	struct db_run_info ri = { .unit_serial = "U9", .fixture = "F1" };
	struct db_step s = { .name = "power", .outcome = DB_PASS, .started_us = 5,
			     .ended_us = 7 };
	char crashed[DB_ID_LEN], empty[DB_ID_LEN], done[DB_ID_LEN], buf[200], sql[200];
	struct st_error e;
	int n = -1;

	assert_int_equal(db_run_begin(db, &ri, crashed, &e), ST_OK);
	assert_int_equal(db_step_log(db, crashed, &s, &e), ST_OK);
	s.index = 1;
	s.name = "flash diag";
	s.ended_us = 99;
	assert_int_equal(db_step_log(db, crashed, &s, &e), ST_OK);
	assert_int_equal(db_run_begin(db, &ri, empty, &e), ST_OK);
	assert_int_equal(db_run_begin(db, &ri, done, &e), ST_OK);
	assert_int_equal(db_run_end(db, done, DB_FAIL, "vdd low", &e), ST_OK);

	assert_int_equal(db_recover(db, NULL, NULL, &n, NULL, &e), ST_OK);
	assert_int_equal(n, 2);
	snprintf(sql, sizeof(sql), "SELECT outcome || '|' || reason || '|' || ended_us FROM runs "
		 "WHERE id = '%s'", crashed);
	t_text(db, sql, buf, sizeof(buf));
	assert_string_equal(buf, "aborted|station stopped during the run; last logged step 1 "
			    "(flash diag)|99");
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE outcome = 'aborted' AND "
			       "reason = 'station stopped before the first step was logged'"), 1);
	t_text(db, "SELECT outcome || reason FROM runs WHERE outcome = 'fail'", buf, sizeof(buf));
	assert_string_equal(buf, "failvdd low");
	assert_int_equal(t_int(db, "SELECT count(*) FROM events WHERE what = 'recovered'"), 2);
	assert_int_equal(db_recover(db, NULL, NULL, &n, NULL, &e), ST_OK);
	assert_int_equal(n, 0);
	db_close(db);
}

static bool fixture_b_live(const char *fixture, void *ctx)
{
	(*(int *)ctx)++;
	return !strcmp(fixture, "B");
}

/* A run another station is running (live() says so) is left alone. */
static void test_recover_leaves_live_runs(void **state)
{
	struct db *db = open_new();
	struct db_run_info a = { .unit_serial = "U1", .fixture = "A" };
	struct db_run_info b = { .unit_serial = "U2", .fixture = "B" };
	char ida[DB_ID_LEN], idb[DB_ID_LEN];
	struct st_error e;
	int n = -1, live = -1, asked = 0;

	(void)state;
	assert_int_equal(db_run_begin(db, &a, ida, &e), ST_OK);
	assert_int_equal(db_run_begin(db, &b, idb, &e), ST_OK);
	assert_int_equal(db_recover(db, fixture_b_live, &asked, &n, &live, &e), ST_OK);
	assert_int_equal(asked, 2);
	assert_int_equal(n, 1);
	assert_int_equal(live, 1);
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE fixture = 'A' AND outcome = "
			       "'aborted'"), 1);
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE fixture = 'B' AND outcome = "
			       "'running'"), 1);
	assert_int_equal(t_int(db, "SELECT count(*) FROM events WHERE what = 'recovered'"), 1);
	assert_int_equal(t_int(db, "SELECT total(runs) FROM cells"), 1);	/* A only */
	/* B ends as it would in its station: counted once */
	assert_int_equal(db_run_end(db, idb, DB_PASS, NULL, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT total(runs) FROM cells"), 2);
	db_close(db);
}

static int seen(struct db *db, const char *fp, const char *spki, const char *unit,
		const char *chip, struct db_identity_hit *hit)
{
	struct db_identity_key k = { fp, spki, unit, chip };
	struct st_error e;

	return db_identity_seen(db, &k, hit, &e);
}

static void test_identity_seen(void **state)
{
	struct db *db = open_new();
	struct db_identity_hit hit;

	t_make_dataset(db);
	/* the same unit seen again (a retest) is not a clone */
	assert_int_equal(seen(db, "fp-U4", NULL, "U4", NULL, &hit), 0);
	assert_int_equal(seen(db, "fp-U4", NULL, "U4", "se-U4", &hit), 0);
	assert_int_equal(seen(db, "FP-U4", NULL, "U9", NULL, &hit), 1);
	assert_string_equal(hit.unit, "U4");
	assert_string_equal(hit.chip, "se-U4");
	assert_int_equal(seen(db, "nope", "fp-U3", "U1", NULL, &hit), 1);
	assert_string_equal(hit.unit, "U3");
	assert_int_equal(seen(db, "nope", "nope", "U1", NULL, &hit), 0);
	assert_string_equal(hit.unit, "");
	assert_int_equal(seen(db, NULL, NULL, "U1", NULL, &hit), 0);
	/* the same unit serial, but the identity sits in another SE chip */
	assert_int_equal(seen(db, "fp-U4", NULL, "U4", "se-COPY", &hit), 1);
	assert_string_equal(hit.unit, "U4");
	assert_string_equal(hit.chip, "se-U4");
	assert_int_equal(seen(db, "fp-U4", NULL, "U4", "SE-u4", &hit), 0);
	db_close(db);
}

static void test_errors_an_operator_can_act_on(void **state)
{
	struct db_opts ro = { .readonly = true };
	struct db *db;
	struct db_run_info ri = { .unit_serial = "U1" };
	char run[DB_ID_LEN], p[200];
	struct st_error e;
	FILE *f;

	snprintf(p, sizeof(p), "%s/no/such/dir/station.db", dir);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_ERR_IO);
	assert_non_null(strstr(e.msg, "does not exist"));
	assert_non_null(strstr(e.msg, "/no/such/dir"));
	snprintf(p, sizeof(p), "%s/missing.db", dir);
	assert_int_equal(db_open(&db, p, &ro, &e), ST_ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "no log at"));
	assert_int_equal(access(p, F_OK), -1);	/* a reader never creates a log */

	snprintf(p, sizeof(p), "%s/junk.db", dir);
	f = fopen(p, "w");
	fputs("this is not a database, just a text file long enough to matter.......", f);
	fclose(f);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_ERR_DB);
	assert_non_null(strstr(e.msg, "SQLITE_NOTADB"));
	assert_non_null(strstr(e.msg, "not a station log"));

	db = open_new();
	assert_int_equal(db_run_end(db, "0123", DB_PASS, NULL, &e), ST_ERR_NOTFOUND);
	assert_int_equal(sqlite3_exec(db_handle(db), "PRAGMA user_version = 99", 0, 0, 0), 0);
	db_close(db);
	assert_int_equal(db_open(&db, path, NULL, &e), ST_ERR_DB);
	assert_non_null(strstr(e.msg, "newer than this station"));

	db = open_new();
	db_close(db);
	assert_int_equal(db_open(&db, path, &ro, &e), ST_OK);
	assert_int_equal(db_run_begin(db, &ri, run, &e), ST_ERR_DB);
	assert_non_null(strstr(e.msg, "SQLITE_READONLY"));
	assert_non_null(strstr(e.msg, path));
	db_close(db);
}

/* Run sql on a connection of its own (another program on the log). */
static void other(const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Every value's def is there, and the view shows every value. */
static void defs_whole(struct db *db, int values, int defs)
{
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurement_values v WHERE NOT EXISTS"
			       " (SELECT 1 FROM measurement_defs d WHERE d.id = v.def)"), 0);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements"), values);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurement_defs"), defs);
}

/* A measurement's def is made once per kind and then found in the
 * station's cache (db_defs.c), which follows what others change: another
 * program renumbering the defs, and a step rolled back after it made one. */
static void test_defs_kept_and_followed(void **state)
{
	struct db *db = open_new();
	struct db_run_info ri = { .unit_serial = "D-1" };
	struct db_measurement m[3] = {
		{ .name = "vdd", .value = 3.3, .unit = "V", .low = 3.1, .high = 3.5 },
		{ .name = "fw", .value = NAN, .text = "1.4", .expect = "1.4", .low = NAN,
		  .high = NAN },
		{ .name = "vdd", .value = 3.4, .unit = "V", .low = 3.1, .high = 3.45 },
	};
	struct db_kv boom = { "boom", "1" };
	struct db_step s = { .name = "rails", .outcome = DB_PASS, .meas = m, .n_meas = 3 };
	char run[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, run, &e), ST_OK);
	for (s.index = 1; s.index <= 3; s.index++)
		assert_int_equal(db_step_log(db, run, &s, &e), ST_OK);
	defs_whole(db, 9, 3);	/* a limit changed: a kind of its own */
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements WHERE name = 'vdd'"
			       " AND high = 3.45"), 3);
	/* another program renumbers the defs (a merge): the next step finds
	 * them under their new ids */
	other("BEGIN; UPDATE measurement_defs SET id = id + 100;"
	      " UPDATE measurement_values SET def = def + 100; COMMIT");
	assert_int_equal(db_step_log(db, run, &s, &e), ST_OK);
	defs_whole(db, 12, 3);
	/* a step that makes a def and then fails is rolled back whole: its
	 * def with it, and the next step makes it again */
	other("CREATE TRIGGER boom BEFORE INSERT ON step_values WHEN NEW.key = 'boom'"
	      " BEGIN SELECT RAISE(ABORT, 'boom'); END");
	m[0].unit = "mV";
	s.index++;
	s.kv = &boom;
	s.n_kv = 1;
	assert_int_equal(db_step_log(db, run, &s, &e), ST_ERR_DB);
	assert_non_null(strstr(e.msg, "boom"));
	defs_whole(db, 12, 3);
	s.kv = NULL;
	s.n_kv = 0;
	assert_int_equal(db_step_log(db, run, &s, &e), ST_OK);
	defs_whole(db, 15, 4);
	assert_int_equal(t_int(db, "SELECT count(*) FROM measurements WHERE unit = 'mV'"), 1);
	assert_int_equal(db_check(db, &e), ST_OK);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_reopen),
		cmocka_unit_test(test_step_with_everything),
		cmocka_unit_test(test_recover_names_last_step),
		cmocka_unit_test(test_recover_leaves_live_runs),
		cmocka_unit_test(test_identity_seen),
		cmocka_unit_test(test_errors_an_operator_can_act_on),
		cmocka_unit_test(test_defs_kept_and_followed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
