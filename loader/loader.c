/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware loaders, by name.  A new loader is one file exporting a
 * const struct loader and one line in the table below.
 */
#include <string.h>

#include "loader/loader.h"

static const struct loader *const loaders[] = {
	&loader_an3155,
};

const struct loader *loader_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
		if (!strcmp(loaders[i]->name, name))
			return loaders[i];
	return NULL;
}

void loader_opts_default(struct loader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->verify = VERIFY_READBACK;
	o->mass_erase = false;
	o->skip_blank = true;
	o->go = false;
	o->retries = 2;
	o->timeout_ms = 1000;
}
