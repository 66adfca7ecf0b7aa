/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console backend's enrolment commands against a fake board: a
 * transport with console_cmd()'s contract that parses each line like the
 * diagnostic firmware (se keygen N, se csr N SUBJECT, se write-cert N
 * begin|data|end, se cert N, se sign N HEX) and answers from a sim SE.  It
 * checks every line fits the board's 256 bytes and reassembles the base64
 * certificate itself, so the chunking is tested, not assumed.  Then the
 * whole enrolment over the console, a tampered CSR, the SE's refusal, and
 * a firmware that does not know the commands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mbedtls/base64.h>
#include <mbedtls/pem.h>

#include "test_se_enroll_ca.h"

#define LINE_MAX_BOARD 256

struct board {
	struct se *sim;		/* what answers */
	bool old_firmware;	/* knows only se info/cert/sign */
	bool tamper_csr;	/* flips a bit of the CSR's signature */
	char b64[8192];		/* the certificate in transfer */
	size_t b64_len;
	int data_lines;
	int lines;
};

static int answer_pem(const char *pem, char *resp, size_t cap, struct st_error *e)
{
	if (strlen(pem) + 1 > cap)
		return st_fail(e, ST_ERR_LIMIT, "response too long");
	memcpy(resp, pem, strlen(pem) + 1);
	return ST_OK;
}

/* The firmware's "se write-cert N op [data]". */
static int write_cert(struct board *b, int slot, const char *rest, char *resp, size_t cap,
		      struct st_error *e)
{
	unsigned char der[4096], pem[4096];
	size_t n = 0;
	int ret;

	if (!strcmp(rest, "begin")) {
		b->b64_len = 0;
		return ST_OK;
	}
	if (!strncmp(rest, "data ", 5)) {
		assert_int_equal(strlen(rest + 5) % 4, 0);
		memcpy(b->b64 + b->b64_len, rest + 5, strlen(rest + 5));
		b->b64_len += strlen(rest + 5);
		b->data_lines++;
		return ST_OK;
	}
	assert_string_equal(rest, "end");
	assert_int_equal(mbedtls_base64_decode(der, sizeof(der), &n, (unsigned char *)b->b64,
					       b->b64_len), 0);
	assert_int_equal(mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
						  "-----END CERTIFICATE-----\n", der, n, pem,
						  sizeof(pem), &n), 0);
	ret = se_write_cert(b->sim, slot, (char *)pem, e);
	if (ret < 0)	/* the firmware's ERR line carries the part's reason only */
		return st_fail(e, ST_ERR_FAIL, "%s", strstr(e->msg, "certificate does not") ?
			       strstr(e->msg, "certificate does not") : e->msg);
	snprintf(resp, cap, "written: %zu bytes", n);
	return ST_OK;
}

static int fake_xfer(void *ctx, const char *cmd, char *resp, size_t cap, int timeout_ms,
		     struct st_error *e)
{
	struct board *b = ctx;
	uint8_t msg[64], sig[160];
	size_t n = 0;
	int slot, ret;
	char *p;

	assert_true(timeout_ms > 0);
	assert_true(strlen(cmd) < LINE_MAX_BOARD);
	assert_null(strpbrk(cmd, "\r\n"));
	b->lines++;
	resp[0] = '\0';
	if (!strcmp(cmd, "se info"))
		return answer_pem("chip: VaultIC408\nserial: 0011223344556677\nkey: p256", resp,
				  cap, e);
	if (b->old_firmware || strncmp(cmd, "se ", 3) || !strchr(cmd + 3, ' '))
		return st_fail(e, ST_ERR_FAIL, "usage: se info | se cert | se sign <hex>");
	p = strchr(cmd + 3, ' ') + 1;
	slot = p[0] - '0';
	p += p[1] ? 2 : 1;
	if (!strncmp(cmd, "se keygen ", 10))
		return se_keygen(b->sim, slot, e);
	if (!strncmp(cmd, "se csr ", 7)) {
		ret = se_csr(b->sim, slot, p, resp, cap, e);
		if (ret == ST_OK && b->tamper_csr) {
			/* the last base64 line is the end of the signature */
			char *end = strstr(resp, "-----END"), *last = end - 1;

			while (last > resp && last[-1] != '\n')
				last--;
			last[1] = last[1] == 'A' ? 'B' : 'A';
		}
		return ret;
	}
	if (!strncmp(cmd, "se cert ", 8))
		return se_read_cert(b->sim, slot, resp, cap, e);
	if (!strncmp(cmd, "se write-cert ", 14))
		return write_cert(b, slot, p, resp, cap, e);
	if (!strncmp(cmd, "se sign ", 8)) {
		for (n = 0; p[2 * n] && n < sizeof(msg); n++)
			sscanf(p + 2 * n, "%2hhx", &msg[n]);
		ret = se_slot_sign(b->sim, slot, msg, n, sig, sizeof(sig), &n, e);
		strcpy(resp, "sig: ");
		for (size_t i = 0; ret == ST_OK && i < n; i++)
			sprintf(resp + 5 + 2 * i, "%02x", sig[i]);
		return ret;
	}
	return st_fail(e, ST_ERR_FAIL, "unknown command");
}

static struct se *open_board(struct board *b)
{
	struct st_error e = { 0 };
	struct se *se = NULL;

	assert_int_equal(se_open_sim(&b->sim, T.factory_key, T.factory_chain, &e), ST_OK);
	assert_int_equal(se_open_console(&se, fake_xfer, b, 2000, &e), ST_OK);
	return se;
}

static void close_board(struct board *b, struct se *se)
{
	se_close(se);
	se_close(b->sim);
}

static int enroll(struct board *b, struct se *se, struct ca_ctx *ca, struct se_enrollment *en,
		  struct st_error *e)
{
	struct se_policy p = { .trust = T.trust, .expect_serial = "SIM000101" };
	struct se_enroll_req r = {
		.slot = 1, .subject = "CN=SIM000101,serialNumber=SIM000101", .policy = &p,
		.issuers_pem = T.int_pem, .issue = ca_issue, .issue_ctx = ca,
	};

	ca->se = b->sim;
	ca->slot = 1;
	ca->serial = "SIM000101";
	memset(en, 0, sizeof(*en));
	return se_enroll(se, &r, en, e);
}

static void test_console_enroll(void **state)
{
	struct board b = { 0 };
	struct se *se = open_board(&b);
	struct ca_ctx ca = { .mode = CA_GOOD };
	struct se_enrollment en;
	struct st_error e = { 0 };
	char pem[T_PEM_MAX];

	(void)state;
	assert_int_equal(enroll(&b, se, &ca, &en, &e), ST_OK);
	assert_string_equal(en.stage, "done");
	/* the certificate crossed in several bounded lines and arrived whole */
	assert_true(b.data_lines >= 2);
	assert_int_equal(se_read_cert(b.sim, 1, pem, sizeof(pem), &e), ST_OK);
	assert_string_equal(pem, ca.issued);
	assert_string_equal(en.id.chip_serial, "0011223344556677");
	assert_true(se_identity_check(&en.id, "pop")->pass);
	assert_true(se_identity_check(&en.id, "read-back")->pass);
	se_enrollment_free(&en);
	close_board(&b, se);
}

static void test_console_tampered_csr(void **state)
{
	struct board b = { .tamper_csr = true };
	struct se *se = open_board(&b);
	struct ca_ctx ca = { .mode = CA_GOOD };
	struct se_enrollment en;
	struct st_error e = { 0 };

	(void)state;
	assert_int_equal(enroll(&b, se, &ca, &en, &e), ST_ERR_CERT);
	assert_string_equal(en.stage, "csr-check");
	assert_non_null(strstr(e.msg, "csr"));
	assert_false(se_identity_check(&en.id, "csr")->pass);
	assert_int_equal(ca.calls, 0);	/* a bad CSR never reaches the CA */
	se_enrollment_free(&en);
	close_board(&b, se);
}

static void test_console_se_refuses(void **state)
{
	struct board b = { 0 };
	struct se *se = open_board(&b);
	struct ca_ctx ca = { .mode = CA_REKEY };
	struct se_enrollment en;
	struct st_error e = { 0 };

	(void)state;
	assert_int_equal(enroll(&b, se, &ca, &en, &e), ST_ERR_CERT);
	assert_string_equal(en.stage, "write");
	assert_string_equal(e.msg, "the SE refused the certificate: certificate does not match "
			    "the key in slot 1");
	assert_false(se_identity_check(&en.id, "write")->pass);
	assert_null(se_identity_check(&en.id, "read-back"));
	se_enrollment_free(&en);
	close_board(&b, se);
}

static void test_console_old_firmware(void **state)
{
	struct board b = { .old_firmware = true };
	struct se *se = open_board(&b);
	struct ca_ctx ca = { .mode = CA_GOOD };
	struct se_enrollment en;
	struct st_error e = { 0 };

	(void)state;
	assert_int_equal(enroll(&b, se, &ca, &en, &e), ST_ERR_FAIL);
	assert_string_equal(en.stage, "keygen");
	assert_non_null(strstr(e.msg, "se keygen 1"));
	se_enrollment_free(&en);
	close_board(&b, se);
}

static void test_console_bounds(void **state)
{
	struct board b = { 0 };
	struct se *se = open_board(&b);
	struct st_error e = { 0 };
	char subject[300], pem[T_PEM_MAX];

	(void)state;
	/* a subject that would not fit one console line, or would break it */
	memset(subject, 'A', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	memcpy(subject, "CN=", 3);
	assert_int_equal(se_csr(se, 1, subject, pem, sizeof(pem), &e), ST_ERR_ARG);
	assert_int_equal(se_csr(se, 1, "CN=A\nse keygen 2", pem, sizeof(pem), &e), ST_ERR_ARG);
	assert_int_equal(b.lines, 0);
	/* not a certificate: nothing is sent */
	assert_int_equal(se_write_cert(se, 1, "not a certificate", &e), ST_ERR_ARG);
	assert_int_equal(b.lines, 0);
	/* slot numbers out of range never reach the board */
	assert_int_equal(se_keygen(se, SE_SLOTS_MAX, &e), ST_ERR_ARG);
	assert_int_equal(b.lines, 0);
	close_board(&b, se);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_enroll),
		cmocka_unit_test(test_console_tampered_csr),
		cmocka_unit_test(test_console_se_refuses),
		cmocka_unit_test(test_console_old_firmware),
		cmocka_unit_test(test_console_bounds),
	};

	return cmocka_run_group_tests(tests, tca_setup, tca_teardown);
}
