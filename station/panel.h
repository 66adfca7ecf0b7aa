/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator panel's files (station/panel/: HTML, CSS, plain JavaScript),
 * compiled into the binary by the Makefile (build/gen/panel_files.c).
 */
#ifndef ST_STATION_PANEL_H
#define ST_STATION_PANEL_H

#include <stddef.h>

struct panel_file {
	const char *name;	/* "panel.js" */
	const unsigned char *data;
	size_t len;
};

/* Every file, ended by one with name NULL. */
extern const struct panel_file panel_files[];

/* The file a GET of path serves ("/" is index.html), and its Content-Type;
 * NULL: none. */
const struct panel_file *panel_find(const char *path, const char **type);

/* The paths of every file ("/panel.js", ..., and "/"), NULL-ended: what a
 * browser loads without the API token (they hold no data).  Not
 * thread-safe on the first call. */
const char *const *panel_paths(void);

#endif
