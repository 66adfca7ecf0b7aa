/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log schema 12: a run without a sequence name is NULL wherever a name is
 * stored.  A schema 11 log (db/migrations/v11.sql) whose older station
 * stored "" for some of them, and kept its summaries so (hour and day
 * cells, measurement keys, a capability key of "" as the first schema 11
 * builds made it), is migrated by db_open(): afterwards every summarised
 * figure equals the rows' and a fresh log's holding the same runs with
 * NULL.  The log ("" marks a run its station stored with ""):
 *
 *   unit  seq    fixture  start          vdd [0.5..1.5]  outcome
 *   A     NULL   F1       day 1 08:00    1.0             pass
 *   A     ""     F1       day 1 08:10    2.0             fail   (A's retest)
 *   B     ""     F2       day 1 08:20    1.2             pass
 *   E     ""     F1       day 1 08:40    1.3             pass
 *   B     NULL   F2       day 1 09:20    1.6             fail   (B's retest)
 *   C     ""     F1       day 2 08:00    1.8             fail
 *   C     NULL   F1       day 2 09:00    1.1             pass
 *   D     ""     F2       day 2 09:30    -               error
 *   -     ""     F2       day 2 09:40    1.4             pass   (no serial)
 *   A     ict    F1       day 2 10:00    1.1             pass
 *
 * One operation "-" of units A B C E (first runs A 08:00, B, C's fail, E:
 * FPY 3 of 4, yield 4 of 4) and ict (A); vdd of "-" is one measurement
 * (n 8 over all runs, first runs 1.0 1.2 1.3 1.8), not one per spelling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <unistd.h>

#include "test_db_data.h"
#include "db/db_reader.h"
#include "report/report.h"
#include "test_json.h"

static char dir[64], fresh[128], old[128];

#define HOUR 3600000000LL

struct row {
	const char *serial, *seq;	/* seq "" is the old station's spelling */
	const char *fixture;
	int64_t start;
	double vdd;			/* NAN: an error before measuring */
};

static const struct row rows[] = {
	{ "A", NULL, "F1", T_DAY1_US, 1.0 },
	{ "A", "", "F1", T_DAY1_US + 10 * T_MIN_US, 2.0 },
	{ "B", "", "F2", T_DAY1_US + 20 * T_MIN_US, 1.2 },
	{ "E", "", "F1", T_DAY1_US + 40 * T_MIN_US, 1.3 },
	{ "B", NULL, "F2", T_DAY1_US + HOUR + 20 * T_MIN_US, 1.6 },
	{ "C", "", "F1", T_DAY1_US + T_DAY_US, 1.8 },
	{ "C", NULL, "F1", T_DAY1_US + T_DAY_US + HOUR, 1.1 },
	{ "D", "", "F2", T_DAY1_US + T_DAY_US + HOUR + 30 * T_MIN_US, NAN },
	{ NULL, "", "F2", T_DAY1_US + T_DAY_US + HOUR + 40 * T_MIN_US, 1.4 },
	{ "A", "ict", "F1", T_DAY1_US + T_DAY_US + 2 * HOUR, 1.1 },
};

/* One run of the table; legacy: a "" name is stored as "" before the run
 * ends (the summaries kept at its end read it), as a station before
 * schema 11 stored it. */
static void add_run(struct db *db, const struct row *w, bool legacy)
{
	struct db_run_info ri = { .unit_serial = w->serial, .station = "ST",
				  .fixture = w->fixture, .operator_name = "ana",
				  .sequence_name = w->seq, .sequence_version = "1",
				  .started_us = w->start };
	struct db_measurement m = { .name = "vdd", .value = w->vdd, .unit = "V", .low = 0.5,
				    .high = 1.5 };
	struct db_step s = { .index = 0, .name = "rails", .kind = "console", .started_us = w->start,
			     .ended_us = w->start + 1, .attempts = 1, .meas = &m, .n_meas = 1 };
	enum db_outcome o = isnan(w->vdd) ? DB_ERROR : w->vdd > 1.5 ? DB_FAIL : DB_PASS;
	char id[DB_ID_LEN], sql[128];
	struct st_error e;

	m.outcome = s.outcome = o;
	if (o == DB_ERROR)
		s.n_meas = 0;
	assert_int_equal(db_run_begin(db, &ri, id, &e), ST_OK);
	if (legacy && w->seq && !*w->seq) {
		snprintf(sql, sizeof(sql), "UPDATE runs SET sequence_name = '' WHERE id = '%s'", id);
		assert_int_equal(sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
	}
	assert_int_equal(db_step_log(db, id, &s, &e), ST_OK);
	assert_int_equal(db_run_end(db, id, o, o == DB_PASS ? NULL : "test", &e), ST_OK);
}

static void write_log(const char *p, bool legacy)
{
	struct db *db;
	struct st_error e;

	unlink(p);
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		add_run(db, &rows[i], legacy);
	db_close(db);
}

static int setup(void **state)
{
	char legacy[160];

	if (t_mkdir(dir, sizeof(dir), "seqnull") < 0)
		return -1;
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", dir);
	snprintf(old, sizeof(old), "%s/old.db", dir);
	snprintf(legacy, sizeof(legacy), "%s/legacy.db", dir);
	write_log(fresh, false);
	write_log(legacy, true);
	/* the first schema 11 builds keyed capability by the stored name */
	t_copy_log(old, "db/migrations/v11.sql", legacy,
		      "UPDATE cap_keys SET sequence_name = '' WHERE sequence_name IS NULL");
	return 0;
}

static int teardown(void **state)
{
	return t_rmdir(dir);
}

/* a and b alike, numbers within 1e-9 relative; "generated" and "log" are
 * the run's own. */
static void json_close(json_t *a, json_t *b, const char *where)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);

		if (fabs(x - y) > 1e-9 * fmax(fabs(x), fabs(y)) && fabs(x - y) > 1e-12)
			fail_msg("%s: %.17g != %.17g", where, x, y);
		return;
	}
	if (json_typeof(a) != json_typeof(b))
		fail_msg("%s: %s != %s", where, json_dumps(a, JSON_ENCODE_ANY),
			 json_dumps(b, JSON_ENCODE_ANY));
	if (json_is_object(a)) {
		assert_int_equal(json_object_size(a), json_object_size(b));
		json_object_foreach(a, k, v) {
			if (strcmp(k, "generated") && strcmp(k, "log"))
				json_close(v, json_object_get(b, k), k);
		}
	} else if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			fail_msg("%s: %zu != %zu items", where, json_array_size(a),
				 json_array_size(b));
		json_array_foreach(a, i, v)
			json_close(v, json_array_get(b, i), where);
	} else if (!json_equal(a, b)) {
		fail_msg("%s: %s != %s", where, json_dumps(a, JSON_ENCODE_ANY),
			 json_dumps(b, JSON_ENCODE_ANY));
	}
}

enum what { REPORT, REPORT_EXACT, OPERATIONS, CAPABILITY, CAPABILITY_ROWS, BY_DAY };

/* What station report prints as JSON for w under f, parsed; with_errors:
 * --with-errors. */
static json_t *report(const char *p, enum what w, const struct rep_filter *f, bool with_errors)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct rep_plant utc = { 0 };
	struct st_error e;
	struct db *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	assert_int_equal(db_open(&db, p, &dbo, &e), ST_OK);
	if (w == REPORT || w == REPORT_EXACT) {
		struct report r = { .db_path = p, .exact = w == REPORT_EXACT,
				    .with_errors = with_errors };

		assert_int_equal(report_build(db, f, &r, &e), ST_OK);
		assert_int_equal(r.summary, w == REPORT);
		assert_int_equal(report_json(o, &r), 0);
		report_free(&r);
	} else if (w == OPERATIONS) {
		assert_int_equal(report_operations(o, db_reader(db), f, with_errors, "json", &e),
				 ST_OK);
	} else if (w == BY_DAY) {
		assert_int_equal(report_groups(o, db_reader(db), f, "day", &utc, with_errors, "json",
					       &e), ST_OK);
	} else {
		assert_int_equal(report_capability(o, db_reader(db), f, false, false,
						   w == CAPABILITY_ROWS, "json", &e), ST_OK);
	}
	fclose(o);
	db_close(db);
	return t_json_take(buf);
}

/* Under f: the old log's summaries = its rows = the fresh log's. */
static void same_everywhere(const struct rep_filter *f)
{
	static const struct {
		enum what sum, rows;
	} pair[] = { { REPORT, REPORT_EXACT }, { CAPABILITY, CAPABILITY_ROWS },
		     { OPERATIONS, OPERATIONS }, { BY_DAY, BY_DAY } };

	for (size_t i = 0; i < sizeof(pair) / sizeof(pair[0]); i++) {
		for (int we = 0; we < 2; we++) {
			json_t *s = report(old, pair[i].sum, f, we);
			json_t *r = report(old, pair[i].rows, f, we);
			json_t *n = report(fresh, pair[i].sum, f, we);

			json_close(s, r, "summaries / rows");
			json_close(s, n, "migrated / fresh");
			json_decref(s);
			json_decref(r);
			json_decref(n);
		}
	}
}

/* The one group of j's "measurements" without a sequence: its n. */
static void one_unnamed(json_t *j, int64_t n)
{
	size_t unnamed = 0, i;
	json_t *m;

	json_array_foreach(json_object_get(j, "measurements"), i, m) {
		if (json_is_null(json_object_get(m, "sequence"))) {
			unnamed++;
			assert_int_equal(t_json_num(m, "n"), n);
		}
	}
	assert_int_equal(unnamed, 1);
	json_decref(j);
}

/* The known answers, on the fresh log and the migrated one. */
static void known_answers(const char *p)
{
	struct rep_filter all = { 0 };
	json_t *j = report(p, REPORT, &all, false), *t = json_object_get(j, "total");

	/* unit-operations A/- B/- C/- E/- A/ict */
	assert_int_equal(t_json_num(t, "units"), 5);
	assert_int_equal(t_json_num(t, "passed"), 5);
	assert_int_equal(t_json_num(t, "first_units"), 5);
	assert_int_equal(t_json_num(t, "first_passed"), 4);
	one_unnamed(j, 8);				/* every value */
	one_unnamed(report(p, CAPABILITY, &all, false), 4);	/* first runs' */
}

static void test_v11_log_with_empty_names(void **state)
{
	struct rep_filter all = { 0 }, f1 = { .fixture = "F1" },
			  day2 = { .has_since = true, .since_us = T_DAY1_US + T_DAY_US };
	struct db *db;
	struct st_error e;

	assert_int_equal(db_open(&db, old, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 11);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(db_check(db, &e), ST_OK);
	assert_int_equal(t_int(db, "SELECT (SELECT count(*) FROM runs WHERE sequence_name = '')"
			       " + (SELECT count(*) FROM cells WHERE sequence_name = '')"
			       " + (SELECT count(*) FROM meas_keys WHERE sequence_name = '')"
			       " + (SELECT count(*) FROM cap_keys WHERE sequence_name = '')"), 0);
	assert_int_equal(t_int(db, "SELECT count(*) FROM runs WHERE sequence_name IS NULL"), 9);
	assert_int_equal(t_int(db, "SELECT sum(runs) FROM cells WHERE hours = 1"), 10);
	db_close(db);
	known_answers(fresh);
	known_answers(old);
	same_everywhere(&all);
	same_everywhere(&f1);
	same_everywhere(&day2);
}

/* The views over the summaries too. */
static void test_views_alike(void **state)
{
	static const char *const views[] = {
		"SELECT group_concat(day || fixture || quote(sequence_name) || units || '/' || passed,"
		" ';') FROM v_yield",
		"SELECT group_concat(day || fixture || quote(sequence_name) || units || '/'"
		" || passed_first, ';') FROM v_first_pass_yield",
		"SELECT group_concat(quote(sequence_name) || step || name || n || '/' || mean, ';')"
		" FROM v_measurement_stats",
	};
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct db *a, *b;
	struct st_error e;
	char x[1024], y[1024];

	assert_int_equal(db_open(&a, old, &dbo, &e), ST_OK);
	assert_int_equal(db_open(&b, fresh, &dbo, &e), ST_OK);
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		t_text(a, views[i], x, sizeof(x));
		t_text(b, views[i], y, sizeof(y));
		assert_string_equal(x, y);
	}
	db_close(a);
	db_close(b);
}

/* A schema 11 log without "" is rebuilt too (schema 12 keys the cells by
 * the line): a mark left in its summaries (a key no measurement has) is
 * gone, the summaries are the rows'. */
static void test_v11_log_without_empty_names(void **state)
{
	char p[160];
	struct db *db;
	struct st_error e;

	snprintf(p, sizeof(p), "%s/clean.db", dir);
	t_copy_log(p, "db/migrations/v11.sql", fresh,
		      "INSERT INTO meas_keys (id, sequence_name, step, name, ref, hist_lo,"
		      " hist_width, hist_hi) VALUES (999, 'mark', 'mark', 'mark', 0, 0, 1, 1)");
	assert_int_equal(db_open(&db, p, NULL, &e), ST_OK);
	assert_int_equal(db_found_version(db), 11);
	assert_int_equal(t_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(t_int(db, "SELECT count(*) FROM meas_keys WHERE id = 999"), 0);
	assert_true(t_int(db, "SELECT count(*) FROM meas_keys") > 0);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v11_log_with_empty_names),
		cmocka_unit_test(test_views_alike),
		cmocka_unit_test(test_v11_log_without_empty_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
