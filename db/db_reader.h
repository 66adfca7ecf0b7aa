/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One interface for the reading commands (report, trace, export): a store
 * that answers the queries of db/db_report.h is a table of function
 * pointers, a backend, like a fixture driver.  Two fill it: a station's
 * SQLite log (db/db_reader.c) and the central PostgreSQL store
 * (central/read_*.c).  station/ picks one; report/ prints what comes back
 * and never knows which: both give the same columns, types, rows and
 * order for the same runs (tests/e2e/t_central_read.sh compares them byte
 * for byte).  A slot left NULL answers ST_ERR_NOTSUP with a message.
 */
#ifndef ST_DB_DB_READER_H
#define ST_DB_DB_READER_H

#include "db/db_report.h"

struct db_reader_ops {
	const char *name;	/* "log", "central store": for messages */
	/* report_build()'s numbers (r->exact in: the rows, never summaries) */
	int (*report)(void *h, const struct rep_filter *f, struct report *r, struct st_error *e);
	/* the row queries, as db_export_rows() ... db_operation_rows() */
	int (*export_rows)(void *h, const char *what, const struct rep_filter *f, db_row_fn fn,
			   void *ctx, struct st_error *e);
	int (*trace_rows)(void *h, enum db_trace_q q, const char *key, int64_t key_id,
			  db_row_fn fn, void *ctx, struct st_error *e);
	int (*wide_rows)(void *h, enum db_wide_q q, const struct rep_filter *f, db_row_fn fn,
			 void *ctx, struct st_error *e);
	/* w: what the caller keeps of each fixture's values (db_report.h);
	 * a backend may give every value */
	int (*meas_series)(void *h, const char *name, const struct rep_filter *f, bool first_only,
			   const struct db_series_window *w, db_row_fn fn, void *ctx,
			   struct st_error *e);
	/* db_meas_kinds(): the sequences and units of the name's values; NULL:
	 * the store does not say (the chart then checks the units it reads) */
	int (*meas_kinds)(void *h, const char *name, const struct rep_filter *f, bool first_only,
			  bool exact, db_row_fn fn, void *ctx, struct st_error *e);
	/* db_capability_rows()'s 10 columns; a store of several stations may
	 * add an 11th, station (ordered by station before fixture): moving
	 * ranges and subgroups then stay within one station's fixture */
	int (*capability_rows)(void *h, const struct rep_filter *f, bool first_only,
			       db_row_fn fn, void *ctx, struct st_error *e);
	/* capability cells (common/capcell.h) of first judged runs for f, one
	 * row per (UTC hour, station, fixture, capability key): sequence_name,
	 * sequence_version, step, name, unit, low, high, station ('' in the log),
	 * fixture, hour, n, ref, s1, s2, min, max, first_us, first_v, last_us,
	 * last_v, mr_n, mr_sum; ordered by the key as capability_rows orders it
	 * (NULLs first), then station, fixture, hour.  ST_ERR_NOTSUP (or NULL):
	 * the store keeps none for f, read capability_rows.  all_runs: every
	 * ended run's values, not only each unit's first run's. */
	int (*capability_sums)(void *h, const struct rep_filter *f, bool all_runs, db_row_fn fn,
			       void *ctx, struct st_error *e);
	/* the same cells combined by the store, one row per capability key
	 * (asked before capability_sums): the key's 7 columns, then n, mean,
	 * m2 (sum (x - mean)^2), ssw (the hour cells' within sum of squares:
	 * sum (s2 - s1^2 / n)), n_sub (hour cells), min, max, first_us,
	 * last_us, mr_n, mr_sum (moving ranges, those between consecutive
	 * cells of one station's fixture included): report/capsum.c's struct
	 * rep_capsum.  ST_ERR_NOTSUP (or NULL): ask capability_sums. */
	int (*capability_keys)(void *h, const struct rep_filter *f, db_row_fn fn, void *ctx,
			       struct st_error *e);
	int (*operation_rows)(void *h, enum db_op_q q, const struct rep_filter *f,
			      bool with_errors, db_row_fn fn, void *ctx, struct st_error *e);
	/* --group-by key from the store's summaries, as report/groups.c
	 * counts the runs (key station, fixture, operator or work-order): a
	 * row per group of key (text; NULL for the runs without an operator
	 * or work order, the "-" group), runs, units,
	 * passed, first_units, first_passed, errors, aborted, unidentified
	 * (integers), in any order.  ST_ERR_NOTSUP (or NULL), before any row:
	 * read operation_rows. */
	int (*group_sums)(void *h, const char *key, const struct rep_filter *f, bool with_errors,
			  db_row_fn fn, void *ctx, struct st_error *e);
};

struct db_reader {
	const struct db_reader_ops *ops;
	void *h;		/* the backend's handle (struct db, struct central) */
	const char *where;	/* the log's path, or the central store's host/db */
};

/* The log's reader (valid while db is open). */
const struct db_reader *db_reader(struct db *db);

/* The calls report/ makes: the backend's slot, or ST_ERR_NOTSUP. */
int rd_report(const struct db_reader *rd, const struct rep_filter *f, struct report *r,
	      struct st_error *e);
int rd_export_rows(const struct db_reader *rd, const char *what, const struct rep_filter *f,
		   db_row_fn fn, void *ctx, struct st_error *e);
int rd_trace_rows(const struct db_reader *rd, enum db_trace_q q, const char *key,
		  int64_t key_id, db_row_fn fn, void *ctx, struct st_error *e);
int rd_wide_rows(const struct db_reader *rd, enum db_wide_q q, const struct rep_filter *f,
		 db_row_fn fn, void *ctx, struct st_error *e);
int rd_meas_series(const struct db_reader *rd, const char *name, const struct rep_filter *f,
		   bool first_only, const struct db_series_window *w, db_row_fn fn, void *ctx,
		   struct st_error *e);
/* No row when the backend does not say. */
int rd_meas_kinds(const struct db_reader *rd, const char *name, const struct rep_filter *f,
		  bool first_only, bool exact, db_row_fn fn, void *ctx, struct st_error *e);
int rd_capability_rows(const struct db_reader *rd, const struct rep_filter *f, bool first_only,
		       db_row_fn fn, void *ctx, struct st_error *e);
int rd_capability_sums(const struct db_reader *rd, const struct rep_filter *f, bool all_runs,
		       db_row_fn fn, void *ctx, struct st_error *e);
int rd_capability_keys(const struct db_reader *rd, const struct rep_filter *f, db_row_fn fn,
		       void *ctx, struct st_error *e);
int rd_operation_rows(const struct db_reader *rd, enum db_op_q q, const struct rep_filter *f,
		      bool with_errors, db_row_fn fn, void *ctx, struct st_error *e);
int rd_group_sums(const struct db_reader *rd, const char *key, const struct rep_filter *f,
		  bool with_errors, db_row_fn fn, void *ctx, struct st_error *e);

#endif
