/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station.yaml: the station's own configuration - its name, the log, the
 * trust directory, the CMS, variables for sequences, and its fixtures.
 */
#ifndef ST_STATION_CONFIG_H
#define ST_STATION_CONFIG_H

#include <stdbool.h>

#include "common/err.h"
#include "cms/cms.h"
#include "station/vars.h"

#define CFG_MAX_FIXTURES 64

struct station_config {
	char *file;
	char *station;		/* station name, in every run */
	char *log;		/* SQLite path */
	bool sync_full;
	char *trust;		/* manufacturer roots (file or directory) */
	char *sequence;		/* default sequence */
	struct cms_config cms;	/* api_key read from cms.api_key_file */
	char *cms_key_file;
	struct vars vars;
	char *fixtures[CFG_MAX_FIXTURES]; /* fixture definition files */
	int n_fixtures;
};

/* Load path (NULL: ./station.yaml when there is one, else built-in
 * defaults). Relative paths resolve against the config file's directory. */
int config_load(struct station_config *c, const char *path, struct st_error *e);
void config_free(struct station_config *c);
/* The names of every variable station.yaml defines, then those of the
 * NAME=VALUE assignments (--var), as sequence_load() takes them: NULL-
 * terminated, as many as there are; free with config_names_free().  NULL
 * when out of memory. */
char **config_var_names(const struct station_config *c, const char *const *assign, int n_assign);
void config_names_free(char **names);

#endif
