/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the central part only: what the read queries (read_*.c) share,
 * the filter's terms and the rows handed over as struct db_row.
 */
#ifndef ST_CENTRAL_READ_INT_H
#define ST_CENTRAL_READ_INT_H

#include "central/central-internal.h"

/* The runs (alias r) a rep_filter selects: "@W@" in a query becomes the
 * terms of the filters given, their values bound after the query's own
 * parameters ($1 .. $nfixed).  Text sorts and compares in byte order
 * (COLLATE "C") and NULL sorts first, as in SQLite. */
#define CPR_WHERE " @W@ "

/* A log time as the log's views show it, SQLite's strftime('%Y-%m-%dT%H:%M:%fZ',
 * col / 1e6, 'unixepoch') to the same millisecond.  SQLite rounds the
 * Julian day in milliseconds computed in doubles, not the microseconds in
 * integers, so this does that arithmetic in float8: against SQLite 3.40 it
 * matched 20,000 times of 20,000 around half milliseconds, where rounding
 * the integer microseconds missed one in ten (t_central_read checks 4,000). */
#define CPR_ISO(col) \
	"to_char(timestamp 'epoch' + (trunc((" col ") / 1e6::float8 * 1000.0::float8" \
	" + 210866760000000.0::float8 + 0.5::float8) - 210866760000000.0::float8)" \
	" * interval '1 millisecond', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Run sql (CPR_WHERE for f, which may be NULL: no filter) with fixed[0 ..
 * nfixed - 1] as $1 .. (NULL entries bind SQL NULL), every row to fn: its
 * columns first (columns_only), then one call per row, read one row at a
 * time from the server.  Types as SQLite gives them: integers DB_INT
 * (booleans 0 and 1), float8 and numeric DB_REAL, the rest DB_TEXT. */
int cpr_rows(struct central *c, const char *sql, const struct rep_filter *f,
	     const char *const *fixed, int nfixed, db_row_fn fn, void *ctx, struct st_error *e);

/* The read slots (read_sql.c, read_ops.c). */
int cpr_export(void *h, const char *what, const struct rep_filter *f, db_row_fn fn, void *ctx,
	       struct st_error *e);
int cpr_trace(void *h, enum db_trace_q q, const char *key, int64_t key_id, db_row_fn fn,
	      void *ctx, struct st_error *e);
int cpr_wide(void *h, enum db_wide_q q, const struct rep_filter *f, db_row_fn fn, void *ctx,
	     struct st_error *e);
/* w: each fixture's two ends (or every value without one) */
int cpr_series(void *h, const char *name, const struct rep_filter *f, bool first_only,
	       const struct db_series_window *w, db_row_fn fn, void *ctx, struct st_error *e);
/* the sequences and units of the name's values (db_meas_kinds()) */
int cpr_kinds(void *h, const char *name, const struct rep_filter *f, bool first_only,
	      bool exact, db_row_fn fn, void *ctx, struct st_error *e);
int cpr_capability(void *h, const struct rep_filter *f, bool first_only, db_row_fn fn,
		   void *ctx, struct st_error *e);
/* The capability cells combined, one row per key (read_cap.c):
 * ST_ERR_NOTSUP for a filter they do not answer. */
int cpr_capability_keys(void *h, const struct rep_filter *f, db_row_fn fn, void *ctx,
			struct st_error *e);
int cpr_operations(void *h, enum db_op_q q, const struct rep_filter *f, bool with_errors,
		   db_row_fn fn, void *ctx, struct st_error *e);
/* --group-by station, fixture, operator or work-order (version 12; the
 * runs without a value: a NULL key), and --operations' DB_OP_TOTALS, from
 * the cells (read_grp.c): ST_ERR_NOTSUP for a filter they do not answer. */
int cpr_groups(void *h, const char *key, const struct rep_filter *f, bool with_errors,
	       db_row_fn fn, void *ctx, struct st_error *e);
int cpr_operation_sums(struct central *c, const struct rep_filter *f, bool with_errors,
		       db_row_fn fn, void *ctx, struct st_error *e);

#endif
