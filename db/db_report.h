/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the log: every query the reports, trace and export run, behind
 * one interface.  The numbers of station report are gathered once
 * (db_report.c on the rows, db_report_sum.c on the summaries) and printed
 * by one writer per format in report/; trace and export rows come out as
 * typed rows (struct db_row) for report/ to print.  Every filter reaches
 * SQL as a bound parameter.  Errors are returned (st_err) with a message.
 */
#ifndef ST_DB_REPORT_H
#define ST_DB_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "db/db.h"

/* Which runs: every field NULL / false means all. */
struct rep_filter {
	bool has_since, has_until;
	int64_t since_us, until_us;	/* [since, until) */
	const char *fixture;
	const char *seq_name, *seq_version;	/* --sequence NAME[@VERSION] */
	const char *outcome;
	const char *serial;
	const char *operator_name, *work_order, *part_number, *revision;
	const char *station;	/* --station: one station's runs (the rows answer) */
	char seq_buf[256];
};

/* A window's ends off the hour: into out the filter f over its minutes
 * before the first whole hour and after the last (or over all of it when
 * no hour of it is whole), into whole (unless NULL) f over its whole hours.
 * Returns how many of out it set: 0, 1 or 2 (db/db_report_edge.c). */
int rep_filter_minutes(const struct rep_filter *f, struct rep_filter out[2],
		       struct rep_filter *whole);
/* The orders the cells give a report's parts, for what is added to them
 * from rows (db_report_edge.c, and the central store's edges): days by
 * date, failures by count then step, measurements by sequence, step, name,
 * low, high, unit (NULL first); and r's measurement of a summary key. */
struct report;
struct rep_meas;
int rep_day_cmp(const void *a, const void *b);
int rep_fail_cmp(const void *a, const void *b);
int rep_meas_cmp(const void *a, const void *b);
struct rep_meas *rep_meas_by_key(struct report *r, int64_t key);

/* The outcomes a run can have in the log, NULL-terminated. */
extern const char *const db_outcomes[];

/* --- typed rows ---------------------------------------------------------- */
enum db_type { DB_NULL, DB_INT, DB_REAL, DB_TEXT };

struct db_value {
	enum db_type type;
	int64_t i;
	double d;
	const char *s;		/* DB_TEXT: valid until the callback returns */
	int len;		/* DB_TEXT: its bytes (more than strlen(s): a NUL inside) */
};

#define DB_ROW_MAX_COLS 32

struct db_row {
	bool columns_only;	/* the first call of a query: names, no values */
	int n;
	const char *name[DB_ROW_MAX_COLS];
	struct db_value v[DB_ROW_MAX_COLS];
};

/* Called once with columns_only (names only, even for no rows), then once
 * per row; a non-zero return stops the query and is returned. */
typedef int (*db_row_fn)(void *ctx, const struct db_row *row);

/* station export: "runs", "steps" or "measurements" matching f, oldest run
 * first.  ST_ERR_ARG for an unknown what. */
int db_export_rows(struct db *db, const char *what, const struct rep_filter *f, db_row_fn fn,
		   void *ctx, struct st_error *e);
/* The names db_export_rows() knows, NULL-terminated. */
extern const char *const db_export_whats[];

/* station trace: the history of one unit. */
enum db_trace_q {
	DB_TRACE_UNITS,		/* key: a board, certificate or SE serial -> unit_serial */
	DB_TRACE_RUNS,		/* key: a unit serial -> its runs, oldest first */
	DB_TRACE_RUN,		/* key: a run id -> that run (station serve's API) */
	DB_TRACE_SUSPECTS,	/* key: a unit serial -> its suspect marks */
	DB_TRACE_STEPS,		/* key: a run id -> its steps (column "id" is the step id) */
	DB_TRACE_MEASUREMENTS,	/* key_id: a step id (key: its run's id) -> what is
				 * attached to it */
	DB_TRACE_IMAGES,
	DB_TRACE_IDENTITIES,
	DB_TRACE_CMS,
	DB_TRACE_VALUES,
	DB_TRACE__COUNT
};
/* The key a step's attachment goes under in trace's output ("images"). */
const char *db_trace_name(enum db_trace_q q);
int db_trace_rows(struct db *db, enum db_trace_q q, const char *key, int64_t key_id,
		  db_row_fn fn, void *ctx, struct st_error *e);

/* station export --what wide: one row per run, one column per measurement.
 * DB_WIDE_COLUMNS: the measurements of the runs f selects (step, name,
 * unit), in a stable order; DB_WIDE_VALUES: per run (oldest first) its
 * fields, first_run (1: the unit's first judged run of its operation, as
 * for FPY and capability; 0 for a run without a serial), then one row per
 * measurement (step, name, value, text), a run without any once with NULLs. */
enum db_wide_q { DB_WIDE_COLUMNS, DB_WIDE_VALUES };
int db_wide_rows(struct db *db, enum db_wide_q q, const struct rep_filter *f, db_row_fn fn,
		 void *ctx, struct st_error *e);

/* station report --spc NAME: the numeric values of measurement name in the
 * runs f selects, fixture by fixture, each in time order: columns fixture,
 * time (ISO), started_us, unit_serial, run_id, value, unit (a store may add
 * mid and sequence_name, NULL for none).  first_only: from
 * each unit's first judged run of its sequence only (a retest's values are
 * not the process; an error run measured the station). */
struct db_series_window;
int db_meas_series(struct db *db, const char *name, const struct rep_filter *f,
		   bool first_only, const struct db_series_window *w, db_row_fn fn, void *ctx,
		   struct st_error *e);
/* The sequences and units of name's values in the runs f selects (as
 * db_meas_series() selects them): columns sequence_name (NULL for none),
 * sequence_version, unit, n; unless exact, nothing when the log's summaries
 * hold the name in one sequence and unit only. */
int db_meas_kinds(struct db *db, const char *name, const struct rep_filter *f, bool first_only,
		  bool exact, db_row_fn fn, void *ctx, struct st_error *e);
/* What report --spc keeps of each fixture's series: its first head values
 * and its last tail (tail 0: every value).  A store may give more (report/
 * spc.c bounds what it keeps) but never fewer, each fixture's in time
 * order; the log gives the two ends only, by two indexed reads a fixture
 * (runs_fixture_started), so a chart of a million runs reads a thousand. */
struct db_series_window {
	int head, tail;
};

/* station report --capability: the numeric values of every measurement in
 * the runs f selects, columns sequence_name, sequence_version, step, name,
 * unit, low, high, fixture, started_us, value; ordered by those columns up
 * to high (one capability group each: a limit change starts a new group),
 * then fixture and time.  first_only: from each unit's first judged run
 * (pass or fail) of its sequence (a retest is not the process, an error run
 * measured the fixture; a unit's first run of "final" counts although it
 * ran "ict" before); else every ended run. */
int db_capability_rows(struct db *db, const struct rep_filter *f, bool first_only, db_row_fn fn,
		       void *ctx, struct st_error *e);
/* The same first runs' values as capability cells (schema 11; db_reader.h's
 * capability_sums), when f is no more than whole hours, fixture and
 * sequence[@version], a line value or an outcome; with all_runs every
 * ended run's (schema 16), when f is no more than whole hours, fixture and
 * sequence[@version]; else ST_ERR_NOTSUP. */
int db_capability_sums(struct db *db, const struct rep_filter *f, bool all_runs, db_row_fn fn,
		       void *ctx, struct st_error *e);
/* Tests only: called between reading the keys and reading their cells
 * (a writer's commit there must be in both or in neither). */
extern void (*db_capsum_between)(void *ctx);
extern void *db_capsum_between_ctx;

/* station report --operations, per operation (sequence name) over the runs
 * f selects (docs/quality.md).  DB_OP_TOTALS: columns sequence_name, runs,
 * errors, aborted, skipped, unidentified (runs without a serial), units,
 * passed (identified units judged, and those with a passing run),
 * first_units, first_passed (units whose first judged run of the operation
 * is selected, and passed).  DB_OP_RETESTS: sequence_name, runs, units: how
 * many units had that many judged runs.  Judged: pass or fail; with_errors
 * also error and aborted (then counted as failures). */
enum db_op_q { DB_OP_TOTALS, DB_OP_RETESTS, DB_OP_RUNS };
int db_operation_rows(struct db *db, enum db_op_q q, const struct rep_filter *f,
		      bool with_errors, db_row_fn fn, void *ctx, struct st_error *e);
/* DB_OP_RUNS: every ended run f selects, oldest first: started_us, fixture,
 * station, operator, unit_serial, sequence_name, outcome, judged (1: it
 * judges its unit), first (1: the first judged run of its unit's
 * operation), work_order, for report --group-by to group. */

/* --- station report's numbers -------------------------------------------- */

/* The histogram shows the DB_HIST_IN bins of its frame (between the limits
 * when both are set) and those beyond it up to the furthest value. */
#define REP_BINS DB_HIST_BINS

/* Units are identified units per operation (a unit tested in two sequences
 * counts in each); first runs: a unit's first judged run of the operation. */
struct rep_counts {
	int64_t runs, units, passed;		/* yield: units that passed / units */
	int64_t first_units, first_passed;	/* first-pass yield: first runs */
};

struct rep_day {
	char day[11];
	struct rep_counts c;
	/* with struct report's days_unjudged: the day's error, aborted and
	 * unidentified runs (--group-by day) */
	int64_t errors, aborted, unidentified;
};

struct rep_fail {
	char *step;
	int64_t count;
};

/* A failure mode: a measurement beyond one of its limits. */
struct rep_mode {
	const char *sequence, *step, *name;	/* the measurement's (owned by meas) */
	bool high;				/* beyond USL, else below LSL */
	int64_t count;
};

/* The tails beyond the frame (docs/database.md, Histograms): the values of
 * the frame's outermost bin on one side, in bins going outward from that
 * bin's inner edge: bin j < REP_TAIL_SAME is the frame's width wide (bin 0
 * is the outermost bin's own range), beyond that each bin is twice as wide
 * as the one before (rep_tail_edge), so a contact fault a million widths
 * out takes some 20 bins, not a million, and the near tail keeps its
 * shape.  known: counted from the values (else the outermost bin is shown
 * open-ended, as the summaries alone can give it). */
#define REP_TAIL_SAME 40
#define REP_TAIL_MAX 100
struct rep_tail {
	bool known;
	int n;			/* bins shown: up to the furthest value */
	int64_t count[REP_TAIL_MAX];
};

struct rep_meas {
	char *sequence, *step, *name, *unit;	/* unit may be NULL */
	bool has_low, has_high, has_sigma, has_pp, has_ppk;
	double low, high;
	int64_t n, out_low, out_high;		/* values beyond each limit */
	double mean, sigma, min, max, pp, ppk;	/* sigma: overall (sample) */
	double lo, width;			/* histogram: bin i = [lo + i w, lo + (i+1) w) */
	int nbins;				/* bins shown, from lo */
	/* the first / last bin shown is the frame's outermost: it holds every
	 * value beyond it too (down to min / up to max), not one bin's width */
	bool open_low, open_high;
	int64_t bins[REP_BINS];
	struct rep_tail tail[2];		/* [0] below the bins, [1] above */
	/* while building: the frame, all bins, the summary key */
	struct db_hist_frame fr;
	int64_t all[REP_BINS];
	int64_t key;
	double ref, s1, s2;
};

/* The queries, in the order report_build() runs them (bench/ times each). */
enum rep_query { REP_Q_TOTAL, REP_Q_DAYS, REP_Q_PARETO, REP_Q_STATS, REP_Q_HIST,
		 REP_Q_INSECURE, REP_Q_UNJUDGED, REP_Q__COUNT };

struct report {
	const char *db_path;
	bool exact;		/* in: read the rows, never the summaries */
	/* in (--with-errors): error and aborted runs judge their units, as
	 * failures (the summaries: the cells, corrected by those runs) */
	bool with_errors;
	bool summary;		/* out: the summaries answered */
	const struct rep_filter *f;
	struct rep_counts total;
	struct rep_day *days;
	int ndays;
	struct rep_fail *fails;
	int nfails;
	int64_t fail_total;
	struct rep_meas *meas;
	int nmeas;
	/* CMS calls made with cms.insecure (no certificate or host check):
	 * shown, so nobody takes such runs for verified ones */
	int64_t cms_insecure;
	int64_t suspects;	/* suspect marks (cloned identities) left by runs in range */
	/* runs that judge no board: the station's errors, aborted runs, and
	 * runs without a unit serial (all outcomes), shown apart */
	int64_t errors, aborted, unidentified;
	char *stations;		/* the stations that wrote to the log, ", "-separated */
	/* Pareto by failure mode: values beyond each limit, summed over the
	 * limit groups of one measurement, most first */
	struct rep_mode *modes;
	int nmodes;
	int64_t mode_total;
	/* in, for tests: called after each query of report_build() (inside
	 * its read transaction), e.g. to write a run from another connection */
	void (*between)(void *ctx, enum rep_query q);
	/* in: the plant's time zone (station.yaml plant: timezone; NULL or ""
	 * none), which the report's own times (UTC) are not in: said so */
	const char *plant_tz;
	/* out (rep_plant_days(), or the summaries given plant_periods): days[]
	 * are the plant's days in this zone, counted as --group-by day counts;
	 * NULL: UTC days, as the log's */
	const char *days_tz;
	/* in: plant_tz's UTC offsets as rep_tz_periods() gives them, whole
	 * hours: the summaries' hour cells then answer the plant's days
	 * (days_tz set) when the periods cover them; the rows, and a store
	 * that knows nothing of it, leave days_tz NULL */
	const char *plant_periods;
	/* in: only the days (--group-by day from the summaries); out: the
	 * days' unjudged runs are counted too (the summaries with the plant's
	 * days do) */
	bool days_only, days_unjudged;
	void *between_ctx;
};

/* Fill r from the log (0, or ST_ERR_DB / ST_ERR_NOMEM with e set).  The
 * summaries answer unless r->exact, or a filter needs the rows (--serial, a
 * --since/--until off the hour); they know the hour, fixture, sequence,
 * outcome and (schema 12) the line: --station, --operator, --work-order,
 * --part-number, --revision. */
int report_build(struct db *db, const struct rep_filter *f, struct report *r,
		 struct st_error *e);
/* One query of report_build() (r->f set, the earlier ones done). */
int report_query(struct db *db, struct report *r, enum rep_query q, struct st_error *e);
bool report_can_summarise(const struct rep_filter *f);
/* A filter on the line's dimensions the log's hour cells know but the
 * capability cells and the central store's cells do not: --operator,
 * --work-order, --part-number, --revision (those read the rows). */
bool report_filter_line(const struct rep_filter *f);
void report_free(struct report *r);
/* Suspect marks (docs/identity.md) left by runs f's time range and fixture
 * select (db_identity.c); 0 on a log older than the table. */
int db_suspects_count(struct db *db, const struct rep_filter *f, int64_t *n,
		      struct st_error *e);

/* Capability indices (docs/quality.md): rep_pk() is min(USL - mean, mean -
 * LSL) / (3 sigma), one-sided with one limit; rep_p() is (USL - LSL) /
 * (6 sigma), both limits needed.  False without the limits or a sigma > 0.
 * With the overall (sample) sigma they are Ppk and Pp; with the within
 * sigma (MR-bar / d2) Cpk and Cp. */
bool rep_pk(double mean, double sigma, bool has_low, double low, bool has_high, double high,
	    double *k);
bool rep_p(double sigma, bool has_low, double low, bool has_high, double high, double *p);
/* A sigma at the level of rounding: at most REP_SIGMA_REL times scale (the
 * largest magnitude of the values) is no spread, 0.  Equal values whose
 * mean is not exact in binary (0.1 repeated) leave a sigma of a few ulps
 * from the mean's rounding, which would give a Ppk of -1e14. */
#define REP_SIGMA_REL (64 * 2.220446049250313e-16)
double rep_sigma_clean(double sigma, double scale);
/* Mean, sigma, Pp and Ppk of a measurement from its sums about ref
 * (m->n, ref, s1, s2), as the summaries keep them. */
void rep_meas_moments(struct rep_meas *m);
/* Pp and Ppk of a measurement of station report (its overall sigma); equal
 * values (min == max) have their value as mean and sigma 0, a sigma at the
 * level of rounding is 0 (rep_sigma_clean). */
void rep_meas_pp(struct rep_meas *m);
/* One value into m's histogram (m->fr set): its frame bin, its tail bin,
 * the counts beyond the limits. */
void rep_hist_add(struct rep_meas *m, double v);
/* Which tail bin of frame f holds v: -1 when v is in no outermost bin, else
 * the bin, *side 0 (below) or 1 (above). */
int rep_tail_bin(const struct db_hist_frame *f, double v, int *side);
/* Distance in frame widths of tail bin j's inner edge from the tail's
 * start (j = REP_TAIL_MAX: its outer end). */
double rep_tail_edge(int j);
/* Tail bin j of side's range [*lo, *hi) in values. */
void rep_tail_range(const struct rep_meas *m, int side, int j, double *lo, double *hi);
/* After every value went into m->all: the bins shown (the frame's inner
 * ones and those beyond it that hold values), and the capability indices. */
void rep_hist_finish(struct rep_meas *m);
/* The Pareto by failure mode (r->modes) from r->meas: 0, -1 out of memory. */
int rep_modes(struct report *r);
double rep_ratio(int64_t num, int64_t den);

#endif
