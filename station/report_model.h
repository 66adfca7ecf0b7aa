/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report's numbers, gathered once from the log (report_data.c) and
 * printed by one writer per format (report_text.c, report_json.c,
 * report_html.c).
 */
#ifndef ST_STATION_REPORT_MODEL_H
#define ST_STATION_REPORT_MODEL_H

#include "station/report_core.h"

/* The histogram shows the DB_HIST_IN bins of its frame (between the limits
 * when both are set) and those beyond it up to the furthest value. */
#define REP_BINS DB_HIST_BINS

struct rep_counts {
	int64_t runs, units, passed;		/* yield: units that passed / units */
	int64_t first_units, first_passed;	/* first-pass yield: first runs */
};

struct rep_day {
	char day[11];
	struct rep_counts c;
};

struct rep_fail {
	char *step;
	int64_t count;
};

struct rep_meas {
	char *sequence, *step, *name, *unit;	/* unit may be NULL */
	bool has_low, has_high, has_sigma, has_cpk;
	double low, high;
	int64_t n, out_low, out_high;		/* values beyond each limit */
	double mean, sigma, min, max, cpk;
	double lo, width;			/* histogram: bin i = [lo + i w, lo + (i+1) w) */
	int nbins;				/* bins shown, from lo */
	int64_t bins[REP_BINS];
	/* while building: the frame, all bins, the summary key */
	struct db_hist_frame fr;
	int64_t all[REP_BINS];
	int64_t key;
	double ref, s1, s2;
};

/* The queries, in the order report_build() runs them (bench/ times each). */
enum rep_query { REP_Q_TOTAL, REP_Q_DAYS, REP_Q_PARETO, REP_Q_STATS, REP_Q_HIST, REP_Q__COUNT };

struct report {
	const char *db_path;
	bool exact;		/* in: read the rows, never the summaries */
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
};

/* Fill r from the log; 0 or EXIT_STATION after printing why.  The
 * summaries answer unless r->exact, or a filter needs the rows (--outcome,
 * --serial, a --since/--until that is not a UTC midnight). */
int report_build(sqlite3 *h, const struct rep_filter *f, struct report *r);
/* One query of report_build() (r->f set, the earlier ones done). */
int report_query(sqlite3 *h, struct report *r, enum rep_query q);
bool report_can_summarise(const struct rep_filter *f);
/* report_sum.c: the same queries on the summaries. */
int rep_sum_query(sqlite3 *h, struct report *r, enum rep_query q);
/* Shared by both: a row's text copied, the histogram shown from all bins,
 * sigma and Cpk from the sums. */
char *rep_dup_col(sqlite3_stmt *st, int c);
void rep_hist_finish(struct rep_meas *m);
struct rep_meas *rep_meas_add(struct report *r, sqlite3_stmt *st);
void report_free(struct report *r);

/* Process capability: min(USL - mean, mean - LSL) / (3 sigma), one-sided
 * with one limit.  False (no Cpk) without limits or with sigma 0. */
bool rep_cpk(const struct rep_meas *m, double *cpk);
double rep_ratio(int64_t num, int64_t den);

int report_text(FILE *f, const struct report *r);
int report_csv(FILE *f, const struct report *r);
int report_json(FILE *f, const struct report *r);
int report_html(FILE *f, const struct report *r);

#endif
