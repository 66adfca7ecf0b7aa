/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reader interface (db/db_reader.h): the log's backend answers through
 * its table what the log's own calls answer, row for row; a backend that
 * leaves a slot NULL answers ST_ERR_NOTSUP, naming itself and the command,
 * instead of crashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_db_data.h"
#include "db/db_reader.h"

static char dir[64], path[128];

static int setup(void **state)
{
	struct st_error e;
	struct db *db;

	if (t_mkdir(dir, sizeof(dir), "dbreader"))
		return -1;
	snprintf(path, sizeof(path), "%s/log.db", dir);
	if (db_open(&db, path, NULL, &e))
		return -1;
	t_make_dataset(db);
	db_close(db);
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

/* Every row as one line of text, to compare two answers. */
struct dump {
	char buf[16384];
	size_t n;
	int rows;
};

static int dump_row(void *ctx, const struct db_row *row)
{
	struct dump *d = ctx;

	for (int c = 0; c < row->n && d->n < sizeof(d->buf) - 64; c++) {
		const struct db_value *v = &row->v[c];

		if (row->columns_only)
			d->n += (size_t)snprintf(d->buf + d->n, sizeof(d->buf) - d->n, "%s|",
						 row->name[c]);
		else if (v->type == DB_INT)
			d->n += (size_t)snprintf(d->buf + d->n, sizeof(d->buf) - d->n, "%lld|",
						 (long long)v->i);
		else if (v->type == DB_REAL)
			d->n += (size_t)snprintf(d->buf + d->n, sizeof(d->buf) - d->n, "%.17g|", v->d);
		else
			d->n += (size_t)snprintf(d->buf + d->n, sizeof(d->buf) - d->n, "%s|",
						 v->type == DB_TEXT ? v->s : "NULL");
	}
	d->rows += !row->columns_only;
	return 0;
}

static void test_log_backend(void **state)
{
	static struct dump a, b;
	struct rep_filter f = { .fixture = "F2" };
	const struct db_reader *rd;
	struct st_error e;
	struct db *db;

	assert_int_equal(db_open(&db, path, &(struct db_opts){ .readonly = true }, &e), ST_OK);
	rd = db_reader(db);
	assert_string_equal(rd->ops->name, "log");
	assert_string_equal(rd->where, path);
	for (int i = 0; db_export_whats[i]; i++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		assert_int_equal(db_export_rows(db, db_export_whats[i], &f, dump_row, &a, &e), ST_OK);
		assert_int_equal(rd_export_rows(rd, db_export_whats[i], &f, dump_row, &b, &e), ST_OK);
		assert_true(a.rows > 0);
		assert_int_equal(a.rows, b.rows);
		assert_string_equal(a.buf, b.buf);
	}
	memset(&b, 0, sizeof(b));
	assert_int_equal(rd_operation_rows(rd, DB_OP_RUNS, &f, false, dump_row, &b, &e), ST_OK);
	assert_int_equal(b.rows, 4);	/* F2's ended runs 4 to 7, not 9 (running) */
	db_close(db);
}

static void test_missing_slots(void **state)
{
	static const struct db_reader_ops none = { .name = "test store" };
	const struct db_reader rd = { .ops = &none, .h = NULL, .where = "nowhere" };
	struct rep_filter f = { 0 };
	struct report r = { 0 };
	struct dump d = { 0 };
	struct st_error e;

	assert_int_equal(rd_report(&rd, &f, &r, &e), ST_ERR_NOTSUP);
	assert_non_null(strstr(e.msg, "test store nowhere"));
	assert_int_equal(rd_export_rows(&rd, "runs", &f, dump_row, &d, &e), ST_ERR_NOTSUP);
	assert_int_equal(rd_trace_rows(&rd, DB_TRACE_RUNS, "U1", 0, dump_row, &d, &e),
			 ST_ERR_NOTSUP);
	assert_int_equal(rd_wide_rows(&rd, DB_WIDE_VALUES, &f, dump_row, &d, &e), ST_ERR_NOTSUP);
	assert_int_equal(rd_meas_series(&rd, "vdd", &f, true, NULL, dump_row, &d, &e), ST_ERR_NOTSUP);
	assert_non_null(strstr(e.msg, "--spc"));
	assert_int_equal(rd_capability_rows(&rd, &f, true, dump_row, &d, &e), ST_ERR_NOTSUP);
	assert_int_equal(rd_operation_rows(&rd, DB_OP_TOTALS, &f, false, dump_row, &d, &e),
			 ST_ERR_NOTSUP);
	assert_int_equal(d.rows, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_backend),
		cmocka_unit_test(test_missing_slots),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
