/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate Management Service client (libcurl, HTTPS, verification on).
 *   POST {url}/api/v1/identities  Authorization: Bearer <key>
 *   body {"serial","chip_serial","certificate","chain","station","fixture"}
 *   201 {"id","status":"registered"} | 200 {"id","status":"already-registered"}
 *   409 conflict (serial registered with another certificate)
 * 5xx and transport errors are retried with backoff, bounded.  The API key
 * never reaches a log or the database.
 */
#ifndef ST_STATION_CMS_H
#define ST_STATION_CMS_H

#include "../common/err.h"

struct cms_config {
	const char *url;	/* https://127.0.0.1:8443 */
	const char *ca_file;	/* trust for the server certificate; NULL: system */
	const char *api_key;	/* secret */
	int timeout_ms;		/* per attempt */
	int attempts;		/* total attempts (>= 1) */
	int backoff_ms;		/* first backoff, doubled each retry */
	int insecure;		/* only when set explicitly in station.yaml */
};

struct cms_request {
	const char *serial;
	const char *chip_serial;
	const char *cert_pem;
	const char *chain_pem;
	const char *station;
	const char *fixture;
};

struct cms_result {
	char status[32];	/* "registered", "already-registered", "failed" */
	char id[64];
	int http_status;
	int attempts;
};

/* Call once per program, before any other cms_* call (curl_global_init). */
int cms_global_init(void);

/* The largest CMS response body accepted; a larger one is ST_ERR_LIMIT. */
#define CMS_RESPONSE_MAX (64 * 1024)

/*
 * Register one identity.  Returns ST_OK with res->status "registered" or
 * "already-registered"; otherwise res->status "failed" and:
 *   ST_ERR_HTTP  the CMS refused (res->http_status 400, 401/403, 409, ...)
 *                or stayed 5xx through every attempt;
 *   ST_ERR_TLS   the server certificate failed verification (not retried);
 *   ST_ERR_IO / ST_ERR_TIMEOUT  unreachable or silent through every attempt;
 *   ST_ERR_PARSE a malformed answer; ST_ERR_LIMIT an oversized one;
 *   ST_ERR_ARG   bad configuration (no https://, no key, ...).
 * res->attempts counts the attempts made.
 */
int cms_register(const struct cms_config *c, const struct cms_request *r,
		 struct cms_result *res, struct st_error *e);
/* Parse a CMS JSON response body (bounded); exposed for tests and fuzzing. */
int cms_parse_response(const char *body, size_t len, int http_status,
		       struct cms_result *res, struct st_error *e);

/*
 * True when err means the CMS could not be reached or was unavailable (down,
 * slow, 5xx), so a sequence with on_unavailable: queue may queue it; false
 * for a definite answer (refusal, conflict, untrusted server certificate).
 */
int cms_is_unavailable(int err, const struct cms_result *res);

#endif
