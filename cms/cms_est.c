// SPDX-License-Identifier: Apache-2.0
/*
 * RFC 7030 EST over the same mTLS as v2 (the client certificate is the
 * station's authentication; no token):
 *   GET  /.well-known/est/cacerts (4.1): the CA certificates, certs-only
 *   POST /.well-known/est/simpleenroll (4.2.1), or simplereenroll (4.2.2) to
 *        renew a certificate (the same Subject and subjectAltName):
 *        Content-Type: application/pkcs10, body: the CSR, base64 DER
 *   200  application/pkcs7-mime; smime-type=certs-only, body: base64 DER of a
 *        degenerate SignedData (RFC 7030 4.2.3, RFC 5652 5.1) whose
 *        certificates hold the issued one
 *   202  queued for approval (4.2.3): asked again after its Retry-After (the
 *        station's backoff when it has none), within the step's deadline
 * mbedTLS 2.28 has no PKCS#7 parser, so the SignedData is walked with asn1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/asn1.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#define LOG_PREFIX "cms"
#include "common/hex.h"
#include "common/log.h"
#include "cms/cms-internal.h"

#define EST_PATH "/.well-known/est/simpleenroll"
#define EST_RE_PATH "/.well-known/est/simplereenroll"
#define EST_CACERTS "/.well-known/est/cacerts"

/* 1.2.840.113549.1.7.2 id-signedData */
static const unsigned char oid_signed_data[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};

static int bad(struct st_error *e, const char *what)
{
	return st_fail(e, ST_ERR_PARSE, "the EST answer is not a certs-only PKCS#7: %s", what);
}

/* ContentInfo -> SignedData -> [0] certificates: *p .. *end span them. */
static int find_certs(unsigned char **p, unsigned char **end, struct st_error *e)
{
	size_t len;
	int ver;

	if (mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return bad(e, "no ContentInfo");
	*end = *p + len;
	if (mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_OID) ||
	    len != sizeof(oid_signed_data) || memcmp(*p, oid_signed_data, len) != 0)
		return bad(e, "content type is not signedData");
	*p += len;
	if (mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC |
				 MBEDTLS_ASN1_CONSTRUCTED | 0) ||
	    mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return bad(e, "no SignedData");
	*end = *p + len;
	if (mbedtls_asn1_get_int(p, *end, &ver))
		return bad(e, "no SignedData version");
	/* digestAlgorithms SET, encapContentInfo SEQUENCE: skipped */
	if (mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET))
		return bad(e, "no digestAlgorithms");
	*p += len;
	if (mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return bad(e, "no encapContentInfo");
	*p += len;
	if (mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC |
				 MBEDTLS_ASN1_CONSTRUCTED | 0))
		return bad(e, "no certificates");
	*end = *p + len;
	return ST_OK;
}

/* One more certificate at the end of the PEM text *pem (heap). */
static int append_pem(const mbedtls_x509_crt *c, char **pem, struct st_error *e)
{
	char *one = NULL, *both;
	size_t a = *pem ? strlen(*pem) : 0;
	int ret = cms_der_to_pem(c->raw.p, c->raw.len, &one, e);

	if (ret < 0)
		return ret;
	both = realloc(*pem, a + strlen(one) + 1);
	if (!both) {
		free(one);
		return st_fail(e, ST_ERR_NOMEM, "out of memory reading the EST answer");
	}
	memcpy(both + a, one, strlen(one) + 1);
	free(one);
	*pem = both;
	return ST_OK;
}

/* all: every certificate, as one PEM text (cacerts); else the first end-entity one. */
static int parse_pkcs7(const char *body, size_t len, bool all, char **cert_pem,
		       struct st_error *e)
{
	unsigned char *der = NULL, *p, *end, *c0;
	mbedtls_x509_crt crts, *leaf = NULL;
	size_t dlen, clen;
	int ret;

	*cert_pem = NULL;
	mbedtls_x509_crt_init(&crts);
	if (len > CMS_RESPONSE_MAX)
		return st_fail(e, ST_ERR_LIMIT, "EST answer of %zu bytes exceeds the %d byte limit",
			       len, CMS_RESPONSE_MAX);
	ret = cms_unb64(body, len, &der, &dlen, e);
	if (ret < 0)
		return ret;
	p = der;
	end = der + dlen;
	ret = find_certs(&p, &end, e);
	while (ret == ST_OK && p < end) {
		c0 = p;
		if (mbedtls_asn1_get_tag(&p, end, &clen, MBEDTLS_ASN1_CONSTRUCTED |
					 MBEDTLS_ASN1_SEQUENCE)) {
			ret = bad(e, "a certificate is not a SEQUENCE");
			break;
		}
		p += clen;
		if (mbedtls_x509_crt_parse_der(&crts, c0, (size_t)(p - c0)) != 0)
			ret = bad(e, "a certificate does not parse");
	}
	for (mbedtls_x509_crt *c = &crts; ret == ST_OK && all && c && c->raw.len; c = c->next)
		ret = append_pem(c, cert_pem, e);
	if (ret == ST_OK && all && !*cert_pem)
		ret = bad(e, "it holds no certificate");
	for (mbedtls_x509_crt *c = &crts; ret == ST_OK && !all && c && c->raw.len; c = c->next)
		if (!leaf && !c->ca_istrue)
			leaf = c;
	if (ret == ST_OK && !all && !leaf)
		ret = bad(e, "it holds no end-entity certificate");
	if (ret == ST_OK && !all)
		ret = cms_der_to_pem(leaf->raw.p, leaf->raw.len, cert_pem, e);
	if (ret < 0) {
		free(*cert_pem);
		*cert_pem = NULL;
	}
	mbedtls_x509_crt_free(&crts);
	free(der);
	return ret;
}

int cms_est_parse_pkcs7(const char *body, size_t len, char **cert_pem, struct st_error *e)
{
	return parse_pkcs7(body, len, false, cert_pem, e);
}

static int parse_est(const struct cms_resp *r, void *out, struct st_error *e)
{
	struct cms_enroll_result *res = out;

	if (strncasecmp(r->ctype, "application/pkcs7-mime", 22) != 0)
		return st_fail(e, ST_ERR_PARSE, "the EST server answered Content-Type '%.60s', not "
			       "application/pkcs7-mime", r->ctype);
	return cms_est_parse_pkcs7(r->data, r->len, &res->cert_pem, e);
}

/* RFC 7030 4.2.3: 202 means queued; ask again after its Retry-After (the
 * loop's backoff without one).  Anything else as every operation. */
static int est_attempt(const struct cms_config *c, void *ctx, struct cms_try *t,
		       struct st_error *e)
{
	struct cms_op *op = ctx;
	struct cms_resp resp = { 0 };
	int ret;

	ret = cms_http(c, &op->call, &resp, t, e);
	*op->http_status = resp.status;
	if (ret == ST_OK && resp.status == 202) {
		t->retry = 1;
		t->after_ms = resp.retry_after_ms;
		ret = st_fail(e, ST_ERR_HTTP, "the EST server queued the request (HTTP 202)%s",
			      resp.retry_after_ms >= 0 ? "" : " without a Retry-After");
	} else if (ret == ST_OK && resp.status != 200) {
		ret = cms_refusal(c, &resp, op->what, t, e);
	} else if (ret == ST_OK) {
		ret = op->parse(&resp, op->out, e);
	}
	cms_resp_free(&resp);
	return ret;
}

static int est_enroll(const struct cms_config *c, const struct cms_enroll_request *r,
		   struct cms_enroll_result *res, struct st_error *e)
{
	struct cms_op op = { .what = "enrol", .parse = parse_est, .out = res,
			     .http_status = &res->http_status };
	mbedtls_x509_csr csr;
	char *body = NULL;
	int ret;

	mbedtls_x509_csr_init(&csr);
	ret = mbedtls_x509_csr_parse(&csr, (const unsigned char *)r->csr_pem,
				     strlen(r->csr_pem) + 1);
	if (ret != 0) {
		mbedtls_x509_csr_free(&csr);
		return st_fail(e, ST_ERR_PARSE, "the CSR to enrol is not a PKCS#10 request in PEM");
	}
	body = cms_b64(csr.raw.p, csr.raw.len);
	mbedtls_x509_csr_free(&csr);
	if (!body)
		return st_fail(e, ST_ERR_NOMEM, "out of memory encoding the CSR");
	op.call = (struct cms_call){
		.method = "POST", .path = r->renew ? EST_RE_PATH : EST_PATH,
		.ctype = "application/pkcs10",
		.accept = "application/pkcs7-mime", .body = body, .body_len = strlen(body),
		.mtls = 1,
	};
	ret = cms_retry(c, r->renew ? "re-enrolling (EST)" : "enrolling (EST)", est_attempt, &op,
			&res->attempts, &res->requests, e);
	if (ret == ST_OK)
		cms_describe(res->cert_pem, res->serial_number, sizeof(res->serial_number),
			     res->thumbprint);
	free(body);
	return ret;
}

static int parse_cacerts(const struct cms_resp *r, void *out, struct st_error *e)
{
	if (strncasecmp(r->ctype, "application/pkcs7-mime", 22) != 0)
		return st_fail(e, ST_ERR_PARSE, "the EST server answered /cacerts with Content-Type "
			       "'%.60s', not application/pkcs7-mime", r->ctype);
	return parse_pkcs7(r->data, r->len, true, out, e);
}

/* RFC 7030 4.1: the CA certificates, every one, as PEM (heap). */
static int est_cacerts(const struct cms_config *c, char **pem, int *requests,
		       struct st_error *e)
{
	int status = 0, attempts = 0;
	struct cms_op op = { .what = "the CA certificates", .only_200 = 1,
			     .parse = parse_cacerts, .out = pem, .http_status = &status,
			     .call = { .method = "GET", .path = EST_CACERTS,
				       .accept = "application/pkcs7-mime", .mtls = 1 } };

	*pem = NULL;
	return cms_retry(c, "fetching the CA certificates (EST)", cms_op_attempt, &op, &attempts,
			 requests, e);
}

const struct cms_proto cms_proto_est = {
	.name = "est",
	.what = "RFC 7030 EST",
	.needs_mtls = true,
	.credentials_hint = "cms.client_cert/client_key",
	.enroll = est_enroll,
	.cacerts = est_cacerts,
};
