/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Summaries for reports on large logs (schema 3): per cell (UTC day,
 * fixture, sequence name+version) the run and unit counts of the yields,
 * failing steps, and per measurement n, sums about a reference value,
 * min, max and fixed-frame histogram bins.  They change only when a run
 * ends (db_run_end, or recovery marking it aborted), inside that same
 * transaction, so a crash never leaves them out of step with the rows, and
 * logging a step costs no more than before.  Tables: db/schema.sql.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-internal.h"

#define DAY_US 86400000000LL

void db_hist_frame(double low, double high, double ref, struct db_hist_frame *f)
{
	bool has_low = !isnan(low), has_high = !isnan(high);
	double c = ref, d;

	if (has_low && has_high && high > low) {
		f->lo = low;
		f->hi = high;
		f->width = (high - low) / DB_HIST_IN;
		return;
	}
	/* One limit: the first value half way across the frame, the limit at
	 * its edge; otherwise a frame of +-5 % about the first value. */
	if (has_high && !has_low && ref < high) {
		f->lo = high - 2 * (high - ref);
		f->hi = high;
	} else if (has_low && !has_high && ref > low) {
		f->lo = low;
		f->hi = low + 2 * (ref - low);
	} else {
		if (has_low || has_high)
			c = has_low ? low : high;
		d = fabs(c) * 0.05;
		if (!(d > 0) || !isfinite(d))
			d = 1.0;
		f->lo = c - d;
		f->hi = c + d;
	}
	f->width = (f->hi - f->lo) / DB_HIST_IN;
}

int db_hist_bin(const struct db_hist_frame *f, double v)
{
	double x = (v - f->lo) / f->width;

	if (!(x > -DB_HIST_OUT))	/* also NAN */
		return 0;
	if (x >= DB_HIST_IN && v <= f->hi)	/* hi belongs to the last inner bin */
		return DB_HIST_OUT + DB_HIST_IN - 1;
	if (x >= DB_HIST_IN + DB_HIST_OUT)
		return DB_HIST_BINS - 1;
	return (int)floor(x) + DB_HIST_OUT;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

void db_hist_add_blob(int64_t counts[DB_HIST_BINS], const void *blob, int len)
{
	const unsigned char *p = blob;

	for (int i = 0; i < DB_HIST_BINS && (i + 1) * 4 <= len; i++)
		counts[i] += get_le32(p + 4 * i);
}

/* st_hist_add(bins, i): the bins blob with one more count in bin i. */
static void sql_hist_add(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	unsigned char out[DB_HIST_BINS * 4] = { 0 };
	const void *in = sqlite3_value_blob(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);
	int i = sqlite3_value_int(argv[1]);

	if (in)
		memcpy(out, in, len < (int)sizeof(out) ? (size_t)len : sizeof(out));
	if (i >= 0 && i < DB_HIST_BINS)
		put_le32(out + 4 * i, get_le32(out + 4 * i) + 1);
	sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

int dbi_sum_register(struct db *db, struct st_error *e)
{
	int rc = sqlite3_create_function(db->h, "st_hist_add", 2,
					 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
					 NULL, sql_hist_add, NULL, NULL);

	return rc == SQLITE_OK ? ST_OK : dbi_fail(db, e, rc, "register a function");
}

int dbi_sum_cell(struct db *db, int64_t started_us, const char *fixture,
		 const struct db_run_info *ri, int64_t *cell, struct st_error *e)
{
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = dbi_stmt(db, pass ? DBS_CELL_NEW : DBS_CELL_FIND, e);
		int rc;

		if (!st)
			return ST_ERR_DB;
		sqlite3_bind_int64(st, 1, started_us / DAY_US);
		dbi_bind_text(st, 2, fixture);
		dbi_bind_text(st, 3, ri->sequence_name);
		dbi_bind_text(st, 4, ri->sequence_version);
		if (pass) {
			if (dbi_done(db, st, "add a summary cell", e) < 0)
				return ST_ERR_DB;
			*cell = sqlite3_last_insert_rowid(db->h);
			return ST_OK;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*cell = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
			return ST_OK;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return dbi_fail(db, e, rc, "find a summary cell");
	}
	return ST_OK;
}

static char *dup_or_null(sqlite3_stmt *st, int c)
{
	const char *s = (const char *)sqlite3_column_text(st, c);

	return s ? strdup(s) : NULL;
}

struct mkey {
	sqlite3_int64 id;
	double ref;
	struct db_hist_frame fr;
};

/* The key of a measurement row (columns 1..6 of st), created on first use
 * with this value as its reference. */
static int meas_key(struct db *db, sqlite3_stmt *row, double v, struct mkey *k,
		    struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_KEY_FIND, e);
	double low, high;
	int rc;

	if (!st)
		return ST_ERR_DB;
	for (int i = 1; i <= 6; i++)
		sqlite3_bind_value(st, i, sqlite3_column_value(row, i));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k->id = sqlite3_column_int64(st, 0);
		k->ref = sqlite3_column_double(st, 1);
		k->fr = (struct db_hist_frame){ sqlite3_column_double(st, 2),
						sqlite3_column_double(st, 3),
						sqlite3_column_double(st, 4) };
		sqlite3_reset(st);
		return ST_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dbi_fail(db, e, rc, "find a measurement summary");
	low = sqlite3_column_type(row, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(row, 5);
	high = sqlite3_column_type(row, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(row, 6);
	k->ref = v;
	db_hist_frame(low, high, v, &k->fr);
	st = dbi_stmt(db, DBS_KEY_NEW, e);
	if (!st)
		return ST_ERR_DB;
	for (int i = 1; i <= 6; i++)
		sqlite3_bind_value(st, i, sqlite3_column_value(row, i));
	sqlite3_bind_double(st, 7, v);
	sqlite3_bind_double(st, 8, k->fr.lo);
	sqlite3_bind_double(st, 9, k->fr.width);
	sqlite3_bind_double(st, 10, k->fr.hi);
	if (dbi_done(db, st, "add a measurement summary", e) < 0)
		return ST_ERR_DB;
	k->id = sqlite3_last_insert_rowid(db->h);
	return ST_OK;
}

/* One measurement row (cell, sequence, step, name, unit, low, high, value)
 * into its cell's summary. */
static int meas_add(struct db *db, sqlite3_stmt *row, struct st_error *e)
{
	unsigned char bins[DB_HIST_BINS * 4] = { 0 };
	double v = sqlite3_column_double(row, 7);
	struct mkey k;
	sqlite3_stmt *st;
	int b;

	if (meas_key(db, row, v, &k, e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_MEAS_SUM, e);
	if (!st)
		return ST_ERR_DB;
	b = db_hist_bin(&k.fr, v);
	put_le32(bins + 4 * b, 1);
	sqlite3_bind_value(st, 1, sqlite3_column_value(row, 0));
	sqlite3_bind_int64(st, 2, k.id);
	sqlite3_bind_double(st, 3, v - k.ref);
	sqlite3_bind_double(st, 4, v);
	sqlite3_bind_int(st, 5, sqlite3_column_type(row, 5) != SQLITE_NULL &&
			 v < sqlite3_column_double(row, 5));
	sqlite3_bind_int(st, 6, sqlite3_column_type(row, 6) != SQLITE_NULL &&
			 v > sqlite3_column_double(row, 6));
	sqlite3_bind_blob(st, 7, bins, sizeof(bins), SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 8, b);
	return dbi_done(db, st, "summarise a measurement", e);
}

/* Every row of a measurement query into the summaries. */
static int meas_rows(struct db *db, sqlite3_stmt *rows, struct st_error *e)
{
	int rc, ret = ST_OK;

	while (ret == ST_OK && (rc = sqlite3_step(rows)) == SQLITE_ROW)
		ret = meas_add(db, rows, e);
	if (ret == ST_OK && rc != SQLITE_DONE)
		ret = dbi_fail(db, e, rc, "read measurements to summarise");
	sqlite3_reset(rows);
	return ret;
}

/* Give a run inserted without one its cell (st: its DBS_RUN_STATE row,
 * reset here); then summarise it as any other. */
static int run_cell(struct db *db, sqlite3_stmt *st, const char *run_id, int64_t *cell,
		    struct st_error *e)
{
	char *fixture = strdup((const char *)sqlite3_column_text(st, 4));
	char *name = dup_or_null(st, 5), *version = dup_or_null(st, 6);
	struct db_run_info ri = { .sequence_name = name, .sequence_version = version };
	int64_t started = sqlite3_column_int64(st, 3);
	sqlite3_stmt *up;
	int ret;

	sqlite3_reset(st);
	ret = fixture ? dbi_sum_cell(db, started, fixture, &ri, cell, e) : ST_ERR_NOMEM;
	free(fixture);
	free(name);
	free(version);
	if (ret < 0)
		return ret;
	up = dbi_stmt(db, DBS_RUN_CELL, e);
	if (!up)
		return ST_ERR_DB;
	dbi_bind_text(up, 1, run_id);
	sqlite3_bind_int64(up, 2, *cell);
	return dbi_done(db, up, "give a run its summary cell", e);
}

static int run_ended(struct db *db, const char *run_id, char **unit, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_RUN_STATE, e);
	int64_t cell;
	int rc, ret = ST_OK;

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? st_fail(e, ST_ERR_NOTFOUND, "no run %s in the log %s",
						   run_id, db->path)
					 : dbi_fail(db, e, rc, "read a run to summarise");
	}
	*unit = strdup((const char *)sqlite3_column_text(st, 1));
	cell = sqlite3_column_int64(st, 2);
	if (sqlite3_column_type(st, 2) == SQLITE_NULL)	/* a run written by hand */
		ret = run_cell(db, st, run_id, &cell, e);
	else
		sqlite3_reset(st);
	if (ret < 0)
		return ret;
	if (!*unit)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	st = dbi_stmt(db, DBS_CELL_RUNS, e);
	if (!st)
		return ST_ERR_DB;
	sqlite3_bind_int64(st, 1, cell);
	if (dbi_done(db, st, "count a run", e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_SUM_FAILS, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	sqlite3_bind_int64(st, 2, cell);
	if (dbi_done(db, st, "count failing steps", e) < 0)
		return ST_ERR_DB;
	st = dbi_stmt(db, DBS_SUM_MEAS_ROWS, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, run_id);
	return meas_rows(db, st, e);
}

int dbi_sum_run_ended(struct db *db, const char *run_id, struct st_error *e)
{
	char *unit = NULL;
	int ret;

	ret = run_ended(db, run_id, &unit, e);
	if (ret == ST_OK)
		ret = dbi_sum_unit(db, unit, e);
	free(unit);
	return ret;
}

static int cell_add(struct db *db, sqlite3_int64 cell, int du, int dp, int dfu, int dfp,
		    struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, DBS_CELL_UNITS, e);

	if (!st)
		return ST_ERR_DB;
	sqlite3_bind_int64(st, 1, cell);
	sqlite3_bind_int(st, 2, du);
	sqlite3_bind_int(st, 3, dp);
	sqlite3_bind_int(st, 4, dfu);
	sqlite3_bind_int(st, 5, dfp);
	return dbi_done(db, st, "count units", e);
}

/* DBS_UNIT_DEL / ADD / SET on (unit, cell, passed). */
static int unit_cell_write(struct db *db, enum dbi_slot slot, const char *unit,
			   sqlite3_int64 cell, int passed, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, slot, e);

	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	sqlite3_bind_int64(st, 2, cell);
	if (slot != DBS_UNIT_DEL)
		sqlite3_bind_int(st, 3, passed);
	return dbi_done(db, st, "record a unit's cells", e);
}

struct ucell {
	sqlite3_int64 cell;
	int passed;
};

/* A unit's (cell, passed) list, ordered by cell. */
static int load_cells(struct db *db, enum dbi_slot slot, const char *unit, struct ucell **out,
		      int *n, struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, slot, e);
	struct ucell *v = NULL, *nv;
	int rc, cap = 0;

	*n = 0;
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				sqlite3_reset(st);
				free(v);
				return st_fail(e, ST_ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		v[*n].cell = sqlite3_column_int64(st, 0);
		v[(*n)++].passed = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	*out = v;
	if (rc != SQLITE_DONE) {
		free(v);
		*out = NULL;
		return dbi_fail(db, e, rc, "read a unit's cells");
	}
	return ST_OK;
}

/* Walk the summarised and the true cell lists of a unit together and
 * write only the differences, so a unit tested daily stays cheap. */
static int merge_cells(struct db *db, const char *unit, const struct ucell *o, int no,
		       const struct ucell *n, int nn, struct st_error *e)
{
	int i = 0, j = 0, ret = ST_OK;

	while (ret == ST_OK && (i < no || j < nn)) {
		if (j >= nn || (i < no && o[i].cell < n[j].cell)) {
			ret = unit_cell_write(db, DBS_UNIT_DEL, unit, o[i].cell, 0, e);
			if (ret == ST_OK)
				ret = cell_add(db, o[i].cell, -1, -o[i].passed, 0, 0, e);
			i++;
		} else if (i >= no || n[j].cell < o[i].cell) {
			ret = unit_cell_write(db, DBS_UNIT_ADD, unit, n[j].cell, n[j].passed, e);
			if (ret == ST_OK)
				ret = cell_add(db, n[j].cell, 1, n[j].passed, 0, 0, e);
			j++;
		} else {
			if (o[i].passed != n[j].passed) {
				ret = unit_cell_write(db, DBS_UNIT_SET, unit, n[j].cell,
						      n[j].passed, e);
				if (ret == ST_OK)
					ret = cell_add(db, n[j].cell, 0, n[j].passed - o[i].passed,
						       0, 0, e);
			}
			i++;
			j++;
		}
	}
	return ret;
}

struct ufirst {
	bool has;
	char run[DB_ID_LEN];
	sqlite3_int64 cell;
	int passed, multi;
};

static int load_first(struct db *db, enum dbi_slot slot, const char *unit, struct ufirst *f,
		      struct st_error *e)
{
	sqlite3_stmt *st = dbi_stmt(db, slot, e);
	int rc;

	memset(f, 0, sizeof(*f));
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		f->has = true;
		snprintf(f->run, sizeof(f->run), "%s", (const char *)sqlite3_column_text(st, 0));
		f->cell = sqlite3_column_int64(st, 1);
		f->passed = sqlite3_column_int(st, 2);
		f->multi = slot == DBS_UNIT_FIRST_OLD ? sqlite3_column_int(st, 3) : 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dbi_fail(db, e, rc, "read a unit's first run");
	return ST_OK;
}

static int merge_first(struct db *db, const char *unit, const struct ufirst *o,
		       const struct ufirst *n, struct st_error *e)
{
	sqlite3_stmt *st;
	int ret = ST_OK;

	if (o->has == n->has && (!o->has || (!strcmp(o->run, n->run) && o->cell == n->cell &&
					     o->passed == n->passed && o->multi == n->multi)))
		return ST_OK;
	if (o->has) {
		st = dbi_stmt(db, DBS_UNIT_FIRST_DEL, e);
		if (!st)
			return ST_ERR_DB;
		dbi_bind_text(st, 1, unit);
		ret = dbi_done(db, st, "forget a unit's first run", e);
		if (ret == ST_OK)
			ret = cell_add(db, o->cell, 0, 0, -1, -o->passed, e);
	}
	if (ret < 0 || !n->has)
		return ret;
	st = dbi_stmt(db, DBS_UNIT_FIRST_ADD, e);
	if (!st)
		return ST_ERR_DB;
	dbi_bind_text(st, 1, unit);
	dbi_bind_text(st, 2, n->run);
	sqlite3_bind_int64(st, 3, n->cell);
	sqlite3_bind_int(st, 4, n->passed);
	sqlite3_bind_int(st, 5, n->multi);
	ret = dbi_done(db, st, "record a unit's first run", e);
	if (ret == ST_OK)
		ret = cell_add(db, n->cell, 0, 0, 1, n->passed, e);
	return ret;
}

int dbi_sum_unit(struct db *db, const char *unit, struct st_error *e)
{
	struct ucell *o = NULL, *n = NULL;
	struct ufirst fo, fn;
	int no = 0, nn = 0, ret;

	ret = load_cells(db, DBS_UNIT_OLD, unit, &o, &no, e);
	if (ret == ST_OK)
		ret = load_cells(db, DBS_UNIT_NEW, unit, &n, &nn, e);
	if (ret == ST_OK)
		ret = merge_cells(db, unit, o, no, n, nn, e);
	if (ret == ST_OK)
		ret = load_first(db, DBS_UNIT_FIRST_OLD, unit, &fo, e);
	if (ret == ST_OK)
		ret = load_first(db, DBS_UNIT_FIRST_NEW, unit, &fn, e);
	fn.multi = nn > 1;
	if (ret == ST_OK)
		ret = merge_first(db, unit, &fo, &fn, e);
	free(o);
	free(n);
	return ret;
}

/* From scratch: cells and unit counts in bulk SQL, measurements through
 * the same code as a run's end (oldest first, so references match). */
static const char rebuild_sql[] =
	"DELETE FROM meas_sum; DELETE FROM meas_keys; DELETE FROM step_fails;\n"
	"DELETE FROM unit_first; DELETE FROM unit_cells; UPDATE runs SET cell = NULL;\n"
	"DELETE FROM cells;\n"
	"INSERT INTO cells (day, fixture, sequence_name, sequence_version)\n"
	"  SELECT DISTINCT started_us / 86400000000, fixture, sequence_name, sequence_version\n"
	"  FROM runs ORDER BY 1, 2, 3, 4;\n"
	"UPDATE runs SET cell = c.id FROM cells c WHERE c.day = runs.started_us / 86400000000\n"
	"  AND c.fixture = runs.fixture AND c.sequence_name IS runs.sequence_name\n"
	"  AND c.sequence_version IS runs.sequence_version;\n"
	"UPDATE cells SET runs = t.n FROM (SELECT cell, count(*) AS n FROM runs\n"
	"  WHERE outcome <> 'running' GROUP BY cell) t WHERE t.cell = cells.id;\n"
	"INSERT INTO step_fails (cell, step, n)\n"
	"  SELECT r.cell, s.name, count(*) FROM steps s JOIN runs r ON r.id = s.run_id\n"
	"  WHERE r.outcome <> 'running' AND s.outcome IN ('fail', 'error') AND " DB_LEAF_STEP
	"  GROUP BY 1, 2;\n";

/* The unit counts of the yields (judged runs), over the cells as they are:
 * the second half of a rebuild, and alone the upgrade to schema 5. */
static const char rebuild_units_sql[] =
	"DELETE FROM unit_first; DELETE FROM unit_cells;\n"
	"UPDATE cells SET units = 0, passed = 0, first_units = 0, first_passed = 0;\n"
	"INSERT INTO unit_cells (unit, cell, passed)\n"
	"  SELECT coalesce(unit_serial, id), cell, max(outcome = 'pass') FROM runs\n"
	"  WHERE outcome IN ('pass', 'fail') GROUP BY 1, 2;\n"
	"INSERT INTO unit_first (unit, run_id, cell, passed, multi)\n"
	"  SELECT unit, id, cell, outcome = 'pass',\n"
	"    (SELECT count(*) FROM unit_cells u WHERE u.unit = f.unit) > 1\n"
	"  FROM (SELECT coalesce(unit_serial, id) AS unit, id, cell, outcome,\n"
	"    row_number() OVER (PARTITION BY coalesce(unit_serial, id) ORDER BY started_us, id)\n"
	"    AS nth FROM runs WHERE outcome IN ('pass', 'fail')) f WHERE nth = 1;\n"
	"UPDATE cells SET units = t.n, passed = t.p FROM (SELECT cell, count(*) AS n,\n"
	"  sum(passed) AS p FROM unit_cells GROUP BY cell) t WHERE t.cell = cells.id;\n"
	"UPDATE cells SET first_units = t.n, first_passed = t.p FROM (SELECT cell, count(*) AS n,\n"
	"  sum(passed) AS p FROM unit_first GROUP BY cell) t WHERE t.cell = cells.id;\n";

static const char rebuild_meas_sql[] =
	"SELECT r.cell, r.sequence_name, s.name, m.name, m.unit, m.low, m.high, m.value "
	"FROM measurements m JOIN steps s ON s.id = m.step_id JOIN runs r ON r.id = m.run_id "
	"WHERE r.outcome <> 'running' AND m.value IS NOT NULL ORDER BY m.id";

int dbi_sum_rebuild(struct db *db, struct st_error *e)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;

	rc = sqlite3_exec(db->h, rebuild_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->h, rebuild_units_sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "rebuild the summaries");
	rc = sqlite3_prepare_v2(db->h, rebuild_meas_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return dbi_fail(db, e, rc, "rebuild the measurement summaries");
	ret = meas_rows(db, st, e);
	sqlite3_finalize(st);
	return ret;
}

int dbi_sum_recount_units(struct db *db, struct st_error *e)
{
	int rc = sqlite3_exec(db->h, rebuild_units_sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? ST_OK : dbi_fail(db, e, rc, "recount the yields");
}

int db_summary_rebuild(struct db *db, struct st_error *e)
{
	int ret;

	if (db->readonly)
		return st_fail(e, ST_ERR_ARG, "the log %s is open read-only", db->path);
	pthread_mutex_lock(&db->mu);
	ret = dbi_begin(db, e);
	if (ret == ST_OK) {
		ret = dbi_sum_rebuild(db, e);
		if (ret == ST_OK)
			ret = dbi_commit(db, e);
		if (ret < 0)
			dbi_rollback(db);
	}
	pthread_mutex_unlock(&db->mu);
	return ret;
}
