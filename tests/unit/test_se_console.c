/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console backend against a scripted transport with console_cmd()'s
 * contract: the lines before OK as the body, ST_ERR_FAIL with the reason on
 * "ERR reason", ST_ERR_LIMIT when the body does not fit.  Good answers,
 * garbage, a board without an SE, an oversized chain; then the whole
 * identity step over the console with the RFC 8995 example chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "se/se.h"

/* What the fake board answers to each command. */
struct board {
	const char *info;
	const char *cert;
	const char *sig;
	const char *err;	/* when set: every command answers "ERR <err>" */
	char last_cmd[512];
	int calls;
};

static int fake_xfer(void *ctx, const char *cmd, char *resp, size_t cap, int timeout_ms,
		     struct st_error *e)
{
	struct board *b = ctx;
	const char *body = "";

	assert_true(timeout_ms > 0);
	snprintf(b->last_cmd, sizeof(b->last_cmd), "%s", cmd);
	b->calls++;
	if (b->err)
		return st_fail(e, ST_ERR_FAIL, "%s", b->err);
	if (!strcmp(cmd, "se info"))
		body = b->info;
	else if (!strcmp(cmd, "se cert"))
		body = b->cert;
	else if (!strncmp(cmd, "se sign ", 8))
		body = b->sig;
	else
		return st_fail(e, ST_ERR_FAIL, "unknown command");
	if (strlen(body) + 1 > cap)
		return st_fail(e, ST_ERR_LIMIT, "response longer than %zu bytes", cap);
	memcpy(resp, body, strlen(body) + 1);
	return ST_OK;
}

static char *slurp(const char *name)
{
	const char *top = getenv("ST_TOP");
	char p[1100];
	char *buf = calloc(1, 8192);
	FILE *f;

	snprintf(p, sizeof(p), "%s/tests/data/rfc8995/%s", top ? top : ".", name);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, 8191, f) > 0);
	fclose(f);
	return buf;
}

static struct se *open_board(struct board *b)
{
	struct se *se = NULL;
	struct st_error e = { 0 };

	assert_int_equal(se_open_console(&se, fake_xfer, b, 2000, &e), ST_OK);
	assert_string_equal(se->ops->name, "console");
	return se;
}

static void test_good_answers(void **state)
{
	char *leaf = slurp("idevid_00-D0-E5-F2-00-02.crt"), *ca = slurp("vendor-ca.crt");
	char cert[16384], serial[64], pem[16384];
	struct board b = { .info = "chip: VaultIC408\nserial: 00A1B2C3D4E5F607\nkey: p256",
			   .sig = "sig: 3006020101020102" };
	struct st_error e = { 0 };
	uint8_t sig[160];
	size_t n = 0;
	struct se *se;

	(void)state;
	/* Noise around the PEM (a prompt, CRs) is not part of the chain. */
	snprintf(cert, sizeof(cert), "se> \r\n%s%s\r", leaf, ca);
	b.cert = cert;
	se = open_board(&b);
	assert_int_equal(se->ops->info(se, serial, sizeof(serial), &e), ST_OK);
	assert_string_equal(serial, "00A1B2C3D4E5F607");
	assert_int_equal(se->ops->cert_chain(se, pem, sizeof(pem), &e), ST_OK);
	assert_memory_equal(pem, "-----BEGIN CERTIFICATE-----", 27);
	assert_non_null(strstr(pem, ca + 28));
	assert_string_equal(pem + strlen(pem) - 26, "-----END CERTIFICATE-----\n");
	assert_int_equal(se->ops->sign(se, (const uint8_t *)"\x01\xab\xff", 3, sig, sizeof(sig),
				       &n, &e), ST_OK);
	assert_string_equal(b.last_cmd, "se sign 01abff");
	assert_int_equal(n, 8);
	assert_memory_equal(sig, "\x30\x06\x02\x01\x01\x02\x01\x02", 8);
	se_close(se);
	free(leaf);
	free(ca);
}

static void test_garbage_is_a_protocol_error(void **state)
{
	struct board b = { .info = "\x01\x02\xfe garbage\nserial 12", .cert = "no pem here",
			   .sig = "sig: 30zz" };
	struct st_error e = { 0 };
	char buf[4096];
	uint8_t sig[160];
	size_t n;
	struct se *se;

	(void)state;
	se = open_board(&b);
	assert_int_equal(se->ops->info(se, buf, sizeof(buf), &e), ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "'se info' has no valid 'serial: <hex>' line"));
	assert_non_null(strstr(e.msg, "\\x01\\x02\\xfe garbage|serial 12"));
	assert_non_null(strstr(e.msg, "check the diagnostic firmware"));
	b.info = "serial: 12XY";
	assert_int_equal(se->ops->info(se, buf, sizeof(buf), &e), ST_ERR_PROTO);
	assert_int_equal(se->ops->cert_chain(se, buf, sizeof(buf), &e), ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "holds no PEM certificate (got 'no pem here')"));
	assert_int_equal(se->ops->sign(se, (const uint8_t *)"a", 1, sig, sizeof(sig), &n, &e),
			 ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "signature is not hex"));
	b.sig = "OKAY";
	assert_int_equal(se->ops->sign(se, (const uint8_t *)"a", 1, sig, sizeof(sig), &n, &e),
			 ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "no 'sig: <hex>' line"));
	/* A signature longer than the caller's buffer is refused, not copied. */
	b.sig = "sig: 0102030405";
	assert_int_equal(se->ops->sign(se, (const uint8_t *)"a", 1, sig, 4, &n, &e),
			 ST_ERR_PROTO);
	assert_non_null(strstr(e.msg, "longer than any ECDSA signature"));
	se_close(se);
}

static void test_board_without_se(void **state)
{
	struct board b = { .err = "no secure element" };
	struct se_identity id = { 0 };
	struct se_policy pol = { 0 };
	struct st_error e = { 0 };
	struct se *se;

	(void)state;
	se = open_board(&b);
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_FAIL);
	assert_string_equal(e.msg, "the board reports no secure element: check the SE is fitted");
	assert_int_equal(b.calls, 1);
	b.err = "busy";
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_FAIL);
	assert_string_equal(e.msg, "se info: busy");
	se_close(se);
	se_identity_free(&id);
}

static void test_oversized_chain(void **state)
{
	struct board b = { .info = "serial: 01" };
	struct se_identity id = { 0 };
	struct se_policy pol = { 0 };
	struct st_error e = { 0 };
	size_t big = 40 * 1024;
	char *cert = malloc(big + 1);
	struct se *se;

	(void)state;
	memset(cert, 'A', big);
	memcpy(cert, "-----BEGIN CERTIFICATE-----\n", 28);
	cert[big] = '\0';
	b.cert = cert;
	se = open_board(&b);
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_LIMIT);
	assert_non_null(strstr(e.msg, "the board's answer to 'se cert' is longer than"));
	se_close(se);
	free(cert);
	se_identity_free(&id);
}

static void test_identity_over_the_console(void **state)
{
	char *leaf = slurp("idevid_00-D0-E5-F2-00-02.crt"), *ca = slurp("vendor-ca.crt");
	struct board b = { .info = "chip: VaultIC408\nserial: 0123456789ABCDEF\nkey: p256" };
	const char *top = getenv("ST_TOP");
	struct se_identity id = { 0 };
	struct st_error e = { 0 };
	char cert[16384], trust[1100];
	struct se_policy pol = { .trust = trust, .skip_pop = true };
	struct se *se;

	(void)state;
	snprintf(cert, sizeof(cert), "%s%s", leaf, ca);
	snprintf(trust, sizeof(trust), "%s/tests/data/rfc8995/vendor-ca.crt", top ? top : ".");
	b.cert = cert;
	se = open_board(&b);
	assert_int_equal(se_identity_read(se, &pol, &id, &e), ST_ERR_CERT);
	assert_string_equal(id.chip_serial, "0123456789ABCDEF");
	assert_string_equal(id.cert_serial, "0D85DC2D");
	assert_string_equal(id.subject_serial, "00-D0-E5-F2-00-02");
	assert_string_equal(id.masa_url, "highway-test.example.com:9443");
	assert_non_null(strstr(se_identity_check(&id, "chain")->detail, "expired on 2021-02-11"));
	assert_non_null(strstr(e.msg, "expired on 2021-02-11"));
	se_close(se);
	free(leaf);
	free(ca);
	se_identity_free(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_answers),
		cmocka_unit_test(test_garbage_is_a_protocol_error),
		cmocka_unit_test(test_board_without_se),
		cmocka_unit_test(test_oversized_chain),
		cmocka_unit_test(test_identity_over_the_console),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
