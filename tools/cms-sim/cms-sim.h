/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cms-sim internals: a local Certificate Management Service over real HTTPS
 * (mbedTLS server, HTTP/1.1, one request per connection), standing in for
 * the manufacturer's CMS in the demo and the tests.
 */
#ifndef ST_TOOLS_CMS_SIM_H
#define ST_TOOLS_CMS_SIM_H

#include <stddef.h>

#include <jansson.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#define HTTP_HDR_MAX (8 * 1024)
#define HTTP_BODY_MAX (64 * 1024)
#define IO_TIMEOUT_MS 5000

/* --- http.c: one HTTP/1.1 request and its answer over a TLS session ----- */
struct http_req {
	char method[8];
	char path[256];
	char auth[512];		/* the Authorization header, verbatim */
	char *body;		/* NUL-terminated, body_len bytes; NULL when none */
	size_t body_len;
};

/*
 * Read one request.  0 on success; a positive HTTP status (400, 411, 413,
 * 431, 501, 505) when the request is refused, with msg saying why; -1 when
 * the connection failed or timed out (nothing to answer).
 */
int http_read_request(mbedtls_ssl_context *ssl, struct http_req *r, char *msg, size_t cap);
void http_req_free(struct http_req *r);
int http_write_response(mbedtls_ssl_context *ssl, int status, const char *body);

/* --- registry.c: the record of registered identities ------------------- */
struct reg_rec {
	char id[16];		/* reg-000001 */
	char *serial, *chip_serial, *cert_serial, *fingerprint;
	char *cert_pem, *chain_pem, *station, *fixture;
	char registered_at[24];	/* ISO 8601 UTC */
};

struct registry {
	struct reg_rec *recs;
	size_t n, cap;
	const char *db_path;	/* JSON lines, appended; NULL: memory only */
};

int reg_open(struct registry *g, const char *db_path);
void reg_close(struct registry *g);
const struct reg_rec *reg_by_serial(const struct registry *g, const char *serial);
const struct reg_rec *reg_by_fingerprint(const struct registry *g, const char *fp);
/* Takes ownership of the strings in rec; fills id and registered_at. */
int reg_add(struct registry *g, struct reg_rec *rec, const struct reg_rec **out);
json_t *reg_to_json(const struct reg_rec *r);

/* --- verify.c: does the presented chain lead to the manufacturer root? -- */
struct leaf_facts {
	char cert_serial[80];	/* lower-case hex, no separators */
	char fingerprint[65];	/* SHA-256 of the DER, lower-case hex */
};

/* 0 when leaf_pem (+ chain_pem) verifies to trust; else -1 and msg. */
int verify_identity(mbedtls_x509_crt *trust, const char *leaf_pem, const char *chain_pem,
		    struct leaf_facts *f, char *msg, size_t cap);

/* --- api.c: routes and fault switches --------------------------------- */
struct faults {
	int fail_first;		/* answer 503 to the first N POSTs */
	int delay_ms;		/* sleep before each answer */
	int malformed;		/* 200 with a body that is not JSON */
	int status;		/* always answer this status (0: off) */
	int close;		/* close the connection without answering */
};

struct sim {
	const char *api_key;
	mbedtls_x509_crt *trust;
	struct registry reg;
	struct faults faults;
	int posts_seen;
};

int faults_parse(struct faults *f, const char *spec);

/*
 * Answer one request: *status and a malloc'd *body, or *status = 0 to close
 * the connection without an answer.
 */
void api_handle(struct sim *s, const struct http_req *r, int *status, char **body);

#endif
