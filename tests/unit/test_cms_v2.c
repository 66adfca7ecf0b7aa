// SPDX-License-Identifier: Apache-2.0
/*
 * The v2 and EST response parsers on bodies from third-party tools: the
 * PKCS#7 answers were written by `openssl crl2pkcs7`, not by cms-sim, so a
 * shared misreading of RFC 5652 cannot pass unnoticed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mbedtls/x509_crt.h>

#include "cms/cms.h"
#include "cms/cms-internal.h"

/* openssl crl2pkcs7 -nocrl of a cms-sim-issued certificate, base64 wrapped at 76 */
static const char p7_one[] =
	"MIICNgYJKoZIhvcNAQcCoIICJzCCAiMCAQExADALBgkqhkiG9w0BBwGgggILMIICBzCCAaygAwIB\n"
	"AgIQTyAvUPehwPKQTBMJyRQz8zAMBggqhkjOPQQDAgUAMFYxMTAvBgNVBAMMKFN0YXRpb24gU2lt\n"
	"IE1hbnVmYWN0dXJlciBJbnRlcm1lZGlhdGUgQ0ExITAfBgNVBAoMGFN0YXRpb24gU2ltIE1hbnVm\n"
	"YWN0dXJlcjAeFw0yNjExMjUxNDAzNTRaFw0yNjEyMjUxNDA0NTRaMCQxDTALBgNVBAUTBFNJTTEx\n"
	"EzARBgNVBAMMCkJvYXJkIFNJTTEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATTJ1DFuPDzWViD\n"
	"GITwgbZrnTNJQHAi7Xtb/oI5taD7m9KI5u/C5rYcRujCc/uQHDIJk6YYD+IePvzxQnkRtJRko4GL\n"
	"MIGIMAkGA1UdEwQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQWBBSz7v2cwWQ8sjOoSe1VBbdY\n"
	"z1hT7TAfBgNVHSMEGDAWgBQNYod06UgbNPF696Wh4m1ejkLl6DArBggrBgEFBQcBIAQfFh1tYXNh\n"
	"LnN0YXRpb24tc2ltLmV4YW1wbGU6OTQ0MzAMBggqhkjOPQQDAgUAA0cAMEQCIEFMWHT4QbEnpjQT\n"
	"GH7jGTRps0duxApbrJbHB3Fu6CV8AiA20wpduJlJzj7ymEbD/CN9my8FyAs/I/TFwKT6/ukuEDEA\n";
/* the same with the intermediate CA first */
static const char p7_two[] =
	"MIIEPQYJKoZIhvcNAQcCoIIELjCCBCoCAQExADALBgkqhkiG9w0BBwGgggQSMIICAzCCAaig"
	"AwIBAgIIbTEGjaNH46cwDAYIKoZIzj0EAwIFADBOMSkwJwYDVQQDDCBTdGF0aW9uIFNpbSBN"
	"YW51ZmFjdHVyZXIgUm9vdCBDQTEhMB8GA1UECgwYU3RhdGlvbiBTaW0gTWFudWZhY3R1cmVy"
	"MB4XDTI0MDEwMTAwMDAwMFoXDTQ5MTIzMTIzNTk1OVowVjExMC8GA1UEAwwoU3RhdGlvbiBT"
	"aW0gTWFudWZhY3R1cmVyIEludGVybWVkaWF0ZSBDQTEhMB8GA1UECgwYU3RhdGlvbiBTaW0g"
	"TWFudWZhY3R1cmVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE85CO6jM4rwh6+dWrEMjK"
	"DU2mmeuC8hFHkns+ksPm/f7+o9wFEY6mABH2CqokimlZKcKWbNer7w9FcKuK7D38TKNmMGQw"
	"EgYDVR0TAQH/BAgwBgEB/wIBADAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFA1ih3TpSBs0"
	"8Xr3paHibV6OQuXoMB8GA1UdIwQYMBaAFOcoqh2WuW8VnnSJwB2S9nUvK/rMMAwGCCqGSM49"
	"BAMCBQADRwAwRAIgWZWIG2zwLyCnLPYV9A5OHVHOwKM28mkIGXRqbB6mqNsCIApnkNvWOqSu"
	"GtseDmH+UUWx8IM0yhRnPFgHWW2n49blMIICBzCCAaygAwIBAgIQTyAvUPehwPKQTBMJyRQz"
	"8zAMBggqhkjOPQQDAgUAMFYxMTAvBgNVBAMMKFN0YXRpb24gU2ltIE1hbnVmYWN0dXJlciBJ"
	"bnRlcm1lZGlhdGUgQ0ExITAfBgNVBAoMGFN0YXRpb24gU2ltIE1hbnVmYWN0dXJlcjAeFw0y"
	"NjExMjUxNDAzNTRaFw0yNjEyMjUxNDA0NTRaMCQxDTALBgNVBAUTBFNJTTExEzARBgNVBAMM"
	"CkJvYXJkIFNJTTEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATTJ1DFuPDzWViDGITwgbZr"
	"nTNJQHAi7Xtb/oI5taD7m9KI5u/C5rYcRujCc/uQHDIJk6YYD+IePvzxQnkRtJRko4GLMIGI"
	"MAkGA1UdEwQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQWBBSz7v2cwWQ8sjOoSe1VBbdY"
	"z1hT7TAfBgNVHSMEGDAWgBQNYod06UgbNPF696Wh4m1ejkLl6DArBggrBgEFBQcBIAQfFh1t"
	"YXNhLnN0YXRpb24tc2ltLmV4YW1wbGU6OTQ0MzAMBggqhkjOPQQDAgUAA0cAMEQCIEFMWHT4"
	"QbEnpjQTGH7jGTRps0duxApbrJbHB3Fu6CV8AiA20wpduJlJzj7ymEbD/CN9my8FyAs/I/TF"
	"wKT6/ukuEDEA";
/* that certificate, base64 DER */
static const char cert_b64[] =
	"MIICBzCCAaygAwIBAgIQTyAvUPehwPKQTBMJyRQz8zAMBggqhkjOPQQDAgUAMFYxMTAvBgNV"
	"BAMMKFN0YXRpb24gU2ltIE1hbnVmYWN0dXJlciBJbnRlcm1lZGlhdGUgQ0ExITAfBgNVBAoM"
	"GFN0YXRpb24gU2ltIE1hbnVmYWN0dXJlcjAeFw0yNjExMjUxNDAzNTRaFw0yNjEyMjUxNDA0"
	"NTRaMCQxDTALBgNVBAUTBFNJTTExEzARBgNVBAMMCkJvYXJkIFNJTTEwWTATBgcqhkjOPQIB"
	"BggqhkjOPQMBBwNCAATTJ1DFuPDzWViDGITwgbZrnTNJQHAi7Xtb/oI5taD7m9KI5u/C5rYc"
	"RujCc/uQHDIJk6YYD+IePvzxQnkRtJRko4GLMIGIMAkGA1UdEwQCMAAwDgYDVR0PAQH/BAQD"
	"AgeAMB0GA1UdDgQWBBSz7v2cwWQ8sjOoSe1VBbdYz1hT7TAfBgNVHSMEGDAWgBQNYod06Ugb"
	"NPF696Wh4m1ejkLl6DArBggrBgEFBQcBIAQfFh1tYXNhLnN0YXRpb24tc2ltLmV4YW1wbGU6"
	"OTQ0MzAMBggqhkjOPQQDAgUAA0cAMEQCIEFMWHT4QbEnpjQTGH7jGTRps0duxApbrJbHB3Fu"
	"6CV8AiA20wpduJlJzj7ymEbD/CN9my8FyAs/I/TFwKT6/ukuEA==";

#define FP "3445EE165E66248C4349094CD00431763659250E"	/* SHA-1, INeS's thumbprint */

/* The subject of a PEM certificate, as mbedTLS prints it. */
static void subject_of(const char *pem, char *out, size_t cap)
{
	mbedtls_x509_crt crt;

	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1), 0);
	assert_true(mbedtls_x509_dn_gets(out, cap, &crt.subject) > 0);
	mbedtls_x509_crt_free(&crt);
}

static void test_est_one_certificate(void **state)
{
	struct st_error e = { 0 };
	char *pem = NULL, subj[256];

	assert_int_equal(cms_est_parse_pkcs7(p7_one, strlen(p7_one), &pem, &e), ST_OK);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	subject_of(pem, subj, sizeof(subj));
	assert_string_equal(subj, "serialNumber=SIM1, CN=Board SIM1");
	free(pem);
}

static void test_est_picks_the_end_entity(void **state)
{
	struct st_error e = { 0 };
	char *pem = NULL, subj[256];

	assert_int_equal(cms_est_parse_pkcs7(p7_two, strlen(p7_two), &pem, &e), ST_OK);
	subject_of(pem, subj, sizeof(subj));
	assert_string_equal(subj, "serialNumber=SIM1, CN=Board SIM1");
	free(pem);
}

static void test_est_refuses_what_is_not_pkcs7(void **state)
{
	struct st_error e = { 0 };
	char *pem = NULL, cut[200];

	assert_int_equal(cms_est_parse_pkcs7("%%%%", 4, &pem, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "base64"));
	/* a bare certificate is a SEQUENCE, but its first member is no OID */
	assert_int_equal(cms_est_parse_pkcs7(cert_b64, strlen(cert_b64), &pem, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "not a certs-only PKCS#7"));
	/* cut short: the lengths promise more than there is */
	snprintf(cut, sizeof(cut), "%.120s", p7_two);
	assert_int_equal(cms_est_parse_pkcs7(cut, strlen(cut), &pem, &e), ST_ERR_PARSE);
	assert_null(pem);
}

static void test_v2_auth(void **state)
{
	struct st_error e = { 0 };
	char tok[128];
	int exp = 0;
	const char *good = "{\"access_token\":\"abc123\",\"token_type\":\"Bearer\",\"expires_in\":600}";
	const char *noexp = "{\"access_token\":\"abc123\"}";

	assert_int_equal(cms_v2_parse_auth(good, strlen(good), 200, tok, sizeof(tok), &exp, &e), ST_OK);
	assert_string_equal(tok, "abc123");
	assert_int_equal(exp, 600);
	assert_int_equal(cms_v2_parse_auth(noexp, strlen(noexp), 200, tok, sizeof(tok), &exp, &e), ST_OK);
	assert_int_equal(exp, 300);
	assert_int_equal(cms_v2_parse_auth("{\"token\":\"x\"}", 13, 200, tok, sizeof(tok), &exp, &e),
			 ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "access_token"));
	assert_int_equal(cms_v2_parse_auth("{\"access_token\":\"a b\"}", 22, 200, tok, sizeof(tok),
					   &exp, &e), ST_ERR_PARSE);
	assert_int_equal(cms_v2_parse_auth("{\"access_", 9, 200, tok, sizeof(tok), &exp, &e),
			 ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "malformed JSON"));
}

static void test_v2_certificate(void **state)
{
	struct cms_enroll_result res = { 0 };
	struct st_error e = { 0 };
	char body[4096], subj[256];

	snprintf(body, sizeof(body), "{\"certificate\":\"%s\",\"certificate_id\":\"cert-000001\","
		 "\"serial_number\":\"4f202f50f7a1c0f2904c1309c91433f3\"}", cert_b64);
	assert_int_equal(cms_v2_parse_certificate(body, strlen(body), 201, &res, &e), ST_OK);
	assert_string_equal(res.certificate_id, "cert-000001");
	assert_string_equal(res.serial_number, "4f202f50f7a1c0f2904c1309c91433f3");
	/* no thumbprint in the answer: the client computes the SHA-1 itself */
	assert_string_equal(res.thumbprint, FP);
	subject_of(res.cert_pem, subj, sizeof(subj));
	assert_string_equal(subj, "serialNumber=SIM1, CN=Board SIM1");
	cms_enroll_result_free(&res);
	assert_null(res.cert_pem);

	/* INeS ids are integers; a string is accepted as well (opaque) */
	snprintf(body, sizeof(body), "{\"certificate\":\"%s\",\"certificate_id\":4711}", cert_b64);
	assert_int_equal(cms_v2_parse_certificate(body, strlen(body), 200, &res, &e), ST_OK);
	assert_string_equal(res.certificate_id, "4711");
	assert_string_equal(res.serial_number, "4f202f50f7a1c0f2904c1309c91433f3");
	cms_enroll_result_free(&res);
	snprintf(body, sizeof(body), "{\"certificate\":\"%s\",\"certificate_id\":-1}", cert_b64);
	assert_int_equal(cms_v2_parse_certificate(body, strlen(body), 200, &res, &e), ST_ERR_PARSE);
	cms_enroll_result_free(&res);
	snprintf(body, sizeof(body), "{\"certificate_id\":\"c\",\"serial_number\":\"01\"}");
	assert_int_equal(cms_v2_parse_certificate(body, strlen(body), 201, &res, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "certificate"));
	snprintf(body, sizeof(body), "{\"certificate\":\"@@@\",\"certificate_id\":\"c\","
		 "\"serial_number\":\"01\"}");
	assert_int_equal(cms_v2_parse_certificate(body, strlen(body), 201, &res, &e), ST_ERR_PARSE);
	assert_null(res.cert_pem);
}

static void test_v2_status(void **state)
{
	struct cms_result res = { 0 };
	struct st_error e = { 0 };
	const char *a = "{\"status\":\"Revoked\",\"detail\":\"revoked\",\"reason\":"
			"\"keyCompromise\",\"revocationDate\":\"2026-01-02T03:04:05Z\"}";
	const char *b = "{\"status\":\"Good\",\"status\":\"Revoked\"}";
	const char *c = "{\"detail\":\"x\"}";

	assert_int_equal(cms_v2_parse_status(a, strlen(a), 200, &res, &e), ST_OK);
	assert_string_equal(res.cert_status, "Revoked");
	assert_string_equal(res.reason, "keyCompromise");
	assert_string_equal(res.revoked_at, "2026-01-02T03:04:05Z");
	assert_int_equal(cms_v2_parse_status(b, strlen(b), 200, &res, &e), ST_ERR_PARSE);
	assert_int_equal(cms_v2_parse_status(c, strlen(c), 200, &res, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "status"));
}

/* A renewal answered after the station's timeout is found by CN and key;
 * an older certificate for the same key (it ends earlier) is not it, one
 * issued in the same second as the certificate renewed may be (t_enroll_renew
 * failed in CI when the two rekeys fell within one second). */
static void test_renewal_candidate(void **state)
{
	(void)state;
	assert_true(cms_renewal_candidate("2027-12-05T19:04:59Z", "2027-12-05T19:04:59Z"));
	assert_true(cms_renewal_candidate("2027-12-05T19:05:00Z", "2027-12-05T19:04:59Z"));
	assert_false(cms_renewal_candidate("2027-12-05T19:04:57Z", "2027-12-05T19:04:59Z"));
	assert_false(cms_renewal_candidate("2026-12-05T19:04:59Z", "2027-12-05T19:04:59Z"));
	assert_true(cms_renewal_candidate("2020-01-01T00:00:00Z", NULL));
}

static void test_protocols_and_leaf(void **state)
{
	char *leaf;

	/* the backend table: what each protocol can do */
	assert_string_equal(cms_proto_name(cms_proto_find("v2")), "v2");
	assert_string_equal(cms_proto_name(cms_proto_find("est")), "est");
	assert_string_equal(cms_proto_name(NULL), "v1");
	assert_null(cms_proto_find("v3"));
	assert_string_equal(cms_proto_names(), "v2, est, v1");
	assert_true(cms_can_register(cms_proto_find("v2")) && cms_can_enroll(cms_proto_find("v2")));
	assert_false(cms_can_register(cms_proto_find("est")));
	assert_false(cms_can_enroll(cms_proto_find("v1")));
	assert_true(cms_proto_needs_mtls(cms_proto_find("est")));
	assert_false(cms_proto_needs_mtls(cms_proto_find("v1")));
	leaf = cms_leaf_pem("-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n"
			    "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n");
	assert_string_equal(leaf, "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----");
	free(leaf);
	assert_null(cms_leaf_pem("no certificate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_est_one_certificate),
		cmocka_unit_test(test_est_picks_the_end_entity),
		cmocka_unit_test(test_est_refuses_what_is_not_pkcs7),
		cmocka_unit_test(test_v2_auth),
		cmocka_unit_test(test_v2_certificate),
		cmocka_unit_test(test_v2_status),
		cmocka_unit_test(test_renewal_candidate),
		cmocka_unit_test(test_protocols_and_leaf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
