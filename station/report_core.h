/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What station report, trace and export share: the command-line filters,
 * opening the log for reading, the output file, and turning result rows
 * into CSV or JSON.  Every filter reaches SQL as a bound parameter.
 */
#ifndef ST_STATION_REPORT_CORE_H
#define ST_STATION_REPORT_CORE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <sqlite3.h>

#include "db/db.h"

#define REP_DEFAULT_DB "station.db"

struct rep_filter {
	bool has_since, has_until;
	int64_t since_us, until_us;	/* [since, until) */
	const char *fixture;
	const char *seq_name, *seq_version;	/* --sequence NAME[@VERSION] */
	const char *outcome;
	const char *serial;
	char seq_buf[256];
};

struct rep_opts {
	const char *cmd;	/* "report", for messages */
	const char *db_path;
	const char *format;
	const char *out_path;
	const char *what;	/* export --what */
	struct rep_filter f;
	char db_buf[4096];	/* the log path read from station.yaml (-c) */
};

/* The log path station.yaml names (its 'log'), into buf. EXIT_* on error. */
int rep_db_from_config(const char *config, char *buf, size_t cap);

/* Runs matching the filter; the query binds ?1..?7 with rep_bind_filter(). */
#define REP_WHERE \
	" (?1 IS NULL OR r.started_us >= ?1) AND (?2 IS NULL OR r.started_us < ?2)" \
	" AND (?3 IS NULL OR r.fixture = ?3) AND (?4 IS NULL OR r.sequence_name = ?4)" \
	" AND (?5 IS NULL OR r.sequence_version = ?5) AND (?6 IS NULL OR r.outcome = ?6)" \
	" AND (?7 IS NULL OR r.unit_serial = ?7) "
#define REP_NPARAMS 7

/* Times as the views show them. */
#define REP_ISO(col) "strftime('%Y-%m-%dT%H:%M:%fZ', " col " / 1e6, 'unixepoch')"

enum { REP_OPT_DB = 300, REP_OPT_CONFIG, REP_OPT_SINCE, REP_OPT_UNTIL, REP_OPT_FIXTURE, REP_OPT_SEQUENCE,
       REP_OPT_OUTCOME, REP_OPT_SERIAL };

#define REP_LONGOPTS_DB { "db", required_argument, NULL, REP_OPT_DB }, \
	{ "config", required_argument, NULL, REP_OPT_CONFIG }
#define REP_LONGOPTS_FILTER \
	{ "since", required_argument, NULL, REP_OPT_SINCE }, \
	{ "until", required_argument, NULL, REP_OPT_UNTIL }, \
	{ "fixture", required_argument, NULL, REP_OPT_FIXTURE }, \
	{ "sequence", required_argument, NULL, REP_OPT_SEQUENCE }, \
	{ "outcome", required_argument, NULL, REP_OPT_OUTCOME }, \
	{ "serial", required_argument, NULL, REP_OPT_SERIAL }
#define REP_HELP_FILTER \
	"      --since T          runs started at or after T (YYYY-MM-DD,\n" \
	"                         YYYY-MM-DDTHH:MM[:SS][Z], UTC, or @UNIXSECONDS)\n" \
	"      --until T          runs started before T (a bare date: up to its end)\n" \
	"      --fixture F        one fixture\n" \
	"      --sequence S       one sequence: NAME or NAME@VERSION\n" \
	"      --outcome O        pass, fail, error, skipped, aborted or running\n" \
	"      --serial S         one unit\n"
#define REP_HELP_DB \
	"      --db FILE          the log (default: ./" REP_DEFAULT_DB ")\n" \
	"      --config FILE      use the log named by this station.yaml\n"

void rep_opts_init(struct rep_opts *o, const char *cmd, const char *format);
/* Handle one of the shared options: 1 consumed, 0 not ours, EXIT_USAGE. */
int rep_common_opt(struct rep_opts *o, int c, const char *arg);
/* Parse argv with getopt_long: shared options go to rep_common_opt(), 'h'
 * prints usage; o->what receives -w/--what.  Leaves optind at the first
 * operand and returns 0, -1 after --help, or EXIT_USAGE. */
int rep_getopt(struct rep_opts *o, int argc, char **argv, const char *shortopts,
	       const struct option *lo, void (*usage)(FILE *f));
/* A format among a NULL-terminated list, else EXIT_USAGE with a message. */
int rep_check_format(const struct rep_opts *o, const char *const *allowed);
/* Parse a time for --since/--until into unix microseconds. */
int rep_parse_time(const char *s, bool until, int64_t *us);

/* Open the log for reading (never created, never migrated); on failure
 * prints why and returns the exit status. */
int rep_open(const struct rep_opts *o, struct db **db);
/* stdout, or the -o file; NULL after printing why. */
FILE *rep_out_open(const struct rep_opts *o);
/* Close the -o file; EXIT_STATION when the write failed. */
int rep_out_close(const struct rep_opts *o, FILE *f);

/* Prepare a read query; prints the SQLite message on failure. */
sqlite3_stmt *rep_prepare(sqlite3 *h, const char *sql);
void rep_bind_filter(sqlite3_stmt *st, const struct rep_filter *f);
void rep_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Row output: CSV (RFC 4180) and JSON with typed values. */
void rep_csv_field(FILE *f, const char *s);
void rep_csv_header(FILE *f, sqlite3_stmt *st);
void rep_csv_row(FILE *f, sqlite3_stmt *st);
json_t *rep_row_json(sqlite3_stmt *st);
/* Print a JSON value and a newline; jansson keeps reals short (15 digits). */
void rep_json_print(FILE *f, json_t *j, bool pretty);
/* A log time (unix microseconds) as ISO 8601 UTC to the second. */
const char *rep_iso(char buf[32], int64_t us);
/* The number as the outputs print it: "%.15g" (3.3, not 3.2999999999999998). */
const char *rep_num(char buf[32], double v);

#endif
