/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local side of forwarding to the central store (central/): which ended
 * runs are still to send, every row of one run table by table, and the
 * per-run mark (runs.forwarded_us, schema 5) once the central store has
 * committed it.  A run is queued from the moment it ends until marked; a
 * station killed between the central commit and the mark sends it again,
 * which the central store ignores (its inserts are keyed on the ids).
 */
#ifndef ST_DB_FORWARD_H
#define ST_DB_FORWARD_H

#include <stdint.h>

#include "common/err.h"
#include "db/db.h"
#include "db/db_report.h"

/* Up to max run ids still to forward, oldest end first (ties by id).
 * *n: how many were written to ids; *queued (may be NULL): how many wait
 * in all. */
int db_fwd_queue(struct db *db, char (*ids)[DB_ID_LEN], int max, int *n, int64_t *queued,
		 struct st_error *e);

/* Every row of run_id, the run first, then table after table (as
 * db_fwd_tables lists them), each table's rows in id order; fn gets the
 * table's name and the row (a columns_only call first, per table).  Read
 * in one read transaction: a consistent picture of the run.  *stamp (may
 * be NULL): what of the run may still change after it ended (its CMS
 * registrations that left 'queued'), for db_fwd_mark(). */
typedef int (*db_fwd_fn)(void *ctx, const char *table, const struct db_row *row);
int db_fwd_rows(struct db *db, const char *run_id, db_fwd_fn fn, void *ctx, int64_t *stamp,
		struct st_error *e);
/* The station name of run run_id, to free (NULL: no such run). */
int db_fwd_station(struct db *db, const char *run_id, char **out, struct st_error *e);
/* The tables db_fwd_rows() reads, in its order, NULL-terminated. */
extern const char *const db_fwd_tables[];

/* Mark run_id forwarded now (a run not yet ended is refused: ST_ERR_ARG),
 * unless it changed since db_fwd_rows() gave stamp (a CMS registration
 * marked by `station cms sync` meanwhile): then it stays queued, to be sent
 * again with its new state, and the return is 1.  stamp < 0: mark anyway.
 * A registration marked after its run was forwarded queues the run again
 * (db_cms_mark), so the central store hears its final state. */
int db_fwd_mark(struct db *db, const char *run_id, int64_t stamp, struct st_error *e);

#endif
