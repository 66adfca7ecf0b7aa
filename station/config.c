/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station.yaml:
 *   station: line1-st01
 *   log: station.db
 *   sync: normal            # full: power-loss safe (fsync every commit)
 *   trust: pki/trust        # manufacturer roots for identity checks
 *   sequence: sequences/factory-provisioning.yaml
 *   cms: {url: https://127.0.0.1:8443, ca: pki/cms-ca.crt, api_key_file: cms.key,
 *         timeout: 10s, attempts: 3, backoff: 500ms}
 *   cms: {url: ..., ca: ..., protocol: v2, org: acme, template_id: idevid,
 *         client_cert: pki/station-client.crt, client_key: pki/station-client.key,
 *         validity_days: 365}          # v2 / est: mTLS, docs/cms.md
 *   central: {url: "postgresql://db.plant/line?sslmode=verify-full",
 *             passfile: central.pass, timeout: 10s, backoff: 500ms}   # docs/central.md
 *   identity: {key_types: [p256, p384], require_cn: true, crl: pki/crl,
 *              policies: [1.3.6.1.4.1.99999.1], allow_intermediate_anchor: false,
 *              cms_status: true}    # the CMS's status answer (v2) as a revocation source
 *   vars: {images: "${config_dir}/images"}  # never trust: the roots come only from trust:
 *   fixtures: [fixtures/a.yaml, fixtures/b.yaml]
 * The paths of station.yaml's own keys, when relative, are relative to the
 * directory of station.yaml, and each file they name must be readable when
 * it is loaded (file:line:col otherwise, before any board is touched).
 * sequence: NAME (no '/') is looked for as `-s NAME` is, with station.yaml's
 * directory in place of the current one (search.h).
 * vars: values are text, not paths: a step resolves a relative file name
 * against its sequence file, so a directory next to station.yaml is
 * "${config_dir}/images"; ${config_dir} (station.yaml's directory, absolute)
 * and the vars before it are expanded in a value.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "central/central.h"
#include "station/config.h"
#include "station/lint.h"
#include "station/search.h"

static const char *const cfg_keys[] = { "station", "log", "sync", "trust", "sequence", "cms",
					"identity", "vars", "fixtures", "plant", "serve", "central",
					"mes", NULL };
static const char *const mes_keys[] = { "url", "operation", "precheck", "ca", "token_file",
					"timeout", "attempts", "backoff", NULL };
static const char *const serve_keys[] = { "listen", "tls_cert", "tls_key", "token_file", NULL };
static const char *const identity_keys[] = { "key_types", "require_cn", "policies", "crl",
					     "allow_intermediate_anchor", "cms_status", NULL };

static char *rel(const char *cfg_file, const char *p)
{
	return p ? seq_resolve_path(cfg_file, p) : NULL;
}

/* A file (or directory) a key names must be readable now, not when the first
 * board needs it: label names the key ("cms.ca"), full is its value
 * resolved, what says what the file should hold. */
static void need_readable(struct lint *l, const struct ynode *at, const char *label,
			  const char *full, const char *what)
{
	const char *given = at && at->type == YN_SCALAR ? at->str : "";
	char resolved[64 + 32] = "";

	if (!full || !at || access(full, R_OK) == 0)
		return;
	if (strcmp(full, given) && (strncmp(full, "./", 2) || strcmp(full + 2, given)))
		snprintf(resolved, sizeof(resolved), " (%.64s%s)", full,
			 strlen(full) > 64 ? "..." : "");
	lint_err(l, at, "%s: cannot read %s%s: %s; give %s, relative to station.yaml", label,
		 given, resolved, strerror(errno), what);
}

/* A secret file (the CMS API key, the MES token) read while its key's
 * place is known, so that a wrong name is reported at station.yaml:LINE:COL
 * with the other problems, not on its own after them. */
static void read_secret_at(struct lint *l, const struct ynode *at, const char *label,
			   const char *full, const char *what, char **out)
{
	struct st_error se = { 0 };

	if (full && config_read_secret(full, what, out, &se) < 0)
		lint_err(l, at, "%s: %s; give the file with %s (one line), relative to "
			 "station.yaml", label, se.msg, what);
}

/* key's value (label names it), resolved, which must be readable; NULL
 * when not given. */
static char *rel_readable(struct lint *l, struct station_config *c, const struct ynode *map,
			  const char *key, const char *label, const char *what)
{
	char *s = NULL, *full = NULL;

	if (lint_str(l, map, key, false, &s) && s) {
		full = rel(c->file, s);
		need_readable(l, ynode_get(map, key), label, full, what);
	}
	free(s);
	return full;
}

const char *config_var_refused(const char *name)
{
	if (strcmp(name, "trust"))
		return NULL;
	return "the variable 'trust' cannot be set: the manufacturer roots come only from "
	       "station.yaml's trust: key (a variable could swap the trust anchor); set "
	       "trust: there";
}

const char *config_trust_key_refused(const char *value)
{
	if (!value || !strcmp(value, "${trust}"))
		return NULL;
	return "trust comes only from station.yaml's trust: key (a sequence or a variable "
	       "could swap the manufacturer roots); remove trust: here";
}

bool config_cli_var_refused(const char *cmd, const char *name_eq_value)
{
	size_t n = strcspn(name_eq_value, "=");
	char name[64];
	const char *why;

	snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
		 name_eq_value);
	why = config_var_refused(name);
	if (why)
		fprintf(stderr, "%s: --var %s refused: %s\n", cmd, name, why);
	return why != NULL;
}

/* sequence: a path (relative to station.yaml's directory), or a NAME looked
 * for as -s NAME is (search_config_sequence); it must be readable. */
static char *find_sequence(struct lint *l, struct station_config *c, const struct ynode *at,
			   const char *s)
{
	char found[PATH_MAX];
	struct st_error e = { 0 };
	char *full;

	if (strchr(s, '/')) {
		full = rel(c->file, s);
		need_readable(l, at, "sequence", full, "a sequence file or the NAME of an "
			      "installed one");
		return full;
	}
	if (search_config_sequence(s, c->file, found, sizeof(found), &e) < 0) {
		lint_err(l, at, "sequence: %s, relative to station.yaml, or a NAME", e.msg);
		return NULL;
	}
	return strdup(found);
}

/* A list of scalars: each one through take(); at most max. */
static void str_list(struct lint *l, const struct ynode *n, const char *what, int max,
		     void (*take)(struct lint *, struct station_config *, const struct ynode *),
		     struct station_config *c)
{
	if (n->type != YN_SEQ) {
		lint_err(l, n, "identity %s must be a list", what);
		return;
	}
	if (n->n > max)
		lint_err(l, n, "identity %s: at most %d", what, max);
	for (int i = 0; i < n->n && i < max; i++) {
		if (n->items[i]->type != YN_SCALAR)
			lint_err(l, n->items[i], "identity %s: expected a text value", what);
		else
			take(l, c, n->items[i]);
	}
}

static void take_key_type(struct lint *l, struct station_config *c, const struct ynode *n)
{
	unsigned bit = se_key_type_parse(n->str);

	if (!bit)
		lint_err(l, n, "identity key_types: '%s' is not p256, p384 or p521", n->str);
	c->identity.key_types |= bit;
}

static void take_policy(struct lint *l, struct station_config *c, const struct ynode *n)
{
	int i = 0;

	for (const char *p = n->str; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p == '.' && p != n->str && p[1])))
			lint_err(l, n, "identity policies: '%s' is not a dotted OID", n->str);
	while (i < SE_MAX_POLICIES && c->identity.policies[i])
		i++;
	if (i < SE_MAX_POLICIES)
		c->identity.policies[i] = strdup(n->str);
}

static void parse_identity(struct lint *l, struct station_config *c, const struct ynode *n)
{
	const struct ynode *v;
	char *crl = NULL;

	if (n->type != YN_MAP) {
		lint_err(l, n, "identity must be a mapping (key_types, require_cn, policies, crl, "
			 "allow_intermediate_anchor, cms_status)");
		return;
	}
	lint_keys(l, n, identity_keys, "identity");
	v = ynode_get(n, "key_types");
	if (v)
		str_list(l, v, "key_types", 3, take_key_type, c);
	v = ynode_get(n, "policies");
	if (v)
		str_list(l, v, "policies", SE_MAX_POLICIES, take_policy, c);
	lint_bool(l, n, "require_cn", &c->identity.require_cn);
	lint_bool(l, n, "allow_intermediate_anchor", &c->identity.allow_intermediate_anchor);
	crl = rel_readable(l, c, n, "crl", "identity.crl", "the CRLs (a file or a directory)");
	c->identity.crl = crl;
	/* cms: is parsed first (parse_root) */
	v = ynode_get(n, "cms_status");
	if (!lint_bool(l, n, "cms_status", &c->cms_status) || !c->cms_status)
		return;
	if (!c->cms.url)
		lint_err(l, v, "identity cms_status: no cms: is configured; the CMS's status call "
			 "needs cms: {url, protocol: v2, org, client_cert, ...}");
	else if (!cms_can_status(c->cms.proto))
		lint_err(l, v, "identity cms_status: cms.protocol %s has no status call; it needs "
			 "protocol v2 (INeS)", cms_proto_name(c->cms.proto));
}
static const char *const cms_keys[] = { "url", "ca", "api_key_file", "timeout", "attempts",
					"backoff", "insecure", "protocol", "org", "template_id",
					"client_cert", "client_key", "validity_days", NULL };

/* The API key file holds one line; it never reaches a log. */
int config_read_secret(const char *path, const char *what, char **out, struct st_error *e)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return st_fail(e, ST_ERR_IO, "cannot read %s file %s: %s", what, path,
			       strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0])
		return st_fail(e, ST_ERR_ARG, "%s file %s is empty", what, path);
	*out = strdup(buf);
	memset(buf, 0, sizeof(buf));
	return *out ? ST_OK : st_fail(e, ST_ERR_NOMEM, "out of memory reading %s", what);
}

void config_secret_free(char *secret)
{
	/* wipe the secret before giving the memory back */
	for (volatile char *p = secret; p && *p; p++)
		*p = 0;
	free(secret);
}

/* The protocol's keys: which backend, organization, template, mTLS files. */
static void parse_cms_proto(struct lint *l, struct station_config *c, const struct ynode *n)
{
	char *proto = NULL, *cert = NULL, *key = NULL;
	double days = 0, tid = 0;

	lint_str(l, n, "protocol", false, &proto);
	c->cms.proto = cms_proto_find(proto ? proto : "v1");
	if (!c->cms.proto)
		lint_err(l, ynode_get(n, "protocol"), "cms protocol must be one of %s",
			 cms_proto_names());
	free(proto);
	lint_str(l, n, "org", false, (char **)&c->cms.org);
	if (ynode_get(n, "template_id") && lint_num(l, n, "template_id", false, &tid) &&
	    (tid < 1 || tid > 2147483647 || tid != (long)tid))
		lint_err(l, ynode_get(n, "template_id"), "cms template_id must be the integer id "
			 "of the CMS's certificate template (INeS: GET /v2/organizations/{org}/"
			 "certificatetemplates lists them)");
	c->cms.template_id = tid >= 1 && tid <= 2147483647 ? (long)tid : 0;
	cert = rel_readable(l, c, n, "client_cert", "cms.client_cert",
			    "the station's TLS client certificate (PEM)");
	key = rel_readable(l, c, n, "client_key", "cms.client_key", "its private key (PEM)");
	lint_num(l, n, "validity_days", false, &days);
	if (days < 0 || days > 36500)
		lint_err(l, ynode_get(n, "validity_days"), "cms validity_days must be 1 to 36500");
	c->cms.validity_days = (int)days;
	c->cms.client_cert = cert;
	c->cms.client_key = key;
	if (cms_proto_needs_mtls(c->cms.proto) && (!c->cms.client_cert || !c->cms.client_key))
		lint_err(l, n, "cms protocol %s authenticates with a TLS client certificate: "
			 "set client_cert and client_key", cms_proto_name(c->cms.proto));
}

static void parse_cms(struct lint *l, struct station_config *c, const struct ynode *n)
{
	char *url = NULL, *ca = NULL;
	double attempts = 3;
	double t = 10, backoff = 0.5;
	bool insecure = false;

	if (n->type != YN_MAP) {
		lint_err(l, n, "cms must be a mapping with url, ca and api_key_file");
		return;
	}
	lint_keys(l, n, cms_keys, "cms");
	lint_str(l, n, "url", true, &url);
	ca = rel_readable(l, c, n, "ca", "cms.ca", "the CA certificate (PEM) of the CMS's server");
	lint_str(l, n, "api_key_file", false, &c->cms_key_file);
	lint_duration(l, ynode_get(n, "timeout"), &t);
	lint_duration(l, ynode_get(n, "backoff"), &backoff);
	lint_num(l, n, "attempts", false, &attempts);
	lint_bool(l, n, "insecure", &insecure);
	parse_cms_proto(l, c, n);
	if (attempts < 1 || attempts > 20)
		lint_err(l, ynode_get(n, "attempts"), "cms attempts must be 1 to 20");
	c->cms.url = url;
	c->cms.ca_file = ca;
	if (url && strncasecmp(url, "https://", 8) && !insecure)
		lint_err(l, ynode_get(n, "url"), "cms.url '%.100s' is not https://: give "
			 "https://HOST:PORT (insecure: true is for a lab CMS only)", url);
	if (c->cms_key_file) {
		char *k = rel(c->file, c->cms_key_file);

		free(c->cms_key_file);
		c->cms_key_file = k;
		read_secret_at(l, ynode_get(n, "api_key_file"), "cms.api_key_file", k,
			       "the CMS API key", (char **)&c->cms.api_key);
	}
	c->cms.timeout_ms = (int)(t * 1000);
	c->cms.backoff_ms = (int)(backoff * 1000);
	c->cms.attempts = (int)attempts;
	c->cms.insecure = insecure;
}

/* "HH:MM" as minutes after midnight; -1 when it is not one. */
static int hhmm(const char *s)
{
	int h, m, n = 0;

	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

/* plant: {timezone: Europe/Berlin, shifts: [{name: early, start: "06:00"}, ...]} */
static void parse_plant(struct lint *l, struct station_config *c, const struct ynode *p)
{
	static const char *const keys[] = { "timezone", "shifts", NULL };
	static const char *const shift_keys[] = { "name", "start", NULL };
	const struct ynode *sh = ynode_get(p, "shifts");
	char *s = NULL;

	lint_keys(l, p, keys, "plant");
	if (lint_str(l, p, "timezone", false, &s) && s) {
		if (!rep_tz_valid(s))
			lint_err(l, ynode_get(p, "timezone"), "plant: timezone '%s' is not a zone of "
				 "the tz database (Europe/Berlin, America/Chicago, UTC, ...)", s);
		else
			snprintf(c->plant.timezone, sizeof(c->plant.timezone), "%s", s);
		free(s);
		s = NULL;
	}
	if (sh && (sh->type != YN_SEQ || sh->n > REP_MAX_SHIFTS))
		lint_err(l, sh, "plant: shifts is a list of at most %d {name, start}", REP_MAX_SHIFTS);
	for (int i = 0; sh && sh->type == YN_SEQ && i < sh->n && i < REP_MAX_SHIFTS; i++) {
		const struct ynode *it = sh->items[i];
		struct rep_shift *d = &c->plant.shift[c->plant.n_shifts];
		char *name = NULL;
		int start;

		lint_keys(l, it, shift_keys, "plant: shifts");
		if (!lint_str(l, it, "name", true, &name) || !lint_str(l, it, "start", true, &s) ||
		    !name || !s) {
			free(name);
			free(s);
			s = NULL;
			continue;
		}
		start = hhmm(s);
		if (start < 0 || (c->plant.n_shifts && start <= d[-1].start_min))
			lint_err(l, ynode_get(it, "start"), "plant: shift '%s' start '%s': HH:MM, "
				 "later than the shift before", name, s);
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->start_min = start;
		c->plant.n_shifts++;
		free(name);
		free(s);
		s = NULL;
	}
}

static void parse_serve(struct lint *l, struct station_config *c, const struct ynode *n)
{
	if (n->type != YN_MAP) {
		lint_err(l, n, "serve must be a mapping with listen, tls_cert, tls_key, token_file");
		return;
	}
	lint_keys(l, n, serve_keys, "serve");
	lint_str(l, n, "listen", false, &c->serve.listen);
	c->serve.tls_cert = rel_readable(l, c, n, "tls_cert", "serve.tls_cert",
					 "the panel's certificate (PEM)");
	c->serve.tls_key = rel_readable(l, c, n, "tls_key", "serve.tls_key",
					"its private key (PEM)");
	c->serve.token_file = rel_readable(l, c, n, "token_file", "serve.token_file",
					   "the API token's file");
	if (!c->serve.tls_cert != !c->serve.tls_key)
		lint_err(l, n, "serve: tls_cert and tls_key go together (the certificate and its key)");
}

static const char *const central_keys[] = { "url", "passfile", "timeout", "backoff", NULL };

/* central: the PostgreSQL the station forwards its ended runs to. */
static void parse_central(struct lint *l, struct station_config *c, const struct ynode *n)
{
	char *passfile = NULL;
	double t = 10, backoff = 0.5;
	const char *why;

	if (n->type != YN_MAP) {
		lint_err(l, n, "central must be a mapping with url (and passfile)");
		return;
	}
	lint_keys(l, n, central_keys, "central");
	lint_str(l, n, "url", true, &c->central_url);
	passfile = rel_readable(l, c, n, "passfile", "central.passfile",
				"the PostgreSQL password file");
	lint_duration(l, ynode_get(n, "timeout"), &t);
	lint_duration(l, ynode_get(n, "backoff"), &backoff);
	why = c->central_url ? central_url_refused(c->central_url) : NULL;
	if (why)
		lint_err(l, ynode_get(n, "url"), "%s", why);
	if (t < 1 || t > 600)
		lint_err(l, ynode_get(n, "timeout"), "central timeout must be 1s to 600s");
	if (backoff < 0.01 || backoff > 60)
		lint_err(l, ynode_get(n, "backoff"), "central backoff must be 10ms to 60s");
	c->central_passfile = passfile;
	c->central_timeout_ms = (int)(t * 1000);
	c->central_backoff_ms = (int)(backoff * 1000);
}

static void parse_mes(struct lint *l, struct station_config *c, const struct ynode *n)
{
	double t = 5, backoff = 0.2, attempts = 3;
	char *s = NULL;

	if (n->type != YN_MAP) {
		lint_err(l, n, "mes must be a mapping with url and operation");
		return;
	}
	lint_keys(l, n, mes_keys, "mes");
	lint_str(l, n, "url", true, (char **)&c->mes.url);
	lint_str(l, n, "operation", true, (char **)&c->mes.operation);
	c->mes.precheck = true;
	lint_bool(l, n, "precheck", &c->mes.precheck);
	if (c->mes.url && strncasecmp(c->mes.url, "https://", 8) &&
	    strncasecmp(c->mes.url, "http://", 7))
		lint_err(l, ynode_get(n, "url"), "mes.url '%.100s' is not http:// or https://",
			 c->mes.url);
	c->mes.ca_file = rel_readable(l, c, n, "ca", "mes.ca",
				      "the CA certificate (PEM) of the MES's server");
	if (lint_str(l, n, "token_file", false, &s) && s) {
		c->mes_token_file = rel(c->file, s);
		read_secret_at(l, ynode_get(n, "token_file"), "mes.token_file", c->mes_token_file,
			       "the MES token", (char **)&c->mes.token);
	}
	free(s);
	lint_duration(l, ynode_get(n, "timeout"), &t);
	lint_duration(l, ynode_get(n, "backoff"), &backoff);
	lint_num(l, n, "attempts", false, &attempts);
	if (attempts < 1 || attempts > 20)
		lint_err(l, ynode_get(n, "attempts"), "mes attempts must be 1 to 20");
	c->mes.timeout_ms = (int)(t * 1000);
	c->mes.backoff_ms = (int)(backoff * 1000);
	c->mes.attempts = (int)attempts;
}

/* A vars: value, with ${config_dir} and the vars before it expanded: a
 * value is text, not a path (a step resolves a relative file name against
 * its sequence file), so a directory next to station.yaml is
 * "${config_dir}/images". */
static void set_var(struct lint *l, struct station_config *c, const char *name,
		    const struct ynode *v)
{
	struct vars known;
	struct st_error e = { 0 };
	char *out = NULL;

	vars_init(&known);
	vars_set(&known, "config_dir", c->dir);
	for (int i = 0; i < c->vars.n; i++)
		vars_set(&known, c->vars.v[i].name, c->vars.v[i].value);
	if (vars_expand(&known, v->str, &out, &e) < 0)
		lint_err(l, v, "vars: '%s': %s; a value here may use ${config_dir} and the "
			 "vars before it", name, e.msg);
	else
		vars_set(&c->vars, name, out);
	free(out);
	vars_free(&known);
}

static void parse_root(struct lint *l, struct station_config *c, const struct ynode *r)
{
	const struct ynode *n;
	char *s = NULL;

	lint_keys(l, r, cfg_keys, "station.yaml");
	lint_str(l, r, "station", false, &c->station);
	if (lint_str(l, r, "log", false, &s) && s) {
		c->log = rel(c->file, s);
		free(s);
		s = NULL;
	}
	c->trust = rel_readable(l, c, r, "trust", "trust",
				"the manufacturer roots (a PEM file or a directory)");
	if (lint_str(l, r, "sequence", false, &s) && s)
		c->sequence = find_sequence(l, c, ynode_get(r, "sequence"), s);
	free(s);
	s = NULL;
	if (lint_str(l, r, "sync", false, &s) && s) {
		if (strcmp(s, "full") && strcmp(s, "normal"))
			lint_err(l, ynode_get(r, "sync"), "sync must be normal or full");
		c->sync_full = !strcmp(s, "full");
		free(s);
	}
	n = ynode_get(r, "cms");
	if (n)
		parse_cms(l, c, n);
	n = ynode_get(r, "plant");
	if (n)
		parse_plant(l, c, n);
	n = ynode_get(r, "central");
	if (n)
		parse_central(l, c, n);
	n = ynode_get(r, "identity");
	if (n)
		parse_identity(l, c, n);
	n = ynode_get(r, "serve");
	if (n)
		parse_serve(l, c, n);
	n = ynode_get(r, "mes");
	if (n)
		parse_mes(l, c, n);
	n = ynode_get(r, "vars");
	if (n && n->type != YN_MAP)
		lint_err(l, n, "vars must be a mapping of names to text values");
	for (int i = 0; n && n->type == YN_MAP && i < n->n; i++) {
		const char *refused = config_var_refused(n->keys[i]->str);

		if (refused)
			lint_err(l, n->keys[i], "vars: %s", refused);
		else if (n->items[i]->type != YN_SCALAR)
			lint_err(l, n->items[i], "vars: '%s' must be a text value", n->keys[i]->str);
		else
			set_var(l, c, n->keys[i]->str, n->items[i]);
	}
	n = ynode_get(r, "fixtures");
	if (n && n->type != YN_SEQ)
		lint_err(l, n, "fixtures must be a list of fixture files");
	for (int i = 0; n && n->type == YN_SEQ && i < n->n; i++) {
		if (n->items[i]->type != YN_SCALAR || c->n_fixtures == CFG_MAX_FIXTURES) {
			lint_err(l, n->items[i], "fixtures: expected a file name (at most %d)",
				 CFG_MAX_FIXTURES);
			continue;
		}
		c->fixtures[c->n_fixtures++] = rel(c->file, n->items[i]->str);
	}
}

/* The directory of path, absolute (${config_dir}); NULL when out of memory. */
static char *config_dir_of(const char *path)
{
	char *dup = strdup(path), *real = NULL, *dir;

	if (!dup)
		return NULL;
	dir = dirname(dup);
	real = realpath(dir, NULL);
	if (!real)	/* read a moment ago: only a race takes it away */
		real = strdup(dir);
	free(dup);
	return real;
}

/* As many whole lines of errors as e holds, then how many more there are. */
static void fit_errors(struct st_error *e, const char *errors, const char *path)
{
	char tail[160];
	size_t used = 0, n;
	int more = 0, total = 0;

	st_fail(e, ST_ERR_PARSE, "%s", "");
	if (!e)
		return;
	for (const char *p = errors; *p; p += n + (p[n] == '\n'), total++)
		n = strcspn(p, "\n");
	for (const char *p = errors; *p; p += n) {
		n = strcspn(p, "\n");
		n += p[n] == '\n';
		snprintf(tail, sizeof(tail), "(and %d more: `station lint -c %.80s` lists them all)",
			 total - 1, path);
		if (!more && used + n + (p[n] ? strlen(tail) : 0) < sizeof(e->msg)) {
			memcpy(e->msg + used, p, n);
			used += n;
		} else if (!used) {	/* the first, however long: what fits of it */
			used = sizeof(e->msg) - strlen(tail) - 5;
			memcpy(e->msg, p, used);
			memcpy(e->msg + used, "...\n", 4);
			used += 4;
		} else {
			more++;
		}
	}
	e->msg[used] = '\0';
	if (more)
		snprintf(e->msg + used, sizeof(e->msg) - used,
			 "(and %d more: `station lint -c %.80s` lists them all)", more, path);
	else if (used && e->msg[used - 1] == '\n')
		e->msg[used - 1] = '\0';
}

int config_load(struct station_config *c, const char *path, struct st_error *e)
{
	return config_load_all(c, path, NULL, e);
}

int config_load_all(struct station_config *c, const char *path, char **errors,
		    struct st_error *e)
{
	struct sequence dummy = { 0 };
	struct lint l = { .seq = &dummy };
	struct ydoc d;
	int ret;

	memset(c, 0, sizeof(*c));
	if (errors)
		*errors = NULL;
	vars_init(&c->vars);
	c->cms.attempts = 3;
	if (!path)
		path = search_default_config();	/* ./station.yaml, for every command */
	if (!path) {
		c->station = strdup("station");
		c->log = strdup("station.db");
		return ST_OK;
	}
	ret = ydoc_load(&d, path, e);
	if (ret < 0)
		return ret;
	c->file = strdup(path);
	c->dir = config_dir_of(path);
	if (!c->file || !c->dir) {
		ydoc_free(&d);
		config_free(c);
		return st_fail(e, ST_ERR_NOMEM, "out of memory loading %s", path);
	}
	if (!d.root || d.root->type != YN_MAP)
		lint_err(&l, d.root, "station.yaml must be a mapping (station, log, trust, cms, fixtures)");
	else
		parse_root(&l, c, d.root);
	ydoc_free(&d);
	if (l.n_errors) {
		fit_errors(e, l.errors ? l.errors : "", path);
		if (errors)
			*errors = l.errors;
		else
			free(l.errors);
		config_free(c);
		return ST_ERR_PARSE;
	}
	free(l.errors);
	if (!c->station)
		c->station = strdup("station");
	if (!c->log)
		c->log = rel(c->file, "station.db");
	vars_set(&c->vars, "config_dir", c->dir);
	if (c->trust)
		vars_set(&c->vars, "trust", c->trust);
	return ST_OK;
}

char **config_var_names(const struct station_config *c, const char *const *assign, int n_assign)
{
	char **v = calloc((size_t)(c->vars.n + n_assign) + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (int i = 0; i < c->vars.n; i++)
		if (!(v[i] = strdup(c->vars.v[i].name)))
			goto nomem;
	for (int i = 0; i < n_assign; i++)
		if (!(v[c->vars.n + i] = strndup(assign[i], strcspn(assign[i], "="))))
			goto nomem;
	return v;
nomem:
	config_names_free(v);
	return NULL;
}

void config_names_free(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

void config_free(struct station_config *c)
{
	free(c->file);
	free(c->dir);
	free(c->station);
	free(c->log);
	free(c->trust);
	free((char *)c->identity.crl);
	for (int i = 0; i < SE_MAX_POLICIES; i++)
		free((char *)c->identity.policies[i]);
	free(c->sequence);
	free((char *)c->cms.url);
	free((char *)c->cms.ca_file);
	free((char *)c->cms.org);
	free((char *)c->cms.client_cert);
	free((char *)c->cms.client_key);
	config_secret_free((char *)c->cms.api_key);
	free(c->serve.listen);
	free(c->serve.tls_cert);
	free(c->serve.tls_key);
	free(c->serve.token_file);
	free((char *)c->mes.url);
	free((char *)c->mes.operation);
	free((char *)c->mes.ca_file);
	config_secret_free((char *)c->mes.token);
	free(c->mes_token_file);
	free(c->cms_key_file);
	free(c->central_url);
	free(c->central_passfile);
	for (int i = 0; i < c->n_fixtures; i++)
		free(c->fixtures[i]);
	vars_free(&c->vars);
	memset(c, 0, sizeof(*c));
}
