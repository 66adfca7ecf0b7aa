/* SPDX-License-Identifier: Apache-2.0 */
/* The one table through which the loader and the engine know step kinds. */
#include <stdio.h>
#include <string.h>

#include "station/steps/steps.h"

const struct step_kind *const step_kinds[] = {
	&step_lines, &step_flash, &step_console, &step_measure, &step_identity,
	&step_register, &step_enroll, &step_prompt, &step_delay, &step_exec, &step_group,
	&step_include, &step_foreach, &step_repeat, &step_scpi, NULL
};

const struct step_kind *step_kind_find(const char *name)
{
	for (int i = 0; step_kinds[i]; i++)
		if (!strcmp(step_kinds[i]->name, name))
			return step_kinds[i];
	return NULL;
}

const char *step_kind_list(void)
{
	/* built once from the table above; the table never changes, so two
	 * threads that race here write the same bytes */
	static char list[256];
	size_t n = 0;

	if (list[0])
		return list;
	for (int i = 0; step_kinds[i]; i++) {
		int w = snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				 step_kinds[i]->name);

		if (w < 0 || (size_t)w >= sizeof(list) - n)
			break;	/* _Static_assert below keeps this from happening */
		n += (size_t)w;
	}
	return list;
}
