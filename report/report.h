/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the station writes for people and for other programs: station
 * report's numbers as text, CSV, JSON or HTML; trace and export rows as
 * text, CSV or JSON; the certificate report of station cert check; and the
 * JSON event stream of station run --json.  The data comes from db/
 * (db/db_report.h) and se/; nothing here decides an exit status: errors
 * are returned (st_err) for the commands in station/ to map.
 */
#ifndef ST_REPORT_REPORT_H
#define ST_REPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "db/db_report.h"
#include "se/se.h"

/* station report, one writer per format; 0, or -1 when f failed. */
int report_text(FILE *f, const struct report *r);
int report_csv(FILE *f, const struct report *r);
int report_json(FILE *f, const struct report *r);
int report_html(FILE *f, const struct report *r);

/* station report --spc NAME: I-MR charts of one measurement per fixture,
 * with the Nelson rules flagged (report/spc.c says how), as "text" or
 * "json". */
struct spc_opts {
	const char *name;	/* the measurement */
	int baseline;		/* control limits from the first N points of a fixture */
	bool all_runs;		/* retests too (default: each unit's first run) */
};
#define SPC_BASELINE_DEFAULT 20
int report_spc(FILE *out, struct db *db, const struct rep_filter *f, const struct spc_opts *o,
	       const char *format, struct st_error *e);

/* station export: the rows of db_export_rows() as "csv" (RFC 4180, a header
 * line) or "jsonl" (one object per row, typed values). */
int report_export(FILE *out, struct db *db, const char *what, const struct rep_filter *f,
		  const char *format, struct st_error *e);

/* station export --what wide: one row per run, a column per measurement
 * (report/wide.c), "csv" or "jsonl". */
int report_export_wide(FILE *out, struct db *db, const struct rep_filter *f, const char *format,
		       struct st_error *e);

/* station trace: the units that serial names (a board, certificate or SE
 * serial), every run oldest first with steps and attachments, as "text",
 * "json" or "label" (SERIAL<tab>DPP URI of the last passed identity).
 * ST_ERR_NOTFOUND: no such unit (e says so); ST_ERR_FAIL: a unit has no
 * label to print. */
int report_trace(FILE *out, struct db *db, const char *serial, const char *format,
		 struct st_error *e);

/* station serve's GET /api/v1/runs/ID: the run with its steps,
 * measurements, images, identity, CMS registrations and values, as JSON
 * (the shape of one run of station trace --format json).  ST_ERR_NOTFOUND:
 * no such run. */
int report_run(FILE *out, struct db *db, const char *run_id, struct st_error *e);

/* station cert check --json: the identity's fields and every check. */
void report_cert_json(FILE *out, const char *file, const struct se_identity *id);

/* station run --json: one JSON object per line, flushed (report/events.c;
 * the schema: docs/operators.md, "The --json events").  Every event has
 * schema, event, time (ISO 8601 UTC), station, fixture, run_id (null
 * outside a run), sequence and sequence_version, from c. */
#define REP_EVENTS_SCHEMA 1
struct rep_event_ctx {
	const char *station, *fixture, *run_id, *sequence, *sequence_version;
};
struct rep_event_step {
	int index;
	const char *step, *outcome, *reason;	/* reason NULL for a pass */
	double seconds;
	const struct db_measurement *meas;
	int n_meas;
	const struct db_identity *identity;	/* NULL: none */
	const struct db_cms *cms;		/* NULL: none */
};
struct rep_event_summary {
	int passed, failed, error, aborted, exit_status;
	const char *log;
};
void rep_event_run_start(FILE *f, const struct rep_event_ctx *c, const char *serial);
void rep_event_step_start(FILE *f, const struct rep_event_ctx *c, int index, const char *step);
void rep_event_step_end(FILE *f, const struct rep_event_ctx *c, const struct rep_event_step *s);
void rep_event_progress(FILE *f, const struct rep_event_ctx *c, uint64_t done, uint64_t total,
			double bytes_per_s);
void rep_event_run_end(FILE *f, const struct rep_event_ctx *c, const char *serial,
		       const char *verdict, double seconds, const char *failed_step,
		       const char *reason);
void rep_event_fixture_fault(FILE *f, const struct rep_event_ctx *c, const char *reason);
void rep_event_summary(FILE *f, const struct rep_event_ctx *c, const struct rep_event_summary *s);

/* A log time (unix microseconds) as ISO 8601 UTC to the second. */
const char *rep_iso(char buf[32], int64_t us);
/* The number as the outputs print it: "%.15g" (3.3, not 3.2999999999999998). */
const char *rep_num(char buf[32], double v);
/* One CSV cell (RFC 4180 quoting); NULL prints nothing. */
void rep_csv_field(FILE *f, const char *s);

#endif
