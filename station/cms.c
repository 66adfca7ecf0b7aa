// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS client: one JSON POST over HTTPS (libcurl), verified against the
 * configured CA, retried with exponential backoff on transport errors and
 * 5xx only.  A refusal (400, 401, 409) is an answer, not an outage, and is
 * never retried.  The API key goes only into the Authorization header; the
 * debug trace redacts that header, so the key reaches no log.
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
#include "../common/log.h"
#include "cms.h"

#define CMS_PATH "/api/v1/identities"
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

struct resp_buf {
	char *data;
	size_t len;
	int overflow;
};

/* Bounded: a response larger than CMS_RESPONSE_MAX aborts the transfer. */
static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp_buf *b = ctx;
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

/* Copy a server-supplied message for an operator: printable, bounded. */
static void clean_text(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < cap; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

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

/* A refusal: the CMS answered, and the answer is no.  Not retried. */
static int refusal(int http_status, const char *msg, struct st_error *e)
{
	if (http_status == 401 || http_status == 403)
		return st_fail(e, ST_ERR_HTTP, "CMS refused the API key (HTTP %d): check "
			       "cms.api_key_file in station.yaml (%s)", http_status, msg);
	if (http_status == 409)
		return st_fail(e, ST_ERR_HTTP, "CMS conflict (HTTP 409): %s; this serial or "
			       "certificate is registered to another identity: hold the board and "
			       "check for a cloned identity", msg);
	if (http_status == 400)
		return st_fail(e, ST_ERR_HTTP, "CMS rejected the registration (HTTP 400): %s", msg);
	if (http_status >= 500)
		return st_fail(e, ST_ERR_HTTP, "CMS unavailable (HTTP %d): %s", http_status, msg);
	return st_fail(e, ST_ERR_HTTP, "CMS answered HTTP %d: %s", http_status, msg);
}

int cms_parse_response(const char *body, size_t len, int http_status,
		       struct cms_result *res, struct st_error *e)
{
	char msg[256] = "no message";
	json_error_t jerr;
	json_t *o = NULL;
	int ok = http_status == 200 || http_status == 201;
	int ret;

	res->http_status = http_status;
	snprintf(res->status, sizeof(res->status), "failed");
	res->id[0] = '\0';
	if (len > CMS_RESPONSE_MAX)
		return st_fail(e, ST_ERR_LIMIT, "CMS response of %zu bytes exceeds the %d byte limit",
			       len, CMS_RESPONSE_MAX);
	if (body && len > 0)
		o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!ok) {
		if (json_is_object(o))
			clean_text(msg, sizeof(msg), json_string_value(json_object_get(o, "message")));
		json_decref(o);
		return refusal(http_status, msg[0] ? msg : "no message", e);
	}
	if (!o) {
		clean_text(msg, sizeof(msg), body && len ? jerr.text : "empty body");
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

int cms_is_unavailable(int err, const struct cms_result *res)
{
	return err == ST_ERR_IO || err == ST_ERR_TIMEOUT ||
	       (err == ST_ERR_HTTP && res && res->http_status >= 500);
}

static int check_request(const struct cms_config *c, const struct cms_request *r,
			 char *url, struct st_error *e)
{
	size_t n;
	const char *k;

	if (!c || !c->url || !c->url[0])
		return st_fail(e, ST_ERR_ARG, "no CMS URL: set cms.url in station.yaml");
	if (strncasecmp(c->url, "https://", 8) != 0 && !c->insecure)
		return st_fail(e, ST_ERR_ARG, "cms.url '%.200s' is not https://: the CMS must be "
			       "reached over TLS (cms.insecure is for a lab CMS only)", c->url);
	if (!c->api_key || !c->api_key[0])
		return st_fail(e, ST_ERR_ARG, "no CMS API key: set cms.api_key_file in station.yaml");
	for (k = c->api_key; *k; k++)
		if (!isprint((unsigned char)*k))
			return st_fail(e, ST_ERR_ARG, "the CMS API key holds a control character: "
				       "check the file named by cms.api_key_file");
	if (!r || !r->serial || !r->serial[0] || !r->cert_pem)
		return st_fail(e, ST_ERR_ARG, "CMS registration needs a serial and a certificate");
	n = strlen(c->url);
	while (n > 0 && c->url[n - 1] == '/')
		n--;
	if (n + sizeof(CMS_PATH) > CMS_URL_MAX)
		return st_fail(e, ST_ERR_ARG, "cms.url is longer than %d characters", CMS_URL_MAX);
	snprintf(url, CMS_URL_MAX, "%.*s%s", (int)n, c->url, CMS_PATH);
	return ST_OK;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static char *request_body(const struct cms_request *r)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "serial", r->serial,
			      "chip_serial", nz(r->chip_serial), "certificate", r->cert_pem,
			      "chain", nz(r->chain_pem), "station", nz(r->station),
			      "fixture", nz(r->fixture));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}

#define SETOPT(h, opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)

static CURLcode setup(CURL *h, const struct cms_config *c, const char *url, const char *body,
		      struct curl_slist *hdrs, struct resp_buf *buf, char *errbuf)
{
	long tmo = c->timeout_ms > 0 ? c->timeout_ms : 10000;
	CURLcode rc = CURLE_OK;

	SETOPT(h, CURLOPT_URL, url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, c->insecure ? "http,https" : "https");
	SETOPT(h, CURLOPT_POSTFIELDS, body);
	SETOPT(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
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
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		*retry = 0;
		return st_fail(e, ST_ERR_TLS, "CMS server certificate verification failed (%s): %s; "
			       "check that cms.ca in station.yaml names the CMS's CA (now %s)",
			       curl_easy_strerror(rc), why, c->ca_file ? c->ca_file : "system CAs");
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
			       "answer: %s", c->url, why);
	case CURLE_SSL_CONNECT_ERROR:
		*retry = 1;
		return st_fail(e, ST_ERR_TLS, "TLS with the CMS at %.200s failed: %s", c->url, why);
	default:
		*retry = 1;
		return st_fail(e, ST_ERR_IO, "cannot reach the CMS at %.200s: %s", c->url, why);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* One attempt: 0 done (ret says how), 1 worth another attempt. */
static int attempt(CURL *h, const struct cms_config *c, struct resp_buf *buf, char *errbuf,
		   struct cms_result *res, int *ret, struct st_error *e)
{
	long code = 0;
	CURLcode rc;
	int retry = 0;

	buf->len = 0;
	buf->overflow = 0;
	buf->data[0] = '\0';
	errbuf[0] = '\0';
	res->http_status = 0;
	rc = curl_easy_perform(h);
	if (buf->overflow) {
		*ret = st_fail(e, ST_ERR_LIMIT, "CMS response exceeds the %d byte limit",
			       CMS_RESPONSE_MAX);
		return 0;
	}
	if (rc != CURLE_OK) {
		*ret = transport_error(rc, errbuf, c, &retry, e);
		return retry;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	*ret = cms_parse_response(buf->data, buf->len, (int)code, res, e);
	return *ret < 0 && code >= 500;
}

static int run_attempts(CURL *h, const struct cms_config *c, const struct cms_request *r,
			struct resp_buf *buf, char *errbuf, struct cms_result *res,
			struct st_error *e)
{
	int attempts = c->attempts > 0 ? c->attempts : 1;
	long delay = c->backoff_ms > 0 ? c->backoff_ms : 0;
	int ret = ST_ERR, again, i;

	for (i = 1; i <= attempts; i++) {
		res->attempts = i;
		log_dbg("registering %s at %s (attempt %d/%d)", r->serial, c->url, i, attempts);
		again = attempt(h, c, buf, errbuf, res, &ret, e);
		if (!again)
			break;
		if (i == attempts) {
			st_error_prefix(e, "gave up after %d attempts", attempts);
			break;
		}
		log_warn("attempt %d/%d: %s; retrying in %ld ms", i, attempts,
			 e ? e->msg : st_strerror(ret), delay);
		sleep_ms(delay);
		delay = delay * 2 > CMS_BACKOFF_CAP_MS ? CMS_BACKOFF_CAP_MS : delay * 2;
	}
	return ret;
}

int cms_register(const struct cms_config *c, const struct cms_request *r,
		 struct cms_result *res, struct st_error *e)
{
	char url[CMS_URL_MAX], errbuf[CURL_ERROR_SIZE], auth[1024];
	struct resp_buf buf = { 0 };
	struct curl_slist *hdrs = NULL, *l;
	char *body = NULL;
	CURL *h = NULL;
	int ret;

	memset(res, 0, sizeof(*res));
	snprintf(res->status, sizeof(res->status), "failed");
	ret = check_request(c, r, url, e);
	if (ret < 0)
		return ret;
	if (snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->api_key) >= (int)sizeof(auth))
		return st_fail(e, ST_ERR_ARG, "the CMS API key is longer than %zu characters",
			       sizeof(auth) - 30);
	body = request_body(r);
	buf.data = malloc(CMS_RESPONSE_MAX + 1);
	h = curl_easy_init();
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	l = hdrs ? curl_slist_append(hdrs, "Accept: application/json") : NULL;
	l = l ? curl_slist_append(hdrs, auth) : NULL;
	if (!body || !buf.data || !h || !l) {
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory preparing the CMS request");
		goto out;
	}
	if (setup(h, c, url, body, hdrs, &buf, errbuf) != CURLE_OK) {
		ret = st_fail(e, ST_ERR, "libcurl refused an option (is libcurl >= 7.85?)");
		goto out;
	}
	if (c->insecure)
		log_warn("cms.insecure is set: the CMS server certificate is NOT verified");
	ret = run_attempts(h, c, r, &buf, errbuf, res, e);
	if (ret == ST_OK)
		log_info("%s: %s as %s (HTTP %d, %d attempt%s)", r->serial, res->status, res->id,
			 res->http_status, res->attempts, res->attempts == 1 ? "" : "s");
out:
	/* The key also sits in curl's copy of the header list, freed here. */
	memset(auth, 0, sizeof(auth));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(buf.data);
	free(body);
	return ret;
}
