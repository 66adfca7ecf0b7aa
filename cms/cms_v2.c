// SPDX-License-Identifier: Apache-2.0
/*
 * The INeS-v2-shaped API: mTLS to POST /v2/auth for a bearer token (cached
 * per process until shortly before it expires, shared by fixture threads),
 * then enrolment (a CSR in, a certificate out) and registration of a
 * pre-provisioned identity, both under /v2/organizations/{org}/.
 * A 401 on a cached token drops it and authenticates once more: the CMS
 * may have restarted and forgotten it.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#define LOG_PREFIX "cms"
#include "common/log.h"
#include "cms/cms-internal.h"

#define TOKEN_MAX 512
#define TOKEN_MARGIN_S 30	/* renew this long before the CMS says it expires */
#define PATH_MAX_V2 512

static pthread_mutex_t tok_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[1024];		/* url + client certificate file: whose token */
	char token[TOKEN_MAX];
	time_t expires;		/* CLOCK_MONOTONIC seconds */
} tok;

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void cms_v2_forget_token(void)
{
	pthread_mutex_lock(&tok_mu);
	memset(&tok, 0, sizeof(tok));
	pthread_mutex_unlock(&tok_mu);
}

int cms_json_object(const char *body, size_t len, int http_status, json_t **out,
		    struct st_error *e)
{
	char msg[160];
	json_error_t jerr;
	json_t *o;

	*out = NULL;
	if (len > CMS_RESPONSE_MAX)
		return st_fail(e, ST_ERR_LIMIT, "CMS response of %zu bytes exceeds the %d byte "
			       "limit", len, CMS_RESPONSE_MAX);
	o = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!o) {
		cms_clean_text(msg, sizeof(msg), len ? jerr.text : "empty body");
		return st_fail(e, ST_ERR_PARSE, "CMS answered HTTP %d with malformed JSON: %s",
			       http_status, msg);
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return st_fail(e, ST_ERR_PARSE, "CMS answered HTTP %d with JSON that is not an "
			       "object", http_status);
	}
	*out = o;
	return ST_OK;
}

/* A bounded, printable string member into dst; missing/oversized: error. */
int cms_json_str(json_t *o, const char *key, char *dst, size_t cap, int required,
		   struct st_error *e)
{
	const char *v = json_string_value(json_object_get(o, key));

	dst[0] = '\0';
	if (!v)
		return required ? st_fail(e, ST_ERR_PARSE, "CMS answer lacks \"%s\"; is cms.url "
					  "the CMS's v2 API?", key) : ST_OK;
	if (strlen(v) >= cap || (required && !v[0]))
		return st_fail(e, ST_ERR_PARSE, "CMS answered a \"%s\" of %zu characters (1..%zu "
			       "allowed)", key, strlen(v), cap - 1);
	cms_clean_text(dst, cap, v);
	return ST_OK;
}

int cms_v2_parse_auth(const char *body, size_t len, int http_status, char *token,
		      size_t cap, int *expires_in, struct st_error *e)
{
	json_t *o, *x;
	int ret;

	ret = cms_json_object(body, len, http_status, &o, e);
	if (ret < 0)
		return ret;
	ret = cms_json_str(o, "access_token", token, cap, 1, e);
	x = json_object_get(o, "expires_in");
	*expires_in = json_is_integer(x) ? (int)json_integer_value(x) : 300;
	if (ret == ST_OK && (*expires_in <= 0 || *expires_in > 86400 * 30))
		ret = st_fail(e, ST_ERR_PARSE, "CMS token expires_in %d is out of range", *expires_in);
	for (const char *p = token; ret == ST_OK && *p; p++)
		if (isspace((unsigned char)*p))
			ret = st_fail(e, ST_ERR_PARSE, "CMS token holds white space");
	json_decref(o);
	return ret;
}

int cms_v2_parse_certificate(const char *body, size_t len, int http_status,
			     struct cms_enroll_result *res, struct st_error *e)
{
	unsigned char *der = NULL;
	const char *b64;
	size_t dlen;
	json_t *o;
	int ret;

	res->http_status = http_status;
	ret = cms_json_object(body, len, http_status, &o, e);
	if (ret < 0)
		return ret;
	ret = cms_json_str(o, "certificate_id", res->certificate_id, sizeof(res->certificate_id), 1, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "serial_number", res->serial_number, sizeof(res->serial_number), 1, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "thumbprint", res->thumbprint, sizeof(res->thumbprint), 0, e);
	b64 = json_string_value(json_object_get(o, "certificate"));
	if (ret == ST_OK && !b64)
		ret = st_fail(e, ST_ERR_PARSE, "CMS answer lacks \"certificate\"");
	if (ret == ST_OK)
		ret = cms_unb64(b64, strlen(b64), &der, &dlen, e);
	if (ret == ST_OK)
		ret = cms_der_to_pem(der, dlen, &res->cert_pem, e);
	if (ret == ST_OK && !res->thumbprint[0])
		cms_sha256_hex(der, dlen, res->thumbprint);
	free(der);
	json_decref(o);
	return ret;
}

int cms_v2_parse_device(const char *body, size_t len, int http_status,
			struct cms_result *res, struct st_error *e)
{
	json_t *o;
	int ret;

	res->http_status = http_status;
	ret = cms_json_object(body, len, http_status, &o, e);
	if (ret < 0)
		return ret;
	ret = cms_json_str(o, "device_id", res->id, sizeof(res->id), 1, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "status", res->status, sizeof(res->status), 1, e);
	if (ret == ST_OK && strcmp(res->status, "registered") != 0 &&
	    strcmp(res->status, "already-registered") != 0)
		ret = st_fail(e, ST_ERR_PARSE, "CMS answered an unknown status \"%.40s\"", res->status);
	json_decref(o);
	return ret;
}

/* The token for c: cached, or fresh from POST /v2/auth (client certificate). */
static int get_token(const struct cms_config *c, char *token, int *cached, int *status,
		     int *retry, struct st_error *e)
{
	struct cms_call k = { .method = "POST", .path = "/v2/auth", .ctype = "application/json",
			      .body = "{}", .body_len = 2, .mtls = 1 };
	struct cms_resp resp = { 0 };
	char key[sizeof(tok.key)];
	int ret, expires_in = 0;

	snprintf(key, sizeof(key), "%s\n%s", c->url, c->client_cert);
	pthread_mutex_lock(&tok_mu);
	*cached = strcmp(tok.key, key) == 0 && tok.token[0] && mono_s() < tok.expires;
	if (*cached) {
		memcpy(token, tok.token, TOKEN_MAX);
		ret = ST_OK;
		goto out;
	}
	ret = cms_http(c, &k, &resp, retry, e);
	*status = resp.status;
	if (ret == ST_OK && resp.status != 200 && resp.status != 201)
		ret = cms_refusal(c, &resp, retry, e);
	else if (ret == ST_OK)
		ret = cms_v2_parse_auth(resp.data, resp.len, resp.status, token, TOKEN_MAX,
					&expires_in, e);
	if (ret == ST_OK) {
		snprintf(tok.key, sizeof(tok.key), "%s", key);
		memcpy(tok.token, token, TOKEN_MAX);
		tok.expires = mono_s() + (expires_in > 2 * TOKEN_MARGIN_S ?
					  expires_in - TOKEN_MARGIN_S : expires_in / 2);
		log_dbg("authenticated to %s (token for %d s)", c->url, expires_in);
	}
out:
	pthread_mutex_unlock(&tok_mu);
	cms_resp_free(&resp);
	return ret;
}

/* One authenticated call; a 401 on a cached token re-authenticates once. */
int cms_v2_call(const struct cms_config *c, struct cms_call *k, struct cms_resp *resp,
		   int *retry, struct st_error *e)
{
	char token[TOKEN_MAX];
	int ret, cached, pass;

	for (pass = 0; pass < 2; pass++) {
		ret = get_token(c, token, &cached, &resp->status, retry, e);
		if (ret < 0)
			break;
		k->bearer = token;
		k->mtls = 1;
		ret = cms_http(c, k, resp, retry, e);
		k->bearer = NULL;
		if (ret < 0 || resp->status != 401 || !cached)
			break;
		log_info("the CMS no longer accepts the cached token: authenticating again");
		cms_v2_forget_token();
		cms_resp_free(resp);
	}
	memset(token, 0, sizeof(token));
	return ret;
}

static int path_safe(const char *s)
{
	for (; s && *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

int cms_v2_path(const struct cms_config *c, const char *tail, char *out, size_t cap,
		    struct st_error *e)
{
	if (!c->org || !c->org[0] || !path_safe(c->org))
		return st_fail(e, ST_ERR_ARG, "cms.org must name the CMS organization "
			       "(letters, digits, - _ .) for protocol v2");
	snprintf(out, cap, "/v2/organizations/%s/%s", c->org, tail);
	return ST_OK;
}

/* --- register a pre-provisioned identity -------------------------------- */
static int parse_device(const struct cms_resp *r, void *out, struct st_error *e)
{
	return cms_v2_parse_device(r->data, r->len, r->status, out, e);
}

/* The leaf and the rest of the chain as base64 DER. */
static int device_body(const struct cms_request *r, json_t **out, struct st_error *e)
{
	mbedtls_x509_crt leaf, chain;
	json_t *o = NULL, *arr = json_array();
	char *b = NULL;
	int ret = ST_ERR_NOMEM;

	mbedtls_x509_crt_init(&leaf);
	mbedtls_x509_crt_init(&chain);
	if (mbedtls_x509_crt_parse(&leaf, (const unsigned char *)r->cert_pem,
				   strlen(r->cert_pem) + 1) != 0) {
		ret = st_fail(e, ST_ERR_PARSE, "the identity to register is not a PEM certificate");
		goto out;
	}
	if (r->chain_pem && r->chain_pem[0])
		mbedtls_x509_crt_parse(&chain, (const unsigned char *)r->chain_pem,
				       strlen(r->chain_pem) + 1);
	for (mbedtls_x509_crt *p = &chain; arr && p && p->raw.len; p = p->next) {
		if (p->raw.len == leaf.raw.len && !memcmp(p->raw.p, leaf.raw.p, leaf.raw.len))
			continue; /* the chain may start with the leaf itself */
		b = cms_b64(p->raw.p, p->raw.len);
		if (!b || json_array_append_new(arr, json_string(b)) < 0)
			goto out;
		free(b);
		b = NULL;
	}
	b = cms_b64(leaf.raw.p, leaf.raw.len);
	o = b ? json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "serial_number", r->serial,
			  "chip_serial", r->chip_serial ? r->chip_serial : "", "certificate", b,
			  "chain", arr, "station", r->station ? r->station : "",
			  "fixture", r->fixture ? r->fixture : "") : NULL;
	ret = o ? ST_OK : ST_ERR_NOMEM;
out:
	if (ret == ST_ERR_NOMEM)
		st_fail(e, ret, "out of memory preparing the CMS request");
	*out = o;
	free(b);
	json_decref(arr);
	mbedtls_x509_crt_free(&leaf);
	mbedtls_x509_crt_free(&chain);
	return ret;
}

int cms_v2_register(const struct cms_config *c, const struct cms_request *r,
		    struct cms_result *res, struct st_error *e)
{
	char path[PATH_MAX_V2];
	struct cms_op op = { .v2 = 1, .parse = parse_device, .out = res,
			     .http_status = &res->http_status };
	char *body;
	json_t *o;
	int ret;

	ret = cms_v2_path(c, "devices", path, sizeof(path), e);
	if (ret < 0)
		return ret;
	ret = device_body(r, &o, e);
	if (ret < 0)
		return ret;
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!body)
		return st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
	op.call = (struct cms_call){ .method = "POST", .path = path, .ctype = "application/json",
				     .body = body, .body_len = strlen(body) };
	ret = cms_retry(c, "registering", cms_op_attempt, &op, &res->attempts, e);
	free(body);
	return ret;
}
