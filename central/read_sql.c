/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station export, trace, export --what wide, report --spc and --capability
 * on the central store: db_read.c's, db_report.c's and db_quality.c's
 * statements, statement by statement, on the central tables (a step,
 * measurement ... keyed by its run and its id in the station's log).  The
 * same columns, names and types, in the same order: text in byte order
 * (COLLATE "C"), NULLs first, as SQLite sorts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "central/read-internal.h"

#define C " COLLATE \"C\""

/* --- station export ------------------------------------------------------ */

static const char *const export_sql[] = {
	"SELECT r.id AS run_id, r.unit_serial, r.station, r.fixture, r.operator,"
	" r.work_order, r.part_number, r.revision, r.sequence_name, r.sequence_version,"
	" r.sequence_sha256, r.software_version, " CPR_ISO("r.started_us") " AS started, "
	CPR_ISO("r.ended_us") " AS ended, r.started_us, r.ended_us, r.outcome, r.reason,"
	" r.last_step FROM runs r WHERE" CPR_WHERE "ORDER BY r.started_us, r.id" C,

	"SELECT s.run_id, r.unit_serial, r.fixture, r.sequence_name, r.sequence_version,"
	" s.idx AS step_index, s.name AS step, s.kind, s.phase, s.outcome, s.reason,"
	" " CPR_ISO("s.started_us") " AS started, s.started_us, s.ended_us, s.duration_us,"
	" s.attempts FROM steps s JOIN runs r ON r.id = s.run_id WHERE" CPR_WHERE
	"ORDER BY r.started_us, r.id" C ", s.idx",

	"SELECT m.run_id, r.unit_serial, r.fixture, r.sequence_name, r.sequence_version,"
	" s.idx AS step_index, s.name AS step, m.name, m.value, m.text, m.unit, m.low, m.high,"
	" m.expect, m.outcome, " CPR_ISO("s.ended_us") " AS time"
	" FROM measurements m JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id"
	" JOIN runs r ON r.id = s.run_id WHERE" CPR_WHERE
	"ORDER BY r.started_us, r.id" C ", s.idx, m.id",
};

int cpr_export(void *h, const char *what, const struct rep_filter *f, db_row_fn fn, void *ctx,
	       struct st_error *e)
{
	/* db_read.c's order: runs, steps, measurements */
	for (size_t i = 0; db_export_whats[i] && i < sizeof(export_sql) / sizeof(*export_sql); i++)
		if (!strcmp(what, db_export_whats[i]))
			return cpr_rows(h, export_sql[i], f, NULL, 0, fn, ctx, e);
	return st_fail(e, ST_ERR_ARG, "--what is runs, steps or measurements, not '%s'", what);
}

/* --- station trace ------------------------------------------------------- */

#define RUN_COLUMNS \
	"SELECT id, unit_serial, station, fixture, \"operator\", work_order, part_number," \
	" revision, sequence_name, sequence_version, sequence_sha256, software_version, " \
	CPR_ISO("started_us") " AS started, " CPR_ISO("ended_us") " AS ended, outcome, reason," \
	" last_step FROM runs"
/* a step's attachments: $1 its run, $2 its id */
#define OF_STEP " WHERE run_id = $1 AND step_id = $2 ORDER BY id"

/* As db_read.c's trace_q; $1 the key, $2 a certificate serial's hex. */
static const char *const trace_sql[DB_TRACE__COUNT] = {
	[DB_TRACE_UNITS] =
		"SELECT u AS unit_serial FROM (SELECT unit_serial AS u FROM runs"
		" WHERE unit_serial = $1"
		" UNION SELECT id FROM runs WHERE id = $1 AND unit_serial IS NULL"
		" UNION SELECT coalesce(r.unit_serial, r.id) FROM identities i"
		" JOIN runs r ON r.id = i.run_id"
		" JOIN steps s ON s.run_id = i.run_id AND s.id = i.step_id"
		" WHERE i.chip_serial = $1 OR (s.outcome = 'pass'"
		" AND (lower(i.cert_serial) = $2 OR i.subject_serial = $1))) x ORDER BY u" C,
	[DB_TRACE_RUNS] = RUN_COLUMNS " WHERE unit_serial = $1 OR (unit_serial IS NULL AND id = $1)"
		" ORDER BY started_us, id" C,
	[DB_TRACE_RUN] = RUN_COLUMNS " WHERE id = $1",
	[DB_TRACE_SUSPECTS] =
		"SELECT role, reason, run_id, chip_serial, fingerprint, " CPR_ISO("time_us")
		" AS time FROM suspects WHERE unit_serial = $1 OR (unit_serial IS NULL"
		" AND run_id = $1) ORDER BY time_us, run_id" C ", id",
	[DB_TRACE_STEPS] =
		"SELECT id, idx AS \"index\", name, kind, phase, outcome, reason, "
		CPR_ISO("started_us") " AS started, duration_us, attempts"
		" FROM steps WHERE run_id = $1 ORDER BY idx",
	[DB_TRACE_MEASUREMENTS] =
		"SELECT name, value, text, unit, low, high, expect, outcome FROM measurements"
		OF_STEP,
	[DB_TRACE_IMAGES] =
		"SELECT path, sha256, format, address, size, chip_id FROM images" OF_STEP,
	[DB_TRACE_IDENTITIES] =
		"SELECT chip_serial, cert_serial, subject, issuer, not_before, not_after,"
		" fingerprint, spki_sha256, subject_serial, masa_url, dpp_uri, nonce,"
		" signature, pem_chain FROM identities" OF_STEP,
	[DB_TRACE_CMS] =
		"SELECT status, cms_id, attempts, http_status FROM cms_registrations" OF_STEP,
	[DB_TRACE_VALUES] = "SELECT key, value FROM step_values" OF_STEP,
};

int cpr_trace(void *h, enum db_trace_q q, const char *key, int64_t key_id, db_row_fn fn,
	      void *ctx, struct st_error *e)
{
	char hex[256], id[24];
	const char *v[2] = { key, hex };

	if ((unsigned)q >= DB_TRACE__COUNT)
		return st_fail(e, ST_ERR_ARG, "no trace query %d", (int)q);
	if (q > DB_TRACE_STEPS && !key)
		return st_fail(e, ST_ERR_ARG, "a step's %s on the central store need its run",
			       db_trace_name(q));
	if (q == DB_TRACE_UNITS)
		hex_normalize(key, hex, sizeof(hex));
	if (q > DB_TRACE_STEPS) {
		snprintf(id, sizeof(id), "%lld", (long long)key_id);
		v[1] = id;
	}
	return cpr_rows(h, trace_sql[q], NULL, v, q == DB_TRACE_UNITS || q > DB_TRACE_STEPS ? 2 : 1,
			fn, ctx, e);
}

/* --- export --what wide, report --spc and --capability ------------------- */

/* r is its unit's first judged run of its operation: db-internal.h's
 * FIRST_JUDGED_OP_RUN */
#define FIRST_JUDGED_OP \
	"(r.outcome IN ('pass', 'fail') AND r.unit_serial IS NOT NULL" \
	"  AND NOT EXISTS (SELECT 1 FROM runs p WHERE p.unit_serial = r.unit_serial" \
	"  AND p.outcome IN ('pass', 'fail')" \
	"  AND p.sequence_name IS NOT DISTINCT FROM r.sequence_name" \
	"  AND (p.started_us < r.started_us OR (p.started_us = r.started_us" \
	"  AND p.id" C " < r.id" C "))))"
/* $1 NULL: every run */
#define FIRST_ONLY "($1::int IS NULL OR " FIRST_JUDGED_OP ")"
#define MEAS_STEP " JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id"

static const char *const wide_sql[] = {
	[DB_WIDE_COLUMNS] =
		"WITH fr AS MATERIALIZED (SELECT r.id FROM runs r"
		"  WHERE r.outcome <> 'running' AND" CPR_WHERE ")"
		" SELECT DISTINCT s.name" C " AS step, m.name" C " AS name, m.unit" C " AS unit"
		" FROM fr JOIN measurements m ON m.run_id = fr.id" MEAS_STEP
		" ORDER BY 1, 2, 3 NULLS FIRST",
	[DB_WIDE_VALUES] =
		"WITH wr AS MATERIALIZED (SELECT r.*, CASE WHEN "
		FIRST_JUDGED_OP " THEN 1 ELSE 0 END AS first_run FROM runs r"
		"  WHERE r.outcome <> 'running' AND" CPR_WHERE ")"
		" SELECT wr.id AS run_id, wr.unit_serial, wr.station, wr.fixture, wr.operator,"
		" wr.sequence_name, wr.sequence_version, " CPR_ISO("wr.started_us") " AS started, "
		CPR_ISO("wr.ended_us") " AS ended, wr.outcome, wr.first_run,"
		" s.name AS step, m.name, m.value, m.text, m.unit"
		" FROM wr LEFT JOIN measurements m ON m.run_id = wr.id"
		" LEFT JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id"
		" ORDER BY wr.started_us, wr.id" C ", m.id NULLS FIRST",
};

int cpr_wide(void *h, enum db_wide_q q, const struct rep_filter *f, db_row_fn fn, void *ctx,
	     struct st_error *e)
{
	if ((unsigned)q > DB_WIDE_VALUES)
		return st_fail(e, ST_ERR_ARG, "no wide query %d", (int)q);
	return cpr_rows(h, wide_sql[q], f, NULL, 0, fn, ctx, e);
}

/* A run's operation as the log's points name it (db-internal.h's DB_OP):
 * the ninth column, report/spc.c refuses a chart of two */
#define SEQ(r) "nullif(" r ".sequence_name, '') AS sequence_name"

/* db_series.c's all_sql (columns fixture, time, started_us, unit_serial,
 * run_id, value, unit, mid, sequence_name); $2 the measurement's name; $3,
 * $4 the time window (NULL: none) on the measurements too, whose
 * started_us repeats their run's: measurements_name then reads the
 * window's values, not the name's over all time (6.6 -> 1.4 s for a week
 * of a million runs) */
static const char series_sql[] =
	"WITH fr AS MATERIALIZED (SELECT r.id, r.fixture, r.started_us, r.unit_serial,"
	"  r.sequence_name FROM runs r"
	"  WHERE r.outcome <> 'running' AND" CPR_WHERE "AND " FIRST_ONLY ")"
	" SELECT fr.fixture, " CPR_ISO("fr.started_us") " AS time, fr.started_us,"
	" fr.unit_serial, fr.id AS run_id, m.value, m.unit, m.id AS mid, " SEQ("fr")
	" FROM fr JOIN measurements m ON m.run_id = fr.id"
	" WHERE m.name = $2 AND m.value IS NOT NULL"
	" AND ($3::bigint IS NULL OR m.started_us >= $3::bigint)"
	" AND ($4::bigint IS NULL OR m.started_us < $4::bigint)"
	" ORDER BY fr.fixture" C ", fr.started_us, m.run_id" C ", m.id";

/* With a window (db_report.h), each fixture read from both ends, as the
 * log reads it (db/db_series.c), along runs_fixture (fixture, started_us):
 * its first $5 values in time order, then, when there were $5, its last $6
 * after them.  A fixture's values are its values on every station, in time
 * order, as series_sql gives them.  The fixtures come first (fixtures):
 * one none of whose runs the filter selects costs its whole index range
 * (--station st11 on a million runs read 30 other stations' fixtures). */
/* A fixture's points, pos its position (tail), ord the order: read along
 * runs_fixture in time order until the LIMIT around it has its points,
 * each run's value of $2 from measurements_name_run (schema_v11.c) alone:
 * the window is the runs' (a measurement's started_us is its run's), so
 * the statement names no column that index lacks.
 * The filter's terms go in a subquery, which the planner takes to keep
 * half the runs: seen as terms, a station's share of a fixture's runs is
 * the product of the two shares (1/16 of 1/32 on a million runs) where it
 * is all of them, and for a LIMIT above so few it read the fixture's
 * whole range and sorted it (1.6 s a fixture; --station st11 took 180 ms
 * in all so).  The window, in terms of its own, bounds the index range. */
#define SERIES_PTS(fx, pos, ord) \
	"SELECT r.fixture, " CPR_ISO("r.started_us") " AS time, r.started_us, r.unit_serial," \
	" r.id AS run_id, m.value, m.unit, m.id AS mid, " SEQ("r") " FROM runs r" \
	" JOIN measurements m" \
	" ON m.run_id = r.id WHERE r.fixture = " fx " AND r.outcome <> 'running'" \
	" AND ($3::bigint IS NULL OR r.started_us >= $3::bigint)" \
	" AND ($4::bigint IS NULL OR r.started_us < $4::bigint) AND (SELECT" CPR_WHERE ")" \
	" AND " FIRST_ONLY " AND m.name = $2 AND m.value IS NOT NULL" pos \
	" ORDER BY r.started_us " ord ", r.id" C " " ord ", m.id " ord
#define SERIES_ENDS(fixtures) \
	"WITH RECURSIVE " fixtures "," \
	" head AS MATERIALIZED (SELECT h.* FROM fx CROSS JOIN LATERAL (" \
	SERIES_PTS("fx.f", "", "ASC") " LIMIT $5::int) h WHERE fx.f IS NOT NULL)," \
	" lastp AS (SELECT DISTINCT ON (fixture) fixture, started_us, run_id, mid," \
	"  count(*) OVER (PARTITION BY fixture) AS n FROM head" \
	"  ORDER BY fixture, started_us DESC, run_id" C " DESC, mid DESC)," \
	" tail AS (SELECT t.* FROM lastp CROSS JOIN LATERAL (" SERIES_PTS("lastp.fixture", \
	"  AND r.started_us >= lastp.started_us AND (r.started_us > lastp.started_us" \
	"  OR r.id" C " > lastp.run_id" C " OR (r.id = lastp.run_id AND m.id > lastp.mid))", \
	"DESC") " LIMIT $6::int) t WHERE lastp.n = $5::int)" \
	" SELECT fixture, time, started_us, unit_serial, run_id, value, unit, mid, sequence_name" \
	" FROM (SELECT * FROM head UNION ALL SELECT * FROM tail) x" \
	" ORDER BY fixture" C ", started_us, run_id" C ", mid"
static const char series_ends_sql[] = SERIES_ENDS(
	"fx(f) AS (SELECT min(fixture) FROM runs"
	"  WHERE $7::text IS NULL OR fixture = $7::text"
	"  UNION ALL SELECT (SELECT min(q.fixture) FROM runs q WHERE q.fixture > fx.f"
	"  AND ($7::text IS NULL OR q.fixture = $7::text)) FROM fx WHERE fx.f IS NOT NULL)");
/* a filter by station ($8) or sequence ($9 name, $10 version): the
 * fixtures of its day cells (schema_sum.c's level 'x': one per station,
 * fixture, sequence and day, kept in the transaction that stores each run,
 * so every run the filter selects has one), within the window's days ($3,
 * $4, a day being started_us / 86400000000 as there): a station's from
 * its few hundred cells along their key, not another station's runs.
 * Their sequence and version are '' for NULL: a few fixtures more, never
 * fewer. */
static const char series_ends_cells_sql[] = SERIES_ENDS(
	"fx(f) AS (SELECT DISTINCT c.fixture FROM sum_cells c WHERE c.level = 'x'"
	"  AND ($7::text IS NULL OR c.fixture = $7::text)"
	"  AND ($8::text IS NULL OR c.station = $8::text)"
	"  AND ($9::text IS NULL OR c.sequence_name = $9::text)"
	"  AND ($10::text IS NULL OR c.sequence_version = $10::text)"
	"  AND ($3::bigint IS NULL OR c.day >= $3::bigint / 86400000000)"
	"  AND ($4::bigint IS NULL OR c.day <= $4::bigint / 86400000000))");

/* sql, a SERIES_ENDS, without bitmap scans: a look-up of a run's value
 * costing less than a page of the runs (measurements_name_run), the planner
 * took a fixture's latest $6 points, which it expects to be fewer than
 * there are (its estimate of a week's runs of one fixture less its guesses
 * at the filters'), for all of them: a bitmap of the fixture's runs in the
 * window, each one's value looked up, then sorted (64,000 look-ups for a
 * week of the 1M-run store instead of 16,000: 2.6 s in EXPLAIN ANALYZE at
 * load average 7, against 0.4-0.6 s read in time order). */
static int series_ends(struct central *c, const char *sql, const struct rep_filter *f,
		       const char *const *v, int n, db_row_fn fn, void *ctx, struct st_error *e)
{
	struct st_error reset = { 0 };
	int ret = cpi_exec(c, "SET enable_bitmapscan = off", "read a chart's points", e);

	if (ret < 0)
		return ret;
	ret = cpr_rows(c, sql, f, v, n, fn, ctx, e);
	if (cpi_exec(c, "RESET enable_bitmapscan", "read a chart's points", &reset) < 0 && ret >= 0) {
		*e = reset;
		ret = reset.code;
	}
	return ret;
}

int cpr_series(void *h, const char *name, const struct rep_filter *f, bool first_only,
	       const struct db_series_window *w, db_row_fn fn, void *ctx, struct st_error *e)
{
	char since[24], until[24], head[16], tail[16];
	const char *v[10] = { first_only ? "1" : NULL, name, NULL, NULL, head, tail,
			      f ? f->fixture : NULL };
	int version = 0, ret;

	if (f && f->has_since) {
		snprintf(since, sizeof(since), "%lld", (long long)f->since_us);
		v[2] = since;
	}
	if (f && f->has_until) {
		snprintf(until, sizeof(until), "%lld", (long long)f->until_us);
		v[3] = until;
	}
	if (!w || w->head <= 0 || w->tail <= 0)
		return cpr_rows(h, series_sql, f, v, 4, fn, ctx, e);
	snprintf(head, sizeof(head), "%d", w->head);
	snprintf(tail, sizeof(tail), "%d", w->tail + 1);	/* one more: some skipped */
	if (!f || (!f->station && !f->seq_name && !f->seq_version))
		return series_ends(h, series_ends_sql, f, v, 7, fn, ctx, e);
	/* the day cells since version 4; an older store's fixtures all */
	ret = central_schema_version(h, &version, e);
	if (ret < 0)
		return ret;
	if (version < 4)
		return series_ends(h, series_ends_sql, f, v, 7, fn, ctx, e);
	v[7] = f->station;
	v[8] = f->seq_name;
	v[9] = f->seq_version;
	return series_ends(h, series_ends_cells_sql, f, v, 10, fn, ctx, e);
}

/* db_series.c's db_meas_kinds(): the kinds of the name's values in the runs
 * selected, a row per sequence (NULL for none), version and unit with its
 * count of values; report/spc.c refuses a chart of more than one sequence
 * or unit.  Unless exact, the summaries' measurement keys (version 4) say
 * first whether the name has more than one sequence or unit at all, of the
 * filter's sequence where it names one (the sequence the refusal asks
 * for): sum_meas_keys is a row per sequence, step, name, unit and limits,
 * some hundreds on a store of millions of runs, read whole (it has no
 * index by name).  Only then are the kinds counted: of each unit's first
 * runs, for a filter the capability cells answer (version 7: whole hours,
 * station, fixture, sequence), from those cells combined on the server
 * (read_cap.c, every key's count; a few ms on the 1M-run store), those of
 * the name added up here; else from the rows: the filter's runs
 * (runs_fixture, runs_station, runs_unit, runs_started ...) and each one's
 * value of $2 in measurements_name_run (version 11; the primary key
 * before), looked up run by run for a few runs, or the name's range of
 * that index read once and joined where that costs less, index only,
 * never the table nor another measurement's values; the planner's choice
 * (a 100k-run store's: a unit 1 ms, a fixture or a week 70-230 ms, every
 * run 1.7 s, most of it the first-run test of each).  A run the
 * summaries do not hold (put in by SQL) is in neither keys nor cells: the
 * chart's points say it (their sequence_name and unit), and it asks
 * again, exact: the rows. */
static const char kinds_keys_sql[] =
	"SELECT count(*) FROM (SELECT DISTINCT nullif(sequence_name, ''), unit FROM sum_meas_keys"
	" WHERE name = $1 AND ($2::text IS NULL OR sequence_name = $2::text)) k";
static const char kinds_sql[] =
	"WITH fr AS MATERIALIZED (SELECT r.id, r.sequence_name, r.sequence_version FROM runs r"
	"  WHERE r.outcome <> 'running' AND" CPR_WHERE "AND " FIRST_ONLY ")"
	" SELECT nullif(fr.sequence_name, '')" C " AS sequence_name,"
	" fr.sequence_version" C " AS sequence_version, m.unit" C " AS unit, count(*) AS n"
	" FROM fr JOIN measurements m ON m.run_id = fr.id"
	" WHERE m.name = $2 AND m.value IS NOT NULL"
	" GROUP BY 1, 2, 3 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST";

static int count_row(void *ctx, const struct db_row *row)
{
	if (!row->columns_only && row->v[0].type == DB_INT)
		*(long long *)ctx = row->v[0].i;
	return 0;
}

/* The name's kinds from the capability keys' combined cells. */
struct cell_kind {
	char *col[3];	/* sequence_name, sequence_version, unit (NULL: none) */
	long long n;
};

struct cell_kinds {
	const char *name;
	struct cell_kind *k;
	int n;
	struct st_error *e;
};

static bool same_text(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* v's text (NULL: none, or '' where empty_null); false when out of memory */
static bool text_of(const struct db_value *v, bool empty_null, char **out)
{
	*out = v->type != DB_TEXT || (empty_null && !v->s[0]) ? NULL : strdup(v->s);
	return *out || v->type != DB_TEXT || (empty_null && !v->s[0]);
}

static void cell_kind_free(struct cell_kind *k)
{
	for (int c = 0; c < 3; c++)
		free(k->col[c]);
}

/* Rows of cpr_capability_keys(): sequence_name, sequence_version, step,
 * name, unit, low, high, n ...: the name's n added up by sequence, version
 * and unit (a sequence '' as none, as DB_OP). */
static int add_cell_kind(void *ctx, const struct db_row *row)
{
	struct cell_kinds *ks = ctx;
	struct cell_kind k = { .n = row->v[7].i }, *nk;
	bool ok;
	int i;

	if (row->columns_only || row->v[3].type != DB_TEXT || strcmp(row->v[3].s, ks->name))
		return 0;
	ok = text_of(&row->v[0], true, &k.col[0]);
	ok = text_of(&row->v[1], false, &k.col[1]) && ok;
	ok = text_of(&row->v[4], false, &k.col[2]) && ok;
	if (!ok) {
		cell_kind_free(&k);
		return st_fail(ks->e, ST_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < ks->n; i++)
		if (same_text(ks->k[i].col[0], k.col[0]) && same_text(ks->k[i].col[1], k.col[1]) &&
		    same_text(ks->k[i].col[2], k.col[2]))
			break;
	if (i < ks->n) {
		ks->k[i].n += k.n;
		cell_kind_free(&k);
		return 0;
	}
	nk = realloc(ks->k, (ks->n + 1) * sizeof(*nk));
	if (!nk) {
		cell_kind_free(&k);
		return st_fail(ks->e, ST_ERR_NOMEM, "out of memory");
	}
	ks->k = nk;
	ks->k[ks->n++] = k;
	return 0;
}

/* Byte order, NULLs first, as the rows' ORDER BY. */
static int kind_cmp(const void *pa, const void *pb)
{
	const struct cell_kind *a = pa, *b = pb;

	for (int c = 0; c < 3; c++) {
		if (!a->col[c] != !b->col[c])
			return a->col[c] ? 1 : -1;
		if (a->col[c] && strcmp(a->col[c], b->col[c]))
			return strcmp(a->col[c], b->col[c]);
	}
	return 0;
}

/* The kinds from the cells, as kinds_sql's rows; ST_ERR_NOTSUP (e
 * untouched) for a filter or store they do not answer. */
static int cell_kinds(struct central *c, const char *name, const struct rep_filter *f,
		      db_row_fn fn, void *ctx, struct st_error *e)
{
	static const char *const cols[] = { "sequence_name", "sequence_version", "unit", "n" };
	struct st_error err = { 0 };
	struct cell_kinds ks = { .name = name, .e = &err };
	struct db_row row = { .n = 4, .columns_only = true };
	int ret = cpr_capability_keys(c, f, add_cell_kind, &ks, &err);

	if (ret < 0 && ret != ST_ERR_NOTSUP)
		*e = err;
	for (int i = 0; i < 4; i++)
		row.name[i] = cols[i];
	if (ks.n > 1)
		qsort(ks.k, ks.n, sizeof(*ks.k), kind_cmp);
	if (!ret)
		ret = fn(ctx, &row);
	row.columns_only = false;
	for (int i = 0; !ret && i < ks.n; i++) {
		for (int j = 0; j < 3; j++)
			row.v[j] = ks.k[i].col[j] ? (struct db_value){ .type = DB_TEXT,
				.s = ks.k[i].col[j], .len = (int)strlen(ks.k[i].col[j]) } :
				(struct db_value){ .type = DB_NULL };
		row.v[3] = (struct db_value){ .type = DB_INT, .i = ks.k[i].n };
		ret = fn(ctx, &row);
	}
	for (int i = 0; i < ks.n; i++)
		cell_kind_free(&ks.k[i]);
	free(ks.k);
	return ret;
}

int cpr_kinds(void *h, const char *name, const struct rep_filter *f, bool first_only,
	      bool exact, db_row_fn fn, void *ctx, struct st_error *e)
{
	const char *v[2] = { first_only ? "1" : NULL, name };
	long long kinds = 0;	/* 0: no keys (an older store, a name put in by SQL): read */
	int version = 0, ret;

	if (!exact) {
		ret = central_schema_version(h, &version, e);
		if (ret < 0)
			return ret;
	}
	if (version >= 4) {
		const char *k[2] = { name, f ? f->seq_name : NULL };

		ret = cpr_rows(h, kinds_keys_sql, NULL, k, 2, count_row, &kinds, e);
		if (ret < 0)
			return ret;
	}
	if (kinds == 1)	/* one sequence and unit in the store (of the filter's sequence) */
		return 0;
	if (version >= 7 && first_only) {
		ret = cell_kinds(h, name, f, fn, ctx, e);
		if (ret != ST_ERR_NOTSUP)
			return ret;
	}
	return cpr_rows(h, kinds_sql, f, v, 2, fn, ctx, e);
}

/* db_quality.c's capability_sql, a fixture being a station's: the values
 * of one fixture in time order make the moving ranges, and fixture names
 * repeat across stations (st01's "F1" is not st02's), so the rows go
 * station by station and the station is an eleventh column (the log has one
 * station: its rows have ten) */
static const char capability_sql[] =
	"WITH fr AS MATERIALIZED (SELECT r.id, r.sequence_name, r.sequence_version, r.station,"
	"  r.fixture, r.started_us FROM runs r WHERE r.outcome <> 'running' AND" CPR_WHERE
	"  AND " FIRST_ONLY ")"
	" SELECT fr.sequence_name, fr.sequence_version, s.name AS step, m.name, m.unit, m.low,"
	" m.high, fr.fixture, fr.started_us, m.value, fr.station"
	" FROM fr JOIN measurements m ON m.run_id = fr.id" MEAS_STEP
	" WHERE m.value IS NOT NULL"
	" ORDER BY fr.sequence_name" C " NULLS FIRST, fr.sequence_version" C " NULLS FIRST,"
	" s.name" C ", m.name" C ", m.unit" C " NULLS FIRST, m.low NULLS FIRST,"
	" m.high NULLS FIRST, fr.station" C ", fr.fixture" C ", fr.started_us, m.run_id" C ", m.id";

int cpr_capability(void *h, const struct rep_filter *f, bool first_only, db_row_fn fn,
		   void *ctx, struct st_error *e)
{
	const char *v[1] = { first_only ? "1" : NULL };

	return cpr_rows(h, capability_sql, f, v, 1, fn, ctx, e);
}
