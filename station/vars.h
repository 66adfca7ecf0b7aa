/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run variables: ${name} in sequence text, expanded from the station config,
 * the fixture, the sequence's vars, the run (${serial}, ${fixture}) and
 * values captured by earlier steps (${se.serial}).  "$${" is a literal "${".
 */
#ifndef ST_STATION_VARS_H
#define ST_STATION_VARS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define VARS_NAME_MAX 64
#define VARS_VALUE_MAX 65536
#define VARS_EXPAND_MAX (4 * VARS_VALUE_MAX)	/* what one text may expand to */

struct var {
	char *name;
	char *value;
};

struct vars {
	struct var *v;
	int n, cap;
};

void vars_init(struct vars *vs);
void vars_free(struct vars *vs);
int vars_set(struct vars *vs, const char *name, const char *value);
const char *vars_get(const struct vars *vs, const char *name);

/* Is name[0..n) a name ${...} can refer to (letters, digits, _ - .)? */
bool vars_name_valid(const char *name, size_t n);

/*
 * A name a sequence may define (a variable, a capture, a step id, a
 * measurement): an identifier, VARS_IDENT_RE, at most VARS_NAME_MAX - 1
 * characters.  Such a name is always referenceable as ${name}.
 */
#define VARS_IDENT_RE "^[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z_][A-Za-z0-9_-]*)*$"
bool vars_is_ident(const char *name);

/* Find the next ${name} at or after *p: 1 found (p moves past it),
 * 0 none left, -1 malformed reference. */
int vars_next_ref(const char **p, char *name, size_t cap);

/* Expand every ${name}; an undefined name is an error naming it.
 * *out is heap-allocated. */
int vars_expand(const struct vars *vs, const char *in, char **out, struct st_error *e);

#endif
