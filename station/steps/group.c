/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group: run a named group of steps (or an inline list) as one step, so it
 * can be retried as a whole (power-cycle, then re-read).
 *   - name: read identity, power-cycling between tries
 *     retries: 2
 *     group: identity-with-power-cycle     # or a list of steps
 *   - name: rail 3V3
 *     group: {name: rail-check, with: {rail: 3v3}}   # a group with params
 * include: run the steps of another sequence file.
 *   - include: common/final-test.yaml
 */
#include "station/steps/steps.h"

/* The mapping form {KEY: text, with: {...}}: its KEY (keys[0]), or NULL
 * (reported as msg). */
static const struct ynode *map_form(struct lint *l, const struct ynode *n,
				    const char *const *keys, const char *what, const char *msg)
{
	const struct ynode *k = ynode_get(n, keys[0]);

	lint_keys(l, n, keys, what);
	if (!k || k->type != YN_SCALAR) {
		lint_err(l, k ? k : n, "%s", msg);
		return NULL;
	}
	return k;
}

static const char *const group_keys[] = { "name", "with", NULL };

static int group_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	const struct ynode *name;

	if (n && n->type == YN_SCALAR)
		return lint_group_use(l, s, n, n->str, NULL);
	if (n && n->type == YN_MAP) { /* group: {name: rail-check, with: {rail: 3v3}} */
		name = map_form(l, n, group_keys, "group", "group: 'name' names the group to run");
		return name ? lint_group_use(l, s, name, name->str, ynode_get(n, "with")) :
			      ST_ERR_PARSE;
	}
	if (n && n->type == YN_SEQ && n->n == 0) {
		lint_err(l, n, "group: the list of steps is empty (a group that runs nothing "
			 "would pass)");
		return ST_ERR_PARSE;
	}
	if (n && n->type == YN_SEQ)
		return lint_steps(l, n, &s->children);
	lint_err(l, n, "group: expects the name of a group, {name, with} or a list of steps");
	return ST_ERR_PARSE;
}

static const char *const include_keys[] = { "file", "with", NULL };

static int include_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	const struct ynode *f;

	if (n && n->type == YN_MAP) { /* include: {file: rail.yaml, with: {rail: 3v3}} */
		f = map_form(l, n, include_keys, "include", "include: 'file' names the steps file to include");
		return f ? lint_include_with(l, s, f, f->str, ynode_get(n, "with")) : ST_ERR_PARSE;
	}
	if (!n || n->type != YN_SCALAR) {
		lint_err(l, n, "include: expects a file name, or {file: NAME, with: {param: value}}");
		return ST_ERR_PARSE;
	}
	return lint_include(l, s, n, n->str);
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
