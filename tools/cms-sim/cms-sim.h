/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cms-sim internals: a local Certificate Management Service over real HTTPS
 * (libmicrohttpd + GnuTLS serve it, one thread per connection; mbedTLS is
 * the CA), standing in for the manufacturer's CMS in the demo and the tests.
 */
#ifndef ST_TOOLS_CMS_SIM_H
#define ST_TOOLS_CMS_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#define HTTP_HDR_MAX (8 * 1024)
#define HTTP_BODY_MAX (64 * 1024)
#define HTTP_DRAIN_MAX (1024 * 1024)	/* too large, yet read before the 413 */
#define IO_TIMEOUT_MS 5000

/* --- http.c: HTTPS by libmicrohttpd, one request for api_handle() ------- */
struct http_req {
	char method[8];
	char path[256];		/* the request target as sent, query included */
	char auth[512];		/* the Authorization header, verbatim */
	char ctype[96];		/* the Content-Type header */
	char accept[96];	/* the Accept header */
	int has_length;		/* a Content-Length header came */
	char *body;		/* NUL-terminated, body_len bytes; NULL when none */
	size_t body_len;
	/* from the TLS session: the verified client certificate */
	int client_ok;
	char client_fp[65];	/* its SHA-256, hex */
	char client_cn[128];
};

struct http_tls {
	const char *cert_pem, *key_pem;	/* the server's */
	const char *client_ca_pem;	/* NULL: no client certificate asked */
	int require_client;		/* refuse the handshake without a verified one */
};

struct http_server;
struct sim;

/*
 * Serve s on 127.0.0.1:port (0: any free port) in libmicrohttpd's threads;
 * *bound is the port it got.  NULL, with the reason on stderr, on failure.
 */
struct http_server *http_start(struct sim *s, const struct http_tls *t, unsigned short port,
			       unsigned short *bound);
/* Stop serving: waits for the connections' threads. */
void http_stop(struct http_server *h);

/* --- registry.c: the record of registered identities ------------------- */
struct reg_rec {
	char id[16];		/* reg-000001 (device), cert-000001 (issued) */
	char *kind;		/* "device" (registered) or "issued" (enrolled here) */
	char *serial, *chip_serial, *cert_serial, *fingerprint;
	char *cert_pem, *chain_pem, *station, *fixture;
	char *revoked_at, *revocation_reason;	/* issued, once revoked */
	char registered_at[24];	/* ISO 8601 UTC */
};

struct registry {
	struct reg_rec *recs;
	size_t n, cap;
	const char *db_path;	/* JSON lines, appended; NULL: memory only */
};

int reg_open(struct registry *g, const char *db_path);
void reg_close(struct registry *g);
/* Registered devices only (kind "device"). */
const struct reg_rec *reg_by_serial(const struct registry *g, const char *serial);
const struct reg_rec *reg_by_fingerprint(const struct registry *g, const char *fp);
/* Issued or imported certificates (kind "issued"), by id or by the SHA-256
 * fingerprint of their DER. */
struct reg_rec *reg_issued_by_id(struct registry *g, const char *id);
struct reg_rec *reg_issued_by_fingerprint(struct registry *g, const char *fp);
/* Takes ownership of the strings in rec (kind NULL: "device"); fills id
 * (devices "reg-000001", issued certificates an integer, as INeS's) and
 * registered_at. */
int reg_add(struct registry *g, struct reg_rec *rec, const struct reg_rec **out);
/* Record r's revocation (appended to --db: the newest line of an id wins). */
int reg_revoke(struct registry *g, struct reg_rec *r, const char *reason);
json_t *reg_to_json(const struct reg_rec *r);

/* --- verify.c: does the presented chain lead to the manufacturer root? -- */
struct leaf_facts {
	char cert_serial[80];	/* lower-case hex, no separators */
	char fingerprint[65];	/* SHA-256 of the DER, lower-case hex */
};

/* The serial and fingerprint of crt, verified or not. */
void leaf_facts_of(const mbedtls_x509_crt *crt, struct leaf_facts *f);
/* 0 when leaf_pem (+ chain_pem) verifies to trust; else -1 and msg. */
int verify_identity(mbedtls_x509_crt *trust, const char *leaf_pem, const char *chain_pem,
		    struct leaf_facts *f, char *msg, size_t cap);
/* The same for a parsed chain, leaf first. */
int verify_chain(mbedtls_x509_crt *trust, mbedtls_x509_crt *crt, struct leaf_facts *f,
		 char *msg, size_t cap);

/* --- ca.c: the CMS's issuing CA, PKCS#7 certs-only --------------------- */
struct ca {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	const char *masa_url;	/* NULL: no MASA URL extension */
	int loaded;
};

int ca_load(struct ca *ca, const char *cert, const char *key, const char *masa_url,
	    char *msg, size_t cap);
void ca_free(struct ca *ca);
/* Parse a DER CSR and check its signature; -1 and msg when it fails. */
int ca_parse_csr(mbedtls_x509_csr *csr, const unsigned char *der, size_t len,
		 char *msg, size_t cap);
int ca_name_add(mbedtls_asn1_named_data **list, const char *oid, size_t oid_len, int tag,
		const unsigned char *val, size_t val_len);
int ca_subject_from_csr(const mbedtls_x509_csr *csr, mbedtls_asn1_named_data **subject);
/* A copy of a parsed name (a certificate's subject) to issue with. */
int ca_subject_from_name(const mbedtls_x509_name *name, mbedtls_asn1_named_data **subject);
/* The raw value of extension oid in a DER SEQUENCE OF Extension (a
 * certificate's v3_ext, a CSR's extensionRequest): 1 found, 0 absent, -1 bad. */
int ca_find_ext(const unsigned char *p, size_t len, const char *oid, size_t oid_len,
		const unsigned char **val, size_t *val_len);
/* A CSR's requested extensions (PKCS#9 extensionRequest): *p..len, or len 0. */
int ca_csr_extensions(const mbedtls_x509_csr *csr, const unsigned char **p, size_t *len);
/* A new P-256 key (EST serverkeygen) and its PKCS#8 PrivateKeyInfo DER (heap). */
int ca_gen_key(mbedtls_pk_context *pk, mbedtls_ctr_drbg_context *drbg);
int ca_pkcs8(mbedtls_pk_context *pk, unsigned char **der, size_t *len);
/* Certify pk as subject (taken over) for days (0: no expiry; < 0: already
 * expired, for --fault expired); DER in *der (heap). */
int ca_issue(struct ca *ca, mbedtls_pk_context *pk, mbedtls_asn1_named_data *subject,
	     int days, const unsigned char *san, size_t san_len, mbedtls_ctr_drbg_context *drbg,
	     unsigned char **der, size_t *len, char *msg, size_t cap);
/* cert: one DER certificate or several back to back (RFC 7030 4.1.3 /cacerts). */
int ca_pkcs7_certs_only(const unsigned char *cert, size_t cert_len, unsigned char **out,
			size_t *out_len);

/* --- api.c: routes and fault switches --------------------------------- */
struct faults {
	int fail_first;		/* answer 503 to the first N POSTs */
	int retry_after;	/* with them, Retry-After: N seconds (0: none) */
	int late_issue;		/* the first issue: done and recorded, answered after N ms */
	int delay_ms;		/* sleep before each answer */
	int malformed;		/* 200 with a body that is not JSON */
	int status;		/* always answer this status (0: off) */
	int close;		/* close the connection without answering */
	char drop_oid[32];	/* issue without this subject attribute (a template's) */
	/* a bad certificate issued (bad_issue.c) */
	int rogue_ca, rename_serial, expired, other_key, revoke_issued, serial_hex;
	int est_pending;	/* the first N EST (re)enrolments: 202 + Retry-After */
	int unique_subject;	/* v2 issue: 409 when the serialNumber already has a
				   Good certificate for another key */
};

#define TOKENS_MAX 256
struct token {
	char value[65];
	char client_fp[65];	/* bound to the client certificate it was issued to */
	time_t expires;
};

/* Shared by every connection's thread; api_handle() holds lock. */
struct sim {
	pthread_mutex_t lock;
	const char *api_key;	/* v1; NULL: v1 refused */
	mbedtls_x509_crt *trust;
	struct registry reg;
	struct faults faults;
	int posts_seen;
	/* v2 and EST */
	struct ca ca;
	const char *org;	/* the one organization served */
	int token_ttl;		/* seconds */
	struct token tokens[TOKENS_MAX];
	size_t n_tokens;
	mbedtls_ctr_drbg_context *drbg;
	const char *answer_ctype; /* set by a handler; NULL: application/json */
	int answer_retry_after;	/* set by a handler: Retry-After seconds (0: none) */
	int answer_late_ms;	/* set by a handler: sleep this long, unlocked, first */
	long template_id;	/* the one certificate template served (INeS: an integer) */
	int issues_seen;
	int est_pending_seen;
	/* set by a handler for the certificate it makes: the subjectAltName
	 * extension's value (DER GeneralNames) to carry over; NULL: none */
	const unsigned char *issue_san;
	size_t issue_san_len;
};

/* --- ines.c, ines_certs.c: the INeS REST API v2 routes; est.c: RFC 7030 -- */
/* Answer a /v2/ request (status and body). */
void ines_handle(struct sim *s, const struct http_req *r, int *status, char **body);
/* .../certificates<rest> with an authenticated client; o is the JSON body
 * (NULL for a GET). */
char *ines_certificates(struct sim *s, const struct http_req *r, const char *rest, json_t *o,
			int *status);
/* The certificate object of r, 200 (404 when r is NULL). */
char *ines_one(const struct sim *s, const struct reg_rec *r, int *status);
/* NULL when every key of o is one of allowed (NULL-terminated), else a 400. */
char *ines_keys_only(json_t *o, const char *const *allowed, int *status);
/* POST .../certificates/{id}/renew (rekey 0) or /rekey (1); r NULL: unknown id. */
char *ines_renew(struct sim *s, struct reg_rec *r, int rekey, json_t *o, int *status);
/* --fault late-issue: after the first certificate made, answer late. */
void ines_late(struct sim *s);
/* GET /v2/organizations/{org}/certificationauthorities<rest>. */
char *ines_cas(struct sim *s, const char *rest, int *status);
/* Answer a /.well-known/est/ request. */
void est_handle(struct sim *s, const struct http_req *r, int *status, char **body);
/* Import the certificates of a PEM file as issued through this organization. */
int ines_import(struct sim *s, const char *path, char *msg, size_t cap);
/* shared helpers */
char *fail_with(int *status, int code, const char *error, const char *msg);
char *b64_of(const unsigned char *der, size_t len);
/* n bytes as hex into out[2n+1], upper- or lower-case. */
void hex_of(const unsigned char *p, size_t n, char *out, int upper);
unsigned char *unb64(const char *s, size_t len, size_t *out_len);
char *der_pem(const unsigned char *der, size_t len);
/* Certify csr_der for subject (NULL: the CSR's); record it as issued. */
char *ca_issue_record(struct sim *s, const unsigned char *csr_der, size_t csr_len,
		      mbedtls_asn1_named_data *subject, const char *serial, int days, int *status,
		      struct reg_rec **rec, unsigned char **der, size_t *der_len);
/* Certify pk (a public key: from a CSR, or a certificate being renewed)
 * for subject (taken over); record it as issued. */
char *ca_certify_record(struct sim *s, mbedtls_pk_context *pk, mbedtls_asn1_named_data *subject,
			const char *serial, int days, int *status, struct reg_rec **rec,
			unsigned char **der, size_t *der_len);
/* The subject's serialNumber (2.5.4.5) of a CSR, "" when it has none. */
const char *csr_serial(const mbedtls_x509_csr *csr, char *buf, size_t cap);
char *json_body(json_t *o);
char *error_body(const char *error, const char *message);

int faults_parse(struct faults *f, const char *spec);

/* --- bad_issue.c: the faults that issue a bad certificate ----------------- */
struct bad_issue {
	struct ca ca;			/* the CA to sign with (rogue-ca: another key) */
	mbedtls_pk_context rogue, other;
	int expired;			/* issue it already expired */
	int verify;			/* it should verify to the CA: check it does */
};
/* Set the switch named name ("rogue-ca", ...): false when there is none. */
bool bad_fault(struct faults *f, const char *name);
/* Apply the faults to subject (rename-serial) and make their keys. */
int bad_issue_prepare(struct sim *s, mbedtls_asn1_named_data *subject, struct bad_issue *b,
		      char *msg, size_t cap);
/* The key to certify: other-key's, or the CSR's. */
mbedtls_pk_context *bad_issue_key(struct bad_issue *b, mbedtls_pk_context *csr_key);
void bad_issue_free(struct bad_issue *b);
/* serial-hex: out becomes the serial in decimal digits (else untouched). */
void bad_serial_number(const struct faults *f, const mbedtls_x509_crt *crt, char *out,
		       size_t cap);

/*
 * Answer one request: *status, a malloc'd *body and its *ctype (NULL:
 * application/json), or *status = 0 to close the connection without an
 * answer.  Thread-safe: takes s->lock, but sleeps (--fault delay-ms) outside it.
 */
void api_handle(struct sim *s, const struct http_req *r, int *status, char **body,
		const char **ctype, int *retry_after);

#endif
