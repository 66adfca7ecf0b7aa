/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hand-made production log shared by the db and report tests, written
 * through the public db API (not SQL), with the numbers worked out by hand
 * in the comments so that views and reports can be checked against them.
 *
 *  run unit fixture day         outcome            vdd [3.0,3.6]  idle_ma (<=100)
 *   1  U1  F1  2026-01-05 08:00  pass                3.30          40
 *   2  U2  F1  2026-01-05 08:10  fail  at rails      3.70          -
 *   3  U2  F1  2026-01-05 08:20  pass                3.32          50
 *   4  U3  F2  2026-01-05 08:30  pass                3.28          60
 *   5  U4  F2  2026-01-06 08:00  error at identity   3.31          -
 *   6  U5  F2  2026-01-06 08:10  pass                3.29          50
 *   7  U4  F2  2026-01-06 08:20  pass                3.33          50
 *   8  U6  F1  2026-01-06 08:30  fail  at rails      2.90          -
 *   9  U7  F2  2026-01-06 08:40  still running (no end): left out of yields
 *
 * vdd: n 8, mean 26.43/8 = 3.30375, squared deviations sum 0.321775,
 *      sample sigma sqrt(0.321775/7) = 0.2144053, Ppk = min(3.6-3.30375,
 *      3.30375-3.0) / (3 sigma) = 0.29625/0.6432160 = 0.4605763
 * idle_ma (high limit only): n 5, mean 50, sigma sqrt(200/4) = 7.0710678,
 *      Ppk = (100-50)/(3*7.0710678) = 2.3570226
 * yield: 6 units, 5 passed = 0.8333; first pass (first judged run: U4's
 *      error is the station's, so its pass is its first): U1 U3 U4 U5 of 6
 * Pareto: rails 2 (0.6667), identity 1 (0.3333)
 */
#ifndef TEST_DB_DATA_H
#define TEST_DB_DATA_H

/* Each test uses the helpers it needs. */
#pragma GCC diagnostic ignored "-Wunused-function"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>

#include "db/db.h"

#define T_DAY1_US 1767600000000000LL	/* 2026-01-05T08:00:00Z */
#define T_DAY_US 86400000000LL
#define T_MIN_US 60000000LL

struct t_run {
	const char *unit, *fixture;
	int64_t start_us;
	const char *fail_at;	/* NULL: pass */
	double vdd, idle;	/* NAN: not measured */
	int running;
	char id[DB_ID_LEN];
};

static struct t_run t_runs[] = {
	{ "U1", "F1", T_DAY1_US + 0 * T_MIN_US, NULL, 3.30, 40, 0, "" },
	{ "U2", "F1", T_DAY1_US + 10 * T_MIN_US, "rails", 3.70, NAN, 0, "" },
	{ "U2", "F1", T_DAY1_US + 20 * T_MIN_US, NULL, 3.32, 50, 0, "" },
	{ "U3", "F2", T_DAY1_US + 30 * T_MIN_US, NULL, 3.28, 60, 0, "" },
	{ "U4", "F2", T_DAY1_US + T_DAY_US + 0 * T_MIN_US, "identity", 3.31, NAN, 0, "" },
	{ "U5", "F2", T_DAY1_US + T_DAY_US + 10 * T_MIN_US, NULL, 3.29, 50, 0, "" },
	{ "U4", "F2", T_DAY1_US + T_DAY_US + 20 * T_MIN_US, NULL, 3.33, 50, 0, "" },
	{ "U6", "F1", T_DAY1_US + T_DAY_US + 30 * T_MIN_US, "rails", 2.90, NAN, 0, "" },
	{ "U7", "F2", T_DAY1_US + T_DAY_US + 40 * T_MIN_US, NULL, NAN, NAN, 1, "" },
};
#define T_NRUNS ((int)(sizeof(t_runs) / sizeof(t_runs[0])))

static void t_step(struct db *db, struct t_run *r, int idx, const char *name,
		   enum db_outcome o, const char *reason, const struct db_step *extra)
{
	struct st_error e;
	struct db_step s = { 0 };

	if (extra)
		s = *extra;
	s.index = idx;
	s.name = name;
	s.kind = s.kind ? s.kind : "console";
	s.phase = idx == 0 ? "setup" : "steps";
	s.outcome = o;
	s.reason = reason;
	s.started_us = r->start_us + idx * 1000000LL;
	s.ended_us = s.started_us + 500000;
	s.attempts = 1;
	assert_int_equal(db_step_log(db, r->id, &s, &e), ST_OK);
}

static void t_add_run(struct db *db, struct t_run *r, int n)
{
	struct db_run_info ri = {
		.unit_serial = r->unit, .station = "ST1", .fixture = r->fixture,
		.operator_name = "ana", .sequence_name = "factory", .sequence_version = "1.0",
		.sequence_sha256 = "ab12", .software_version = "test",
		.started_us = r->start_us,
	};
	struct db_measurement m[2] = {
		{ .name = "vdd", .value = r->vdd, .unit = "V", .low = 3.0, .high = 3.6 },
		{ .name = "idle_ma", .value = r->idle, .unit = "mA", .low = NAN, .high = 100 },
	};
	char cert[32], fp[80], chip[16];
	struct db_identity id = { .cert_serial = cert, .fingerprint = fp, .spki_sha256 = fp,
				  .subject = "CN=board", .issuer = "CN=Sim Intermediate",
				  .subject_serial = r->unit, .chip_serial = chip };
	struct db_image img = { .path = "fw/prod.bin", .sha256 = "feedbeef", .format = "raw",
				.address = 0x08000000, .size = 4096, .chip_id = "0x0414" };
	struct db_step st = { .meas = m, .n_meas = isnan(r->idle) ? 1 : 2 };
	bool rails_fail = r->fail_at && !strcmp(r->fail_at, "rails");
	bool id_fail = r->fail_at && !strcmp(r->fail_at, "identity");
	sqlite3_stmt *q;
	struct st_error e;

	snprintf(cert, sizeof(cert), "0a%02d", n);
	snprintf(fp, sizeof(fp), "fp-%s", r->unit);
	snprintf(chip, sizeof(chip), "se-%s", r->unit);
	assert_int_equal(db_run_begin(db, &ri, r->id, &e), ST_OK);
	t_step(db, r, 0, "power", DB_PASS, NULL, NULL);
	if (r->running)
		goto times;
	m[0].outcome = rails_fail ? DB_FAIL : DB_PASS;
	t_step(db, r, 1, "rails", m[0].outcome, rails_fail ? "vdd out of limits" : NULL, &st);
	if (rails_fail) {
		assert_int_equal(db_run_end(db, r->id, DB_FAIL, "rails: vdd out of limits", &e),
				 ST_OK);
		goto times;
	}
	st = (struct db_step){ .kind = "se-identity", .identity = &id };
	t_step(db, r, 2, "identity", id_fail ? DB_ERROR : DB_PASS,
	       id_fail ? "chain does not verify" : NULL, &st);
	if (id_fail) {
		assert_int_equal(db_run_end(db, r->id, DB_ERROR, "identity: chain", &e), ST_OK);
		goto times;
	}
	st = (struct db_step){ .kind = "flash", .image = &img };
	t_step(db, r, 3, "flash prod", DB_PASS, NULL, &st);
	assert_int_equal(db_run_end(db, r->id, DB_PASS, NULL, &e), ST_OK);
times:
	/* The API stamps "now" on the run's end; move it to its place in the
	 * table above (the start, which the summaries use, came through the API). */
	assert_int_equal(sqlite3_prepare_v2(db_handle(db),
		"UPDATE runs SET started_us = ?2, ended_us = CASE WHEN ended_us IS NULL "
		"THEN NULL ELSE ?2 + 60000000 END WHERE id = ?1", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, r->start_us);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
}

static void t_make_dataset(struct db *db)
{
	for (int i = 0; i < T_NRUNS; i++)
		t_add_run(db, &t_runs[i], i + 1);
}

/* A run of one console step ending o: serial NULL for an unidentified one. */
static void t_one_step_run(struct db *db, const char *seq, const char *serial,
			   const char *fixture, const char *station, int64_t t, enum db_outcome o)
{
	struct db_run_info ri = { .unit_serial = serial, .station = station, .fixture = fixture,
				  .operator_name = "ana", .sequence_name = seq,
				  .sequence_version = "1", .started_us = t };
	struct db_step s = { .index = 0, .name = "test", .kind = "console", .outcome = o,
			     .started_us = t, .ended_us = t + 1, .attempts = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, o, o == DB_PASS ? NULL : "test", &e), ST_OK);
}

/* A run of one step measuring meas = v against [lo, hi], ending as the value
 * says. */
static void t_meas_run(struct db *db, const char *seq, const char *serial, const char *fixture,
		       const char *step, const char *meas, double v, double lo, double hi,
		       int64_t t)
{
	struct db_run_info ri = { .unit_serial = serial, .station = "ST", .fixture = fixture,
				  .operator_name = "ana", .sequence_name = seq,
				  .sequence_version = "1", .started_us = t };
	struct db_measurement m = { .name = meas, .value = v, .unit = "V", .low = lo, .high = hi,
				    .outcome = v < lo || v > hi ? DB_FAIL : DB_PASS };
	enum db_outcome o = m.outcome;
	struct db_step s = { .index = 0, .name = step, .kind = "console", .outcome = o,
			     .started_us = t, .ended_us = t + 1, .attempts = 1, .meas = &m,
			     .n_meas = 1 };
	char id[DB_ID_LEN];
	struct st_error e;

	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, o, o == DB_PASS ? NULL : "out of limits", &e), ST_OK);
}

/* A fresh temporary directory /tmp/st-TAG-XXXXXX, and its removal. */
static int t_mkdir(char *dir, size_t cap, const char *tag)
{
	snprintf(dir, cap, "/tmp/st-%s-XXXXXX", tag);
	return mkdtemp(dir) ? 0 : -1;
}

static int t_rmdir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* One integer / real / text cell of a query on the log. */
static sqlite3_stmt *t_query(struct db *db, const char *sql)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db_handle(db)));
	return q;
}

static int64_t t_int(struct db *db, const char *sql)
{
	sqlite3_stmt *q = t_query(db, sql);
	int64_t v;

	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static double t_real(struct db *db, const char *sql)
{
	sqlite3_stmt *q = t_query(db, sql);
	double v;

	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_double(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void t_text(struct db *db, const char *sql, char *buf, size_t cap)
{
	sqlite3_stmt *q = t_query(db, sql);
	const unsigned char *t;

	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	t = sqlite3_column_text(q, 0);
	snprintf(buf, cap, "%s", t ? (const char *)t : "(null)");
	sqlite3_finalize(q);
}

/* A file of the tree, whole (ST_TOP, or the working directory). */
static char *t_read_top(const char *name)
{
	const char *top = getenv("ST_TOP");
	char p[512];
	char *buf = calloc(1, 1 << 16);
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", top ? top : ".", name);
	fp = fopen(p, "r");
	if (!fp) {
		fprintf(stderr, "cannot read %s (run from the repository root or set ST_TOP)\n", p);
		abort();
	}
	if (!buf || fread(buf, 1, (1 << 16) - 1, fp) == 0)
		abort();
	fclose(fp);
	return buf;
}

/* An old log at dst: the frozen schema file vsql, then the rows of the log
 * src this build wrote (every column v2 had), so that the upgrade must
 * rebuild the summaries; extra: SQL run on it after (summaries as that
 * version counted them). */
static void t_old_log(const char *dst, const char *vsql, const char *src, const char *extra)
{
	char sql[512], *schema = t_read_top(vsql);
	sqlite3 *h;

	assert_int_equal(sqlite3_open(dst, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, schema, NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS src", src);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
		"INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name,"
		" sequence_version, sequence_sha256, software_version, started_us, ended_us, outcome,"
		" reason, last_step_index, last_step) SELECT id, unit_serial, station, fixture,"
		" operator, sequence_name, sequence_version, sequence_sha256, software_version,"
		" started_us, ended_us, outcome, reason, last_step_index, last_step FROM src.runs;"
		"INSERT INTO steps (id, run_id, idx, name, kind, phase, outcome, reason, started_us,"
		" ended_us, duration_us, attempts) SELECT id, run_id, idx, name, kind, phase, outcome,"
		" reason, started_us, ended_us, duration_us, attempts FROM src.steps;"
		"INSERT INTO measurements (id, step_id, run_id, name, value, text, unit, low, high,"
		" expect, outcome) SELECT m.id, m.step_id, s.run_id, m.name, m.value, m.text, m.unit,"
		" m.low, m.high, m.expect, m.outcome FROM src.measurements m"
		" JOIN src.steps s ON s.id = m.step_id;", NULL, NULL, NULL), SQLITE_OK);
	if (extra)
		assert_int_equal(sqlite3_exec(h, extra, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(schema);
}

/* A log of an older schema (vsql: its frozen db/migrations/vN.sql) holding
 * src's rows and summaries, table by table, the columns that schema has;
 * extra: SQL run on it after (NULL: none). */
static void t_copy_log(const char *dst, const char *vsql, const char *src, const char *extra)
{
	char sql[1280], *schema = t_read_top(vsql);
	sqlite3 *h;
	sqlite3_stmt *st;

	assert_non_null(schema);
	unlink(dst);
	assert_int_equal(sqlite3_open(dst, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, schema, NULL, NULL, NULL), SQLITE_OK);
	free(schema);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS src", src);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT name FROM main.sqlite_schema WHERE"
		" type = 'table' AND name NOT LIKE 'sqlite_%'", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char cols[512];
		sqlite3_stmt *c;

		assert_int_equal(sqlite3_prepare_v2(h, "SELECT group_concat(name, ', ') FROM"
			" pragma_table_info(?1, 'main')", -1, &c, NULL), SQLITE_OK);
		sqlite3_bind_value(c, 1, sqlite3_column_value(st, 0));
		assert_int_equal(sqlite3_step(c), SQLITE_ROW);
		snprintf(cols, sizeof(cols), "%s", sqlite3_column_text(c, 0));
		sqlite3_finalize(c);
		snprintf(sql, sizeof(sql), "INSERT INTO main.\"%s\" (%s) SELECT %s FROM src.\"%s\"",
			 sqlite3_column_text(st, 0), cols, cols, sqlite3_column_text(st, 0));
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	sqlite3_finalize(st);
	if (extra)
		assert_int_equal(sqlite3_exec(h, extra, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

#endif
