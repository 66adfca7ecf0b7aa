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
const struct cpi_table *cpi_table_find(const char *name);

#endif
