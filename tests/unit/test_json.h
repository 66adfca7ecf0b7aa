/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the reports' JSON in tests (after cmocka.h and jansson.h). */
#ifndef TEST_JSON_H
#define TEST_JSON_H

#include <stdlib.h>
#include <string.h>

/* The nth (0-based) object of array root[list] whose key is value. */
static inline json_t *t_json_named(json_t *root, const char *list, const char *key,
				   const char *value, int nth)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(root, list), i, o) {
		const char *s = json_string_value(json_object_get(o, key));

		if (s && !strcmp(s, value) && !nth--)
			return o;
	}
	fail_msg("no %s with %s %s", list, key, value);
	return NULL;
}

/* The JSON document text (a report's output), which must parse; text is
 * freed. */
static inline json_t *t_json_take(char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (!j)
		fail_msg("not JSON: %s (line %d): %.200s", je.text, je.line, text);
	free(text);
	return j;
}

/* o[k], which must be a number. */
static inline double t_json_num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_number(v))
		fail_msg("%s is not a number", k);
	return json_number_value(v);
}

#endif
