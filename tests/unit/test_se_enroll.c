/* SPDX-License-Identifier: Apache-2.0 */
/*
 * On-chip enrolment on the sim backend: the slot ops one by one, then
 * se_enroll() end to end against a CA made in the test, and each stage's
 * failure: a CA that is down, an answer that is not a certificate, a
 * certificate for another key (never written), the wrong serialNumber, an
 * unknown root, a CA whose record disagrees, an SE that refuses the
 * certificate because its key changed after the CSR, and a backend without
 * the enrolment slots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_se_enroll_ca.h"

static struct se *open_sim(void)
{
	struct st_error e = { 0 };
	struct se *se = NULL;

	assert_int_equal(se_open_sim(&se, T.factory_key, T.factory_chain, &e), ST_OK);
	return se;
}

static void test_slot_ops(void **state)
{
	char pem[T_PEM_MAX], issued[T_PEM_MAX];
	struct st_error e = { 0 };
	struct se *se = open_sim();
	mbedtls_x509_csr csr;
	uint8_t sig[160], h[32];
	size_t n = 0;

	(void)state;
	/* slot 0 is the factory identity; no key yet in slot 2 */
	assert_int_equal(se_keygen(se, 0, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "slot 0 is the factory identity"));
	assert_int_equal(se_csr(se, 2, "CN=X", pem, sizeof(pem), &e), ST_ERR_FAIL);
	assert_string_equal(e.msg, "slot 2 has no key: se keygen 2 first");
	assert_int_equal(se_keygen(se, 2, &e), ST_OK);
	assert_int_equal(se_read_cert(se, 2, pem, sizeof(pem), &e), ST_ERR_FAIL);
	assert_string_equal(e.msg, "slot 2 holds no certificate");
	/* a CSR with the slot's key and the subject asked for */
	assert_int_equal(se_csr(se, 2, "CN=SIM000102,serialNumber=SIM000102", pem, sizeof(pem),
				&e), ST_OK);
	mbedtls_x509_csr_init(&csr);
	assert_int_equal(mbedtls_x509_csr_parse(&csr, (unsigned char *)pem, strlen(pem) + 1), 0);
	assert_int_equal(se_csr(se, 2, "XX=bogus", pem, sizeof(pem), &e), ST_ERR_FAIL);
	assert_non_null(strstr(e.msg, "bad subject"));
	/* the SE signs with the slot's key: verify with the CSR's */
	assert_int_equal(se_slot_sign(se, 2, (const uint8_t *)"nonce", 5, sig, sizeof(sig), &n,
				      &e), ST_OK);
	mbedtls_sha256_ret((const uint8_t *)"nonce", 5, h, 0);
	assert_int_equal(mbedtls_pk_verify(&csr.pk, MBEDTLS_MD_SHA256, h, 32, sig, n), 0);
	/* the slot keeps only a certificate for its own key */
	t_issue(issued, &T.spare, "CN=SIM000102", &T.inter, T_INT_DN, 0, 77);
	assert_int_equal(se_write_cert(se, 2, issued, &e), ST_ERR_FAIL);
	assert_string_equal(e.msg, "the SE refused the certificate: certificate does not match "
			    "the key in slot 2");
	t_issue(issued, &csr.pk, "CN=SIM000102", &T.inter, T_INT_DN, 0, 78);
	assert_int_equal(se_write_cert(se, 2, issued, &e), ST_OK);
	assert_int_equal(se_read_cert(se, 2, pem, sizeof(pem), &e), ST_OK);
	assert_string_equal(pem, issued);
	/* a new key drops the old certificate */
	assert_int_equal(se_keygen(se, 2, &e), ST_OK);
	assert_int_equal(se_read_cert(se, 2, pem, sizeof(pem), &e), ST_ERR_FAIL);
	mbedtls_x509_csr_free(&csr);
	se_close(se);
}

/* An online revocation source (the station's asks the CMS): what it says
 * of every certificate, or no answer (err). */
static struct {
	const char *status;
	int err;
	int calls;
} S;

static int status_fn(void *ctx, const char *leaf_pem, struct se_status_answer *a,
		     struct st_error *e)
{
	S.calls++;
	if (S.err < 0)
		return st_fail(e, S.err, "cannot reach the CMS");
	snprintf(a->status, sizeof(a->status), "%s", S.status);
	return ST_OK;
}

static int enroll(struct se *se, struct ca_ctx *ca, struct se_enrollment *en,
		  struct st_error *e)
{
	struct se_policy p = { .trust = T.trust, .expect_serial = "SIM000101" };

	if (S.status || S.err) {
		p.status = status_fn;
		p.status_source = "cms:test";
	}
	struct se_enroll_req r = {
		.slot = 1, .subject = "CN=SIM000101,serialNumber=SIM000101", .policy = &p,
		.issuers_pem = T.int_pem, .issue = ca_issue, .issue_ctx = ca,
	};

	ca->se = se;
	ca->slot = 1;
	if (!ca->serial)
		ca->serial = "SIM000101";
	memset(en, 0, sizeof(*en));
	return se_enroll(se, &r, en, e);
}

static void test_enroll_good(void **state)
{
	struct ca_ctx ca = { .mode = CA_GOOD };
	struct se_enrollment en;
	struct st_error e = { 0 };
	struct se *se = open_sim();
	char pem[T_PEM_MAX];
	/* the identity step's checks (critical-ext ... key-usage), and the
	 * enrolment's own */
	const char *names[] = { "csr", "chain", "critical-ext", "path-length",
				"name-constraints", "anchor", "ext-key-usage", "revocation",
				"serialNumber", "masa-url", "not-after", "key-type",
				"basic-constraints", "key-usage", "cert-key", "cert-name",
				"ca-record", "write", "read-back", "pop" };

	(void)state;
	assert_int_equal(enroll(se, &ca, &en, &e), ST_OK);
	assert_string_equal(en.stage, "done");
	assert_int_equal(ca.calls, 1);
	assert_int_equal(se_identity_failures(&en.id), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_non_null(se_identity_check(&en.id, names[i]));
		assert_true(se_identity_check(&en.id, names[i])->pass);
	}
	/* the record: the new certificate's fields, the SE's serial, the proof */
	assert_string_equal(en.id.cert_serial, "1000");
	assert_string_equal(en.id.subject_serial, "SIM000101");
	assert_int_equal(strlen(en.id.chip_serial), 16);
	assert_int_equal(strlen(en.id.nonce), 64);
	assert_true(strlen(en.id.signature) > 100);
	assert_memory_equal(en.id.dpp_uri, "DPP:I:SN=SIM000101;K:", 21);
	assert_memory_equal(en.csr_pem, "-----BEGIN CERTIFICATE REQUEST-----", 35);
	/* the chain logged is leaf + intermediate */
	assert_non_null(strstr(en.id.pem_chain + 30, "-----BEGIN CERTIFICATE-----"));
	/* and the SE holds what the CA issued */
	assert_int_equal(se_read_cert(se, 1, pem, sizeof(pem), &e), ST_OK);
	assert_string_equal(pem, ca.issued);
	se_enrollment_free(&en);
	se_close(se);
}

/* A failed enrolment: its stage, its check, and nothing written to the SE
 * when the certificate was bad. */
static void expect_fail(enum ca_mode mode, int want_ret, const char *stage, const char *check,
			const char *detail, bool written)
{
	struct ca_ctx ca = { .mode = mode };
	struct se_enrollment en;
	struct st_error e = { 0 };
	struct se *se = open_sim();
	const struct se_check *c;
	char pem[T_PEM_MAX];

	assert_int_equal(enroll(se, &ca, &en, &e), want_ret);
	assert_string_equal(en.stage, stage);
	if (check) {
		c = se_identity_check(&en.id, check);
		assert_non_null(c);
		assert_false(c->pass);
		if (!strstr(c->detail, detail))
			fail_msg("check %s: '%s' lacks '%s'", check, c->detail, detail);
		assert_true(strstr(e.msg, check) || strstr(e.msg, detail));
	} else {
		assert_non_null(strstr(e.msg, detail));
	}
	assert_int_equal(se_read_cert(se, 1, pem, sizeof(pem), &e),
			 written ? ST_OK : ST_ERR_FAIL);
	se_enrollment_free(&en);
	se_close(se);
}

static void test_enroll_ca_down(void **state)
{
	(void)state;
	expect_fail(CA_DOWN, ST_ERR_IO, "issue", NULL, "cannot reach the CMS", false);
}

static void test_enroll_garbage(void **state)
{
	(void)state;
	expect_fail(CA_GARBAGE, ST_ERR_CERT, "cert-check", "chain",
		    "the CA's answer is not a certificate chain", false);
}

static void test_enroll_other_key(void **state)
{
	(void)state;
	expect_fail(CA_OTHER_KEY, ST_ERR_CERT, "cert-check", "cert-key",
		    "the certificate's public key is not the one in the CSR", false);
}

static void test_enroll_wrong_serial(void **state)
{
	(void)state;
	expect_fail(CA_WRONG_SERIAL, ST_ERR_CERT, "cert-check", "serialNumber",
		    "SIM999999", false);
}

static void test_enroll_wrong_cn(void **state)
{
	(void)state;
	expect_fail(CA_WRONG_CN, ST_ERR_CERT, "cert-check", "cert-name",
		    "the certificate names CN=SIM000102 but the unit is CN=SIM000101: the CA "
		    "issued it for another unit; refuse it", false);
}

/* The CMS's status answer for the issued certificate: only Good is
 * written; no answer is an error at cert-check, nothing written either. */
static void test_enroll_cms_status(void **state)
{
	struct ca_ctx ca = { .mode = CA_GOOD };
	struct se_enrollment en;
	struct st_error e = { 0 };
	struct se *se = open_sim();

	(void)state;
	S.status = "Good";
	assert_int_equal(enroll(se, &ca, &en, &e), ST_OK);
	assert_true(se_identity_check(&en.id, "cms-status")->pass);
	assert_string_equal(en.id.revocation, "cms:test");
	assert_int_equal(S.calls, 1);
	se_enrollment_free(&en);
	se_close(se);
	S.status = "Revoked";
	expect_fail(CA_GOOD, ST_ERR_CERT, "cert-check", "cms-status",
		    "Revoked: cms:test revoked the certificate: refuse the part", false);
	S.status = NULL;
	S.err = ST_ERR_IO;
	expect_fail(CA_GOOD, ST_ERR_IO, "cert-check", "cms-status",
		    "unknown: no answer from cms:test: cannot reach the CMS", false);
	S.err = 0;
}

/* A certificate the slot already holds, to be kept: the checks a new one
 * gets, then the slot's proof of its key. */
static void test_kept_certificate_is_checked(void **state)
{
	struct ca_ctx ca = { .mode = CA_GOOD };
	struct se_policy p = { .trust = T.trust, .expect_serial = "SIM000101" };
	struct se_enroll_req r = { .slot = 1, .subject = "CN=SIM000101,serialNumber=SIM000101",
				   .policy = &p, .issuers_pem = T.int_pem };
	struct se_enrollment en, kept = { 0 };
	struct st_error e = { 0 };
	struct se *se = open_sim();
	char pem[T_PEM_MAX];

	(void)state;
	assert_int_equal(enroll(se, &ca, &en, &e), ST_OK);
	se_enrollment_free(&en);
	assert_int_equal(se_read_cert(se, 1, pem, sizeof(pem), &e), ST_OK);
	/* this unit's: kept, every check ran, possession proven */
	assert_int_equal(se_enroll_check_kept(se, &r, pem, &kept, &e), ST_OK);
	assert_string_equal(kept.stage, "kept");
	assert_true(se_identity_check(&kept.id, "critical-ext")->pass);
	assert_true(se_identity_check(&kept.id, "cert-name")->pass);
	assert_true(se_identity_check(&kept.id, "pop")->pass);
	se_enrollment_free(&kept);
	/* moved into another unit's SE: its names are not this unit's */
	memset(&kept, 0, sizeof(kept));
	r.subject = "CN=SIM000102,serialNumber=SIM000102";
	p.expect_serial = "SIM000102";
	assert_int_equal(se_enroll_check_kept(se, &r, pem, &kept, &e), ST_ERR_CERT);
	assert_string_equal(se_identity_check(&kept.id, "cert-name")->detail,
			    "the certificate names CN=SIM000101 but the unit is CN=SIM000102: the "
			    "CA issued it for another unit; refuse it");
	se_enrollment_free(&kept);
	/* the slot's key is no longer the certificate's */
	memset(&kept, 0, sizeof(kept));
	r.subject = "CN=SIM000101,serialNumber=SIM000101";
	p.expect_serial = "SIM000101";
	assert_int_equal(se_sim_rekey(se, 1), ST_OK);
	assert_int_equal(se_enroll_check_kept(se, &r, pem, &kept, &e), ST_ERR_CERT);
	assert_false(se_identity_check(&kept.id, "pop")->pass);
	assert_true(se_identity_check(&kept.id, "cert-name")->pass);
	se_enrollment_free(&kept);
	se_close(se);
}

static void test_enroll_unknown_root(void **state)
{
	(void)state;
	expect_fail(CA_UNKNOWN_ROOT, ST_ERR_CERT, "cert-check", "chain", T_OTHER_DN, false);
}

static void test_enroll_bad_record(void **state)
{
	(void)state;
	expect_fail(CA_BAD_RECORD, ST_ERR_CERT, "cert-check", "ca-record",
		    "the CA says it issued serial 1001 but the certificate's serial is 1000",
		    false);
}

static void test_enroll_se_refuses(void **state)
{
	(void)state;
	expect_fail(CA_REKEY, ST_ERR_CERT, "write", "write", "the SE refused the certificate: "
		    "certificate does not match the key in slot 1", false);
}

static int no_info(struct se *se, char *serial, size_t cap, struct st_error *e)
{
	snprintf(serial, cap, "00");
	return ST_OK;
}

static void test_enroll_not_supported(void **state)
{
	static const struct se_ops bare = { .name = "bare", .info = no_info };
	struct se se = { .ops = &bare };
	struct ca_ctx ca = { .mode = CA_GOOD };
	struct se_enrollment en;
	struct st_error e = { 0 };

	(void)state;
	assert_int_equal(enroll(&se, &ca, &en, &e), ST_ERR_NOTSUP);
	assert_string_equal(en.stage, "keygen");
	assert_non_null(strstr(e.msg, "the bare SE backend cannot generate a key"));
	assert_int_equal(ca.calls, 0);
	se_enrollment_free(&en);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_ops),
		cmocka_unit_test(test_enroll_good),
		cmocka_unit_test(test_enroll_ca_down),
		cmocka_unit_test(test_enroll_garbage),
		cmocka_unit_test(test_enroll_other_key),
		cmocka_unit_test(test_enroll_wrong_serial),
		cmocka_unit_test(test_enroll_unknown_root),
		cmocka_unit_test(test_enroll_wrong_cn),
		cmocka_unit_test(test_enroll_cms_status),
		cmocka_unit_test(test_kept_certificate_is_checked),
		cmocka_unit_test(test_enroll_bad_record),
		cmocka_unit_test(test_enroll_se_refuses),
		cmocka_unit_test(test_enroll_not_supported),
	};

	return cmocka_run_group_tests(tests, tca_setup, tca_teardown);
}
