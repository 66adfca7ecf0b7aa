/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enroll: on-chip enrolment, the flow of SEALSQ's NCCoE demo done properly.
 * A key pair generated in an SE slot, a CSR the SE signs, a certificate the
 * CMS issues for it (cms_enroll), checked, written back to the SE, read back,
 * compared and proven; logged like the identity step.
 *   enroll:
 *     slot: 1                                          # 1..9; 0 is the factory identity
 *     subject: "CN=${serial},serialNumber=${serial}"   # mbedTLS name syntax
 *     validity_days: 365                               # default: station.yaml cms
 *     trust: ${trust}                                  # only ${trust}: station.yaml's roots
 *     chain: pki/chain.pem                             # intermediates (optional)
 *     expect_serial: ${serial}                         # the certificate's serialNumber
 *     unique: true                                     # refuse a key logged for another unit
 *     subject_mismatch: fail                           # or warn: the CMS dropped attributes
 *     renew_within_days: 30                            # renew a kept one this close to its end
 * Idempotent, as the seed demo's zero-touch check (inesDemo_ZeroTouchProv):
 * when the slot already holds a certificate the CMS calls Good (v2: its
 * status; est: it chains to the CMS's /cacerts and is in its validity), it
 * is kept once it passes the checks a new one gets and the slot proves its
 * key (nothing generated, nothing issued: a re-run of a passed unit costs no
 * certificate); Revoked, Expired or another CA's, a new one is enrolled.  A
 * kept one within renew_within_days of its notAfter is renewed for the key
 * the slot holds (v2 .../{id}/rekey, est simplereenroll): no keygen, so the
 * slot keeps its working certificate until the new one is issued, checked
 * and written over it; a failed renewal leaves it as it was.  The CMS client
 * also finds an issue it completed after a timeout (cms_enroll).
 * Sets ${enroll.cert_serial} ${enroll.fingerprint} ${enroll.subject_serial}
 * ${enroll.cms_id} ${enroll.thumbprint} ${enroll.dpp_uri} ${enroll.chip_serial}.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "enroll"
#include "common/log.h"
#include "link/console.h"
#include "station/cms_status.h"
#include "station/steps/steps.h"

#define CHAIN_FILE_MAX (32 * 1024)

struct enroll_cfg {
	int slot;
	char *subject;
	int validity_days;
	char *trust;
	char *chain;
	char *expect_serial;
	bool unique;
	bool subject_warn;	/* subject_mismatch: warn */
	int renew_within_days;	/* 0: never renew a kept certificate */
};

static const char *const enroll_keys[] = { "slot", "subject", "validity_days", "trust",
					   "chain", "expect_serial", "unique", "subject_mismatch",
					   "renew_within_days", NULL };
static const char *const enroll_vars[] = { "enroll.cert_serial", "enroll.fingerprint",
					   "enroll.subject_serial", "enroll.cms_id",
					   "enroll.thumbprint", "enroll.dpp_uri",
					   "enroll.chip_serial", NULL };

static void enroll_free(void *p)
{
	struct enroll_cfg *c = p;

	free(c->subject);
	free(c->trust);
	free(c->chain);
	free(c->expect_serial);
	free(c);
}

/* A string key that may hold ${...}. */
static void str_key(struct lint *l, const struct ynode *n, const char *key, char **out)
{
	if (lint_str(l, n, key, false, out) && *out)
		lint_vars(l, ynode_get(n, key), *out);
}

static int enroll_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct enroll_cfg *c = calloc(1, sizeof(*c));
	double slot = 1, days = 0, renew = 0;
	char *sm = NULL;

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	c->unique = true;
	if (n && n->type == YN_MAP) {
		lint_keys(l, n, enroll_keys, "enroll");
		if (lint_num(l, n, "slot", false, &slot) &&
		    (slot < 1 || slot >= SE_SLOTS_MAX || slot != (int)slot))
			lint_err(l, ynode_get(n, "slot"), "enroll: slot must be 1..%d (slot 0 is "
				 "the factory identity)", SE_SLOTS_MAX - 1);
		/* absent: station.yaml's cms.validity_days (lint_num is true then) */
		if (ynode_get(n, "validity_days") && lint_num(l, n, "validity_days", false, &days) &&
		    (days < 1 || days > 36500 || days != (int)days))
			lint_err(l, ynode_get(n, "validity_days"), "enroll: validity_days must be "
				 "1 to 36500");
		if (lint_num(l, n, "renew_within_days", false, &renew) &&
		    (renew < 0 || renew > 36500 || renew != (int)renew))
			lint_err(l, ynode_get(n, "renew_within_days"), "enroll: renew_within_days "
				 "must be a whole number of days, 0 to 36500");
		str_key(l, n, "subject", &c->subject);
		str_key(l, n, "trust", &c->trust);
		if (config_trust_key_refused(c->trust))
			lint_err(l, ynode_get(n, "trust"), "enroll: %s",
				 config_trust_key_refused(c->trust));
		str_key(l, n, "chain", &c->chain);
		if (c->chain)
			lint_file(l, ynode_get(n, "chain"), c->chain);
		str_key(l, n, "expect_serial", &c->expect_serial);
		lint_bool(l, n, "unique", &c->unique);
		if (lint_str(l, n, "subject_mismatch", false, &sm) && sm &&
		    strcmp(sm, "fail") != 0 && strcmp(sm, "warn") != 0)
			lint_err(l, ynode_get(n, "subject_mismatch"),
				 "enroll: subject_mismatch must be fail or warn");
		c->subject_warn = sm && strcmp(sm, "warn") == 0;
		free(sm);
	} else if (n && !(n->type == YN_SCALAR && n->plain && !*n->str)) {
		lint_err(l, n, "enroll: expects a mapping (or nothing, for the defaults)");
	}
	/* out of range was reported above; keep the cast defined */
	c->slot = slot >= 1 && slot < SE_SLOTS_MAX ? (int)slot : 1;
	c->validity_days = days >= 0 && days <= 36500 ? (int)days : 0;
	c->renew_within_days = renew >= 0 && renew <= 36500 ? (int)renew : 0;
	for (int i = 0; enroll_vars[i]; i++)
		lint_define(l, enroll_vars[i]);
	return ST_OK;
}

/* The SE's console: each command within what is left of the step's time. */
static int enroll_xfer(void *ctx, const char *cmd, char *resp, size_t cap, int timeout_ms,
		       struct st_error *e)
{
	struct run_ctx *rc = ctx;
	struct link *l = rc->link;
	int ms = rc_remaining_ms(rc);

	if (timeout_ms < ms)
		ms = timeout_ms;
	return console_cmd(l, cmd, resp, cap, ms, e);
}

/* What the CA side needs, and what the CMS said. */
struct issue_ctx {
	struct run_ctx *rc;
	const char *serial;
	const char *subject;
	int validity_days;
	bool subject_warn;
	bool asked;
	bool renew;		/* renewing the slot's certificate, same key */
	char renew_id[64];	/* v2: the CMS's id of the certificate renewed */
	char renew_until[40];	/* v2: its valid_until, as the CMS gave it */
	int pre_requests;	/* asked before enrolling: is the slot's one good? */
	int ret;
	struct cms_config cc;
	struct cms_enroll_result res;
	struct cms_status_src status;	/* identity: {cms_status: true} */
};

/* se_issue_fn: the CMS signs the CSR; its record comes back for the checks. */
static int cms_issue(void *ctx, const char *csr_pem, struct se_enrollment *en,
		     struct st_error *e)
{
	struct issue_ctx *x = ctx;
	struct cms_enroll_request req = {
		.serial = x->serial,
		.subject = x->subject,
		.csr_pem = csr_pem,
		.validity_days = x->validity_days,
		.subject_warn = x->subject_warn,
		.renew = x->renew,
		.renew_id = x->renew && x->renew_id[0] ? x->renew_id : NULL,
		.renew_until = x->renew_until,
	};

	x->asked = true;
	x->ret = cms_enroll(&x->cc, &req, &x->res, e);
	if (x->ret < 0) {
		st_error_prefix(e, "CMS");
		return x->ret;
	}
	en->cert_pem = x->res.cert_pem;
	x->res.cert_pem = NULL;
	snprintf(en->ca_serial, sizeof(en->ca_serial), "%s", x->res.serial_number);
	snprintf(en->ca_thumbprint, sizeof(en->ca_thumbprint), "%s", x->res.thumbprint);
	return ST_OK;
}

/* The intermediates: the chain file, then the issuers of the identity an
 * earlier identity step read (candidates only: trust is the roots'). */
static char *issuers(struct run_ctx *rc, struct step_result *r, const char *chain_path)
{
	const char *prev = NULL, *end;
	char *buf = calloc(1, CHAIN_FILE_MAX + 1);
	size_t n = 0;
	FILE *f;

	if (!buf) {
		sr_set(r, DB_ERROR, "enroll: out of memory");
		return NULL;
	}
	if (chain_path) {
		f = fopen(chain_path, "r");
		if (!f) {
			sr_set(r, DB_ERROR, "enroll: cannot read the chain %s: %s", chain_path,
			       strerror(errno));
			free(buf);
			return NULL;
		}
		n = fread(buf, 1, CHAIN_FILE_MAX / 2, f);
		fclose(f);
		buf[n] = '\0';
	}
	if (rc->have_ident && rc->ident.pem_chain &&
	    (end = strstr(rc->ident.pem_chain, "-----END CERTIFICATE-----")) != NULL)
		prev = end + strlen("-----END CERTIFICATE-----");
	if (prev)
		snprintf(buf + n, CHAIN_FILE_MAX + 1 - n, "%s", prev);
	return buf;
}

/* record() and record_cms(): a value per check, the policy's fields, the
 * stage, the CSR and the CMS's (thumbprint, requests, ...), clone_of */
_Static_assert(SE_MAX_CHECKS + 5 + 8 <= SR_MAX_KV, "a step result holds every value of an enrolment");

/* The new identity in the step's result, as the identity step logs one. */
static void record(struct step_result *r, const struct se_enrollment *en)
{
	sr_identity(r, &en->id);
	sr_kv(r, "stage", en->stage);
	if (en->csr_pem)
		sr_kv(r, "csr_pem", en->csr_pem);
}

static void record_cms(struct step_result *r, const struct issue_ctx *x)
{
	if (!x->asked)
		return;
	r->has_cms = true;
	r->cms.status = x->ret == ST_ERR_ABORTED ? "aborted" :
			x->ret < 0 ? (x->renew ? "renewal-failed" : "failed") :
			x->renew ? "renewed" : x->res.reused ? "reused" : "enrolled";
	r->cms.cms_id = x->res.certificate_id[0] ? sr_str(r, x->res.certificate_id) : NULL;
	r->cms.attempts = x->res.attempts;
	r->cms.http_status = x->res.http_status;
	rc_cms_record(r, &x->cc, x->pre_requests + x->res.requests + x->status.requests);
	if (x->renew && x->renew_id[0])
		sr_kv(r, "cms.renewed_id", x->renew_id);
	if (x->res.thumbprint[0])
		sr_kv(r, "cms.thumbprint", x->res.thumbprint);
	if (x->res.subject_missing[0])
		sr_kv(r, "cms.subject_missing", x->res.subject_missing);
	if (x->res.reused)
		sr_kv(r, "cms.reused", "the CMS had already issued this certificate for this key "
		      "(an earlier attempt it completed): not issued again");
}

static void set_vars(struct run_ctx *rc, const struct se_enrollment *en,
		     const struct issue_ctx *x)
{
	vars_set(&rc->vars, "enroll.cert_serial", en->id.cert_serial);
	vars_set(&rc->vars, "enroll.fingerprint", en->id.fingerprint);
	vars_set(&rc->vars, "enroll.subject_serial", en->id.subject_serial);
	vars_set(&rc->vars, "enroll.cms_id", x->res.certificate_id);
	vars_set(&rc->vars, "enroll.thumbprint", x->res.thumbprint);
	vars_set(&rc->vars, "enroll.dpp_uri", en->id.dpp_uri);
	vars_set(&rc->vars, "enroll.chip_serial", en->id.chip_serial);
}

/* The same key already logged for another unit: an SE whose generator repeats. */
static int clone_check(struct run_ctx *rc, struct step_result *r, const struct se_identity *id,
		       const char *serial)
{
	struct db_identity_key k = { id->fingerprint, id->spki_sha256, serial, NULL };
	struct db_identity_hit hit;
	struct st_error e = { 0 };
	int ret;

	ret = db_identity_seen(rc->db, &k, &hit, &e);
	if (ret == 1) {
		sr_set(r, DB_FAIL, "enrolment: the key generated in the SE (spki %.16s...) is "
		       "already logged for unit %s: the SE's key generator repeats", id->spki_sha256,
		       hit.unit);
		sr_kv(r, "clone_of", hit.unit);
		return ST_ERR_EXISTS;
	}
	if (ret < 0)
		sr_set(r, DB_ERROR, "enrolment clone check: %s", e.msg);
	return ret < 0 ? ret : ST_OK;
}

/* Expand the step's strings; NULL members stay NULL. */
static int expand_all(struct run_ctx *rc, struct step_result *r, const struct enroll_cfg *c,
		      char **v)
{
	const char *src[] = { c->subject ? c->subject : "CN=${serial},serialNumber=${serial}",
			      c->trust ? c->trust : "${trust}", c->chain,
			      c->expect_serial ? c->expect_serial : "${serial}", "${serial}" };

	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		if (!src[i])
			continue;
		v[i] = rc_expand(rc, r, src[i]);
		if (!v[i])
			return ST_ERR_ARG;
	}
	if (!*v[4]) {
		sr_set(r, DB_ERROR, "enroll: the unit has no serial yet: scan it (--serial) or "
		       "read it with an identity step first");
		return ST_ERR_ARG;
	}
	return ST_OK;
}

#define SLOT_PEM_MAX (16 * 1024)

/* v2: the CMS's status of the slot's certificate and its record (its id). */
static int ask_v2(struct issue_ctx *x, const char *pem, bool *good, char *id, size_t id_cap,
		  char *what, size_t what_cap, int *requests, struct st_error *e)
{
	struct cms_lookup_result lk = { 0 };
	struct cms_result res = { 0 };
	int ret = cms_status(&x->cc, pem, &res, e);

	if (ret == ST_OK && !strcmp(res.cert_status, "Good"))
		ret = cms_lookup(&x->cc, CMS_BY_THUMBPRINT, res.thumbprint, &lk, e);
	*requests = res.requests + lk.requests;
	*good = ret == ST_OK && !strcmp(res.cert_status, "Good") && lk.count > 0;
	snprintf(id, id_cap, "%s", lk.count ? lk.certs[0].id : "");
	snprintf(x->renew_until, sizeof(x->renew_until), "%s", lk.count ? lk.certs[0].valid_until : "");
	snprintf(x->res.thumbprint, sizeof(x->res.thumbprint), "%s", res.thumbprint);
	snprintf(what, what_cap, "%s (thumbprint %s)", lk.count || strcmp(res.cert_status, "Good") ?
		 res.cert_status : "unknown", res.thumbprint);
	return ret;
}

/* est: does it chain to the CMS's CA certificates (GET /cacerts), in its validity? */
static int ask_est(struct issue_ctx *x, const char *pem, bool *good, char *what,
		   size_t what_cap, int *requests, struct st_error *e)
{
	struct st_error ce = { 0 };
	char *ca = NULL;
	long left;
	int ret = cms_cacerts(&x->cc, &ca, requests, e);

	if (ret == ST_OK) {
		*good = cms_cert_check(pem, ca, &left, &ce) == ST_OK;
		snprintf(what, what_cap, "%.300s", *good ? "Good: chains to the CMS's /cacerts" :
			 ce.msg);
	}
	free(ca);
	return ret;
}

/*
 * The demo's zero-touch check: a certificate already in the slot that the
 * CMS calls Good is kept, once it passes the checks a new one would (every
 * identity check, the unit's names) and the slot proves it holds its key:
 * a Good certificate moved from another unit's SE, or one the trust no
 * longer accepts, is refused, not kept.  1 kept (r and the vars say so), 0
 * enrol (an empty slot, or a certificate the CMS calls Revoked, Expired,
 * unknown, another CA's), 2 renew it (within renew_days of its end:
 * x->renew), <0 the step ends (r says why: the SE or the CMS could not be
 * asked, or the slot's certificate failed a check; nothing was changed).
 */
static int keep_existing(struct run_ctx *rc, struct step_result *r, struct se *se,
			 const struct se_enroll_req *req, int renew_days, struct issue_ctx *x,
			 struct se_enrollment *en)
{
	struct st_error e = { 0 }, ce = { 0 };
	char *pem, what[320], id[64] = "", n[64];
	bool good = false;
	long left = 0;
	int ret, requests = 0, slot = req->slot;

	if (!cms_can_lookup(x->cc.proto) && !cms_can_cacerts(x->cc.proto))
		return 0;	/* nothing to ask: enrol as asked */
	pem = malloc(SLOT_PEM_MAX);
	if (!pem) {
		sr_set(r, DB_ERROR, "enroll: out of memory");
		return ST_ERR_NOMEM;
	}
	ret = se_read_cert(se, slot, pem, SLOT_PEM_MAX, &e);
	if (ret == ST_ERR_FAIL) {	/* the board's ERR: the slot holds none */
		free(pem);
		return 0;
	}
	if (ret == ST_OK && cms_can_lookup(x->cc.proto))
		ret = ask_v2(x, pem, &good, id, sizeof(id), what, sizeof(what), &requests, &e);
	else if (ret == ST_OK)
		ret = ask_est(x, pem, &good, what, sizeof(what), &requests, &e);
	if (ret == ST_OK && good)
		cms_cert_check(pem, NULL, &left, &ce);
	x->pre_requests = requests;
	if (ret < 0) {
		free(pem);
		rc_cms_record(r, &x->cc, requests);
		sr_set(r, ret == ST_ERR_ABORTED ? DB_ABORTED : DB_ERROR, "enroll: cannot tell "
		       "whether slot %d's certificate is still good (nothing was changed): %s",
		       slot, e.msg);
		return ret;
	}
	sr_kv(r, "cms.slot_status", what);
	if (!good) {
		free(pem);
		log_info("slot %d holds a certificate the CMS calls %s: enrolling a new one", slot,
			 what);
		return 0;
	}
	if (renew_days > 0 && left <= renew_days) {
		snprintf(n, sizeof(n), "%ld days left, renew_within_days %d", left, renew_days);
		sr_kv(r, "cms.renew", n);
		log_info("slot %d: its certificate ends in %ld days: renewing it", slot, left);
		/* the renewed certificate gets every check a new one gets */
		free(pem);
		x->renew = true;
		snprintf(x->renew_id, sizeof(x->renew_id), "%s", id);
		return 2;
	}
	ret = se_enroll_check_kept(se, req, pem, en, &e);
	free(pem);
	record(r, en);
	if (ret < 0) {
		rc_cms_record(r, &x->cc, requests);
		sr_set(r, ret == ST_ERR_CERT ? DB_FAIL : rc_outcome_of(ret), "enroll: slot %d "
		       "holds a certificate the CMS calls Good, but it %s (nothing was changed): %s",
		       slot, ret == ST_ERR_CERT ? "fails the checks" : "could not be checked",
		       e.msg);
		return ret;
	}
	rc_cms_record(r, &x->cc, requests);
	r->has_cms = true;
	r->cms.status = "kept";	/* the slot's certificate, Good at the CMS, checked */
	r->cms.cms_id = id[0] ? sr_str(r, id) : NULL;
	r->cms.http_status = 200;	/* every answer that led here was a 200 */
	sr_kv(r, "stage", "kept");
	snprintf(x->res.certificate_id, sizeof(x->res.certificate_id), "%s", id);
	return 1;
}

static void enroll_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct enroll_cfg *c = s->cfg;
	struct issue_ctx x = { .rc = rc, .validity_days = c->validity_days,
			       .subject_warn = c->subject_warn };
	struct se_enroll_req req = { .slot = c->slot, .issue = cms_issue, .issue_ctx = &x };
	struct se_enrollment en = { 0 };
	struct st_error e = { 0 };
	struct se_policy p = { 0 };
	char *v[5] = { 0 }, *chain = NULL;	/* subject, trust, chain, expect, serial */
	struct se *se = NULL;
	struct link *l;
	int ret;

	if (!rc->cfg || !rc->cfg->cms.url) {
		sr_set(r, DB_ERROR, "enroll: no CMS configured: add cms: {url, ca, protocol: v2, "
		       "...} to station.yaml");
		return;
	}
	ret = expand_all(rc, r, c, v);
	if (ret < 0)
		goto out;
	chain = issuers(rc, r, v[2]);
	if (!chain) {
		ret = ST_ERR_IO;
		goto out;
	}
	/* trust and policy only from station.yaml (docs/identity.md) */
	p = rc->cfg->identity;
	p.trust = rc->cfg->trust;
	p.expect_serial = *v[3] ? v[3] : NULL;
	x.serial = v[4];
	x.subject = v[0];
	rc_cms(rc, &x.cc);	/* the step's timeout bounds every CMS call */
	if (rc->cfg->cms_status)	/* the issued certificate's status, as the identity step's */
		cms_status_source(&p, &x.status, &x.cc);
	ret = rc_link(rc, &l, &e);
	if (ret == ST_OK)
		ret = se_open_console(&se, enroll_xfer, rc, rc_remaining_ms(rc), &e);
	if (ret < 0) {
		sr_set(r, DB_ERROR, "cannot reach the secure element: %s", e.msg);
		goto out;
	}
	req.subject = v[0];
	req.policy = &p;
	req.issuers_pem = chain;
	rc_log_anchors(rc, p.trust);	/* what the certificate is checked against */
	ret = keep_existing(rc, r, se, &req, c->renew_within_days, &x, &en);
	if (ret < 0 || ret == 1) {
		if (ret > 0)
			set_vars(rc, &en, &x);
		ret = ret > 0 ? ST_OK : ret;
		goto out;
	}
	if (ret == 2) {		/* renew: the checked slot certificate's record goes */
		se_enrollment_free(&en);
		memset(&en, 0, sizeof(en));
	}
	req.reuse_key = x.renew;
	ret = se_enroll(se, &req, &en, &e);
	record(r, &en);
	record_cms(r, &x);
	/* a 409: the CMS holds this serial for another key (a clone?): the unit's */
	if (ret == ST_ERR_CERT || (ret == ST_ERR_HTTP && x.res.http_status == 409))
		sr_set(r, DB_FAIL, "enrolment failed at %s: %s", en.stage, e.msg);
	else if (ret < 0)
		sr_set(r, DB_ERROR, "enrolment stopped at %s: %s", en.stage, e.msg);
	else if (c->unique && rc->db)
		ret = clone_check(rc, r, &en.id, x.serial);
	if (ret == ST_OK)
		set_vars(rc, &en, &x);
out:
	se_close(se);
	se_enrollment_free(&en);
	cms_enroll_result_free(&x.res);
	free(chain);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		free(v[i]);
}

static void enroll_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct enroll_cfg *c = s->cfg;

	fprintf(out, "      new key in SE slot %d, CSR '%s', certificate from %s, write back, "
		"read back, prove possession\n", c->slot,
		c->subject ? c->subject : "CN=${serial},serialNumber=${serial}",
		rc->cfg && rc->cfg->cms.url ? rc->cfg->cms.url : "(no CMS configured)");
}

const struct step_kind step_enroll = {
	.name = "enroll",
	.summary = "on-chip enrolment: SE key pair, CSR, CMS-issued certificate written back and proven",
	.default_timeout_s = 90,
	.parse = enroll_parse,
	.run = enroll_run,
	.plan = enroll_plan,
	.free_cfg = enroll_free,
};
