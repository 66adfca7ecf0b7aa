/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON of the API's bodies (web.h): request bodies parsed by jansson,
 * strings written for answers.  A body is data from outside: its strings
 * are bounded, and a field of the wrong type is refused by name.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/text.h"
#include "web/web.h"

struct web_json {
	json_t *root;
};

void web_json_str(FILE *f, const char *s)
{
	char *u;
	json_t *j;

	if (!s) {
		fputs("null", f);
		return;
	}
	u = st_text_utf8_dup(s);
	j = u ? json_string(u) : NULL;
	if (!j || json_dumpf(j, f, JSON_ENCODE_ANY) < 0)
		fputs("\"\"", f);
	json_decref(j);
	free(u);
}

int web_json_parse(struct web_json **out, const char *body, size_t len, struct st_error *e)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	*out = NULL;
	if (!root)
		return st_fail(e, ST_ERR_PARSE, "the body is not JSON: %s (line %d, column %d)",
			       je.text, je.line, je.column);
	if (!json_is_object(root)) {
		json_decref(root);
		return st_fail(e, ST_ERR_PARSE, "the body is JSON but not an object {...}");
	}
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		json_decref(root);
		return st_fail(e, ST_ERR_NOMEM, "out of memory reading the body");
	}
	(*out)->root = root;
	return ST_OK;
}

void web_json_free(struct web_json *j)
{
	if (!j)
		return;
	json_decref(j->root);
	free(j);
}

static int string_of(json_t *v, const char *key, size_t max, const char **out,
		     struct st_error *e)
{
	if (!json_is_string(v))
		return st_fail(e, ST_ERR_PARSE, "'%s' must be a string", key);
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return st_fail(e, ST_ERR_PARSE, "'%s' is longer than %zu bytes or holds a NUL",
			       key, max);
	*out = json_string_value(v);
	return ST_OK;
}

int web_json_get_str(const struct web_json *j, const char *key, size_t max, const char **out,
		     struct st_error *e)
{
	json_t *v = json_object_get(j->root, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return ST_OK;
	return string_of(v, key, max, out, e);
}

int web_json_each_str(const struct web_json *j, const char *key, size_t max,
		      int (*fn)(void *ctx, const char *name, const char *value,
				struct st_error *e),
		      void *ctx, struct st_error *e)
{
	json_t *obj = json_object_get(j->root, key), *v;
	const char *name, *s;
	int ret;

	if (!obj || json_is_null(obj))
		return ST_OK;
	if (!json_is_object(obj))
		return st_fail(e, ST_ERR_PARSE, "'%s' must be an object of NAME: \"VALUE\"", key);
	json_object_foreach(obj, name, v) {
		ret = string_of(v, name, max, &s, e);
		if (ret == ST_OK)
			ret = fn(ctx, name, s, e);
		if (ret < 0)
			return ret;
	}
	return ST_OK;
}

bool web_json_unknown(const struct web_json *j, const char *const *known, const char **unknown)
{
	const char *name;
	json_t *v;

	json_object_foreach(j->root, name, v) {
		int i;

		for (i = 0; known[i] && strcmp(known[i], name); i++)
			;
		if (!known[i]) {
			*unknown = name;
			return true;
		}
	}
	return false;
}
