/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity checks on the RFC 8995 (BRSKI) Appendix C example IDevID and
 * its vendor CA (tests/data/rfc8995/): the facts a reviewer can check by
 * hand with openssl, read back through se_identity_check_file().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <mbedtls/base64.h>
#include <mbedtls/x509_crt.h>

#include "se/se.h"

static char leaf_path[1100], ca_path[1100], data_dir[1024];

static int setup(void **state)
{
	const char *top = getenv("ST_TOP");

	(void)state;
	snprintf(data_dir, sizeof(data_dir), "%s/tests/data/rfc8995", top ? top : ".");
	snprintf(leaf_path, sizeof(leaf_path), "%s/idevid_00-D0-E5-F2-00-02.crt", data_dir);
	snprintf(ca_path, sizeof(ca_path), "%s/vendor-ca.crt", data_dir);
	return access(leaf_path, R_OK) == 0 ? 0 : -1;
}

static const struct se_check *must_have(const struct se_identity *id, const char *name)
{
	const struct se_check *c = se_identity_check(id, name);

	if (!c)
		fail_msg("check '%s' missing from the report", name);
	return c;
}

static void test_facts_with_expired_vendor_ca(void **state)
{
	struct se_policy pol = { .trust = ca_path, .skip_pop = true };
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	const struct se_check *c;

	(void)state;
	assert_int_equal(se_identity_check_file(leaf_path, &pol, &id, &e), ST_ERR_CERT);
	assert_string_equal(id.subject_serial, "00-D0-E5-F2-00-02");
	assert_string_equal(id.cert_serial, "0D85DC2D");
	assert_string_equal(id.masa_url, "highway-test.example.com:9443");
	assert_string_equal(id.subject, "serialNumber=00-D0-E5-F2-00-02");
	assert_string_equal(id.issuer,
			    "C=Canada, ST=Ontario, OU=Sandelman, CN=highway-test.example.com CA");
	assert_string_equal(id.not_before, "2020-02-03 06:47:20");
	assert_string_equal(id.not_after, "2999-12-31 00:00:00");
	assert_string_equal(id.key_type, "EC P-256");
	/* sha256sum of the DER, and of `openssl x509 -pubkey | openssl pkey -outform DER` */
	assert_string_equal(id.fingerprint,
			    "3f8ad3325416480126ab485a6eadad2849cdc3d1d1e23eb8bd1c785c11bb794e");
	assert_string_equal(id.spki_sha256,
			    "c211bfe591bea4e460bfc686ece9c676819ae730395aecb451f4c9f024e9ad23");

	c = must_have(&id, "chain");
	assert_false(c->pass);
	assert_non_null(strstr(c->detail, "the issuer 'C=Canada, ST=Ontario, OU=Sandelman, "
				"CN=highway-test.example.com CA' expired on 2021-02-11 22:22:21 UTC"));
	/* The chain fails, and the serialNumber: RFC 8995's example encodes it as
	 * a UTF8String where X.520 says PrintableString (the claim is kept). */
	assert_int_equal(se_identity_failures(&id), 2);
	assert_false(must_have(&id, "serialNumber")->pass);
	assert_non_null(strstr(must_have(&id, "serialNumber")->detail,
			       "00-D0-E5-F2-00-02 is encoded as a UTF8String"));
	assert_string_equal(id.subject_serial, "00-D0-E5-F2-00-02");
	assert_string_equal(id.masa_encoding, "UTF8String");
	assert_true(must_have(&id, "masa-url")->pass);
	assert_true(must_have(&id, "not-after")->pass);
	assert_true(must_have(&id, "basic-constraints")->pass);
	assert_string_equal(must_have(&id, "basic-constraints")->detail, "CA:FALSE");
	assert_true(must_have(&id, "key-type")->pass);
	assert_null(se_identity_check(&id, "pop"));
	assert_non_null(strstr(e.msg, "chain"));
	assert_non_null(strstr(e.msg, "expired on 2021-02-11"));
	assert_non_null(strstr(id.pem_chain, "-----BEGIN CERTIFICATE-----\nMIIB"));
	se_identity_free(&id);
}

/* DPP: K: is the compressed-point SPKI; its X and parity are the cert's. */
static void test_dpp_uri_is_the_certificate_key(void **state)
{
	struct se_policy pol = { .trust = ca_path, .skip_pop = true };
	struct se_identity id = { 0 };
	mbedtls_x509_crt crt;
	unsigned char der[128], x[32];
	const char *k, *end;
	size_t n = 0;
	const mbedtls_ecp_keypair *ec;

	(void)state;
	se_identity_check_file(leaf_path, &pol, &id, NULL);
	assert_string_equal(id.dpp_uri, "DPP:I:SN=00-D0-E5-F2-00-02;K:MDkwEwYHKoZIzj0CAQYIKo"
			    "ZIzj0DAQcDIgADA6N1Q4ezfMAKmoecrfb0OBMc1AyEH+BATkF58FsTSyA=;;");
	k = strstr(id.dpp_uri, ";K:") + 3;
	end = strstr(k, ";;");
	assert_int_equal(mbedtls_base64_decode(der, sizeof(der), &n, (const unsigned char *)k,
					       (size_t)(end - k)), 0);
	assert_int_equal(n, 59);
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, leaf_path), 0);
	ec = mbedtls_pk_ec(crt.pk);
	assert_int_equal(mbedtls_mpi_write_binary(&ec->Q.X, x, sizeof(x)), 0);
	assert_memory_equal(der + 27, x, 32);
	assert_int_equal(der[26], 0x02 | mbedtls_mpi_get_bit(&ec->Q.Y, 0));
	mbedtls_x509_crt_free(&crt);
	se_identity_free(&id);
}

static void test_trust_directory_and_serial_policy(void **state)
{
	struct se_policy pol = { .trust = data_dir, .skip_pop = true,
				 .expect_serial = "00-D0-E5-F2-00-03" };
	struct se_identity id = { 0 };
	const struct se_check *c;

	(void)state;
	/* The directory holds README.md too: only *.crt / *.pem are read. */
	assert_int_equal(se_identity_check_file(leaf_path, &pol, &id, NULL), ST_ERR_CERT);
	assert_non_null(strstr(must_have(&id, "chain")->detail, "expired on 2021-02-11"));
	c = must_have(&id, "serialNumber");
	assert_false(c->pass);
	assert_non_null(strstr(c->detail, "names '00-D0-E5-F2-00-02' but this board is "
				"'00-D0-E5-F2-00-03'"));
	pol.expect_serial = "00-D0-E5-F2-00-02";
	se_identity_check_file(leaf_path, &pol, &id, NULL);
	/* the right serial, in the wrong string type */
	assert_non_null(strstr(must_have(&id, "serialNumber")->detail, "UTF8String"));
	se_identity_free(&id);
}

static void test_unknown_issuer_and_required_masa(void **state)
{
	struct se_policy pol = { .trust = leaf_path, .skip_pop = true };
	struct se_identity id = { 0 };
	char want[1400];

	(void)state;
	/* Trusting only the leaf itself: its issuer is nowhere. */
	assert_int_equal(se_identity_check_file(leaf_path, &pol, &id, NULL), ST_ERR_CERT);
	snprintf(want, sizeof(want), "issuer 'C=Canada, ST=Ontario, OU=Sandelman, "
		 "CN=highway-test.example.com CA' is not in the trust store %s", leaf_path);
	assert_non_null(strstr(must_have(&id, "chain")->detail, want));

	/* The vendor CA checked as if it were a device identity. */
	pol.trust = ca_path;
	pol.require_masa = true;
	assert_int_equal(se_identity_check_file(ca_path, &pol, &id, NULL), ST_ERR_CERT);
	assert_false(must_have(&id, "masa-url")->pass);
	assert_false(must_have(&id, "serialNumber")->pass);
	assert_false(must_have(&id, "basic-constraints")->pass);
	assert_non_null(strstr(must_have(&id, "key-type")->detail, "EC P-384"));
	assert_non_null(strstr(must_have(&id, "not-after")->detail, "expired on 2021-02-11"));
	assert_non_null(strstr(must_have(&id, "chain")->detail,
			       "the certificate 'C=Canada, ST=Ontario, OU=Sandelman, "
			       "CN=highway-test.example.com CA' expired on 2021-02-11 22:22:21"));
	se_identity_free(&id);
}

static void test_der_input_and_unreadable_files(void **state)
{
	struct se_policy pol = { .trust = ca_path, .skip_pop = true };
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	char der_path[] = "/tmp/test_se_rfc8995_XXXXXX";
	mbedtls_x509_crt crt;
	FILE *f;
	int fd;

	(void)state;
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, leaf_path), 0);
	fd = mkstemp(der_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	fwrite(crt.raw.p, 1, crt.raw.len, f);
	fclose(f);
	mbedtls_x509_crt_free(&crt);
	assert_int_equal(se_identity_check_file(der_path, &pol, &id, &e), ST_ERR_CERT);
	assert_string_equal(id.cert_serial, "0D85DC2D");
	assert_string_equal(id.masa_url, "highway-test.example.com:9443");
	unlink(der_path);

	assert_int_equal(se_identity_check_file("/nonexistent/idevid.crt", &pol, &id, &e),
			 ST_ERR_IO);
	assert_non_null(strstr(e.msg, "cannot read /nonexistent/idevid.crt"));
	pol.trust = "/nonexistent/trust";
	assert_int_equal(se_identity_check_file(leaf_path, &pol, &id, &e), ST_ERR_IO);
	assert_non_null(strstr(e.msg, "trust store /nonexistent/trust"));
	se_identity_free(&id);
}

static void test_report_lines(void **state)
{
	struct se_policy pol = { .trust = ca_path, .skip_pop = true };
	struct se_identity id = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	se_identity_check_file(leaf_path, &pol, &id, NULL);
	f = open_memstream(&out, &len);
	se_identity_print(f, &id);
	fclose(f);
	assert_non_null(strstr(out, "\nFAIL serialNumber       00-D0-E5-F2-00-02 is encoded as "
			       "a UTF8String"));
	assert_non_null(strstr(out, "\nPASS masa-url           highway-test.example.com:9443"));
	assert_non_null(strstr(out, "\nFAIL chain              the issuer 'C=Canada"));
	assert_non_null(strstr(out, "\nserial       0D85DC2D\n"));
	assert_non_null(strstr(out, "\nresult: FAIL (2 of 12 checks failed)\n"));
	free(out);
	se_identity_free(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts_with_expired_vendor_ca),
		cmocka_unit_test(test_dpp_uri_is_the_certificate_key),
		cmocka_unit_test(test_trust_directory_and_serial_policy),
		cmocka_unit_test(test_unknown_issuer_and_required_masa),
		cmocka_unit_test(test_der_input_and_unreadable_files),
		cmocka_unit_test(test_report_lines),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
