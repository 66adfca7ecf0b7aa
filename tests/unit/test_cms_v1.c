// SPDX-License-Identifier: Apache-2.0
/*
 * cms_parse_response on the answers a CMS gives (and the ones it should not),
 * and the request checks cms_register makes before touching the network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cms/cms.h"

static int parse(const char *body, int status, struct cms_result *res, struct st_error *e)
{
	memset(res, 0, sizeof(*res));
	st_error_clear(e);
	return cms_parse_response(body, body ? strlen(body) : 0, status, res, e);
}

static void test_registered_201(void **state)
{
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_int_equal(parse("{\"id\":\"reg-000007\",\"status\":\"registered\","
			       "\"serial\":\"SIM000001\",\"cert_serial\":\"4be2\"}", 201, &res, &e),
			 ST_OK);
	assert_string_equal(res.id, "reg-000007");
	assert_string_equal(res.status, "registered");
	assert_int_equal(res.http_status, 201);
}

static void test_already_registered_200(void **state)
{
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_int_equal(parse("{\"id\":\"reg-000001\",\"status\":\"already-registered\"}",
			       200, &res, &e), ST_OK);
	assert_string_equal(res.id, "reg-000001");
	assert_string_equal(res.status, "already-registered");
	assert_int_equal(res.http_status, 200);
}

static void test_conflict_409(void **state)
{
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_int_equal(parse("{\"error\":\"conflict\",\"message\":\"serial SIM000001 is "
			       "already registered (reg-000001) with another certificate\"}",
			       409, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 409);
	assert_string_equal(res.status, "failed");
	assert_string_equal(res.id, "");
	assert_non_null(strstr(e.msg, "HTTP 409"));
	assert_non_null(strstr(e.msg, "reg-000001"));
	assert_non_null(strstr(e.msg, "cloned identity"));
}

static void test_refusals_name_the_fix(void **state)
{
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_int_equal(parse("{\"error\":\"unauthorized\",\"message\":\"wrong key\"}", 401,
			       &res, &e), ST_ERR_HTTP);
	assert_non_null(strstr(e.msg, "cms.api_key_file"));
	assert_int_equal(parse("{\"error\":\"bad-request\",\"message\":\"certificate chain does "
			       "not verify\"}", 400, &res, &e), ST_ERR_HTTP);
	assert_non_null(strstr(e.msg, "HTTP 400"));
	assert_non_null(strstr(e.msg, "does not verify"));
	/* A proxy's HTML error page: still the status, not a parse error. */
	assert_int_equal(parse("<html>Bad Gateway</html>", 502, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 502);
	assert_non_null(strstr(e.msg, "HTTP 502"));
	assert_true(cms_is_unavailable(ST_ERR_HTTP, &res));
}

static void test_server_text_is_sanitised(void **state)
{
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_int_equal(parse("{\"message\":\"evil\\u001b[2Jline\\nbreak\"}", 400, &res, &e),
			 ST_ERR_HTTP);
	assert_null(strchr(e.msg, '\033'));
	assert_null(strchr(e.msg, '\n'));
	assert_non_null(strstr(e.msg, "evil?[2Jline?break"));
}

static void test_malformed(void **state)
{
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_int_equal(parse("{\"id\": \"reg-0000", 200, &res, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "malformed JSON"));
	assert_string_equal(res.status, "failed");
	assert_int_equal(parse("", 201, &res, &e), ST_ERR_PARSE);
	assert_int_equal(parse(NULL, 201, &res, &e), ST_ERR_PARSE);
	assert_int_equal(parse("[\"registered\"]", 201, &res, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "not an object"));
	assert_int_equal(parse("{\"id\":\"a\",\"id\":\"b\",\"status\":\"registered\"}", 201,
			       &res, &e), ST_ERR_PARSE);
}

static void test_missing_or_bad_fields(void **state)
{
	struct cms_result res;
	struct st_error e;
	char body[256];

	(void)state;
	assert_int_equal(parse("{\"status\":\"registered\"}", 201, &res, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "\"id\""));
	assert_int_equal(parse("{\"id\":\"reg-1\"}", 201, &res, &e), ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "\"status\""));
	assert_int_equal(parse("{\"id\":7,\"status\":\"registered\"}", 201, &res, &e),
			 ST_ERR_PARSE);
	assert_int_equal(parse("{\"id\":\"reg-1\",\"status\":\"maybe\"}", 201, &res, &e),
			 ST_ERR_PARSE);
	assert_non_null(strstr(e.msg, "maybe"));
	snprintf(body, sizeof(body), "{\"id\":\"%070d\",\"status\":\"registered\"}", 1);
	assert_int_equal(parse(body, 201, &res, &e), ST_ERR_PARSE);
	assert_string_equal(res.status, "failed");
	assert_string_equal(res.id, "");
}

static void test_oversized(void **state)
{
	static const char ok[] = "{\"id\":\"reg-1\",\"status\":\"registered\"}";
	size_t n = CMS_RESPONSE_MAX + 100;
	char *big = malloc(n + 1);
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, ok, strlen(ok));
	big[n] = '\0';
	assert_int_equal(cms_parse_response(big, n, 201, &res, &e), ST_ERR_LIMIT);
	/* The same JSON within the limit parses: the size alone was refused. */
	assert_int_equal(cms_parse_response(big, CMS_RESPONSE_MAX, 201, &res, &e), ST_OK);
	free(big);
}

static void test_request_checks(void **state)
{
	struct cms_config c = { .url = "http://127.0.0.1:1", .api_key = "k", .attempts = 1 };
	struct cms_request r = { .serial = "SIM1", .cert_pem = "-----BEGIN" };
	struct cms_result res;
	struct st_error e;

	(void)state;
	assert_int_equal(cms_register(&c, &r, &res, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "not https://"));
	assert_int_equal(res.attempts, 0);
	c.url = "https://127.0.0.1:1";
	c.api_key = "secret\n";
	assert_int_equal(cms_register(&c, &r, &res, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "control character"));
	assert_null(strstr(e.msg, "secret"));
	c.api_key = NULL;
	assert_int_equal(cms_register(&c, &r, &res, &e), ST_ERR_ARG);
	c.api_key = "k";
	r.serial = NULL;
	assert_int_equal(cms_register(&c, &r, &res, &e), ST_ERR_ARG);
	assert_string_equal(res.status, "failed");
}

static void test_unavailable_classes(void **state)
{
	struct cms_result res = { .http_status = 409 };

	(void)state;
	assert_false(cms_is_unavailable(ST_ERR_HTTP, &res));
	assert_false(cms_is_unavailable(ST_ERR_TLS, &res));
	assert_true(cms_is_unavailable(ST_ERR_IO, &res));
	assert_true(cms_is_unavailable(ST_ERR_TIMEOUT, &res));
	res.http_status = 503;
	assert_true(cms_is_unavailable(ST_ERR_HTTP, &res));
}

static int setup(void **state)
{
	(void)state;
	return cms_global_init() == ST_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_201),
		cmocka_unit_test(test_already_registered_200),
		cmocka_unit_test(test_conflict_409),
		cmocka_unit_test(test_refusals_name_the_fix),
		cmocka_unit_test(test_server_text_is_sanitised),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_missing_or_bad_fields),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_request_checks),
		cmocka_unit_test(test_unavailable_classes),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
