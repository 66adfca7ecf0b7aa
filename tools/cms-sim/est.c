// SPDX-License-Identifier: Apache-2.0
/*
 * RFC 7030 EST at /.well-known/est/ (the routes the seed demo's
 * wisekey_Ines_settings.h names: cacerts, simpleenroll, simplereenroll,
 * serverkeygen), behind mTLS: a client certificate from --client-ca, no
 * token.
 *
 *   GET  cacerts         4.1: no body -> 200 application/pkcs7-mime, a
 *                        certs-only PKCS#7 (base64) holding the issuing CA
 *                        and the root that issued it (4.1.3: the current root
 *                        MUST be included).  No client certificate needed.
 *   POST simpleenroll    4.2.1: Content-Type application/pkcs10, the CSR as
 *                        base64 DER -> 200 application/pkcs7-mime;
 *                        smime-type=certs-only (4.2.3), the CSR's subject
 *                        and subjectAltName (when it asks one).
 *   POST simplereenroll  4.2.2: the same, for a client that holds a
 *                        certificate: the CSR's Subject AND subjectAltName
 *                        MUST be identical to the certificate being renewed,
 *                        else 400.  Which certificate that is: the TLS client
 *                        certificate when this CMS issued it (the device
 *                        renews itself, 3.3.2); otherwise (a registration
 *                        authority such as the station, presenting its own)
 *                        the newest unrevoked certificate issued for the CSR's
 *                        serialNumber.  None: 400.  (The RA rule is our
 *                        reading; RFC 7030 leaves it to the server.)
 *   POST serverkeygen    4.4: a CSR for the subject -> 200 multipart/mixed:
 *                        the new private key (application/pkcs8, 4.4.2) and
 *                        its certificate (application/pkcs7-mime), base64.
 *
 * With --fault est-pending=N the first N (re)enrolments answer 202 Accepted
 * with Retry-After (4.2.3: MUST be included; the seconds of --fault
 * retry-after=, else 1): the request is queued, the client asks again.
 * Strict as a real server is: another method on a route is 405, a body on
 * a GET 400, an enrolment without Content-Type application/pkcs10 415.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/oid.h>
#include <mbedtls/platform_util.h>

#include "tools/cms-sim/cms-sim.h"

#define EST_PREFIX "/.well-known/est/"
#define EST_DAYS 3650
#define BOUNDARY "cms-sim-est-boundary"

static char *certs_only(const unsigned char *der, size_t len, int *status)
{
	unsigned char *p7 = NULL;
	size_t p7_len = 0;
	char *out;

	if (ca_pkcs7_certs_only(der, len, &p7, &p7_len) < 0)
		return fail_with(status, 500, "internal", "cannot write the PKCS#7 answer");
	out = b64_of(p7, p7_len);
	free(p7);
	*status = 200;
	return out;
}

static char *cacerts(struct sim *s, int *status)
{
	const mbedtls_x509_crt *ca = &s->ca.crt;
	unsigned char *both;
	size_t n = ca->raw.len;
	char *out;

	both = malloc(ca->raw.len + 8192);
	if (!both)
		return fail_with(status, 500, "internal", "out of memory");
	memcpy(both, ca->raw.p, ca->raw.len);
	for (const mbedtls_x509_crt *t = s->trust; t && t->raw.len; t = t->next)
		if (t->subject_raw.len == ca->issuer_raw.len && t->raw.len <= 8192 &&
		    !memcmp(t->subject_raw.p, ca->issuer_raw.p, ca->issuer_raw.len)) {
			memcpy(both + n, t->raw.p, t->raw.len);
			n += t->raw.len;
			break;
		}
	out = certs_only(both, n, status);
	free(both);
	s->answer_ctype = "application/pkcs7-mime";
	return out;
}

/* The certificate a re-enrolment renews (see the top of the file). */
static struct reg_rec *current_of(struct sim *s, const struct http_req *r, const char *serial)
{
	struct reg_rec *rec = reg_issued_by_fingerprint(&s->reg, r->client_fp);

	if (rec)
		return rec;
	for (size_t i = s->reg.n; serial[0] && i-- > 0;) {
		rec = &s->reg.recs[i];
		if (rec->kind && !strcmp(rec->kind, "issued") && rec->serial &&
		    !strcmp(rec->serial, serial) && !(rec->revoked_at && rec->revoked_at[0]))
			return rec;
	}
	return NULL;
}

static int san_of(const unsigned char *ext, size_t len, const unsigned char **v, size_t *vlen)
{
	*vlen = 0;
	return ca_find_ext(ext, len, MBEDTLS_OID_SUBJECT_ALT_NAME,
			   MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), v, vlen);
}

/* RFC 7030 4.2.2: Subject and subjectAltName as in the current certificate. */
static char *same_names(struct sim *s, const struct http_req *r, const mbedtls_x509_csr *csr,
			int *status)
{
	const unsigned char *cext = NULL, *a = NULL, *b = NULL;
	size_t clen = 0, alen = 0, blen = 0;
	char sn[65], dn_cert[512], dn_csr[512], msg[1200];
	struct reg_rec *cur = current_of(s, r, csr_serial(csr, sn, sizeof(sn)));
	mbedtls_x509_crt crt;
	int sa, sb;
	char *out = NULL;

	if (!cur)
		return fail_with(status, 400, "bad-request", "simplereenroll: no current certificate "
				 "for this client or serialNumber: use simpleenroll");
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)cur->cert_pem,
				   strlen(cur->cert_pem) + 1) != 0) {
		mbedtls_x509_crt_free(&crt);
		return fail_with(status, 500, "internal", "cannot read the current certificate");
	}
	mbedtls_x509_dn_gets(dn_cert, sizeof(dn_cert), &crt.subject);
	mbedtls_x509_dn_gets(dn_csr, sizeof(dn_csr), &csr->subject);
	sa = san_of(crt.v3_ext.p, crt.v3_ext.len, &a, &alen);
	sb = ca_csr_extensions(csr, &cext, &clen) < 0 ? -1 : san_of(cext, clen, &b, &blen);
	if (strcmp(dn_cert, dn_csr) != 0) {
		snprintf(msg, sizeof(msg), "simplereenroll: the CSR's Subject '%.400s' is not the "
			 "current certificate's '%.400s' (RFC 7030 4.2.2)", dn_csr, dn_cert);
		out = fail_with(status, 400, "bad-request", msg);
	} else if (sa < 0 || sb < 0) {
		out = fail_with(status, 400, "bad-request", "simplereenroll: malformed extensions");
	} else if (alen && blen && (alen != blen || memcmp(a, b, alen) != 0)) {
		out = fail_with(status, 400, "bad-request", "simplereenroll: the CSR's "
				"subjectAltName differs from the current certificate's (RFC 7030 4.2.2)");
	} else if (alen != blen) {
		snprintf(msg, sizeof(msg), "simplereenroll: the CSR's subjectAltName (%s) is not "
			 "the current certificate's (%s) (RFC 7030 4.2.2)",
			 blen ? "present" : "none", alen ? "present" : "none");
		out = fail_with(status, 400, "bad-request", msg);
	}
	mbedtls_x509_crt_free(&crt);
	return out;
}

static char *serverkeygen(struct sim *s, const mbedtls_x509_csr *csr, int *status)
{
	mbedtls_asn1_named_data *subject = NULL;
	mbedtls_pk_context pk;
	struct reg_rec *rec;
	unsigned char *der = NULL, *key = NULL, *p7 = NULL;
	size_t der_len = 0, key_len = 0, p7_len = 0;
	char sn[65], *out = NULL, *kb = NULL, *cb = NULL;
	size_t cap;

	mbedtls_pk_init(&pk);
	if (ca_gen_key(&pk, s->drbg) < 0 || ca_pkcs8(&pk, &key, &key_len) < 0) {
		out = fail_with(status, 500, "internal", "cannot generate the key");
		goto done;
	}
	ca_subject_from_csr(csr, &subject);
	out = ca_certify_record(s, &pk, subject, csr_serial(csr, sn, sizeof(sn)), EST_DAYS, status,
				&rec, &der, &der_len);
	if (out)
		goto done;
	if (ca_pkcs7_certs_only(der, der_len, &p7, &p7_len) < 0 ||
	    !(kb = b64_of(key, key_len)) || !(cb = b64_of(p7, p7_len))) {
		out = fail_with(status, 500, "internal", "cannot write the answer");
		goto done;
	}
	cap = strlen(kb) + strlen(cb) + 512;
	out = malloc(cap);
	if (out)
		snprintf(out, cap, "--" BOUNDARY "\r\nContent-Type: application/pkcs8\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--" BOUNDARY "\r\n"
			 "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--" BOUNDARY "--\r\n",
			 kb, cb);
	*status = 200;
	s->answer_ctype = "multipart/mixed; boundary=" BOUNDARY;
done:
	if (key)
		mbedtls_platform_zeroize(key, key_len);
	if (kb)
		mbedtls_platform_zeroize(kb, strlen(kb));
	free(key);
	free(kb);
	free(cb);
	free(p7);
	free(der);
	mbedtls_pk_free(&pk);
	return out;
}

/* simpleenroll, simplereenroll (reenroll 1), serverkeygen (2). */
static char *enroll(struct sim *s, const struct http_req *r, int kind, int *status)
{
	struct reg_rec *rec;
	unsigned char *csr_der, *der = NULL;
	size_t csr_len = 0, der_len = 0;
	mbedtls_x509_csr csr;
	const unsigned char *cext = NULL;
	size_t clen = 0;
	char msg[256], *out = NULL;

	if (!r->client_ok)
		return fail_with(status, 401, "unauthorized", "a client certificate issued by the "
				 "station client CA is required");
	if (strncasecmp(r->ctype, "application/pkcs10", 18) != 0)
		return fail_with(status, 415, "unsupported-media-type",
				 "send Content-Type application/pkcs10 (RFC 7030 4.2.1)");
	csr_der = r->body ? unb64(r->body, r->body_len, &csr_len) : NULL;
	if (!csr_der)
		return fail_with(status, 400, "bad-request", "the body is not a base64 CSR");
	mbedtls_x509_csr_init(&csr);
	if (ca_parse_csr(&csr, csr_der, csr_len, msg, sizeof(msg)) < 0)
		out = fail_with(status, 400, "bad-request", msg);
	else if (kind == 1)
		out = same_names(s, r, &csr, status);
	if (!out && kind != 2 && s->faults.est_pending > s->est_pending_seen) {
		s->est_pending_seen++;
		s->answer_retry_after = s->faults.retry_after > 0 ? s->faults.retry_after : 1;
		*status = 202;
		out = error_body("accepted", "queued for approval: ask again after Retry-After "
				 "(RFC 7030 4.2.3)");
	} else if (!out && kind == 2) {
		out = serverkeygen(s, &csr, status);
	} else if (!out) {
		/* the CSR's subjectAltName, if it asks one, goes into the certificate */
		if (ca_csr_extensions(&csr, &cext, &clen) == 0)
			san_of(cext, clen, &s->issue_san, &s->issue_san_len);
		out = ca_issue_record(s, csr_der, csr_len, NULL, NULL, EST_DAYS, status, &rec, &der,
				      &der_len);
		if (!out) {
			out = certs_only(der, der_len, status);
			s->answer_ctype = "application/pkcs7-mime; smime-type=certs-only";
		}
	}
	mbedtls_x509_csr_free(&csr);
	free(csr_der);
	free(der);
	return out;
}

void est_handle(struct sim *s, const struct http_req *r, int *status, char **body)
{
	static const char *const posts[] = { "simpleenroll", "simplereenroll", "serverkeygen" };
	const char *route = r->path + strlen(EST_PREFIX);
	int get = !strcmp(r->method, "GET");

	if (!s->ca.loaded) {
		*body = fail_with(status, 501, "not-implemented", "this cms-sim has no --ca-cert");
		return;
	}
	if (get && r->body_len > 0) {
		*body = fail_with(status, 400, "bad-request", "a GET carries no body");
		return;
	}
	if (!strcmp(route, "cacerts")) {
		*body = get ? cacerts(s, status) : fail_with(status, 405, "method-not-allowed",
							    "cacerts: GET (RFC 7030 4.1.2)");
		return;
	}
	for (int i = 0; i < 3; i++)
		if (!strcmp(route, posts[i])) {
			*body = !strcmp(r->method, "POST") ? enroll(s, r, i, status) :
				fail_with(status, 405, "method-not-allowed", "POST (RFC 7030 4.2, 4.4)");
			return;
		}
	*body = fail_with(status, 404, "not-found", "EST serves cacerts, simpleenroll, "
			  "simplereenroll, serverkeygen");
}
