/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group: run a named group of steps (or an inline list) as one step, so it
 * can be retried as a whole (power-cycle, then re-read).
 *   - name: read identity, power-cycling between tries
 *     retries: 2
 *     group: identity-with-power-cycle     # or a list of steps
 * include: run the steps of another sequence file.
 *   - include: common/final-test.yaml
 */
#include "station/steps/steps.h"

static int group_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	if (n && n->type == YN_SCALAR) {
		s->borrowed = true;
		return lint_group(l, n, n->str, &s->children);
	}
	if (n && n->type == YN_SEQ && n->n == 0) {
		lint_err(l, n, "group: the list of steps is empty (a group that runs nothing "
			 "would pass)");
		return ST_ERR_PARSE;
	}
	if (n && n->type == YN_SEQ)
		return lint_steps(l, n, &s->children);
	lint_err(l, n, "group: expects the name of a group or a list of steps");
	return ST_ERR_PARSE;
}

static const char *const include_keys[] = { "file", "with", NULL };

static int include_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	const struct ynode *f;

	if (n && n->type == YN_MAP) { /* include: {file: rail.yaml, with: {rail: 3v3}} */
		lint_keys(l, n, include_keys, "include");
		f = ynode_get(n, "file");
		if (!f || f->type != YN_SCALAR) {
			lint_err(l, f ? f : n, "include: 'file' names the steps file to include");
			return ST_ERR_PARSE;
		}
		return lint_include_with(l, f, f->str, ynode_get(n, "with"), &s->children);
	}
	if (!n || n->type != YN_SCALAR) {
		lint_err(l, n, "include: expects a file name, or {file: NAME, with: {param: value}}");
		return ST_ERR_PARSE;
	}
	return lint_include(l, n, n->str, &s->children);
}

/* run == NULL: the engine runs the children and logs each of them. */
const struct step_kind step_group = {
	.name = "group",
	.summary = "run a named group of steps (or a list) as one step, retried as a whole",
	.default_timeout_s = 3600,
	.parse = group_parse,
};

const struct step_kind step_include = {
	.name = "include",
	.summary = "run the steps of another sequence file",
	.default_timeout_s = 3600,
	.parse = include_parse,
};
