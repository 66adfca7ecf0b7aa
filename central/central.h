/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The central store: many stations' runs in one PostgreSQL database
 * (docs/central.md).  Each station's SQLite log stays its crash-safe local
 * journal; ended runs are forwarded to PostgreSQL, one transaction per run,
 * idempotent by the rows' ids (INSERT ... ON CONFLICT DO NOTHING), so a
 * resend after a crash changes nothing.  libpq is used here only.
 *
 * Credentials never reach a log: a URL that carries a password is refused
 * (the password goes in a passfile, or PGPASSFILE), and messages name the
 * host and database, never the URL.
 */
#ifndef ST_CENTRAL_CENTRAL_H
#define ST_CENTRAL_CENTRAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "db/db.h"
#include "db/db_reader.h"

struct central;

/* The central store's schema version this build writes (its own versioned
 * migrations, table central_schema; central/schema.c). */
#define CENTRAL_SCHEMA_VERSION 15

struct central_opts {
	const char *url;	/* postgresql://host/db?sslmode=verify-full&... */
	const char *passfile;	/* libpq passfile; NULL: PGPASSFILE or ~/.pgpass */
	int timeout_ms;		/* connect and statement timeout; 0: 10 s */
	const char *config;	/* station.yaml: the URL's relative sslrootcert, sslcert,
				 * sslkey and sslcrl are read from its directory, as
				 * its other paths; NULL: from the working directory */
};

/* Is url usable: a postgresql:// URL (or key=value string) without a
 * password?  NULL when fine, else why not (a constant string). */
const char *central_url_refused(const char *url);

/* Connect.  Errors: ST_ERR_CLOSED (unreachable, refused, authentication; the
 * message is libpq's, with the host and database). */
int central_open(struct central **out, const struct central_opts *o, struct st_error *e);
void central_close(struct central *c);
/* "host/db" for messages (never the password). */
const char *central_where(const struct central *c);

/* Create or upgrade the central schema and the roles station_writer
 * (INSERT only) and station_reader (SELECT): needs the database's owner.
 * *from: the version found (0: none). */
int central_migrate(struct central *c, int *from, struct st_error *e);
/* ST_OK when the schema is the one this build writes (a writer checks it
 * before sending). */
int central_check_schema(struct central *c, struct st_error *e);

/* ST_OK when this login may store runs under station (bound to it in
 * central_stations, schema 10, or the tables' owner); else an error naming
 * the login, the station and the owner's INSERT that binds them. */
int central_check_station(struct central *c, const char *station, struct st_error *e);

/* Send the ended runs ids[0..n-1] (1 <= n <= FWD_BATCH, in that order) and
 * every row attached to them, read from the local log, in one transaction,
 * summaries included: all of them stored, or none.  A run already there is
 * left as it is, but for its CMS registrations, which move from 'queued' to
 * their final state (never back).  stamps[i]: db_fwd_rows()'s for ids[i],
 * for db_fwd_mark(). */
#define FWD_BATCH 16
int central_send_runs(struct central *c, struct db *db, char (*ids)[DB_ID_LEN], int n,
		      int64_t *stamps, struct st_error *e);

/* Send run id as central_send_runs() would, then roll it back: ST_OK when
 * the store would take it now, else why not (station central status). */
int central_try_run(struct central *c, struct db *db, const char *id, struct st_error *e);

/* Drain the local queue: the ended runs not yet forwarded, oldest end
 * first, up to FWD_BATCH runs a transaction (a backlog pays the summaries'
 * fixed cost once per batch), each batch sent then marked, at most max of
 * them (0: all).  Stops at
 * the first failure (order kept).  *sent: how many runs were sent; *left:
 * how many are still queued. */
int central_drain(struct central *c, struct db *db, int max, int *sent, int *left,
		  struct st_error *e);

/* station report --central: the numbers of report_build() (db/db_report.h)
 * from the central store, from its summaries when the filter allows (whole
 * days, station, fixture, sequence; the yields --with-errors from the rows),
 * else from the rows; printed by report/'s writers like a log's. */
int central_report_build(struct central *c, const struct rep_filter *f, struct report *r,
			 struct st_error *e);

/* station report, trace and export --central: the central store as a read
 * backend (db/db_reader.h), valid while c is open; the same columns, rows
 * and order as a log holding the same runs (central/read_*.c). */
const struct db_reader *central_reader(struct central *c);

/* --- the forwarder thread of station run --------------------------------- */
struct central_fwd;
/* Starts a thread that opens its own connection to the log at db_path and
 * drains the queue whenever central_fwd_kick() says a run ended, with
 * backoff (backoff_ms doubling up to 30 s) while PostgreSQL is away.  The
 * line never waits on it. */
int central_fwd_start(struct central_fwd **out, const struct central_opts *o,
		      const char *db_path, int backoff_ms, struct st_error *e);
void central_fwd_kick(struct central_fwd *f);
/* Stop: one last pass of at most one batch of runs, given up after the
 * connect/statement timeout when PostgreSQL does not answer; what is left
 * stays queued for the next start or `station central sync`.  *sent and
 * *left as central_drain's (may be NULL).  held (cap bytes, may be NULL):
 * when the last pass that reached the store was refused a run for what the
 * log holds, the store's refusal (which run, which column, what to do: the
 * run holds every run queued behind it); else "". */
void central_fwd_stop(struct central_fwd *f, int *sent, int *left, char *held, size_t cap);

#endif
