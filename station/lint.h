/* SPDX-License-Identifier: Apache-2.0 */
/* The loader's private state while it reads and validates a sequence. */
#ifndef ST_STATION_LINT_H
#define ST_STATION_LINT_H

#include "station/sequence.h"
#include "station/vars.h"

#define LINT_MAX_INCLUDE_DEPTH 16
#define LINT_DURATION_MAX_S 86400.0	/* every duration: 0 .. 24h */

struct lint_ref {
	char *name;
	char *file;
	int line, col;
};

/* A named group with parameters: expanded at each use (lint_params.c). */
struct lint_gdef {
	const char *name;
	const struct ynode *at;		/* its key under 'groups:' */
	const struct ynode *params, *steps;
	int uses;
	bool expanding;			/* a use inside its own steps: a cycle */
};

struct lint {
	struct sequence *seq;
	char *errors;
	size_t len, cap;
	int n_errors;
	char **defined;
	int n_defined;
	int in_group;		/* > 0: variable checks deferred to the end */
	struct lint_ref *deferred;
	int n_deferred;
	char *stack[LINT_MAX_INCLUDE_DEPTH]; /* include chain, for cycles */
	int depth;
	const char *const *extra_vars;
	const struct vars *given;	/* values the station/run gives, or NULL */
	bool library;		/* station lint: the file may be a library */
	bool has_limits;	/* the flow has a limits table */
	char deferred_limits[256]; /* library: limit names left to the includer */
	/* parameterised groups point into their files' trees: every tree read
	 * or bound while loading is kept until the load ends */
	struct lint_gdef *gdefs;
	int n_gdefs;
	struct ydoc *docs;
	int n_docs;
	struct ynode **trees;
	int n_trees;
	/* checking steps whose parameters stand for their own names (a library
	 * file, a group no step uses): what depends on a value (a limit's
	 * name, a file) is not judged on a name */
	const struct ynode *sampling;
	/* checking an instance of a group or a steps file with parameters:
	 * "rail-check [rail=3v3] from flow.yaml:12:5", added to messages */
	char instance[256];
};

/* Check the references recorded inside groups, once every capture is known. */
void lint_check_deferred(struct lint *l);

/* path with ${...} expanded by the values known before the run (station
 * config, --var, the sequence's defaults); NULL when one needs a value
 * only the run gives.  The caller frees it. */
char *lint_expand_path(struct lint *l, const char *path);
/* Keep a bound tree until the load ends (lint_free_kept frees them all). */
void lint_keep(struct lint *l, struct ynode *tree);
void lint_free_kept(struct lint *l);
/* YAML null: '', ~, null (plain). */
bool lint_is_null(const struct ynode *n);
/* s holds a sampled parameter (one without a default, standing for its name). */
bool lint_sampled(const struct lint *l, const char *s);

/*
 * Parameters (lint_params.c), of a steps file or a named group: a list of
 * names (each required) or a mapping of names to defaults (~: required).
 * check: each an identifier naming nothing yet; define: lint a library on
 * its own, the names then count as defined.
 */
void lint_params_check(struct lint *l, const struct ynode *params, bool define);
/*
 * A use: with's values and the defaults bound in a copy of body (kept), or
 * body itself when there is nothing to bind; NULL when the use is wrong (a
 * parameter without a value, one not declared: reported at 'at' / the key).
 * what ("include", "group") and whose ("group 'x'", a file) name them in
 * messages.  inst receives the instance, " [rail=3v3, settle=20ms]".
 */
const struct ynode *lint_params_bind(struct lint *l, const struct ynode *params,
				     const struct ynode *with, const struct ynode *body,
				     const struct ynode *at, const char *what, const char *whose,
				     char *inst, size_t cap);
/* body with each parameter bound to its default, else to its own name. */
const struct ynode *lint_params_samples(struct lint *l, const struct ynode *params,
					const struct ynode *body);

/* Put the collected "file:line:col: message" lines in file order (lint_sort.c). */
void lint_sort_errors(char *errors);

/*
 * The loader's own parts (sequence.c, seq_steps.c, seq_include.c).
 */
void seq_list_free(struct step_list *sl);
/* vars: of a flow or an included file */
void seq_parse_vars(struct lint *l, const struct ynode *v);
/* groups: of a flow or an included file */
void seq_parse_groups(struct lint *l, const struct ynode *g);
/* include: files whose groups (and vars) the flow uses */
void seq_include_list(struct lint *l, const struct ynode *n);
/* Load another file (path relative to at's file, ${...} expanded); call fn
 * on its root with the include stack kept (cycles refused). */
int seq_with_file(struct lint *l, const struct ynode *at, const char *path,
		  void (*fn)(struct lint *l, const struct ynode *root, void *arg), void *arg);
/* Check the groups no step runs (their parameters sampled). */
void seq_check_unused_groups(struct lint *l);

#endif
