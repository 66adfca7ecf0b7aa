/* SPDX-License-Identifier: Apache-2.0 */
/* Inside report/: rows and documents as jansson values. */
#ifndef ST_REPORT_INTERNAL_H
#define ST_REPORT_INTERNAL_H

#include <jansson.h>

#include "common/capcell.h"
#include "report/report.h"

/* Text from the log or an argument as a JSON string (NULL: null): valid
 * UTF-8 as it is, other bytes as \xNN, as the log stores them (common/text.h);
 * NULL only when out of memory.  jansson refuses a string that is not UTF-8,
 * so every such string of a JSON output goes in through here, and a key
 * through rep_json_set() (json_object_set_new()'s 0 / -1). */
json_t *rep_json_text(const char *s);
int rep_json_set(json_t *o, const char *key, json_t *v);
/* A typed row as a JSON object (integers, reals, strings, nulls). */
json_t *rep_row_json(const struct db_row *row);
/* The filters in words ("since ... fixture F1", "none"), into buf. */
const char *rep_filters_str(const struct rep_filter *flt, char *buf, size_t cap);
/* "filters: ..." and a newline, for a terminal (escaped). */
void rep_filters_line(FILE *f, const struct rep_filter *flt);
/* A measurement group's key, its limits in it: a limit changed without a
 * new sequence version is another group ("factory/rails/vdd [3.1..3.5]", "-" for none). */
const char *rep_meas_key(const struct rep_meas *m, char *buf, size_t cap);
/* One line of a long-form CSV (section,key,metric,value); NAN: no value. */
void rep_csv_metric(FILE *f, const char *section, const char *key, const char *metric, double v);
/* Text from the log in HTML: shown (common/text.h), then escaped. */
void rep_html_esc(FILE *f, const char *text);
/* Now, ISO 8601 UTC: when a report was made. */
const char *rep_now_iso(char buf[32]);
/* A name as text shows it (common/text.h), the empty name as "" (a fixture
 * named "" is `fixture "": 3 points`, not `fixture : 3 points`); NULL: the
 * empty string.  A heap copy, NULL when out of memory. */
char *rep_name_dup(const char *raw);
/* A text table's name column (report/cols.c): the width that holds raw as
 * shown and every cell before it (start with the header's width), and raw
 * shown and padded to width; in terminal columns, not bytes. */
int rep_col_width(int width, const char *raw);
void rep_col(FILE *f, const char *raw, int width);
/* HTML: the zone of the report's times (UTC), and that the plant's zone
 * plant_tz (NULL / "": none) is --group-by's, not theirs. */
void rep_html_zone(FILE *f, const char *plant_tz);
/* Local time in zone tz for this process (TZ), and back to what it was
 * (rep_tz_leave() takes what rep_tz_enter() gave). */
char *rep_tz_enter(const char *tz);
void rep_tz_leave(char *saved);
/* Print a JSON value and a newline; jansson keeps reals short (15 digits). */
void rep_json_print(FILE *f, json_t *j, bool pretty);
/* j on one line as rep_json_print(f, j, false), each real in the fewest
 * digits (15, 16 or 17) that read back as the same double: station
 * export's JSONL, which a reader must get back exactly. */
void rep_json_print_exact(FILE *f, json_t *j);

/* The histogram's bins as report_text/report_html draw them, lowest first:
 * the far tail below, the frame's bins, the tail above (docs/database.md,
 * Histograms).  Two or more empty tail bins in a row are one gap; an open
 * bin (tail unknown) holds everything beyond it, lo = min or hi = max. */
struct rep_shown {
	double lo, hi;
	int64_t n;
	bool tail, gap, open;
	bool wide;	/* a tail bin wider than the frame's bins */
	bool out;	/* wholly beyond a limit */
};
#define REP_SHOWN_MAX (REP_BINS + 2 * REP_TAIL_MAX)
int rep_hist_shown(const struct rep_meas *m, struct rep_shown out[REP_SHOWN_MAX]);

/* report --capability: a group's capability cells combined (report/capsum.c),
 * cells added fixture by fixture (station, fixture), each fixture's in hour
 * order. */
struct rep_capsum {
	int64_t n, mr_n, n_sub, df;
	double mean, m2, min, max, mr_sum, ssw, last_v;
	int64_t first_us, last_us;
	char *station, *fixture;	/* the last cell's */
};
/* Add a cell; -1 when out of memory. */
int rep_capsum_add(struct rep_capsum *s, const struct st_capcell *c, const char *station,
		   const char *fixture);
void rep_capsum_free(struct rep_capsum *s);
/* A window off the hour: the log's capability cells of its whole hours
 * with those of its minutes summed from the rows, in the cells' order, to
 * fn as rows of the capability_sums slot (report/capedge.c);
 * ST_ERR_NOTSUP when f has no such minutes or the cells cannot answer. */
int rep_capedge_sums(const struct db_reader *rd, const struct rep_filter *f, bool all_runs,
		     db_row_fn fn, void *ctx, struct st_error *e);
/* Values that include an infinity (min or max one: a log edited by hand;
 * the station records none, a reading "inf" is not a number to it): the
 * mean is that infinity (NaN with both signs) and no other figure is one
 * (no sigma, MR-bar, Cp, Cpk, Pp, Ppk), the counts as they are, whatever
 * the arithmetic of a path (the rows, a log's cells, a store's combined
 * cells) made of them; true when so (c set). */
bool rep_cap_infinite(double min, double max, struct rep_cap *c);
/* The figures (pooled: sigma within from the cells as subgroups). */
void rep_capsum_cap(const struct rep_capsum *s, bool pooled, bool has_low, double low,
		    bool has_high, double high, struct rep_cap *c);
/* c4(n) = sqrt(2 / (n - 1)) Gamma(n / 2) / Gamma((n - 1) / 2): E[s] = c4 sigma. */
double rep_c4(double n);

#endif
