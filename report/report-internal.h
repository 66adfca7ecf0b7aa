/* SPDX-License-Identifier: Apache-2.0 */
/* Inside report/: rows and documents as jansson values. */
#ifndef ST_REPORT_INTERNAL_H
#define ST_REPORT_INTERNAL_H

#include <jansson.h>

#include "report/report.h"

/* A typed row as a JSON object (integers, reals, strings, nulls). */
json_t *rep_row_json(const struct db_row *row);
/* Print a JSON value and a newline; jansson keeps reals short (15 digits). */
void rep_json_print(FILE *f, json_t *j, bool pretty);

#endif
