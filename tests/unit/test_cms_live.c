// SPDX-License-Identifier: Apache-2.0
/*
 * The CMS client against the real simulator: $BINDIR/mkpki makes the PKI in a
 * temporary directory, each test starts its own $BINDIR/cms-sim (real HTTPS
 * on a free port) with the faults it needs, and drives cms_register.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "common/log.h"
#include "cms/cms.h"

#define API_KEY "live-test-key-7f3a"

static char dir[256];
static char bindir[256];

struct sim {
	pid_t pid;
	char url[64];
	char db[512];	/* what cms-sim recorded, as JSON lines */
};

static void path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *pki(const char *name)
{
	char p[512];

	path(p, sizeof(p), name);
	return slurp(p);
}

static int run_wait(char *const argv[])
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Start cms-sim with up to two --fault specs; wait for its --port-file. */
static void sim_start(struct sim *s, const char *fault1, const char *fault2)
{
	static int n;
	char exe[512], cert[512], key[512], trust[512], pf[512], log[512];
	const char *argv[20];
	int i = 0, tries, fd;
	FILE *f;
	unsigned port = 0;

	snprintf(exe, sizeof(exe), "%s/cms-sim", bindir);
	path(cert, sizeof(cert), "pki/cms-server.crt");
	path(key, sizeof(key), "pki/cms-server.key");
	path(trust, sizeof(trust), "pki/trust/root-ca.crt");
	snprintf(pf, sizeof(pf), "%s/port-%d", dir, ++n);
	snprintf(s->db, sizeof(s->db), "%s/db-%d.jsonl", dir, n);
	snprintf(log, sizeof(log), "%s/cms-sim-%d.log", dir, n);
	argv[i++] = exe;
	argv[i++] = "--cert"; argv[i++] = cert;
	argv[i++] = "--key"; argv[i++] = key;
	argv[i++] = "--trust"; argv[i++] = trust;
	argv[i++] = "--api-key"; argv[i++] = API_KEY;
	argv[i++] = "--port-file"; argv[i++] = pf;
	argv[i++] = "--db"; argv[i++] = s->db;
	if (fault1) { argv[i++] = "--fault"; argv[i++] = fault1; }
	if (fault2) { argv[i++] = "--fault"; argv[i++] = fault2; }
	argv[i] = NULL;
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	/* Bounded wait for readiness: the port file appears once it listens. */
	for (tries = 0; tries < 500 && !port; tries++) {
		f = fopen(pf, "r");
		if (f) {
			if (fscanf(f, "%u", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (!port)
			sleep_ms(20);
	}
	assert_true(port > 0);
	snprintf(s->url, sizeof(s->url), "https://localhost:%u", port);
}

static void sim_stop(struct sim *s)
{
	int st;

	/* It ends cleanly on SIGTERM: exit 0 (under ASan, also without leaks). */
	kill(s->pid, SIGTERM);
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static struct cms_config cfg(const struct sim *s, int attempts)
{
	static char ca[512];
	struct cms_config c = {
		.url = s->url, .ca_file = ca, .api_key = API_KEY,
		.timeout_ms = 5000, .attempts = attempts, .backoff_ms = 10,
	};

	path(ca, sizeof(ca), "pki/cms-ca.crt");
	return c;
}

/* A request as the station sends it: the leaf, and the chain with the leaf first. */
struct ident {
	char *cert, *chain, *full;
	struct cms_request req;
};

static void ident_load(struct ident *id, const char *name, const char *serial)
{
	char f[256];

	snprintf(f, sizeof(f), "pki/%s.crt", name);
	id->cert = pki(f);
	snprintf(f, sizeof(f), "pki/%s.chain.pem", name);
	id->chain = pki(f);
	id->full = malloc(strlen(id->cert) + strlen(id->chain) + 1);
	assert_non_null(id->full);
	strcpy(id->full, id->cert);
	strcat(id->full, id->chain);
	id->req = (struct cms_request){
		.serial = serial, .chip_serial = "CHIP-01", .cert_pem = id->cert,
		.chain_pem = id->full, .station = "st-live", .fixture = "fx-1",
	};
}

static void ident_free(struct ident *id)
{
	free(id->cert);
	free(id->chain);
	free(id->full);
}

static int count_lines(const char *p, const char *needle)
{
	FILE *f = fopen(p, "r");
	char line[16384];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_register_then_idempotent(void **state)
{
	struct cms_result res, again;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, NULL, NULL);
	c = cfg(&s, 3);
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_OK);
	assert_int_equal(res.http_status, 201);
	assert_string_equal(res.status, "registered");
	assert_string_equal(res.id, "reg-000001");
	assert_int_equal(res.attempts, 1);
	assert_int_equal(cms_register(&c, &id.req, &again, &e), ST_OK);
	assert_int_equal(again.http_status, 200);
	assert_string_equal(again.status, "already-registered");
	assert_string_equal(again.id, res.id);
	sim_stop(&s);
	/* The CMS side: exactly one record, for this serial and station. */
	assert_int_equal(count_lines(s.db, "\"serial\":\"SIM000001\""), 1);
	assert_int_equal(count_lines(s.db, "\"station\":\"st-live\""), 1);
	ident_free(&id);
}

static void test_conflicts_409(void **state)
{
	struct ident b1, b2, clone;
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct sim s;

	(void)state;
	sim_start(&s, NULL, NULL);
	c = cfg(&s, 3);
	ident_load(&b1, "board-1", "SIM000001");
	ident_load(&b2, "board-2", "SIM000001");	/* same serial, another cert */
	ident_load(&clone, "clone", "SIM000002");	/* board-1's cert, another serial */
	assert_int_equal(cms_register(&c, &b1.req, &res, &e), ST_OK);
	assert_int_equal(cms_register(&c, &b2.req, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 409);
	assert_int_equal(res.attempts, 1);
	assert_string_equal(res.status, "failed");
	assert_non_null(strstr(e.msg, "another certificate"));
	assert_false(cms_is_unavailable(ST_ERR_HTTP, &res));
	assert_int_equal(cms_register(&c, &clone.req, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 409);
	assert_non_null(strstr(e.msg, "already registered under serial SIM000001"));
	sim_stop(&s);
	assert_int_equal(count_lines(s.db, "\"id\""), 1);
	ident_free(&b1);
	ident_free(&b2);
	ident_free(&clone);
}

static void test_bad_key_401(void **state)
{
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, NULL, NULL);
	c = cfg(&s, 3);
	c.api_key = "wrong-key-123";
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 401);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(e.msg, "cms.api_key_file"));
	assert_null(strstr(e.msg, "wrong-key-123"));
	sim_stop(&s);
	ident_free(&id);
}

/* The manufacturer root vouches for chains, not for the CMS's TLS server. */
static void test_untrusted_server_cert(void **state)
{
	char root[512];
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, NULL, NULL);
	c = cfg(&s, 3);
	path(root, sizeof(root), "pki/root-ca.crt");
	c.ca_file = root;
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_ERR_TLS);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(e.msg, "certificate verification"));
	assert_false(cms_is_unavailable(ST_ERR_TLS, &res));
	sim_stop(&s);
	assert_int_equal(count_lines(s.db, "SIM000001"), 0);
	ident_free(&id);
}

static void test_retries_through_outage(void **state)
{
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, "fail-first=2", NULL);
	c = cfg(&s, 3);
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_OK);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(res.http_status, 201);
	assert_string_equal(res.status, "registered");
	sim_stop(&s);
	assert_int_equal(count_lines(s.db, "SIM000001"), 1);
	ident_free(&id);
}

static void test_outage_outlasts_attempts(void **state)
{
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, "fail-first=5", NULL);
	c = cfg(&s, 3);
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(res.http_status, 503);
	assert_non_null(strstr(e.msg, "after 3 attempts"));
	assert_true(cms_is_unavailable(ST_ERR_HTTP, &res));
	sim_stop(&s);
	assert_int_equal(count_lines(s.db, "SIM000001"), 0);
	ident_free(&id);
}

static void test_server_down(void **state)
{
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;
	int ret;

	(void)state;
	sim_start(&s, NULL, NULL);
	sim_stop(&s);	/* nothing listens on its port any more */
	c = cfg(&s, 4);
	ident_load(&id, "board-1", "SIM000001");
	ret = cms_register(&c, &id.req, &res, &e);
	assert_int_equal(ret, ST_ERR_IO);
	assert_int_equal(res.attempts, 4);
	assert_int_equal(res.http_status, 0);
	assert_non_null(strstr(e.msg, "cannot reach the CMS"));
	assert_true(cms_is_unavailable(ret, &res));
	ident_free(&id);
}

static void test_malformed_answer(void **state)
{
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, "malformed", NULL);
	c = cfg(&s, 3);
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_ERR_PARSE);
	assert_int_equal(res.attempts, 1);
	assert_string_equal(res.status, "failed");
	assert_non_null(strstr(e.msg, "malformed JSON"));
	sim_stop(&s);
	ident_free(&id);
}

static void test_closed_without_answer(void **state)
{
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, "close", NULL);
	c = cfg(&s, 2);
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_ERR_IO);
	assert_int_equal(res.attempts, 2);
	assert_int_equal(res.http_status, 0);
	assert_non_null(strstr(e.msg, "without an answer"));
	sim_stop(&s);
	ident_free(&id);
}

static void test_slow_cms_times_out(void **state)
{
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;

	(void)state;
	sim_start(&s, "delay-ms=1500", NULL);
	c = cfg(&s, 1);
	c.timeout_ms = 300;
	ident_load(&id, "board-1", "SIM000001");
	assert_int_equal(cms_register(&c, &id.req, &res, &e), ST_ERR_TIMEOUT);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(e.msg, "did not answer"));
	sim_stop(&s);
	ident_free(&id);
}

/* cms-sim checks chains with mbedTLS on its own: a forged identity is refused. */
static void test_cms_refuses_forged_and_expired(void **state)
{
	struct ident forged, expired;
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct sim s;

	(void)state;
	sim_start(&s, NULL, NULL);
	c = cfg(&s, 3);
	ident_load(&forged, "unknown-root", "SIM900002");
	ident_load(&expired, "expired", "SIM900001");
	assert_int_equal(cms_register(&c, &forged.req, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 400);
	assert_int_equal(res.attempts, 1);
	assert_non_null(strstr(e.msg, "manufacturer root"));
	assert_int_equal(cms_register(&c, &expired.req, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 400);
	assert_non_null(strstr(e.msg, "expired"));
	sim_stop(&s);
	assert_int_equal(count_lines(s.db, "\"id\""), 0);
	ident_free(&forged);
	ident_free(&expired);
}

/* Even the debug trace (CURLOPT_VERBOSE) must not carry the API key. */
static void test_key_never_logged(void **state)
{
	enum st_loglevel old = st_log_get_level();
	char logp[512];
	struct cms_result res;
	struct st_error e = { 0 };
	struct cms_config c;
	struct ident id;
	struct sim s;
	char *text;
	int saved, fd, ret;

	(void)state;
	sim_start(&s, "fail-first=1", NULL);
	c = cfg(&s, 2);
	ident_load(&id, "board-1", "SIM000001");
	path(logp, sizeof(logp), "client-debug.log");
	fflush(stderr);
	saved = dup(2);
	fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	st_log_set_level(ST_LOG_DBG);
	ret = cms_register(&c, &id.req, &res, &e);
	st_log_set_level(old);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(ret, ST_OK);
	text = slurp(logp);
	assert_non_null(strstr(text, "Authorization: (redacted)"));
	assert_non_null(strstr(text, "POST /api/v1/identities"));
	assert_null(strstr(text, API_KEY));
	free(text);
	sim_stop(&s);
	ident_free(&id);
}

static int setup(void **state)
{
	const char *b = getenv("BINDIR");
	char exe[512], out[512];

	(void)state;
	snprintf(bindir, sizeof(bindir), "%s", b && *b ? b : "bin");
	snprintf(dir, sizeof(dir), "/tmp/st-cms-live.XXXXXX");
	if (!mkdtemp(dir) || cms_global_init() != ST_OK)
		return -1;
	snprintf(exe, sizeof(exe), "%s/mkpki", bindir);
	path(out, sizeof(out), "pki");
	char *const argv[] = { exe, "--out", out, "--boards", "2", NULL };
	return run_wait(argv) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	if (getenv("KEEP_TMP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_then_idempotent),
		cmocka_unit_test(test_conflicts_409),
		cmocka_unit_test(test_bad_key_401),
		cmocka_unit_test(test_untrusted_server_cert),
		cmocka_unit_test(test_retries_through_outage),
		cmocka_unit_test(test_outage_outlasts_attempts),
		cmocka_unit_test(test_server_down),
		cmocka_unit_test(test_malformed_answer),
		cmocka_unit_test(test_closed_without_answer),
		cmocka_unit_test(test_slow_cms_times_out),
		cmocka_unit_test(test_cms_refuses_forged_and_expired),
		cmocka_unit_test(test_key_never_logged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
