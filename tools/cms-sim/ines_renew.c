// SPDX-License-Identifier: Apache-2.0
/*
 * INeS v2 renew and rekey, as the seed's demo client sends them
 * (apiREST_renewCertificate in wisekey_Ines_Agent.c, NCCoE.factory.pub;
 * the routes IOT_API_REST_CERTIFICATE_RENEW/_REKEY in wisekey_Ines_settings.h):
 *
 *   POST /v2/organizations/{org}/certificates/{id}/renew
 *        {"revoke_original_certificate": bool}
 *   POST /v2/organizations/{org}/certificates/{id}/rekey
 *        {"csr": "<base64 DER, no PEM armour>", "revoke_original_certificate": bool}
 *   -> 200 the certificate object (as an issue answers it)
 *
 * renew certifies the original's own key again; rekey the CSR's key (its
 * signature checked: proof of possession).  Both keep the original's subject,
 * validity period and subjectAltName, whatever the CSR asks.  The demo shows the requests
 * only; these answers are our reading of them (docs/cms.md): an unknown id
 * is 404, a revoked original 409 (a revoked certificate is not renewed, it
 * is replaced by a new issue), a missing or non-boolean
 * revoke_original_certificate 400 (the demo always sends it).  With
 * revoke_original_certificate true the original is revoked, reason
 * superseded, once the new one is recorded.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/oid.h>

#include "tools/cms-sim/cms-sim.h"

/* The original's validity period, in whole days (at least 1). */
static int period_days(const mbedtls_x509_crt *crt)
{
	struct tm a = { 0 }, b = { 0 };
	time_t ta, tb;

	a.tm_year = crt->valid_from.year - 1900;
	a.tm_mon = crt->valid_from.mon - 1;
	a.tm_mday = crt->valid_from.day;
	b.tm_year = crt->valid_to.year - 1900;
	b.tm_mon = crt->valid_to.mon - 1;
	b.tm_mday = crt->valid_to.day;
	ta = timegm(&a);
	tb = timegm(&b);
	return tb > ta ? (int)((tb - ta) / 86400) : 1;
}

static char *certify(struct sim *s, struct reg_rec *orig, const mbedtls_x509_crt *crt,
		     mbedtls_pk_context *pk, int revoke, int *status)
{
	mbedtls_asn1_named_data *subject = NULL;
	struct reg_rec *rec = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *out;

	if (ca_subject_from_name(&crt->subject, &subject) < 0) {
		mbedtls_asn1_free_named_data_list(&subject);
		return fail_with(status, 500, "internal", "out of memory");
	}
	/* the original's subjectAltName, if it has one, carries over */
	if (ca_find_ext(crt->v3_ext.p, crt->v3_ext.len, MBEDTLS_OID_SUBJECT_ALT_NAME,
			MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), &s->issue_san,
			&s->issue_san_len) != 1)
		s->issue_san = NULL;
	out = ca_certify_record(s, pk, subject, orig->serial, period_days(crt), status, &rec,
				&der, &der_len);
	free(der);
	if (out)
		return out;
	if (revoke && reg_revoke(&s->reg, orig, "superseded") < 0)
		return fail_with(status, 500, "internal", "cannot record the revocation");
	ines_late(s);
	return ines_one(s, rec, status);
}

char *ines_renew(struct sim *s, struct reg_rec *r, int rekey, json_t *o, int *status)
{
	static const char *const renew_keys[] = { "revoke_original_certificate", NULL };
	static const char *const rekey_keys[] = { "csr", "revoke_original_certificate", NULL };
	json_t *rev = json_object_get(o, "revoke_original_certificate");
	const char *csr_b64 = json_string_value(json_object_get(o, "csr"));
	char *out = ines_keys_only(o, rekey ? rekey_keys : renew_keys, status), msg[256];
	unsigned char *csr_der = NULL;
	mbedtls_x509_crt crt;
	mbedtls_x509_csr csr;
	size_t csr_len = 0;

	if (out)
		return out;
	if (!json_is_boolean(rev))
		return fail_with(status, 400, "bad-request", "revoke_original_certificate must be "
				 "a boolean");
	if (rekey && !csr_b64)
		return fail_with(status, 400, "bad-request", "rekey needs \"csr\": base64 DER");
	if (!r)
		return ines_one(s, NULL, status);
	if (r->revoked_at && r->revoked_at[0])
		return fail_with(status, 409, "conflict", "the certificate is revoked: a revoked "
				 "certificate is not renewed; issue a new one");
	if (!s->ca.loaded)
		return fail_with(status, 501, "not-implemented", "this cms-sim has no --ca-cert");
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_csr_init(&csr);
	if (!r->cert_pem || mbedtls_x509_crt_parse(&crt, (const unsigned char *)r->cert_pem,
						   strlen(r->cert_pem) + 1) != 0) {
		out = fail_with(status, 500, "internal", "cannot read the original certificate");
	} else if (!rekey) {
		out = certify(s, r, &crt, &crt.pk, json_is_true(rev), status);
	} else if (!(csr_der = unb64(csr_b64, strlen(csr_b64), &csr_len))) {
		out = fail_with(status, 400, "bad-request", "csr is not base64 DER (no PEM armour)");
	} else if (ca_parse_csr(&csr, csr_der, csr_len, msg, sizeof(msg)) < 0) {
		out = fail_with(status, 400, "bad-request", msg);
	} else {
		out = certify(s, r, &crt, &csr.pk, json_is_true(rev), status);
	}
	free(csr_der);
	mbedtls_x509_csr_free(&csr);
	mbedtls_x509_crt_free(&crt);
	return out;
}
