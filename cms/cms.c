// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS client's transport: one HTTPS exchange (libcurl), verified against
 * the configured CA, and the bounded retry loop every protocol shares:
 * exponential backoff on transport errors and 5xx only.  A refusal (400,
 * 401, 409) is an answer, not an outage, and is never retried.  Secrets go
 * only into the Authorization header or, for mTLS, stay in files libcurl
 * reads; the debug trace redacts that header, so no secret reaches a log.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#define LOG_PREFIX "cms"
#include "common/log.h"
#include "cms/cms-internal.h"

#define CMS_URL_MAX 1024
#define CMS_BACKOFF_CAP_MS 30000

int cms_global_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK) {
		log_err("curl_global_init: %s", curl_easy_strerror(rc));
		return ST_ERR;
	}
	return ST_OK;
}

static const char *const proto_names[] = { [CMS_V1] = "v1", [CMS_V2] = "v2", [CMS_EST] = "est" };

int cms_protocol_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (s && strcmp(s, proto_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *cms_protocol_name(enum cms_protocol p)
{
	return (unsigned)p < sizeof(proto_names) / sizeof(proto_names[0]) ? proto_names[p] : "?";
}

/* Bounded: a response larger than CMS_RESPONSE_MAX aborts the transfer. */
static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct cms_resp *b = ctx;
	size_t len = size * n;

	if (len > CMS_RESPONSE_MAX - b->len) {
		b->overflow = 1;
		return 0;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* CURLOPT_VERBOSE without the secret: outgoing Authorization is redacted. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
	const char *p = data, *end = data + size, *nl;
	int n;

	if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (int)((nl ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (type == CURLINFO_HEADER_OUT && n >= 14 && strncasecmp(p, "Authorization:", 14) == 0)
			log_dbg("> Authorization: (redacted)");
		else if (n > 0)
			log_dbg("%s %.*s", type == CURLINFO_TEXT ? "*" :
				type == CURLINFO_HEADER_IN ? "<" : ">", n, p);
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void cms_clean_text(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < cap; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

int cms_is_unavailable(int err, const struct cms_result *res)
{
	return err == ST_ERR_IO || err == ST_ERR_TIMEOUT ||
	       (err == ST_ERR_HTTP && res && res->http_status >= 500);
}

static int url_base_len(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return (int)n;
}

int cms_check_config(const struct cms_config *c, struct st_error *e)
{
	if (!c || !c->url || !c->url[0])
		return st_fail(e, ST_ERR_ARG, "no CMS URL: set cms.url in station.yaml");
	if (strncasecmp(c->url, "https://", 8) != 0 && !c->insecure)
		return st_fail(e, ST_ERR_ARG, "cms.url '%.200s' is not https://: the CMS must be "
			       "reached over TLS (cms.insecure is for a lab CMS only)", c->url);
	if (strlen(c->url) > CMS_URL_MAX / 2)
		return st_fail(e, ST_ERR_ARG, "cms.url is longer than %d characters", CMS_URL_MAX / 2);
	if (c->protocol != CMS_V1 && (!c->client_cert || !c->client_key))
		return st_fail(e, ST_ERR_ARG, "cms.protocol %s authenticates with a TLS client "
			       "certificate: set cms.client_cert and cms.client_key in station.yaml",
			       cms_protocol_name(c->protocol));
	return ST_OK;
}

#define SETOPT(h, opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)

static CURLcode setup(CURL *h, const struct cms_config *c, const struct cms_call *k,
		      const char *url, struct curl_slist *hdrs, struct cms_resp *buf, char *errbuf)
{
	long tmo = c->timeout_ms > 0 ? c->timeout_ms : 10000;
	CURLcode rc = CURLE_OK;

	SETOPT(h, CURLOPT_URL, url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, c->insecure ? "http,https" : "https");
	if (strcmp(k->method, "POST") == 0) {
		SETOPT(h, CURLOPT_POSTFIELDS, k->body ? k->body : "");
		SETOPT(h, CURLOPT_POSTFIELDSIZE, (long)(k->body ? k->body_len : 0));
	} else {
		SETOPT(h, CURLOPT_HTTPGET, 1L);
	}
	SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, buf);
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_TIMEOUT_MS, tmo);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_USERAGENT, "station/" ST_VERSION);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	if (c->ca_file)
		SETOPT(h, CURLOPT_CAINFO, c->ca_file);
	if (k->mtls) {
		SETOPT(h, CURLOPT_SSLCERT, c->client_cert);
		SETOPT(h, CURLOPT_SSLKEY, c->client_key);
	}
	if (st_log_get_level() >= ST_LOG_DBG) {
		SETOPT(h, CURLOPT_DEBUGFUNCTION, on_debug);
		SETOPT(h, CURLOPT_VERBOSE, 1L);
	}
	return rc;
}

/* A failed transfer: which error, and whether another attempt may help. */
static int transport_error(CURLcode rc, const char *errbuf, const struct cms_config *c,
			   int *retry, struct st_error *e)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		*retry = 0;
		return st_fail(e, ST_ERR_TLS, "CMS server certificate verification failed (%s): %s; "
			       "check that cms.ca in station.yaml names the CMS's CA (now %s)",
			       curl_easy_strerror(rc), why, c->ca_file ? c->ca_file : "system CAs");
	case CURLE_SSL_CERTPROBLEM:
		*retry = 0;
		return st_fail(e, ST_ERR_TLS, "the station's TLS client certificate cannot be used "
			       "(%s): check cms.client_cert and cms.client_key in station.yaml", why);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		*retry = 0;
		return st_fail(e, ST_ERR_ARG, "cms.url '%.200s' cannot be used: %s", c->url, why);
	case CURLE_OPERATION_TIMEDOUT:
		*retry = 1;
		return st_fail(e, ST_ERR_TIMEOUT, "CMS at %.200s did not answer within %d ms: %s",
			       c->url, c->timeout_ms, why);
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		*retry = 1;
		return st_fail(e, ST_ERR_IO, "the CMS at %.200s closed the connection without an "
			       "answer: %s%s", c->url, why, c->protocol != CMS_V1 ?
			       " (a CMS that wants a client certificate drops one it does not "
			       "trust: check cms.client_cert)" : "");
	case CURLE_SSL_CONNECT_ERROR:
		*retry = 1;
		return st_fail(e, ST_ERR_TLS, "TLS with the CMS at %.200s failed: %s", c->url, why);
	default:
		*retry = 1;
		return st_fail(e, ST_ERR_IO, "cannot reach the CMS at %.200s: %s", c->url, why);
	}
}

static struct curl_slist *headers(const struct cms_call *k, char *auth, size_t cap, int *ok)
{
	struct curl_slist *h = NULL, *l;
	char line[160];

	*ok = 1;
	if (k->ctype) {
		snprintf(line, sizeof(line), "Content-Type: %s", k->ctype);
		h = curl_slist_append(h, line);
		*ok = *ok && h;
	}
	snprintf(line, sizeof(line), "Accept: %s", k->accept ? k->accept : "application/json");
	l = curl_slist_append(h, line);
	*ok = *ok && l;
	h = l ? l : h;
	if (k->bearer) {
		snprintf(auth, cap, "Authorization: Bearer %s", k->bearer);
		l = curl_slist_append(h, auth);
		*ok = *ok && l;
		h = l ? l : h;
	}
	/* No "Expect: 100-continue" round trip on larger bodies. */
	l = curl_slist_append(h, "Expect:");
	*ok = *ok && l;
	return l ? l : h;
}

int cms_http(const struct cms_config *c, const struct cms_call *k, struct cms_resp *resp,
	     int *retry, struct st_error *e)
{
	char url[CMS_URL_MAX], errbuf[CURL_ERROR_SIZE] = "", auth[1024] = "";
	struct curl_slist *hdrs = NULL;
	const char *ct = NULL;
	long code = 0;
	CURL *h = NULL;
	CURLcode rc;
	int ret = ST_OK, ok;

	*retry = 0;
	memset(resp, 0, sizeof(*resp));
	if (k->bearer && strlen(k->bearer) > sizeof(auth) - 32)
		return st_fail(e, ST_ERR_ARG, "the CMS credential is longer than %zu characters",
			       sizeof(auth) - 32);
	snprintf(url, sizeof(url), "%.*s%s", url_base_len(c->url), c->url, k->path);
	resp->data = malloc(CMS_RESPONSE_MAX + 1);
	h = curl_easy_init();
	hdrs = headers(k, auth, sizeof(auth), &ok);
	if (!resp->data || !h || !ok) {
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
		goto out;
	}
	resp->data[0] = '\0';
	if (setup(h, c, k, url, hdrs, resp, errbuf) != CURLE_OK) {
		ret = st_fail(e, ST_ERR, "libcurl refused an option (is libcurl >= 7.85?)");
		goto out;
	}
	if (c->insecure)
		log_warn("cms.insecure is set: the CMS server certificate is NOT verified");
	rc = curl_easy_perform(h);
	if (resp->overflow) {
		ret = st_fail(e, ST_ERR_LIMIT, "CMS response exceeds the %d byte limit",
			      CMS_RESPONSE_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		ret = transport_error(rc, errbuf, c, retry, e);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	resp->status = (int)code;
	snprintf(resp->ctype, sizeof(resp->ctype), "%s", ct ? ct : "");
out:
	/* The secret also sits in curl's copy of the header list, freed here. */
	memset(auth, 0, sizeof(auth));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return ret;
}

void cms_resp_free(struct cms_resp *r)
{
	free(r->data);
	r->data = NULL;
}

int cms_refusal(const struct cms_config *c, const struct cms_resp *r, int *retry,
		struct st_error *e)
{
	char msg[256] = "no message";
	json_t *o = r->len ? json_loadb(r->data, r->len, 0, NULL) : NULL;
	int st = r->status;

	if (json_is_object(o) && json_string_value(json_object_get(o, "message")))
		cms_clean_text(msg, sizeof(msg), json_string_value(json_object_get(o, "message")));
	json_decref(o);
	*retry = st >= 500;
	if ((st == 401 || st == 403) && c->protocol == CMS_V1)
		return st_fail(e, ST_ERR_HTTP, "CMS refused the API key (HTTP %d): check "
			       "cms.api_key_file in station.yaml (%s)", st, msg);
	if (st == 401 || st == 403)
		return st_fail(e, ST_ERR_HTTP, "CMS refused the station's credentials (HTTP %d): "
			       "%s; check cms.client_cert/client_key in station.yaml", st, msg);
	if (st == 409)
		return st_fail(e, ST_ERR_HTTP, "CMS conflict (HTTP 409): %s; this serial or "
			       "certificate is registered to another identity: hold the board and "
			       "check for a cloned identity", msg);
	if (st == 400)
		return st_fail(e, ST_ERR_HTTP, "CMS rejected the request (HTTP 400): %s", msg);
	if (st >= 500)
		return st_fail(e, ST_ERR_HTTP, "CMS unavailable (HTTP %d): %s", st, msg);
	return st_fail(e, ST_ERR_HTTP, "CMS answered HTTP %d: %s", st, msg);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

int cms_retry(const struct cms_config *c, const char *what, cms_op_fn op, void *ctx,
	      int *attempts, struct st_error *e)
{
	int n = c->attempts > 0 ? c->attempts : 1;
	long delay = c->backoff_ms > 0 ? c->backoff_ms : 0;
	int ret = ST_ERR, retry, i;

	for (i = 1; i <= n; i++) {
		*attempts = i;
		log_dbg("%s at %s (attempt %d/%d)", what, c->url, i, n);
		retry = 0;
		ret = op(c, ctx, &retry, e);
		if (ret == ST_OK || !retry)
			break;
		if (i == n) {
			st_error_prefix(e, "gave up after %d attempts", n);
			break;
		}
		log_warn("%s: attempt %d/%d: %s; retrying in %ld ms", what, i, n,
			 e ? e->msg : st_strerror(ret), delay);
		sleep_ms(delay);
		delay = delay * 2 > CMS_BACKOFF_CAP_MS ? CMS_BACKOFF_CAP_MS : delay * 2;
	}
	return ret;
}

int cms_op_attempt(const struct cms_config *c, void *ctx, int *retry, struct st_error *e)
{
	struct cms_op *op = ctx;
	struct cms_resp resp = { 0 };
	int ret;

	*op->http_status = 0;
	if (op->v2)
		ret = cms_v2_call(c, &op->call, &resp, retry, e);
	else
		ret = cms_http(c, &op->call, &resp, retry, e);
	*op->http_status = resp.status;
	if (ret == ST_OK && resp.status != 200 && resp.status != 201 && resp.status != 202)
		ret = cms_refusal(c, &resp, retry, e);
	else if (ret == ST_OK)
		ret = op->parse(&resp, op->out, e);
	cms_resp_free(&resp);
	return ret;
}
