/* SPDX-License-Identifier: Apache-2.0 */
/*
 * foreach and repeat: run a list of steps once per item (a rail, a channel,
 * a slot) or N times.  Unrolled when the sequence loads: each pass is a
 * group step "<name> [<var>=<value>]" whose steps have ${var} replaced, so
 * lint checks every pass (a limit named 'rail_${rail}' must exist for each
 * rail), --dry-run prints every pass and the log records every step of it.
 *   - name: rails
 *     foreach: {var: rail, in: [3v3, 1v8, 5v0], steps: [...]}
 *   - name: soak
 *     repeat: {count: 3, var: pass, steps: [...]}
 * A pass that fails ends the loop unless the loop step says on_fail:
 * continue (then every pass runs, and the unit still fails).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/steps/steps.h"

#define LOOP_MAX_PASSES 100

static const char *const foreach_keys[] = { "var", "in", "steps", NULL };
static const char *const repeat_keys[] = { "count", "var", "steps", NULL };

static int add_pass(struct step *s, struct lint *l, const struct ynode *steps, const char *var,
		    const char *value)
{
	struct step **v = realloc(s->children.v, (size_t)(s->children.n + 2) * sizeof(*v));
	struct step *pass;

	if (!v)
		return ST_ERR_NOMEM;
	s->children.v = v;
	pass = lint_bound_steps(l, s, steps, var, value);
	if (!pass)
		return ST_ERR_NOMEM;
	v[s->children.n++] = pass;
	return ST_OK;
}

/* The keys both loops share: var (named, free) and a non-empty steps list. */
static const struct ynode *loop_common(struct lint *l, const struct ynode *n, const char *what,
				       const char *const *keys, char **var, bool need_var)
{
	const struct ynode *steps;

	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "%s: expects a mapping with %s", what,
			 need_var ? "var, in and steps" : "count, steps (and var)");
		return NULL;
	}
	lint_keys(l, n, keys, what);
	lint_str(l, n, "var", need_var, var);
	if (*var && !lint_bound_name(l, ynode_get(n, "var"), *var, "loop variable")) {
		free(*var);
		*var = NULL;
		return NULL;
	}
	steps = ynode_get(n, "steps");
	if (!steps)
		lint_err(l, n, "%s: missing 'steps': the steps to run each pass", what);
	else if (steps->type != YN_SEQ || steps->n == 0)
		lint_err(l, steps, "%s: 'steps' must be a list of at least one step", what);
	else
		return steps;
	return NULL;
}

static int foreach_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	const struct ynode *steps, *in;
	char *var = NULL;
	int ret = ST_OK;

	steps = loop_common(l, n, "foreach", foreach_keys, &var, true);
	in = ynode_get(n, "in");
	if (!in && n && n->type == YN_MAP)
		lint_err(l, n, "foreach: missing 'in': the list of values");
	else if (in && (in->type != YN_SEQ || in->n == 0 || in->n > LOOP_MAX_PASSES))
		lint_err(l, in, "foreach: 'in' must be a list of 1 to %d values", LOOP_MAX_PASSES);
	else if (in && steps && var)
		for (int i = 0; i < in->n && ret == ST_OK; i++) {
			const struct ynode *it = in->items[i];
			bool dup = false;

			for (int j = 0; j < i; j++)
				dup |= in->items[j]->type == YN_SCALAR && it->type == YN_SCALAR &&
				       !strcmp(in->items[j]->str, it->str);
			if (it->type != YN_SCALAR || !it->str[0] || strstr(it->str, "${"))
				lint_err(l, it, "foreach: each value is plain text (no ${...})");
			else if (dup)
				lint_err(l, it, "foreach: '%s' is in the list twice", it->str);
			else
				ret = add_pass(s, l, steps, var, it->str);
		}
	free(var);
	return ret;
}

static int repeat_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	const struct ynode *steps, *cn;
	char *var = NULL, num[16];
	double count = 0;
	int ret = ST_OK;

	steps = loop_common(l, n, "repeat", repeat_keys, &var, false);
	cn = ynode_get(n, "count");
	if (n && n->type == YN_MAP && lint_num(l, n, "count", true, &count) && cn &&
	    (count < 1 || count > LOOP_MAX_PASSES || cn->str[strspn(cn->str, "0123456789")])) {
		lint_err(l, cn, "repeat: count must be a whole number from 1 to %d, in digits",
			 LOOP_MAX_PASSES);
		count = 0;
	}
	for (int i = 1; steps && i <= (int)count && ret == ST_OK; i++) {
		snprintf(num, sizeof(num), "%d", i);
		/* without a var, the pass number only names the pass */
		ret = add_pass(s, l, steps, var ? var : "pass", num);
	}
	free(var);
	return ret;
}

/* run == NULL: the engine runs each pass (a group) and logs its steps. */
const struct step_kind step_foreach = {
	.name = "foreach",
	.summary = "run steps once per value of a list (rails, channels, slots), ${var} bound to each",
	.default_timeout_s = 3600,
	.parse = foreach_parse,
};

const struct step_kind step_repeat = {
	.name = "repeat",
	.summary = "run steps N times (count), ${var} bound to the pass number 1..N",
	.default_timeout_s = 3600,
	.parse = repeat_parse,
};
