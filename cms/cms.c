// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS client's front: the protocol table and the public entry points
 * that dispatch through it (a NULL slot answers ST_ERR_NOTSUP), the checks
 * every protocol shares, and the bounded retry loop: exponential backoff on
 * transport errors and 5xx only, a Retry-After honoured, never past the
 * caller's deadline, cut short by its stop flag.  A refusal (400, 401, 409)
 * is an answer, not an outage, and is never retried.
 */
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
#define SLEEP_SLICE_MS 20

static const struct cms_proto *const protos[] = { &cms_proto_v2, &cms_proto_est, &cms_proto_v1 };
#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))

int cms_global_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK) {
		log_err("curl_global_init: %s", curl_easy_strerror(rc));
		return ST_ERR;
	}
	return ST_OK;
}

const struct cms_proto *cms_proto_find(const char *s)
{
	for (size_t i = 0; s && i < N_PROTOS; i++)
		if (strcmp(s, protos[i]->name) == 0)
			return protos[i];
	return NULL;
}

const struct cms_proto *cms_proto_of(const struct cms_config *c)
{
	return c && c->proto ? c->proto : &cms_proto_v1;
}

const char *cms_proto_name(const struct cms_proto *p)
{
	return p ? p->name : cms_proto_v1.name;
}

const char *cms_proto_names(void)
{
	static char names[64];

	if (!names[0])
		for (size_t i = 0, n = 0; i < N_PROTOS; i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
					      protos[i]->name);
	return names;
}

bool cms_proto_needs_mtls(const struct cms_proto *p)
{
	return (p ? p : &cms_proto_v1)->needs_mtls;
}

bool cms_can_register(const struct cms_proto *p)
{
	return (p ? p : &cms_proto_v1)->register_id != NULL;
}

bool cms_can_enroll(const struct cms_proto *p)
{
	return (p ? p : &cms_proto_v1)->enroll != NULL;
}

bool cms_can_lookup(const struct cms_proto *p)
{
	return (p ? p : &cms_proto_v1)->lookup != NULL;
}

bool cms_can_status(const struct cms_proto *p)
{
	return (p ? p : &cms_proto_v1)->status != NULL;
}

bool cms_can_cacerts(const struct cms_proto *p)
{
	return (p ? p : &cms_proto_v1)->cacerts != NULL;
}

int64_t cms_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long cms_left_ms(const struct cms_config *c)
{
	int64_t left;

	if (!c->deadline_ms)
		return 0x7fffffffL;
	left = c->deadline_ms - cms_now_ms();
	return left < 0 ? 0 : left > 0x7fffffffL ? 0x7fffffffL : (long)left;
}

void cms_ran_out(const struct cms_config *c)
{
	if (c->ran_out)
		c->ran_out(c->stop_ctx);
}

bool cms_stopped(const struct cms_config *c)
{
	return c->stopped && c->stopped(c->stop_ctx);
}

void cms_clean_text(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < cap; i++)
		dst[i] = (unsigned char)src[i] >= 0x20 && (unsigned char)src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

int cms_is_unavailable(int err, const struct cms_result *res)
{
	return err == ST_ERR_IO || err == ST_ERR_TIMEOUT ||
	       (err == ST_ERR_HTTP && res && res->http_status >= 500);
}

int cms_check_config(const struct cms_config *c, struct st_error *e)
{
	const struct cms_proto *p = cms_proto_of(c);

	if (!c || !c->url || !c->url[0])
		return st_fail(e, ST_ERR_ARG, "no CMS URL: set cms.url in station.yaml");
	if (strncasecmp(c->url, "https://", 8) != 0 && !c->insecure)
		return st_fail(e, ST_ERR_ARG, "cms.url '%.200s' is not https://: the CMS must be "
			       "reached over TLS (cms.insecure is for a lab CMS only)", c->url);
	if (strlen(c->url) > CMS_URL_MAX / 2)
		return st_fail(e, ST_ERR_ARG, "cms.url is longer than %d characters", CMS_URL_MAX / 2);
	if (p->needs_mtls && (!c->client_cert || !c->client_key))
		return st_fail(e, ST_ERR_ARG, "cms.protocol %s authenticates with a TLS client "
			       "certificate: set cms.client_cert and cms.client_key in station.yaml",
			       p->name);
	return p->check ? p->check(c, e) : ST_OK;
}

int cms_refusal(const struct cms_config *c, const struct cms_resp *r, const char *what,
		struct cms_try *t, struct st_error *e)
{
	const struct cms_proto *p = cms_proto_of(c);
	char msg[256] = "no message";
	json_t *o = r->len ? json_loadb(r->data, r->len, 0, NULL) : NULL;
	int st = r->status;

	if (json_is_object(o) && json_string_value(json_object_get(o, "message")))
		cms_clean_text(msg, sizeof(msg), json_string_value(json_object_get(o, "message")));
	json_decref(o);
	t->retry = st >= 500;
	if (st == 503 || st == 429)
		t->after_ms = r->retry_after_ms;
	if (st == 401)
		return st_fail(e, ST_ERR_HTTP, "CMS refused the station's credentials (HTTP 401): "
			       "%s; check %s in station.yaml", msg, p->credentials_hint);
	if (st == 403 && c->org)
		return st_fail(e, ST_ERR_HTTP, "CMS forbids this (HTTP 403): %s; check cms.org "
			       "(now '%.64s'): the station's credentials may not act for that "
			       "organization", msg, c->org);
	if (st == 403)
		return st_fail(e, ST_ERR_HTTP, "CMS forbids this (HTTP 403): %s; check %s in "
			       "station.yaml", msg, p->credentials_hint);
	if (st == 409 && what && strcmp(what, "enrol") == 0)
		return st_fail(e, ST_ERR_HTTP, "CMS conflict (HTTP 409): %s; the CMS already holds "
			       "a certificate for this subject or key that it will not issue again: "
			       "look it up (station cms lookup) before enrolling this board again", msg);
	if (st == 409)
		return st_fail(e, ST_ERR_HTTP, "CMS conflict (HTTP 409): %s; this serial or "
			       "certificate is registered to another identity: hold the board and "
			       "check for a cloned identity", msg);
	if (st == 404 && c->org)
		return st_fail(e, ST_ERR_HTTP, "CMS answered HTTP 404 to %s: %s; check cms.url "
			       "and cms.org (now '%.64s')", what ? what : "the request", msg, c->org);
	if (st == 400)
		return st_fail(e, ST_ERR_HTTP, "CMS rejected the request (HTTP 400): %s", msg);
	if (st >= 500)
		return st_fail(e, ST_ERR_HTTP, "CMS unavailable (HTTP %d): %s", st, msg);
	return st_fail(e, ST_ERR_HTTP, "CMS answered HTTP %d: %s", st, msg);
}

/* Sleep ms in slices, false when a stop came first. */
static bool nap(const struct cms_config *c, long ms)
{
	struct timespec ts;
	long slice;

	while (ms > 0) {
		if (cms_stopped(c))
			return false;
		slice = ms < SLEEP_SLICE_MS ? ms : SLEEP_SLICE_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = slice * 1000000L;
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return !cms_stopped(c);
}

int cms_retry(const struct cms_config *c, const char *what, cms_op_fn op, void *ctx,
	      int *attempts, int *requests, struct st_error *e)
{
	int n = c->attempts > 0 ? c->attempts : 1;
	long delay = c->backoff_ms > 0 ? c->backoff_ms : 0, wait;
	struct cms_try t;
	int ret = ST_ERR, i;

	for (i = 1; i <= n; i++) {
		*attempts = i;
		log_dbg("%s at %s (attempt %d/%d)", what, c->url, i, n);
		t = (struct cms_try){ .after_ms = -1, .requests = requests };
		ret = op(c, ctx, &t, e);
		if (ret == ST_OK || !t.retry)
			break;
		if (i == n) {
			st_error_prefix(e, "gave up after %d attempts", n);
			break;
		}
		wait = t.after_ms >= 0 ? t.after_ms : delay;
		if (wait >= cms_left_ms(c)) {
			st_error_prefix(e, "gave up after %d attempt%s: the step's time runs out "
					"before the next (%s %ld ms)", i, i == 1 ? "" : "s",
					t.after_ms >= 0 ? "the CMS asks to retry after" : "backoff",
					wait);
			cms_ran_out(c);
			break;
		}
		log_warn("%s: attempt %d/%d: %s; retrying in %ld ms%s", what, i, n,
			 e ? e->msg : st_strerror(ret), wait,
			 t.after_ms >= 0 ? " (the CMS's Retry-After)" : "");
		if (!nap(c, wait)) {
			ret = st_fail(e, ST_ERR_ABORTED, "stopped while waiting to ask the CMS again "
				      "(after %d attempt%s)", i, i == 1 ? "" : "s");
			break;
		}
		delay = delay * 2 > CMS_BACKOFF_CAP_MS ? CMS_BACKOFF_CAP_MS : delay * 2;
	}
	return ret;
}

int cms_op_attempt(const struct cms_config *c, void *ctx, struct cms_try *t,
		   struct st_error *e)
{
	struct cms_op *op = ctx;
	struct cms_resp resp = { 0 };
	int ret, st;

	*op->http_status = 0;
	if (op->v2)
		ret = cms_v2_call(c, &op->call, &resp, t, e);
	else
		ret = cms_http(c, &op->call, &resp, t, e);
	st = *op->http_status = resp.status;
	if (ret == ST_OK && !(st == 200 || (!op->only_200 && (st == 201 || st == 202)) ||
			      (op->not_found_ok && st == 404)))
		ret = cms_refusal(c, &resp, op->what, t, e);
	else if (ret == ST_OK)
		ret = op->parse(&resp, op->out, e);
	cms_resp_free(&resp);
	return ret;
}

/* --- the public operations, through the table ----------------------------- */
static int unsupported(const struct cms_proto *p, const char *what, struct st_error *e)
{
	return st_fail(e, ST_ERR_NOTSUP, "cms.protocol %s (%s) cannot %s: choose a protocol "
		       "that can in station.yaml (docs/cms.md)", p->name, p->what, what);
}

int cms_register(const struct cms_config *c, const struct cms_request *r,
		 struct cms_result *res, struct st_error *e)
{
	const struct cms_proto *p = cms_proto_of(c);
	int ret;

	memset(res, 0, sizeof(*res));
	snprintf(res->status, sizeof(res->status), "failed");
	ret = cms_check_config(c, e);
	if (ret < 0)
		return ret;
	if (!r || !r->serial || !r->serial[0] || !r->cert_pem)
		return st_fail(e, ST_ERR_ARG, "CMS registration needs a serial and a certificate");
	if (!p->register_id)
		return unsupported(p, "register a pre-provisioned identity", e);
	ret = p->register_id(c, r, res, e);
	if (ret == ST_OK)
		log_info("%s: %s as %s (HTTP %d, %d attempt%s, %d request%s)", r->serial,
			 res->status, res->id, res->http_status, res->attempts,
			 res->attempts == 1 ? "" : "s", res->requests, res->requests == 1 ? "" : "s");
	else	/* stopped: the CMS's answer, if any, never read */
		snprintf(res->status, sizeof(res->status), "%s",
			 ret == ST_ERR_ABORTED ? "aborted" : "failed");
	return ret;
}

int cms_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
	       struct cms_enroll_result *res, struct st_error *e)
{
	const struct cms_proto *p = cms_proto_of(c);
	int ret;

	memset(res, 0, sizeof(*res));
	ret = cms_check_config(c, e);
	if (ret < 0)
		return ret;
	if (!r || !r->serial || !r->serial[0] || !r->csr_pem)
		return st_fail(e, ST_ERR_ARG, "CMS enrolment needs the board serial and a CSR");
	if (!p->enroll)
		return unsupported(p, "enrol (issue a certificate for a CSR)", e);
	ret = p->enroll(c, r, res, e);
	if (ret == ST_OK)
		ret = cms_cert_matches_csr(res->cert_pem, r->csr_pem, e);
	if (ret == ST_OK && r->subject)
		ret = cms_subject_missing(res->cert_pem, r->subject, res->subject_missing,
					  sizeof(res->subject_missing), e);
	if (ret == ST_OK && res->subject_missing[0]) {
		if (!r->subject_warn)
			ret = st_fail(e, ST_ERR_CERT, "the CMS issued a certificate without the "
				      "requested subject attribute(s) %s: the certificate template "
				      "(cms.template_id) drops them; fix the template, or set "
				      "subject_mismatch: warn on the enroll step", res->subject_missing);
		else
			log_warn("%s: the issued certificate lacks the requested %s", r->serial,
				 res->subject_missing);
	}
	if (ret < 0) {
		cms_enroll_result_free(res);
		return ret;
	}
	log_info("%s: %s certificate %s serial %s (HTTP %d, %d attempt%s, %d request%s)",
		 r->serial, res->reused ? "found the already issued" : "enrolled,",
		 res->certificate_id[0] ? res->certificate_id : "-", res->serial_number,
		 res->http_status, res->attempts, res->attempts == 1 ? "" : "s", res->requests,
		 res->requests == 1 ? "" : "s");
	return ST_OK;
}

void cms_enroll_result_free(struct cms_enroll_result *res)
{
	if (!res)
		return;
	free(res->cert_pem);
	res->cert_pem = NULL;
}

int cms_lookup(const struct cms_config *c, enum cms_lookup_by by, const char *key,
	       struct cms_lookup_result *res, struct st_error *e)
{
	const struct cms_proto *p = cms_proto_of(c);
	int ret;

	memset(res, 0, sizeof(*res));
	ret = cms_check_config(c, e);
	if (ret < 0)
		return ret;
	if (!key || !key[0] || strlen(key) > 128)
		return st_fail(e, ST_ERR_ARG, "a look-up needs a key of 1..128 characters");
	return p->lookup ? p->lookup(c, by, key, res, e) : unsupported(p, "look certificates up", e);
}

int cms_cacerts(const struct cms_config *c, char **pem, int *requests, struct st_error *e)
{
	const struct cms_proto *p = cms_proto_of(c);
	int ret;

	*pem = NULL;
	ret = cms_check_config(c, e);
	if (ret < 0)
		return ret;
	return p->cacerts ? p->cacerts(c, pem, requests, e) :
	       unsupported(p, "hand out its CA certificates", e);
}

int cms_status(const struct cms_config *c, const char *cert_pem, struct cms_result *res,
	       struct st_error *e)
{
	const struct cms_proto *p = cms_proto_of(c);
	int ret;

	memset(res, 0, sizeof(*res));
	ret = cms_check_config(c, e);
	if (ret < 0)
		return ret;
	if (!cert_pem)
		return st_fail(e, ST_ERR_ARG, "a status request needs a certificate");
	return p->status ? p->status(c, cert_pem, res, e) :
	       unsupported(p, "tell a certificate's status", e);
}
