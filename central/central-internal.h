/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the central part only: the connection and the libpq helpers
 * shared by pg.c, schema.c, send.c and report.c.
 */
#ifndef ST_CENTRAL_INT_H
#define ST_CENTRAL_INT_H

#include <libpq-fe.h>

#include "central/central.h"

struct central {
	PGconn *pg;
	char where[192];	/* host/db, for messages */
	bool prepared;		/* the insert statements of send.c */
	struct db_reader rd;	/* central_reader() */
};

/* A failed call: libpq's message (one line) with what we were doing and
 * where; returns ST_ERR_CLOSED when the connection is gone, else ST_ERR_DB. */
int cpi_fail(struct central *c, struct st_error *e, const char *what);
/* cpi_fail for a refused statement, with what to do when the login lacks a
 * right (SQLSTATE 42501) or the schema is missing (42P01, 42883). */
int cpi_fail_res(struct central *c, const PGresult *r, struct st_error *e, const char *what);
/* Run constant SQL (no parameters); ST_OK when it succeeded. */
int cpi_exec(struct central *c, const char *sql, const char *what, struct st_error *e);
/* PGRES_COMMAND_OK / PGRES_TUPLES_OK? (clears r on failure; e set) */
int cpi_ok(struct central *c, PGresult *r, const char *what, struct st_error *e);
void cpi_rollback(struct central *c);

/* The central tables and their columns, in the order db_fwd_rows() gives
 * them (schema.c). */
struct cpi_table {
	const char *name;
	const char *columns;	/* "a, b, c" */
	int ncols;
	const char *conflict;	/* after ON CONFLICT; NULL: DO NOTHING */
};
extern const struct cpi_table cpi_tables[];
/* Shared by report.c and report_sum.c (report_rows.c): sql with @W@
 * replaced by terms (values v[0..n-1] as $1..$n) and @D@ by day; a
 * result's values; the yield rows (day, runs, units, passed, first units,
 * first passed) and the Pareto rows (step, count) into r (q cleared). */
PGresult *cpi_query(struct central *c, const char *sql, const char *terms, int n,
		    const char *const *v, const char *day);
int64_t cpi_i64(PGresult *r, int row, int col);
double cpi_dbl(PGresult *r, int row, int col);
char *cpi_dup(PGresult *r, int row, int col);
/* A measurement's group from columns 0..5 (sequence, step, name, unit,
 * low, high) of row i; the rest of m zeroed. */
void cpi_meas_key(struct rep_meas *m, PGresult *q, int i);
int cpi_yield_rows(struct central *c, PGresult *q, struct report *r, bool by_day,
		   struct st_error *e);
int cpi_pareto_rows(struct central *c, PGresult *q, struct report *r, struct st_error *e);

/* The store's schema version (0: none). */
int central_schema_version(struct central *c, int *v, struct st_error *e);
/* Version 4's statements: the summaries (schema_sum.c). */
extern const char *const cpi_v4[];
/* Version 5's: summaries of concurrent stations, several runs a call (schema_v5.c). */
extern const char *const cpi_v5[];
extern const char *const cpi_v6[];
/* Version 7's: capability cells, the rebuild under the summaries' lock (schema_v7.c). */
extern const char *const cpi_v7[];

/* station report --central from the summaries (report_sum.c): can they
 * answer f (whole days, fixture, station, sequence), and the yields (not
 * with r->with_errors: the cells judge units by passes and failures), the
 * Pareto and the measurements (with histograms) into r. */
bool cps_usable(const struct rep_filter *f);
int cps_build(struct central *c, const struct rep_filter *f, struct report *r,
	      struct st_error *e);
const struct cpi_table *cpi_table_find(const char *name);

#endif
