/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report's numbers, gathered once from the log (report_data.c) and
 * printed by one writer per format (report_text.c, report_json.c,
 * report_html.c).
 */
#ifndef ST_STATION_REPORT_MODEL_H
#define ST_STATION_REPORT_MODEL_H

#include "report_core.h"

#define REP_BINS 20

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
	int64_t bins[REP_BINS];
};

struct report {
	const char *db_path;
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

/* Fill r from the log; 0 or EXIT_STATION after printing why. */
int report_build(sqlite3 *h, const struct rep_filter *f, struct report *r);
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
