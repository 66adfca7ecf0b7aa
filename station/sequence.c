/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a sequence file: the top level (name, version, vars, limits,
 * include, groups, setup/steps/teardown).  The keys every step shares are
 * read in seq_steps.c, other files and groups in seq_include.c.
 */
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "station/config.h"
#include "station/lint.h"

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

void seq_parse_vars(struct lint *l, const struct ynode *v)
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
	seq_parse_vars(l, ynode_get(r, "vars"));
	seq_include_list(l, ynode_get(r, "include"));
	n = ynode_get(r, "limits");
	l->has_limits = n != NULL;
	if (n && n->type == YN_SCALAR)
		seq_with_file(l, n, n->str, parse_limits_map, NULL);
	else if (n)
		parse_limits_map(l, n, NULL);
	seq_parse_groups(l, ynode_get(r, "groups"));
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
	seq_check_unused_groups(l);
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
	seq_list_free(&s->setup);
	seq_list_free(&s->steps);
	seq_list_free(&s->teardown);
	for (int i = 0; i < s->n_groups; i++) {
		free(s->groups[i].name);
		seq_list_free(&s->groups[i].steps);
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
