/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a sequence, the steps: the keys every step shares (name, id,
 * timeout, retries, retry_delay, on_fail, when); the one key left names the
 * step kind, whose parse function checks the rest.  Also the steps a kind
 * holds (a loop's body, bound to its variable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/lint.h"
#include "station/vars.h"
#include "station/when.h"

static const char *const step_common_keys[] = {
	"name", "id", "timeout", "retries", "retry_delay", "on_fail", "when", NULL
};

static void step_free(struct step *st);

void seq_list_free(struct step_list *sl)
{
	for (int i = 0; i < sl->n; i++)
		step_free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

static void step_free(struct step *st)
{
	if (!st)
		return;
	if (st->kind && st->kind->free_cfg && st->cfg)
		st->kind->free_cfg(st->cfg);
	if (!st->borrowed)
		seq_list_free(&st->children);
	else
		free(st->children.v);
	free(st->name);
	free(st->id);
	free(st->when);
	when_free(st->cond);
	free(st->file);
	free(st);
}

static int parse_on_fail(struct lint *l, const struct ynode *n, enum on_fail *out)
{
	static const char *const names[] = { "abort", "continue", "teardown" };

	if (n && n->type == YN_SCALAR)
		for (int i = 0; i < 3; i++)
			if (!strcmp(n->str, names[i])) {
				*out = (enum on_fail)i;
				return ST_OK;
			}
	lint_err(l, n, "on_fail must be abort, continue or teardown");
	return ST_ERR_PARSE;
}

/* An id names a variable (${id.outcome}): an identifier, once per flow. */
static void check_id(struct lint *l, const struct ynode *at, const char *id)
{
	char name[VARS_NAME_MAX + 16];

	if (strlen(id) > VARS_NAME_MAX - 10) {
		lint_err(l, at, "id '%s' is longer than %d characters", id, VARS_NAME_MAX - 10);
		return;
	}
	if (!lint_ident(l, at, id, "step id"))
		return;
	snprintf(name, sizeof(name), "%s.outcome", id);
	for (int i = 0; i < l->n_defined; i++)
		if (!strcmp(l->defined[i], name))
			lint_err(l, at, "step id '%s' is used twice: ids name one step each", id);
}

/* A key of a step that is neither a common key nor a kind: a typo? */
static const char *near_key(const char *k)
{
	static const char *words[64];
	int n = 0;

	if (!words[0]) {
		for (int i = 0; step_common_keys[i]; i++)
			words[n++] = step_common_keys[i];
		for (int i = 0; step_kinds[i] && n < 63; i++)
			words[n++] = step_kinds[i]->name;
		words[n] = NULL;
	}
	return lint_suggest(k, words);
}

struct when_ref {
	struct lint *l;
	const struct ynode *at;
};

static void when_ref(const char *name, void *arg)
{
	struct when_ref *r = arg;
	char ref[VARS_NAME_MAX + 4];

	snprintf(ref, sizeof(ref), "${%s}", name);
	lint_vars(r->l, r->at, ref);
}

/* `when` is parsed here, once: the engine evaluates the tree on values. */
static void parse_when(struct lint *l, const struct ynode *n, struct step *st)
{
	struct st_error e = { 0 };
	struct when_ref r = { l, n };
	int col;

	if (n->plain && (!strcmp(n->str, "true") || !strcmp(n->str, "false"))) {
		lint_err(l, n, "when: %s is not a condition: remove 'when' or compare a variable "
			 "(e.g. when: ${id.outcome} == pass)", n->str);
		return;
	}
	if (when_parse(n->str, &st->cond, &col, &e) < 0) {
		struct ynode at = *n;

		/* a one-line scalar: point at the column in the file */
		if (!strchr(n->str, '\n'))
			at.col += col - 1 + !n->plain;
		lint_err(l, &at, "when: %s (at column %d of '%s'; docs/sequences.md, \"when\")",
			 e.msg, col, n->str);
		return;
	}
	when_each_var(st->cond, when_ref, &r);
}

/* The step's kind: its one key that is not a common step key.  A second
 * such key is an error (two kinds, or a misspelt common key). */
static const struct ynode *find_kind_key(struct lint *l, const struct ynode *n,
					 const struct ynode **kind_val)
{
	const struct ynode *kind_key = NULL;

	for (int i = 0; i < n->n; i++) {
		bool common = false;

		for (int j = 0; step_common_keys[j]; j++)
			common |= !strcmp(n->keys[i]->str, step_common_keys[j]);
		if (common)
			continue;
		if (kind_key) {
			const struct ynode *odd = n->keys[i];

			/* a misspelt step key is not a second kind */
			if (!step_kind_find(kind_key->str) && step_kind_find(odd->str)) {
				odd = kind_key;
				kind_key = n->keys[i];
				*kind_val = n->items[i];
			}
			if (step_kind_find(odd->str))
				lint_err(l, odd, "step has two kinds, '%s' and '%s': split it into two steps",
					 kind_key->str, odd->str);
			else if (near_key(odd->str))
				lint_err(l, odd, "unknown step key '%s' (did you mean '%s'?)", odd->str,
					 near_key(odd->str));
			else
				lint_err(l, odd, "unknown step key '%s' (step keys: name, id, timeout, retries, retry_delay, on_fail, when)",
					 odd->str);
			continue;
		}
		kind_key = n->keys[i];
		*kind_val = n->items[i];
	}
	return kind_key;
}

/* The keys every kind of step takes: timeout, retry_delay, retries,
 * on_fail and when. */
static void parse_common(struct lint *l, const struct ynode *n, struct step *st)
{
	const struct ynode *v;

	st->timeout_s = st->kind->default_timeout_s;
	v = ynode_get(n, "timeout");
	if (lint_duration(l, v, &st->timeout_s) && v && st->timeout_s < 0.001)
		lint_err(l, v, "timeout must be at least 1ms (and at most 24h)");
	lint_duration(l, ynode_get(n, "retry_delay"), &st->retry_delay_s);
	v = ynode_get(n, "retries");
	if (v) {
		double r = 0;

		if (lint_num(l, n, "retries", false, &r) &&
		    (r < 0 || r > 100 || v->str[strspn(v->str, "0123456789")]))
			lint_err(l, v, "retries must be a whole number from 0 to 100, in digits");
		else
			st->retries = (int)r; /* in range: the cast is defined */
	}
	v = ynode_get(n, "on_fail");
	if (v)
		parse_on_fail(l, v, &st->on_fail);
	if (lint_str(l, n, "when", false, &st->when) && st->when)
		parse_when(l, ynode_get(n, "when"), st);
}

static struct step *parse_step(struct lint *l, const struct ynode *n)
{
	const struct ynode *kind_key, *kind_val = NULL;
	struct step *st;

	if (n->type != YN_MAP) {
		lint_err(l, n, "a step must be a mapping with a name and one step kind (e.g. 'console:'), not %s",
			 ynode_type_name(n));
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->file = strdup(n->file);
	st->line = n->line;
	st->col = n->col;
	kind_key = find_kind_key(l, n, &kind_val);
	lint_str(l, n, "name", false, &st->name);
	if (lint_str(l, n, "id", false, &st->id) && st->id)
		check_id(l, ynode_get(n, "id"), st->id);
	if (!kind_key) {
		lint_err(l, n, "step%s%s%s has no kind: add one of %s",
			 st->name ? " '" : "", st->name ? st->name : "", st->name ? "'" : "",
			 step_kind_list());
		return st;
	}
	st->kind = step_kind_find(kind_key->str);
	if (!st->kind && near_key(kind_key->str)) {
		lint_err(l, kind_key, "unknown step kind or key '%s' (did you mean '%s'?)",
			 kind_key->str, near_key(kind_key->str));
		return st;
	}
	if (!st->kind) {
		lint_err(l, kind_key, "unknown step kind or key '%s' (kinds: %s; step keys: name, id, timeout, retries, retry_delay, on_fail, when)",
			 kind_key->str, step_kind_list());
		return st;
	}
	if (!st->name)
		st->name = strdup(st->id ? st->id : st->kind->name);
	parse_common(l, n, st);
	st->kind->parse(st, kind_val, l);
	/* Later steps and `when` conditions may test this step's outcome. */
	if (st->id) {
		char name[VARS_NAME_MAX];

		snprintf(name, sizeof(name), "%s.outcome", st->id);
		lint_define(l, name);
	}
	return st;
}

int lint_steps(struct lint *l, const struct ynode *list, struct step_list *out)
{
	if (!list)
		return ST_OK;
	if (list->type != YN_SEQ) {
		lint_err(l, list, "expected a list of steps (each starting with '- '), not %s",
			 ynode_type_name(list));
		return ST_ERR_PARSE;
	}
	out->v = calloc((size_t)list->n + 1, sizeof(*out->v));
	if (!out->v)
		return ST_ERR_NOMEM;
	for (int i = 0; i < list->n; i++) {
		struct step *st = parse_step(l, list->items[i]);

		if (st)
			out->v[out->n++] = st;
	}
	return ST_OK;
}

bool lint_bound_name(struct lint *l, const struct ynode *at, const char *name, const char *what)
{
	if (!lint_ident(l, at, name, what))
		return false;
	if (seq_reserved(name)) {
		lint_err(l, at, "%s '%s': ${%s} is set by the run; name the %s otherwise", what, name,
			 name, what);
		return false;
	}
	if (lint_is_defined(l, name)) {
		lint_err(l, at, "'%s' already names a variable: name the %s otherwise "
			 "(${%s} inside would be ambiguous)", name, what, name);
		return false;
	}
	return true;
}

struct step *lint_bound_steps(struct lint *l, const struct step *parent, const struct ynode *list,
			      const char *var, const char *value)
{
	struct ynode *copy = ynode_subst(list, var, value);
	struct step *st = calloc(1, sizeof(*st));

	if (!copy || !st || asprintf(&st->name, "%s [%s=%s]", parent->name, var, value) < 0) {
		ynode_free(copy);
		free(st);
		return NULL;
	}
	st->kind = step_kind_find("group");
	st->file = strdup(parent->file);
	st->line = parent->line;
	st->col = parent->col;
	st->timeout_s = parent->timeout_s;
	st->on_fail = parent->on_fail;
	lint_steps(l, copy, &st->children);
	ynode_free(copy);
	return st;
}
