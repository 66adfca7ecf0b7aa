/* SPDX-License-Identifier: Apache-2.0 */
/* Inside report/: rows and documents as jansson values. */
#ifndef ST_REPORT_INTERNAL_H
#define ST_REPORT_INTERNAL_H

#include <jansson.h>

#include "report/report.h"

/* A typed row as a JSON object (integers, reals, strings, nulls). */
json_t *rep_row_json(const struct db_row *row);
/* The filters in words ("since ... fixture F1", "none"), into buf. */
const char *rep_filters_str(const struct rep_filter *flt, char *buf, size_t cap);
/* A measurement group's key, its limits in it: a limit changed without a
 * new sequence version is another group ("factory/rails/vdd [3.1..3.5]", "-" for none). */
const char *rep_meas_key(const struct rep_meas *m, char *buf, size_t cap);
/* One line of a long-form CSV (section,key,metric,value); NAN: no value. */
void rep_csv_metric(FILE *f, const char *section, const char *key, const char *metric, double v);
/* Text from the log in HTML: shown (common/text.h), then escaped. */
void rep_html_esc(FILE *f, const char *text);
/* Now, ISO 8601 UTC: when a report was made. */
const char *rep_now_iso(char buf[32]);
/* Print a JSON value and a newline; jansson keeps reals short (15 digits). */
void rep_json_print(FILE *f, json_t *j, bool pretty);

#endif
