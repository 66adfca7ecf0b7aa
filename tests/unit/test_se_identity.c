/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity step on the sim backend, against a manufacturer PKI made in
 * the test with mbedTLS (root -> intermediate -> IDevID), and each way an
 * identity can be wrong: a key that is not the SE's, P-384, CA:TRUE, no
 * serialNumber, an unknown root, expiry, a bad signature, wrong key usage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "se/se.h"

#define ROOT_DN "CN=Test Root CA,O=Station Test"
#define INT_DN "CN=Test Intermediate CA,O=Station Test"
#define LEAF_DN "CN=Test Board,serialNumber=SIM-0001,O=Station Test"
#define MASA "masa.example.com:9443"
#define PEM_MAX 4096

static struct {
	char dir[64];
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context root, inter, leaf, other;
	char root_pem[PEM_MAX], int_pem[PEM_MAX];
} P;

/* How one test certificate differs from a good one. */
struct opt {
	const char *subject;
	const char *not_before, *not_after;
	int is_ca;
	unsigned key_usage;	/* 0: digitalSignature */
	bool no_masa;
	const char *ext_oid;	/* one more extension (DER OID contents), or NULL */
	const unsigned char *ext;
	size_t ext_len;
	int ext_critical;
};

static void path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", P.dir, name);
}

static void gen_key(mbedtls_pk_context *pk, mbedtls_ecp_group_id curve)
{
	mbedtls_pk_init(pk);
	assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(*pk), mbedtls_ctr_drbg_random,
					     &P.drbg), 0);
}

static void write_file(const char *name, const char *a, const char *b)
{
	char p[128];
	FILE *f;

	path(p, sizeof(p), name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(a, f);
	if (b)
		fputs(b, f);
	fclose(f);
}

static void issue(char *pem, mbedtls_pk_context *subj, const char *subj_dn,
		  mbedtls_pk_context *iss, const char *iss_dn, const struct opt *o, int serial)
{
	static const char masa_oid[] = "\x2b\x06\x01\x05\x05\x07\x01\x20";
	unsigned char masa[64] = { 0x16, sizeof(MASA) - 1 };
	mbedtls_x509write_cert w;
	mbedtls_mpi sn;

	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&sn);
	mbedtls_mpi_lset(&sn, serial);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, subj);
	mbedtls_x509write_crt_set_issuer_key(&w, iss);
	assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, subj_dn), 0);
	assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, iss_dn), 0);
	assert_int_equal(mbedtls_x509write_crt_set_serial(&w, &sn), 0);
	assert_int_equal(mbedtls_x509write_crt_set_validity(&w,
		o->not_before ? o->not_before : "20200101000000",
		o->not_after ? o->not_after : "99991231235959"), 0);
	assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, o->is_ca, -1), 0);
	assert_int_equal(mbedtls_x509write_crt_set_key_usage(&w, o->key_usage ? o->key_usage :
		MBEDTLS_X509_KU_DIGITAL_SIGNATURE), 0);
	if (!o->is_ca && !o->no_masa) {
		memcpy(masa + 2, MASA, sizeof(MASA) - 1);
		assert_int_equal(mbedtls_x509write_crt_set_extension(&w, masa_oid,
			sizeof(masa_oid) - 1, 0, masa, sizeof(MASA) + 1), 0);
	}
	if (o->ext_oid)
		assert_int_equal(mbedtls_x509write_crt_set_extension(&w, o->ext_oid,
			strlen(o->ext_oid), o->ext_critical, o->ext, o->ext_len), 0);
	assert_int_equal(mbedtls_x509write_crt_pem(&w, (unsigned char *)pem, PEM_MAX,
						   mbedtls_ctr_drbg_random, &P.drbg), 0);
	mbedtls_x509write_crt_free(&w);
	mbedtls_mpi_free(&sn);
}

static const struct opt ca_opt = {
	.is_ca = 1, .key_usage = MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN,
	.not_after = "20491231235959",
};

static int setup(void **state)
{
	unsigned char key_pem[1024];
	char other_root[PEM_MAX], trust[128];

	(void)state;
	snprintf(P.dir, sizeof(P.dir), "/tmp/test_se_identity_XXXXXX");
	if (!mkdtemp(P.dir))
		return -1;
	mbedtls_entropy_init(&P.ent);
	mbedtls_ctr_drbg_init(&P.drbg);
	if (mbedtls_ctr_drbg_seed(&P.drbg, mbedtls_entropy_func, &P.ent, NULL, 0))
		return -1;
	gen_key(&P.root, MBEDTLS_ECP_DP_SECP256R1);
	gen_key(&P.inter, MBEDTLS_ECP_DP_SECP256R1);
	gen_key(&P.leaf, MBEDTLS_ECP_DP_SECP256R1);
	gen_key(&P.other, MBEDTLS_ECP_DP_SECP256R1);
	issue(P.root_pem, &P.root, ROOT_DN, &P.root, ROOT_DN, &ca_opt, 1);
	issue(P.int_pem, &P.inter, INT_DN, &P.root, ROOT_DN, &ca_opt, 2);
	issue(other_root, &P.other, "CN=Other Root CA", &P.other, "CN=Other Root CA", &ca_opt, 3);
	write_file("root.pem", P.root_pem, NULL);
	write_file("other-root.pem", other_root, NULL);
	path(trust, sizeof(trust), "trust");
	mkdir(trust, 0700);
	write_file("trust/root.crt", P.root_pem, NULL);
	write_file("trust/notes.txt", "not a certificate", NULL);
	mbedtls_pk_write_key_pem(&P.leaf, key_pem, sizeof(key_pem));
	write_file("leaf.key", (char *)key_pem, NULL);
	mbedtls_pk_write_key_pem(&P.other, key_pem, sizeof(key_pem));
	write_file("other.key", (char *)key_pem, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", P.dir);
	mbedtls_pk_free(&P.root);
	mbedtls_pk_free(&P.inter);
	mbedtls_pk_free(&P.leaf);
	mbedtls_pk_free(&P.other);
	mbedtls_ctr_drbg_free(&P.drbg);
	mbedtls_entropy_free(&P.ent);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write leaf (as o says, key subj) + intermediate to chain.pem, open the sim
 * SE with key_name, and run the identity step against trust_name. */
static int read_identity(const struct opt *o, mbedtls_pk_context *subj, const char *key_name,
			 const char *trust_name, const char *expect_serial,
			 struct se_identity *id, struct st_error *e)
{
	char leaf_pem[PEM_MAX], key[128], chain[128], trust[128];
	struct se_policy pol = { .trust = trust, .expect_serial = expect_serial,
				 .require_masa = true };
	struct se *se = NULL;
	int ret;

	issue(leaf_pem, subj, o->subject ? o->subject : LEAF_DN, &P.inter, INT_DN, o, 0x1234);
	write_file("chain.pem", leaf_pem, P.int_pem);
	path(key, sizeof(key), key_name);
	path(chain, sizeof(chain), "chain.pem");
	path(trust, sizeof(trust), trust_name);
	assert_int_equal(se_open_sim(&se, key, chain, e), ST_OK);
	ret = se_identity_read(se, &pol, id, e);
	se_close(se);
	return ret;
}

static const struct se_check *chk(const struct se_identity *id, const char *name)
{
	const struct se_check *c = se_identity_check(id, name);

	if (!c)
		fail_msg("check '%s' missing", name);
	return c;
}

/* The compressed point's Y, recovered from X: y^2 = x^3 - 3x + b (mod p). */
static void decompress_p256(const unsigned char *pt, mbedtls_mpi *y)
{
	mbedtls_ecp_group g;
	mbedtls_mpi x, r, t, ex;

	mbedtls_ecp_group_init(&g);
	mbedtls_mpi_init(&x), mbedtls_mpi_init(&r), mbedtls_mpi_init(&t), mbedtls_mpi_init(&ex);
	assert_int_equal(mbedtls_ecp_group_load(&g, MBEDTLS_ECP_DP_SECP256R1), 0);
	mbedtls_mpi_read_binary(&x, pt + 1, 32);
	mbedtls_mpi_mul_mpi(&t, &x, &x);
	mbedtls_mpi_mul_mpi(&r, &t, &x);
	mbedtls_mpi_mul_int(&t, &x, 3);
	mbedtls_mpi_sub_mpi(&r, &r, &t);
	mbedtls_mpi_add_mpi(&r, &r, &g.B);
	mbedtls_mpi_mod_mpi(&r, &r, &g.P);
	mbedtls_mpi_add_int(&ex, &g.P, 1);
	mbedtls_mpi_shift_r(&ex, 2);
	assert_int_equal(mbedtls_mpi_exp_mod(y, &r, &ex, &g.P, NULL), 0);
	if (mbedtls_mpi_get_bit(y, 0) != (pt[0] & 1))
		mbedtls_mpi_sub_mpi(y, &g.P, y);
	mbedtls_mpi_free(&x), mbedtls_mpi_free(&r), mbedtls_mpi_free(&t), mbedtls_mpi_free(&ex);
	mbedtls_ecp_group_free(&g);
}

static void assert_dpp_is_key(const char *uri, mbedtls_pk_context *pk)
{
	unsigned char der[128];
	const char *k = strstr(uri, "K:"), *end;
	mbedtls_mpi y;
	size_t n = 0;

	assert_non_null(k);
	k += 2;
	end = strstr(k, ";;");
	assert_non_null(end);
	assert_int_equal(end[2], '\0');
	assert_int_equal(mbedtls_base64_decode(der, sizeof(der), &n, (const unsigned char *)k,
					       (size_t)(end - k)), 0);
	assert_int_equal(n, 59);
	mbedtls_mpi_init(&y);
	decompress_p256(der + 26, &y);
	assert_int_equal(mbedtls_mpi_cmp_mpi(&y, &mbedtls_pk_ec(*pk)->Q.Y), 0);
	mbedtls_mpi_free(&y);
}

static void test_good_identity_with_pop(void **state)
{
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	const struct opt o = { 0 };
	unsigned char der[256], hash[32];
	char hex[65];
	mbedtls_x509_crt crt;
	int len;

	(void)state;
	assert_int_equal(read_identity(&o, &P.leaf, "leaf.key", "root.pem", "SIM-0001", &id, &e),
			 ST_OK);
	assert_int_equal(se_identity_failures(&id), 0);
	assert_string_equal(id.checks[0].name, "chain");
	assert_string_equal(id.checks[1].name, "pop");
	assert_int_equal(id.n_checks, 14);
	assert_string_equal(id.subject_serial, "SIM-0001");
	assert_string_equal(id.masa_url, MASA);
	assert_string_equal(id.cert_serial, "1234");
	assert_string_equal(id.not_after, "9999-12-31 23:59:59");
	assert_non_null(strstr(chk(&id, "not-after")->detail, "99991231235959Z"));
	assert_string_equal(chk(&id, "key-usage")->detail, "digitalSignature");
	assert_int_equal(strlen(id.nonce), 64);
	assert_true(strlen(id.signature) > 130);
	assert_int_equal(strlen(id.chip_serial), 16);
	assert_non_null(strstr(id.dpp_uri, "DPP:I:SN=SIM-0001;K:"));
	assert_dpp_is_key(id.dpp_uri, &P.leaf);

	/* The fingerprints are of what the SE holds. */
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)id.pem_chain,
						strlen(id.pem_chain) + 1), 0);
	assert_non_null(crt.next);
	mbedtls_sha256_ret(crt.raw.p, crt.raw.len, hash, 0);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", hash[i]);
	assert_string_equal(id.fingerprint, hex);
	len = mbedtls_pk_write_pubkey_der(&P.leaf, der, sizeof(der));
	mbedtls_sha256_ret(der + sizeof(der) - len, (size_t)len, hash, 0);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", hash[i]);
	assert_string_equal(id.spki_sha256, hex);
	mbedtls_x509_crt_free(&crt);

	/* A trust directory works the same; only its .crt and .pem files count. */
	assert_int_equal(read_identity(&o, &P.leaf, "leaf.key", "trust", NULL, &id, &e), ST_OK);
	se_identity_free(&id);
}

static void test_pop_fails_with_a_key_that_is_not_the_ses(void **state)
{
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	const struct opt o = { 0 };
	const struct se_check *c;

	(void)state;
	assert_int_equal(read_identity(&o, &P.leaf, "other.key", "root.pem", NULL, &id, &e),
			 ST_ERR_CERT);
	c = chk(&id, "pop");
	assert_false(c->pass);
	assert_string_equal(c->detail, "the SE's signature does not verify with the "
			    "certificate's public key: the certificate does not belong to this SE");
	assert_int_equal(se_identity_failures(&id), 1);
	assert_non_null(strstr(e.msg, "identity check pop failed"));
	se_identity_free(&id);
}

static void test_wrong_leaf_contents(void **state)
{
	const struct opt ca_leaf = { .is_ca = 1 };
	const struct opt no_serial = { .subject = "CN=Test Board,O=Station Test" };
	const struct opt ku = { .key_usage = MBEDTLS_X509_KU_KEY_ENCIPHERMENT };
	const struct opt no_masa = { .no_masa = true };
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	mbedtls_pk_context p384;

	(void)state;
	gen_key(&p384, MBEDTLS_ECP_DP_SECP384R1);
	assert_int_equal(read_identity(&(struct opt){ 0 }, &p384, "leaf.key", "root.pem", NULL,
				       &id, &e), ST_ERR_CERT);
	assert_false(chk(&id, "key-type")->pass);
	assert_non_null(strstr(chk(&id, "key-type")->detail, "the key is EC P-384"));
	assert_false(chk(&id, "pop")->pass);
	assert_string_equal(id.dpp_uri, "");
	mbedtls_pk_free(&p384);

	read_identity(&ca_leaf, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_false(chk(&id, "basic-constraints")->pass);
	assert_non_null(strstr(chk(&id, "basic-constraints")->detail, "CA:TRUE"));

	read_identity(&no_serial, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_false(chk(&id, "serialNumber")->pass);
	assert_non_null(strstr(chk(&id, "serialNumber")->detail, "has no serialNumber"));
	assert_non_null(strstr(id.dpp_uri, "DPP:K:"));

	read_identity(&ku, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_false(chk(&id, "key-usage")->pass);
	assert_true(chk(&id, "chain")->pass);

	read_identity(&no_masa, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_false(chk(&id, "masa-url")->pass);

	read_identity(&(struct opt){ 0 }, &P.leaf, "leaf.key", "root.pem", "SIM-0002", &id, &e);
	assert_false(chk(&id, "serialNumber")->pass);
	assert_int_equal(se_identity_failures(&id), 1);
	se_identity_free(&id);
}

static void test_chain_failures_are_named(void **state)
{
	const struct opt expired = { .not_before = "20190101000000", .not_after = "20210101000000" };
	const struct opt future = { .not_before = "20990101000000" };
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	char saved[PEM_MAX];
	const char *d;

	(void)state;
	read_identity(&(struct opt){ 0 }, &P.leaf, "leaf.key", "other-root.pem", NULL, &id, &e);
	d = chk(&id, "chain")->detail;
	assert_non_null(strstr(d, "issuer 'CN=Test Root CA, O=Station Test' is not in the "
			       "trust store "));
	assert_non_null(strstr(d, "other-root.pem"));

	read_identity(&expired, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_non_null(strstr(chk(&id, "chain")->detail,
			       "the certificate 'CN=Test Board, serialNumber=SIM-0001, "
			       "O=Station Test' expired on 2021-01-01 00:00:00 UTC"));
	assert_non_null(strstr(chk(&id, "not-after")->detail, "expired on 2021-01-01 00:00:00"));

	read_identity(&future, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_non_null(strstr(chk(&id, "chain")->detail, "is not valid before 2099-01-01"));

	/* An intermediate that expired, one that is not a CA, and a leaf whose
	 * signature is not the intermediate's. */
	memcpy(saved, P.int_pem, PEM_MAX);
	issue(P.int_pem, &P.inter, INT_DN, &P.root, ROOT_DN, &(struct opt){
		.is_ca = 1, .key_usage = MBEDTLS_X509_KU_KEY_CERT_SIGN,
		.not_before = "20180101000000", .not_after = "20200601120000" }, 2);
	read_identity(&(struct opt){ 0 }, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_non_null(strstr(chk(&id, "chain")->detail, "the issuer 'CN=Test Intermediate CA"));
	assert_non_null(strstr(chk(&id, "chain")->detail, "expired on 2020-06-01 12:00:00 UTC"));

	issue(P.int_pem, &P.inter, INT_DN, &P.root, ROOT_DN, &(struct opt){ 0 }, 2);
	read_identity(&(struct opt){ 0 }, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	assert_non_null(strstr(chk(&id, "chain")->detail, "is not a CA"));
	memcpy(P.int_pem, saved, PEM_MAX);

	{
		mbedtls_pk_context real = P.inter;

		P.inter = P.other;	/* same issuer name, another key */
		read_identity(&(struct opt){ 0 }, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
		P.inter = real;
	}
	assert_non_null(strstr(chk(&id, "chain")->detail, "bad signature: "));
	assert_true(chk(&id, "pop")->pass);
	se_identity_free(&id);
}

static void test_no_trust_store_and_bad_chain(void **state)
{
	struct se_policy pol = { 0 };
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	char key[128], chain[128];
	struct se *se;

	(void)state;
	write_file("garbage.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		   NULL);
	path(key, sizeof(key), "leaf.key");
	path(chain, sizeof(chain), "garbage.pem");
	assert_int_equal(se_open_sim(&se, key, chain, &e), ST_OK);
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_CERT);
	assert_false(chk(&id, "chain")->pass);
	assert_non_null(strstr(chk(&id, "chain")->detail, "does not parse"));
	se_close(se);

	read_identity(&(struct opt){ 0 }, &P.leaf, "leaf.key", "root.pem", NULL, &id, &e);
	path(chain, sizeof(chain), "chain.pem");
	assert_int_equal(se_open_sim(&se, key, chain, &e), ST_OK);
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_CERT);
	assert_non_null(strstr(chk(&id, "chain")->detail, "no trust store configured"));
	assert_true(chk(&id, "pop")->pass);
	se_close(se);

	assert_int_equal(se_open_sim(&se, "/nonexistent.key", chain, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "/nonexistent.key"));
	se_identity_free(&id);
}

/* The sim SE, but signing another message than it was given: the message
 * another chip would have signed, or the bare nonce (a replay or an oracle
 * used out of context).  The station must refuse both. */
static enum { SIGN_AS_ASKED, SIGN_OTHER_CHIP, SIGN_BARE_NONCE } sign_mode;

static int twisted_sign(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
			size_t *sig_len, struct st_error *e)
{
	uint8_t m[64];
	int n;

	if (sign_mode == SIGN_AS_ASKED)
		return se_sim_ops.sign(se, msg, len, sig, cap, sig_len, e);
	assert_int_equal(len, 64);
	if (sign_mode == SIGN_BARE_NONCE)
		return se_sim_ops.sign(se, msg + 32, 32, sig, cap, sig_len, e);
	n = se_pop_message("another chip", msg + 32, 32, m, sizeof(m));
	assert_int_equal(n, 64);
	return se_sim_ops.sign(se, m, (size_t)n, sig, cap, sig_len, e);
}

static void test_pop_is_bound_to_the_chip_and_its_purpose(void **state)
{
	static const uint8_t nonce[32] = { 1, 2, 3 };
	struct se_ops ops = se_sim_ops;
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	char key[128], chain[128], trust[128], leaf_pem[PEM_MAX];
	struct se_policy pol = { .trust = trust };
	uint8_t a[64], b[64];
	struct se *se = NULL;

	(void)state;
	/* 64 bytes (what the firmware's se sign takes): prefix, chip, nonce */
	assert_int_equal(se_pop_message("0011223344556677", nonce, 32, a, sizeof(a)), 64);
	assert_memory_equal(a, "IDevID-PoP-v1:", 14);
	assert_memory_equal(a + 32, nonce, 32);
	assert_int_equal(se_pop_message("0011223344556678", nonce, 32, b, sizeof(b)), 64);
	assert_memory_not_equal(a + 14, b + 14, 18);
	assert_int_equal(se_pop_message("x", nonce, 32, b, 63), ST_ERR_LIMIT);

	issue(leaf_pem, &P.leaf, LEAF_DN, &P.inter, INT_DN, &(struct opt){ 0 }, 0x1234);
	write_file("chain.pem", leaf_pem, P.int_pem);
	path(key, sizeof(key), "leaf.key");
	path(chain, sizeof(chain), "chain.pem");
	path(trust, sizeof(trust), "root.pem");
	ops.sign = twisted_sign;
	for (int mode = SIGN_AS_ASKED; mode <= SIGN_BARE_NONCE; mode++) {
		sign_mode = mode;
		assert_int_equal(se_open_sim(&se, key, chain, &e), ST_OK);
		se->ops = &ops;
		se_identity_read(se, &pol, &id, &e);
		if (mode == SIGN_AS_ASKED)
			assert_true(chk(&id, "pop")->pass);
		else
			assert_non_null(strstr(chk(&id, "pop")->detail, "does not verify with the "
					       "certificate's public key"));
		se_close(se);
	}
	se_identity_free(&id);
}

/* SubjectAltName: SEQUENCE { dNSName name } */
static size_t san_dns(const char *name, unsigned char *out)
{
	size_t n = strlen(name);

	out[0] = 0x30;
	out[1] = (unsigned char)(n + 2);
	out[2] = 0x82;
	out[3] = (unsigned char)n;
	memcpy(out + 4, name, n);
	return n + 4;
}

static void test_dns_name_constraints(void **state)
{
	/* permitted dNSName example.com, excluded dNSName bad.example.com */
	static const unsigned char nc[] = {
		0x30, 0x26,
		0xa0, 0x0f, 0x30, 0x0d, 0x82, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c',
		'o', 'm',
		0xa1, 0x13, 0x30, 0x11, 0x82, 0x0f, 'b', 'a', 'd', '.', 'e', 'x', 'a', 'm', 'p',
		'l', 'e', '.', 'c', 'o', 'm',
	};
	static const struct {
		const char *dns, *verdict;	/* NULL: passes */
	} cases[] = {
		{ "example.com", NULL },
		{ "dev.example.com", NULL },
		{ "DEV.Example.COM", NULL },
		{ "x.bad.example.com", "in a subtree that 'CN=Test NC CA' excludes" },
		{ "notexample.com", "outside the subtrees 'CN=Test NC CA' permits" },
		{ "example.org", "outside the subtrees 'CN=Test NC CA' permits" },
	};
	struct opt ca = ca_opt, leaf = { 0 };
	char inter_pem[PEM_MAX], leaf_pem[PEM_MAX], file[128], trust[128];
	struct se_policy pol = { .trust = trust, .skip_pop = true };
	struct se_identity id = { 0 };
	unsigned char san[80];

	(void)state;
	ca.ext_oid = MBEDTLS_OID_NAME_CONSTRAINTS;
	ca.ext = nc;
	ca.ext_len = sizeof(nc);
	ca.ext_critical = 1;
	issue(inter_pem, &P.inter, "CN=Test NC CA", &P.root, ROOT_DN, &ca, 7);
	path(file, sizeof(file), "nc.pem");
	path(trust, sizeof(trust), "root.pem");
	leaf.ext_oid = MBEDTLS_OID_SUBJECT_ALT_NAME;
	leaf.ext = san;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct se_check *c;

		leaf.ext_len = san_dns(cases[i].dns, san);
		issue(leaf_pem, &P.leaf, LEAF_DN, &P.inter, "CN=Test NC CA", &leaf, 0x50 + (int)i);
		write_file("nc.pem", leaf_pem, inter_pem);
		se_identity_check_file(file, &pol, &id, NULL);
		assert_true(chk(&id, "chain")->pass);
		c = chk(&id, "name-constraints");
		if (!cases[i].verdict) {
			if (!c->pass)
				fail_msg("%s: %s", cases[i].dns, c->detail);
		} else {
			assert_false(c->pass);
			if (!strstr(c->detail, cases[i].verdict))
				fail_msg("%s: %s", cases[i].dns, c->detail);
		}
	}
	se_identity_free(&id);
}

/* A revocation source as the station's CMS status call: it answers what the
 * test says, or fails like a CMS that is down; it sees the leaf alone. */
struct status_src {
	const char *status, *revoked_at, *reason;
	int err;		/* < 0: no answer */
	int calls;
	char leaf_sha256[65];
};

static int status_fn(void *ctx, const char *leaf_pem, struct se_status_answer *a,
		     struct st_error *e)
{
	struct status_src *s = ctx;
	unsigned char h[32];
	mbedtls_x509_crt crt;

	s->calls++;
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)leaf_pem,
						strlen(leaf_pem) + 1), 0);
	assert_null(crt.next);	/* the leaf alone */
	mbedtls_sha256_ret(crt.raw.p, crt.raw.len, h, 0);
	for (int i = 0; i < 32; i++)
		sprintf(s->leaf_sha256 + 2 * i, "%02x", h[i]);
	mbedtls_x509_crt_free(&crt);
	if (s->err < 0)
		return st_fail(e, s->err, "cannot reach the CMS at https://cms.example");
	snprintf(a->status, sizeof(a->status), "%s", s->status);
	snprintf(a->revoked_at, sizeof(a->revoked_at), "%s", s->revoked_at ? s->revoked_at : "");
	snprintf(a->reason, sizeof(a->reason), "%s", s->reason ? s->reason : "");
	return ST_OK;
}

static void test_cms_status_is_a_revocation_source(void **state)
{
	char leaf_pem[PEM_MAX], key[128], chain[128], trust[128];
	struct status_src src = { .status = "Good" };
	struct se_policy pol = { .trust = trust, .require_masa = true, .status = status_fn,
				 .status_ctx = &src, .status_source = "cms:https://cms.example" };
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	const struct opt o = { 0 };
	const struct se_check *c;
	struct se *se = NULL;

	(void)state;
	issue(leaf_pem, &P.leaf, LEAF_DN, &P.inter, INT_DN, &o, 0x77);
	write_file("chain.pem", leaf_pem, P.int_pem);
	path(key, sizeof(key), "leaf.key");
	path(chain, sizeof(chain), "chain.pem");
	path(trust, sizeof(trust), "root.pem");
	assert_int_equal(se_open_sim(&se, key, chain, &e), ST_OK);

	/* Good: passes, and the source is logged as the revocation source */
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_OK);
	assert_int_equal(src.calls, 1);
	assert_string_equal(src.leaf_sha256, id.fingerprint);
	c = chk(&id, "cms-status");
	assert_true(c->pass);
	assert_string_equal(c->detail, "Good: cms:https://cms.example holds the certificate as valid");
	assert_string_equal(id.revocation, "cms:https://cms.example");
	assert_non_null(strstr(chk(&id, "revocation")->detail, "the status answer of "
			       "cms:https://cms.example is the revocation source"));
	assert_int_equal(id.n_checks, 15);

	/* Revoked: a verdict on the part, with the date and the reason */
	src.status = "Revoked";
	src.revoked_at = "2026-01-02T03:04:05Z";
	src.reason = "keyCompromise";
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_CERT);
	c = chk(&id, "cms-status");
	assert_false(c->pass);
	assert_string_equal(c->detail, "Revoked: cms:https://cms.example revoked the certificate "
			    "on 2026-01-02T03:04:05Z, reason keyCompromise: refuse the part");
	assert_int_equal(se_identity_failures(&id), 1);
	assert_non_null(strstr(e.msg, "identity check cms-status failed: Revoked"));
	assert_false(se_identity_status_unknown(&id));	/* a verdict */

	/* Unknown: the manufacturer's CMS never issued it */
	src.status = "Unknown";
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_CERT);
	assert_non_null(strstr(chk(&id, "cms-status")->detail, "Unknown: cms:https://cms.example "
			       "did not issue the certificate"));
	/* Expired, or a word we do not know: only Good passes */
	src.status = "Suspended\x1b[2J";
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_CERT);
	assert_non_null(strstr(chk(&id, "cms-status")->detail, "Suspended?[2J: "));

	/* No answer: not a verdict on the part.  The error comes back (an
	 * ERROR for the step), every other check has still run. */
	src.err = ST_ERR_IO;
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_IO);
	assert_string_equal(e.msg, "the certificate's revocation status is unknown: no answer from "
			    "cms:https://cms.example: cannot reach the CMS at https://cms.example");
	c = chk(&id, "cms-status");
	assert_false(c->pass);
	assert_non_null(strstr(c->detail, "unknown: no answer from cms:https://cms.example"));
	assert_true(se_identity_status_unknown(&id));
	assert_true(chk(&id, "chain")->pass);
	assert_true(chk(&id, "pop")->pass);
	assert_true(chk(&id, "key-usage")->pass);
	assert_int_equal(id.n_checks, 15);

	/* without the source: not asked, not logged */
	src.calls = 0;
	pol.status = NULL;
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_OK);
	assert_int_equal(src.calls, 0);
	assert_null(se_identity_check(&id, "cms-status"));
	assert_string_equal(id.revocation, "none");
	se_close(se);
	se_identity_free(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop_is_bound_to_the_chip_and_its_purpose),
		cmocka_unit_test(test_dns_name_constraints),
		cmocka_unit_test(test_good_identity_with_pop),
		cmocka_unit_test(test_pop_fails_with_a_key_that_is_not_the_ses),
		cmocka_unit_test(test_wrong_leaf_contents),
		cmocka_unit_test(test_chain_failures_are_named),
		cmocka_unit_test(test_no_trust_store_and_bad_chain),
		cmocka_unit_test(test_cms_status_is_a_revocation_source),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
