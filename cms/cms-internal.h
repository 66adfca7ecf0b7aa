/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the CMS client only: one HTTPS exchange (cms.c), the bounded retry
 * loop every protocol shares, and small helpers (base64, PEM, messages).
 */
#ifndef ST_STATION_CMS_INT_H
#define ST_STATION_CMS_INT_H

#include <stddef.h>

#include "cms/cms.h"

struct cms_call {
	const char *method;	/* "POST", "GET" */
	const char *path;	/* appended to cms.url: "/v2/auth" */
	const char *ctype;	/* request Content-Type; NULL without a body */
	const char *accept;
	const char *body;
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
};

/*
 * One exchange, no retry.  ST_OK when an HTTP answer came (whatever its
 * status, in resp->status); otherwise the transport error, translated, with
 * *retry saying whether another attempt may help.  Free resp with
 * cms_resp_free.
 */
int cms_http(const struct cms_config *c, const struct cms_call *k, struct cms_resp *resp,
	     int *retry, struct st_error *e);
void cms_resp_free(struct cms_resp *r);

/* One attempt of an operation: ST_OK, or an error with *retry set when
 * another attempt may help (transport errors, 5xx). */
typedef int (*cms_op_fn)(const struct cms_config *c, void *ctx, int *retry,
			 struct st_error *e);
/* Up to cms.attempts attempts with doubling backoff; *attempts counts them. */
int cms_retry(const struct cms_config *c, const char *what, cms_op_fn op, void *ctx,
	      int *attempts, struct st_error *e);

/* An operation's answer parser: called for HTTP 200, 201 and 202. */
typedef int (*cms_parse_fn)(const struct cms_resp *r, void *out, struct st_error *e);
struct cms_op {
	struct cms_call call;
	int v2;			/* with the v2 bearer token (cms_v2_call) */
	cms_parse_fn parse;
	void *out;
	int *http_status;	/* the last answer's status, 0 without one */
};
/* A cms_op_fn for cms_retry, ctx a struct cms_op: call, refuse other
 * statuses (5xx retried), parse. */
int cms_op_attempt(const struct cms_config *c, void *ctx, int *retry, struct st_error *e);

/* cms.url is https:// (unless insecure) and fits; the mTLS files for v2/est. */
int cms_check_config(const struct cms_config *c, struct st_error *e);

/* A non-2xx answer as an operator message (ST_ERR_HTTP); body's "message"
 * quoted when it has one.  5xx sets *retry. */
int cms_refusal(const struct cms_config *c, const struct cms_resp *r, int *retry,
		struct st_error *e);
/* Copy a server-supplied message for an operator: printable, bounded. */
void cms_clean_text(char *dst, size_t cap, const char *src);

/* base64 of der (heap, NUL-terminated); NULL when out of memory. */
char *cms_b64(const unsigned char *der, size_t len);
/* Decode base64 (whitespace allowed) into a heap buffer. */
int cms_unb64(const char *s, size_t len, unsigned char **der, size_t *der_len,
	      struct st_error *e);
/* One certificate DER -> PEM (heap). */
int cms_der_to_pem(const unsigned char *der, size_t len, char **pem, struct st_error *e);
/* Lower-case hex of SHA-256(der) into out[65]. */
void cms_sha256_hex(const unsigned char *der, size_t len, char out[65]);
/* Does the certificate (PEM) certify the CSR's (PEM) public key? */
int cms_cert_matches_csr(const char *cert_pem, const char *csr_pem, struct st_error *e);

/* The protocols behind cms_register / cms_enroll. */
int cms_v2_register(const struct cms_config *c, const struct cms_request *r,
		    struct cms_result *res, struct st_error *e);
int cms_est_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
		   struct cms_enroll_result *res, struct st_error *e);

/* v2 helpers shared by registration and enrolment (cms_v2.c). */
struct json_t;
/* A JSON object body (bounded), or ST_ERR_PARSE / ST_ERR_LIMIT. */
int cms_json_object(const char *body, size_t len, int http_status, struct json_t **out,
		    struct st_error *e);
/* A printable string member of at most cap-1 characters into dst. */
int cms_json_str(struct json_t *o, const char *key, char *dst, size_t cap, int required,
		 struct st_error *e);
/* "/v2/organizations/{org}/<tail>" (cms.org checked). */
int cms_v2_path(const struct cms_config *c, const char *tail, char *out, size_t cap,
		struct st_error *e);
/* One call with the bearer token (fetched or cached) and the client certificate. */
int cms_v2_call(const struct cms_config *c, struct cms_call *k, struct cms_resp *resp,
		int *retry, struct st_error *e);

/* Drop the cached v2 token (tests; and after a 401 on a cached token). */
void cms_v2_forget_token(void);

#endif
