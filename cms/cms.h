/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate Management Service client (libcurl, HTTPS, verification on).
 * The protocols are backends behind one table (cms_proto.c), chosen by
 * cms.protocol in station.yaml (docs/cms.md); a NULL slot is an operation
 * the protocol does not have:
 *
 *   v2   SEALSQ INeS REST API v2, as the seed's demo client speaks it
 *        (github.com/sclark-wisekey/NCCoE.factory.pub, wisekey_Ines_Agent.c,
 *        wisekey_Http_Request_Manager.c, wisekey_Ines_settings.h): mTLS to
 *        POST /v2/auth (no body) for a bearer token; certificates issued,
 *        asked for their status and looked up under /v2/organizations/{org}/.
 *        register = status + thumbprint look-up (INeS has no "devices").
 *   est  RFC 7030 simpleenroll (mTLS): enrolment only.
 *   v1   OURS, not an INeS API: the project's own registry of
 *        pre-provisioned identities (an API key, POST /api/v1/identities).
 *
 * Every call is bounded by the caller's deadline and stop flag (cms_config
 * .deadline_ms, .stopped): each attempt's timeout is clamped to what is left,
 * a backoff or a Retry-After that would outlast it gives up at once, and a
 * stop aborts a transfer within ~50 ms.  Secrets (API key, client key) are
 * read from files named in station.yaml and never reach a log or the DB.
 */
#ifndef ST_CMS_H
#define ST_CMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct cms_proto;	/* one protocol's backend (cms-internal.h) */

struct cms_config {
	const char *url;	/* https://127.0.0.1:8443 */
	const char *ca_file;	/* trust for the server certificate; NULL: system */
	const char *api_key;	/* v1 secret (read from cms.api_key_file) */
	int timeout_ms;		/* per attempt */
	int attempts;		/* total attempts (>= 1) */
	int backoff_ms;		/* first backoff, doubled each retry */
	int insecure;		/* only when set explicitly in station.yaml */
	const struct cms_proto *proto;	/* NULL: v1 */
	const char *org;	/* v2: organization id in the paths */
	long template_id;	/* v2: certificate template (an integer) */
	const char *client_cert; /* mTLS: PEM certificate file (v2, est) */
	const char *client_key;	/* mTLS: PEM key file; read by libcurl only */
	int validity_days;	/* v2 enrolment default when the request gives 0 */
	/* Set per call by the caller: */
	int64_t deadline_ms;	/* CLOCK_MONOTONIC ms no call outlasts; 0: none */
	bool (*stopped)(void *ctx);	/* true: give up now (SIGTERM) */
	/* called when a call gives up because deadline_ms comes (the
	 * caller's time, not cms.timeout_ms): before it or at it; NULL: none */
	void (*ran_out)(void *ctx);
	void *stop_ctx;			/* for both */
};

/* The protocol named s ("v2", "est", "v1"); NULL when unknown. */
const struct cms_proto *cms_proto_find(const char *s);
/* Its name; "v1" for NULL. */
const char *cms_proto_name(const struct cms_proto *p);
/* The names, comma-separated, for messages: "v2, est, v1". */
const char *cms_proto_names(void);
/* Does it authenticate with a TLS client certificate (cms.client_cert)? */
bool cms_proto_needs_mtls(const struct cms_proto *p);
/* What it can do, for lint and messages. */
bool cms_can_register(const struct cms_proto *p);
bool cms_can_enroll(const struct cms_proto *p);
bool cms_can_lookup(const struct cms_proto *p);
bool cms_can_status(const struct cms_proto *p);
bool cms_can_cacerts(const struct cms_proto *p);

/* CLOCK_MONOTONIC in ms, the clock of cms_config.deadline_ms. */
int64_t cms_now_ms(void);

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
	char id[64];		/* the CMS's id: v1 registration, v2 certificate_id */
	char cert_status[24];	/* v2: the CMS's word: "Good", "Revoked", "Expired", ... */
	char revoked_at[40];	/* v2: revocationDate when it gave one */
	char reason[64];	/* v2: revocation reason when it gave one */
	char thumbprint[48];	/* v2: SHA-1 of the certificate asked about, hex */
	int http_status;
	int attempts;
	int requests;		/* HTTP requests made, token included */
};

/* Call once per program, before any other cms_* call (curl_global_init). */
int cms_global_init(void);

/* The largest CMS response body accepted; a larger one is ST_ERR_LIMIT. */
#define CMS_RESPONSE_MAX (64 * 1024)

/*
 * Register one pre-provisioned identity.  v1 (ours): POST it to the
 * registry.  v2 (INeS): ask the CMS the certificate's status and find its
 * record by thumbprint.  Returns ST_OK with res->status "registered" or
 * "already-registered" and res->id; otherwise res->status "failed" and:
 *   ST_ERR_NOTFOUND the CMS does not know the certificate (v2);
 *   ST_ERR_CERT  the CMS knows it as Revoked or Expired (res->cert_status,
 *                res->revoked_at);
 *   ST_ERR_HTTP  the CMS refused (res->http_status 400, 401/403, 409, ...)
 *                or stayed 5xx through every attempt;
 *   ST_ERR_TLS   the server certificate failed verification, or the server
 *                refused the station's client certificate (never retried);
 *   ST_ERR_IO / ST_ERR_TIMEOUT  unreachable or silent through every attempt,
 *                or the caller's deadline came first;
 *   ST_ERR_ABORTED the caller's stop flag was raised;
 *   ST_ERR_PARSE a malformed answer; ST_ERR_LIMIT an oversized one;
 *   ST_ERR_ARG / ST_ERR_NOTSUP  bad configuration / not in this protocol.
 */
int cms_register(const struct cms_config *c, const struct cms_request *r,
		 struct cms_result *res, struct st_error *e);
/* Parse a v1 CMS JSON response body (bounded); exposed for tests and fuzzing. */
int cms_parse_response(const char *body, size_t len, int http_status,
		       struct cms_result *res, struct st_error *e);

/*
 * True when err means the CMS could not be reached or was unavailable (down,
 * slow, 5xx), so a sequence with on_unavailable: queue may queue it; false
 * for a definite answer (refusal, conflict, unknown or revoked certificate,
 * a server certificate or client certificate refused) and for a stop.
 */
int cms_is_unavailable(int err, const struct cms_result *res);

/* --- enrolment: a CSR in, a CMS-issued certificate out (v2 or est) ------- */
struct cms_enroll_request {
	const char *serial;	/* the board's serial: subject serialNumber 2.5.4.5 */
	const char *subject;	/* mbedTLS name syntax "CN=..,O=..,serialNumber=.."; v2
				   asks for each attribute; NULL: serialNumber only */
	const char *csr_pem;	/* PKCS#10, PEM (signed by the SE) */
	int validity_days;	/* 0: cms.validity_days (v2); est: the CA decides */
	bool subject_warn;	/* requested attributes missing from the issued
				   certificate: warn (true) or fail (false) */
	/* A renewal of the certificate the unit holds, for the same key: */
	bool renew;		/* est: simplereenroll (RFC 7030 4.2.2) */
	const char *renew_id;	/* v2: POST .../certificates/{id}/rekey with the CSR */
	const char *renew_until; /* v2: its valid_until: a certificate the CMS already
				   holds for this key counts as the renewal (one
				   completed after a timeout) unless it ends earlier
				   (the same second: issued within one) */
};

struct cms_enroll_result {
	char *cert_pem;		/* heap, caller frees */
	char certificate_id[64];
	char serial_number[80];	/* certificate serial, hex */
	char thumbprint[80];	/* v2: the CMS's (SHA-1 hex); est: SHA-1 of the DER */
	char subject_missing[160]; /* requested attributes the certificate lacks */
	bool reused;		/* v2: the CMS already held a certificate for this
				   key (an earlier attempt it completed): no new one */
	int http_status;
	int attempts;
	int requests;
};

/*
 * Enrol: v2 looks for the CMS's certificate for this subject CN and key
 * first (GET .../certificates/cn/{cn}: an issue that timed out but completed
 * is found, not issued twice), then POST .../certificates; est
 * simpleenroll.  The certificate must certify the CSR's public key
 * (ST_ERR_CERT) and carry every requested subject attribute (ST_ERR_CERT
 * unless subject_warn).  Errors as cms_register; a 409 names the conflict.
 * res->cert_pem is NULL on failure.
 */
int cms_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
	       struct cms_enroll_result *res, struct st_error *e);
void cms_enroll_result_free(struct cms_enroll_result *res);

/* --- look-ups (v2) ------------------------------------------------------- */
enum cms_lookup_by {
	CMS_BY_ID,		/* GET .../certificates/{id} */
	CMS_BY_THUMBPRINT,	/* GET .../certificates/thumbprint/{SHA-1 hex} */
	CMS_BY_CN,		/* GET .../certificates/cn/{common name} */
};

#define CMS_LOOKUP_MAX 16
struct cms_cert_info {
	char id[64];
	char status[24];
	char thumbprint[48];
	char common_name[128];
	char valid_until[40];
};
struct cms_lookup_result {
	int count;		/* certificates found (0: the CMS has none) */
	struct cms_cert_info certs[CMS_LOOKUP_MAX];
	int requests;
};
int cms_lookup(const struct cms_config *c, enum cms_lookup_by by, const char *key,
	       struct cms_lookup_result *res, struct st_error *e);

/* The certificate status the CMS holds for cert_pem (v2 .../certificates/status):
 * "Good", "Revoked", "Expired" or the CMS's other word. */
int cms_status(const struct cms_config *c, const char *cert_pem, struct cms_result *res,
	       struct st_error *e);

/* The CMS's CA certificates (est: GET /cacerts, RFC 7030 4.1) as PEM (heap,
 * caller frees); *requests counts the HTTP requests. */
int cms_cacerts(const struct cms_config *c, char **pem, int *requests, struct st_error *e);

/*
 * Is cert_pem (a unit's certificate) still one to keep?  ST_OK when it is
 * within its validity and, with ca_pem, chains to those CA certificates;
 * *days_left is the whole days to its notAfter (negative: expired).
 * ST_ERR_CERT with the reason otherwise (expired, another CA's).
 */
int cms_cert_check(const char *cert_pem, const char *ca_pem, long *days_left,
		   struct st_error *e);

/* The first certificate of a PEM chain (heap), NULL when there is none. */
char *cms_leaf_pem(const char *chain);

/* --- response parsers, exposed for tests and fuzzing ------------------- */
int cms_v2_parse_auth(const char *body, size_t len, int http_status, char *token,
		      size_t cap, int *expires_in, struct st_error *e);
int cms_v2_parse_certificate(const char *body, size_t len, int http_status,
			     struct cms_enroll_result *res, struct st_error *e);
int cms_v2_parse_status(const char *body, size_t len, int http_status,
			struct cms_result *res, struct st_error *e);
/* EST: a base64 certs-only PKCS#7 (RFC 7030 4.2.3) -> the first end-entity
 * certificate as PEM (heap). */
int cms_est_parse_pkcs7(const char *body, size_t len, char **cert_pem, struct st_error *e);

#endif
