/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A step's `when` condition, parsed once when the sequence is loaded into a
 * small tree and evaluated on values.  Operands are variable references
 * (${name}) or literals (a bare word or number, or "quoted"/'quoted' text);
 * operators ==, !=, <, <=, >, >= (numeric when both sides are numbers,
 * otherwise text), and, or, not, parentheses.  A value is never parsed
 * again, so no value (a scan, a board's reply) can change what a condition
 * compares.  docs/sequences.md, "when", has the grammar.
 */
#ifndef ST_STATION_WHEN_H
#define ST_STATION_WHEN_H

#include <stdbool.h>

#include "common/err.h"
#include "station/vars.h"

struct when_expr;

/*
 * Parse text.  On a syntax error returns ST_ERR_PARSE, with *col the 1-based
 * column in text and e->msg what is wrong there.
 */
int when_parse(const char *text, struct when_expr **out, int *col, struct st_error *e);
void when_free(struct when_expr *w);

/* Call fn for every variable the condition reads. */
void when_each_var(const struct when_expr *w, void (*fn)(const char *name, void *arg),
		   void *arg);

/* Evaluate.  An undefined variable, or a value that is not a number where
 * an ordering compares with a number, is an error naming it. */
int when_eval(const struct when_expr *w, const struct vars *vs, bool *yes, struct st_error *e);

#endif
