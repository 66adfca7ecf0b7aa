/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation helpers shared by the loader and the step kinds.  Problems are
 * collected, never fatal on the first: an author fixes a file in one pass.
 */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station/lint.h"
#include "station/vars.h"

/* The same message at the same place is already collected (whatever
 * instance it was found in). */
static bool said_before(const struct lint *l, const struct ynode *at, const char *msg)
{
	char head[512];
	size_t hl;

	if (!l->errors || !at)
		return false;
	hl = (size_t)snprintf(head, sizeof(head), "%s:%d:%d: ", at->file, at->line, at->col);
	for (const char *p = l->errors; hl < sizeof(head) && (p = strstr(p, head)); p += hl) {
		const char *m = p + hl, *nl = strchr(m, '\n');

		size_t ml = strlen(msg);

		if ((p == l->errors || p[-1] == '\n') && nl && (size_t)(nl - m) >= ml &&
		    !strncmp(m, msg, ml) && (m[ml] == '\n' || !strncmp(m + ml, " (in ", 5)))
			return true;
	}
	return false;
}

void lint_err(struct lint *l, const struct ynode *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (said_before(l, at, msg))
		return; /* a group's steps checked once per use: said once */
	/* found in an instance: say which (the place is its definition) */
	if (l->instance[0])
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " (in %s)", l->instance);
	l->n_errors++;
	if (l->n_errors > 200)
		return; /* a binary file fed as YAML: enough said */
	n = snprintf(NULL, 0, "%s:%d:%d: %s\n", at ? at->file : "?", at ? at->line : 0,
		     at ? at->col : 0, msg);
	if (l->len + (size_t)n + 1 > l->cap) {
		size_t cap = (l->cap + (size_t)n + 1) * 2;
		char *p = realloc(l->errors, cap);

		if (!p)
			return;
		l->errors = p;
		l->cap = cap;
	}
	snprintf(l->errors + l->len, l->cap - l->len, "%s:%d:%d: %s\n", at ? at->file : "?",
		 at ? at->line : 0, at ? at->col : 0, msg);
	l->len += (size_t)n;
}

/* Optimal string alignment distance, capped: small words only. */
static int edit_distance(const char *a, const char *b)
{
	int d[33][33];
	size_t n = strlen(a), m = strlen(b);

	if (n > 32 || m > 32)
		return 99;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	return d[n][m];
}

/* a and b hold the same digits in the same order */
static bool same_digits(const char *a, const char *b)
{
	for (;; a++, b++) {
		while (*a && !isdigit((unsigned char)*a))
			a++;
		while (*b && !isdigit((unsigned char)*b))
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
	}
}

const char *lint_suggest(const char *key, const char *const *allowed)
{
	/* A near miss (one edit: a letter wrong, missing, extra or two swapped;
	 * two for longer words, or a prefix) is worth naming as a hint. */
	const char *best = NULL;
	int best_d = 99;

	for (int i = 0; allowed[i]; i++) {
		size_t a = strlen(key), b = strlen(allowed[i]);
		int d = edit_distance(key, allowed[i]), max = b >= 6 ? 2 : 1;

		if (a + 1 == b && !strncmp(key, allowed[i], a))
			d = 1;
		/* a number changed names another thing (rail_9v9 is not a
		 * misspelt rail_3v3) */
		if (d <= max && d < best_d && same_digits(key, allowed[i])) {
			best = allowed[i];
			best_d = d;
		}
	}
	return best;
}

const char *lint_join(char *buf, size_t cap, const char *const *names)
{
	static const char more[] = ", ...";
	size_t len = 0;
	int i;

	/* whole names only, with room kept for ", ..." should the next not fit */
	for (i = 0; names[i]; i++) {
		const char *sep = i ? ", " : "";

		if (len + strlen(sep) + strlen(names[i]) + sizeof(more) > cap)
			break;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, names[i]);
	}
	if (cap >= sizeof(more))
		snprintf(buf + len, cap - len, "%s", names[i] ? more + (len ? 0 : 2) : "");
	else if (cap)
		buf[0] = '\0';
	return buf;
}

void lint_keys(struct lint *l, const struct ynode *map, const char *const *allowed,
	       const char *what)
{
	char list[512];

	if (!map || map->type != YN_MAP)
		return;
	lint_join(list, sizeof(list), allowed);
	for (int i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->str;
		bool ok = false;

		for (int j = 0; allowed[j] && !ok; j++)
			ok = !strcmp(k, allowed[j]);
		if (ok)
			continue;
		const char *s = lint_suggest(k, allowed);
		if (s)
			lint_err(l, map->keys[i], "unknown key '%s' in %s (did you mean '%s'?)", k,
				 what, s);
		else
			lint_err(l, map->keys[i], "unknown key '%s' in %s (allowed: %s)", k, what,
				 list);
	}
}

bool lint_str(struct lint *l, const struct ynode *map, const char *key, bool required,
	      char **out)
{
	const struct ynode *n = ynode_get(map, key);

	if (!n) {
		if (required)
			lint_err(l, map, "missing '%s'", key);
		return !required;
	}
	if (n->type != YN_SCALAR) {
		lint_err(l, n, "'%s' must be a text value, not %s", key, ynode_type_name(n));
		return false;
	}
	if (out) {
		free(*out);
		*out = strdup(n->str);
	}
	return true;
}

bool lint_num(struct lint *l, const struct ynode *map, const char *key, bool required,
	      double *out)
{
	const struct ynode *n = ynode_get(map, key);
	char *end;
	double v;

	if (!n) {
		if (required)
			lint_err(l, map, "missing '%s'", key);
		return !required;
	}
	if (n->type != YN_SCALAR || !n->plain) {
		lint_err(l, n, "'%s' must be a number, not %s", key,
			 n->type == YN_SCALAR ? "quoted text" : ynode_type_name(n));
		return false;
	}
	v = strtod(n->str, &end);
	if (end == n->str || *end || !isfinite(v)) {
		/* hex addresses are numbers too */
		if (!strncmp(n->str, "0x", 2) || !strncmp(n->str, "0X", 2)) {
			v = (double)strtoull(n->str, &end, 16);
			if (*end == '\0' && end != n->str + 2)
				goto ok;
		}
		lint_err(l, n, "'%s' must be a number, got '%s'", key, n->str);
		return false;
	}
ok:
	if (out)
		*out = v;
	return true;
}

bool lint_bool(struct lint *l, const struct ynode *map, const char *key, bool *out)
{
	const struct ynode *n = ynode_get(map, key);

	if (!n)
		return true;
	if (n->type == YN_SCALAR && n->plain) {
		if (!strcmp(n->str, "true")) {
			*out = true;
			return true;
		}
		if (!strcmp(n->str, "false")) {
			*out = false;
			return true;
		}
	}
	/* YAML 1.2: yes/no/on/off are text, and a JSON-schema editor says so */
	lint_err(l, n, "'%s' must be true or false, not '%s'", key,
		 n->type == YN_SCALAR ? n->str : ynode_type_name(n));
	return false;
}

bool lint_defer_limit(struct lint *l, const char *name)
{
	size_t n = strlen(l->deferred_limits);

	if (lint_sampled(l, name))
		return true; /* named after a parameter standing for its own name */
	if (!l->library || l->has_limits)
		return false;
	snprintf(l->deferred_limits + n, sizeof(l->deferred_limits) - n, "%s%s", n ? ", " : "",
		 name);
	return true;
}

bool lint_duration(struct lint *l, const struct ynode *n, double *seconds)
{
	char *end;
	double v;

	if (!n)
		return true;
	if (n->type != YN_SCALAR)
		goto bad;
	v = strtod(n->str, &end);
	if (end == n->str || v < 0 || !isfinite(v))
		goto bad;
	if (!strcmp(end, "ms"))
		v /= 1000.0;
	else if (!strcmp(end, "min"))
		v *= 60.0;
	else if (!strcmp(end, "h"))	/* a soak's hours; the limit says 24h */
		v *= 3600.0;
	else if (*end && strcmp(end, "s"))
		goto bad;
	if (v > LINT_DURATION_MAX_S) {
		lint_err(l, n, "duration '%s' is over the limit of 24h", n->str);
		return false;
	}
	*seconds = v;
	return true;
bad:
	lint_err(l, n, "expected a duration such as 5, 2.5s, 500ms, 1min or 2h, got '%s'",
		 n->type == YN_SCALAR ? n->str : ynode_type_name(n));
	return false;
}

#define RE_NODES_MAX 2000
#define RE_DEPTH_MAX 32

/* Bracket expression at p ('['): the index just past its ']'. */
static size_t re_skip_bracket(const char *p, size_t i)
{
	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	while (p[i] && p[i] != ']')
		i++;
	return p[i] ? i + 1 : i;
}

/*
 * An upper bound on the nodes glibc's regcomp builds: it copies the operand
 * of '+' and of {m,n} once per repetition, so nested or stacked repeats
 * grow exponentially ("(a+)+" ... or "a++++") and a short pattern can take
 * gigabytes.  Each atom counts 1, a group the sum of its contents, and a
 * repeat multiplies its operand.
 */
static double re_cost(const char *p)
{
	double acc[RE_DEPTH_MAX + 1] = { 0 }, last = 0;
	bool rep = false;	/* the last token was a repeat */
	int d = 0;

	for (size_t i = 0; p[i]; ) {
		char c = p[i];

		/* Stacked repeats ("a**", "a+*") are undefined in POSIX EREs, and
		 * glibc's epsilon closures over them take seconds to minutes. */
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			if (rep)
				return 1e300;
			rep = true;
		} else {
			rep = false;
		}

		if (c == '(' && d < RE_DEPTH_MAX) {
			acc[++d] = 0;
			last = 0;
			i++;
			continue;
		}
		if (c == ')' && d > 0) {
			last = acc[d--];
			acc[d] += last;
			i++;
			continue;
		}
		if (c == '+' || c == '{') {
			double f = 2;

			if (c == '{') {
				char *end;
				long m = strtol(p + i + 1, &end, 10), n = m;

				if (*end == ',')
					n = end[1] == '}' ? m + 1 : strtol(end + 1, &end, 10);
				f = (double)(m > n ? m : n) + 1;
				while (p[i] && p[i] != '}')
					i++;
			}
			acc[d] += last * (f - 1);
			last *= f;
			i += p[i] ? 1 : 0;
			continue;
		}
		if (c == '*' || c == '?' || c == '|' || c == '^' || c == '$') {
			i++;
			continue;
		}
		i = c == '[' ? re_skip_bracket(p, i) : i + (c == '\\' && p[i + 1] ? 2 : 1);
		last = 1;
		acc[d] += 1;
	}
	while (d > 0) {
		acc[d - 1] += acc[d];
		d--;
	}
	return acc[0];
}

bool lint_regex(struct lint *l, const struct ynode *at, const char *re, int *ngroups)
{
	regex_t rx;
	int ret;

	if (re_cost(re) > RE_NODES_MAX) {
		lint_err(l, at, "regular expression '%.60s%s' repeats too much to compile safely "
			 "(nested or stacked repeats): simplify it", re,
			 strlen(re) > 60 ? "..." : "");
		return false;
	}
	/* POSIX EREs have no \d: glibc reads it as the letter d */
	for (const char *p = re; *p; p++)
		if (p[0] == '\\' && (p[1] == 'd' || p[1] == 'D')) {
			lint_err(l, at, "regular expression '%s': '\\%c' is not POSIX extended syntax; "
				 "write %s", re, p[1], p[1] == 'd' ? "[0-9]" : "[^0-9]");
			return false;
		} else if (p[0] == '\\' && p[1]) {
			p++;
		}
	ret = regcomp(&rx, re, REG_EXTENDED);
	if (ret) {
		char msg[256];

		regerror(ret, &rx, msg, sizeof(msg));
		lint_err(l, at, "bad regular expression '%s': %s (POSIX extended syntax)", re,
			 msg);
		return false;
	}
	if (ngroups)
		*ngroups = (int)rx.re_nsub;
	regfree(&rx);
	return true;
}

bool lint_is_defined(struct lint *l, const char *name)
{
	for (int i = 0; seq_builtin_vars[i]; i++)
		if (!strcmp(seq_builtin_vars[i], name))
			return true;
	for (int i = 0; l->extra_vars && l->extra_vars[i]; i++)
		if (!strcmp(l->extra_vars[i], name))
			return true;
	for (int i = 0; i < l->seq->n_vars; i++)
		if (!strcmp(l->seq->vars[i].name, name))
			return true;
	for (int i = 0; i < l->n_defined; i++)
		if (!strcmp(l->defined[i], name))
			return true;
	return false;
}

static void check_ref(struct lint *l, const struct ynode *at, const char *name)
{
	if (l->in_group) {
		struct lint_ref *r = realloc(l->deferred, (size_t)(l->n_deferred + 1) * sizeof(*r));

		if (!r)
			return;
		l->deferred = r;
		r[l->n_deferred].name = strdup(name);
		r[l->n_deferred].file = strdup(at->file);
		r[l->n_deferred].line = at->line;
		r[l->n_deferred].col = at->col;
		l->n_deferred++;
		return;
	}
	if (!lint_is_defined(l, name))
		lint_err(l, at, "undefined variable '${%s}': define it under 'vars:', in the station config, or capture it in an earlier step",
			 name);
}

void lint_vars(struct lint *l, const struct ynode *at, const char *s)
{
	char name[VARS_NAME_MAX];
	const char *p = s;
	int ret;

	while ((ret = vars_next_ref(&p, name, sizeof(name))) != 0) {
		if (ret < 0) {
			lint_err(l, at, "bad variable reference in '%s': write ${name} with letters, digits, '_', '-' or '.'",
				 s);
			return;
		}
		check_ref(l, at, name);
	}
}

void lint_check_deferred(struct lint *l)
{
	for (int i = 0; i < l->n_deferred; i++) {
		struct lint_ref *r = &l->deferred[i];
		struct ynode at = { .file = r->file, .line = r->line, .col = r->col };

		if (!lint_is_defined(l, r->name))
			lint_err(l, &at, "undefined variable '${%s}': define it under 'vars:', in the station config, or capture it in a step",
				 r->name);
		free(r->name);
		free(r->file);
	}
	free(l->deferred);
	l->deferred = NULL;
	l->n_deferred = 0;
}

void lint_define(struct lint *l, const char *name)
{
	char **d;

	if (lint_is_defined(l, name))
		return;
	d = realloc(l->defined, (size_t)(l->n_defined + 1) * sizeof(*d));
	if (!d)
		return;
	l->defined = d;
	l->defined[l->n_defined++] = strdup(name);
}

bool lint_ident(struct lint *l, const struct ynode *at, const char *name, const char *what)
{
	if (vars_is_ident(name))
		return true;
	lint_err(l, at, "bad %s name '%s': a name starts with a letter or '_', then letters, "
		 "digits, '_' or '-', parts joined by '.' (e.g. rail_3v3, diag.version), at most "
		 "%d characters", what, name, VARS_NAME_MAX - 1);
	return false;
}

void lint_capture(struct lint *l, const struct ynode *at, const char *name, const char *what)
{
	if (!lint_ident(l, at, name, what))
		return;
	if (seq_reserved(name)) {
		lint_err(l, at, "%s '%s': ${%s} is set by the run and cannot be replaced; choose "
			 "another name", what, name, name);
		return;
	}
	lint_define(l, name);
}

/* Expand path with the values given (station config, --var) and the
 * sequence's own defaults; NULL when it needs a value only the run will
 * give (${serial}, a capture). */
char *lint_expand_path(struct lint *l, const char *path)
{
	struct vars vs;
	char *out = NULL;

	vars_init(&vs);
	/* what the station config and --var give wins over the defaults */
	for (int i = 0; l->given && i < l->given->n; i++)
		vars_set(&vs, l->given->v[i].name, l->given->v[i].value);
	for (int i = 0; i < l->seq->n_vars; i++) {
		char *v = NULL;

		if (vars_get(&vs, l->seq->vars[i].name))
			continue;
		if (l->seq->vars[i].value && vars_expand(&vs, l->seq->vars[i].value, &v, NULL) == ST_OK) {
			vars_set(&vs, l->seq->vars[i].name, v);
			free(v);
		}
	}
	if (vars_expand(&vs, path, &out, NULL) < 0)
		out = NULL;
	vars_free(&vs);
	return out;
}

void lint_file(struct lint *l, const struct ynode *at, const char *path)
{
	char *full, *exp = lint_expand_path(l, path);

	/* Paths that need run-time variables are checked again when the step
	 * runs, before anything is written to the board. */
	if (!exp || lint_sampled(l, exp)) {
		free(exp);
		return;
	}
	full = seq_resolve_path(at->file, exp);
	if (full && access(full, R_OK) != 0)
		lint_err(l, at, "cannot read '%s' (resolved to %s): check the path, relative to the sequence file",
			 exp, full);
	free(full);
	free(exp);
}

const struct sequence *lint_sequence(struct lint *l)
{
	return l->seq;
}
