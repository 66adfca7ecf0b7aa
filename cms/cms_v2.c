// SPDX-License-Identifier: Apache-2.0
/*
 * SEALSQ INeS REST API v2, the transport half: authentication and the
 * answers' shapes, as the seed's demo client speaks them
 * (github.com/sclark-wisekey/NCCoE.factory.pub, VaultIC-TLS/demos/wolfssl/
 * factory: src/wisekey_Http_Request_Manager.c builds the requests,
 * src/wisekey_Ines_Agent.c reads the answers, include/wisekey_Ines_settings.h
 * names the routes):
 *   - base https://HOST/v2; every request carries content-type:
 *     application/json and accept: * / *;
 *   - POST /v2/auth with no body (Content-Length 0), authenticated by the TLS
 *     client certificate alone -> {"access_token", ...}; later calls send
 *     authorization: Bearer <token>;
 *   - a call succeeded when the answer is HTTP 200 (the demo looks for
 *     "200 OK"); anything else is a refusal.
 * The demo authenticates before every call; we cache the token per process
 * (shared by the fixture threads) until shortly before its expires_in (300 s
 * when the CMS gives none), and a 401 on a cached token authenticates once
 * more: the CMS may have restarted and forgotten it.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define LOG_PREFIX "cms"
#include "common/log.h"
#include "cms/cms-internal.h"

#define TOKEN_MAX 2048
#define TOKEN_MARGIN_S 30	/* renew this long before the CMS says it expires */
#define TOKEN_DEFAULT_S 300

static pthread_mutex_t tok_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[1024];		/* url + client certificate file: whose token */
	char token[TOKEN_MAX];
	int64_t expires_ms;	/* cms_now_ms() clock */
} tok;

void cms_v2_forget_token(void)
{
	pthread_mutex_lock(&tok_mu);
	memset(&tok, 0, sizeof(tok));
	pthread_mutex_unlock(&tok_mu);
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
	*expires_in = json_is_integer(x) ? (int)json_integer_value(x) : TOKEN_DEFAULT_S;
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
	char sha1[41], serial[80];
	const char *b64;
	size_t dlen;
	json_t *o;
	int ret;

	res->http_status = http_status;
	ret = cms_json_object(body, len, http_status, &o, e);
	if (ret < 0)
		return ret;
	ret = cms_json_id(o, "certificate_id", res->certificate_id, sizeof(res->certificate_id),
			  1, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "serial_number", res->serial_number,
				   sizeof(res->serial_number), 0, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "thumbprint", res->thumbprint, sizeof(res->thumbprint), 0, e);
	b64 = json_string_value(json_object_get(o, "certificate"));
	if (ret == ST_OK && (!b64 || !b64[0]))
		ret = st_fail(e, ST_ERR_PARSE, "CMS answer lacks \"certificate\" (base64 DER)");
	if (ret == ST_OK)
		ret = cms_unb64(b64, strlen(b64), &der, &dlen, e);
	if (ret == ST_OK)
		ret = cms_der_to_pem(der, dlen, &res->cert_pem, e);
	if (ret == ST_OK) {
		cms_describe(res->cert_pem, serial, sizeof(serial), sha1);
		if (!res->thumbprint[0])
			snprintf(res->thumbprint, sizeof(res->thumbprint), "%s", sha1);
		if (!res->serial_number[0])
			snprintf(res->serial_number, sizeof(res->serial_number), "%s", serial);
	}
	free(der);
	json_decref(o);
	return ret;
}

int cms_v2_parse_status(const char *body, size_t len, int http_status,
			struct cms_result *res, struct st_error *e)
{
	json_t *o;
	int ret;

	res->http_status = http_status;
	ret = cms_json_object(body, len, http_status, &o, e);
	if (ret < 0)
		return ret;
	ret = cms_json_str(o, "status", res->cert_status, sizeof(res->cert_status), 1, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "reason", res->reason, sizeof(res->reason), 0, e);
	if (ret == ST_OK)
		ret = cms_json_str(o, "revocationDate", res->revoked_at, sizeof(res->revoked_at),
				   0, e);
	json_decref(o);
	return ret;
}

/* The token for c: cached, or fresh from POST /v2/auth (no body; the client
 * certificate is the credential). */
static int get_token(const struct cms_config *c, char *token, int *cached, int *status,
		     struct cms_try *t, struct st_error *e)
{
	struct cms_call k = { .method = "POST", .path = "/v2/auth", .ctype = "application/json",
			      .accept = "*/*", .body = NULL, .body_len = 0, .mtls = 1 };
	struct cms_resp resp = { 0 };
	char key[sizeof(tok.key)];
	int ret, expires_in = 0;

	snprintf(key, sizeof(key), "%s\n%s", c->url, c->client_cert);
	pthread_mutex_lock(&tok_mu);
	*cached = strcmp(tok.key, key) == 0 && tok.token[0] && cms_now_ms() < tok.expires_ms;
	if (*cached) {
		memcpy(token, tok.token, TOKEN_MAX);
		ret = ST_OK;
		goto out;
	}
	ret = cms_http(c, &k, &resp, t, e);
	*status = resp.status;
	if (ret == ST_OK && resp.status != 200)
		ret = cms_refusal(c, &resp, "authenticate", t, e);
	else if (ret == ST_OK)
		ret = cms_v2_parse_auth(resp.data, resp.len, resp.status, token, TOKEN_MAX,
					&expires_in, e);
	if (ret == ST_OK) {
		snprintf(tok.key, sizeof(tok.key), "%s", key);
		memcpy(tok.token, token, TOKEN_MAX);
		tok.expires_ms = cms_now_ms() + 1000LL * (expires_in > 2 * TOKEN_MARGIN_S ?
							   expires_in - TOKEN_MARGIN_S :
							   expires_in / 2);
		log_dbg("authenticated to %s (token for %d s)", c->url, expires_in);
	}
out:
	pthread_mutex_unlock(&tok_mu);
	cms_resp_free(&resp);
	return ret;
}

int cms_v2_call(const struct cms_config *c, struct cms_call *k, struct cms_resp *resp,
		struct cms_try *t, struct st_error *e)
{
	char token[TOKEN_MAX];
	int ret, cached, pass;

	for (pass = 0; pass < 2; pass++) {
		ret = get_token(c, token, &cached, &resp->status, t, e);
		if (ret < 0)
			break;
		k->bearer = token;
		k->mtls = 1;
		k->ctype = "application/json";
		k->accept = "*/*";
		ret = cms_http(c, k, resp, t, e);
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
	if ((size_t)snprintf(out, cap, "/v2/organizations/%s/certificates%s", c->org, tail) >= cap)
		return st_fail(e, ST_ERR_ARG, "the CMS request path is too long");
	return ST_OK;
}
