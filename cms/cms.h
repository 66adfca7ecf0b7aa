/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate Management Service client (libcurl, HTTPS, verification on).
 * Three protocols, chosen by cms.protocol in station.yaml (docs/cms.md):
 *
 * v2 (INeS REST API v2 shape; mTLS with cms.client_cert/client_key):
 *   POST /v2/auth                                  -> {"access_token","expires_in"}
 *   POST /v2/organizations/{org}/certificates      enrolment: CSR -> certificate
 *   POST /v2/organizations/{org}/devices           register a pre-provisioned identity
 *   GET  /v2/organizations/{org}/certificates?serial_number=...
 *   every call but /v2/auth carries "Authorization: Bearer <token>"; the
 *   token is cached per process until shortly before it expires.
 * est (RFC 7030, mTLS): POST /.well-known/est/simpleenroll (enrolment only).
 * v1 (the first lab CMS; API key): POST /api/v1/identities.
 *
 * Registration is idempotent: the CMS keys it by the certificate fingerprint
 * and answers "already-registered" to a repeat.  5xx and transport errors are
 * retried with backoff, bounded.  Secrets (API key, client key) are read from
 * files named in station.yaml and never reach a log or the database.
 */
#ifndef ST_STATION_CMS_H
#define ST_STATION_CMS_H

#include <stddef.h>

#include "common/err.h"

enum cms_protocol { CMS_V1 = 0, CMS_V2, CMS_EST };

struct cms_config {
	const char *url;	/* https://127.0.0.1:8443 */
	const char *ca_file;	/* trust for the server certificate; NULL: system */
	const char *api_key;	/* v1 secret (read from cms.api_key_file) */
	int timeout_ms;		/* per attempt */
	int attempts;		/* total attempts (>= 1) */
	int backoff_ms;		/* first backoff, doubled each retry */
	int insecure;		/* only when set explicitly in station.yaml */
	enum cms_protocol protocol;
	const char *org;	/* v2: organization id in the paths */
	const char *template_id; /* v2: certificate template for enrolment */
	const char *client_cert; /* mTLS: PEM certificate file (v2, est) */
	const char *client_key;	/* mTLS: PEM key file; read by libcurl only */
	int validity_days;	/* v2 enrolment default when the request gives 0 */
};

/* "v1", "v2", "est"; -1 when unknown. */
int cms_protocol_parse(const char *s);
const char *cms_protocol_name(enum cms_protocol p);

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
 * Register one identity (v1 or v2; est has no registration).  Returns ST_OK
 * with res->status "registered" or "already-registered"; otherwise
 * res->status "failed" and:
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
/* Parse a v1 CMS JSON response body (bounded); exposed for tests and fuzzing. */
int cms_parse_response(const char *body, size_t len, int http_status,
		       struct cms_result *res, struct st_error *e);

/*
 * True when err means the CMS could not be reached or was unavailable (down,
 * slow, 5xx), so a sequence with on_unavailable: queue may queue it; false
 * for a definite answer (refusal, conflict, untrusted server certificate).
 */
int cms_is_unavailable(int err, const struct cms_result *res);

/* --- enrolment: a CSR in, a CMS-issued certificate out (v2 or est) ------- */
struct cms_enroll_request {
	const char *serial;	/* the board's serial: subject serialNumber 2.5.4.5 */
	const char *subject_cn;	/* subject commonName 2.5.4.3; NULL: none */
	const char *csr_pem;	/* PKCS#10, PEM (signed by the SE) */
	int validity_days;	/* 0: cms.validity_days (v2); est: the CA decides */
	const char *station;
	const char *fixture;
};

struct cms_enroll_result {
	char *cert_pem;		/* heap, caller frees */
	char certificate_id[64];
	char serial_number[80];	/* certificate serial, hex */
	char thumbprint[80];	/* SHA-256 of the certificate DER, hex */
	int http_status;
	int attempts;
};

/*
 * Enrol: v2 POST /v2/organizations/{org}/certificates, or EST simpleenroll
 * when cms.protocol is est.  The returned certificate is checked to certify
 * the CSR's public key (a CMS answering with another key is ST_ERR_CERT).
 * Errors as cms_register.  res->cert_pem is NULL on failure.
 */
int cms_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
	       struct cms_enroll_result *res, struct st_error *e);
void cms_enroll_result_free(struct cms_enroll_result *res);

/* Look-up (v2): the certificates the CMS holds for serial (subject
 * serialNumber or certificate serial), oldest first: how many, and the ids
 * of the first CMS_LOOKUP_IDS. */
#define CMS_LOOKUP_IDS 16
struct cms_lookup_result {
	int count;
	char ids[CMS_LOOKUP_IDS][64];
};
int cms_lookup(const struct cms_config *c, const char *serial, struct cms_lookup_result *res,
	       struct st_error *e);

/* The first certificate of a PEM chain (heap), NULL when there is none. */
char *cms_leaf_pem(const char *chain);

/* --- response parsers, exposed for tests and fuzzing ------------------- */
int cms_v2_parse_auth(const char *body, size_t len, int http_status, char *token,
		      size_t cap, int *expires_in, struct st_error *e);
int cms_v2_parse_certificate(const char *body, size_t len, int http_status,
			     struct cms_enroll_result *res, struct st_error *e);
int cms_v2_parse_device(const char *body, size_t len, int http_status,
			struct cms_result *res, struct st_error *e);
/* EST: a base64 certs-only PKCS#7 (RFC 7030 4.2.3) -> the first end-entity
 * certificate as PEM (heap). */
int cms_est_parse_pkcs7(const char *body, size_t len, char **cert_pem, struct st_error *e);

#endif
