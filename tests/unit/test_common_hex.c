/* SPDX-License-Identifier: Apache-2.0 */
/* common/hex: the tree's one hex encoder, decoder and SHA-256-to-hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/hex.h"

static void test_encode(void **state)
{
	const uint8_t b[] = { 0x00, 0x9f, 0xa5, 0xff };
	char out[9];

	assert_int_equal(hex_encode(b, sizeof(b), out, sizeof(out), false), ST_OK);
	assert_string_equal(out, "009fa5ff");
	assert_int_equal(hex_encode(b, sizeof(b), out, sizeof(out), true), ST_OK);
	assert_string_equal(out, "009FA5FF");
	assert_int_equal(hex_encode(b, 0, out, 1, false), ST_OK);
	assert_string_equal(out, "");
}

static void test_encode_bounds(void **state)
{
	const uint8_t b[] = { 1, 2, 3, 4 };
	char out[9] = "untouch";

	/* 4 bytes need 9 chars: 8 is one short, and nothing is written */
	assert_int_equal(hex_encode(b, sizeof(b), out, 8, false), ST_ERR_LIMIT);
	assert_string_equal(out, "untouch");
	assert_int_equal(hex_encode(b, 1, out, 0, false), ST_ERR_LIMIT);
}

static void test_decode(void **state)
{
	uint8_t out[4];

	assert_int_equal(hex_decode("00Ff7a", 6, out, sizeof(out)), 3);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(out[2], 0x7a);
	assert_int_equal(hex_decode("abc", 3, out, sizeof(out)), ST_ERR_PARSE);
	assert_int_equal(hex_decode("", 0, out, sizeof(out)), ST_ERR_PARSE);
	assert_int_equal(hex_decode("zz", 2, out, sizeof(out)), ST_ERR_PARSE);
	assert_int_equal(hex_decode("0102030405", 10, out, sizeof(out)), ST_ERR_LIMIT);
}

/* a certificate serial as typed, as the log keeps it (trace's lookup) */
static void test_normalize(void **state)
{
	char out[8];

	(void)state;
	hex_normalize("0A:1b:FF", out, sizeof(out));
	assert_string_equal(out, "0a1bff");
	hex_normalize("0x0A 1B", out, sizeof(out));
	assert_string_equal(out, "0a1b");
	hex_normalize("0123456789", out, sizeof(out));
	assert_string_equal(out, "0123456");	/* cut to fit */
	hex_normalize("", out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_sha256_hex(void **state)
{
	char out[SHA256_HEX_LEN];

	/* FIPS 180-2, appendix B.1 */
	assert_int_equal(sha256_hex("abc", 3, out), ST_OK);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sha256_hex("", 0, out), ST_OK);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_bounds),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
