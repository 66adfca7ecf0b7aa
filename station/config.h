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
#include "mes/mes.h"
#include "se/se.h"
#include "report/report.h"
#include "station/vars.h"

#define CFG_MAX_FIXTURES 64

struct station_config {
	char *file;
	char *dir;		/* the directory of file, absolute: ${config_dir} */
	char *station;		/* station name, in every run */
	char *log;		/* SQLite path */
	bool sync_full;
	char *trust;		/* manufacturer roots (file or directory); only from here */
	struct se_policy identity; /* identity: {key_types, require_cn, policies, crl,
				      allow_intermediate_anchor}; trust/serial unset */
	bool cms_status;	/* identity: {cms_status: true}: the CMS's status answer
				   is a revocation source (a v2 CMS) */
	char *sequence;		/* default sequence */
	struct cms_config cms;	/* api_key read from cms.api_key_file */
	char *cms_key_file;
	/* central: {url, passfile, timeout, backoff} (docs/central.md); url NULL:
	 * no central store */
	char *central_url;
	char *central_passfile;
	int central_timeout_ms, central_backoff_ms;
	struct vars vars;
	char *fixtures[CFG_MAX_FIXTURES]; /* fixture definition files */
	int n_fixtures;
	struct rep_plant plant;	/* plant: {timezone, shifts} for reports */
	struct {		/* serve: station serve's panel and API (docs/api.md) */
		char *listen;	/* HOST:PORT */
		char *tls_cert, *tls_key;	/* PEM files: HTTPS */
		char *token_file;	/* the API token, its first line */
	} serve;
	struct mes_config mes;	/* mes: (url NULL: no MES); token read from: */
	char *mes_token_file;
};

/* Load path (NULL: ./station.yaml when there is one, else built-in
 * defaults). Relative paths resolve against the config file's directory. */
int config_load(struct station_config *c, const char *path, struct st_error *e);
/* As config_load(), and when the file has problems (ST_ERR_PARSE) every one
 * of them, one file:line:col: line each, in *errors (the caller frees it);
 * e->msg holds only as many as fit. */
int config_load_all(struct station_config *c, const char *path, char **errors,
		    struct st_error *e);
void config_free(struct station_config *c);
/* The names of every variable station.yaml defines, then those of the
 * NAME=VALUE assignments (--var), as sequence_load() takes them: NULL-
 * terminated, as many as there are; free with config_names_free().  NULL
 * when out of memory. */
char **config_var_names(const struct station_config *c, const char *const *assign, int n_assign);
void config_names_free(char **names);

/* A secret's file (an API key, a token): its first line, which must not
 * be empty; what names it in messages ("the CMS API key"). */
int config_read_secret(const char *path, const char *what, char **out, struct st_error *e);
/* Wipe and free a secret read by config_read_secret(). */
void config_secret_free(char *secret);

/* Variables that may never be set from vars: (station.yaml, a sequence) or
 * --var: "trust" (the manufacturer roots: a variable could swap the trust
 * anchor).  The refusal's text for name, or NULL when name may be set. */
const char *config_var_refused(const char *name);
/* A step's trust: key (identity, enroll): only "${trust}", which names
 * station.yaml's; the refusal's text otherwise, NULL when value is fine. */
const char *config_trust_key_refused(const char *value);
/* --var NAME=VALUE on cmd's command line: true (after saying why on stderr)
 * when NAME may not be set. */
bool config_cli_var_refused(const char *cmd, const char *name_eq_value);

#endif
