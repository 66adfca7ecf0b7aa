// SPDX-License-Identifier: Apache-2.0
/*
 * The SEALSQ INeS REST API v2, as the seed's demo client speaks it: the
 * contract is what github.com/sclark-wisekey/NCCoE.factory.pub sends and
 * reads (VaultIC-TLS/demos/wolfssl/factory: include/wisekey_Ines_settings.h
 * names the routes, src/wisekey_Http_Request_Manager.c builds the requests,
 * src/wisekey_Ines_Agent.c reads the answers).  Served here:
 *
 *   POST /v2/auth                         no body; the TLS client certificate
 *                                         -> 200 {"access_token","token_type","expires_in"}
 *   GET  /v2/organizations/{org}/certificatetemplates
 *   GET  /v2/organizations/{org}/certificationauthorities[/{id}[/download]]  ines_cas.c
 *   .../certificates[...]                 ines_certs.c
 *
 * As strict as a real service would be, where the demo shows the shape:
 * a body on /v2/auth, a GET with a body, a path with "//", a POST without
 * content-type: application/json, malformed JSON, duplicate or unknown keys
 * and wrong types (template_id is an integer) are refused with 400 (415 for
 * the content type); a missing, expired or foreign token is 401; another
 * organization than --org is 403.  Every success is HTTP 200 (the demo
 * looks for "200 OK").  What the real service answers where the demo does
 * not show it (unknown certificates, error bodies) is our guess: docs/cms.md
 * lists those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tools/cms-sim/cms-sim.h"

#define ORG_PREFIX "/v2/organizations/"

static char *do_auth(struct sim *s, const struct http_req *r, int *status)
{
	unsigned char raw[32];
	struct token *t = NULL;
	time_t now = time(NULL);
	size_t i;

	if (r->body_len > 0)
		return fail_with(status, 400, "bad-request", "POST /v2/auth takes no body: the "
				 "client certificate is the credential (Content-Length: 0)");
	for (i = 0; i < s->n_tokens && !t; i++)	/* reuse an expired slot */
		if (s->tokens[i].expires <= now)
			t = &s->tokens[i];
	if (!t)
		t = &s->tokens[s->n_tokens < TOKENS_MAX ? s->n_tokens++ : 0];
	if (mbedtls_ctr_drbg_random(s->drbg, raw, sizeof(raw)) != 0)
		return fail_with(status, 500, "internal", "no randomness for a token");
	hex_of(raw, sizeof(raw), t->value, 0);
	snprintf(t->client_fp, sizeof(t->client_fp), "%s", r->client_fp);
	t->expires = now + s->token_ttl;
	fprintf(stderr, "cms-sim: token issued to client '%s' for %d s\n", r->client_cn,
		s->token_ttl);
	*status = 200;
	return json_body(json_pack("{s:s, s:s, s:i}", "access_token", t->value,
				   "token_type", "Bearer", "expires_in", s->token_ttl));
}

/* The demo sends "authorization: Bearer <token> " (a trailing space). */
static int token_ok(const struct sim *s, const struct http_req *r)
{
	time_t now = time(NULL);
	char v[sizeof(r->auth)];
	size_t n;

	if (strncmp(r->auth, "Bearer ", 7) != 0)
		return 0;
	snprintf(v, sizeof(v), "%s", r->auth + 7);
	n = strlen(v);
	while (n > 0 && v[n - 1] == ' ')
		v[--n] = '\0';
	for (size_t i = 0; i < s->n_tokens; i++)
		if (s->tokens[i].expires > now && strcmp(s->tokens[i].value, v) == 0)
			return strcmp(s->tokens[i].client_fp, r->client_fp) == 0;
	return 0;
}

static char *templates(struct sim *s, int *status)
{
	*status = 200;
	return json_body(json_pack("{s:[{s:I, s:s, s:s, s:s, s:s}]}", "templates",
				   "template_id", (json_int_t)s->template_id,
				   "organization_id", s->org ? s->org : "",
				   "name", "IDevID P-256", "description",
				   "cms-sim: the one template it serves (--template-id)",
				   "status", "Active"));
}

/* Refusals common to every /v2 request, before any route: NULL when fine. */
static char *strictness(const struct http_req *r, int *status)
{
	if (strstr(r->path, "//"))
		return fail_with(status, 400, "bad-request", "the path holds \"//\"");
	if (strcmp(r->method, "GET") == 0 && r->body_len > 0)
		return fail_with(status, 400, "bad-request", "a GET carries no body");
	if (strcmp(r->method, "POST") == 0 && r->body_len > 0 &&
	    strncasecmp(r->ctype, "application/json", 16) != 0)
		return fail_with(status, 415, "unsupported-media-type",
				 "send content-type: application/json");
	return NULL;
}

static char *org_route(struct sim *s, const struct http_req *r, int *status)
{
	char path[sizeof(r->path)], *org = path + strlen(ORG_PREFIX), *rest;
	json_error_t jerr;
	json_t *o = NULL;
	char *out, msg[160];

	snprintf(path, sizeof(path), "%s", r->path);
	rest = strchr(org, '/');
	if (!rest)
		return fail_with(status, 404, "not-found", "no such endpoint");
	*rest++ = '\0';
	if (s->org && strcmp(org, s->org) != 0) {
		snprintf(msg, sizeof(msg), "this client may not act for organization '%.64s'", org);
		return fail_with(status, 403, "forbidden", msg);
	}
	if (!strcmp(rest, "certificatetemplates") && !strcmp(r->method, "GET"))
		return templates(s, status);
	if (!strncmp(rest, "certificationauthorities", 24) && strchr("/", rest[24]))
		return strcmp(r->method, "GET") ? fail_with(status, 405, "method-not-allowed", "GET")
						: ines_cas(s, rest + 24, status);
	if (strncmp(rest, "certificates", 12) != 0 || (rest[12] && !strchr("/?", rest[12])))
		return fail_with(status, 404, "not-found", "no such endpoint");
	if (!strcmp(r->method, "POST")) {
		o = r->body_len ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr)
				: NULL;
		if (!json_is_object(o)) {
			snprintf(msg, sizeof(msg), "the body is not a JSON object%s%.100s",
				 o || !r->body_len ? "" : ": ", o || !r->body_len ? "" : jerr.text);
			json_decref(o);
			return fail_with(status, 400, "bad-request", msg);
		}
	} else if (strcmp(r->method, "GET") != 0) {
		return fail_with(status, 405, "method-not-allowed", "GET or POST");
	}
	out = ines_certificates(s, r, rest + 12, o, status);
	json_decref(o);
	return out;
}

void ines_handle(struct sim *s, const struct http_req *r, int *status, char **body)
{
	if ((*body = strictness(r, status)) != NULL)
		return;
	if (!r->client_ok)
		*body = fail_with(status, 401, "unauthorized", "a client certificate issued by the "
				  "station client CA is required");
	else if (strcmp(r->path, "/v2/auth") == 0 && strcmp(r->method, "POST") == 0)
		*body = do_auth(s, r, status);
	else if (strncmp(r->path, ORG_PREFIX, strlen(ORG_PREFIX)) != 0)
		*body = fail_with(status, 404, "not-found", "not served by cms-sim: every INeS route but "
				  "/v2/auth is under /v2/organizations/{org}");
	else if (!token_ok(s, r))
		*body = fail_with(status, 401, "unauthorized", "missing, expired or foreign bearer "
				  "token: POST /v2/auth first");
	else
		*body = org_route(s, r, status);
}
