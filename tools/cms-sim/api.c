// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS API and its fault switches.
 *
 *   GET  /health                      200 {"status":"ok"} (never faulted)
 *   POST /api/v1/identities           201 registered | 200 already-registered
 *                                     409 conflict | 400 | 401
 *   GET  /api/v1/identities/<serial>  200 record | 404
 *
 * Registration is keyed by both the board serial and the certificate
 * fingerprint: the same pair again is idempotent, any other overlap is a
 * conflict, so a cloned identity cannot be registered twice.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/cms-sim/cms-sim.h"

#define API_PREFIX "/api/v1/identities"

char *json_body(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

char *error_body(const char *error, const char *message)
{
	return json_body(json_pack("{s:s, s:s}", "error", error, "message", message));
}

/* Compare without leaking where the first difference is. */
static int key_ok(const char *auth, const char *key)
{
	size_t al, kl = strlen(key), i;
	unsigned char diff = 0;

	if (strncmp(auth, "Bearer ", 7) != 0)
		return 0;
	auth += 7;
	al = strlen(auth);
	for (i = 0; i < kl; i++)
		diff |= (unsigned char)(key[i] ^ (i < al ? auth[i] : 0));
	return diff == 0 && al == kl;
}

static const char *const body_fields[] = {
	"serial", "chip_serial", "certificate", "chain", "station", "fixture",
};
#define N_BODY_FIELDS (sizeof(body_fields) / sizeof(body_fields[0]))

/* The request body as strings; NULL and msg when a field is missing. */
static json_t *parse_body(const struct http_req *r, const char **v, char *msg, size_t cap)
{
	json_error_t jerr;
	json_t *o;
	size_t i;

	if (!r->body || r->body_len == 0) {
		snprintf(msg, cap, "empty body; send a JSON object");
		return NULL;
	}
	o = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o || !json_is_object(o)) {
		snprintf(msg, cap, "body is not a JSON object: %s", o ? "wrong type" : jerr.text);
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < N_BODY_FIELDS; i++) {
		v[i] = json_string_value(json_object_get(o, body_fields[i]));
		if (!v[i]) {
			snprintf(msg, cap, "missing or non-string field \"%s\"", body_fields[i]);
			json_decref(o);
			return NULL;
		}
	}
	if (v[0][0] == '\0' || strlen(v[0]) > 64) {
		snprintf(msg, cap, "\"serial\" must be 1..64 characters");
		json_decref(o);
		return NULL;
	}
	return o;
}

static char *answer(int *status, int code, const struct reg_rec *r, const char *what)
{
	*status = code;
	return json_body(json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", r->id, "status", what,
				   "serial", r->serial, "cert_serial", r->cert_serial,
				   "fingerprint", r->fingerprint));
}

static char *conflict(int *status, const char *fmt, const char *a, const char *b)
{
	char msg[512];

	*status = 409;
	snprintf(msg, sizeof(msg), fmt, a, b);
	return error_body("conflict", msg);
}

static char *do_register(struct sim *s, const struct http_req *r, int *status)
{
	const char *v[N_BODY_FIELDS];
	const struct reg_rec *by_serial, *by_fp, *added;
	struct leaf_facts f;
	struct reg_rec rec = { 0 };
	char msg[768];
	char *out;
	json_t *o;

	o = parse_body(r, v, msg, sizeof(msg));
	if (!o || verify_identity(s->trust, v[2], v[3], &f, msg, sizeof(msg)) < 0) {
		json_decref(o);
		*status = 400;
		return error_body("bad-request", msg);
	}
	by_serial = reg_by_serial(&s->reg, v[0]);
	by_fp = reg_by_fingerprint(&s->reg, f.fingerprint);
	if (by_serial && by_serial == by_fp) {
		out = answer(status, 200, by_serial, "already-registered");
	} else if (by_serial) {
		out = conflict(status, "serial %s is already registered (%s) with another certificate",
			       v[0], by_serial->id);
	} else if (by_fp) {
		out = conflict(status, "this certificate is already registered under serial %s (%s)",
			       by_fp->serial, by_fp->id);
	} else {
		rec.serial = strdup(v[0]);
		rec.chip_serial = strdup(v[1]);
		rec.cert_pem = strdup(v[2]);
		rec.chain_pem = strdup(v[3]);
		rec.station = strdup(v[4]);
		rec.fixture = strdup(v[5]);
		rec.cert_serial = strdup(f.cert_serial);
		rec.fingerprint = strdup(f.fingerprint);
		if (reg_add(&s->reg, &rec, &added) < 0) {
			*status = 500;
			out = error_body("internal", "cannot record the registration");
		} else {
			out = answer(status, 201, added, "registered");
		}
	}
	json_decref(o);
	return out;
}

static char *do_lookup(struct sim *s, const char *serial, int *status)
{
	const struct reg_rec *r = reg_by_serial(&s->reg, serial);

	if (!r) {
		*status = 404;
		return error_body("not-found", "no identity registered under this serial");
	}
	*status = 200;
	return json_body(reg_to_json(r));
}

/* A fault that answers in place of the API; NULL body and *status 0 to close. */
static int apply_faults(struct sim *s, const struct http_req *r, int *status, char **body)
{
	const struct faults *f = &s->faults;

	if (strcmp(r->method, "POST") == 0)
		s->posts_seen++;
	if (f->close) {
		*status = 0;
		return 1;
	}
	if (f->status) {
		*status = f->status;
		*body = error_body("fault", "simulated status (cms-sim --fault status=)");
		return 1;
	}
	if (f->malformed) {
		*status = 200;
		*body = strdup("{\"id\": \"reg-0000");
		return 1;
	}
	if (strcmp(r->method, "POST") == 0 && s->posts_seen <= f->fail_first) {
		*status = 503;
		*body = error_body("unavailable", "simulated outage (cms-sim --fault fail-first=)");
		s->answer_retry_after = f->retry_after;
		return 1;
	}
	return 0;
}

/* The routes the fault switches apply to: all but /health and unknown paths. */
static int faulted_route(const char *path)
{
	return strncmp(path, "/v2/", 4) == 0 || strncmp(path, "/.well-known/est/", 17) == 0 ||
	       strncmp(path, API_PREFIX, strlen(API_PREFIX)) == 0;
}

static void route(struct sim *s, const struct http_req *r, int *status, char **body)
{
	if (strncmp(r->path, "/v2/", 4) == 0) {
		if (!apply_faults(s, r, status, body))
			ines_handle(s, r, status, body);
		return;
	}
	if (strncmp(r->path, "/.well-known/est/", 17) == 0) {
		if (!apply_faults(s, r, status, body))
			est_handle(s, r, status, body);
		return;
	}
	if (strncmp(r->path, API_PREFIX, strlen(API_PREFIX)) != 0) {
		*status = 404;
		*body = error_body("not-found", "no such endpoint");
		return;
	}
	if (apply_faults(s, r, status, body))
		return;
	if (!s->api_key || !key_ok(r->auth, s->api_key)) {
		*status = 401;
		*body = error_body("unauthorized", "missing or wrong API key");
		return;
	}
	if (strcmp(r->path, API_PREFIX) == 0 && strcmp(r->method, "POST") == 0) {
		*body = do_register(s, r, status);
	} else if (strncmp(r->path, API_PREFIX "/", strlen(API_PREFIX) + 1) == 0 &&
		   strcmp(r->method, "GET") == 0) {
		*body = do_lookup(s, r->path + strlen(API_PREFIX) + 1, status);
	} else {
		*status = 405;
		*body = error_body("method-not-allowed", "use POST " API_PREFIX
				   " or GET " API_PREFIX "/<serial>");
	}
}

void api_handle(struct sim *s, const struct http_req *r, int *status, char **body,
		const char **ctype, int *retry_after)
{
	struct timespec late;

	const int delay_ms = s->faults.delay_ms;	/* set once, before any thread */
	struct timespec ts = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L };

	*body = NULL;
	*ctype = NULL;
	if (strcmp(r->path, "/health") == 0) {
		*status = 200;
		*body = strdup("{\"status\":\"ok\"}");
		return;
	}
	/* Slow, but not serialized: other connections are answered meanwhile. */
	if (delay_ms > 0 && faulted_route(r->path))
		nanosleep(&ts, NULL);
	pthread_mutex_lock(&s->lock);
	s->answer_ctype = NULL;
	s->answer_retry_after = 0;
	s->answer_late_ms = 0;
	s->issue_san = NULL;
	s->issue_san_len = 0;
	route(s, r, status, body);
	s->issue_san = NULL;
	*ctype = s->answer_ctype;
	*retry_after = s->answer_retry_after;
	late.tv_sec = s->answer_late_ms / 1000;
	late.tv_nsec = (long)(s->answer_late_ms % 1000) * 1000000L;
	pthread_mutex_unlock(&s->lock);
	/* --fault late-issue: the work is done and recorded; the answer lags */
	if (late.tv_sec || late.tv_nsec)
		nanosleep(&late, NULL);
}

/* "fail-first=N", "retry-after=S", "delay-ms=N", "late-issue=MS", "malformed",
 * "status=CODE", "close", "drop-oid=2.5.4.10", "est-pending=N",
 * "unique-subject", and bad_issue.c's; commas join. */
int faults_parse(struct faults *f, const char *spec)
{
	char buf[256], *tok, *save, *end;
	long v;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		v = eq ? strtol(eq + 1, &end, 10) : 0;
		if (eq)
			*eq = '\0';
		if (strcmp(tok, "drop-oid") == 0 && eq && strlen(eq + 1) < sizeof(f->drop_oid)) {
			snprintf(f->drop_oid, sizeof(f->drop_oid), "%s", eq + 1);
			continue;
		}
		if (eq && (*end || v < 0 || v > 3600000))
			return -1;
		if (strcmp(tok, "fail-first") == 0 && eq)
			f->fail_first = (int)v;
		else if (strcmp(tok, "retry-after") == 0 && eq)
			f->retry_after = (int)v;
		else if (strcmp(tok, "est-pending") == 0 && eq)
			f->est_pending = (int)v;
		else if (strcmp(tok, "unique-subject") == 0 && !eq)
			f->unique_subject = 1;
		else if (strcmp(tok, "late-issue") == 0 && eq)
			f->late_issue = (int)v;
		else if (strcmp(tok, "delay-ms") == 0 && eq)
			f->delay_ms = (int)v;
		else if (strcmp(tok, "status") == 0 && eq && v >= 100 && v <= 599)
			f->status = (int)v;
		else if (strcmp(tok, "malformed") == 0 && !eq)
			f->malformed = 1;
		else if (strcmp(tok, "close") == 0 && !eq)
			f->close = 1;
		else if (!eq && bad_fault(f, tok))
			;	/* a bad certificate (bad_issue.c) */
		else
			return -1;
	}
	return 0;
}
