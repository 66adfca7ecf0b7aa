/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MES client (mes.h) on libcurl: one JSON POST per attempt, bounded in
 * time and size; a connection refused, a timeout, a 5xx or a 429 is tried
 * again after the backoff (doubling), any other answer is final.
 */
#define LOG_PREFIX "mes"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/log.h"
#include "mes/mes.h"

#define RESPONSE_MAX (64 * 1024)
#define URL_MAX 1024

struct resp {
	char data[RESPONSE_MAX + 1];
	size_t len;
	long status;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n;

	if (len > RESPONSE_MAX - r->len)
		return 0;	/* too large: the transfer fails */
	memcpy(r->data + r->len, p, len);
	r->len += len;
	r->data[r->len] = '\0';
	return len;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One attempt: ST_OK with r->status, or a transport error in e. */
static int post_once(const struct mes_config *c, const char *path, const char *body,
		     const char *idem, struct resp *r, struct st_error *e)
{
	char url[URL_MAX], auth[600], key[128], err[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	CURL *curl = curl_easy_init();
	CURLcode rc;

	if (!curl)
		return st_fail(e, ST_ERR_NOMEM, "MES: out of memory");
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	if (c->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, auth);
		memset(auth, 0, sizeof(auth));
	}
	if (idem) {
		snprintf(key, sizeof(key), "Idempotency-Key: %s", idem);
		h = curl_slist_append(h, key);
	}
	r->len = 0;
	r->data[0] = '\0';
	r->status = 0;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(c->timeout_ms > 0 ? c->timeout_ms : 5000));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK)
		return st_fail(e, rc == CURLE_OPERATION_TIMEDOUT ? ST_ERR_TIMEOUT : ST_ERR_HTTP,
			       "the MES at %s did not answer: %s", url, err[0] ? err :
			       curl_easy_strerror(rc));
	return ST_OK;
}

static bool again(int ret, long status)
{
	return ret < 0 || status >= 500 || status == 429;
}

/* The attempts: ST_OK with the last answer in r, or the last error. */
static int post(const struct mes_config *c, const char *path, const char *body,
		const char *idem, struct resp *r, struct st_error *e)
{
	int attempts = c->attempts > 0 ? c->attempts : 1, delay = c->backoff_ms, ret = ST_OK;

	for (int i = 0; i < attempts; i++) {
		if (i) {
			log_info("MES %s: attempt %d of %d in %d ms", path, i + 1, attempts, delay);
			sleep_ms(delay);
			delay *= 2;
		}
		ret = post_once(c, path, body, idem, r, e);
		if (!again(ret, r->status))
			break;
		if (ret == ST_OK)
			ret = st_fail(e, ST_ERR_HTTP, "the MES answered %ld to %s", r->status, path);
	}
	return ret;
}

int mes_precheck(const struct mes_config *c, const struct mes_unit *u, bool *allowed,
		 char reason[MES_REASON_MAX], struct st_error *e)
{
	json_t *q = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "serial", u->serial,
			      "operation", c->operation, "station", u->station, "fixture",
			      u->fixture, "operator", u->operator_name, "work_order", u->work_order,
			      "part_number", u->part_number, "revision", u->revision), *a, *ok, *why;
	char *body = q ? json_dumps(q, JSON_COMPACT) : NULL;
	struct resp *r = calloc(1, sizeof(*r));
	int ret;

	json_decref(q);
	reason[0] = '\0';
	*allowed = false;
	if (!body || !r) {
		free(body);
		free(r);
		return st_fail(e, ST_ERR_NOMEM, "MES pre-check: out of memory");
	}
	ret = post(c, "/precheck", body, NULL, r, e);
	free(body);
	if (ret == ST_OK && r->status != 200)
		ret = st_fail(e, ST_ERR_HTTP, "the MES answered the pre-check with HTTP %ld",
			      r->status);
	if (ret == ST_OK) {
		a = json_loadb(r->data, r->len, 0, NULL);
		ok = json_object_get(a, "allowed");
		why = json_object_get(a, "reason");
		if (!json_is_boolean(ok))
			ret = st_fail(e, ST_ERR_PROTO, "the MES's pre-check answer has no \"allowed\": "
				      "true or false");
		else
			*allowed = json_is_true(ok);
		if (ret == ST_OK && !*allowed)
			snprintf(reason, MES_REASON_MAX, "%s", json_is_string(why) ?
				 json_string_value(why) : "(the MES gave no reason)");
		json_decref(a);
	}
	free(r);
	return ret;
}

int mes_post_result(const struct mes_config *c, const char *run_id, const char *doc,
		    struct st_error *e)
{
	struct resp *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return st_fail(e, ST_ERR_NOMEM, "MES result: out of memory");
	ret = post(c, "/results", doc, run_id, r, e);
	if (ret == ST_OK && (r->status < 200 || r->status > 299) && r->status != 409)
		ret = st_fail(e, ST_ERR_HTTP, "the MES refused the result of run %s: HTTP %ld %.200s",
			      run_id, r->status, r->data);
	free(r);
	return ret;
}
