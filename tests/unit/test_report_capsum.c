/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report --capability from the log's capability cells (schema 11) prints
 * exactly what it prints from the rows (--from-rows), JSON byte for byte,
 * moving ranges and subgroups, under every filter the cells answer: on a
 * random log with retests, runs started out of order (a unit's first run
 * moves when an earlier-started run of it ends after a later one), a
 * serial corrected after the end, runs ended again with another outcome
 * (a first run's values move to the other outcome's cells), a limit
 * changed without a new version, two sequence versions and three
 * fixtures.  The runs' operators, work
 * orders, parts and revisions interleave in every hour, so the cells of
 * one line value (schema 14) sum values that are not consecutive.  The
 * cells kept run by run equal the cells rebuilt from the rows, and logs
 * of schemas 10 and 13 (db/migrations/) upgraded by db_open() answer the
 * same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "test_db_data.h"
#include "db/db_reader.h"
#include "db/db_report.h"
#include "report/report.h"
#include "report/report-internal.h"

#define HOUR 3600000000LL
#define MIN 60000000LL

static char dir[64], path[128];
static uint64_t rng = 0x2545f4914f6cdd1dULL;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static const char *const fixtures[] = { "F1", "F2", "F3" };
static const char *const operators[] = { "ann", "bob", "cyd" };
static const char *const parts[] = { "P-1", "P-2" };
static const char *const revisions[] = { "A", "B" };

/* One run begun at start on fixture fx; values drift with i; vdd's high
 * limit changes halfway without a new version. */
static void begin_run(struct db *db, int i, int n, const char *serial, const char *fx,
		      int64_t start, char id[DB_ID_LEN])
{
	char wo[16];
	struct db_run_info ri = {
		.unit_serial = serial, .station = "ST", .fixture = fx,
		.sequence_name = "factory", .sequence_version = i % 3 ? "1.0" : "1.1",
		.started_us = start, .operator_name = operators[i % 3],
		.work_order = wo, .part_number = i % 11 == 4 ? NULL : parts[(i / 2) % 2],
		.revision = i % 13 == 6 ? NULL : revisions[(i / 3) % 2],
	};
	struct db_measurement m[3] = {
		{ .name = "vdd", .unit = "V", .value = 3.3 + 0.1 * urand() + 1e-4 * i, .low = 3.1,
		  .high = i < n / 2 ? 3.5 : 3.45 },
		{ .name = "idle", .unit = "mA", .value = 40 + 8 * urand(), .low = NAN, .high = 60 },
		{ .name = "gain", .value = 2 + 0.2 * urand(), .low = 1.7, .high = NAN },
	};
	struct db_step s = { .index = 1, .name = "rails", .outcome = DB_PASS, .meas = m,
			     .n_meas = 3 };
	struct st_error e;

	snprintf(wo, sizeof(wo), "WO-%d", (int)(start / (6 * HOUR)) % 4);
	if (i % 17 == 9)
		ri.work_order = NULL;
	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
}

static void end_run(struct db *db, const char *id, bool pass)
{
	struct st_error e;

	assert_int_equal(db_run_end(db, id, pass ? DB_PASS : DB_FAIL, NULL, &e), ST_OK);
}

/* Runs over 3 days; a quarter retests of earlier units, some started
 * before the units' runs already logged; every 97th serial corrected. */
static void random_log(struct db *db, int n)
{
	char serial[32], id[DB_ID_LEN];
	int units = 0;
	struct st_error e;

	for (int i = 0; i < n; i++) {
		bool retest = units && urand() < 0.25;
		int u = retest ? (int)(urand() * units) : units++;
		int64_t start = T_DAY1_US + (int64_t)(urand() * 3 * T_DAY_US);

		snprintf(serial, sizeof(serial), "U%04d", u);
		begin_run(db, i, n, i % 41 == 7 ? NULL : serial, fixtures[(int)(urand() * 3)], start,
			  id);
		bool pass = urand() < 0.8;

		end_run(db, id, pass);
		if (i % 89 == 3)	/* ended again: a first run may stop being judged */
			assert_int_equal(db_run_end(db, id, i % 2 ? DB_ERROR : DB_PASS, "again", &e),
					 ST_OK);
		if (i % 61 == 30)	/* judged again: its values change outcome */
			assert_int_equal(db_run_end(db, id, pass ? DB_FAIL : DB_PASS, "again", &e),
					 ST_OK);
		if (i % 97 == 5)
			assert_int_equal(db_run_set_serial(db, id, "U-FIXED", &e), ST_OK);
	}
}

/* A unit every 10 minutes on fixture F4 from 06:00 to 15:00 of the second
 * day: a shift off the hour there has both ends' minutes and whole hours
 * between them for every key. */
static void dense_fixture(struct db *db)
{
	const int64_t day1 = T_DAY1_US - T_DAY1_US % T_DAY_US + T_DAY_US;
	char serial[32], id[DB_ID_LEN];

	for (int j = 0; j < 54; j++) {
		snprintf(serial, sizeof(serial), "D%03d", j);
		begin_run(db, 1000 + 3 * j, 700, serial, "F4", day1 + 6 * HOUR + j * 10 * MIN, id);
		end_run(db, id, true);
	}
}

/* A unit's earlier-started run ends after a later-started one: the first
 * run moves from the later (F2) to the earlier (F1), in hours with values. */
static void moved_first(struct db *db)
{
	char a[DB_ID_LEN], b[DB_ID_LEN];

	begin_run(db, 1, 2, "MOVE-1", "F1", T_DAY1_US + 5 * HOUR + 60000000LL, a);
	begin_run(db, 1, 2, "MOVE-1", "F2", T_DAY1_US + 5 * HOUR + 120000000LL, b);
	end_run(db, b, true);
	end_run(db, a, false);
}

struct buf {
	char *p;
	size_t n;
};

/* report --all-runs (every ended run's values, schema 16) in same(),
 * same_minutes() and capability(), else each unit's first run's */
static bool all_runs;

/* ST_OK, or ST_ERR_NOTFOUND when f selects no value (nothing printed) */
static int capability(struct db *db, const struct rep_filter *f, bool sub, bool rows,
		      struct buf *b)
{
	FILE *out = open_memstream(&b->p, &b->n);
	struct st_error e;
	int rc;

	assert_non_null(out);
	rc = report_capability(out, db_reader(db), f, all_runs, sub, rows, "json", &e);
	assert_true(rc == ST_OK || rc == ST_ERR_NOTFOUND);
	fclose(out);
	assert_true(rc == ST_OK || !b->n);
	return rc;
}

static int count_row(void *ctx, const struct db_row *row)
{
	*(int64_t *)ctx += !row->columns_only;
	return 0;
}

/* Can every run's cells answer f: no line value, no outcome, no station
 * of a log of several? */
static bool all_answer(struct db *db, const struct rep_filter *f)
{
	return !f->outcome && !f->operator_name && !f->work_order && !f->part_number &&
	       !f->revision &&
	       (!f->station || t_int(db, "SELECT count(DISTINCT station) FROM runs") == 1);
}

/* The cells answer f (or, answer, refuse it) and both paths print the same. */
static void same(struct db *db, const struct rep_filter *f, bool answer)
{
	struct st_error e;
	int64_t cells = 0;
	int rc = db_capability_sums(db, f, all_runs, count_row, &cells, &e);

	if (all_runs)
		answer = answer && all_answer(db, f);
	if (rc != (answer ? ST_OK : ST_ERR_NOTSUP))
		fail_msg("cells: %d (%s)", rc, rc ? e.msg : "");
	for (int sub = 0; sub < 2; sub++) {
		struct buf s = { 0 }, r = { 0 };

		assert_int_equal(capability(db, f, sub, false, &s), capability(db, f, sub, true, &r));
		if (strcmp(s.p, r.p))
			fail_msg("summaries and rows differ (subgroups %d):\n%s\n---\n%s", sub, s.p,
				 r.p);
		assert_true(!answer || strstr(s.p, "\"n\"") || !cells);
		free(s.p);
		free(r.p);
	}
}

/* A window off the hour: the log's cells of its whole hours with its
 * minutes' cells from the rows (report/capedge.c) answer, as the rows. */
static void same_minutes(struct db *db, const struct rep_filter *f)
{
	struct st_error e;
	int64_t cells = 0;

	assert_int_equal(rep_capedge_sums(db_reader(db), f, all_runs, count_row, &cells, &e),
			 all_runs && !all_answer(db, f) ? ST_ERR_NOTSUP : ST_OK);
	same(db, f, false);
}

static void same_filters(struct db *db)
{
	const int64_t day0 = T_DAY1_US - T_DAY1_US % T_DAY_US;
	struct rep_filter f = { 0 };

	same(db, &f, true);
	f = (struct rep_filter){ .fixture = "F2" };
	same(db, &f, true);
	f = (struct rep_filter){ .seq_name = "factory" };
	same(db, &f, true);
	f = (struct rep_filter){ .seq_name = "factory", .seq_version = "1.1" };
	same(db, &f, true);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + T_DAY_US + 6 * HOUR,
				 .has_until = true, .until_us = day0 + T_DAY_US + 14 * HOUR };
	same(db, &f, true);
	f.fixture = "F1";
	f.seq_name = "factory";
	f.seq_version = "1.0";
	same(db, &f, true);
	f = (struct rep_filter){ .has_until = true, .until_us = day0 + T_DAY_US + 3 * HOUR,
				 .fixture = "F3" };
	same(db, &f, true);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + 2 * T_DAY_US };
	same(db, &f, true);
	f = (struct rep_filter){ .fixture = "none" };
	same(db, &f, true);
	/* one line value: its cells (schema 14) */
	f = (struct rep_filter){ .operator_name = "bob" };
	same(db, &f, true);
	f = (struct rep_filter){ .work_order = "WO-2", .fixture = "F3" };
	same(db, &f, true);
	f = (struct rep_filter){ .part_number = "P-2", .seq_name = "factory", .seq_version = "1.0" };
	same(db, &f, true);
	f = (struct rep_filter){ .part_number = "P-1", .revision = "B",
				 .has_since = true, .since_us = day0 + T_DAY_US + 6 * HOUR,
				 .has_until = true, .until_us = day0 + 2 * T_DAY_US + 14 * HOUR };
	same(db, &f, true);
	f = (struct rep_filter){ .operator_name = "nobody" };
	same(db, &f, true);
	/* a station that is every run's filters nothing (every run's cells
	 * answer it too: the day cells of every line, station NULL, are no
	 * other station's) */
	f = (struct rep_filter){ .station = "ST", .operator_name = "cyd" };
	same(db, &f, true);
	f = (struct rep_filter){ .station = "ST", .fixture = "F2" };
	same(db, &f, true);
	/* a window off the hour: its whole hours' cells, its minutes' rows */
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + T_DAY_US + 1800000000LL };
	same_minutes(db, &f);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + T_DAY_US + 6 * HOUR + 30 * MIN,
				 .has_until = true, .until_us = day0 + T_DAY_US + 14 * HOUR + 10 * MIN };
	same_minutes(db, &f);
	f.fixture = "F2";
	same_minutes(db, &f);
	f.fixture = "F4";	/* both ends and the hours between, for every key */
	same_minutes(db, &f);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + T_DAY_US + 9 * HOUR + 5 * MIN,
				 .has_until = true, .until_us = day0 + T_DAY_US + 9 * HOUR + 55 * MIN };
	same_minutes(db, &f);
	f = (struct rep_filter){ .has_since = true, .since_us = day0 + T_DAY_US + 9 * HOUR + 20 * MIN,
				 .has_until = true, .until_us = day0 + T_DAY_US + 10 * HOUR + 40 * MIN };
	same_minutes(db, &f);
	f = (struct rep_filter){ .has_until = true, .until_us = day0 + 2 * T_DAY_US + 3 * HOUR + 1,
				 .seq_name = "factory", .seq_version = "1.0" };
	same_minutes(db, &f);
	f = (struct rep_filter){ .operator_name = "bob", .has_since = true,
				 .since_us = day0 + T_DAY_US + 5 * HOUR + 45 * MIN, .has_until = true,
				 .until_us = day0 + 3 * T_DAY_US + 5 * HOUR + 45 * MIN };
	same_minutes(db, &f);
	/* what the cells do not know reads the rows */
	f = (struct rep_filter){ .serial = "U0003" };
	same(db, &f, false);
	/* an outcome: the cells of the first runs of that outcome (schema
	 * 16), alone, with the cells' filters, a line value, an hour window,
	 * minutes; an outcome no first run has (error) has no values */
	f = (struct rep_filter){ .outcome = "pass", .fixture = "F1" };
	same(db, &f, true);
	f = (struct rep_filter){ .outcome = "fail" };
	same(db, &f, true);
	f = (struct rep_filter){ .outcome = "error" };
	same(db, &f, true);
	f = (struct rep_filter){ .outcome = "pass", .seq_name = "factory", .seq_version = "1.1",
				 .has_since = true, .since_us = day0 + T_DAY_US + 6 * HOUR,
				 .has_until = true, .until_us = day0 + 2 * T_DAY_US + 14 * HOUR };
	same(db, &f, true);
	f = (struct rep_filter){ .outcome = "fail", .operator_name = "bob" };
	same(db, &f, true);
	f = (struct rep_filter){ .outcome = "pass", .work_order = "WO-1", .fixture = "F2" };
	same(db, &f, true);
	f = (struct rep_filter){ .outcome = "pass", .station = "ST", .part_number = "P-1",
				 .revision = "A" };
	same(db, &f, true);
	f = (struct rep_filter){ .outcome = "fail", .has_since = true,
				 .since_us = day0 + T_DAY_US + 6 * HOUR + 30 * MIN, .has_until = true,
				 .until_us = day0 + T_DAY_US + 14 * HOUR + 10 * MIN };
	same_minutes(db, &f);
	f.fixture = "F4";
	f.outcome = "pass";
	same_minutes(db, &f);
	/* two line values, a revision alone: one value's cells checked hour
	 * by hour against the hour cells, the mixed hours from the rows */
	f = (struct rep_filter){ .operator_name = "ann", .work_order = "WO-1" };
	same(db, &f, true);
	f = (struct rep_filter){ .revision = "A" };
	same(db, &f, true);
	f = (struct rep_filter){ .work_order = "WO-3", .part_number = "P-2", .revision = "B",
				 .fixture = "F1" };
	same(db, &f, true);
	f = (struct rep_filter){ .operator_name = "cyd", .revision = "A",
				 .has_since = true, .since_us = day0 + T_DAY_US };
	same(db, &f, true);
	f = (struct rep_filter){ .operator_name = "ann", .has_since = true,
				 .since_us = day0 + T_DAY_US + 1800000000LL };
	same_minutes(db, &f);
	f = (struct rep_filter){ .operator_name = "ann", .work_order = "WO-1", .has_since = true,
				 .since_us = day0 + T_DAY_US + 22 * HOUR + 30 * MIN };
	same_minutes(db, &f);
}

/* Every cell (its key and sums, the doubles' bits) as text, in key order. */
/* Every row of sql, its columns joined by '|', a line each. */
static void dump_rows(struct db *db, FILE *out, const char *sql)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++)
			fprintf(out, "%s%s", i ? "|" : "", (const char *)sqlite3_column_text(st, i));
		fputc('\n', out);
	}
	sqlite3_finalize(st);
}

#define KEY_COLS "quote(k.sequence_name), quote(k.sequence_version), k.step, k.name," \
	" quote(k.unit), quote(k.low), quote(k.high), "
#define SUM_COLS "c.fixture, c.hour, c.n, hex(c.ref), hex(c.s1), hex(c.s2), hex(c.min)," \
	" hex(c.max), c.first_us, hex(c.first_v), c.last_us, hex(c.last_v), c.mr_n, hex(c.mr_sum)"

static char *cells_text(struct db *db)
{
	char *p = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&p, &n);

	dump_rows(db, out, "SELECT " KEY_COLS SUM_COLS " FROM cap_keys k JOIN cap_cells c"
		  " ON c.key = k.id ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9");
	/* what each hour's dims hold, and the line values' cells (schema 14) */
	dump_rows(db, out, "SELECT fixture, hour, dim, quote(val), mixed FROM cap_dims"
		  " ORDER BY 1, 2, 3");
	dump_rows(db, out, "SELECT " KEY_COLS "c.dim, c.val, " SUM_COLS " FROM cap_keys k"
		  " JOIN cap_dim_cells c ON c.key = k.id ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11");
	fclose(out);
	return p;
}

/* A run of another station: --station is checked hour by hour. */
static void other_station(struct db *db)
{
	struct db_run_info ri = { .unit_serial = "OTHER-1", .station = "ST2", .fixture = "F1",
				  .sequence_name = "factory", .sequence_version = "1.0",
				  .operator_name = "bob" };
	struct db_measurement m = { .name = "vdd", .unit = "V", .value = 3.41, .low = 3.1,
				    .high = 3.45 };
	struct db_step s = { .index = 1, .name = "rails", .outcome = DB_PASS, .meas = &m,
			     .n_meas = 1 };
	struct rep_filter f = { .station = "ST" };
	char id[DB_ID_LEN];
	struct st_error e;

	/* just after a first run of bob's on F1: an hour of both stations */
	ri.started_us = t_int(db, "SELECT min(started_us) FROM runs WHERE fixture = 'F1' AND"
			      " operator = 'bob' AND unit_serial IS NOT NULL") + 1;
	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	end_run(db, id, true);
	for (int pass = 0; pass < 2; pass++) {	/* first runs, every run's */
		all_runs = pass;
		f = (struct rep_filter){ .station = "ST" };
		same(db, &f, true);
		f = (struct rep_filter){ .station = "ST2" };
		same(db, &f, true);
		f = (struct rep_filter){ .station = "ST", .operator_name = "bob" };
		same(db, &f, true);
		f = (struct rep_filter){ .station = "ST", .revision = "B" };
		same(db, &f, true);
		f = (struct rep_filter){ .operator_name = "bob" };
		same(db, &f, true);
		f = (struct rep_filter){ .station = "ST", .outcome = "pass" };
		same(db, &f, true);
		f = (struct rep_filter){ .station = "ST2", .outcome = "fail" };
		same(db, &f, true);
		f = (struct rep_filter){ .fixture = "F1" };
		same(db, &f, true);
	}
	all_runs = false;
}

static void test_cells_equal_rows(void **state)
{
	struct db *db;
	struct st_error e;
	char *kept, *rebuilt;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	random_log(db, 700);
	dense_fixture(db);
	moved_first(db);
	same_filters(db);
	all_runs = true;	/* every ended run's values (schema 16) */
	same_filters(db);
	all_runs = false;
	/* kept run by run (some hours recomputed) = rebuilt from the rows */
	kept = cells_text(db);
	assert_true(strlen(kept) > 1000);
	assert_int_equal(db_summary_rebuild(db, &e), ST_OK);
	rebuilt = cells_text(db);
	assert_string_equal(kept, rebuilt);
	assert_non_null(strstr(kept, "|4|3:P-1B|F2|"));
	assert_non_null(strstr(kept, "|5|A|F3|"));
	/* every run's cells: more values than the first runs' (retests,
	 * error runs, runs without a serial) */
	assert_true(t_int(db, "SELECT sum(n) FROM cap_dim_cells WHERE dim = 7") >
		    t_int(db, "SELECT sum(n) FROM cap_cells") + 100);
	assert_int_equal(t_int(db, "SELECT count(*) FROM cap_dims WHERE dim = 7 AND mixed = 0"), 0);
	/* the outcomes' cells (schema 16): apart in every hour */
	assert_non_null(strstr(kept, "|6|fail|F1|"));
	assert_non_null(strstr(kept, "|6|pass|F2|"));
	assert_true(t_int(db, "SELECT count(*) FROM cap_dims WHERE dim = 6") > 10);
	assert_int_equal(t_int(db, "SELECT count(*) FROM cap_dims WHERE dim = 6 AND mixed = 0"), 0);
	/* a line value has cells of its own only in the hours it shares: work
	 * orders change every 6 hours, operators every run */
	assert_true(t_int(db, "SELECT count(*) FROM cap_dims WHERE dim = 2 AND mixed = 0") >
		    3 * t_int(db, "SELECT count(*) FROM cap_dims WHERE dim = 2 AND mixed = 1"));
	assert_true(t_int(db, "SELECT count(*) FROM cap_dim_cells WHERE dim = 2") <
		    t_int(db, "SELECT count(*) FROM cap_cells") / 2);
	assert_int_equal(t_int(db, "SELECT count(*) FROM cap_dim_cells c JOIN cap_dims d ON"
			       " d.fixture = c.fixture AND d.hour = c.hour AND d.dim = c.dim"
			       " WHERE d.mixed = 0"), 0);
	free(kept);
	free(rebuilt);
	db_close(db);
}

/* The first run that moved: its values count, the later run's do not. */
static void test_moved_first_run(void **state)
{
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM cap_cells c JOIN cap_keys k ON"
			       " k.id = c.key WHERE c.hour = (SELECT started_us / 3600000000 FROM"
			       " runs WHERE unit_serial = 'MOVE-1' AND fixture = 'F2')"
			       " AND c.fixture = 'F2' AND c.first_us = (SELECT started_us FROM"
			       " runs WHERE unit_serial = 'MOVE-1' AND fixture = 'F2')"), 0);
	assert_true(t_int(db, "SELECT count(*) FROM cap_cells c WHERE c.fixture = 'F1' AND"
			  " (SELECT started_us FROM runs WHERE unit_serial = 'MOVE-1' AND"
			  " fixture = 'F1') BETWEEN c.first_us AND c.last_us") > 0);
	db_close(db);
}

static void test_v10_log_upgraded(void **state)
{
	char p[160];
	struct db *db, *old;
	struct st_error e;
	struct rep_filter f = { 0 }, fx = { .fixture = "F1" };
	struct buf a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

	snprintf(p, sizeof(p), "%s/v10.db", dir);
	t_copy_log(p, "db/migrations/v10.sql", path, NULL);	/* rows and summaries, no cap cells */
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 10);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN"
			       " ('measurements_name', 'cap_cells', 'cap_keys')"), 2);
	same_filters(db);
	assert_int_equal(db_open(&old, path, NULL, &e), ST_OK);
	capability(db, &f, false, false, &a);
	capability(old, &f, false, false, &b);
	assert_string_equal(a.p, b.p);
	capability(db, &fx, true, false, &c);
	capability(old, &fx, true, false, &d);
	assert_string_equal(c.p, d.p);
	free(a.p);
	free(b.p);
	free(c.p);
	free(d.p);
	db_close(old);
	db_close(db);
}

/* A schema 13 log (capability cells, none per line value) upgraded: the
 * line values' cells are built, and the line filters answer as the rows. */
static void test_v13_log_upgraded(void **state)
{
	char p[160];
	struct db *db;
	struct st_error e;

	snprintf(p, sizeof(p), "%s/v13.db", dir);
	t_copy_log(p, "db/migrations/v13.sql", path, NULL);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 13);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_true(t_int(db, "SELECT count(*) FROM cap_dim_cells WHERE dim = 1") > 100);
	same_filters(db);
	other_station(db);
	db_close(db);
}

/* A schema 15 log (capability cells per line value, none per outcome)
 * upgraded: the outcomes' cells are built from the rows, equal to those
 * kept run by run, and the outcome filters answer as the rows. */
static void test_v15_log_upgraded(void **state)
{
	char p[160], *kept, *upgraded;
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	kept = cells_text(db);
	db_close(db);
	snprintf(p, sizeof(p), "%s/v15.db", dir);
	t_copy_log(p, "db/migrations/v15.sql", path,
		   "DELETE FROM cap_dim_cells WHERE dim >= 6; DELETE FROM cap_dims WHERE dim >= 6");
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 15);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	upgraded = cells_text(db);
	assert_string_equal(kept, upgraded);
	assert_true(t_int(db, "SELECT count(*) FROM cap_dim_cells WHERE dim = 6") > 100);
	assert_true(t_int(db, "SELECT count(*) FROM cap_dim_cells WHERE dim = 7") > 100);
	same_filters(db);
	all_runs = true;
	same_filters(db);
	all_runs = false;
	free(kept);
	free(upgraded);
	db_close(db);
}

/* Rows edited by SQL, then the summaries rebuilt (as docs/database.md
 * says for rows merged in): a revision and a part number holding a NUL
 * byte are no filter's (the rows never match them), and a station missing
 * from the stations registry still counts for --station. */
static void test_hand_edited_line(void **state)
{
	struct db *db;
	struct st_error e;
	struct rep_filter f;

	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	assert_int_equal(sqlite3_exec(db_handle(db),
		"UPDATE runs SET revision = CAST(X'41005A' AS TEXT) WHERE rowid IN"
		"  (SELECT rowid FROM runs WHERE revision = 'A' AND fixture = 'F1' LIMIT 9);"
		"UPDATE runs SET part_number = CAST(X'502D31005A' AS TEXT) WHERE rowid IN"
		"  (SELECT rowid FROM runs WHERE part_number = 'P-1' AND fixture = 'F3' LIMIT 9);"
		"UPDATE runs SET station = 'ST9' WHERE fixture = 'F2'", NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_equal(db_summary_rebuild(db, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT count(*) FROM stations WHERE name = 'ST9'"), 0);
	f = (struct rep_filter){ .revision = "A" };
	same(db, &f, true);
	f = (struct rep_filter){ .part_number = "P-1" };
	same(db, &f, true);
	f = (struct rep_filter){ .part_number = "P-1", .revision = "A" };
	same(db, &f, true);
	f = (struct rep_filter){ .station = "ST" };
	same(db, &f, true);
	f = (struct rep_filter){ .station = "ST9", .operator_name = "ann" };
	same(db, &f, true);
	db_close(db);
}

struct seen {
	int64_t n_m4;
	bool m0;
};

static int seen_row(void *ctx, const struct db_row *row)
{
	struct seen *s = ctx;

	if (row->columns_only)
		return 0;
	if (row->v[3].type == DB_TEXT && !strcmp(row->v[3].s, "m0"))
		s->m0 = true;
	for (int c = 0; c < row->n; c++)
		if (row->v[3].type == DB_TEXT && !strcmp(row->v[3].s, "m4") &&
		    !strcmp(row->name[c], "n"))
			s->n_m4 += row->v[c].i;
	return 0;
}

/* A station's commit between the keys and the cells: a new key m0 and a
 * second value of m4 */
static void write_between(void *ctx)
{
	const char *log = ctx;
	struct db *w;
	struct st_error e;

	db_capsum_between = NULL;	/* once */
	assert_int_equal(db_open(&w, log, NULL, &e), ST_OK);
	t_meas_run(w, "ict", "N1", "F1", "rails", "m4", 3.3, 3.0, 3.6, T_DAY1_US + 60000000);
	t_meas_run(w, "ict", "N2", "F1", "rails", "m0", 3.3, 3.0, 3.6, T_DAY1_US + 120000000);
	db_close(w);
}

/* The keys and their cells are of one snapshot of the log: a commit that
 * lands between reading them is in both or in neither (read by one
 * connection or by two). */
static void test_one_snapshot(void **state)
{
	const struct db_opts ro = { .readonly = true, .must_exist = true };
	struct rep_filter f = { 0 };
	struct seen s = { 0 };
	struct st_error e;
	struct db *db;
	char log[160], name[16];

	snprintf(log, sizeof(log), "%s/snap.db", dir);
	assert_int_equal(db_open(&db, log, NULL, &e), ST_OK);
	for (int i = 1; i <= 8; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		t_meas_run(db, "ict", name, "F1", "rails", name, 3.3, 3.0, 3.6, T_DAY1_US);
	}
	db_close(db);
	assert_int_equal(db_open(&db, log, &ro, &e), ST_OK);
	db_capsum_between = write_between;
	db_capsum_between_ctx = log;
	assert_int_equal(db_capability_sums(db, &f, false, seen_row, &s, &e), ST_OK);
	assert_null(db_capsum_between);	/* the commit came between */
	assert_true(s.n_m4 == 1 || s.n_m4 == 2);
	assert_int_equal(s.m0, s.n_m4 == 2);
	db_close(db);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_capsum_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/log.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_equal_rows),
		cmocka_unit_test(test_one_snapshot),
		cmocka_unit_test(test_moved_first_run),
		cmocka_unit_test(test_v10_log_upgraded),
		cmocka_unit_test(test_v13_log_upgraded),
		cmocka_unit_test(test_v15_log_upgraded),
		cmocka_unit_test(test_hand_edited_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
