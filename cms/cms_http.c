// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS client's transport: one HTTPS exchange (libcurl), verified against
 * the configured CA.  The transfer runs in a curl multi loop that wakes every
 * 50 ms, so the caller's stop flag ends it at once and its deadline bounds it
 * (the per-attempt timeout is clamped to what is left).  Secrets go only
 * into the Authorization header or, for mTLS, stay in files libcurl reads;
 * the debug trace redacts that header, so no secret reaches a log.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define LOG_PREFIX "cms"
#include "common/log.h"
#include "cms/cms-internal.h"

#define CMS_URL_MAX 1024
#define POLL_MS 50

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

/* Retry-After (RFC 9110 10.2.3): delta-seconds only; an HTTP-date is
 * ignored (the loop's own backoff applies). */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct cms_resp *b = ctx;
	size_t len = size * n, i = 12;
	long v = 0;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i < len && isdigit((unsigned char)p[i])) {
			for (; i < len && isdigit((unsigned char)p[i]) && v < 86400; i++)
				v = v * 10 + (p[i] - '0');
			b->retry_after_ms = v * 1000;
		}
	}
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

static int url_base_len(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return (int)n;
}

#define SETOPT(h, opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)

static CURLcode setup(CURL *h, const struct cms_config *c, const struct cms_call *k,
		      const char *url, struct curl_slist *hdrs, struct cms_resp *buf, char *errbuf,
		      long tmo)
{
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
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, buf);
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

/* A TLS alert by which the server refused the client certificate
 * (RFC 8446 6.2: bad_certificate, unknown_ca, certificate_required, ...),
 * as OpenSSL words it in libcurl's error text. */
static bool client_cert_refused(const char *why)
{
	static const char *const alerts[] = {
		"alert bad certificate", "alert unknown ca", "alert certificate required",
		"alert certificate unknown", "alert unsupported certificate",
		"alert certificate revoked", "alert certificate expired", "alert access denied",
	};

	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (strcasestr(why, alerts[i]))
			return true;
	return false;
}

/* A failed transfer: which error, and whether another attempt may help. */
static int transport_error(CURLcode rc, const char *errbuf, const struct cms_config *c,
			   const struct cms_call *k, long tmo, struct cms_try *t,
			   struct st_error *e)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);

	t->retry = 0;
	if (k->mtls && client_cert_refused(why))
		return st_fail(e, ST_ERR_TLS, "the CMS refused the station's TLS client certificate "
			       "(%s): a configuration error, not an outage; check that cms.client_cert "
			       "(%s) is the certificate the CMS was given for this station", why,
			       c->client_cert);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (strcasestr(why, "subject name") || strcasestr(why, "host name") ||
		    strcasestr(why, "does not match"))
			return st_fail(e, ST_ERR_TLS, "the CMS's server certificate is not for the host "
				       "in cms.url (%s): check cms.url in station.yaml (now %.200s)",
				       why, c->url);
		/* fall through */
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return st_fail(e, ST_ERR_TLS, "CMS server certificate verification failed (%s): %s; "
			       "check that cms.ca in station.yaml names the CMS's CA (now %s)",
			       curl_easy_strerror(rc), why, c->ca_file ? c->ca_file : "system CAs");
	case CURLE_SSL_CERTPROBLEM:
		return st_fail(e, ST_ERR_TLS, "the station's TLS client certificate cannot be used "
			       "(%s): check cms.client_cert and cms.client_key in station.yaml", why);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return st_fail(e, ST_ERR_ARG, "cms.url '%.200s' cannot be used: %s", c->url, why);
	case CURLE_ABORTED_BY_CALLBACK:
		return st_fail(e, ST_ERR_ABORTED, "stopped while waiting for the CMS");
	case CURLE_OPERATION_TIMEDOUT:
		t->retry = 1;
		return st_fail(e, ST_ERR_TIMEOUT, "CMS at %.200s did not answer within %ld ms: %s",
			       c->url, tmo, why);
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		t->retry = 1;
		return st_fail(e, ST_ERR_IO, "the CMS at %.200s closed the connection without an "
			       "answer: %s", c->url, why);
	case CURLE_SSL_CONNECT_ERROR:
		t->retry = 1;
		return st_fail(e, ST_ERR_TLS, "TLS with the CMS at %.200s failed: %s", c->url, why);
	default:
		t->retry = 1;
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

/* curl_easy_perform, but woken every POLL_MS to honour a stop. */
static CURLcode perform(CURL *h, const struct cms_config *c)
{
	CURLM *m = curl_multi_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	struct CURLMsg *msg;
	int running = 1, left;

	if (!m || curl_multi_add_handle(m, h) != CURLM_OK) {
		curl_multi_cleanup(m);
		return rc;
	}
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running && cms_stopped(c)) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (running && curl_multi_poll(m, NULL, 0, POLL_MS, NULL) != CURLM_OK)
			break;
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
			rc = msg->data.result;
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return rc;
}

int cms_http(const struct cms_config *c, const struct cms_call *k, struct cms_resp *resp,
	     struct cms_try *t, struct st_error *e)
{
	char url[CMS_URL_MAX], errbuf[CURL_ERROR_SIZE] = "", auth[1024] = "";
	long tmo = c->timeout_ms > 0 ? c->timeout_ms : 10000, left = cms_left_ms(c);
	struct curl_slist *hdrs = NULL;
	const char *ct = NULL;
	long code = 0;
	CURL *h = NULL;
	CURLcode rc;
	int ret = ST_OK, ok;

	t->retry = 0;
	memset(resp, 0, sizeof(*resp));
	resp->retry_after_ms = -1;
	if (cms_stopped(c))
		return st_fail(e, ST_ERR_ABORTED, "stopped before the CMS was asked");
	if (left <= 0) {
		cms_ran_out(c);
		return st_fail(e, ST_ERR_TIMEOUT, "the step's time ran out before the CMS was asked");
	}
	tmo = tmo < left ? tmo : left;
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
	if (setup(h, c, k, url, hdrs, resp, errbuf, tmo) != CURLE_OK) {
		ret = st_fail(e, ST_ERR, "libcurl refused an option (is libcurl >= 7.85?)");
		goto out;
	}
	if (c->insecure)
		log_warn("cms.insecure is set: the CMS server certificate is NOT verified");
	if (t->requests)
		(*t->requests)++;
	rc = perform(h, c);
	if (resp->overflow) {
		ret = st_fail(e, ST_ERR_LIMIT, "CMS response exceeds the %d byte limit",
			      CMS_RESPONSE_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		ret = transport_error(rc, errbuf, c, k, tmo, t, e);
		if (rc == CURLE_OPERATION_TIMEDOUT && tmo == left)
			cms_ran_out(c);	/* cut to the step's time, not cms.timeout_ms */
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
