// SPDX-License-Identifier: Apache-2.0
/*
 * v1: OURS, not an INeS API.  The project's own registry of pre-provisioned
 * identities, for a CMS that keeps one (cms-sim serves it): an API key, one
 * JSON POST, idempotent by certificate fingerprint.
 *   POST {url}/api/v1/identities  Authorization: Bearer <key>
 *   body {"serial","chip_serial","certificate","chain","station","fixture"}
 *   201 {"id","status":"registered"} | 200 {"id","status":"already-registered"}
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define LOG_PREFIX "cms"
#include "common/log.h"
#include "cms/cms-internal.h"

static int parse_ok(json_t *o, int http_status, struct cms_result *res, struct st_error *e)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *st = json_string_value(json_object_get(o, "status"));

	if (!id || !st)
		return st_fail(e, ST_ERR_PARSE, "CMS answered HTTP %d without \"%s\"; "
			       "is cms.url the CMS API?", http_status, !id ? "id" : "status");
	if (strlen(id) == 0 || strlen(id) >= sizeof(res->id))
		return st_fail(e, ST_ERR_PARSE, "CMS answered an id of %zu characters (1..%zu allowed)",
			       strlen(id), sizeof(res->id) - 1);
	if (strcmp(st, "registered") != 0 && strcmp(st, "already-registered") != 0)
		return st_fail(e, ST_ERR_PARSE, "CMS answered an unknown status \"%.40s\"", st);
	snprintf(res->id, sizeof(res->id), "%s", id);
	snprintf(res->status, sizeof(res->status), "%s", st);
	return ST_OK;
}

int cms_parse_response(const char *body, size_t len, int http_status,
		       struct cms_result *res, struct st_error *e)
{
	static const struct cms_config v1 = { .proto = &cms_proto_v1 };
	struct cms_resp r = { .data = (char *)body, .len = len, .status = http_status };
	struct cms_try t = { 0 };
	char msg[256];
	json_error_t jerr;
	json_t *o = NULL;
	int ret;

	res->http_status = http_status;
	snprintf(res->status, sizeof(res->status), "failed");
	res->id[0] = '\0';
	if (len > CMS_RESPONSE_MAX)
		return st_fail(e, ST_ERR_LIMIT, "CMS response of %zu bytes exceeds the %d byte limit",
			       len, CMS_RESPONSE_MAX);
	if (http_status != 200 && http_status != 201)
		return cms_refusal(&v1, &r, "register", &t, e);
	if (body && len > 0)
		o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		cms_clean_text(msg, sizeof(msg), body && len ? jerr.text : "empty body");
		return st_fail(e, ST_ERR_PARSE, "CMS answered HTTP %d with malformed JSON: %s",
			       http_status, msg);
	}
	if (!json_is_object(o))
		ret = st_fail(e, ST_ERR_PARSE, "CMS answered HTTP %d with JSON that is not an object",
			      http_status);
	else
		ret = parse_ok(o, http_status, res, e);
	json_decref(o);
	if (ret < 0)
		snprintf(res->status, sizeof(res->status), "failed");
	return ret;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static int parse_v1(const struct cms_resp *r, void *out, struct st_error *e)
{
	return cms_parse_response(r->data, r->len, r->status, out, e);
}

static int v1_register(const struct cms_config *c, const struct cms_request *r,
		       struct cms_result *res, struct st_error *e)
{
	struct cms_op op = { .what = "register", .parse = parse_v1, .out = res,
			     .http_status = &res->http_status };
	json_t *o;
	char *body;
	int ret;

	if (!c->api_key || !c->api_key[0])
		return st_fail(e, ST_ERR_ARG, "no CMS API key: set cms.api_key_file in station.yaml");
	for (const char *k = c->api_key; *k; k++)
		if (!isprint((unsigned char)*k))
			return st_fail(e, ST_ERR_ARG, "the CMS API key holds a control character: "
				       "check the file named by cms.api_key_file");
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "serial", r->serial,
		      "chip_serial", nz(r->chip_serial), "certificate", r->cert_pem,
		      "chain", nz(r->chain_pem), "station", nz(r->station),
		      "fixture", nz(r->fixture));
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
	op.call = (struct cms_call){
		.method = "POST", .path = "/api/v1/identities", .ctype = "application/json",
		.body = body, .body_len = strlen(body), .bearer = c->api_key,
	};
	ret = cms_retry(c, "registering", cms_op_attempt, &op, &res->attempts, &res->requests, e);
	free(body);
	return ret;
}

const struct cms_proto cms_proto_v1 = {
	.name = "v1",
	.what = "the station's own registry API (ours, not INeS)",
	.needs_api_key = true,
	.credentials_hint = "cms.api_key_file",
	.register_id = v1_register,
};
