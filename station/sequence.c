/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a sequence file: the top level (name, version, vars, limits,
 * include, groups, setup/steps/teardown) and the keys every step shares
 * (name, id, timeout, retries, retry_delay, on_fail, when).  The one key
 * left names the step kind, whose parse function checks the rest.
 */
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "common/hex.h"
#include "station/config.h"
#include "station/lint.h"
#include "station/vars.h"
#include "station/when.h"

const char *const seq_builtin_vars[] = {
	"serial", "fixture", "station", "run_id", "operator", "port", "sequence", "trust",
	"config_dir",
	"date", "time", NULL
};

bool seq_reserved(const char *name)
{
	for (int i = 0; seq_builtin_vars[i]; i++)
		if (!strcmp(seq_builtin_vars[i], name))
			return true;
	return false;
}

static const char *const step_common_keys[] = {
	"name", "id", "timeout", "retries", "retry_delay", "on_fail", "when", NULL
};

static const char *const top_keys[] = {
	"name", "version", "description", "vars", "limits", "include", "groups",
	"setup", "steps", "teardown", "params", NULL
};

char *seq_resolve_path(const char *seq_file, const char *path)
{
	char *dup, *dir, *out;

	if (path[0] == '/')
		return strdup(path);
	dup = strdup(seq_file);
	if (!dup)
		return NULL;
	dir = dirname(dup);
	if (asprintf(&out, "%s/%s", dir, path) < 0)
		out = NULL;
	free(dup);
	return out;
}

static void add_file(struct lint *l, const char *path, const struct ydoc *d)
{
	struct sequence *s = l->seq;
	struct seq_file *f;

	for (int i = 0; i < s->n_files; i++)
		if (!strcmp(s->files[i].path, path))
			return;
	f = realloc(s->files, (size_t)(s->n_files + 1) * sizeof(*f));
	if (!f)
		return;
	s->files = f;
	f[s->n_files].path = strdup(path);
	sha256_hex(d->bytes, d->len, f[s->n_files].sha256);
	s->n_files++;
}

static void step_free(struct step *st);

static void list_free(struct step_list *sl)
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
		list_free(&st->children);
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

static struct step *parse_step(struct lint *l, const struct ynode *n)
{
	const struct ynode *kind_key = NULL, *kind_val = NULL, *v;
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
				kind_val = n->items[i];
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
		kind_val = n->items[i];
	}
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

static bool on_stack(struct lint *l, const char *path)
{
	for (int i = 0; i < l->depth; i++)
		if (!strcmp(l->stack[i], path))
			return true;
	return false;
}

static void parse_groups(struct lint *l, const struct ynode *g);
static void parse_vars(struct lint *l, const struct ynode *v);
static void include_list(struct lint *l, const struct ynode *n);

/* A parameterised group points into its file's tree: keep every file read
 * until the load ends. */
static void keep_doc(struct lint *l, struct ydoc *d)
{
	struct ydoc *v = realloc(l->docs, (size_t)(l->n_docs + 1) * sizeof(*v));

	if (!v)
		return; /* out of memory: leaked, as groups may point into it */
	l->docs = v;
	v[l->n_docs++] = *d;
}

/* Load another file; call fn on its root (with the include stack kept). */
static int with_file(struct lint *l, const struct ynode *at, const char *path,
		     void (*fn)(struct lint *l, const struct ynode *root, void *arg), void *arg)
{
	struct st_error e = { 0 };
	struct ydoc d;
	char *exp = strstr(path, "${") ? lint_expand_path(l, path) : NULL;
	char *full, *real;
	int ret;

	if (strstr(path, "${") && !exp) {
		lint_err(l, at, "'%s' is read when the sequence loads: each ${...} in it needs a "
			 "value then (under 'vars:', in station.yaml or with --var), not one the run "
			 "sets", path);
		return ST_ERR_PARSE;
	}
	full = seq_resolve_path(at->file, exp ? exp : path);
	free(exp);
	if (!full)
		return ST_ERR_NOMEM;
	real = realpath(full, NULL);
	if (!real) {
		lint_err(l, at, "cannot read included file '%s' (resolved to %s)", path, full);
		free(full);
		return ST_ERR_NOTFOUND;
	}
	if (on_stack(l, real)) {
		lint_err(l, at, "include cycle: '%s' includes itself (through the chain of includes)",
			 path);
		ret = ST_ERR_PARSE;
		goto out;
	}
	if (l->depth >= LINT_MAX_INCLUDE_DEPTH) {
		lint_err(l, at, "includes nested more than %d deep", LINT_MAX_INCLUDE_DEPTH);
		ret = ST_ERR_LIMIT;
		goto out;
	}
	ret = ydoc_load(&d, full, &e);
	if (ret < 0) {
		lint_err(l, at, "in included file: %s", e.msg);
		goto out;
	}
	add_file(l, full, &d);
	if (!d.root) {
		lint_err(l, at, "included file '%s' is empty", path);
		ydoc_free(&d);
		goto out;
	}
	l->stack[l->depth++] = real;
	real = NULL;
	fn(l, d.root, arg);
	free(l->stack[--l->depth]);
	keep_doc(l, &d);
out:
	free(real);
	free(full);
	return ret;
}

static const char *const inc_keys[] = { "name", "version", "description", "vars", "groups",
					"steps", "include", "params", NULL };

struct inc_arg {
	struct step *s;			/* the include step */
	const struct ynode *with;	/* parameter values, or NULL */
	const struct ynode *at;		/* the include, for messages */
};

/* A step that runs an instance (of a group, of a steps file with
 * parameters) is named after it: "rail 3v3 [rail=3v3]". */
static void name_instance(struct step *s, const char *inst)
{
	char *name;

	if (inst[0] && asprintf(&name, "%s%s", s->name, inst) >= 0) {
		free(s->name);
		s->name = name;
	}
}

/* Problems found in an instance name it and where it is used. */
static void set_instance(struct lint *l, const char *what, const char *inst,
			 const struct ynode *use)
{
	snprintf(l->instance, sizeof(l->instance), "%s%s from %s:%d:%d", what, inst, use->file,
		 use->line, use->col);
}

static void include_steps(struct lint *l, const struct ynode *root, void *arg)
{
	struct inc_arg *a = arg;
	const struct ynode *params = ynode_get(root, "params");
	char inst[160], saved[sizeof(l->instance)];

	if (!root || root->type != YN_MAP) {
		lint_err(l, root, "an included file must be a mapping with 'steps:' or 'groups:'");
		return;
	}
	lint_keys(l, root, inc_keys, "an included file");
	lint_params_check(l, params, false);
	/* every declared parameter given (or its default), nothing else; the
	 * values are bound in a copy of the file (local: nothing outside sees
	 * them) */
	root = lint_params_bind(l, params, a->with, root, a->at, "include", root->file, inst,
				sizeof(inst));
	if (!root)
		return;
	name_instance(a->s, inst);
	snprintf(saved, sizeof(saved), "%s", l->instance);
	if (inst[0])
		set_instance(l, root->file, inst, a->at);
	parse_vars(l, ynode_get(root, "vars"));
	include_list(l, ynode_get(root, "include"));
	parse_groups(l, ynode_get(root, "groups"));
	if (!ynode_get(root, "steps"))
		lint_err(l, root, "included as steps, but the file has no 'steps:' list");
	lint_steps(l, ynode_get(root, "steps"), &a->s->children);
	snprintf(l->instance, sizeof(l->instance), "%s", saved);
}

int lint_include(struct lint *l, struct step *s, const struct ynode *at, const char *path)
{
	struct inc_arg a = { s, NULL, at };

	return with_file(l, at, path, include_steps, &a);
}

int lint_include_with(struct lint *l, struct step *s, const struct ynode *at, const char *path,
		      const struct ynode *with)
{
	struct inc_arg a = { s, with, at };

	if (with && with->type != YN_MAP) {
		lint_err(l, with, "include: 'with' maps parameter names to values");
		return ST_ERR_PARSE;
	}
	return with_file(l, at, path, include_steps, &a);
}

static int find_gdef(const struct lint *l, const char *name)
{
	for (int i = 0; i < l->n_gdefs; i++)
		if (!strcmp(l->gdefs[i].name, name))
			return i;
	return -1;
}

int lint_group_use(struct lint *l, struct step *s, const struct ynode *at, const char *name,
		   const struct ynode *with)
{
	int g = find_gdef(l, name), ret;
	char whose[96], inst[160], saved[sizeof(l->instance)];
	const struct ynode *body;

	if (g < 0) {
		if (with)
			for (int i = 0; i < l->seq->n_groups; i++)
				if (!strcmp(l->seq->groups[i].name, name))
					lint_err(l, with, "group: group '%s' has no parameters: drop "
						 "'with', or declare them ({params: ..., steps: "
						 "[...]})", name);
		s->borrowed = true;
		return lint_group(l, at, name, &s->children);
	}
	if (l->gdefs[g].expanding) {
		lint_err(l, at, "group '%s' runs itself (through the groups it runs): a cycle", name);
		return ST_ERR_PARSE;
	}
	l->gdefs[g].uses++;
	snprintf(whose, sizeof(whose), "group '%s'", name);
	body = lint_params_bind(l, l->gdefs[g].params, with, l->gdefs[g].steps, at, "group", whose,
				inst, sizeof(inst));
	if (!body)
		return ST_ERR_PARSE;
	name_instance(s, inst);
	snprintf(saved, sizeof(saved), "%s", l->instance);
	set_instance(l, name, inst, at);
	l->gdefs[g].expanding = true;
	ret = lint_steps(l, body, &s->children);
	l->gdefs[find_gdef(l, name)].expanding = false; /* gdefs may have grown */
	snprintf(l->instance, sizeof(l->instance), "%s", saved);
	return ret;
}

/* A group no step runs is checked too: its parameters stand for their
 * defaults, else their own names. */
static void check_unused_groups(struct lint *l)
{
	for (int i = 0; i < l->n_gdefs; i++) {
		struct step_list tmp = { 0 };
		const struct ynode *body;

		if (l->gdefs[i].uses || !l->gdefs[i].steps)
			continue;
		body = lint_params_samples(l, l->gdefs[i].params, l->gdefs[i].steps);
		l->sampling = l->gdefs[i].params;
		l->gdefs[i].expanding = true;
		l->in_group++;
		lint_steps(l, body, &tmp);
		l->in_group--;
		l->gdefs[i].expanding = false;
		l->sampling = NULL;
		list_free(&tmp);
	}
}

int lint_group(struct lint *l, const struct ynode *at, const char *name, struct step_list *out)
{
	const struct sequence *s = l->seq;

	for (int i = 0; i < s->n_groups; i++)
		if (!strcmp(s->groups[i].name, name)) {
			/* Borrowed: the group owns its steps. */
			out->v = malloc(((size_t)s->groups[i].steps.n + 1) * sizeof(*out->v));
			if (!out->v)
				return ST_ERR_NOMEM;
			if (s->groups[i].steps.n) /* an empty group has no array */
				memcpy(out->v, s->groups[i].steps.v,
				       (size_t)s->groups[i].steps.n * sizeof(*out->v));
			out->n = s->groups[i].steps.n;
			return ST_OK;
		}
	lint_err(l, at, "no group named '%s': define it under 'groups:' or in an included file",
		 name);
	return ST_ERR_NOTFOUND;
}

static const char *const group_def_keys[] = { "params", "steps", NULL };

/* NAME: {params: ..., steps: [...]}: expanded where a step runs it. */
static void define_group(struct lint *l, const struct ynode *key, const struct ynode *def)
{
	const struct ynode *steps = ynode_get(def, "steps");
	struct lint_gdef *v;

	lint_keys(l, def, group_def_keys, "a group");
	lint_params_check(l, ynode_get(def, "params"), false);
	if (!steps || steps->type != YN_SEQ || steps->n == 0) {
		lint_err(l, steps ? steps : def, "group '%s': 'steps' must be a list of at least "
			 "one step", key->str);
		steps = NULL;
	}
	v = realloc(l->gdefs, (size_t)(l->n_gdefs + 1) * sizeof(*v));
	if (!v)
		return;
	l->gdefs = v;
	v[l->n_gdefs++] = (struct lint_gdef){ .name = key->str, .at = key,
					      .params = ynode_get(def, "params"), .steps = steps };
}

static void parse_groups(struct lint *l, const struct ynode *g)
{
	struct sequence *s = l->seq;

	if (!g)
		return;
	if (g->type != YN_MAP) {
		lint_err(l, g, "'groups' must map group names to lists of steps");
		return;
	}
	l->in_group++;
	for (int i = 0; i < g->n; i++) {
		struct seq_group *ng;
		bool dup = false;

		for (int j = 0; j < s->n_groups; j++)
			dup |= !strcmp(s->groups[j].name, g->keys[i]->str);
		if (dup || find_gdef(l, g->keys[i]->str) >= 0) {
			lint_err(l, g->keys[i], "group '%s' is defined twice", g->keys[i]->str);
			continue;
		}
		if (g->items[i]->type == YN_MAP) {
			define_group(l, g->keys[i], g->items[i]);
			continue;
		}
		ng = realloc(s->groups, (size_t)(s->n_groups + 1) * sizeof(*ng));
		if (!ng)
			break;
		s->groups = ng;
		memset(&ng[s->n_groups], 0, sizeof(*ng));
		ng[s->n_groups].name = strdup(g->keys[i]->str);
		if (g->items[i]->type == YN_SEQ && g->items[i]->n == 0)
			lint_err(l, g->items[i], "group '%s' has no steps (a group that runs nothing "
				 "would pass)", g->keys[i]->str);
		lint_steps(l, g->items[i], &ng[s->n_groups].steps);
		s->n_groups++;
	}
	l->in_group--;
}

static void parse_vars(struct lint *l, const struct ynode *v)
{
	struct sequence *s = l->seq;

	if (!v)
		return;
	if (v->type != YN_MAP) {
		lint_err(l, v, "'vars' must be a mapping of names to values");
		return;
	}
	for (int i = 0; i < v->n; i++) {
		const char *name = v->keys[i]->str;
		struct seq_var *nv;
		if (!lint_ident(l, v->keys[i], name, "variable"))
			continue;
		/* the station's own refusal (trust) says more than "reserved" */
		if (config_var_refused(name)) {
			lint_err(l, v->keys[i], "vars: %s", config_var_refused(name));
			continue;
		}
		if (seq_reserved(name)) {
			lint_err(l, v->keys[i], "variable '%s': ${%s} is set by the run and cannot be "
				 "given under 'vars'; choose another name", name, name);
			continue;
		}
		if (v->items[i]->type != YN_SCALAR) {
			lint_err(l, v->items[i], "variable '%s' must have a text value", name);
			continue;
		}
		/* A variable may use those defined before it. */
		lint_vars(l, v->items[i], v->items[i]->str);
		nv = realloc(s->vars, (size_t)(s->n_vars + 1) * sizeof(*nv));
		if (!nv)
			return;
		s->vars = nv;
		nv[s->n_vars].name = strdup(name);
		/* "name: ~" declares a parameter the station or the run must give */
		nv[s->n_vars].value = lint_is_null(v->items[i]) ? NULL : strdup(v->items[i]->str);
		s->n_vars++;
	}
}

static const char *const limit_keys[] = { "low", "high", "unit", "expect", NULL };

static void parse_limits_map(struct lint *l, const struct ynode *m, void *arg)
{
	struct sequence *s = l->seq;

	(void)arg;
	if (!m || m->type != YN_MAP) {
		lint_err(l, m, "a limits table maps measurement names to {low, high, unit} or {expect}");
		return;
	}
	for (int i = 0; i < m->n; i++) {
		const struct ynode *e = m->items[i];
		struct seq_limit lim = { .low = NAN, .high = NAN };
		struct seq_limit *nl;

		if (e->type != YN_MAP) {
			lint_err(l, e, "limit '%s' must be a mapping such as {low: 3.2, high: 3.4, unit: V}",
				 m->keys[i]->str);
			continue;
		}
		lint_keys(l, e, limit_keys, "a limit");
		lint_num(l, e, "low", false, &lim.low);
		lint_num(l, e, "high", false, &lim.high);
		lint_str(l, e, "unit", false, &lim.unit);
		lint_str(l, e, "expect", false, &lim.expect);
		if (!isnan(lim.low) && !isnan(lim.high) && lim.low > lim.high)
			lint_err(l, e, "limit '%s': low (%g) is greater than high (%g)",
				 m->keys[i]->str, lim.low, lim.high);
		if (isnan(lim.low) && isnan(lim.high) && !lim.expect)
			lint_err(l, e, "limit '%s' has neither low/high nor expect", m->keys[i]->str);
		nl = realloc(s->limits, (size_t)(s->n_limits + 1) * sizeof(*nl));
		if (!nl)
			return;
		s->limits = nl;
		lim.name = strdup(m->keys[i]->str);
		nl[s->n_limits++] = lim;
	}
}

static void include_groups(struct lint *l, const struct ynode *root, void *arg)
{
	(void)arg;
	if (!root || root->type != YN_MAP) {
		lint_err(l, root, "an included file must be a mapping with 'groups:'");
		return;
	}
	lint_keys(l, root, inc_keys, "an included file");
	parse_vars(l, ynode_get(root, "vars"));
	include_list(l, ynode_get(root, "include"));
	parse_groups(l, ynode_get(root, "groups"));
}

/* An 'include:' list: files whose groups (and vars) this file uses. */
static void include_list(struct lint *l, const struct ynode *n)
{
	if (n && n->type != YN_SEQ)
		lint_err(l, n, "'include' must be a list of files whose groups this flow uses");
	for (int i = 0; n && n->type == YN_SEQ && i < n->n; i++) {
		if (n->items[i]->type != YN_SCALAR)
			lint_err(l, n->items[i], "an include must be a file name");
		else
			with_file(l, n->items[i], n->items[i]->str, include_groups, NULL);
	}
}

static void parse_top(struct lint *l, const struct ydoc *d)
{
	const struct ynode *r = d->root, *n;
	struct sequence *s = l->seq;

	if (!r || r->type != YN_MAP) {
		/* an empty file has no node to point at: name the file itself */
		struct ynode start = { .file = d->file, .line = 1, .col = 1 };

		lint_err(l, r ? r : &start, "a sequence file must be a mapping with name, version and steps");
		return;
	}
	/* a parameterised steps file linted on its own: each ${param} stands
	 * for its default, else its own name, so names and patterns holding it
	 * are checked as they will be once bound */
	if (l->library && ynode_get(r, "params")) {
		l->sampling = ynode_get(r, "params");
		r = lint_params_samples(l, l->sampling, r);
	}
	lint_keys(l, r, top_keys, "a sequence");
	lint_str(l, r, "name", true, &s->name);
	lint_str(l, r, "version", true, &s->version);
	lint_str(l, r, "description", false, NULL);
	n = ynode_get(r, "params");
	if (n && !l->library)
		lint_err(l, n, "'params' belong to a steps file another flow includes (with: ...); "
			 "a flow run on its own takes values as vars with 'name: ~'");
	else if (n)
		lint_params_check(l, n, true);
	parse_vars(l, ynode_get(r, "vars"));
	include_list(l, ynode_get(r, "include"));
	n = ynode_get(r, "limits");
	l->has_limits = n != NULL;
	if (n && n->type == YN_SCALAR)
		with_file(l, n, n->str, parse_limits_map, NULL);
	else if (n)
		parse_limits_map(l, n, NULL);
	parse_groups(l, ynode_get(r, "groups"));
	lint_steps(l, ynode_get(r, "setup"), &s->setup);
	lint_steps(l, ynode_get(r, "steps"), &s->steps);
	n = ynode_get(r, "steps");
	if (!n && !(l->library && ynode_get(r, "groups")))
		lint_err(l, r, "missing 'steps': a sequence needs at least one step");
	else if (n && n->type == YN_SEQ && n->n == 0)
		lint_err(l, n, "'steps' is empty: a sequence needs at least one step (a unit "
			 "that runs nothing must not pass)");
	lint_steps(l, ynode_get(r, "teardown"), &s->teardown);
	l->sampling = NULL;
	check_unused_groups(l);
	lint_check_deferred(l);
}

static int load(struct sequence **out, const char *path, const char *const *extra_vars,
		const struct vars *given, bool library, char **errors, char **note,
		struct st_error *e);

int sequence_load(struct sequence **out, const char *path, const char *const *extra_vars,
		  char **errors, struct st_error *e)
{
	return sequence_load_given(out, path, extra_vars, NULL, errors, e);
}

int sequence_load_given(struct sequence **out, const char *path, const char *const *extra_vars,
			const struct vars *given, char **errors, struct st_error *e)
{
	return load(out, path, extra_vars, given, false, errors, NULL, e);
}

int sequence_lint_file(struct sequence **out, const char *path, const char *const *extra_vars,
		       const struct vars *given, char **errors, char **note, struct st_error *e)
{
	return load(out, path, extra_vars, given, true, errors, note, e);
}

static int load(struct sequence **out, const char *path, const char *const *extra_vars,
		const struct vars *given, bool library, char **errors, char **note,
		struct st_error *e)
{
	struct lint l = { .extra_vars = extra_vars, .given = given, .library = library };
	struct ydoc d;
	int ret;

	*out = NULL;
	if (errors)
		*errors = NULL;
	if (note)
		*note = NULL;
	ret = ydoc_load(&d, path, e);
	if (ret < 0) {
		/* the one problem goes in *errors (a line, as lint prints it);
		 * e->msg only summarises, so a caller printing both says it once */
		if (errors && asprintf(errors, "%s\n", e->msg) < 0)
			*errors = NULL;
		if (errors && *errors && ret == ST_ERR_PARSE)
			st_fail(e, ret, "%s: 1 problem found", path);
		return ret;
	}
	l.seq = calloc(1, sizeof(*l.seq));
	if (!l.seq) {
		ydoc_free(&d);
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	}
	l.seq->file = strdup(path);
	sha256_hex(d.bytes, d.len, l.seq->sha256);
	l.stack[l.depth++] = realpath(path, NULL);
	parse_top(&l, &d);
	lint_free_kept(&l);
	ydoc_free(&d);
	while (l.depth > 0)
		free(l.stack[--l.depth]);
	for (int i = 0; i < l.n_defined; i++)
		free(l.defined[i]);
	free(l.defined);
	if (l.n_errors) {
		st_fail(e, ST_ERR_PARSE, "%s: %d problem%s found", path, l.n_errors,
			l.n_errors == 1 ? "" : "s");
		if (l.errors)
			lint_sort_errors(l.errors);
		if (errors)
			*errors = l.errors;
		else
			free(l.errors);
		sequence_free(l.seq);
		return ST_ERR_PARSE;
	}
	free(l.errors);
	if (note && !l.seq->steps.n && l.seq->n_groups) {
		if (asprintf(note, "groups library") < 0)
			*note = NULL;
	} else if (note && l.deferred_limits[0]) {
		if (asprintf(note, "steps library; limits %s from the including flow",
			     l.deferred_limits) < 0)
			*note = NULL;
	}
	*out = l.seq;
	return ST_OK;
}

void sequence_free(struct sequence *s)
{
	if (!s)
		return;
	list_free(&s->setup);
	list_free(&s->steps);
	list_free(&s->teardown);
	for (int i = 0; i < s->n_groups; i++) {
		free(s->groups[i].name);
		list_free(&s->groups[i].steps);
	}
	for (int i = 0; i < s->n_vars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
	}
	for (int i = 0; i < s->n_limits; i++) {
		free(s->limits[i].name);
		free(s->limits[i].unit);
		free(s->limits[i].expect);
	}
	for (int i = 0; i < s->n_files; i++)
		free(s->files[i].path);
	free(s->groups);
	free(s->vars);
	free(s->limits);
	free(s->files);
	free(s->name);
	free(s->version);
	free(s->file);
	free(s);
}

const struct seq_limit *sequence_limit(const struct sequence *s, const char *name)
{
	for (int i = 0; i < s->n_limits; i++)
		if (!strcmp(s->limits[i].name, name))
			return &s->limits[i];
	return NULL;
}
