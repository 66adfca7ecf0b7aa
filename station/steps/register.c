/* SPDX-License-Identifier: Apache-2.0 */
/*
 * register: register the identity read by an earlier identity step with the
 * Certificate Management Service named in station.yaml (HTTPS).
 *   register: {serial: ${serial}, on_unavailable: fail | queue}
 * Sets ${cms.id} and ${cms.status} (v2: the CMS's word for the certificate,
 * "Good").  v2 (INeS) registers as the seed's demo checks a device's
 * certificate: its status, then the CMS's record of it by thumbprint; a
 * certificate the CMS does not know, or knows as Revoked/Expired, fails the
 * unit with what the CMS said.  Retries and backoff come from the station's
 * cms settings, every attempt within the step's timeout; a stop ends it.
 * on_revoked: continue - a certificate the CMS holds as Revoked or Expired
 * passes the step (logged "revoked", ${cms.status} says which), so that a
 * later enroll step (when: ${cms.status} != Good) gives the board a new
 * identity: the demo's zero-touch behaviour.
 * on_unavailable: queue - when the CMS is down, silent or answers 5xx through
 * every attempt, the step passes with the registration logged as "queued"
 * (kv cms.queued says why); `station cms sync` registers it later.  A
 * definite answer (refusal, conflict, unknown or revoked certificate, a
 * server or client certificate refused in TLS) always fails.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "register"
#include "common/log.h"
#include "station/steps/steps.h"

struct register_cfg {
	char *serial;
	bool queue;	/* on_unavailable: queue */
	bool revoked_go_on;	/* on_revoked: continue */
};

static const char *const register_keys[] = { "serial", "on_unavailable", "on_revoked", NULL };

static void register_free(void *p)
{
	struct register_cfg *c = p;

	free(c->serial);
	free(c);
}

static int register_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct register_cfg *c = calloc(1, sizeof(*c));
	char *ou = NULL;

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	if (n && n->type == YN_MAP) {
		lint_keys(l, n, register_keys, "register");
		if (lint_str(l, n, "serial", false, &c->serial) && c->serial)
			lint_vars(l, ynode_get(n, "serial"), c->serial);
		if (lint_str(l, n, "on_unavailable", false, &ou) && ou &&
		    strcmp(ou, "fail") != 0 && strcmp(ou, "queue") != 0)
			lint_err(l, ynode_get(n, "on_unavailable"),
				 "register: on_unavailable must be fail or queue");
		c->queue = ou && strcmp(ou, "queue") == 0;
		free(ou);
		ou = NULL;
		if (lint_str(l, n, "on_revoked", false, &ou) && ou &&
		    strcmp(ou, "fail") != 0 && strcmp(ou, "continue") != 0)
			lint_err(l, ynode_get(n, "on_revoked"),
				 "register: on_revoked must be fail or continue");
		c->revoked_go_on = ou && strcmp(ou, "continue") == 0;
		free(ou);
	} else if (n && !(n->type == YN_SCALAR && n->plain && !*n->str)) {
		lint_err(l, n, "register: expects a mapping (or nothing, for the defaults)");
	}
	lint_define(l, "cms.id");
	lint_define(l, "cms.status");
	return ST_OK;
}

static bool stop_cb(void *ctx)
{
	return rc_stopped(ctx);
}

static void ran_out_cb(void *ctx)
{
	rc_out_of_time(ctx);
}

void rc_cms(struct run_ctx *rc, struct cms_config *cc)
{
	*cc = rc->cfg->cms;
	/* both CLOCK_MONOTONIC; rounded up as every wait of a step is
	 * (rc_remaining_ms): a CMS call cut to the step's time ends past its
	 * deadline, so that run_attempt() names whose time ran out */
	cc->deadline_ms = now_us() / 1000 + rc_remaining_ms(rc);
	cc->stopped = stop_cb;
	cc->ran_out = ran_out_cb;	/* a give-up for lack of the step's time */
	cc->stop_ctx = rc;
}

void rc_cms_record(struct step_result *r, const struct cms_config *cc, int requests)
{
	char n[16];

	snprintf(n, sizeof(n), "%d", requests);
	sr_kv(r, "cms.requests", n);
	if (cc->insecure)
		sr_kv(r, "cms.insecure", "true: the CMS's certificate and host were NOT verified");
}

/* The outcome of a CMS error: the unit's fault, the station's, or a stop. */
static enum db_outcome verdict(int ret, const struct cms_result *res)
{
	if (ret == ST_ERR_ABORTED)
		return DB_ABORTED;
	if (ret == ST_ERR_NOTFOUND || ret == ST_ERR_CERT ||
	    (ret == ST_ERR_HTTP && res->http_status == 409))
		return DB_FAIL;
	return DB_ERROR;
}

static void register_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct register_cfg *c = s->cfg;
	struct st_error e = { 0 };
	struct cms_result res = { 0 };
	struct cms_config cc;
	char *serial, *leaf;
	int ret;

	if (!rc->have_ident || !rc->ident.pem_chain) {
		sr_set(r, DB_ERROR, "no identity to register: put an identity step before register");
		return;
	}
	if (!rc->cfg || !rc->cfg->cms.url) {
		sr_set(r, DB_ERROR, "no CMS configured: add cms: {url, ca, api_key_file} to station.yaml");
		return;
	}
	serial = rc_expand(rc, r, c->serial ? c->serial : "${serial}");
	if (!serial)
		return;	/* rc_expand said why */
	leaf = cms_leaf_pem(rc->ident.pem_chain);
	rc_cms(rc, &cc);	/* the step's timeout bounds every attempt together */
	struct cms_request req = {
		.serial = serial,
		.chip_serial = rc->ident.chip_serial,
		.cert_pem = leaf ? leaf : rc->ident.pem_chain,
		.chain_pem = rc->ident.pem_chain,
		.station = vars_get(&rc->vars, "station"),
		.fixture = rc->fxdef->name,
	};
	ret = cms_register(&cc, &req, &res, &e);
	if (ret < 0 && c->queue && cms_is_unavailable(ret, &res)) {
		/* The unit goes on; the log row is the queue `station cms sync` works. */
		log_warn("%s: CMS unavailable, registration queued: %s", serial, e.msg);
		snprintf(res.status, sizeof(res.status), "queued");
		sr_kv(r, "cms.queued", e.msg);
		ret = ST_OK;
	}
	if (ret == ST_ERR_CERT && c->revoked_go_on) {
		/* the demo's zero-touch: the sequence enrols a new identity next
		 * (an enroll step with when: ${cms.status} != Good) */
		log_warn("%s: %s; on_revoked: continue", serial, e.msg);
		snprintf(res.status, sizeof(res.status), "revoked");
		sr_kv(r, "cms.revoked", e.msg);
		ret = ST_OK;
	}
	r->has_cms = true;
	r->cms.status = sr_str(r, res.status[0] ? res.status : "failed");
	r->cms.cms_id = res.id[0] ? sr_str(r, res.id) : NULL;
	r->cms.attempts = res.attempts;
	r->cms.http_status = res.http_status;
	rc_cms_record(r, &cc, res.requests);
	if (res.cert_status[0])
		sr_kv(r, "cms.cert_status", res.cert_status);
	vars_set(&rc->vars, "cms.status", res.cert_status);
	if (ret < 0)
		sr_set(r, verdict(ret, &res), "CMS registration: %s", e.msg);
	else
		vars_set(&rc->vars, "cms.id", res.id); /* "" while queued */
	free(leaf);
	free(serial);
}

static void register_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct register_cfg *c = s->cfg;

	fprintf(out, "      register %s with %s%s\n", c->serial ? c->serial : "${serial}",
		rc->cfg && rc->cfg->cms.url ? rc->cfg->cms.url : "(no CMS configured)",
		c->queue ? " (queued if unavailable)" : "");
}

const struct step_kind step_register = {
	.name = "register",
	.summary = "register the identity with the Certificate Management Service (HTTPS)",
	.default_timeout_s = 60,
	.parse = register_parse,
	.run = register_run,
	.plan = register_plan,
	.free_cfg = register_free,
};
