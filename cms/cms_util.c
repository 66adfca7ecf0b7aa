// SPDX-License-Identifier: Apache-2.0
/*
 * Encodings the CMS protocols put on the wire (base64 DER, PEM) and the
 * check that an issued certificate certifies the key the CSR asked for:
 * a CMS that answers with someone else's key must not reach the SE.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/error.h>
#include <mbedtls/pem.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha1.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "common/hex.h"
#include "cms/cms-internal.h"

char *cms_b64(const unsigned char *der, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1, olen = 0;
	char *s = malloc(cap);

	if (s && mbedtls_base64_encode((unsigned char *)s, cap, &olen, der, len) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

int cms_unb64(const char *s, size_t len, unsigned char **der, size_t *der_len,
	      struct st_error *e)
{
	char *clean = malloc(len + 1);
	size_t n = 0, olen = 0;
	int ret;

	*der = NULL;
	*der_len = 0;
	if (!clean)
		return st_fail(e, ST_ERR_NOMEM, "out of memory decoding base64");
	/* RFC 7030 bodies are line-wrapped: drop the white space first. */
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			clean[n++] = s[i];
	*der = malloc(n / 4 * 3 + 3);
	ret = *der ? mbedtls_base64_decode(*der, n / 4 * 3 + 3, &olen,
					   (const unsigned char *)clean, n) : -1;
	free(clean);
	if (ret != 0 || olen == 0) {
		free(*der);
		*der = NULL;
		return st_fail(e, ST_ERR_PARSE, "the CMS sent %s where base64 was expected",
			       n ? "invalid base64" : "nothing");
	}
	*der_len = olen;
	return ST_OK;
}

int cms_der_to_pem(const unsigned char *der, size_t len, char **pem, struct st_error *e)
{
	size_t cap = 4 * ((len + 2) / 3) + len / 48 + 80, olen = 0;

	*pem = malloc(cap);
	if (!*pem)
		return st_fail(e, ST_ERR_NOMEM, "out of memory writing a PEM certificate");
	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
				     der, len, (unsigned char *)*pem, cap, &olen) != 0) {
		free(*pem);
		*pem = NULL;
		return st_fail(e, ST_ERR, "cannot write a certificate of %zu bytes as PEM", len);
	}
	return ST_OK;
}

void cms_sha1_hex(const unsigned char *der, size_t len, char out[41])
{
	unsigned char h[20];

	mbedtls_sha1_ret(der, len, h);
	hex_encode(h, sizeof(h), out, 41, true);
}

int cms_pem_to_der(const char *pem, unsigned char **der, size_t *len, struct st_error *e)
{
	mbedtls_x509_crt crt;

	*der = NULL;
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1) != 0) {
		mbedtls_x509_crt_free(&crt);
		return st_fail(e, ST_ERR_PARSE, "not a PEM certificate");
	}
	*der = malloc(crt.raw.len);
	if (*der) {
		memcpy(*der, crt.raw.p, crt.raw.len);
		*len = crt.raw.len;
	}
	mbedtls_x509_crt_free(&crt);
	return *der ? ST_OK : st_fail(e, ST_ERR_NOMEM, "out of memory");
}

void cms_describe(const char *pem, char *serial, size_t serial_cap, char thumb[41])
{
	mbedtls_x509_crt crt;
	size_t i = 0;

	serial[0] = thumb[0] = '\0';
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1) == 0) {
		while (i + 1 < crt.serial.len && crt.serial.p[i] == 0)
			i++;
		hex_encode(crt.serial.p + i, crt.serial.len - i, serial, serial_cap, false);
		cms_sha1_hex(crt.raw.p, crt.raw.len, thumb);
	}
	mbedtls_x509_crt_free(&crt);
}

/* The value of the attribute short-named name ("CN", "O", ...) in dn. */
static bool dn_has(const mbedtls_x509_name *dn, const char *name, const char *value)
{
	const char *sn;

	for (; dn; dn = dn->next) {
		if (mbedtls_oid_get_attr_short_name(&dn->oid, &sn) != 0 || strcmp(sn, name) != 0)
			continue;
		if (dn->val.len == strlen(value) && !memcmp(dn->val.p, value, dn->val.len))
			return true;
	}
	return false;
}

int cms_subject_missing(const char *cert_pem, const char *subject, char *missing,
			size_t cap, struct st_error *e)
{
	char buf[512], *save = NULL, *tok, *eq;
	mbedtls_x509_crt crt;
	size_t n = 0;

	missing[0] = '\0';
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_pem, strlen(cert_pem) + 1)) {
		mbedtls_x509_crt_free(&crt);
		return st_fail(e, ST_ERR_PARSE, "the CMS-issued certificate does not parse");
	}
	snprintf(buf, sizeof(buf), "%s", subject);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = '\0';
		/* mbedTLS names serialNumber "serialNumber" as well */
		if (!dn_has(&crt.subject, tok, eq + 1) && n < cap)
			n += (size_t)snprintf(missing + n, cap - n, "%s%s=%s", n ? "," : "", tok,
					      eq + 1);
	}
	mbedtls_x509_crt_free(&crt);
	if (n >= cap && cap > 4)
		memcpy(missing + cap - 4, "...", 4);
	return ST_OK;
}

bool cms_renewal_candidate(const char *until, const char *renewed_until)
{
	return !renewed_until || strcmp(until, renewed_until) >= 0;
}

static int spki_der(mbedtls_pk_context *pk, unsigned char *buf, size_t cap,
		    const unsigned char **p)
{
	int n = mbedtls_pk_write_pubkey_der(pk, buf, cap);

	*p = n > 0 ? buf + cap - n : NULL;
	return n;
}

int cms_cert_matches_csr(const char *cert_pem, const char *csr_pem, struct st_error *e)
{
	unsigned char a[512], b[512];
	const unsigned char *pa, *pb;
	mbedtls_x509_crt crt;
	mbedtls_x509_csr csr;
	char err[128];
	int ret, na, nb;

	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_csr_init(&csr);
	ret = mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_pem, strlen(cert_pem) + 1);
	if (ret != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		ret = st_fail(e, ST_ERR_PARSE, "the CMS-issued certificate does not parse: %s", err);
		goto out;
	}
	ret = mbedtls_x509_csr_parse(&csr, (const unsigned char *)csr_pem, strlen(csr_pem) + 1);
	if (ret != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		ret = st_fail(e, ST_ERR_PARSE, "the CSR does not parse: %s", err);
		goto out;
	}
	na = spki_der(&crt.pk, a, sizeof(a), &pa);
	nb = spki_der(&csr.pk, b, sizeof(b), &pb);
	if (na <= 0 || nb <= 0 || na != nb || memcmp(pa, pb, (size_t)na) != 0)
		ret = st_fail(e, ST_ERR_CERT, "the CMS issued a certificate for another public key "
			      "than the CSR's: refusing it (is the CMS answering for another board?)");
	else
		ret = ST_OK;
out:
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_csr_free(&csr);
	return ret;
}

char *cms_leaf_pem(const char *chain)
{
	static const char end_marker[] = "-----END CERTIFICATE-----";
	const char *end = chain ? strstr(chain, end_marker) : NULL;

	return end ? strndup(chain, (size_t)(end + sizeof(end_marker) - 1 - chain)) : NULL;
}
