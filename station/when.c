/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `when` conditions: a recursive-descent parser into a tree, and its
 * evaluation on values (when.h).  The grammar (docs/sequences.md):
 *
 *   expr    := and ( "or" and )*
 *   and     := unary ( "and" unary )*
 *   unary   := "not" unary | compare
 *   compare := operand [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand ]
 *            | "(" expr ")"
 *   operand := "${" name "}" | '"' text '"' | "'" text "'" | word
 *   word    := [A-Za-z0-9_.+-]+ (not "and", "or", "not")
 *
 * A lone operand holds when its value is not empty, "0", "false" or "no".
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/when.h"

#define WHEN_MAX_DEPTH 32
#define WHEN_MAX_TEXT 1024

enum wop { W_VAR, W_LIT, W_EQ, W_NE, W_LT, W_LE, W_GT, W_GE, W_AND, W_OR, W_NOT };

struct when_expr {
	enum wop op;
	char *s;		/* W_VAR: the name; W_LIT: the text */
	struct when_expr *a, *b;
};

struct wparser {
	const char *text, *p;
	int depth;
	struct st_error *e;
	int col;		/* where the first error is */
};

static int perr(struct wparser *w, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int perr(struct wparser *w, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (w->col)
		return ST_ERR_PARSE;
	w->col = (int)(at - w->text) + 1;
	va_start(ap, fmt);
	if (w->e) {
		vsnprintf(w->e->msg, sizeof(w->e->msg), fmt, ap);
		w->e->code = ST_ERR_PARSE;
	}
	va_end(ap);
	return ST_ERR_PARSE;
}

static struct when_expr *node(enum wop op, char *s, struct when_expr *a, struct when_expr *b)
{
	struct when_expr *n = calloc(1, sizeof(*n));

	if (!n) {
		free(s);
		when_free(a);
		when_free(b);
		return NULL;
	}
	n->op = op;
	n->s = s;
	n->a = a;
	n->b = b;
	return n;
}

void when_free(struct when_expr *w)
{
	if (!w)
		return;
	when_free(w->a);
	when_free(w->b);
	free(w->s);
	free(w);
}

static void skip_ws(struct wparser *w)
{
	while (*w->p == ' ' || *w->p == '\t')
		w->p++;
}

static bool word_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '+' || c == '-';
}

/* The keyword kw at the cursor, as a whole word. */
static bool keyword(struct wparser *w, const char *kw)
{
	size_t n = strlen(kw);

	skip_ws(w);
	if (strncmp(w->p, kw, n) || word_char((unsigned char)w->p[n]))
		return false;
	w->p += n;
	return true;
}

static int parse_or(struct wparser *w, struct when_expr **out);

static int parse_operand(struct wparser *w, struct when_expr **out)
{
	const char *start;
	char *s;

	skip_ws(w);
	start = w->p;
	if (w->p[0] == '$' && w->p[1] == '{') {
		const char *q = w->p + 2;

		while (*q && *q != '}' && (isalnum((unsigned char)*q) || strchr("_.-", *q)))
			q++;
		if (*q != '}')
			return perr(w, q, "a variable reference is ${name}, name made of letters, digits, '_', '-' and '.'");
		if (q == w->p + 2)
			return perr(w, start, "empty variable name in '${}'");
		if (q - (w->p + 2) >= VARS_NAME_MAX)
			return perr(w, start, "variable name longer than %d characters", VARS_NAME_MAX - 1);
		s = strndup(w->p + 2, (size_t)(q - (w->p + 2)));
		w->p = q + 1;
		if (word_char((unsigned char)*w->p) || *w->p == '$') {
			free(s);
			return perr(w, w->p, "text right after '${...}': a variable is a whole operand; compare it with == \"...\"");
		}
		*out = node(W_VAR, s, NULL, NULL);
		return *out ? ST_OK : ST_ERR_NOMEM;
	}
	if (*w->p == '"' || *w->p == '\'') {
		char quote = *w->p;
		const char *q = strchr(w->p + 1, quote);

		if (!q)
			return perr(w, start, "unclosed %c: a quoted text ends with the same quote", quote);
		s = strndup(w->p + 1, (size_t)(q - w->p - 1));
		w->p = q + 1;
		*out = node(W_LIT, s, NULL, NULL);
		return *out ? ST_OK : ST_ERR_NOMEM;
	}
	while (word_char((unsigned char)*w->p))
		w->p++;
	if (w->p == start) {
		if (!*start)
			return perr(w, start, "the condition ends where a value was expected");
		return perr(w, start, "unexpected '%c': expected ${name}, a word, a number or \"text\"",
			    *start);
	}
	s = strndup(start, (size_t)(w->p - start));
	if (s && (!strcmp(s, "and") || !strcmp(s, "or") || !strcmp(s, "not"))) {
		free(s);
		return perr(w, start, "'%.*s' where a value was expected", (int)(w->p - start), start);
	}
	*out = node(W_LIT, s, NULL, NULL);
	return *out ? ST_OK : ST_ERR_NOMEM;
}

static enum wop compare_op(struct wparser *w)
{
	static const struct { const char *t; enum wop op; } ops[] = {
		{ "==", W_EQ }, { "!=", W_NE }, { "<=", W_LE }, { ">=", W_GE },
		{ "<", W_LT }, { ">", W_GT },
	};

	skip_ws(w);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(w->p, ops[i].t, strlen(ops[i].t))) {
			w->p += strlen(ops[i].t);
			return ops[i].op;
		}
	return W_VAR; /* none */
}

static int parse_compare(struct wparser *w, struct when_expr **out)
{
	struct when_expr *a = NULL, *b = NULL;
	enum wop op;
	int ret;

	skip_ws(w);
	if (*w->p == '(') {
		const char *open = w->p++;

		ret = parse_or(w, out);
		if (ret < 0)
			return ret;
		skip_ws(w);
		if (*w->p != ')') {
			when_free(*out);
			*out = NULL;
			return perr(w, *w->p ? w->p : open, *w->p ?
				    "expected ')' or an operator (==, !=, <, <=, >, >=, and, or)" :
				    "'(' is not closed");
		}
		w->p++;
		return ST_OK;
	}
	ret = parse_operand(w, &a);
	if (ret < 0)
		return ret;
	op = compare_op(w);
	if (op == W_VAR) {
		*out = a;
		return ST_OK;
	}
	ret = parse_operand(w, &b);
	if (ret < 0) {
		when_free(a);
		return ret;
	}
	*out = node(op, NULL, a, b);
	if (!*out)
		return ST_ERR_NOMEM;
	if (compare_op(w) != W_VAR) {
		when_free(*out);
		*out = NULL;
		return perr(w, w->p - 1, "comparisons do not chain: write (a < b) and (b < c)");
	}
	return ST_OK;
}

static int parse_unary(struct wparser *w, struct when_expr **out)
{
	struct when_expr *a = NULL;
	int ret;

	if (++w->depth > WHEN_MAX_DEPTH)
		return perr(w, w->p, "nested more than %d deep", WHEN_MAX_DEPTH);
	if (keyword(w, "not")) {
		ret = parse_unary(w, &a);
		if (ret == ST_OK) {
			*out = node(W_NOT, NULL, a, NULL);
			ret = *out ? ST_OK : ST_ERR_NOMEM;
		} else {
			when_free(a);
		}
	} else {
		ret = parse_compare(w, out);
	}
	w->depth--;
	return ret;
}

static int parse_binary(struct wparser *w, struct when_expr **out, const char *kw, enum wop op,
			int (*sub)(struct wparser *, struct when_expr **))
{
	struct when_expr *a = NULL, *b = NULL;
	int ret = sub(w, &a);

	while (ret == ST_OK && keyword(w, kw)) {
		ret = sub(w, &b);
		if (ret < 0)
			break;
		a = node(op, NULL, a, b);
		b = NULL;
		if (!a)
			return ST_ERR_NOMEM;
	}
	if (ret < 0) {
		when_free(a);
		return ret;
	}
	*out = a;
	return ST_OK;
}

static int parse_and(struct wparser *w, struct when_expr **out)
{
	return parse_binary(w, out, "and", W_AND, parse_unary);
}

static int parse_or(struct wparser *w, struct when_expr **out)
{
	return parse_binary(w, out, "or", W_OR, parse_and);
}

int when_parse(const char *text, struct when_expr **out, int *col, struct st_error *e)
{
	struct wparser w = { .text = text, .p = text, .e = e };
	struct when_expr *x = NULL;
	int ret;

	*out = NULL;
	*col = 0;
	if (strlen(text) > WHEN_MAX_TEXT) {
		*col = 1;
		return st_fail(e, ST_ERR_PARSE, "a condition longer than %d characters",
			       WHEN_MAX_TEXT);
	}
	ret = parse_or(&w, &x);
	if (ret == ST_OK) {
		skip_ws(&w);
		if (*w.p) {
			ret = perr(&w, w.p, *w.p == ')' ? "')' without its '('" :
				   "unexpected '%.20s': join conditions with and/or", w.p);
			when_free(x);
			x = NULL;
		}
	}
	if (ret == ST_ERR_NOMEM)
		return st_fail(e, ret, "out of memory");
	*col = w.col;
	*out = x;
	return ret;
}

void when_each_var(const struct when_expr *w, void (*fn)(const char *name, void *arg), void *arg)
{
	if (!w)
		return;
	if (w->op == W_VAR)
		fn(w->s, arg);
	when_each_var(w->a, fn, arg);
	when_each_var(w->b, fn, arg);
}

static int value(const struct when_expr *w, const struct vars *vs, const char **out,
		 struct st_error *e)
{
	if (w->op == W_LIT) {
		*out = w->s;
		return ST_OK;
	}
	*out = vars_get(vs, w->s);
	if (!*out)
		return st_fail(e, ST_ERR_NOTFOUND, "${%s} has no value here (a capture from a step "
			       "that did not run?)", w->s);
	return ST_OK;
}

static bool number(const char *s, double *d)
{
	char *end;

	if (!*s || isspace((unsigned char)*s))
		return false;
	*d = strtod(s, &end);
	return !*end && isfinite(*d);
}

static int compare(const struct when_expr *w, const struct vars *vs, bool *yes,
		   struct st_error *e)
{
	const char *a, *b;
	double x, y;
	bool na, nb;
	int c, ret;

	ret = value(w->a, vs, &a, e);
	if (ret == ST_OK)
		ret = value(w->b, vs, &b, e);
	if (ret < 0)
		return ret;
	na = number(a, &x);
	nb = number(b, &y);
	if (na && nb) {
		c = x < y ? -1 : x > y;
	} else {
		if (w->op != W_EQ && w->op != W_NE && (na || nb)) {
			const struct when_expr *t = na ? w->b : w->a;

			return st_fail(e, ST_ERR_FAIL, "%s%s%s is '%.80s', not a number to compare with %s",
				       t->op == W_VAR ? "${" : "'", t->op == W_VAR ? t->s : "",
				       t->op == W_VAR ? "}" : "'", na ? b : a, na ? a : b);
		}
		c = strcmp(a, b);
	}
	switch (w->op) {
	case W_EQ: *yes = c == 0; break;
	case W_NE: *yes = c != 0; break;
	case W_LT: *yes = c < 0; break;
	case W_LE: *yes = c <= 0; break;
	case W_GT: *yes = c > 0; break;
	default: *yes = c >= 0; break;
	}
	return ST_OK;
}

int when_eval(const struct when_expr *w, const struct vars *vs, bool *yes, struct st_error *e)
{
	const char *v;
	bool b = false;
	int ret;

	switch (w->op) {
	case W_VAR:
	case W_LIT:
		ret = value(w, vs, &v, e);
		if (ret < 0)
			return ret;
		*yes = v[0] && strcmp(v, "0") && strcmp(v, "false") && strcmp(v, "no");
		return ST_OK;
	case W_NOT:
		ret = when_eval(w->a, vs, &b, e);
		*yes = !b;
		return ret;
	case W_AND:
	case W_OR:
		ret = when_eval(w->a, vs, &b, e);
		if (ret < 0)
			return ret;
		/* short-circuit: `${x.outcome} == pass and ${x.value} > 3` */
		if (b == (w->op == W_OR)) {
			*yes = b;
			return ST_OK;
		}
		return when_eval(w->b, vs, yes, e);
	default:
		return compare(w, vs, yes, e);
	}
}
