/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity: read the secure element's identity through the diagnostic
 * firmware, verify its chain to the manufacturer roots, prove possession of
 * the key (the SE signs a fresh nonce), check the 802.1AR / RFC 8995 fields,
 * refuse a clone, and log it all.
 *   identity:
 *     expect_serial: ${serial}    # subject serialNumber must equal this
 *     require_masa: true
 *     unique: true                # refuse a key/certificate logged for another unit
 * The manufacturer roots come only from station.yaml's trust: (a sequence's
 * trust: may only say ${trust}); the policy from station.yaml's identity:,
 * with cms_status: true the CMS's status answer as a revocation source (no
 * answer from the CMS: ERROR).
 * Sets ${se.chip_serial} ${se.cert_serial} ${se.subject_serial}
 * ${se.fingerprint} ${se.masa_url} ${se.dpp_uri}; and ${serial}, when empty,
 * only once the chain and the proof of possession passed and the identity
 * is no clone.  A clone marks the original and the copy suspect; the same
 * SE chip under another serial is a mis-scan, and marks nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_PREFIX "identity"
#include "common/log.h"
#include "link/console.h"
#include "station/cms_status.h"
#include "station/steps/steps.h"

struct identity_cfg {
	char *trust;
	char *expect_serial;
	bool require_masa;
	bool unique;
};

static const char *const identity_keys[] = { "trust", "expect_serial", "require_masa",
					     "unique", NULL };
static const char *const identity_vars[] = { "se.chip_serial", "se.cert_serial",
					     "se.subject_serial", "se.fingerprint",
					     "se.masa_url", "se.dpp_uri", NULL };

static void identity_free(void *p)
{
	struct identity_cfg *c = p;

	free(c->trust);
	free(c->expect_serial);
	free(c);
}

static int identity_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct identity_cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	c->require_masa = true;
	c->unique = true;
	if (n && n->type == YN_MAP) {
		lint_keys(l, n, identity_keys, "identity");
		if (lint_str(l, n, "trust", false, &c->trust) &&
		    config_trust_key_refused(c->trust))
			lint_err(l, ynode_get(n, "trust"), "identity: %s",
				 config_trust_key_refused(c->trust));
		if (lint_str(l, n, "expect_serial", false, &c->expect_serial) && c->expect_serial)
			lint_vars(l, ynode_get(n, "expect_serial"), c->expect_serial);
		lint_bool(l, n, "require_masa", &c->require_masa);
		lint_bool(l, n, "unique", &c->unique);
	} else if (n && !(n->type == YN_SCALAR && n->plain && !*n->str)) {
		lint_err(l, n, "identity: expects a mapping (or nothing, for the defaults)");
	}
	for (int i = 0; identity_vars[i]; i++)
		lint_define(l, identity_vars[i]);
	return ST_OK;
}

struct xfer_ctx {
	struct link *l;
	const struct run_ctx *rc;
};

/* Each SE command gets what is left of the step's timeout, not all of it:
 * three slow answers must not add up to three times the step's limit. */
static int xfer(void *ctx, const char *cmd, char *resp, size_t cap, int timeout_ms,
		struct st_error *e)
{
	const struct xfer_ctx *x = ctx;
	int left = rc_remaining_ms(x->rc);

	return console_cmd(x->l, cmd, resp, cap, left < timeout_ms ? left : timeout_ms, e);
}

/* a value per check, the policy's fields (sr_identity), clone_of, cms.requests, cms.insecure */
_Static_assert(SE_MAX_CHECKS + 8 <= SR_MAX_KV, "a step result holds a value per identity check");

static void record(struct run_ctx *rc, struct step_result *r, const struct se_identity *id)
{
	sr_identity(r, id);	/* the same checks and fields `station cert check` reports */
	vars_set(&rc->vars, "se.chip_serial", id->chip_serial);
	vars_set(&rc->vars, "se.cert_serial", id->cert_serial);
	vars_set(&rc->vars, "se.subject_serial", id->subject_serial);
	vars_set(&rc->vars, "se.fingerprint", id->fingerprint);
	vars_set(&rc->vars, "se.masa_url", id->masa_url);
	vars_set(&rc->vars, "se.dpp_uri", id->dpp_uri);
}

/* "name: detail; name: detail" for every check that failed. */
static const char *failed_checks(const struct se_identity *id, char *why, size_t cap)
{
	size_t len = 0;

	why[0] = '\0';
	for (int i = 0; i < id->n_checks && len < cap; i++)
		if (!id->checks[i].pass)
			len += (size_t)snprintf(why + len, cap - len, "%s%s: %s", len ? "; " : "",
						id->checks[i].name, id->checks[i].detail);
	return why;
}


/* Both ends of a clone, marked suspect: the original unit, and the copy
 * (this run, and its unit when the board bears a serial of its own). */
static void mark_suspects(struct run_ctx *rc, const struct db_identity_hit *hit,
			  const char *copy_unit)
{
	const struct se_identity *id = &rc->ident;
	struct st_error e = { 0 };
	char why[512];
	struct db_suspect s = {
		.run_id = rc->run_id, .chip_serial = id->chip_serial,
		.fingerprint = id->fingerprint, .reason = why,
	};

	snprintf(why, sizeof(why), "cloned identity: its certificate (fingerprint %.16s...) "
		 "was presented again by SE chip %s in run %s%s%s", id->fingerprint,
		 id->chip_serial, rc->run_id, copy_unit ? ", board " : "", copy_unit ? copy_unit : "");
	s.unit_serial = hit->unit;
	s.role = "original";
	if (db_suspect_mark(rc->db, &s, &e) < 0)
		log_err("%s", e.msg);
	snprintf(why, sizeof(why), "copy of the identity of unit %s (its SE chip %s; this "
		 "board's SE chip %s)", hit->unit, hit->chip[0] ? hit->chip : "unknown",
		 id->chip_serial);
	s.unit_serial = copy_unit;
	s.role = "copy";
	if (db_suspect_mark(rc->db, &s, &e) < 0)
		log_err("%s", e.msg);
}

/*
 * The identity passed before in this very SE chip, but for another unit:
 * the same board under another serial, not a clone.  A copy that could fake
 * the chip serial could as well bear the original's label, so a mark would
 * catch nothing and only quarantine a good board.  Nothing is marked and no
 * serial changed; the step fails on the serial alone, saying which one is
 * probably wrong: the scan, unless it is the serial the certificate names
 * (then the earlier run's was).
 */
static bool misscan(const struct run_ctx *rc, struct step_result *r,
		    const struct db_identity_hit *hit, const char *serial, bool scanned,
		    char *why, size_t cap)
{
	const struct se_identity *id = &rc->ident;

	if (!hit->chip[0] || !id->chip_serial[0] || strcasecmp(hit->chip, id->chip_serial))
		return false;
	if (scanned && strcmp(serial, id->subject_serial))
		snprintf(why, cap, "this board's SE chip %s passed before as unit %s, so the "
			 "scanned serial %s is probably wrong: scan the board's label again",
			 id->chip_serial, hit->unit, serial);
	else
		snprintf(why, cap, "this board's SE chip %s passed before as unit %s, but its "
			 "certificate names %s: the serial of that earlier run was probably "
			 "mis-scanned; check the board's label", id->chip_serial, hit->unit,
			 id->subject_serial[0] ? id->subject_serial : "no serial");
	sr_kv(r, "passed_as", hit->unit);
	return true;
}

/*
 * Refuse a clone: this identity passed before for another unit, or for this
 * unit in another SE chip (the copy sits in a board bearing the original's
 * serial, so only the chip tells them apart).  Both are marked suspect; a
 * copy bearing the original's serial loses it, so that the original's trace
 * and yield keep only the mark.
 */
static int clone_check(struct run_ctx *rc, struct step_result *r, const char *serial,
		       bool scanned, char *why, size_t cap)
{
	const struct se_identity *id = &rc->ident;
	struct db_identity_key k = { id->fingerprint, id->spki_sha256,
				     serial && *serial ? serial : NULL, id->chip_serial };
	struct db_identity_hit hit;
	struct st_error e = { 0 };
	bool same_unit;
	int ret;

	ret = db_identity_seen(rc->db, &k, &hit, &e);
	if (ret < 0) {
		sr_set(r, DB_ERROR, "clone check: %s", e.msg);
		return ret;
	}
	if (ret == 0)
		return ST_OK;
	if (misscan(rc, r, &hit, serial, scanned, why, cap))
		return ST_ERR_EXISTS;	/* the claims name another unit, as a clone's do */
	same_unit = serial && *serial && strcmp(hit.unit, serial) == 0;
	mark_suspects(rc, &hit, scanned && !same_unit ? serial : NULL);
	if (same_unit && scanned) {
		vars_set(&rc->vars, "serial", "");
		if (db_run_clear_serial(rc->db, rc->run_id, &e) < 0)
			log_err("%s", e.msg);
	}
	if (same_unit) {
		snprintf(why, cap, "cloned identity: this certificate or key (fingerprint %.16s...) "
			 "passed for unit %s in SE chip %s, but this board's SE is chip %s: "
			 "quarantine both boards (both are marked suspect)", id->fingerprint,
			 hit.unit, hit.chip, id->chip_serial);
	} else {
		snprintf(why, cap, "cloned identity: this certificate or key (fingerprint %.16s...) "
			 "is already logged for unit %s: quarantine both boards (both are marked "
			 "suspect)", id->fingerprint, hit.unit);
	}
	sr_kv(r, "clone_of", hit.unit);
	return ST_ERR_EXISTS;
}

static bool check_passed(const struct se_identity *id, const char *name)
{
	const struct se_check *c = se_identity_check(id, name);

	return c && c->pass;
}

static void identity_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct identity_cfg *c = s->cfg;
	struct st_error e = { 0 };
	struct se_policy p = { 0 };
	struct cms_status_src src;
	struct cms_config cc;
	struct se *se = NULL;
	struct link *l;
	char *expect = NULL;
	struct xfer_ctx x = { .rc = rc };
	const char *serial;
	char clone[512] = "";
	bool proven;
	int ret;

	/* Trust only from station.yaml: never a variable. */
	if (rc->cfg)
		p = rc->cfg->identity;
	p.trust = rc->cfg ? rc->cfg->trust : NULL;
	if (c->expect_serial) {
		/* rc_expand says in r why it cannot */
		expect = rc_expand(rc, r, c->expect_serial);
		if (!expect)
			return;
	}
	p.expect_serial = expect && *expect ? expect : NULL;
	p.require_masa = c->require_masa;
	ret = rc_link(rc, &l, &e);
	x.l = l;
	if (ret == ST_OK)
		ret = se_open_console(&se, xfer, &x, rc_remaining_ms(rc), &e);
	if (ret < 0) {
		sr_set(r, rc_outcome_of(ret), "cannot reach the secure element: %s", e.msg);
		goto out;
	}
	if (rc->have_ident)
		se_identity_free(&rc->ident);
	rc->have_ident = false;
	if (rc->cfg && rc->cfg->cms_status) {
		rc_cms(rc, &cc);	/* within the step's time */
		cms_status_source(&p, &src, &cc);
	}
	ret = se_identity_read(se, &p, &rc->ident, &e);
	if (p.status)
		rc_cms_record(r, &src.cc, src.requests);
	if (ret < 0 && ret != ST_ERR_CERT && !se_identity_status_unknown(&rc->ident)) {
		sr_set(r, rc_outcome_of(ret), "reading the secure element: %s", e.msg);
		goto out;
	}
	rc->have_ident = true;
	record(rc, r, &rc->ident);
	rc_log_anchors(rc, p.trust);
	if (ret < 0 && ret != ST_ERR_CERT) {
		/* no answer from the CMS is the station's trouble, not the
		 * board's: an ERROR, and the claims name no unit */
		sr_set(r, rc_outcome_of(ret), "identity: %s", e.msg);
		goto out;
	}
	serial = vars_get(&rc->vars, "serial");
	/* The certificate's claims name the unit only once proven: the chain
	 * to the roots and the SE's signature with the certificate's key. */
	proven = check_passed(&rc->ident, "chain") && check_passed(&rc->ident, "pop");
	if (proven && c->unique && rc->db) {
		/* the unit this board claims to be: the scanned serial, or else
		 * (proven) the certificate's: the same chip again is a re-test */
		bool scanned = serial && *serial;
		int cr = clone_check(rc, r, scanned ? serial : rc->ident.subject_serial, scanned,
				     clone, sizeof(clone));

		if (cr < 0 && cr != ST_ERR_EXISTS)
			goto out;	/* r says why */
		if (cr == ST_ERR_EXISTS)
			proven = false;		/* the claims name another unit */
		serial = vars_get(&rc->vars, "serial");
	}
	if (proven && (!serial || !*serial) && rc->ident.subject_serial[0]) {
		vars_set(&rc->vars, "serial", rc->ident.subject_serial);
		if (rc->db)
			db_run_set_serial(rc->db, rc->run_id, rc->ident.subject_serial, NULL);
	}
	if (ret == ST_ERR_CERT) {
		char why[ST_ERRMSG_MAX];

		sr_set(r, DB_FAIL, "identity check failed: %s%s%s",
		       failed_checks(&rc->ident, why, sizeof(why)), clone[0] ? "; and " : "", clone);
		goto out;
	}
	if (clone[0])
		sr_set(r, DB_FAIL, "%s", clone);
out:
	if (se)
		se_close(se);
	free(expect);
}

static void identity_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct identity_cfg *c = s->cfg;

	fprintf(out, "      read SE identity, verify to %s, prove possession%s%s%s\n",
		rc && rc->cfg && rc->cfg->trust ? rc->cfg->trust : "(no trust: in station.yaml)",
		c->expect_serial ? ", serialNumber = " : "",
		c->expect_serial ? c->expect_serial : "", c->unique ? ", refuse clones" : "");
}

const struct step_kind step_identity = {
	.name = "identity",
	.summary = "read the SE identity, verify chain, prove possession, 802.1AR checks, refuse clones",
	.default_timeout_s = 20,
	.parse = identity_parse,
	.run = identity_run,
	.plan = identity_plan,
	.free_cfg = identity_free,
};
