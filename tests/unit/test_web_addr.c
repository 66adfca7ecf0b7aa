/* SPDX-License-Identifier: Apache-2.0 */
/* The server's address rules (web/server.c): HOST:PORT and [V6]:PORT parsed
 * or refused with the reason, which addresses are loopback (a listen
 * anywhere else needs HTTPS and a token), and the token comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "web/web.h"

static void parses(const char *in, const char *host, unsigned port)
{
	struct st_error e = { 0 };
	char h[64];
	unsigned p = 99999;

	assert_int_equal(web_listen_parse(in, h, sizeof(h), &p, &e), ST_OK);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void refused(const char *in)
{
	struct st_error e = { 0 };
	char h[64];
	unsigned p;

	assert_int_equal(web_listen_parse(in, h, sizeof(h), &p, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "HOST:PORT"));
}

static void test_listen(void **state)
{
	(void)state;
	parses("127.0.0.1:8080", "127.0.0.1", 8080);
	parses("0.0.0.0:0", "0.0.0.0", 0);
	parses("[::1]:443", "::1", 443);
	parses("[fe80::1]:65535", "fe80::1", 65535);
	refused("127.0.0.1");
	refused("127.0.0.1:");
	refused(":8080");
	refused("127.0.0.1:65536");
	refused("127.0.0.1:80x");
	refused("[]:80");
}

static void test_loopback(void **state)
{
	(void)state;
	assert_true(web_is_loopback("127.0.0.1"));
	assert_true(web_is_loopback("127.255.0.9"));
	assert_true(web_is_loopback("::1"));
	assert_false(web_is_loopback("0.0.0.0"));
	assert_false(web_is_loopback("10.0.0.1"));
	assert_false(web_is_loopback("128.0.0.1"));
	assert_false(web_is_loopback("::"));
	assert_false(web_is_loopback("::ffff:10.0.0.1"));
	assert_false(web_is_loopback("localhost"));	/* names are not resolved */
}

static void test_secret(void **state)
{
	(void)state;
	assert_true(web_secret_equal("0123456789abcdef", "0123456789abcdef"));
	assert_false(web_secret_equal("0123456789abcdeF", "0123456789abcdef"));
	assert_false(web_secret_equal("0123456789abcde", "0123456789abcdef"));
	assert_false(web_secret_equal("0123456789abcdef0", "0123456789abcdef"));
	assert_false(web_secret_equal("", "0123456789abcdef"));
	assert_false(web_secret_equal("x", ""));
	/* a repeat of a short secret is not that secret */
	assert_false(web_secret_equal("abab", "ab"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
