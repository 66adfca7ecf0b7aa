/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the reports' JSON in tests (after cmocka.h and jansson.h). */
#ifndef TEST_JSON_H
#define TEST_JSON_H

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

/* o[k], which must be a number. */
static inline double t_json_num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_number(v))
		fail_msg("%s is not a number", k);
	return json_number_value(v);
}

#endif
