// SPDX-License-Identifier: Apache-2.0
/*
 * SEALSQ INeS REST API v2, the operations, under
 * /v2/organizations/{org}/certificates as the seed's demo client calls them
 * (wisekey_Ines_Agent.c in github.com/sclark-wisekey/NCCoE.factory.pub):
 *
 *   POST ""          issue: {"template_id": <int>, "subject": [{"oid","value"}...],
 *                    "san": [...], "csr": base64 DER, "passphrase": "",
 *                    "include_chain_in_pkcs12": <bool>, "valid_from": "",
 *                    "validity_period": <int days>} -> the certificate object
 *   POST "/status"   {"certificate_data": base64 DER} -> {"status": "Good" |
 *                    "Revoked" | "Expired" | ..., "detail", "reason", "revocationDate"}
 *   GET  "/{id}", "/thumbprint/{SHA-1 hex}"  -> the certificate object
 *   GET  "/cn/{common name}"  -> an object whose first member lists them
 *
 * INeS has no "devices": registering a pre-provisioned identity is what the
 * demo's zero-touch check does (inesDemo_ZeroTouchProv): ask the status of
 * the certificate the device holds, and find the CMS's record of it (by
 * thumbprint) for its id.  Enrolment looks for this unit's certificate for
 * this key first (by CN), so an issue the CMS completed after our timeout is
 * found rather than issued twice.  A renewal (the unit's certificate close
 * to its end, the same key) is POST "/{id}/rekey" {"csr",
 * "revoke_original_certificate": false}, after the same look-up (the
 * original itself left out).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <mbedtls/x509_csr.h>

#define LOG_PREFIX "cms"
#include "common/log.h"
#include "cms/cms-internal.h"

#define PATH_MAX_V2 640

/* --- look-ups --------------------------------------------------------------- */
struct lookup_out {
	struct cms_lookup_result *res;
	const char *want_spki_csr;	/* enrolment: keep the certificate for this CSR's key */
	const char *skip_id;		/* renewal: not the certificate being renewed, */
	const char *min_until;		/* nor one ending before it */
	struct cms_enroll_result *match;
	char match_until[40];		/* the match's valid_until: a later one wins */
};

static int cert_info(json_t *o, struct cms_cert_info *ci, struct st_error *e)
{
	int ret = cms_json_id(o, "certificate_id", ci->id, sizeof(ci->id), 1, e);

	if (ret == ST_OK)
		ret = cms_json_str(o, "status", ci->status, sizeof(ci->status), 0, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "thumbprint", ci->thumbprint, sizeof(ci->thumbprint), 0, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "common_name", ci->common_name, sizeof(ci->common_name), 0, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "valid_until", ci->valid_until, sizeof(ci->valid_until), 0, e);
	return ret;
}

static bool usable(const char *status)
{
	return strcasecmp(status, "Revoked") != 0 && strcasecmp(status, "Expired") != 0;
}

/* An enrolment's look-up: is this certificate the one for our CSR's key?
 * Of several for the key, the one ending last (on a tie, the later in the
 * CMS's list): an older certificate for the same key ends earlier. */
static void maybe_match(json_t *o, const struct cms_cert_info *ci, struct lookup_out *lo)
{
	struct cms_enroll_result m = { 0 };
	char *s = json_dumps(o, JSON_COMPACT);
	struct st_error e = { 0 };

	if ((lo->match->cert_pem && strcmp(ci->valid_until, lo->match_until) < 0) ||
	    !usable(ci->status) || !s || (lo->skip_id && !strcmp(lo->skip_id, ci->id)) ||
	    !cms_renewal_candidate(ci->valid_until, lo->min_until))
		goto out;
	if (cms_v2_parse_certificate(s, strlen(s), 200, &m, &e) == ST_OK &&
	    cms_cert_matches_csr(m.cert_pem, lo->want_spki_csr, &e) == ST_OK) {
		/* the certificate's fields only: the call's counters stay */
		free(lo->match->cert_pem);
		snprintf(lo->match_until, sizeof(lo->match_until), "%s", ci->valid_until);
		lo->match->cert_pem = m.cert_pem;
		memcpy(lo->match->certificate_id, m.certificate_id, sizeof(m.certificate_id));
		memcpy(lo->match->serial_number, m.serial_number, sizeof(m.serial_number));
		memcpy(lo->match->thumbprint, m.thumbprint, sizeof(m.thumbprint));
		lo->match->reused = true;
		m.cert_pem = NULL;
	}
	cms_enroll_result_free(&m);
out:
	free(s);
}

/* 200 with one certificate or a list (the first array member, as the
 * demo's fillArrayList reads it); 404: none. */
static int parse_lookup(const struct cms_resp *r, void *out, struct st_error *e)
{
	struct lookup_out *lo = out;
	json_t *o = NULL, *arr = NULL, *v, *it;
	const char *k;
	size_t i;
	int ret;

	if (r->status == 404)
		return ST_OK;
	ret = cms_json_object(r->data, r->len, r->status, &o, e);
	if (ret < 0)
		return ret;
	if (json_object_get(o, "certificate_id")) {	/* one certificate */
		arr = json_array();
		json_array_append(arr, o);
	} else {
		json_object_foreach(o, k, v)
			if (!arr && json_is_array(v))
				arr = v;
		json_incref(arr);
	}
	if (!arr)
		ret = st_fail(e, ST_ERR_PARSE, "CMS look-up answer is neither a certificate nor a list");
	json_array_foreach(arr, i, it) {
		if (ret < 0)
			break;
		if (i < CMS_LOOKUP_MAX)
			ret = cert_info(it, &lo->res->certs[i], e);
		lo->res->count++;
		if (ret == ST_OK && lo->want_spki_csr)
			maybe_match(it, &lo->res->certs[i < CMS_LOOKUP_MAX ? i : 0], lo);
	}
	json_decref(arr);
	json_decref(o);
	return ret;
}

/* The route's tail for by/key; key percent-encoded. */
static int lookup_tail(enum cms_lookup_by by, const char *key, char *tail, size_t cap,
		       struct st_error *e)
{
	static const char *const prefix[] = { [CMS_BY_ID] = "/", [CMS_BY_THUMBPRINT] = "/thumbprint/",
					      [CMS_BY_CN] = "/cn/" };
	char *esc;

	for (const char *p = key; by != CMS_BY_CN && *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return st_fail(e, ST_ERR_ARG, "'%.64s' is not a CMS id or thumbprint", key);
	esc = curl_easy_escape(NULL, key, 0);
	if (!esc)
		return st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
	snprintf(tail, cap, "%s%s", prefix[by], esc);
	curl_free(esc);
	return ST_OK;
}

static int lookup_as(const struct cms_config *c, enum cms_lookup_by by, const char *key,
		     struct lookup_out *lo, int *attempts, int *http_status, struct st_error *e)
{
	char path[PATH_MAX_V2], tail[400];
	struct cms_op op = { .v2 = 1, .what = "a look-up", .only_200 = 1, .not_found_ok = 1,
			     .parse = parse_lookup, .out = lo, .http_status = http_status };
	int ret;

	ret = lookup_tail(by, key, tail, sizeof(tail), e);
	if (ret == ST_OK)
		ret = cms_v2_path(c, tail, path, sizeof(path), e);
	if (ret < 0)
		return ret;
	op.call = (struct cms_call){ .method = "GET", .path = path };
	return cms_retry(c, "looking up", cms_op_attempt, &op, attempts, &lo->res->requests, e);
}

static int ines_lookup(const struct cms_config *c, enum cms_lookup_by by, const char *key,
		       struct cms_lookup_result *res, struct st_error *e)
{
	struct lookup_out lo = { .res = res };
	int attempts, status;

	return lookup_as(c, by, key, &lo, &attempts, &status, e);
}

/* --- status -------------------------------------------------------------- */
static int parse_status(const struct cms_resp *r, void *out, struct st_error *e)
{
	return cms_v2_parse_status(r->data, r->len, r->status, out, e);
}

static int ines_status(const struct cms_config *c, const char *cert_pem, struct cms_result *res,
		       struct st_error *e)
{
	struct cms_op op = { .v2 = 1, .what = "a status request", .only_200 = 1,
			     .parse = parse_status, .out = res, .http_status = &res->http_status };
	unsigned char *der = NULL;
	char path[PATH_MAX_V2], *b64 = NULL, *body = NULL;
	size_t len;
	json_t *o;
	int ret;

	ret = cms_v2_path(c, "/status", path, sizeof(path), e);
	if (ret == ST_OK)
		ret = cms_pem_to_der(cert_pem, &der, &len, e);
	if (ret < 0)
		return ret;
	cms_sha1_hex(der, len, res->thumbprint);
	b64 = cms_b64(der, len);
	o = b64 ? json_pack("{s:s}", "certificate_data", b64) : NULL;
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	free(b64);
	free(der);
	if (!body)
		return st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
	op.call = (struct cms_call){ .method = "POST", .path = path, .body = body,
				     .body_len = strlen(body) };
	ret = cms_retry(c, "asking the certificate's status", cms_op_attempt, &op, &res->attempts,
			&res->requests, e);
	free(body);
	return ret;
}

/* --- register: status + thumbprint ------------------------------------------ */
static int ines_register(const struct cms_config *c, const struct cms_request *r,
			 struct cms_result *res, struct st_error *e)
{
	struct cms_lookup_result lk = { 0 };
	struct lookup_out lo = { .res = &lk };
	const char *thumb = res->thumbprint;
	int ret, attempts = 0;

	ret = ines_status(c, r->cert_pem, res, e);
	if (ret == ST_OK)
		ret = lookup_as(c, CMS_BY_THUMBPRINT, thumb, &lo, &attempts, &res->http_status, e);
	res->attempts += attempts;
	res->requests += lk.requests;
	if (ret < 0)
		return ret;
	if (lk.count > 0)
		snprintf(res->id, sizeof(res->id), "%s", lk.certs[0].id);
	if (!lk.count || (strcasecmp(res->cert_status, "Good") && usable(res->cert_status)))
		return st_fail(e, ST_ERR_NOTFOUND, "the CMS does not know this certificate "
			       "(thumbprint %s, status \"%s\"): it was not issued through "
			       "organization %s; check cms.org, or hold the board: its identity "
			       "did not come from this manufacturer's CMS", thumb,
			       res->cert_status, c->org);
	if (strcasecmp(res->cert_status, "Good") != 0)
		return st_fail(e, ST_ERR_CERT, "the CMS holds this certificate (id %s) as %s%s%s%s%s: "
			       "the board needs a new identity (an enroll step) before it ships",
			       res->id, res->cert_status, res->revoked_at[0] ? " since " : "",
			       res->revoked_at, res->reason[0] ? ", reason " : "", res->reason);
	snprintf(res->status, sizeof(res->status), "registered");
	return ST_OK;
}

/* --- enrol ------------------------------------------------------------------- */
static const struct {
	const char *name, *oid;
} attrs[] = {
	{ "CN", "2.5.4.3" }, { "serialNumber", "2.5.4.5" }, { "C", "2.5.4.6" },
	{ "L", "2.5.4.7" }, { "ST", "2.5.4.8" }, { "O", "2.5.4.10" }, { "OU", "2.5.4.11" },
	{ "postalCode", "2.5.4.17" },
};

/* "CN=a,O=b" -> [{"oid":"2.5.4.3","value":"a"},...]; *cn gets CN's value. */
static int subject_json(const char *subject, const char *serial, json_t **out, char *cn,
			size_t cn_cap, struct st_error *e)
{
	char buf[512], *save = NULL, *tok, *eq;
	json_t *arr = json_array();
	bool has_serial = false;
	size_t k;

	cn[0] = '\0';
	*out = NULL;
	if ((size_t)snprintf(buf, sizeof(buf), "%s", subject ? subject : "") >= sizeof(buf))
		return st_fail(e, ST_ERR_ARG, "the subject to enrol is longer than %zu characters",
			       sizeof(buf) - 1);
	for (tok = strtok_r(buf, ",", &save); arr && tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		eq = strchr(tok, '=');
		for (k = 0; eq && k < sizeof(attrs) / sizeof(attrs[0]); k++)
			if (strlen(attrs[k].name) == (size_t)(eq - tok) &&
			    !strncmp(tok, attrs[k].name, (size_t)(eq - tok)))
				break;
		if (!eq || k == sizeof(attrs) / sizeof(attrs[0]) || !eq[1]) {
			json_decref(arr);
			return st_fail(e, ST_ERR_ARG, "subject attribute '%.40s' cannot be asked of "
				       "the CMS (CN, serialNumber, C, L, ST, O, OU, postalCode)", tok);
		}
		has_serial |= k == 1;
		if (k == 0)
			snprintf(cn, cn_cap, "%s", eq + 1);
		json_array_append_new(arr, json_pack("{s:s, s:s}", "oid", attrs[k].oid,
						     "value", eq + 1));
	}
	if (arr && !has_serial)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "oid", "2.5.4.5", "value", serial));
	*out = arr;
	return arr ? ST_OK : st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
}

static int csr_b64(const char *csr_pem, char **out, struct st_error *e)
{
	mbedtls_x509_csr csr;
	int ret;

	*out = NULL;
	mbedtls_x509_csr_init(&csr);
	ret = mbedtls_x509_csr_parse(&csr, (const unsigned char *)csr_pem, strlen(csr_pem) + 1);
	if (ret != 0)
		ret = st_fail(e, ST_ERR_PARSE, "the CSR to enrol is not a PKCS#10 request in PEM");
	else if (!(*out = cms_b64(csr.raw.p, csr.raw.len)))
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory encoding the CSR");
	mbedtls_x509_csr_free(&csr);
	return ret;
}

static int issue_body(const struct cms_config *c, const struct cms_enroll_request *r,
		      char **body, char *cn, size_t cn_cap, struct st_error *e)
{
	int days = r->validity_days > 0 ? r->validity_days :
		   c->validity_days > 0 ? c->validity_days : 365;
	json_t *subject = NULL, *o;
	char *csr = NULL;
	int ret;

	*body = NULL;
	ret = subject_json(r->subject, r->serial, &subject, cn, cn_cap, e);
	if (ret == ST_OK)
		ret = csr_b64(r->csr_pem, &csr, e);
	if (ret < 0) {
		json_decref(subject);
		return ret;
	}
	o = json_pack("{s:I, s:o, s:[], s:s, s:s, s:b, s:s, s:i}", "template_id",
		      (json_int_t)c->template_id, "subject", subject, "san", "csr", csr,
		      "passphrase", "", "include_chain_in_pkcs12", 0, "valid_from", "",
		      "validity_period", days);
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	free(csr);
	return *body ? ST_OK : st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
}

static int parse_issued(const struct cms_resp *r, void *out, struct st_error *e)
{
	return cms_v2_parse_certificate(r->data, r->len, r->status, out, e);
}

struct enrol_ctx {
	struct cms_op issue;
	const char *cn, *csr_pem, *skip_id, *min_until;
	struct cms_enroll_result *res;
};

/* One attempt: this unit's certificate for this key if the CMS holds one
 * (an earlier attempt it completed after we gave up), else issue. */
static int enrol_attempt(const struct cms_config *c, void *ctx, struct cms_try *t,
			 struct st_error *e)
{
	struct enrol_ctx *x = ctx;
	struct cms_lookup_result lk = { 0 };
	struct lookup_out lo = { .res = &lk, .want_spki_csr = x->csr_pem, .skip_id = x->skip_id,
				 .min_until = x->min_until, .match = x->res };
	struct cms_op op = { .v2 = 1, .what = "a look-up", .only_200 = 1, .not_found_ok = 1,
			     .parse = parse_lookup, .out = &lo,
			     .http_status = &x->res->http_status };
	char path[PATH_MAX_V2], tail[400];
	int ret;

	ret = lookup_tail(CMS_BY_CN, x->cn, tail, sizeof(tail), e);
	if (ret == ST_OK)
		ret = cms_v2_path(c, tail, path, sizeof(path), e);
	if (ret < 0)
		return ret;
	op.call = (struct cms_call){ .method = "GET", .path = path };
	ret = cms_op_attempt(c, &op, t, e);
	if (ret < 0 || x->res->cert_pem)
		return ret;
	return cms_op_attempt(c, &x->issue, t, e);
}

/* A renewal: {"csr", "revoke_original_certificate": false} for .../{id}/rekey,
 * as the demo's apiREST_renewCertificate sends it.  The original stays
 * valid: the unit holds it until the new one is written and proven. */
static int rekey_body(const struct cms_enroll_request *r, char **body, struct st_error *e)
{
	char *csr = NULL;
	json_t *o;
	int ret = csr_b64(r->csr_pem, &csr, e);

	*body = NULL;
	if (ret < 0)
		return ret;
	o = json_pack("{s:s, s:b}", "csr", csr, "revoke_original_certificate", 0);
	*body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	free(csr);
	return *body ? ST_OK : st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
}

static int ines_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
		       struct cms_enroll_result *res, struct st_error *e)
{
	char path[PATH_MAX_V2], cn[128], tail[96];
	struct enrol_ctx x = { .csr_pem = r->csr_pem, .res = res, .cn = cn,
			       .skip_id = r->renew_id,
			       .min_until = r->renew_id ? (r->renew_until ? r->renew_until : "") : NULL };
	char *body = NULL;
	int ret;

	ret = r->renew_id ? lookup_tail(CMS_BY_ID, r->renew_id, tail, sizeof(tail), e) : ST_OK;
	if (ret < 0)
		return ret;
	if (r->renew_id)
		snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), "/rekey");
	ret = cms_v2_path(c, r->renew_id ? tail : "", path, sizeof(path), e);
	if (ret == ST_OK)	/* the CN for the look-up, from the subject */
		ret = issue_body(c, r, &body, cn, sizeof(cn), e);
	if (ret == ST_OK && r->renew_id) {
		free(body);
		ret = rekey_body(r, &body, e);
	}
	if (ret < 0)
		return ret;
	if (!cn[0])
		snprintf(cn, sizeof(cn), "%s", r->serial);
	x.issue = (struct cms_op){ .v2 = 1, .what = "enrol", .only_200 = 1, .parse = parse_issued,
				   .out = res, .http_status = &res->http_status,
				   .call = { .method = "POST", .path = path, .body = body,
					     .body_len = strlen(body) } };
	ret = cms_retry(c, r->renew_id ? "renewing" : "enrolling", enrol_attempt, &x,
			&res->attempts, &res->requests, e);
	free(body);
	return ret;
}

static int ines_check(const struct cms_config *c, struct st_error *e)
{
	if (!c->org || !c->org[0])
		return st_fail(e, ST_ERR_ARG, "cms.protocol v2 needs cms.org: the INeS "
			       "organization id in the paths");
	return ST_OK;
}

static int ines_enroll_checked(const struct cms_config *c, const struct cms_enroll_request *r,
			       struct cms_enroll_result *res, struct st_error *e)
{
	if (c->template_id <= 0)
		return st_fail(e, ST_ERR_ARG, "v2 enrolment needs cms.template_id in station.yaml: "
			       "the integer id of the CMS's certificate template");
	return ines_enroll(c, r, res, e);
}

const struct cms_proto cms_proto_v2 = {
	.name = "v2",
	.what = "SEALSQ INeS REST API v2",
	.needs_mtls = true,
	.credentials_hint = "cms.client_cert/client_key",
	.check = ines_check,
	.register_id = ines_register,
	.enroll = ines_enroll_checked,
	.lookup = ines_lookup,
	.status = ines_status,
};
