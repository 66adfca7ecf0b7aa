// SPDX-License-Identifier: Apache-2.0
/*
 * Reading a CMS's JSON answers: bounded, duplicate keys refused, strings
 * printable and of a known size, ids opaque (an INeS id is a JSON integer;
 * a string is accepted as well, as the demo client treats them as text).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cms/cms-internal.h"

int cms_json_object(const char *body, size_t len, int http_status, json_t **out,
		    struct st_error *e)
{
	char msg[160];
	json_error_t jerr;
	json_t *o;

	*out = NULL;
	if (len > CMS_RESPONSE_MAX)
		return st_fail(e, ST_ERR_LIMIT, "CMS response of %zu bytes exceeds the %d byte "
			       "limit", len, CMS_RESPONSE_MAX);
	o = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!o) {
		cms_clean_text(msg, sizeof(msg), len ? jerr.text : "empty body");
		return st_fail(e, ST_ERR_PARSE, "CMS answered HTTP %d with malformed JSON: %s",
			       http_status, msg);
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return st_fail(e, ST_ERR_PARSE, "CMS answered HTTP %d with JSON that is not an "
			       "object", http_status);
	}
	*out = o;
	return ST_OK;
}

int cms_json_str(json_t *o, const char *key, char *dst, size_t cap, int required,
		 struct st_error *e)
{
	json_t *x = json_object_get(o, key);
	const char *v = json_string_value(x);

	dst[0] = '\0';
	if (!v && (!x || json_is_null(x)) && !required)
		return ST_OK;
	if (!v)
		return st_fail(e, ST_ERR_PARSE, "CMS answer lacks the string \"%s\"; is cms.url "
			       "the CMS's API for cms.protocol?", key);
	if (strlen(v) >= cap || (required && !v[0]))
		return st_fail(e, ST_ERR_PARSE, "CMS answered a \"%s\" of %zu characters (%d..%zu "
			       "allowed)", key, strlen(v), required, cap - 1);
	cms_clean_text(dst, cap, v);
	return ST_OK;
}

int cms_json_id(json_t *o, const char *key, char *dst, size_t cap, int required,
		struct st_error *e)
{
	json_t *x = json_object_get(o, key);

	if (json_is_integer(x)) {
		if (json_integer_value(x) < 0)
			return st_fail(e, ST_ERR_PARSE, "CMS answered a negative \"%s\"", key);
		snprintf(dst, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(x));
		return ST_OK;
	}
	return cms_json_str(o, key, dst, cap, required, e);
}
