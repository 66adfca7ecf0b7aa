// SPDX-License-Identifier: Apache-2.0
/*
 * The simulated manufacturer PKI (mbedTLS 2.28): EC keys, X.509 v3
 * certificates with the extensions an IDevID (IEEE 802.1AR, RFC 8995) and a
 * TLS server certificate need.  Tools only: the station has its own parser,
 * so a bug here cannot hide on both sides of the wire.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "tools/simlib/pki.h"

struct pki_key {
	mbedtls_pk_context pk;
};

/* id-pe-masa-url, RFC 8995 section 2.3.2: { id-pe 32 } */
#define OID_MASA_URL MBEDTLS_OID_PKIX "\x01\x20"

static void pki_err(const char *what, int ret)
{
	char buf[160];

	mbedtls_strerror(ret, buf, sizeof(buf));
	fprintf(stderr, "pki: %s: %s (-0x%04x)\n", what, buf, (unsigned)-ret);
}

/*
 * Deterministic "entropy" for seeded keys: SHA-256(seed || counter) blocks.
 * Only for reproducible test fixtures; never for a real key.
 */
struct seeded_src {
	const char *seed;
	uint32_t counter;
};

static int seeded_entropy(void *ctx, unsigned char *out, size_t len)
{
	struct seeded_src *s = ctx;
	unsigned char blk[32];
	mbedtls_sha256_context sha;
	size_t n;

	while (len > 0) {
		unsigned char ctr[4] = {
			s->counter >> 24, s->counter >> 16, s->counter >> 8, s->counter
		};

		s->counter++;
		mbedtls_sha256_init(&sha);
		mbedtls_sha256_starts_ret(&sha, 0);
		mbedtls_sha256_update_ret(&sha, (const unsigned char *)s->seed,
					  strlen(s->seed));
		mbedtls_sha256_update_ret(&sha, ctr, sizeof(ctr));
		mbedtls_sha256_finish_ret(&sha, blk);
		mbedtls_sha256_free(&sha);
		n = len < sizeof(blk) ? len : sizeof(blk);
		memcpy(out, blk, n);
		out += n;
		len -= n;
	}
	return 0;
}

/* A DRBG: seeded from the system entropy, or from a seed string. */
struct pki_rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	struct seeded_src src;
};

static int rng_init(struct pki_rng *r, const char *seed)
{
	static const char pers[] = "station-pki";
	int ret;

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	if (seed) {
		r->src.seed = seed;
		r->src.counter = 0;
		ret = mbedtls_ctr_drbg_seed(&r->drbg, seeded_entropy, &r->src,
					    (const unsigned char *)pers, sizeof(pers) - 1);
	} else {
		ret = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
					    (const unsigned char *)pers, sizeof(pers) - 1);
	}
	if (ret != 0)
		pki_err("seeding the DRBG", ret);
	return ret;
}

static void rng_free(struct pki_rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

struct pki_key *pki_key_generate_curve(enum pki_curve curve, const char *seed)
{
	mbedtls_ecp_group_id gid = curve == PKI_P384 ? MBEDTLS_ECP_DP_SECP384R1
						     : MBEDTLS_ECP_DP_SECP256R1;
	struct pki_key *k;
	struct pki_rng rng;
	int ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	mbedtls_pk_init(&k->pk);
	ret = rng_init(&rng, seed);
	if (ret != 0)
		goto out;
	ret = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret != 0) {
		pki_err("pk setup", ret);
		goto out;
	}
	ret = mbedtls_ecp_gen_key(gid, mbedtls_pk_ec(k->pk), mbedtls_ctr_drbg_random,
				  &rng.drbg);
	if (ret != 0)
		pki_err("generating an EC key", ret);
out:
	rng_free(&rng);
	if (ret != 0) {
		pki_key_free(k);
		return NULL;
	}
	return k;
}

struct pki_key *pki_key_generate(const char *seed)
{
	return pki_key_generate_curve(PKI_P256, seed);
}

struct pki_key *pki_key_load(const char *pem_path)
{
	struct pki_key *k;
	int ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	mbedtls_pk_init(&k->pk);
	ret = mbedtls_pk_parse_keyfile(&k->pk, pem_path, NULL);
	if (ret != 0) {
		fprintf(stderr, "pki: cannot load key %s\n", pem_path);
		pki_err("parsing the key", ret);
		pki_key_free(k);
		return NULL;
	}
	return k;
}

int pki_write_file(const char *path, const void *data, size_t len, int mode)
{
	char tmp[4096];
	FILE *f;
	int fd, n;

	/* Write beside and rename, so a reader never sees half a file. */
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		fprintf(stderr, "pki: cannot create %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "pki: cannot write %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "pki: cannot rename to %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int pki_key_save(const struct pki_key *k, const char *pem_path)
{
	unsigned char buf[2048];
	int ret;

	/* mbedtls_pk_write_key_pem takes a non-const context but does not modify it. */
	ret = mbedtls_pk_write_key_pem((mbedtls_pk_context *)&k->pk, buf, sizeof(buf));
	if (ret != 0) {
		pki_err("writing the key as PEM", ret);
		return -1;
	}
	ret = pki_write_file(pem_path, buf, strlen((char *)buf), 0600);
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return ret;
}

void pki_key_free(struct pki_key *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk);
	free(k);
}

char *pki_read_file(const char *path, size_t max)
{
	FILE *f;
	char *buf;
	size_t n;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "pki: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	/* One byte more than allowed means the file is too big: refuse it. */
	if (ferror(f) || (n == max && fgetc(f) != EOF)) {
		fprintf(stderr, "pki: %s: unreadable or larger than %zu bytes\n", path, max);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/*
 * Copy a parsed name into a writer's name list, keeping each attribute's
 * string type, so the issuer field is byte-for-byte the issuer's subject.
 * The writer emits the list head last, hence the prepend.
 */
static int copy_name(mbedtls_asn1_named_data **dst, const mbedtls_x509_name *src)
{
	for (; src; src = src->next) {
		mbedtls_asn1_named_data *n = calloc(1, sizeof(*n));

		if (!n)
			return -1;
		n->oid.tag = src->oid.tag;
		n->oid.len = src->oid.len;
		n->oid.p = malloc(src->oid.len);
		n->val.tag = src->val.tag;
		n->val.len = src->val.len;
		n->val.p = malloc(src->val.len ? src->val.len : 1);
		n->next = *dst;
		*dst = n;
		if (!n->oid.p || !n->val.p)
			return -1;
		memcpy(n->oid.p, src->oid.p, src->oid.len);
		memcpy(n->val.p, src->val.p, src->val.len);
	}
	return 0;
}

/* SubjectAltName ::= SEQUENCE OF GeneralName { dNSName [2], iPAddress [7] } */
static int set_san(mbedtls_x509write_cert *crt, const char *dns, const char *ip)
{
	unsigned char buf[512];
	unsigned char *p = buf + sizeof(buf);
	unsigned char addr[4];
	size_t len = 0;
	int ret;

	if (ip) {
		if (inet_pton(AF_INET, ip, addr) != 1) {
			fprintf(stderr, "pki: SAN IP '%s' is not a dotted quad\n", ip);
			return -1;
		}
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(&p, buf, addr, 4));
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, 4));
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&p, buf,
					MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7));
	}
	if (dns) {
		size_t dl = strlen(dns);

		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(&p, buf,
					(const unsigned char *)dns, dl));
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, dl));
		MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&p, buf,
					MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
	}
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(&p, buf,
				MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
			MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, p, len);
}

/* MASAURLSyntax ::= IA5String (RFC 8995 section 2.3.2), not critical. */
static int set_masa_url(mbedtls_x509write_cert *crt, const char *url, int utf8)
{
	unsigned char buf[600];
	unsigned char *p = buf + sizeof(buf);
	size_t ul = strlen(url);
	int len;

	if (ul > 512) {
		fprintf(stderr, "pki: MASA URL longer than 512 characters\n");
		return -1;
	}
	len = utf8 ? mbedtls_asn1_write_utf8_string(&p, buf, url, ul) :
		     mbedtls_asn1_write_ia5_string(&p, buf, url, ul);
	if (len < 0)
		return len;
	return mbedtls_x509write_crt_set_extension(crt, OID_MASA_URL,
			MBEDTLS_OID_SIZE(OID_MASA_URL), 0, p, (size_t)len);
}

static int set_serial(mbedtls_x509write_cert *crt, uint64_t serial,
		      struct pki_rng *rng)
{
	unsigned char b[8];
	mbedtls_mpi mpi;
	int ret, i;

	if (serial == 0) {
		ret = mbedtls_ctr_drbg_random(&rng->drbg, b, sizeof(b));
		if (ret != 0)
			return ret;
		b[0] &= 0x7f;	/* positive and at most 8 bytes in DER */
		b[0] |= 0x40;	/* never zero, always 63 bits */
	} else {
		for (i = 0; i < 8; i++)
			b[i] = serial >> (56 - 8 * i);
	}
	mbedtls_mpi_init(&mpi);
	ret = mbedtls_mpi_read_binary(&mpi, b, sizeof(b));
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_serial(crt, &mpi);
	mbedtls_mpi_free(&mpi);
	return ret;
}

/* The subject's serialNumber: as a UTF8String, and/or a second one (both
 * break the rules on purpose: mkpki's test identities). */
static int odd_serials(mbedtls_x509write_cert *crt, const struct pki_cert_req *r)
{
	const char oid[] = MBEDTLS_OID_AT_SERIAL_NUMBER;
	mbedtls_asn1_named_data *n, *last = NULL;

	for (n = crt->subject; n; n = n->next)
		if (n->oid.len == sizeof(oid) - 1 && !memcmp(n->oid.p, oid, n->oid.len)) {
			if (r->serial_utf8)
				n->val.tag = MBEDTLS_ASN1_UTF8_STRING;
			last = n;
		}
	if (!r->extra_serial)
		return 0;
	if (!last)
		return -1;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->oid.p = malloc(sizeof(oid) - 1);
	n->val.p = (unsigned char *)strdup(r->extra_serial);
	if (!n->oid.p || !n->val.p) {
		free(n->oid.p);
		free(n->val.p);
		free(n);
		return -1;
	}
	memcpy(n->oid.p, oid, sizeof(oid) - 1);
	n->oid.len = sizeof(oid) - 1;
	n->oid.tag = MBEDTLS_ASN1_OID;
	n->val.len = strlen(r->extra_serial);
	n->val.tag = MBEDTLS_ASN1_PRINTABLE_STRING;
	n->next = last->next;
	last->next = n;
	return 0;
}

/* Everything but the signature: names, validity, extensions. */
static int fill_cert(mbedtls_x509write_cert *crt, const struct pki_cert_req *r,
		     const mbedtls_x509_crt *issuer, struct pki_rng *rng)
{
	unsigned int ku;
	int ret;

	ret = mbedtls_x509write_crt_set_subject_name(crt, r->subject);
	if (ret != 0) {
		fprintf(stderr, "pki: bad subject '%s'\n", r->subject);
		return ret;
	}
	if ((r->extra_serial || r->serial_utf8) && odd_serials(crt, r) != 0) {
		fprintf(stderr, "pki: cannot add the odd serialNumber to '%s'\n", r->subject);
		return -1;
	}
	if (issuer)
		ret = copy_name(&crt->issuer, &issuer->subject);
	else
		ret = mbedtls_x509write_crt_set_issuer_name(crt, r->subject);
	if (ret != 0)
		return ret;
	ret = set_serial(crt, r->serial, rng);
	if (ret != 0)
		return ret;
	ret = mbedtls_x509write_crt_set_validity(crt, r->not_before, r->not_after);
	if (ret != 0) {
		fprintf(stderr, "pki: bad validity '%s'..'%s'\n", r->not_before, r->not_after);
		return ret;
	}
	ret = mbedtls_x509write_crt_set_basic_constraints(crt, r->is_ca ? 1 : 0,
							  r->is_ca ? r->pathlen : -1);
	if (ret != 0)
		return ret;
	ku = r->is_ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN
		      : MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
	ret = mbedtls_x509write_crt_set_key_usage(crt, ku);
	if (ret != 0)
		return ret;
	ret = mbedtls_x509write_crt_set_subject_key_identifier(crt);
	if (ret != 0)
		return ret;
	ret = mbedtls_x509write_crt_set_authority_key_identifier(crt);
	if (ret != 0)
		return ret;
	if (r->san_dns || r->san_ip) {
		ret = set_san(crt, r->san_dns, r->san_ip);
		if (ret != 0)
			return ret;
	}
	if (r->masa_url)
		ret = set_masa_url(crt, r->masa_url, r->masa_utf8);
	for (int i = 0; ret == 0 && i < r->n_exts; i++)
		ret = mbedtls_x509write_crt_set_extension(crt, (const char *)r->exts[i].oid,
							  r->exts[i].oid_len, r->exts[i].critical,
							  r->exts[i].val, r->exts[i].val_len);
	return ret;
}


/* Any extension is fine in an issuer we sign with (mkpki's test CAs carry
 * ones mbedTLS does not know, critical or not): only its name is used. */
static int accept_ext(void *ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
		      int critical, const unsigned char *p, const unsigned char *end)
{
	(void)ctx, (void)crt, (void)oid, (void)critical, (void)p, (void)end;
	return 0;
}

static int parse_issuer(mbedtls_x509_crt *issuer, const char *pem_text)
{
	mbedtls_pem_context pem;
	size_t used = 0;
	int ret;

	mbedtls_pem_init(&pem);
	ret = mbedtls_pem_read_buffer(&pem, "-----BEGIN CERTIFICATE-----",
				      "-----END CERTIFICATE-----",
				      (const unsigned char *)pem_text, NULL, 0, &used);
	if (ret == 0)
		ret = mbedtls_x509_crt_parse_der_with_ext_cb(issuer, pem.buf, pem.buflen, 1,
							     accept_ext, NULL);
	mbedtls_pem_free(&pem);
	return ret;
}

int pki_issue(const struct pki_cert_req *r, const struct pki_key *subject_key,
	      const struct pki_key *issuer_key, const char *issuer_cert_pem,
	      char *out, size_t cap)
{
	mbedtls_x509write_cert crt;
	mbedtls_x509_crt issuer;
	struct pki_rng rng;
	int ret;

	mbedtls_x509write_crt_init(&crt);
	mbedtls_x509_crt_init(&issuer);
	ret = rng_init(&rng, NULL);
	if (ret != 0)
		goto out;
	if (issuer_cert_pem) {
		ret = parse_issuer(&issuer, issuer_cert_pem);
		if (ret != 0) {
			pki_err("parsing the issuer certificate", ret);
			goto out;
		}
	}
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	/* The writer only reads the keys; its API is not const-correct. */
	mbedtls_x509write_crt_set_subject_key(&crt, (mbedtls_pk_context *)&subject_key->pk);
	mbedtls_x509write_crt_set_issuer_key(&crt, (mbedtls_pk_context *)&issuer_key->pk);
	ret = fill_cert(&crt, r, issuer_cert_pem ? &issuer : NULL, &rng);
	if (ret != 0) {
		pki_err("building the certificate", ret);
		goto out;
	}
	ret = mbedtls_x509write_crt_pem(&crt, (unsigned char *)out, cap,
					mbedtls_ctr_drbg_random, &rng.drbg);
	if (ret != 0)
		pki_err("signing the certificate", ret);
out:
	mbedtls_x509write_crt_free(&crt);
	mbedtls_x509_crt_free(&issuer);
	rng_free(&rng);
	return ret != 0 ? -1 : 0;
}
