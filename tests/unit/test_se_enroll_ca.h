/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For the enrolment tests: a manufacturer PKI made in the test (root ->
 * intermediate, another root nobody trusts), a factory identity for the sim
 * SE's slot 0, and a CA callback (se_issue_fn) that signs CSRs the way a CMS
 * would, or fails in one chosen way.
 */
#ifndef TEST_SE_ENROLL_CA_H
#define TEST_SE_ENROLL_CA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "se/se.h"

#define T_ROOT_DN "CN=Enrol Test Root CA,O=Station Test"
#define T_INT_DN "CN=Enrol Test Intermediate CA,O=Station Test"
#define T_OTHER_DN "CN=Nobody Trusts This CA"
#define T_PEM_MAX 4096

/* the sim backend's test hook: the slot's key changes (se_sim.c) */
int se_sim_rekey(struct se *se, int slot);

static struct {
	char dir[64], trust[96], factory_key[96], factory_chain[96];
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context root, inter, other, spare;
	char root_pem[T_PEM_MAX], int_pem[T_PEM_MAX], other_pem[T_PEM_MAX];
} T;

enum ca_mode { CA_GOOD, CA_OTHER_KEY, CA_WRONG_SERIAL, CA_UNKNOWN_ROOT, CA_REKEY, CA_DOWN,
	       CA_BAD_RECORD, CA_GARBAGE, CA_WRONG_CN };

struct ca_ctx {
	enum ca_mode mode;
	const char *serial;	/* the serialNumber the CA puts in the subject */
	struct se *se;		/* for CA_REKEY: the SE whose slot changes key */
	int slot;
	int calls;
	char issued[T_PEM_MAX];
};

static void t_gen_key(mbedtls_pk_context *pk)
{
	mbedtls_pk_init(pk);
	assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
					     mbedtls_ctr_drbg_random, &T.drbg), 0);
}

static void t_issue(char *pem, mbedtls_pk_context *subj, const char *subj_dn,
		    mbedtls_pk_context *iss, const char *iss_dn, int is_ca, int serial)
{
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
	assert_int_equal(mbedtls_x509write_crt_set_validity(&w, "20200101000000",
							    is_ca ? "20491231235959" :
							    "20391231235959"), 0);
	assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, is_ca, -1), 0);
	assert_int_equal(mbedtls_x509write_crt_set_key_usage(&w, is_ca ?
		MBEDTLS_X509_KU_KEY_CERT_SIGN : MBEDTLS_X509_KU_DIGITAL_SIGNATURE), 0);
	assert_int_equal(mbedtls_x509write_crt_pem(&w, (unsigned char *)pem, T_PEM_MAX,
						   mbedtls_ctr_drbg_random, &T.drbg), 0);
	mbedtls_x509write_crt_free(&w);
	mbedtls_mpi_free(&sn);
}

static void t_write(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(a, f);
	if (b)
		fputs(b, f);
	fclose(f);
}

/* The PKI, and slot 0's factory identity for se_open_sim. */
static int tca_setup(void **state)
{
	unsigned char key[1024];
	char leaf[T_PEM_MAX], p[128];
	mbedtls_pk_context factory;

	(void)state;
	snprintf(T.dir, sizeof(T.dir), "/tmp/test_se_enroll_XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	mbedtls_entropy_init(&T.ent);
	mbedtls_ctr_drbg_init(&T.drbg);
	if (mbedtls_ctr_drbg_seed(&T.drbg, mbedtls_entropy_func, &T.ent, NULL, 0))
		return -1;
	t_gen_key(&T.root);
	t_gen_key(&T.inter);
	t_gen_key(&T.other);
	t_gen_key(&T.spare);
	t_gen_key(&factory);
	t_issue(T.root_pem, &T.root, T_ROOT_DN, &T.root, T_ROOT_DN, 1, 1);
	t_issue(T.int_pem, &T.inter, T_INT_DN, &T.root, T_ROOT_DN, 1, 2);
	t_issue(T.other_pem, &T.other, T_OTHER_DN, &T.other, T_OTHER_DN, 1, 3);
	t_issue(leaf, &factory, "CN=SIM000101,serialNumber=SIM000101", &T.inter, T_INT_DN, 0, 4);
	snprintf(T.trust, sizeof(T.trust), "%s/root.crt", T.dir);
	t_write(T.trust, T.root_pem, NULL);
	snprintf(T.factory_chain, sizeof(T.factory_chain), "%s/factory.pem", T.dir);
	t_write(T.factory_chain, leaf, T.int_pem);
	assert_int_equal(mbedtls_pk_write_key_pem(&factory, key, sizeof(key)), 0);
	snprintf(T.factory_key, sizeof(T.factory_key), "%s/factory.key", T.dir);
	t_write(T.factory_key, (char *)key, NULL);
	mbedtls_pk_free(&factory);
	snprintf(p, sizeof(p), "%s", T.dir);
	return 0;
}

static int tca_teardown(void **state)
{
	char p[128];

	(void)state;
	unlink(T.trust);
	unlink(T.factory_chain);
	unlink(T.factory_key);
	snprintf(p, sizeof(p), "%s", T.dir);
	rmdir(p);
	mbedtls_pk_free(&T.root);
	mbedtls_pk_free(&T.inter);
	mbedtls_pk_free(&T.other);
	mbedtls_pk_free(&T.spare);
	mbedtls_ctr_drbg_free(&T.drbg);
	mbedtls_entropy_free(&T.ent);
	return 0;
}

/* SHA-256 of the first certificate of pem, hex: what a CMS calls the thumbprint. */
static void t_thumbprint(const char *pem, char *out)
{
	mbedtls_x509_crt c;
	unsigned char h[32];

	mbedtls_x509_crt_init(&c);
	assert_int_equal(mbedtls_x509_crt_parse(&c, (const unsigned char *)pem, strlen(pem) + 1), 0);
	mbedtls_sha256_ret(c.raw.p, c.raw.len, h, 0);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02X", h[i]);
	mbedtls_x509_crt_free(&c);
}

/* The se_issue_fn: sign the CSR's key with the intermediate, like a CMS. */
static int ca_issue(void *ctx, const char *csr_pem, struct se_enrollment *en, struct st_error *e)
{
	struct ca_ctx *ca = ctx;
	mbedtls_x509_csr csr;
	char dn[128];
	int serial = 0x1000 + ca->calls;

	ca->calls++;
	if (ca->mode == CA_DOWN)
		return st_fail(e, ST_ERR_IO, "cannot reach the CMS: connection refused");
	if (ca->mode == CA_GARBAGE) {
		en->cert_pem = strdup("{\"certificate\": \"not base64\"}");
		return ST_OK;
	}
	mbedtls_x509_csr_init(&csr);
	assert_int_equal(mbedtls_x509_csr_parse(&csr, (const unsigned char *)csr_pem,
						strlen(csr_pem) + 1), 0);
	snprintf(dn, sizeof(dn), "CN=%s,serialNumber=%s",
		 ca->mode == CA_WRONG_CN ? "SIM000102" : ca->serial,
		 ca->mode == CA_WRONG_SERIAL ? "SIM999999" : ca->serial);
	if (ca->mode == CA_UNKNOWN_ROOT)
		t_issue(ca->issued, &csr.pk, dn, &T.other, T_OTHER_DN, 0, serial);
	else
		t_issue(ca->issued, ca->mode == CA_OTHER_KEY ? &T.spare : &csr.pk, dn, &T.inter,
			T_INT_DN, 0, serial);
	mbedtls_x509_csr_free(&csr);
	if (ca->mode == CA_REKEY)
		assert_int_equal(se_sim_rekey(ca->se, ca->slot), ST_OK);
	en->cert_pem = strdup(ca->issued);
	snprintf(en->ca_serial, sizeof(en->ca_serial), "%X",
		 ca->mode == CA_BAD_RECORD ? serial + 1 : serial);
	t_thumbprint(ca->issued, en->ca_thumbprint);
	return ST_OK;
}

#endif
