/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A sequence (a YAML flow) parsed once into a plain C tree and validated
 * before anything touches a board.  Step kinds are known to the loader and
 * the engine only through one table of {name, parse, run, plan} entries
 * (steps.c), so a new step kind is one new file.
 */
#ifndef ST_STATION_SEQUENCE_H
#define ST_STATION_SEQUENCE_H

#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"
#include "station/ytree.h"

struct run_ctx;
struct step_result;
struct lint;
struct when_expr;
struct vars;

enum on_fail { ONFAIL_ABORT = 0, ONFAIL_CONTINUE, ONFAIL_TEARDOWN };

struct step;

struct step_list {
	struct step **v;
	int n;
};

struct step_kind {
	const char *name;	/* the YAML key that selects it */
	const char *summary;	/* one line, for docs and the JSON schema */
	double default_timeout_s;
	/* Validate cfg and build s->cfg. Report problems with lint_err(); the
	 * return value only says whether s->cfg is usable. */
	int (*parse)(struct step *s, const struct ynode *cfg, struct lint *l);
	/* Run the step.  Its verdict has one channel: r (sr_set() sets the
	 * outcome and the reason together); a step that leaves r->outcome at
	 * DB_PASS passed.  NULL: a group, whose children the engine runs. */
	void (*run)(struct step *s, struct run_ctx *rc, struct step_result *r);
	/* --dry-run: print what the step would do, variables expanded. */
	void (*plan)(const struct step *s, struct run_ctx *rc, FILE *out);
	void (*free_cfg)(void *cfg);
};

struct step {
	char *name;
	char *id;		/* optional: outcome visible as ${<id>.outcome} */
	const struct step_kind *kind;
	void *cfg;
	double timeout_s;
	int retries;
	double retry_delay_s;
	enum on_fail on_fail;
	char *when;		/* condition as written, or NULL */
	struct when_expr *cond;	/* ... parsed at load (station/when.h) */
	char *file;		/* where it was written */
	int line, col;
	struct step_list children; /* group / include */
	bool borrowed;		/* children belong to a named group */
};

struct seq_limit {
	char *name;
	double low, high;	/* NAN when absent */
	char *unit;
	char *expect;		/* string limit, or NULL */
};

struct seq_var {
	char *name;
	char *value;
};

struct seq_file {
	char *path;
	char sha256[65];
};

struct seq_group {
	char *name;
	struct step_list steps;
};

struct sequence {
	char *name;
	char *version;
	char *file;
	char sha256[65];
	struct seq_file *files;		/* includes and limits, for the log */
	int n_files;
	struct seq_var *vars;
	int n_vars;
	struct seq_limit *limits;
	int n_limits;
	struct seq_group *groups;
	int n_groups;
	struct step_list setup, steps, teardown;
};

/* Names that every run defines. */
extern const char *const seq_builtin_vars[];

/*
 * Load and validate. extra_vars (NULL-terminated "name" list) are variables
 * the station config defines. On failure *errors receives every problem
 * found, one "file:line:col: message" per line (caller frees); e->msg
 * summarises.
 */
int sequence_load(struct sequence **out, const char *path, const char *const *extra_vars,
		  char **errors, struct st_error *e);
/*
 * station lint's reading: a file may be a library another flow includes -
 * groups and no steps, or steps whose `limit:` names come from the including
 * flow's table (the file has none).  *note then says so ("groups library",
 * "limits ... from the including flow"); the caller frees it.
 */
int sequence_lint_file(struct sequence **out, const char *path, const char *const *extra_vars,
		       const struct vars *given, char **errors, char **note, struct st_error *e);
/* The same, with the values the station config and --var give (given):
 * every file named through them (an image under ${images}) must be
 * readable now, before a board is touched. */
int sequence_load_given(struct sequence **out, const char *path, const char *const *extra_vars,
			const struct vars *given, char **errors, struct st_error *e);
void sequence_free(struct sequence *s);

/* A path written in a sequence, relative to the file it was written in. */
char *seq_resolve_path(const char *seq_file, const char *path);

const struct seq_limit *sequence_limit(const struct sequence *s, const char *name);

/* The step-kind table (steps.c). */
extern const struct step_kind *const step_kinds[];
const struct step_kind *step_kind_find(const char *name);
/* "lines, flash, ...": every kind of the table, for messages and docs. */
const char *step_kind_list(void);

/* ---- helpers for the kinds' parse functions (lint.c) ------------------- */

void lint_err(struct lint *l, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* names (NULL-terminated), ", "-separated, in buf: whole names, then ", ..."
 * when they do not all fit.  Returns buf. */
const char *lint_join(char *buf, size_t cap, const char *const *names);
/* The word of allowed (NULL-terminated) key is a near miss of, or NULL. */
const char *lint_suggest(const char *key, const char *const *allowed);
/* Check that every key of map is in allowed (NULL-terminated). */
void lint_keys(struct lint *l, const struct ynode *map, const char *const *allowed,
	       const char *what);
/* Typed getters: return false (and report) when present with a wrong type. */
bool lint_str(struct lint *l, const struct ynode *map, const char *key, bool required,
	      char **out);
bool lint_num(struct lint *l, const struct ynode *map, const char *key, bool required,
	      double *out);
bool lint_bool(struct lint *l, const struct ynode *map, const char *key, bool *out);
/* `limit: name` that this file cannot resolve and leaves to the flow that
 * includes it (station lint of a library file): true when deferred. */
bool lint_defer_limit(struct lint *l, const char *name);
bool lint_duration(struct lint *l, const struct ynode *n, double *seconds);
/* A POSIX extended regex that compiles; ngroups receives its groups. */
bool lint_regex(struct lint *l, const struct ynode *at, const char *re, int *ngroups);
/* Every ${name} in s is defined at this point of the flow. */
void lint_vars(struct lint *l, const struct ynode *at, const char *s);
/* name is defined at this point of the flow (a run name, a var, a capture). */
bool lint_is_defined(struct lint *l, const char *name);
/* The step defines a variable from here on. */
void lint_define(struct lint *l, const char *name);
/* A name the author chose (what: "variable", "capture", "measurement",
 * "id") is an identifier (vars.h); false (and reported) when not. */
bool lint_ident(struct lint *l, const struct ynode *at, const char *name, const char *what);
/* A capture/prompt variable: an identifier, not a name the run defines
 * (seq_builtin_vars); then defined from here on. */
void lint_capture(struct lint *l, const struct ynode *at, const char *name, const char *what);
/* seq_builtin_vars holds name. */
bool seq_reserved(const char *name);
/* A file named by the sequence (after expanding ${...} with the defaults)
 * exists and is readable; path resolved relative to the sequence file. */
void lint_file(struct lint *l, const struct ynode *at, const char *path);
/* Resolve a step list (YAML list of steps) - used by group/include. */
int lint_steps(struct lint *l, const struct ynode *list, struct step_list *out);
/*
 * One pass of a loop (foreach, repeat) or one use of a parameterised
 * include: a group step named "<name> [<var>=<value>]" (run and logged as a
 * group) whose children are the steps of list with every ${var} replaced by
 * value, checked like any steps.  NULL when out of memory.
 */
struct step *lint_bound_steps(struct lint *l, const struct step *parent, const struct ynode *list,
			      const char *var, const char *value);
/* A loop variable or a parameter (what): an identifier that names nothing
 * yet. */
bool lint_bound_name(struct lint *l, const struct ynode *at, const char *name, const char *what);
/* Include another file's steps (s's children) / look up a named group. */
int lint_include(struct lint *l, struct step *s, const struct ynode *at, const char *path);
int lint_group(struct lint *l, const struct ynode *at, const char *name, struct step_list *out);
/* Include with parameters: `with` maps the file's `params:` to values,
 * bound in the included steps only; s is named after the instance. */
int lint_include_with(struct lint *l, struct step *s, const struct ynode *at, const char *path,
		      const struct ynode *with);
/* Run a named group: one without parameters is shared (s borrows its
 * steps); one with (lint_params.c) is expanded here, `with` and its
 * defaults bound, and s named after the instance. */
int lint_group_use(struct lint *l, struct step *s, const struct ynode *at, const char *name,
		   const struct ynode *with);
const struct sequence *lint_sequence(struct lint *l);

#endif
