/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capture: values taken from a step's text (a console answer, a program's
 * output) into variables, each with a regex of one (group):
 *   capture: {diag.version: '^diag (.+)$'}
 * Shared by console and exec.
 */
#include <stdlib.h>
#include <string.h>

#include "station/steps/steps.h"

void captures_free(struct captures *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->v[i].var);
		free(c->v[i].re);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int captures_parse(struct captures *c, const struct ynode *cap, struct lint *l)
{
	int groups = 0;

	if (cap && cap->type != YN_MAP)
		lint_err(l, cap, "capture: maps variable names to regexes with one (group)");
	for (int i = 0; cap && cap->type == YN_MAP && i < cap->n; i++) {
		struct capture *nc;

		if (cap->items[i]->type != YN_SCALAR) {
			lint_err(l, cap->items[i], "capture '%s' must be a regex", cap->keys[i]->str);
			continue;
		}
		if (lint_regex(l, cap->items[i], cap->items[i]->str, &groups) && groups != 1)
			lint_err(l, cap->items[i], "capture '%s': the regex needs exactly one (group) "
				 "for the value, not %d", cap->keys[i]->str, groups);
		nc = realloc(c->v, (size_t)(c->n + 1) * sizeof(*nc));
		if (!nc)
			return ST_ERR_NOMEM;
		c->v = nc;
		nc[c->n].var = strdup(cap->keys[i]->str);
		nc[c->n].re = strdup(cap->items[i]->str);
		c->n++;
		lint_capture(l, cap->keys[i], cap->keys[i]->str, "capture");
	}
	return ST_OK;
}

int captures_apply(const struct captures *c, struct run_ctx *rc, struct step_result *r,
		   const char *text, const char *what)
{
	char val[1024];

	for (int i = 0; i < c->n; i++) {
		if (rx_match(c->v[i].re, text, val, sizeof(val)) < 0) {
			sr_set(r, DB_FAIL, "capture %s: '%s' not found in the %s '%.200s'",
			       c->v[i].var, c->v[i].re, what, text);
			return ST_ERR_FAIL;
		}
		vars_set(&rc->vars, c->v[i].var, val);
		sr_kv(r, c->v[i].var, val);
	}
	return ST_OK;
}

void captures_plan(const struct captures *c, FILE *out)
{
	for (int i = 0; i < c->n; i++)
		fprintf(out, "      capture ${%s} from '%s'\n", c->v[i].var, c->v[i].re);
}
