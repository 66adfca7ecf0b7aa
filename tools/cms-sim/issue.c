// SPDX-License-Identifier: Apache-2.0
/*
 * What the INeS routes and EST share: certify a CSR with the CMS's CA and
 * record the certificate as issued (an integer id, as INeS's), and the
 * encodings on the wire (base64 DER, PEM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>

#include "tools/cms-sim/cms-sim.h"

char *fail_with(int *status, int code, const char *error, const char *msg)
{
	*status = code;
	return error_body(error, msg);
}

void hex_of(const unsigned char *p, size_t n, char *out, int upper)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, upper ? "%02X" : "%02x", p[i]);
}

char *b64_of(const unsigned char *der, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1, olen;
	char *s = malloc(cap);

	if (s && mbedtls_base64_encode((unsigned char *)s, cap, &olen, der, len) != 0) {
		free(s);
		s = NULL;
	}
	return s;
}

/* base64 (white space allowed: EST bodies are line-wrapped) -> heap DER. */
unsigned char *unb64(const char *s, size_t len, size_t *out_len)
{
	char *clean = malloc(len + 1);
	unsigned char *der = malloc(len / 4 * 3 + 3);
	size_t n = 0;

	*out_len = 0;
	for (size_t i = 0; clean && i < len; i++)
		if (!strchr(" \t\r\n", s[i]))
			clean[n++] = s[i];
	if (!clean || !der || mbedtls_base64_decode(der, len / 4 * 3 + 3, out_len,
						    (unsigned char *)clean, n) != 0 || !*out_len) {
		free(der);
		der = NULL;
	}
	free(clean);
	return der;
}

char *der_pem(const unsigned char *der, size_t len)
{
	size_t cap = 2 * len + 100, olen;
	char *pem = malloc(cap);

	if (pem && mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
					    "-----END CERTIFICATE-----\n", der, len,
					    (unsigned char *)pem, cap, &olen) != 0) {
		free(pem);
		pem = NULL;
	}
	return pem;
}

/* The CSR subject's serialNumber (EST), "" when it has none. */
const char *csr_serial(const mbedtls_x509_csr *csr, char *buf, size_t cap)
{
	const mbedtls_x509_name *n;

	buf[0] = '\0';
	for (n = &csr->subject; n; n = n->next)
		if (n->oid.len == MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_SERIAL_NUMBER) &&
		    !memcmp(n->oid.p, MBEDTLS_OID_AT_SERIAL_NUMBER, n->oid.len))
			snprintf(buf, cap, "%.*s", (int)n->val.len, (const char *)n->val.p);
	return buf;
}

char *ca_certify_record(struct sim *s, mbedtls_pk_context *pk, mbedtls_asn1_named_data *subject,
			const char *serial, int days, int *status, struct reg_rec **rec,
			unsigned char **der, size_t *der_len)
{
	struct reg_rec nr = { 0 };
	const struct reg_rec *added = NULL;
	struct bad_issue bad = { 0 };
	struct leaf_facts f;
	mbedtls_x509_crt crt;
	char msg[512];
	char *out = NULL;

	mbedtls_x509_crt_init(&crt);
	*der = NULL;
	if (bad_issue_prepare(s, subject, &bad, msg, sizeof(msg)) < 0) {
		mbedtls_asn1_free_named_data_list(&subject);
		out = fail_with(status, 500, "internal", msg);
		goto done;
	}
	if (ca_issue(&bad.ca, bad_issue_key(&bad, pk), subject, bad.expired ? -1 : days,
		     s->issue_san, s->issue_san_len, s->drbg, der, der_len, msg, sizeof(msg)) < 0 ||
	    mbedtls_x509_crt_parse_der(&crt, *der, *der_len) != 0 ||
	    (bad.verify && verify_chain(&s->ca.crt, &crt, &f, msg, sizeof(msg)) < 0)) {
		out = fail_with(status, 500, "internal", msg);
		goto done;
	}
	leaf_facts_of(&crt, &f);
	nr.kind = strdup("issued");
	nr.serial = strdup(serial ? serial : "");
	nr.chip_serial = strdup("");
	nr.cert_serial = strdup(f.cert_serial);
	nr.fingerprint = strdup(f.fingerprint);
	nr.cert_pem = der_pem(*der, *der_len);
	if (reg_add(&s->reg, &nr, &added) < 0 ||
	    (s->faults.revoke_issued && reg_revoke(&s->reg, (struct reg_rec *)added,
						   "keyCompromise") < 0))
		out = fail_with(status, 500, "internal", "cannot record the certificate");
	*rec = (struct reg_rec *)added;
done:
	bad_issue_free(&bad);
	if (out) {
		free(*der);
		*der = NULL;
	}
	mbedtls_x509_crt_free(&crt);
	return out;
}

char *ca_issue_record(struct sim *s, const unsigned char *csr_der, size_t csr_len,
		      mbedtls_asn1_named_data *subject, const char *serial, int days, int *status,
		      struct reg_rec **rec, unsigned char **der, size_t *der_len)
{
	mbedtls_x509_csr csr;
	char msg[512], sn[65];
	char *out;

	mbedtls_x509_csr_init(&csr);
	*der = NULL;
	if (ca_parse_csr(&csr, csr_der, csr_len, msg, sizeof(msg)) < 0) {
		mbedtls_asn1_free_named_data_list(&subject);
		mbedtls_x509_csr_free(&csr);
		return fail_with(status, 400, "bad-request", msg);
	}
	if (!subject) {
		ca_subject_from_csr(&csr, &subject);
		serial = csr_serial(&csr, sn, sizeof(sn));
	}
	out = ca_certify_record(s, &csr.pk, subject, serial, days, status, rec, der, der_len);
	mbedtls_x509_csr_free(&csr);
	return out;
}
