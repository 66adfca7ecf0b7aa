/* SPDX-License-Identifier: Apache-2.0 */
/* The one table through which the loader and the engine know step kinds. */
#include <string.h>

#include "station/steps/steps.h"

const struct step_kind *const step_kinds[] = {
	&step_lines, &step_flash, &step_console, &step_measure, &step_identity,
	&step_register, &step_enroll, &step_prompt, &step_delay, &step_exec, &step_group,
	&step_include, NULL
};

const struct step_kind *step_kind_find(const char *name)
{
	for (int i = 0; step_kinds[i]; i++)
		if (!strcmp(step_kinds[i]->name, name))
			return step_kinds[i];
	return NULL;
}
