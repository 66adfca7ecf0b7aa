/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the log-reading commands (report, trace, export, db) share on the
 * command line: the filters, opening the log for reading, the output file.
 * The queries are db/'s (db/db_report.h), the printing report/'s.
 */
#ifndef ST_STATION_REPORT_CLI_H
#define ST_STATION_REPORT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "db/db_reader.h"

#define REP_DEFAULT_DB "station.db"
/* REP_DEFAULT_DB as the path options start from: rep_log_path() tells it
 * from a --db given (by address) */
extern const char rep_default_log[];

struct rep_opts {
	const char *cmd;	/* "report", for messages */
	const char *db_path;
	const char *format;
	const char *out_path;
	const char *what;	/* export --what */
	struct rep_filter f;
	char db_buf[4096];	/* the log path read from station.yaml (-c) */
	const char *config;	/* --config given, else NULL */
	/* --central URL (or --db postgresql://...): the central store, not a log */
	const char *central, *passfile;
	/* a command's own options: 1 taken, 0 not its, EXIT_USAGE */
	int (*extra)(void *ctx, int c, const char *arg);
	void *extra_ctx;
};

/* The log path station.yaml names (its 'log'), into buf. EXIT_* on error. */
int rep_db_from_config(const char *config, char *buf, size_t cap);
/* The log to open: given, or when given is rep_default_log itself (no
 * --db, no --config) the log ./station.yaml names when there is one. */
const char *rep_log_path(const char *given, char *buf, size_t cap);

enum { REP_OPT_DB = 300, REP_OPT_CONFIG, REP_OPT_SINCE, REP_OPT_UNTIL, REP_OPT_FIXTURE, REP_OPT_SEQUENCE,
       REP_OPT_OUTCOME, REP_OPT_SERIAL, REP_OPT_OPERATOR, REP_OPT_WORK_ORDER, REP_OPT_PART_NUMBER,
       REP_OPT_REVISION, REP_OPT_STATION, REP_OPT_CENTRAL, REP_OPT_PASSFILE };

#define REP_LONGOPTS_DB { "db", required_argument, NULL, REP_OPT_DB }, \
	{ "config", required_argument, NULL, REP_OPT_CONFIG }
/* the reading commands': the central store instead of a log */
#define REP_LONGOPTS_CENTRAL { "central", required_argument, NULL, REP_OPT_CENTRAL }, \
	{ "passfile", required_argument, NULL, REP_OPT_PASSFILE }
#define REP_HELP_CENTRAL \
	"      --central URL      the central PostgreSQL store (docs/central.md)\n" \
	"                         instead of a log: postgresql://HOST/DB, a login\n" \
	"                         in station_reader, never a password in the URL;\n" \
	"                         the same answers as the same runs in a log\n" \
	"                         (--db postgresql://... says the same)\n" \
	"      --passfile FILE    --central: the libpq passfile (else PGPASSFILE)\n"
#define REP_LONGOPTS_FILTER \
	{ "since", required_argument, NULL, REP_OPT_SINCE }, \
	{ "until", required_argument, NULL, REP_OPT_UNTIL }, \
	{ "fixture", required_argument, NULL, REP_OPT_FIXTURE }, \
	{ "sequence", required_argument, NULL, REP_OPT_SEQUENCE }, \
	{ "outcome", required_argument, NULL, REP_OPT_OUTCOME }, \
	{ "serial", required_argument, NULL, REP_OPT_SERIAL }, \
	{ "operator", required_argument, NULL, REP_OPT_OPERATOR }, \
	{ "work-order", required_argument, NULL, REP_OPT_WORK_ORDER }, \
	{ "part-number", required_argument, NULL, REP_OPT_PART_NUMBER }, \
	{ "revision", required_argument, NULL, REP_OPT_REVISION }, \
	{ "station", required_argument, NULL, REP_OPT_STATION }
#define REP_HELP_FILTER \
	"      --since T          runs started at or after T (YYYY-MM-DD,\n" \
	"                         YYYY-MM-DDTHH:MM[:SS][Z] with T or a space, UTC,\n" \
	"                         or @UNIXSECONDS; 1970 to 9999)\n" \
	"      --until T          runs started before T (a bare date: up to its end)\n" \
	"      --fixture F        one fixture\n" \
	"      --sequence S       one sequence: NAME or NAME@VERSION\n" \
	"      --outcome O        pass, fail, error, skipped, aborted or running\n" \
	"      --serial S         one unit\n" \
	"      --operator NAME, --work-order WO, --part-number PN, --revision REV\n" \
	"                         the runs recorded with it (station serve, --var)\n" \
	"      --station S        one station's runs (a central store, or a shared log)\n"
#define REP_HELP_DB \
	"      --db FILE          the log (default: ./station.yaml's, else ./" REP_DEFAULT_DB ")\n" \
	"      --config FILE      use the log named by this station.yaml\n"

#define REP_LONGOPTS_OUT \
	{ "format", required_argument, NULL, 'f' }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "help", no_argument, NULL, 'h' }

/* The body of a log command: print what rd answers to out; 0, or an
 * st_err with e set. */
typedef int (*rep_body_fn)(FILE *out, const struct db_reader *rd, const struct rep_opts *o,
			   void *ctx, struct st_error *e);
/* Open the store (the log read-only, or the central store with --central)
 * and the output, run body, close both.  Its
 * error is printed and becomes the exit status: ST_ERR_NOTFOUND and
 * ST_ERR_FAIL (no such unit, nothing to print) 1, ST_ERR_ARG 2, any other
 * 4 (the log or the output failed). */
int rep_run(const struct rep_opts *o, rep_body_fn body, void *ctx);

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
/* Parse a time for --since/--until into unix microseconds: 0, -1 not a
 * time the help describes, -2 out of range (before 1970, after 9999). */
#define REP_TIME_MAX 253402300799LL	/* 9999-12-31T23:59:59Z */
int rep_parse_time(const char *s, bool until, int64_t *us);

/* Open the log for reading (never created, never migrated); on failure
 * prints why and returns the exit status. */
int rep_open(const struct rep_opts *o, struct db **db);
/* stdout, or the -o file; NULL after printing why. */
FILE *rep_out_open(const struct rep_opts *o);
/* Close the -o file; EXIT_STATION when the write failed. */
int rep_out_close(const struct rep_opts *o, FILE *f);

#endif
