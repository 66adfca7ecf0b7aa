/* SPDX-License-Identifier: Apache-2.0 */
/* The operator panel's files by path (panel.h). */
#include <stdio.h>
#include <string.h>

#include "station/panel.h"

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
};

const struct panel_file *panel_find(const char *path, const char **type)
{
	const char *name = strcmp(path, "/") ? path + 1 : "index.html";

	if (path[0] != '/')
		return NULL;
	for (const struct panel_file *f = panel_files; f->name; f++) {
		if (strcmp(f->name, name))
			continue;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			const char *dot = strrchr(name, '.');

			if (dot && !strcmp(dot, types[i].ext)) {
				*type = types[i].type;
				return f;
			}
		}
	}
	return NULL;
}

#define PANEL_MAX_FILES 16

const char *const *panel_paths(void)
{
	static char paths[PANEL_MAX_FILES][64];
	static const char *v[PANEL_MAX_FILES + 2];
	int n = 0;

	if (v[0])
		return v;
	for (const struct panel_file *f = panel_files; f->name && n < PANEL_MAX_FILES; f++, n++) {
		snprintf(paths[n], sizeof(paths[n]), "/%s", f->name);
		v[n] = paths[n];
	}
	v[n] = "/";
	return v;
}
