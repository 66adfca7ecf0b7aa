/* SPDX-License-Identifier: Apache-2.0 */
/* The loader's private state while it reads and validates a sequence. */
#ifndef ST_STATION_LINT_H
#define ST_STATION_LINT_H

#include "station/sequence.h"
#include "station/vars.h"

#define LINT_MAX_INCLUDE_DEPTH 16
#define LINT_DURATION_MAX_S 86400.0	/* every duration: 0 .. 24h */

struct lint_ref {
	char *name;
	char *file;
	int line, col;
};

struct lint {
	struct sequence *seq;
	char *errors;
	size_t len, cap;
	int n_errors;
	char **defined;
	int n_defined;
	int in_group;		/* > 0: variable checks deferred to the end */
	struct lint_ref *deferred;
	int n_deferred;
	char *stack[LINT_MAX_INCLUDE_DEPTH]; /* include chain, for cycles */
	int depth;
	const char *const *extra_vars;
	const struct vars *given;	/* values the station/run gives, or NULL */
	bool library;		/* station lint: the file may be a library */
	bool has_limits;	/* the flow has a limits table */
	char deferred_limits[256]; /* library: limit names left to the includer */
};

/* Check the references recorded inside groups, once every capture is known. */
void lint_check_deferred(struct lint *l);

/* Put the collected "file:line:col: message" lines in file order (lint_sort.c). */
void lint_sort_errors(char *errors);

#endif
