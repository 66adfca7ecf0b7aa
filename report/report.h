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
#include "db/db_reader.h"
#include "se/se.h"

/* station report, one writer per format; 0, or -1 when f failed. */
int report_text(FILE *f, const struct report *r);
int report_csv(FILE *f, const struct report *r);
int report_json(FILE *f, const struct report *r);
int report_html(FILE *f, const struct report *r);

/* station report --spc NAME: I-MR charts of one measurement per fixture,
 * with the Nelson rules flagged (report/spc.c says how), as "text", "json"
 * or "html" (the charts as inline SVG, flagged points red). */
struct spc_opts {
	const char *name;	/* the measurement */
	int baseline;		/* control limits from the first N points of a fixture */
	int last;		/* after them, the latest N points (0: every point) */
	bool last_given;	/* --last on the command line */
	bool all_runs;		/* retests too (default: each unit's first run) */
	const char *plant_tz;	/* html: the plant's zone, said not to be the times' */
};
#define SPC_BASELINE_DEFAULT 20
#define SPC_LAST_DEFAULT 500
int report_spc(FILE *out, const struct db_reader *rd, const struct rep_filter *f, const struct spc_opts *o,
	       const char *format, struct st_error *e);

/* station report --capability: Cp/Cpk (within sigma, MR-bar / d2) and
 * Pp/Ppk (overall sigma) per measurement group (report/capability.c says
 * how), as "text", "json" or "csv"; all_runs: retests too.  From the
 * store's capability cells when it keeps them for f (report/capsum.c), else
 * (and with from_rows) from every value: the same figures. */
int report_capability(FILE *out, const struct db_reader *rd, const struct rep_filter *f,
		      bool all_runs, bool subgroups, bool from_rows, const char *format,
		      struct st_error *e);
/* The figures of one group: x[0..n-1] its values, fixture by fixture in
 * time order, brk[i] set where a fixture's values start (no moving range
 * to the value before). */
struct rep_cap {
	int64_t n, n_mr;	/* values, moving ranges */
	double mean, mr_bar, sigma_within, sigma_overall;
	double scale;		/* the values' largest magnitude (rep_sigma_clean) */
	bool has_within, has_overall;	/* a moving range; two values */
	/* rep_capability_pooled(): sigma within from rational subgroups */
	bool pooled;
	int64_t n_sub, df;	/* subgroups, degrees of freedom sum(n_i - 1) */
	bool has_cp, has_cpk, has_pp, has_ppk;
	double cp, cpk, pp, ppk;
};
void rep_capability(const double *x, const bool *brk, int64_t n, bool has_low, double low,
		    bool has_high, double high, struct rep_cap *c);
/* The same with sigma within from rational subgroups (sub[i] set where a
 * subgroup starts): the pooled standard deviation sqrt(sum (x - subgroup
 * mean)^2 / sum (n_i - 1)) divided by c4(sum (n_i - 1) + 1). */
void rep_capability_pooled(const double *x, const bool *sub, int64_t n, bool has_low,
			   double low, bool has_high, double high, struct rep_cap *c);

/* station report --operations: per operation (sequence) yield, first-pass
 * yield, error/aborted/unidentified runs and runs per unit, and the rolled
 * throughput yield (report/operations.c), as "text", "json" or "csv". */
int report_operations(FILE *out, const struct db_reader *rd, const struct rep_filter *f, bool with_errors,
		      const char *format, struct st_error *e);

/* The plant's clock (station.yaml plant:): its time zone (tz database
 * name; empty: UTC) and shifts, each from its start (minutes after local
 * midnight) to the next one's, the last running past midnight into the
 * first; starts ascending. */
#define REP_MAX_SHIFTS 8
struct rep_shift {
	char name[32];
	int start_min;
};
struct rep_plant {
	char timezone[64];
	struct rep_shift shift[REP_MAX_SHIFTS];
	int n_shifts;
};
/* r's days (the yield by day of report_html) made the plant's: the days of
 * zone tz, each counted as --group-by day counts it (units once per
 * operation, unidentified runs no unit), from the runs f selects;
 * r->days_tz = tz. */
int rep_plant_days(const struct db_reader *rd, const struct rep_filter *f, const char *tz,
		   bool with_errors, struct report *r, struct st_error *e);
/* The UTC offsets of zone tz over f's window (1990 to ten years from now
 * without one), for struct report's plant_periods: a JSON array of [h0,
 * h1, off], UTC hours [h0, h1) at off whole hours from UTC, contiguous.
 * NULL (out of memory, or) when an offset there is no whole number of
 * hours (India's +05:30): a UTC hour then spans two of the plant's days. */
char *rep_tz_periods(const char *tz, const struct rep_filter *f);
/* Is name a zone of the tz database this machine has ("UTC", "Europe/Berlin")? */
bool rep_tz_valid(const char *name);

/* station report --group-by KEY: per group (fixture, station, operator, or
 * the plant's day, hour or shift a run started in) the yield, first-pass
 * yield and unjudged runs, as --operations counts them (report/groups.c),
 * "text", "json" or "csv". */
extern const char *const rep_group_keys[];	/* NULL-terminated */
int report_groups(FILE *out, const struct db_reader *rd, const struct rep_filter *f, const char *key,
		  const struct rep_plant *plant, bool with_errors, const char *format,
		  struct st_error *e);

/* station export: the rows of db_export_rows() as "csv" (RFC 4180, a header
 * line) or "jsonl" (one object per row, typed values). */
int report_export(FILE *out, const struct db_reader *rd, const char *what, const struct rep_filter *f,
		  const char *format, struct st_error *e);

/* station export --what wide: one row per run, a column per measurement
 * (report/wide.c), "csv" or "jsonl". */
int report_export_wide(FILE *out, const struct db_reader *rd, const struct rep_filter *f, const char *format,
		       struct st_error *e);

/* station trace: the units that serial names (a board, certificate or SE
 * serial), every run oldest first with steps and attachments, as "text",
 * "json" or "label" (SERIAL<tab>DPP URI of the last passed identity).
 * ST_ERR_NOTFOUND: no such unit (e says so); ST_ERR_FAIL: a unit has no
 * label to print. */
int report_trace(FILE *out, const struct db_reader *rd, const char *serial, const char *format,
		 struct st_error *e);

/* station serve's GET /api/v1/runs/ID: the run with its steps,
 * measurements, images, identity, CMS registrations and values, as JSON
 * (the shape of one run of station trace --format json).  ST_ERR_NOTFOUND:
 * no such run. */
int report_run(FILE *out, const struct db_reader *rd, const char *run_id, struct st_error *e);

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
	int not_tested;		/* units the MES did not allow: no run */
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
/* A unit the MES did not allow (or could not be asked about): no run. */
void rep_event_not_tested(FILE *f, const struct rep_event_ctx *c, const char *serial,
			  const char *reason);
void rep_event_summary(FILE *f, const struct rep_event_ctx *c, const struct rep_event_summary *s);

/* A log time (unix microseconds) as ISO 8601 UTC to the second. */
const char *rep_iso(char buf[32], int64_t us);
/* The number as the outputs print it: "%.15g" (3.3, not 3.2999999999999998). */
const char *rep_num(char buf[32], double v);
/* v in the fewest significant digits, 15 to 17, that read back (strtod) as
 * the same double: station export's numbers, which round-trip. */
const char *rep_num_exact(char buf[32], double v);
/* One CSV cell (RFC 4180 quoting); NULL prints nothing. */
void rep_csv_field(FILE *f, const char *s);

#endif
