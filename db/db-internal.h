/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the db part only: the connection, its statement cache and the
 * SQLite error translation shared by db.c, db_log.c and migrate.c.
 */
#ifndef ST_DB_DB_INT_H
#define ST_DB_DB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <sqlite3.h>

#include "db/db.h"
#include "db/db_reader.h"

/* Cached statements, one slot each, prepared on first use. */
enum dbi_slot {
	DBS_BEGIN, DBS_COMMIT, DBS_ROLLBACK,
	DBS_STATION, DBS_FIXTURE, DBS_RUN_INSERT, DBS_RUN_SERIAL, DBS_RUN_FILE, DBS_RUN_END,
	DBS_STEP, DBS_MEAS, DBS_IMAGE, DBS_IDENTITY, DBS_CMS, DBS_KV, DBS_RUN_LAST,
	DBS_DATA_VERSION, DBS_DEF_FIND, DBS_DEF_ADD,	/* db_defs.c */
	DBS_SEEN, DBS_EVENT, DBS_RECOVER_EVENT, DBS_RECOVER,
	/* summaries (db_summary.c) */
	DBS_CELL_FIND, DBS_CELL_NEW, DBS_RUN_STATE, DBS_RUN_CELL, DBS_RUNNING_IDS, DBS_CELL_RUNS,
	DBS_SUM_FAILS, DBS_SUM_MEAS_ROWS, DBS_KEY_FIND, DBS_KEY_NEW, DBS_MEAS_SUM,
	DBS_UNIT_OLD, DBS_UNIT_NEW, DBS_UNIT_FIRST_OLD, DBS_UNIT_FIRST_NEW,
	DBS_UNIT_DEL, DBS_UNIT_ADD, DBS_UNIT_SET, DBS_UNIT_FIRST_DEL, DBS_UNIT_FIRST_ADD,
	DBS_CELL_UNITS,
	/* capability cells (db_capcell.c) */
	DBS_CAP_KEY_FIND, DBS_CAP_KEY_NEW, DBS_CAP_SLICE_LAST, DBS_CAP_SLICE_LOAD,
	DBS_CAP_SLICE_DEL, DBS_CAP_PUT, DBS_CAP_RUN_VALUES, DBS_CAP_SLICE_VALUES,
	DBS_CAP_ALL_LAST, DBS_CAP_RUN_ALL_VALUES, DBS_CAP_SLICE_ALL_VALUES,
	DBS_CAP_DIM_LOAD, DBS_CAP_DIM_DEL, DBS_CAP_DIM_PUT, DBS_CAP_MARK_LOAD, DBS_CAP_MARK_DEL,
	DBS_CAP_MARK_PUT,
	DBS__COUNT
};

struct db {
	sqlite3 *h;
	pthread_mutex_t mu;	/* every public call holds it: fixture threads share one db */
	char *path;
	bool readonly;
	bool as_is;		/* db_opts.as_is: schema left as found */
	int found_version;
	const atomic_bool *stop;	/* db_opts.stop: busy waits end soon after it */
	sqlite3_stmt *st[DBS__COUNT];
	struct db_reader rd;	/* db_reader(): this log as a read backend */
	struct dbi_defs *defs;	/* db_defs.c: the measurement defs used */
};

/* The statement for a slot, reset and with its bindings cleared; NULL on
 * error (e filled). */
sqlite3_stmt *dbi_stmt(struct db *db, enum dbi_slot slot, struct st_error *e);
/* Step a write statement to completion (SQLITE_DONE). */
int dbi_done(struct db *db, sqlite3_stmt *st, const char *what, struct st_error *e);
/* Translate an SQLite result code into an operator message; returns ST_ERR_DB. */
int dbi_fail(struct db *db, struct st_error *e, int rc, const char *what);
int dbi_begin(struct db *db, struct st_error *e);
int dbi_commit(struct db *db, struct st_error *e);
void dbi_rollback(struct db *db);

/* The id of m's def (name, unit, limits, expected text: measurement_defs),
 * made when new (db_defs.c); forget: drop the cached ids (after a
 * rollback), free: and the cache. */
int dbi_meas_def(struct db *db, const struct db_measurement *m, sqlite3_int64 *id,
		 struct st_error *e);
void dbi_defs_forget(struct db *db);
void dbi_defs_free(struct db *db);

/* Bind helpers: NULL pointers and NAN bind SQL NULL. */
void dbi_bind_text(sqlite3_stmt *st, int i, const char *s);
void dbi_bind_real(sqlite3_stmt *st, int i, double v);

/* Fill db->rd (db_reader.c). */
void dbi_reader_init(struct db *db);

/* Create or upgrade the schema (migrate.c). */
int dbi_schema_apply(struct db *db, struct st_error *e);

/* Summaries (db_summary.c), inside the caller's transaction. */
int dbi_sum_register(struct db *db, struct st_error *e);	/* SQL functions */
/* A run went from running to ended (db_run_end, recovery): it gets its
 * cell (hour, fixture, sequence, outcome) and is counted. */
int dbi_sum_run_ended(struct db *db, const char *run_id, struct st_error *e);
/* An ended run ended again: when its outcome changed it moves to that
 * outcome's cell, and both cells are recounted from the rows. */
int dbi_sum_run_moved(struct db *db, const char *run_id, struct st_error *e);
/* Capability cells (db_capcell.c), inside the caller's transaction: run_id
 * became its unit-operation's first judged run (its values are added, or
 * its fixture's hour recomputed when they come out of time order), or
 * stopped being it (that hour recomputed); all of them from the rows. */
int dbi_cap_first_added(struct db *db, const char *run_id, struct st_error *e);
int dbi_cap_first_dropped(struct db *db, const char *run_id, struct st_error *e);
/* A run ended: its values into the cells of every run (dim 7). */
int dbi_cap_run_ended(struct db *db, const char *run_id, struct st_error *e);
int dbi_cap_rebuild(struct db *db, struct st_error *e);
/* db_capkey.c: the cap_keys ids of the keys a pass over values meets. */
struct dbi_capkent {
	char *k;
	int64_t id;
};
struct dbi_capkeys {
	struct dbi_capkent *keys;
	size_t n, cap;
	char *buf;
	size_t blen, bcap;
};
/* The cap_keys id of the key in columns 0..6 of st (sequence name and
 * version, step, name, unit, low, high), added when new; 0 or < 0 (e set). */
int dbi_capkey_id(struct db *db, struct dbi_capkeys *k, sqlite3_stmt *st, int64_t *id,
		  struct st_error *e);
void dbi_capkeys_free(struct dbi_capkeys *k);
/* cap_dim_cells' val of dim 4 (a part number and revision): the part's
 * length in bytes, ':', the part, the revision; malloc'd, NULL for memory. */
char *dbi_cap_dim_val(const char *part, const char *rev);
/* db_capmix.c: the cells of line filters no cell holds exactly, from the
 * cells of base dim (db_capsum.c's) checked against the hour cells' run
 * counts, the hours where the filter keeps some of the base's runs summed
 * from the rows; station: the filter's --station counts.  In the caller's
 * read transaction.  0, ST_ERR_NOMEM, or -1 (SQLite's error on h). */
struct capmix;
struct st_capcell;
int dbi_capmix_load(sqlite3 *h, const struct rep_filter *f, int dim, bool station,
		    struct capmix **out);
/* A base cell of fixture's hour for key: 0 not the filter's, 1 the
 * filter's as it is, 2 the filter's is *c. */
int dbi_capmix_cell(const struct capmix *m, const char *fixture, int64_t hour, int64_t key,
		    struct st_capcell *c);
void dbi_capmix_free(struct capmix *m);
/* Recount one unit (a serial; anything else, a run id, is no unit). */
int dbi_sum_unit(struct db *db, const char *unit, struct st_error *e);
/* Rebuild everything from the rows (migrate.c, db_summary_rebuild). */
int dbi_sum_rebuild(struct db *db, struct st_error *e);
/* Recount hour cells a and b (of one hour) and their day cells from the
 * rows (db_summary_rebuild.c). */
int dbi_sum_recount_cells(struct db *db, int64_t a, int64_t b, int64_t hour, struct st_error *e);
/* The key of measurement row (columns 1..6: sequence, step, name, unit,
 * low, high), created with v as its reference when new. */
int dbi_sum_meas_key(struct db *db, sqlite3_stmt *row, double v, struct st_error *e);

/* Read queries (db_read.c, db_report*.c): statements prepared per call,
 * never cached, on a log that may be opened read-only. */
#include "db/db_report.h"
/* Runs (alias r) matching a rep_filter.  dbr_prepare_where() writes in its
 * place only the terms of the filters given (?1..?7, bound by it), so that
 * SQLite can use an index for each: "(?1 IS NULL OR col >= ?1)" would keep
 * it from using any. */
#define REP_WHERE " @WHERE@ "
/* a and b are runs of one operation: a run without a sequence name (NULL)
 * and one with an empty name ('', an older log or an importer's) are the
 * same operation, as the summaries' unit_first.op = coalesce(name, '')
 * counts them (docs/quality.md). */
#define DB_SAME_OP(a, b) "coalesce(" a ".sequence_name, '') = coalesce(" b ".sequence_name, '')"
/* A run's operation as reports key it: NULL for no name ("" too). */
#define DB_OP(a) "nullif(" a ".sequence_name, '')"
/* r is its unit's first judged run (pass or fail) of its operation
 * (sequence): a unit tested in "ict" and then in "final" has a first run of
 * each, and an error run (a contact fault, say) measured the station, not
 * the board; a run without a serial is no unit's (docs/database.md), so
 * never a first run.  For capability and control charts.  The unary + keeps the
 * planner off runs_outcome (every passing run) for the unit's index. */
#define FIRST_JUDGED_OP_RUN \
	"(+r.outcome IN ('pass', 'fail') AND r.unit_serial IS NOT NULL AND NOT EXISTS (" \
	"  SELECT 1 FROM runs p WHERE p.unit_serial = r.unit_serial" \
	"  AND +p.outcome IN ('pass', 'fail') AND " DB_SAME_OP("p", "r") \
	"  AND (p.started_us < r.started_us OR (p.started_us = r.started_us AND p.id < r.id))))"
/* Yields count judged runs (pass or fail) of identified units: an error or
 * aborted run is the station's and judges no unit, a run without a serial
 * is no unit (counted apart, as unidentified).  A unit is counted per
 * operation (sequence): a unit tested in "ict" and in "final" is a unit of
 * each.  The unary + keeps SQLite off runs_outcome (all passing runs) for
 * these terms: the filter's own index (a unit, a time window) selects far
 * fewer rows. */
#define REP_JUDGED_RUN(a) \
	"(+" a ".outcome IN ('pass', 'fail') OR (?9 IS NOT NULL AND +" a ".outcome IN ('error', 'aborted')))"
#define REP_JUDGED "r.unit_serial IS NOT NULL AND " REP_JUDGED_RUN("r")
/* r is its unit's first judged run of its operation, over the whole log
 * (through runs_unit_started); ?9 set (--with-errors): error and aborted
 * runs judge their unit too, as failures. */
#define REP_FIRST_OF_OP \
	REP_JUDGED " AND NOT EXISTS (SELECT 1 FROM runs p WHERE p.unit_serial = r.unit_serial" \
	"  AND " DB_SAME_OP("p", "r") " AND " REP_JUDGED_RUN("p") \
	"  AND (p.started_us < r.started_us OR (p.started_us = r.started_us AND p.id < r.id)))"
/* The values capability cells sum (db_capcell.c): first judged runs' numeric
 * values, columns sequence_name, sequence_version, step, name, unit, low,
 * high, fixture, started_us, value, in time order (the rows path's), then
 * the run's line: operator, work_order, part_number, revision (10-13). */
#define DB_CAP_VALUES(where) \
	"SELECT " DB_OP("r") ", r.sequence_version, s.name, m.name, m.unit, m.low, m.high," \
	" r.fixture, r.started_us, m.value, r.operator, r.work_order, r.part_number, r.revision," \
	" r.outcome" \
	" FROM runs r CROSS JOIN steps s ON s.run_id = r.id" \
	" CROSS JOIN measurements m ON m.step_id = s.id WHERE m.value IS NOT NULL" \
	" AND r.outcome <> 'running' AND " where " AND " FIRST_JUDGED_OP_RUN \
	" ORDER BY r.started_us, m.id"
/* Every ended run's values (report --capability --all-runs: dim 7), in
 * the order above. */
#define DB_CAP_ALL_VALUES(where) \
	"SELECT " DB_OP("r") ", r.sequence_version, s.name, m.name, m.unit, m.low, m.high," \
	" r.fixture, r.started_us, m.value" \
	" FROM runs r CROSS JOIN steps s ON s.run_id = r.id" \
	" CROSS JOIN measurements m ON m.step_id = s.id WHERE m.value IS NOT NULL" \
	" AND r.outcome <> 'running' AND " where " ORDER BY r.started_us, m.id"
/* The runs the filter selects, found first (through the index its terms
 * can use) and then joined to their steps (UNIQUE (run_id, idx)) and measurements:
 * left to itself the planner starts from the measurements, and a filter on
 * a few runs reads every measurement of the log. */
#define FILTERED_RUNS \
	"WITH fr AS MATERIALIZED (SELECT r.id, r.sequence_name FROM runs r" \
	"  WHERE r.outcome <> 'running' AND " REP_WHERE ") "
/* Times as the views show them. */
#define REP_ISO(col) "strftime('%Y-%m-%dT%H:%M:%fZ', " col " / 1e6, 'unixepoch')"
/* db_suspects_count() with db->mu held (report_build's transaction). */
int dbi_suspects_count(struct db *db, const struct rep_filter *f, int64_t *n,
		       struct st_error *e);
sqlite3_stmt *dbr_prepare(sqlite3 *h, const char *sql);	/* NULL on error */
/* sql with every REP_WHERE replaced by f's terms, prepared, f bound. */
sqlite3_stmt *dbr_prepare_where(sqlite3 *h, const char *sql, const struct rep_filter *f);
/* f's values bound to the parameters REP_WHERE's terms use (?1 since, ?2
 * until, ?3 fixture, ?4 sequence name, ?5 version, ...). */
void dbr_bind_filter(sqlite3_stmt *st, const struct rep_filter *f);
char *dbr_dup_col(sqlite3_stmt *st, int c);
/* Run sql (REP_WHERE for f; ?8 set when first_only, ?9 name unless NULL)
 * under the connection's lock, every row to fn. */
int dbr_rows_where(struct db *db, const char *sql, const struct rep_filter *f, bool first_only,
		   const char *name, db_row_fn fn, void *ctx, struct st_error *e);
/* Hand every row of st to fn as a struct db_row (names first); finalizes st. */
int dbr_each_row(sqlite3 *h, sqlite3_stmt *st, db_row_fn fn, void *ctx, struct st_error *e);
/* db_report.c / db_report_sum.c, shared: 0 or -1 (the SQLite error on h). */
int rep_sum_query(sqlite3 *h, struct report *r, enum rep_query q);
struct rep_meas *rep_meas_add(struct report *r, sqlite3_stmt *st);
int rep_yield_rows(sqlite3_stmt *st, struct report *r, bool by_day);
int rep_pareto_rows(sqlite3_stmt *st, struct report *r);
/* The Pareto of failures of f's runs from the rows: (step, failures), most first. */
sqlite3_stmt *rep_pareto_stmt(sqlite3 *h, const struct rep_filter *f);
/* db_report_stats.c: the measurement statistics of r's filter from the
 * rows (0, or -1: the SQLite error on h). */
int rep_stats_rows(sqlite3 *h, struct report *r);

/* A step (alias s) that counts in the Pareto of failures: a leaf, not a
 * group or include, whose failure is that of a step inside it. */
#define DB_LEAF_STEP "coalesce(s.kind, '') NOT IN ('group', 'include')"

/* The identity_trust row of the identity just inserted (db_identity.c),
 * inside the caller's transaction. */
int dbi_identity_trust(struct db *db, int64_t identity_id, const char *run_id,
		       const struct db_identity *id, struct st_error *e);

/* The checks' reading (db_check.c): the log mapped into memory for the
 * check, what the map cannot cover read ahead in order by a thread. */
struct dbi_check_read {
	int fd;
	off_t from, to;
	pthread_t thread;
};
void dbi_check_read_start(sqlite3 *h, const char *path, struct dbi_check_read *w);
void dbi_check_read_end(sqlite3 *h, struct dbi_check_read *w);

/* The SQL of every slot (sql.c). */
extern const char *const dbi_sql[DBS__COUNT];

#endif
