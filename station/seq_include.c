/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a sequence, the other files and the groups: included files (a
 * steps file with its parameters bound, or the groups and vars of a
 * library), the include stack that refuses cycles, each file's SHA-256 for
 * the log; groups, plain or with parameters, expanded where a step runs
 * them, and those no step runs checked too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "station/lint.h"

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

static bool on_stack(struct lint *l, const char *path)
{
	for (int i = 0; i < l->depth; i++)
		if (!strcmp(l->stack[i], path))
			return true;
	return false;
}

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
int seq_with_file(struct lint *l, const struct ynode *at, const char *path,
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
	seq_parse_vars(l, ynode_get(root, "vars"));
	seq_include_list(l, ynode_get(root, "include"));
	seq_parse_groups(l, ynode_get(root, "groups"));
	if (!ynode_get(root, "steps"))
		lint_err(l, root, "included as steps, but the file has no 'steps:' list");
	lint_steps(l, ynode_get(root, "steps"), &a->s->children);
	snprintf(l->instance, sizeof(l->instance), "%s", saved);
}

int lint_include(struct lint *l, struct step *s, const struct ynode *at, const char *path)
{
	struct inc_arg a = { s, NULL, at };

	return seq_with_file(l, at, path, include_steps, &a);
}

int lint_include_with(struct lint *l, struct step *s, const struct ynode *at, const char *path,
		      const struct ynode *with)
{
	struct inc_arg a = { s, with, at };

	if (with && with->type != YN_MAP) {
		lint_err(l, with, "include: 'with' maps parameter names to values");
		return ST_ERR_PARSE;
	}
	return seq_with_file(l, at, path, include_steps, &a);
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
void seq_check_unused_groups(struct lint *l)
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
		seq_list_free(&tmp);
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
	{
		/* a near miss named (the groups' names and the parameterised
		 * ones', NULL-terminated) */
		const char **names = calloc((size_t)(s->n_groups + l->n_gdefs) + 1, sizeof(*names));
		const char *near = NULL;

		for (int i = 0; names && i < s->n_groups; i++)
			names[i] = s->groups[i].name;
		for (int i = 0; names && i < l->n_gdefs; i++)
			names[s->n_groups + i] = l->gdefs[i].name;
		if (names)
			near = lint_suggest(name, names);
		if (near)
			lint_err(l, at, "no group named '%s' (did you mean '%s'?)", name, near);
		else
			lint_err(l, at, "no group named '%s': define it under 'groups:' or in an "
				 "included file", name);
		free(names);
	}
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

void seq_parse_groups(struct lint *l, const struct ynode *g)
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

static void include_groups(struct lint *l, const struct ynode *root, void *arg)
{
	(void)arg;
	if (!root || root->type != YN_MAP) {
		lint_err(l, root, "an included file must be a mapping with 'groups:'");
		return;
	}
	lint_keys(l, root, inc_keys, "an included file");
	seq_parse_vars(l, ynode_get(root, "vars"));
	seq_include_list(l, ynode_get(root, "include"));
	seq_parse_groups(l, ynode_get(root, "groups"));
}

/* An 'include:' list: files whose groups (and vars) this file uses. */
void seq_include_list(struct lint *l, const struct ynode *n)
{
	if (n && n->type != YN_SEQ)
		lint_err(l, n, "'include' must be a list of files whose groups this flow uses");
	for (int i = 0; n && n->type == YN_SEQ && i < n->n; i++) {
		if (n->items[i]->type != YN_SCALAR)
			lint_err(l, n->items[i], "an include must be a file name");
		else
			seq_with_file(l, n->items[i], n->items[i]->str, include_groups, NULL);
	}
}
