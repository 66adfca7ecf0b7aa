/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the CMS client only: the protocol table, one HTTPS exchange
 * (cms_http.c), the bounded retry loop every protocol shares (cms.c) and
 * small helpers (base64, PEM, messages).
 */
#ifndef ST_CMS_INT_H
#define ST_CMS_INT_H

#include <stddef.h>

#include "cms/cms.h"

/*
 * One protocol (curl's vtls pattern): what it needs and what it can do.
 * A NULL operation is one the protocol does not have; the public entry
 * points answer ST_ERR_NOTSUP for it, naming the protocol.
 */
struct cms_proto {
	const char *name;	/* cms.protocol in station.yaml */
	const char *what;	/* for messages: "SEALSQ INeS REST API v2" */
	bool needs_mtls;	/* cms.client_cert / client_key */
	bool needs_api_key;	/* cms.api_key_file */
	/* 401/403: which setting to check */
	const char *credentials_hint;
	int (*check)(const struct cms_config *c, struct st_error *e);
	int (*register_id)(const struct cms_config *c, const struct cms_request *r,
			   struct cms_result *res, struct st_error *e);
	int (*enroll)(const struct cms_config *c, const struct cms_enroll_request *r,
		      struct cms_enroll_result *res, struct st_error *e);
	int (*lookup)(const struct cms_config *c, enum cms_lookup_by by, const char *key,
		      struct cms_lookup_result *res, struct st_error *e);
	int (*status)(const struct cms_config *c, const char *cert_pem,
		      struct cms_result *res, struct st_error *e);
	int (*cacerts)(const struct cms_config *c, char **pem, int *requests,
		       struct st_error *e);
};

extern const struct cms_proto cms_proto_v1, cms_proto_v2, cms_proto_est;

/* c->proto, or v1 when none is set. */
const struct cms_proto *cms_proto_of(const struct cms_config *c);

struct cms_call {
	const char *method;	/* "POST", "GET" */
	const char *path;	/* appended to cms.url: "/v2/auth" */
	const char *ctype;	/* Content-Type header; NULL: none */
	const char *accept;	/* NULL: application/json */
	const char *body;	/* POST: NULL sends Content-Length: 0 */
	size_t body_len;
	const char *bearer;	/* "Authorization: Bearer <bearer>"; NULL: none */
	int mtls;		/* present cms.client_cert / client_key */
};

struct cms_resp {
	char *data;		/* NUL-terminated, len bytes, at most CMS_RESPONSE_MAX */
	size_t len;
	int overflow;
	int status;		/* HTTP status */
	char ctype[96];		/* response Content-Type */
	long retry_after_ms;	/* Retry-After (delta-seconds), -1: none */
};

/*
 * What one attempt tells the retry loop: whether another may help, and
 * when (a Retry-After; -1: the loop's own backoff).
 */
struct cms_try {
	int retry;
	long after_ms;
	int *requests;		/* counts HTTP requests sent; may be NULL */
};

/*
 * One exchange, no retry, within c->timeout_ms and what is left before
 * c->deadline_ms; aborted within ~50 ms when c->stopped says so.  ST_OK when
 * an HTTP answer came (whatever its status, in resp->status); otherwise the
 * transport error, translated, with t->retry saying whether another attempt
 * may help.  Free resp with cms_resp_free.
 */
int cms_http(const struct cms_config *c, const struct cms_call *k, struct cms_resp *resp,
	     struct cms_try *t, struct st_error *e);
void cms_resp_free(struct cms_resp *r);

/* One attempt of an operation: ST_OK, or an error with t->retry set when
 * another attempt may help (transport errors, 5xx). */
typedef int (*cms_op_fn)(const struct cms_config *c, void *ctx, struct cms_try *t,
			 struct st_error *e);
/* Up to cms.attempts attempts with doubling backoff (or the CMS's
 * Retry-After), never past c->deadline_ms, cut short by a stop; *attempts
 * counts them. */
int cms_retry(const struct cms_config *c, const char *what, cms_op_fn op, void *ctx,
	      int *attempts, int *requests, struct st_error *e);

/* An operation's answer parser: called for the statuses ok_status allows. */
typedef int (*cms_parse_fn)(const struct cms_resp *r, void *out, struct st_error *e);
struct cms_op {
	struct cms_call call;
	int v2;			/* with the v2 bearer token (cms_v2_call) */
	const char *what;	/* "register", "enrol", "look up": for 409/404 */
	int only_200;		/* INeS: 200 is success, nothing else */
	int not_found_ok;	/* 404 is an answer: parse gets it */
	cms_parse_fn parse;
	void *out;
	int *http_status;	/* the last answer's status, 0 without one */
};
/* A cms_op_fn for cms_retry, ctx a struct cms_op: call, refuse other
 * statuses (5xx retried), parse. */
int cms_op_attempt(const struct cms_config *c, void *ctx, struct cms_try *t,
		   struct st_error *e);

/* cms.url is https:// (unless insecure) and fits; the protocol's files. */
int cms_check_config(const struct cms_config *c, struct st_error *e);
/* Milliseconds left before c->deadline_ms (INT32_MAX without one). */
long cms_left_ms(const struct cms_config *c);
/* Tell the caller its time (deadline_ms) is what ended the call. */
void cms_ran_out(const struct cms_config *c);
/* True when the caller's stop flag is up. */
bool cms_stopped(const struct cms_config *c);

/* A non-2xx answer as an operator message (ST_ERR_HTTP); body's "message"
 * quoted when it has one; what names the operation.  5xx sets t->retry. */
int cms_refusal(const struct cms_config *c, const struct cms_resp *r, const char *what,
		struct cms_try *t, struct st_error *e);
/* Copy a server-supplied message for an operator: printable, bounded. */
void cms_clean_text(char *dst, size_t cap, const char *src);

/* base64 of der (heap, NUL-terminated); NULL when out of memory. */
char *cms_b64(const unsigned char *der, size_t len);
/* Decode base64 (whitespace allowed) into a heap buffer. */
int cms_unb64(const char *s, size_t len, unsigned char **der, size_t *der_len,
	      struct st_error *e);
/* One certificate DER -> PEM (heap). */
int cms_der_to_pem(const unsigned char *der, size_t len, char **pem, struct st_error *e);
/* Upper-case hex of SHA-1(der) into out[41]: INeS's thumbprint. */
void cms_sha1_hex(const unsigned char *der, size_t len, char out[41]);
/* The DER of the first certificate of a PEM text (heap). */
int cms_pem_to_der(const char *pem, unsigned char **der, size_t *len, struct st_error *e);
/* A renewal's look-up: may a certificate ending at until (ISO 8601, as the
 * CMS gives valid_until) be the one our rekey got?  Not one that ends
 * before the certificate renewed (renewed_until): that is an older one for
 * the same key.  One ending in the same second may be ours (both issued
 * within one second).  renewed_until NULL: not a renewal, any. */
bool cms_renewal_candidate(const char *until, const char *renewed_until);
/* Does the certificate (PEM) certify the CSR's (PEM) public key? */
int cms_cert_matches_csr(const char *cert_pem, const char *csr_pem, struct st_error *e);
/* Requested subject attributes ("CN=a,O=b") the certificate lacks, as
 * "O=b" text in missing (empty: none). */
int cms_subject_missing(const char *cert_pem, const char *subject, char *missing,
			size_t cap, struct st_error *e);
/* The certificate's serial (hex) and SHA-1 thumbprint, for a result. */
void cms_describe(const char *pem, char *serial, size_t serial_cap, char thumb[41]);

/* --- JSON helpers (cms_json.c) ------------------------------------------- */
struct json_t;
/* A JSON object body (bounded), or ST_ERR_PARSE / ST_ERR_LIMIT. */
int cms_json_object(const char *body, size_t len, int http_status, struct json_t **out,
		    struct st_error *e);
/* A printable string member of at most cap-1 characters into dst. */
int cms_json_str(struct json_t *o, const char *key, char *dst, size_t cap, int required,
		 struct st_error *e);
/* An opaque id: a JSON integer or string (INeS ids are integers). */
int cms_json_id(struct json_t *o, const char *key, char *dst, size_t cap, int required,
		struct st_error *e);

/* --- v2 (cms_v2.c) ------------------------------------------------------ */
/* "/v2/organizations/{org}/certificates<tail>" (cms.org checked). */
int cms_v2_path(const struct cms_config *c, const char *tail, char *out, size_t cap,
		struct st_error *e);
/* One call with the bearer token (fetched or cached) and the client certificate. */
int cms_v2_call(const struct cms_config *c, struct cms_call *k, struct cms_resp *resp,
		struct cms_try *t, struct st_error *e);
/* Drop the cached v2 token (tests; and after a 401 on a cached token). */
void cms_v2_forget_token(void);

#endif
