/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local side of forwarding to the central store: the queue holds every
 * ended run not yet marked, oldest end first, never a run in progress; the
 * mark takes a run off it; a run's rows come table by table, the run first;
 * a schema 6 log (db/migrations/v6.sql) upgraded to 7 queues the runs it
 * already had.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_db_data.h"
#include "db/db_forward.h"

static char dir[64], path[128];

static int setup(void **state)
{
	if (t_mkdir(dir, sizeof(dir), "fwd") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/station.db", dir);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

struct seen {
	char tables[512];
	int rows[16], meas_cols, meas_started_col;
	int64_t meas_started;
};

static int count_row(void *ctx, const char *table, const struct db_row *row)
{
	struct seen *s = ctx;
	int t = 0;

	for (const char *const *p = db_fwd_tables; *p && strcmp(*p, table); p++)
		t++;
	if (row->columns_only) {
		strcat(s->tables, table);
		strcat(s->tables, " ");
		if (!strcmp(table, "measurements")) {
			s->meas_cols = row->n;
			for (int i = 0; i < row->n; i++)
				if (!strcmp(row->name[i], "started_us"))
					s->meas_started_col = i;
		}
		return 0;
	}
	s->rows[t]++;
	if (!strcmp(table, "measurements"))
		s->meas_started = row->v[s->meas_started_col].i;
	return 0;
}

static void test_queue_rows_mark(void **state)
{
	char ids[16][DB_ID_LEN], want[512] = "";
	struct seen s = { 0 };
	struct st_error e;
	struct db *db;
	int64_t queued;
	int n;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	t_make_dataset(db);	/* 9 runs, the last still running */
	assert_int_equal(db_fwd_queue(db, ids, 16, &n, &queued, &e), ST_OK);
	assert_int_equal(n, 8);
	assert_int_equal(queued, 8);
	assert_string_equal(ids[0], t_runs[0].id);	/* ended first */
	for (int i = 0; i < n; i++)
		assert_string_not_equal(ids[i], t_runs[8].id);
	/* a batch smaller than the queue: the oldest ends, all still counted */
	assert_int_equal(db_fwd_queue(db, ids, 3, &n, &queued, &e), ST_OK);
	assert_int_equal(n, 3);
	assert_int_equal(queued, 8);

	assert_int_equal(db_fwd_rows(db, t_runs[0].id, count_row, &s, NULL, &e), ST_OK);
	for (const char *const *p = db_fwd_tables; *p; p++) {
		strcat(want, *p);
		strcat(want, " ");
	}
	assert_string_equal(s.tables, want);
	assert_int_equal(s.rows[0], 1);		/* the run */
	assert_true(s.rows[3] >= 2);		/* vdd and idle_ma */
	assert_int_equal(s.meas_started, t_runs[0].start_us);

	assert_int_equal(db_fwd_mark(db, t_runs[0].id, -1, &e), ST_OK);
	assert_int_equal(db_fwd_queue(db, ids, 16, &n, &queued, &e), ST_OK);
	assert_int_equal(n, 7);
	assert_string_not_equal(ids[0], t_runs[0].id);
	/* a run in progress is never marked */
	assert_int_equal(db_fwd_mark(db, t_runs[8].id, -1, &e), ST_ERR_ARG);
	db_close(db);
}

static int no_row(void *ctx, const char *table, const struct db_row *row)
{
	return 0;
}

/* A run whose CMS registration was queued: forwarded with it 'queued'; the
 * registration marked by `station cms sync` queues the run again; marked
 * while the forwarder was sending (between its read and its mark), the
 * forwarder's mark is refused and the run stays queued, to go again. */
static void test_cms_mark_requeues(void **state)
{
	struct db_run_info ri = { .unit_serial = "C1", .station = "st", .fixture = "fx",
				  .sequence_name = "s", .sequence_version = "1",
				  .started_us = 1000000 };
	const struct db_cms queued = { .status = "queued", .attempts = 2 };
	struct db_step st = { .index = 0, .name = "register", .kind = "register",
			      .outcome = DB_PASS, .started_us = 1000000, .ended_us = 1000001,
			      .attempts = 1, .cms = &queued };
	char id[DB_ID_LEN], ids[4][DB_ID_LEN], p[160];
	int64_t stamp = -1, stamp2 = -1, queued_n, reg[2];
	struct st_error e;
	struct db *db;
	int n;

	snprintf(p, sizeof(p), "%s/cms.db", dir);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &st, &e), ST_OK);
	st.index = 1;
	assert_int_equal(db_step_log(db, id, &st, &e), ST_OK);	/* a second one */
	assert_int_equal(db_run_end(db, id, DB_PASS, NULL, &e), ST_OK);
	reg[0] = t_int(db, "SELECT min(id) FROM cms_registrations");
	reg[1] = t_int(db, "SELECT max(id) FROM cms_registrations");
	/* forwarded while queued */
	assert_int_equal(db_fwd_rows(db, id, no_row, NULL, &stamp, &e), ST_OK);
	assert_int_equal(stamp, 0);
	assert_int_equal(db_fwd_mark(db, id, stamp, &e), ST_OK);
	assert_int_equal(db_fwd_queue(db, ids, 4, &n, &queued_n, &e), ST_OK);
	assert_int_equal(queued_n, 0);
	/* synced: the run is queued again */
	assert_int_equal(db_cms_mark(db, reg[0], "registered", "cms-7", 1, 201, &e), 1);
	assert_int_equal(db_fwd_queue(db, ids, 4, &n, &queued_n, &e), ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], id);
	/* the forwarder reads it, the other registration is synced meanwhile:
	 * its mark is refused (1), the run stays queued */
	assert_int_equal(db_fwd_rows(db, id, no_row, NULL, &stamp, &e), ST_OK);
	assert_int_equal(stamp, 1);
	assert_int_equal(db_cms_mark(db, reg[1], "failed", NULL, 1, 409, &e), 1);
	assert_int_equal(db_fwd_mark(db, id, stamp, &e), 1);
	assert_int_equal(db_fwd_queue(db, ids, 4, &n, &queued_n, &e), ST_OK);
	assert_int_equal(queued_n, 1);
	/* sent again, as it is now: marked */
	assert_int_equal(db_fwd_rows(db, id, no_row, NULL, &stamp2, &e), ST_OK);
	assert_int_equal(stamp2, 2);
	assert_int_equal(db_fwd_mark(db, id, stamp2, &e), ST_OK);
	assert_int_equal(db_fwd_queue(db, ids, 4, &n, &queued_n, &e), ST_OK);
	assert_int_equal(queued_n, 0);
	/* a registration already final is not marked twice: nothing queued */
	assert_int_equal(db_cms_mark(db, reg[0], "failed", NULL, 1, 500, &e), 0);
	assert_int_equal(db_fwd_queue(db, ids, 4, &n, &queued_n, &e), ST_OK);
	assert_int_equal(queued_n, 0);
	db_close(db);
}

/* A v6 log (the rows of a log this build wrote, in a v6 file), upgraded. */
static void test_v6_log_queues_its_runs(void **state)
{
	char src[160], p[160], ids[16][DB_ID_LEN];
	struct db *db;
	struct st_error e;
	int64_t queued;
	int n;

	snprintf(src, sizeof(src), "%s/v6src.db", dir);
	snprintf(p, sizeof(p), "%s/v6.db", dir);
	assert_int_equal(db_open(&db, src, NULL, &e), ST_OK);
	t_make_dataset(db);
	db_close(db);
	t_old_log(p, "db/migrations/v6.sql", src, NULL);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 6);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_fwd_queue(db, ids, 16, &n, &queued, &e), ST_OK);
	assert_int_equal(queued, 8);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs_to_forward'"), 1);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_rows_mark),
		cmocka_unit_test(test_v6_log_queues_its_runs),
		cmocka_unit_test(test_cms_mark_requeues),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
