/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "station/vars.h"

void vars_init(struct vars *vs)
{
	memset(vs, 0, sizeof(*vs));
}

void vars_free(struct vars *vs)
{
	for (int i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	vars_init(vs);
}

static struct var *find(const struct vars *vs, const char *name)
{
	for (int i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].name, name))
			return &vs->v[i];
	return NULL;
}

int vars_set(struct vars *vs, const char *name, const char *value)
{
	struct var *v = find(vs, name);
	char *val = strdup(value ? value : "");

	if (!val)
		return ST_ERR_NOMEM;
	if (v) {
		free(v->value);
		v->value = val;
		return ST_OK;
	}
	if (vs->n == vs->cap) {
		int cap = vs->cap ? vs->cap * 2 : 32;
		struct var *nv = realloc(vs->v, (size_t)cap * sizeof(*nv));

		if (!nv) {
			free(val);
			return ST_ERR_NOMEM;
		}
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n].name = strdup(name);
	if (!vs->v[vs->n].name) {
		free(val);
		return ST_ERR_NOMEM;
	}
	vs->v[vs->n++].value = val;
	return ST_OK;
}

const char *vars_get(const struct vars *vs, const char *name)
{
	const struct var *v = find(vs, name);

	return v ? v->value : NULL;
}

static bool name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

bool vars_name_valid(const char *name, size_t n)
{
	if (n == 0 || n >= VARS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char((unsigned char)name[i]))
			return false;
	return true;
}

bool vars_is_ident(const char *name)
{
	const char *p = name;

	if (strlen(name) >= VARS_NAME_MAX)
		return false;
	for (;;) {
		if (!isalpha((unsigned char)*p) && *p != '_')
			return false;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
			p++;
		if (!*p)
			return true;
		if (*p++ != '.')
			return false;
	}
}

int vars_next_ref(const char **p, char *name, size_t cap)
{
	const char *s = *p;

	for (; *s; s++) {
		if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
			s += 2; /* escaped: literal "${" */
			continue;
		}
		if (s[0] != '$' || s[1] != '{')
			continue;
		const char *b = s + 2, *q = b;

		while (name_char((unsigned char)*q))
			q++;
		if (*q != '}' || q == b || (size_t)(q - b) >= cap)
			return -1;
		memcpy(name, b, (size_t)(q - b));
		name[q - b] = '\0';
		*p = q + 1;
		return 1;
	}
	*p = s;
	return 0;
}

int vars_expand(const struct vars *vs, const char *in, char **out, struct st_error *e)
{
	size_t cap = strlen(in) + 64, len = 0;
	char *buf = malloc(cap);
	const char *s = in;

	if (!buf)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	while (*s) {
		const char *piece = s, *val = NULL;
		size_t plen = 1;
		char name[VARS_NAME_MAX];

		if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
			piece = "${";
			plen = 2;
			s += 3;
		} else if (s[0] == '$' && s[1] == '{') {
			const char *p = s;

			if (vars_next_ref(&p, name, sizeof(name)) != 1) {
				free(buf);
				return st_fail(e, ST_ERR_ARG, "bad variable reference in '%s'", in);
			}
			val = vars_get(vs, name);
			if (!val) {
				free(buf);
				return st_fail(e, ST_ERR_ARG, "variable '${%s}' has no value in this run", name);
			}
			piece = val;
			plen = strlen(val);
			s = p;
		} else {
			s++;
		}
		if (len + plen + 1 > cap) {
			char *nb;

			/* the limit is on what it expands to, not on the doubled buffer */
			if (len + plen > VARS_EXPAND_MAX) {
				free(buf);
				return st_fail(e, ST_ERR_LIMIT, "'%s' expands to more than %d bytes", in,
					       VARS_EXPAND_MAX);
			}
			cap = (len + plen + 1) * 2;
			if (cap > VARS_EXPAND_MAX + 1)
				cap = VARS_EXPAND_MAX + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return st_fail(e, ST_ERR_NOMEM, "out of memory");
			}
			buf = nb;
		}
		memcpy(buf + len, piece, plen);
		len += plen;
	}
	buf[len] = '\0';
	*out = buf;
	return ST_OK;
}
