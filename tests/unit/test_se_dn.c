/* SPDX-License-Identifier: Apache-2.0 */
/*
 * se_dn_str / se_bytes_str (se/se_dn.c): a certificate's names as text,
 * the values as the certificate says them: valid UTF-8 kept (control
 * characters too: whoever shows the text escapes it), other bytes and NUL
 * as \xNN, a BMPString decoded, RFC 4514's specials escaped, a multi-valued
 * RDN joined with " + ", an attribute without a short name by its OID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <mbedtls/oid.h>

#include "se/se-internal.h"

static mbedtls_x509_name attr(const char *oid, size_t oid_len, int tag, const void *val,
			      size_t len)
{
	mbedtls_x509_name n = { 0 };

	n.oid.tag = MBEDTLS_ASN1_OID;
	n.oid.p = (unsigned char *)oid;
	n.oid.len = oid_len;
	n.val.tag = tag;
	n.val.p = (unsigned char *)val;
	n.val.len = len;
	return n;
}

#define AT(x) MBEDTLS_OID_AT_##x, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_##x)

static void test_values_as_received(void **state)
{
	static const char cn[] = "Board \x1b[2J\nX\xc2\x9b\xe2\x80\xae";	/* valid UTF-8 */
	static const char o[] = "=a,b+c;d\\e\"f<g>#h";			/* RFC 4514's specials */
	static const char ou[] = "bad \xff\xc3 and \0nul";		/* not UTF-8, a NUL */
	mbedtls_x509_name n[3];
	char out[256];

	(void)state;
	n[0] = attr(AT(CN), MBEDTLS_ASN1_UTF8_STRING, cn, sizeof(cn) - 1);
	n[1] = attr(AT(ORGANIZATION), MBEDTLS_ASN1_UTF8_STRING, o, sizeof(o) - 1);
	n[2] = attr(AT(ORG_UNIT), MBEDTLS_ASN1_UTF8_STRING, ou, sizeof(ou) - 1);
	n[0].next = &n[1];
	n[1].next = &n[2];
	se_dn_str(n, out, sizeof(out));
	assert_string_equal(out, "CN=Board \x1b[2J\nX\xc2\x9b\xe2\x80\xae, "
			    "O=\\=a\\,b\\+c\\;d\\\\e\\\"f\\<g\\>\\#h, "
			    "OU=bad \\xff\\xc3 and \\x00nul");
}

static void test_bmp_merged_unknown(void **state)
{
	/* BMPString "Grüße" + U+202E, then a lone surrogate and an odd byte */
	static const unsigned char bmp[] = { 0, 'G', 0, 'r', 0, 0xfc, 0, 0xdf, 0, 'e',
					     0x20, 0x2e, 0xd8, 0x00, 0x41 };
	static const char oid[] = "\x2b\x06\x01\x04\x01\x83\xb2\x03\x07";	/* 1.3.6.1.4.1.55555.7 */
	mbedtls_x509_name n[3];
	char out[128];

	(void)state;
	n[0] = attr(AT(CN), MBEDTLS_ASN1_BMP_STRING, bmp, sizeof(bmp));
	n[1] = attr(AT(SERIAL_NUMBER), MBEDTLS_ASN1_PRINTABLE_STRING, "SIM1", 4);
	n[2] = attr(oid, sizeof(oid) - 1, MBEDTLS_ASN1_UTF8_STRING, "x", 1);
	n[0].next = &n[1];
	n[0].next_merged = 1;	/* CN + serialNumber: one RDN */
	n[1].next = &n[2];
	se_dn_str(n, out, sizeof(out));
	assert_string_equal(out, "CN=Gr\xc3\xbc\xc3\x9f" "e\xe2\x80\xae\\xd8\\x00\\x41 + "
			    "serialNumber=SIM1, 1.3.6.1.4.1.55555.7=x");
}

static void test_cut_whole_characters(void **state)
{
	static const char cn[] = "ab\xe2\x80\xae";
	mbedtls_x509_name n;
	char out[8], b[6];

	(void)state;
	n = attr(AT(CN), MBEDTLS_ASN1_UTF8_STRING, cn, sizeof(cn) - 1);
	se_dn_str(&n, out, sizeof(out));	/* "CN=ab" + 3 bytes do not fit in 7 */
	assert_string_equal(out, "CN=ab");
	assert_string_equal(se_bytes_str((const unsigned char *)"a\0\xff", 3, b, sizeof(b)),
			    "a\\x00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_as_received),
		cmocka_unit_test(test_bmp_merged_unknown),
		cmocka_unit_test(test_cut_whole_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
