// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS's own CA: it certifies the public key of a PKCS#10 request whose
 * signature verifies (proof that the requester holds the key), with the
 * subject the caller chose (v2: the request's {oid, value} list; EST: the
 * CSR's subject), CA:FALSE, digitalSignature, key identifiers and the MASA
 * URL extension an IDevID carries (RFC 8995 2.3.2).  And the RFC 7030
 * certs-only answer: a degenerate CMS SignedData (RFC 5652 5.1) holding the
 * issued certificate, written with mbedtls_asn1_write_* (2.28 has no PKCS#7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_csr.h>

#include "tools/cms-sim/cms-sim.h"

#define OID_MASA_URL MBEDTLS_OID_PKIX "\x01\x20" /* 1.3.6.1.5.5.7.1.32 */
#define CERT_DER_MAX 4096

int ca_load(struct ca *ca, const char *cert, const char *key, const char *masa_url,
	    char *msg, size_t cap)
{
	char err[128];
	int ret;

	mbedtls_x509_crt_init(&ca->crt);
	mbedtls_pk_init(&ca->key);
	ca->masa_url = masa_url;
	ret = mbedtls_x509_crt_parse_file(&ca->crt, cert);
	if (ret == 0)
		ret = mbedtls_pk_parse_keyfile(&ca->key, key, NULL);
	if (ret != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		snprintf(msg, cap, "cannot load the issuing CA %s / %s: %s", cert, key, err);
		return -1;
	}
	ca->loaded = 1;
	return 0;
}

void ca_free(struct ca *ca)
{
	mbedtls_x509_crt_free(&ca->crt);
	mbedtls_pk_free(&ca->key);
}

/* The CSR's signature over its body, with its own key: proof of possession. */
int ca_parse_csr(mbedtls_x509_csr *csr, const unsigned char *der, size_t len,
		 char *msg, size_t cap)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *md;
	char err[128];
	int ret;

	ret = mbedtls_x509_csr_parse_der(csr, der, len);
	if (ret != 0) {
		mbedtls_strerror(ret, err, sizeof(err));
		snprintf(msg, cap, "the CSR is not a PKCS#10 request: %s", err);
		return -1;
	}
	md = mbedtls_md_info_from_type(csr->sig_md);
	ret = md ? mbedtls_md(md, csr->cri.p, csr->cri.len, hash) : -1;
	if (ret == 0)
		ret = mbedtls_pk_verify_ext(csr->sig_pk, csr->sig_opts, &csr->pk, csr->sig_md,
					    hash, mbedtls_md_get_size(md), csr->sig.p,
					    csr->sig.len);
	if (ret != 0) {
		snprintf(msg, cap, "the CSR's signature does not verify with its own public key");
		return -1;
	}
	return 0;
}

/* Prepend one attribute: the writer emits the list last-first, so
 * prepending in order keeps the order given. */
int ca_name_add(mbedtls_asn1_named_data **list, const char *oid, size_t oid_len, int tag,
		const unsigned char *val, size_t val_len)
{
	mbedtls_asn1_named_data *n = calloc(1, sizeof(*n));

	if (!n)
		return -1;
	n->oid.tag = MBEDTLS_ASN1_OID;
	n->oid.len = oid_len;
	n->oid.p = malloc(oid_len);
	n->val.tag = tag;
	n->val.len = val_len;
	n->val.p = malloc(val_len ? val_len : 1);
	n->next = *list;
	*list = n;
	if (!n->oid.p || !n->val.p)
		return -1;
	memcpy(n->oid.p, oid, oid_len);
	memcpy(n->val.p, val, val_len);
	return 0;
}

static int copy_x509_name(mbedtls_asn1_named_data **dst, const mbedtls_x509_name *src)
{
	for (; src; src = src->next)
		if (ca_name_add(dst, (const char *)src->oid.p, src->oid.len, src->val.tag,
				src->val.p, src->val.len) < 0)
			return -1;
	return 0;
}

static void stamp(char out[15], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

static int set_masa_url(mbedtls_x509write_cert *crt, const char *url)
{
	unsigned char buf[600];
	unsigned char *p = buf + sizeof(buf);
	size_t ul = strlen(url);
	int len;

	if (ul > 512)
		return -1;
	len = mbedtls_asn1_write_ia5_string(&p, buf, url, ul);
	if (len < 0)
		return len;
	return mbedtls_x509write_crt_set_extension(crt, OID_MASA_URL,
			MBEDTLS_OID_SIZE(OID_MASA_URL), 0, p, (size_t)len);
}

static int fill(struct ca *ca, mbedtls_x509write_cert *w, mbedtls_pk_context *pk, int days,
		mbedtls_ctr_drbg_context *drbg)
{
	char from[15], until[15];
	unsigned char sb[16];
	mbedtls_mpi serial;
	time_t now = time(NULL);
	int ret;

	mbedtls_mpi_init(&serial);
	stamp(from, days < 0 ? now - 2 * 86400 : now - 60);
	if (days > 0)
		stamp(until, now + (time_t)days * 86400);
	else if (days < 0)	/* --fault expired */
		stamp(until, now - 86400);
	else
		snprintf(until, sizeof(until), "99991231235959");
	ret = mbedtls_ctr_drbg_random(drbg, sb, sizeof(sb));
	sb[0] = (sb[0] & 0x7f) | 0x40; /* positive, 16 octets */
	if (ret == 0)
		ret = mbedtls_mpi_read_binary(&serial, sb, sizeof(sb));
	mbedtls_x509write_crt_set_version(w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(w, pk);
	mbedtls_x509write_crt_set_issuer_key(w, &ca->key);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_serial(w, &serial);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_validity(w, from, until);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_basic_constraints(w, 0, -1);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_key_usage(w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_subject_key_identifier(w);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_authority_key_identifier(w);
	if (ret == 0 && ca->masa_url && ca->masa_url[0])
		ret = set_masa_url(w, ca->masa_url);
	if (ret == 0 && copy_x509_name(&w->issuer, &ca->crt.subject) < 0)
		ret = -1;
	mbedtls_mpi_free(&serial);
	return ret;
}

int ca_issue(struct ca *ca, mbedtls_pk_context *pk, mbedtls_asn1_named_data *subject,
	     int days, const unsigned char *san, size_t san_len, mbedtls_ctr_drbg_context *drbg,
	     unsigned char **der, size_t *len, char *msg, size_t cap)
{
	mbedtls_x509write_cert w;
	unsigned char *buf = malloc(CERT_DER_MAX);
	char err[128];
	int ret;

	*der = NULL;
	mbedtls_x509write_crt_init(&w);
	w.subject = subject; /* owned by w from here on */
	ret = buf ? fill(ca, &w, pk, days, drbg) : -1;
	if (ret == 0 && san && san_len)
		ret = mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_SUBJECT_ALT_NAME,
				MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san, san_len);
	if (ret == 0)
		ret = mbedtls_x509write_crt_der(&w, buf, CERT_DER_MAX, mbedtls_ctr_drbg_random, drbg);
	if (ret > 0) {
		memmove(buf, buf + CERT_DER_MAX - ret, (size_t)ret);
		*der = buf;
		*len = (size_t)ret;
		buf = NULL;
		ret = 0;
	} else {
		mbedtls_strerror(ret, err, sizeof(err));
		snprintf(msg, cap, "cannot issue the certificate: %s", err);
		ret = -1;
	}
	free(buf);
	mbedtls_x509write_crt_free(&w);
	return ret;
}

int ca_subject_from_csr(const mbedtls_x509_csr *csr, mbedtls_asn1_named_data **subject)
{
	*subject = NULL;
	return copy_x509_name(subject, &csr->subject);
}

/*
 * ContentInfo { id-signedData, [0] SignedData { version 1, digestAlgorithms
 * {}, encapContentInfo { id-data }, certificates [0] { cert }, signerInfos
 * {} } }, written back to front.
 */
int ca_pkcs7_certs_only(const unsigned char *cert, size_t cert_len, unsigned char **out,
			size_t *out_len)
{
	static const char oid_data[] = MBEDTLS_OID_PKCS "\x07\x01";
	static const char oid_signed[] = MBEDTLS_OID_PKCS "\x07\x02";
	size_t cap = cert_len + 128, len = 0;
	unsigned char *buf = malloc(cap), *p;
	int ret;

	if (!buf)
		return -1;
	p = buf + cap;
#define W(call) do { ret = (call); if (ret < 0) goto fail; len += (size_t)ret; } while (0)
	W(mbedtls_asn1_write_len(&p, buf, 0));		/* signerInfos: empty SET */
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET));
	W(mbedtls_asn1_write_raw_buffer(&p, buf, cert, cert_len));
	W(mbedtls_asn1_write_len(&p, buf, cert_len));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED));
	W(mbedtls_asn1_write_oid(&p, buf, oid_data, MBEDTLS_OID_SIZE(oid_data)));
	W(mbedtls_asn1_write_len(&p, buf, (size_t)ret)); /* the OID alone */
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	W(mbedtls_asn1_write_len(&p, buf, 0));		/* digestAlgorithms: empty SET */
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET));
	W(mbedtls_asn1_write_int(&p, buf, 1));
	W(mbedtls_asn1_write_len(&p, buf, len));	/* SignedData */
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	W(mbedtls_asn1_write_len(&p, buf, len));	/* [0] EXPLICIT */
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED));
	W(mbedtls_asn1_write_oid(&p, buf, oid_signed, MBEDTLS_OID_SIZE(oid_signed)));
	W(mbedtls_asn1_write_len(&p, buf, len));	/* ContentInfo */
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
	memmove(buf, p, len);
	*out = buf;
	*out_len = len;
	return 0;
fail:
	free(buf);
	return -1;
}

int ca_subject_from_name(const mbedtls_x509_name *name, mbedtls_asn1_named_data **subject)
{
	*subject = NULL;
	return copy_x509_name(subject, name);
}

int ca_find_ext(const unsigned char *p, size_t len, const char *oid, size_t oid_len,
		const unsigned char **val, size_t *val_len)
{
	unsigned char *q = (unsigned char *)p, *end = q + len, *ext_end;
	size_t n;
	int crit;

	if (len == 0)
		return 0;
	if (mbedtls_asn1_get_tag(&q, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return -1;
	end = q + n;
	while (q < end) {
		if (mbedtls_asn1_get_tag(&q, end, &n, MBEDTLS_ASN1_CONSTRUCTED |
					 MBEDTLS_ASN1_SEQUENCE))
			return -1;
		ext_end = q + n;
		if (mbedtls_asn1_get_tag(&q, ext_end, &n, MBEDTLS_ASN1_OID))
			return -1;
		if (n == oid_len && !memcmp(q, oid, n)) {
			q += n;
			if (q < ext_end && *q == MBEDTLS_ASN1_BOOLEAN &&
			    mbedtls_asn1_get_bool(&q, ext_end, &crit))
				return -1;
			if (mbedtls_asn1_get_tag(&q, ext_end, &n, MBEDTLS_ASN1_OCTET_STRING))
				return -1;
			*val = q;
			*val_len = n;
			return 1;
		}
		q = ext_end;
	}
	return 0;
}

/* CertificationRequestInfo { version, subject, subjectPKInfo, [0] attributes
 * { Attribute { extensionRequest (1.2.840.113549.1.9.14), SET { Extensions } } } }
 * (RFC 2986 4.1, RFC 2985 5.4.2): mbedTLS 2.28 does not parse them. */
int ca_csr_extensions(const mbedtls_x509_csr *csr, const unsigned char **out, size_t *out_len)
{
	static const char oid_ext_req[] = MBEDTLS_OID_PKCS9 "\x0e";
	unsigned char *p = csr->cri.p, *end = p + csr->cri.len, *a_end;
	size_t n;

	*out_len = 0;
	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return -1;
	end = p + n;
	for (int i = 0; i < 3; i++) {	/* version, subject, subjectPKInfo */
		if (mbedtls_asn1_get_tag(&p, end, &n, i == 0 ? MBEDTLS_ASN1_INTEGER :
					 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
			return -1;
		p += n;
	}
	if (p == end)
		return 0;
	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONTEXT_SPECIFIC |
				 MBEDTLS_ASN1_CONSTRUCTED | 0))
		return -1;
	end = p + n;
	while (p < end) {
		if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED |
					 MBEDTLS_ASN1_SEQUENCE))
			return -1;
		a_end = p + n;
		if (mbedtls_asn1_get_tag(&p, a_end, &n, MBEDTLS_ASN1_OID))
			return -1;
		if (n == MBEDTLS_OID_SIZE(oid_ext_req) && !memcmp(p, oid_ext_req, n)) {
			p += n;
			if (mbedtls_asn1_get_tag(&p, a_end, &n, MBEDTLS_ASN1_CONSTRUCTED |
						 MBEDTLS_ASN1_SET))
				return -1;
			*out = p;
			*out_len = n;
			return 0;
		}
		p = a_end;
	}
	return 0;
}

int ca_gen_key(mbedtls_pk_context *pk, mbedtls_ctr_drbg_context *drbg)
{
	if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
		return -1;
	return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
				   mbedtls_ctr_drbg_random, drbg) == 0 ? 0 : -1;
}

/* PrivateKeyInfo { version 0, AlgorithmIdentifier { id-ecPublicKey,
 * prime256v1 }, OCTET STRING { ECPrivateKey } } (RFC 5208 5, RFC 5915 3). */
int ca_pkcs8(mbedtls_pk_context *pk, unsigned char **der, size_t *len)
{
	static const char oid_ec[] = MBEDTLS_OID_EC_ALG_UNRESTRICTED;
	static const char oid_p256[] = MBEDTLS_OID_EC_GRP_SECP256R1;
	size_t cap = 512, n = 0;
	unsigned char *buf = malloc(cap), *p;
	int ret, par;

	if (!buf)
		return -1;
	ret = mbedtls_pk_write_key_der(pk, buf, cap);
	if (ret <= 0)
		goto fail;
	n = (size_t)ret;
	p = buf + cap - n;
#define W(call) do { ret = (call); if (ret < 0) goto fail; n += (size_t)ret; } while (0)
	W(mbedtls_asn1_write_len(&p, buf, n));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_OCTET_STRING));
	W(mbedtls_asn1_write_oid(&p, buf, oid_p256, MBEDTLS_OID_SIZE(oid_p256)));
	par = ret;
	n -= (size_t)par;	/* counted again inside the identifier */
	W(mbedtls_asn1_write_algorithm_identifier(&p, buf, oid_ec, MBEDTLS_OID_SIZE(oid_ec),
						  (size_t)par));
	W(mbedtls_asn1_write_int(&p, buf, 0));
	W(mbedtls_asn1_write_len(&p, buf, n));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
	memmove(buf, p, n);
	*der = buf;
	*len = n;
	return 0;
fail:
	mbedtls_platform_zeroize(buf, cap);
	free(buf);
	return -1;
}
