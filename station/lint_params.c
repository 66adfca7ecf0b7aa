/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parameters of a steps file (`params:` at its top, run by `include: {file,
 * with}`) or of a named group (`groups: {NAME: {params: ..., steps: [...]}}`,
 * run by `group: {name, with}`):
 *   params: [rail]                       each required
 *   params: {rail: ~, settle: 20ms}      ~: required; otherwise the default
 * A use binds `with:` and the defaults in a copy of the steps only, so
 * ${rail} means nothing outside them, and names the step after its instance
 * ("rail 3v3 [rail=3v3, settle=20ms]") for the plan and the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/lint.h"
#include "station/vars.h"

void lint_keep(struct lint *l, struct ynode *tree)
{
	struct ynode **v = realloc(l->trees, (size_t)(l->n_trees + 1) * sizeof(*v));

	if (!v) {
		ynode_free(tree); /* only when out of memory: nothing points into it yet */
		return;
	}
	l->trees = v;
	v[l->n_trees++] = tree;
}

void lint_free_kept(struct lint *l)
{
	for (int i = 0; i < l->n_trees; i++)
		ynode_free(l->trees[i]);
	for (int i = 0; i < l->n_docs; i++)
		ydoc_free(&l->docs[i]);
	free(l->trees);
	free(l->docs);
	free(l->gdefs);
	l->trees = NULL;
	l->docs = NULL;
	l->gdefs = NULL;
	l->n_trees = l->n_docs = l->n_gdefs = 0;
}

bool lint_is_null(const struct ynode *n)
{
	return n->type == YN_SCALAR && n->plain &&
	       (!n->str[0] || !strcmp(n->str, "~") || !strcmp(n->str, "null"));
}

/* The i-th declared parameter: its name node, and its default or NULL. */
static const struct ynode *param_at(const struct ynode *params, int i, const struct ynode **def)
{
	if (params->type == YN_SEQ) {
		*def = NULL;
		return params->items[i];
	}
	*def = lint_is_null(params->items[i]) ? NULL : params->items[i];
	return params->keys[i];
}

static bool usable(const struct ynode *params)
{
	return params && (params->type == YN_SEQ || params->type == YN_MAP);
}

bool lint_sampled(const struct lint *l, const char *s)
{
	const struct ynode *p = l->sampling, *def;

	for (int i = 0; usable(p) && i < p->n; i++) {
		const struct ynode *name = param_at(p, i, &def);

		if (!def && name->type == YN_SCALAR && name->str[0] && strstr(s, name->str))
			return true;
	}
	return false;
}

void lint_params_check(struct lint *l, const struct ynode *params, bool define)
{
	if (!params)
		return;
	if (!usable(params)) {
		lint_err(l, params, "'params' is a list of names, or a mapping of names to defaults "
			 "(~: no default, the use must give it)");
		return;
	}
	for (int i = 0; i < params->n; i++) {
		const struct ynode *def, *p = param_at(params, i, &def);
		bool twice = false;

		for (int j = 0; j < i && params->type == YN_SEQ; j++)
			twice |= params->items[j]->type == YN_SCALAR && p->type == YN_SCALAR &&
				 !strcmp(params->items[j]->str, p->str);
		if (p->type != YN_SCALAR)
			lint_err(l, p, "a parameter is a name");
		else if (twice)
			lint_err(l, p, "parameter '%s' is declared twice", p->str);
		else if (def && def->type != YN_SCALAR)
			lint_err(l, def, "parameter '%s': a default is a text value (~: no default)",
				 p->str);
		else if (lint_bound_name(l, p, p->str, "parameter") && define)
			lint_define(l, p->str);
	}
}

static bool declared(const struct ynode *params, const char *name, const char **names, int *n)
{
	bool found = false;

	*n = 0;
	for (int i = 0; usable(params) && i < params->n; i++) {
		const struct ynode *def, *p = param_at(params, i, &def);

		if (p->type != YN_SCALAR)
			continue;
		found |= !strcmp(p->str, name);
		if (*n < 31)
			names[(*n)++] = p->str;
	}
	names[*n] = NULL;
	return found;
}

/* with: only declared names, each a text value. */
static bool check_with(struct lint *l, const struct ynode *params, const struct ynode *with,
		       const char *what, const char *whose)
{
	bool ok = true;

	for (int i = 0; with && i < with->n; i++) {
		const struct ynode *k = with->keys[i], *v = with->items[i];
		const char *names[32], *near;
		char list[256];
		int n;

		if (!declared(params, k->str, names, &n)) {
			near = lint_suggest(k->str, names);
			if (near)
				lint_err(l, k, "%s: %s has no parameter '%s' (did you mean '%s'?)", what,
					 whose, k->str, near);
			else
				lint_err(l, k, "%s: %s has no parameter '%s' (its params: %s)", what,
					 whose, k->str, n ? lint_join(list, sizeof(list), names) : "none");
			ok = false;
		} else if (v->type != YN_SCALAR) {
			lint_err(l, v, "%s: parameter '%s' must be a text value", what, k->str);
			ok = false;
		}
	}
	return ok;
}

const struct ynode *lint_params_bind(struct lint *l, const struct ynode *params,
				     const struct ynode *with, const struct ynode *body,
				     const struct ynode *at, const char *what, const char *whose,
				     char *inst, size_t cap)
{
	struct ynode *bound = NULL;
	size_t len = 0;
	bool ok;

	inst[0] = '\0';
	if (with && with->type != YN_MAP) {
		lint_err(l, with, "%s: 'with' maps parameter names to values", what);
		return NULL;
	}
	if (params && !usable(params))
		return NULL; /* reported by lint_params_check */
	ok = check_with(l, params, with, what, whose);
	for (int i = 0; params && i < params->n; i++) {
		const struct ynode *def, *p = param_at(params, i, &def), *v;
		struct ynode *next;

		if (p->type != YN_SCALAR || !vars_is_ident(p->str))
			continue; /* reported by lint_params_check */
		v = ynode_get(with, p->str);
		if (!v)
			v = def;
		if (!v) {
			lint_err(l, at, "%s: parameter '%s' of %s has no value: give it under 'with:'",
				 what, p->str, whose);
			ok = false;
			continue;
		}
		if (v->type != YN_SCALAR || !ok)
			continue;
		lint_vars(l, v, v->str);
		next = ynode_subst(bound ? bound : body, p->str, v->str);
		ynode_free(bound);
		if (!(bound = next))
			return NULL;
		if (len < cap)
			len += (size_t)snprintf(inst + len, cap - len, "%s%s=%s", len ? ", " : " [",
						p->str, v->str);
	}
	if (len && len + 2 <= cap)
		strcat(inst, "]");
	else if (len)
		snprintf(inst + cap - 5, 5, "...]");
	if (!ok) {
		ynode_free(bound);
		return NULL;
	}
	if (!bound)
		return body;
	lint_keep(l, bound);
	return bound;
}

const struct ynode *lint_params_samples(struct lint *l, const struct ynode *params,
					const struct ynode *body)
{
	struct ynode *bound = NULL;

	for (int i = 0; usable(params) && i < params->n; i++) {
		const struct ynode *def, *p = param_at(params, i, &def);
		struct ynode *next;

		if (p->type != YN_SCALAR || !vars_is_ident(p->str) || (def && def->type != YN_SCALAR))
			continue;
		next = ynode_subst(bound ? bound : body, p->str, def ? def->str : p->str);
		ynode_free(bound);
		if (!(bound = next))
			return body;
	}
	if (!bound)
		return body;
	lint_keep(l, bound);
	return bound;
}
