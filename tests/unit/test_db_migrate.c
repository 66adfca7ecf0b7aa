/* SPDX-License-Identifier: Apache-2.0 */
/* A log written with schema version 1 (the frozen db/migrations/v1.sql) is
 * upgraded in place by db_open(), keeping every row and working with the
 * current writer, views and recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_db_data.h"

static char dir[64];
static char path[128];

/* Rows as the first stations wrote them: one finished run, one cut short. */
static const char v1_rows[] =
	"INSERT INTO runs VALUES ('00000000000000000000000000000001', 'OLD-1', 'ST0', 'F1', "
	"  'ana', 'factory', '0.9', 'aa', '0.1', 1700000000000000, 1700000060000000, 'pass', NULL);"
	"INSERT INTO runs VALUES ('00000000000000000000000000000002', 'OLD-2', 'ST0', 'F2', "
	"  'ana', 'factory', '0.9', 'aa', '0.1', 1700000100000000, NULL, 'running', NULL);"
	"INSERT INTO steps VALUES (1, '00000000000000000000000000000001', 0, 'power', 'lines', "
	"  'pass', NULL, 1700000000000000, 1700000001000000);"
	"INSERT INTO steps VALUES (2, '00000000000000000000000000000001', 1, 'rails', 'measure', "
	"  'pass', NULL, 1700000001000000, 1700000003000000);"
	"INSERT INTO steps VALUES (3, '00000000000000000000000000000002', 0, 'power', 'lines', "
	"  'pass', NULL, 1700000100000000, 1700000101000000);"
	"INSERT INTO steps VALUES (4, '00000000000000000000000000000002', 1, 'flash diag', 'flash', "
	"  'pass', NULL, 1700000101000000, 1700000109000000);"
	"INSERT INTO measurements VALUES (1, 2, 'vdd', 3.31, 'V', 3.0, 3.6, 'pass');"
	"INSERT INTO images VALUES (1, 4, 'beef', 134217728, 1024);"
	"INSERT INTO identities VALUES (1, 2, '0A01', 'CN=old', 'CN=ca', 'fp-old', 'PEM');";

static char *read_file(const char *name)
{
	const char *top = getenv("ST_TOP");
	char p[512];
	char *buf;
	long n;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", top ? top : ".", name);
	f = fopen(p, "r");
	if (!f)
		fail_msg("cannot read %s (run from the repository root or set ST_TOP)", p);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	char *v1 = read_file("db/migrations/v1.sql");
	sqlite3 *h;
	int rc;

	if (t_mkdir(dir, sizeof(dir), "dbmig") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/old.db", dir);
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, v1, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, v1_rows, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "v1 log: %s\n", sqlite3_errmsg(h));
	sqlite3_close(h);
	free(v1);
	return rc == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

static void test_reader_refuses_old_log(void **state)
{
	struct db_opts ro = { .readonly = true };
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, path, &ro, &e), ST_ERR_DB);
	assert_non_null(strstr(e.msg, "schema version 1"));
	assert_non_null(strstr(e.msg, "station db migrate"));
}

static void test_v1_upgraded_in_place(void **state)
{
	struct db *db;
	struct st_error e;
	char buf[256];

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 1);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	/* every old row kept, new columns filled from the old ones */
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs"), 2);
	assert_int_equal(t_int(db, "SELECT count(*) FROM steps"), 4);
	t_text(db, "SELECT run_id FROM v_measurements WHERE name = 'vdd'", buf, sizeof(buf));
	assert_string_equal(buf, "00000000000000000000000000000001");
	t_text(db, "SELECT run_id || '|' || sha256 || '|' || address FROM images", buf,
	       sizeof(buf));
	assert_string_equal(buf, "00000000000000000000000000000002|beef|134217728");
	t_text(db, "SELECT last_step_index || ' ' || last_step FROM runs WHERE unit_serial = "
	       "'OLD-2'", buf, sizeof(buf));
	assert_string_equal(buf, "1 flash diag");
	assert_int_equal(t_int(db, "SELECT duration_us FROM steps WHERE id = 4"), 8000000);
	t_text(db, "SELECT group_concat(station || '/' || name) FROM fixtures", buf, sizeof(buf));
	assert_string_equal(buf, "ST0/F1,ST0/F2");
	/* views over migrated rows */
	t_text(db, "SELECT day || '|' || units || '|' || passed FROM v_yield", buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14|1|1");
	assert_int_equal(t_int(db, "SELECT n FROM v_measurement_stats WHERE name = 'vdd'"), 1);
	/* the new-era lookups find old identities */
	{
		struct db_identity_key k = { "FP-OLD", NULL, "NEW-1", NULL };
		struct db_identity_hit hit;

		assert_int_equal(db_identity_seen(db, &k, &hit, &e), 1);
		assert_string_equal(hit.unit, "OLD-1");
	}
	db_close(db);
}

static void test_migrated_log_takes_new_runs_and_recovers(void **state)
{
	struct db_run_info ri = { .unit_serial = "NEW-1", .fixture = "F1" };
	struct db_identity id = { .cert_serial = "0B02", .spki_sha256 = "spki-new" };
	struct db_step s = { .name = "identity", .outcome = DB_PASS, .identity = &id };
	char run[DB_ID_LEN], buf[256];
	struct db *db;
	struct st_error e;
	int n;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), DB_SCHEMA_VERSION);
	assert_int_equal(db_run_begin(db, &ri, run, &e), ST_OK);
	assert_int_equal(db_step_log(db, run, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, run, DB_PASS, NULL, &e), ST_OK);
	assert_int_equal(db_recover(db, NULL, NULL, &n, NULL, &e), ST_OK);
	assert_int_equal(n, 1);
	t_text(db, "SELECT outcome || ': ' || reason FROM runs WHERE unit_serial = 'OLD-2'", buf,
	       sizeof(buf));
	assert_string_equal(buf, "aborted: station stopped during the run; last logged step 1 "
			    "(flash diag)");
	assert_int_equal(db_check(db, &e), ST_OK);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_refuses_old_log),
		cmocka_unit_test(test_v1_upgraded_in_place),
		cmocka_unit_test(test_migrated_log_takes_new_runs_and_recovers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
