// SPDX-License-Identifier: Apache-2.0
/*
 * The v2 and EST client against the real bin/cms-sim, mTLS on: $BINDIR/mkpki
 * makes the PKI (station client CA and certificate included), each test
 * starts its own cms-sim.  Enrolment certificates are checked here with
 * mbedTLS against the manufacturer root, independently of the client.
 */
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
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "cms/cms-internal.h"

static char dir[256], bindir[256];
/* Every cms-sim started, so teardown can stop those a failed test left. */
static pid_t started[32];
static int n_started;

struct sim {
	pid_t pid;
	unsigned port;
	char url[64], log[512], db[512];
};

static void path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* cms-sim in v2 mode; extra args (NULL-terminated) after the defaults. */
static void sim_start(struct sim *s, unsigned port, ...)
{
	static int n;
	char exe[512], a[8][512], pf[512], portarg[16];
	const char *argv[40], *x;
	static const char *const files[] = { "cms-server.crt", "cms-server.key", "trust",
		"client-ca.crt", "intermediate-ca.crt", "intermediate-ca.key" };
	static const char *const opts[] = { "--cert", "--key", "--trust", "--client-ca",
		"--ca-cert", "--ca-key" };
	va_list ap;
	FILE *f;
	int i = 0, k, fd, tries;

	snprintf(exe, sizeof(exe), "%s/cms-sim", bindir);
	argv[i++] = exe;
	for (k = 0; k < 6; k++) {
		snprintf(a[k], sizeof(a[k]), "%s/pki/%s", dir, files[k]);
		argv[i++] = opts[k];
		argv[i++] = a[k];
	}
	snprintf(pf, sizeof(pf), "%s/port-%d", dir, ++n);
	snprintf(s->log, sizeof(s->log), "%s/sim-%d.log", dir, n);
	snprintf(s->db, sizeof(s->db), "%s/db-%d.jsonl", dir, n);
	snprintf(portarg, sizeof(portarg), "%u", port);
	argv[i++] = "--org"; argv[i++] = "acme";
	argv[i++] = "--port"; argv[i++] = portarg;
	argv[i++] = "--port-file"; argv[i++] = pf;
	argv[i++] = "--db"; argv[i++] = s->db;
	va_start(ap, port);
	while ((x = va_arg(ap, const char *)) && i < 38)
		argv[i++] = x;
	va_end(ap);
	argv[i] = NULL;
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid > 0 && n_started < 32)
		started[n_started++] = s->pid;
	if (s->pid == 0) {
		fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	for (s->port = 0, tries = 0; tries < 500 && !s->port; tries++) {
		f = fopen(pf, "r");
		if (f) {
			if (fscanf(f, "%u", &s->port) != 1)
				s->port = 0;
			fclose(f);
		}
		if (!s->port)
			sleep_ms(20);
	}
	assert_true(s->port > 0);
	snprintf(s->url, sizeof(s->url), "https://localhost:%u", s->port);
}

static void sim_stop(struct sim *s)
{
	int st;

	kill(s->pid, SIGTERM);
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int count_in(const char *p, const char *needle)
{
	FILE *f = fopen(p, "r");
	char line[4096];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* count_in() once it reaches want, or what it is after ~5 s. */
static int wait_count(const char *p, const char *needle, int want)
{
	int n = 0;

	for (int i = 0; i < 100 && (n = count_in(p, needle)) < want; i++)
		usleep(50000);
	return n;
}

static struct cms_config cfg(const struct sim *s, const char *p, const char *client)
{
	static char ca[512], cert[512], key[512];
	struct cms_config c = {
		.url = s->url, .ca_file = ca, .proto = cms_proto_find(p), .org = "acme",
		.template_id = 1, .client_cert = cert, .client_key = key,
		.timeout_ms = 5000, .attempts = 1, .backoff_ms = 10,
	};

	cms_v2_forget_token();
	path(ca, sizeof(ca), "pki/cms-ca.crt");
	snprintf(cert, sizeof(cert), "%s/pki/%s.crt", dir, client);
	snprintf(key, sizeof(key), "%s/pki/%s.key", dir, client);
	return c;
}

/* A fresh P-256 key and a CSR for it (what the SE would make). */
static void make_csr(char *csr_pem, size_t cap, unsigned char *spki, int *spki_len)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context pk;
	mbedtls_x509write_csr w;
	unsigned char buf[256];

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&pk);
	mbedtls_x509write_csr_init(&w);
	assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0), 0);
	assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
					     mbedtls_ctr_drbg_random, &drbg), 0);
	mbedtls_x509write_csr_set_key(&w, &pk);
	mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
	assert_int_equal(mbedtls_x509write_csr_set_subject_name(&w, "CN=est-live,serialNumber=SIMEST1"), 0);
	assert_int_equal(mbedtls_x509write_csr_pem(&w, (unsigned char *)csr_pem, cap,
						   mbedtls_ctr_drbg_random, &drbg), 0);
	*spki_len = mbedtls_pk_write_pubkey_der(&pk, buf, sizeof(buf));
	assert_true(*spki_len > 0);
	memcpy(spki, buf + sizeof(buf) - *spki_len, (size_t)*spki_len);
	mbedtls_x509write_csr_free(&w);
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
}

/* The certificate verifies to the manufacturer root through the
 * intermediate and certifies exactly spki; its subject is returned. */
static void check_issued(const char *pem, const unsigned char *spki, int spki_len,
			 char *subject, size_t cap)
{
	mbedtls_x509_crt crt, root;
	unsigned char buf[256];
	char p[512];
	uint32_t flags = 0;
	int n;

	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_init(&root);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1), 0);
	path(p, sizeof(p), "pki/intermediate-ca.crt");
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, p), 0);
	path(p, sizeof(p), "pki/root-ca.crt");
	assert_int_equal(mbedtls_x509_crt_parse_file(&root, p), 0);
	assert_int_equal(mbedtls_x509_crt_verify(&crt, &root, NULL, NULL, &flags, NULL, NULL), 0);
	assert_int_equal(flags, 0);
	assert_false(crt.ca_istrue);
	n = mbedtls_pk_write_pubkey_der(&crt.pk, buf, sizeof(buf));
	assert_int_equal(n, spki_len);
	assert_memory_equal(buf + sizeof(buf) - n, spki, (size_t)n);
	assert_true(mbedtls_x509_dn_gets(subject, cap, &crt.subject) > 0);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&root);
}

/* Start cms-sim, enrol a fresh CSR with protocol p and check the issued
 * certificate (its subject in x->subj); the caller frees x->res and stops
 * x->s. */
struct enrolled {
	struct sim s;
	struct cms_config c;
	struct cms_enroll_result res;
	char csr[2048], subj[256];
};

static void enroll_live(struct enrolled *x, const char *p, struct cms_enroll_request *rq)
{
	unsigned char spki[256];
	struct st_error e = { 0 };
	int spki_len;

	make_csr(x->csr, sizeof(x->csr), spki, &spki_len);
	rq->csr_pem = x->csr;
	sim_start(&x->s, 0, NULL);
	x->c = cfg(&x->s, p, "station-client");
	assert_int_equal(cms_enroll(&x->c, rq, &x->res, &e), ST_OK);
	check_issued(x->res.cert_pem, spki, spki_len, x->subj, sizeof(x->subj));
}

static void test_enroll_v2(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMLIVE1",
					 .subject = "CN=Board SIMLIVE1,O=Acme,serialNumber=SIMLIVE1",
					 .validity_days = 30 };
	struct cms_lookup_result lk;
	struct cms_result st;
	struct st_error e = { 0 };
	static struct enrolled x;
	char id[64];

	enroll_live(&x, "v2", &rq);
	/* the subject is the request's, not the CSR's: every attribute asked */
	assert_string_equal(x.subj, "CN=Board SIMLIVE1, O=Acme, serialNumber=SIMLIVE1");
	assert_int_equal(x.res.http_status, 200);
	assert_string_equal(x.res.certificate_id, "1001");	/* an integer on the wire */
	assert_int_equal(strlen(x.res.thumbprint), 40);		/* SHA-1 */
	assert_false(x.res.reused);
	/* the wire: auth without a body, one CN look-up, one issue */
	assert_int_equal(count_in(x.s.log, "POST /v2/auth -> 200"), 1);
	assert_int_equal(count_in(x.s.log, "GET /v2/organizations/acme/certificates/cn/Board%20SIMLIVE1 -> 200"), 1);
	assert_int_equal(count_in(x.s.log, "POST /v2/organizations/acme/certificates -> 200"), 1);
	assert_int_equal(x.res.requests, 3);
	/* look-ups: by CN, by id, by thumbprint; the status is Good */
	snprintf(id, sizeof(id), "%s", x.res.certificate_id);
	assert_int_equal(cms_lookup(&x.c, CMS_BY_CN, "Board SIMLIVE1", &lk, &e), ST_OK);
	assert_int_equal(lk.count, 1);
	assert_string_equal(lk.certs[0].id, id);
	assert_string_equal(lk.certs[0].status, "Good");
	assert_int_equal(cms_lookup(&x.c, CMS_BY_ID, id, &lk, &e), ST_OK);
	assert_int_equal(lk.count, 1);
	assert_int_equal(cms_lookup(&x.c, CMS_BY_THUMBPRINT, x.res.thumbprint, &lk, &e), ST_OK);
	assert_int_equal(lk.count, 1);
	assert_string_equal(lk.certs[0].id, id);
	assert_int_equal(cms_lookup(&x.c, CMS_BY_ID, "999999", &lk, &e), ST_OK);
	assert_int_equal(lk.count, 0);
	assert_int_equal(cms_status(&x.c, x.res.cert_pem, &st, &e), ST_OK);
	assert_string_equal(st.cert_status, "Good");
	/* enrolling the same key again finds the certificate: no second issue */
	cms_enroll_result_free(&x.res);
	assert_int_equal(cms_enroll(&x.c, &rq, &x.res, &e), ST_OK);
	assert_true(x.res.reused);
	assert_string_equal(x.res.certificate_id, id);
	assert_int_equal(count_in(x.s.log, "POST /v2/organizations/acme/certificates -> 200"), 1);
	cms_enroll_result_free(&x.res);
	sim_stop(&x.s);
}

/* A fresh CSR and a cms-sim started with one extra option: what most v2
 * enrolment tests begin with. */
struct live {
	struct sim s;
	struct cms_config c;
	char csr[2048];
};

static void live_start(struct live *l, const char *opt, const char *val)
{
	unsigned char spki[256];
	int spki_len;

	make_csr(l->csr, sizeof(l->csr), spki, &spki_len);
	sim_start(&l->s, 0, opt, val, NULL);
	l->c = cfg(&l->s, "v2", "station-client");
}

/* A template that drops O=: the station fails (or warns) by policy. */
static void test_enroll_v2_subject_dropped(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMDROP1",
					 .subject = "CN=SIMDROP1,O=Acme,serialNumber=SIMDROP1" };
	struct cms_enroll_result res;
	struct st_error e = { 0 };
	static struct live l;

	live_start(&l, "--fault", "drop-oid=2.5.4.10");
	rq.csr_pem = l.csr;

	assert_int_equal(cms_enroll(&l.c, &rq, &res, &e), ST_ERR_CERT);
	assert_non_null(strstr(e.msg, "without the requested subject attribute(s) O=Acme"));
	assert_null(res.cert_pem);
	rq.subject_warn = true;	/* the same certificate is found again, kept with a warning */
	assert_int_equal(cms_enroll(&l.c, &rq, &res, &e), ST_OK);
	assert_string_equal(res.subject_missing, "O=Acme");
	cms_enroll_result_free(&res);
	sim_stop(&l.s);
}

/* The contract's types: a string template_id is refused by the CMS. */
static void test_v2_refusals_named(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMT1", .subject = "CN=SIMT1" };
	struct cms_enroll_result res;
	struct st_error e = { 0 };
	static struct live l;

	live_start(&l, "--template-id", "7");
	rq.csr_pem = l.csr;

	assert_int_equal(cms_enroll(&l.c, &rq, &res, &e), ST_ERR_HTTP);	/* template 1 */
	assert_int_equal(res.http_status, 400);
	assert_non_null(strstr(e.msg, "unknown template_id"));
	l.c.template_id = 7;
	l.c.org = "other";	/* 403: the hint names cms.org */
	assert_int_equal(cms_enroll(&l.c, &rq, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 403);
	assert_non_null(strstr(e.msg, "check cms.org"));
	l.c.org = "acme";
	assert_int_equal(cms_enroll(&l.c, &rq, &res, &e), ST_OK);
	cms_enroll_result_free(&res);
	sim_stop(&l.s);
}

static void test_est_enroll(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMEST1" };
	static struct enrolled x;

	enroll_live(&x, "est", &rq);
	assert_string_equal(x.subj, "CN=est-live, serialNumber=SIMEST1"); /* the CSR's */
	assert_int_equal(x.res.http_status, 200);
	assert_int_equal(strlen(x.res.thumbprint), 40);
	assert_true(strlen(x.res.serial_number) >= 2);
	/* EST uses the client certificate alone: no token was asked for */
	assert_int_equal(count_in(x.s.log, "POST /v2/auth"), 0);
	assert_int_equal(count_in(x.s.log, "POST /.well-known/est/simpleenroll -> 200"), 1);
	cms_enroll_result_free(&x.res);
	sim_stop(&x.s);
}

static char *slurp(const char *name);

/* EST /cacerts (RFC 7030 4.1): the issuing CA and its root; a certificate
 * the CMS issued checks against them, another CA's or an expired one not. */
static void test_est_cacerts_check(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMEST2" };
	static struct enrolled x;
	struct st_error e = { 0 };
	char *ca = NULL, *rogue, *expired;
	int requests = 0;
	long left = 0;

	enroll_live(&x, "est", &rq);
	assert_int_equal(cms_cacerts(&x.c, &ca, &requests, &e), ST_OK);
	assert_int_equal(requests, 1);
	assert_non_null(strstr(ca, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(strstr(ca, "END CERTIFICATE") + 1, "BEGIN CERTIFICATE"));
	assert_int_equal(count_in(x.s.log, "GET /.well-known/est/cacerts -> 200"), 1);
	assert_int_equal(cms_cert_check(x.res.cert_pem, ca, &left, &e), ST_OK);
	assert_true(left > 3000);	/* cms-sim's EST certificates: 3650 days */
	rogue = slurp("pki/rogue-client.crt");
	assert_int_equal(cms_cert_check(rogue, ca, &left, &e), ST_ERR_CERT);
	assert_non_null(strstr(e.msg, "not issued by the CMS's CA"));
	expired = slurp("pki/expired.crt");
	assert_int_equal(cms_cert_check(expired, ca, &left, &e), ST_ERR_CERT);
	assert_non_null(strstr(e.msg, "expired"));
	assert_true(left < 0);
	free(ca);
	/* v2 has no /cacerts: named, not guessed */
	x.c.proto = cms_proto_find("v2");
	assert_int_equal(cms_cacerts(&x.c, &ca, &requests, &e), ST_ERR_NOTSUP);
	assert_null(ca);
	free(rogue);
	free(expired);
	cms_enroll_result_free(&x.res);
	sim_stop(&x.s);
}

/* One token per process; a CMS that forgot it (restart) gets a new auth. */
static void test_token_cached_then_renewed(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMTOK1" };
	struct cms_enroll_result res;
	struct st_error e = { 0 };
	unsigned char spki[256];
	char csr[2048];
	struct sim s, s2;
	int spki_len, i;

	make_csr(csr, sizeof(csr), spki, &spki_len);
	rq.csr_pem = csr;
	sim_start(&s, 0, NULL);
	struct cms_config c = cfg(&s, "v2", "station-client");

	for (i = 0; i < 3; i++) {
		assert_int_equal(cms_enroll(&c, &rq, &res, &e), ST_OK);
		cms_enroll_result_free(&res);
	}
	assert_int_equal(count_in(s.log, "POST /v2/auth -> 200"), 1);
	sim_stop(&s);
	/* the same URL, a new CMS process: the cached token is refused once */
	sim_start(&s2, s.port, NULL);
	assert_int_equal(cms_enroll(&c, &rq, &res, &e), ST_OK);
	cms_enroll_result_free(&res);
	assert_int_equal(count_in(s2.log, "-> 401"), 1);
	assert_int_equal(count_in(s2.log, "POST /v2/auth -> 200"), 1);
	/* the new CMS does not know the certificate: issued once */
	assert_int_equal(count_in(s2.log, "POST /v2/organizations/acme/certificates -> 200"), 1);
	sim_stop(&s2);
}

static void test_client_certificate_required(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMX1", .csr_pem = "x" };
	struct cms_enroll_result res;
	struct st_error e = { 0 };
	struct sim s;
	int ret;

	/* optional mode: a certificate from another CA is no credential */
	sim_start(&s, 0, NULL);
	struct cms_config c = cfg(&s, "v2", "rogue-client");
	unsigned char spki[256];
	char csr[2048];
	int spki_len;

	make_csr(csr, sizeof(csr), spki, &spki_len);
	rq.csr_pem = csr;
	assert_int_equal(cms_enroll(&c, &rq, &res, &e), ST_ERR_HTTP);
	assert_int_equal(res.http_status, 401);
	assert_non_null(strstr(e.msg, "refused the station's credentials"));
	assert_null(res.cert_pem);
	/* no client certificate configured: refused before any connection */
	c.client_cert = NULL;
	assert_int_equal(cms_enroll(&c, &rq, &res, &e), ST_ERR_ARG);
	assert_non_null(strstr(e.msg, "cms.client_cert"));
	sim_stop(&s);

	/* required mode: the handshake itself fails, with the server's alert:
	 * a configuration error, never retried, never an outage to queue */
	sim_start(&s, 0, "--require-client-cert", NULL);
	c = cfg(&s, "v2", "rogue-client");
	c.attempts = 3;
	ret = cms_enroll(&c, &rq, &res, &e);
	assert_int_equal(ret, ST_ERR_TLS);
	assert_non_null(strstr(e.msg, "refused the station's TLS client certificate"));
	assert_non_null(strstr(e.msg, "unknown ca"));
	assert_int_equal(res.attempts, 1);
	{
		struct cms_result rr = { .http_status = res.http_status };

		assert_false(cms_is_unavailable(ret, &rr));
	}
	/* the server logs the refusal after the client saw it: wait for it */
	assert_int_equal(wait_count(s.log, "TLS handshake failed", 1), 1);
	c = cfg(&s, "v2", "station-client");
	assert_int_equal(cms_enroll(&c, &rq, &res, &e), ST_OK);
	cms_enroll_result_free(&res);
	sim_stop(&s);
}

static char *slurp(const char *name)
{
	char p[512];
	FILE *f;
	char *buf = calloc(1, 65536);

	path(p, sizeof(p), name);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

static void test_wrong_server_certificate(void **state)
{
	char *b1 = slurp("pki/board-1.crt");
	struct cms_request rq = { .serial = "SIM000001", .cert_pem = b1 };
	struct cms_result res;
	struct st_error e = { 0 };
	char cert[512], key[512];
	struct sim s;

	path(cert, sizeof(cert), "pki/cms-server-rogue.crt");
	path(key, sizeof(key), "pki/cms-server-rogue.key");
	sim_start(&s, 0, "--cert", cert, "--key", key, NULL);
	struct cms_config c = cfg(&s, "v2", "station-client");

	c.attempts = 3;
	assert_int_equal(cms_register(&c, &rq, &res, &e), ST_ERR_TLS);
	assert_non_null(strstr(e.msg, "CMS server certificate verification failed"));
	assert_false(cms_is_unavailable(ST_ERR_TLS, &res));
	assert_int_equal(res.attempts, 1); /* not retried */
	assert_int_equal(count_in(s.log, "-> "), 0); /* no request reached it */
	sim_stop(&s);
	free(b1);
}

/* Register on INeS = status + thumbprint: Good with the CMS's id; a
 * certificate the CMS never issued, and a revoked one, fail precisely. */
static void test_register_v2(void **state)
{
	char *b1 = slurp("pki/board-1.crt"), *b2 = slurp("pki/board-2.crt");
	struct cms_request rq = { .serial = "SIM000001", .cert_pem = b1 };
	struct cms_result res;
	struct st_error e = { 0 };
	char imp[512];
	struct sim s;

	path(imp, sizeof(imp), "pki/board-1.crt");
	sim_start(&s, 0, "--import", imp, NULL);
	struct cms_config c = cfg(&s, "v2", "station-client");

	assert_int_equal(cms_register(&c, &rq, &res, &e), ST_OK);
	assert_string_equal(res.status, "registered");
	assert_string_equal(res.cert_status, "Good");
	assert_string_equal(res.id, "1001");
	assert_int_equal(res.requests, 3);	/* auth, status, thumbprint */
	assert_int_equal(cms_register(&c, &rq, &res, &e), ST_OK);	/* read-only: again */
	assert_int_equal(res.requests, 2);	/* the token is cached */
	assert_int_equal(count_in(s.log, "POST /v2/organizations/acme/certificates/status -> 200"), 2);
	assert_int_equal(count_in(s.log, "GET /v2/organizations/acme/certificates/thumbprint/"), 2);
	/* never issued here */
	rq.serial = "SIM000002";
	rq.cert_pem = b2;
	assert_int_equal(cms_register(&c, &rq, &res, &e), ST_ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "the CMS does not know this certificate"));
	assert_non_null(strstr(e.msg, "not issued through organization acme"));
	assert_false(cms_is_unavailable(ST_ERR_NOTFOUND, &res));
	sim_stop(&s);
	free(b1);
	free(b2);
}

/* A server certificate for another host than cms.url's: the hint names cms.url.
 * Needs a name other than localhost for 127.0.0.1 (this host's own name). */
static void test_hostname_mismatch_names_url(void **state)
{
	char *b1 = slurp("pki/board-1.crt");
	struct cms_request rq = { .serial = "SIM000001", .cert_pem = b1 };
	struct addrinfo hints = { .ai_family = AF_INET }, *ai = NULL;
	struct cms_result res;
	struct st_error e = { 0 };
	char host[128], url[192];
	struct sim s;
	bool loop;

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	loop = getaddrinfo(host, NULL, &hints, &ai) == 0 && ai &&
	       ((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
	       strcmp(host, "localhost") != 0;
	if (ai)
		freeaddrinfo(ai);
	if (!loop) {
		free(b1);
		skip();	/* this host's name is not 127.0.0.1 */
	}
	sim_start(&s, 0, NULL);
	struct cms_config c = cfg(&s, "v2", "station-client");

	snprintf(url, sizeof(url), "https://%s:%u", host, s.port);
	c.url = url;
	assert_int_equal(cms_register(&c, &rq, &res, &e), ST_ERR_TLS);
	assert_non_null(strstr(e.msg, "not for the host in cms.url"));
	assert_non_null(strstr(e.msg, "check cms.url"));
	sim_stop(&s);
	free(b1);
}

/* An issue that timed out but the CMS completed is found on the next
 * attempt (by CN and key), not issued twice. */
static void test_enroll_v2_late_issue(void **state)
{
	struct cms_enroll_request rq = { .serial = "SIMLATE1",
					 .subject = "CN=SIMLATE1,serialNumber=SIMLATE1" };
	struct cms_enroll_result res;
	struct st_error e = { 0 };
	static struct live l;

	live_start(&l, "--fault", "late-issue=2500");
	rq.csr_pem = l.csr;

	l.c.timeout_ms = 1000;
	l.c.attempts = 2;
	assert_int_equal(cms_enroll(&l.c, &rq, &res, &e), ST_OK);
	assert_true(res.reused);
	assert_int_equal(res.attempts, 2);
	assert_int_equal(count_in(l.s.db, "\"kind\":\"issued\""), 1);	/* one certificate */
	cms_enroll_result_free(&res);
	sim_stop(&l.s);
}

/* Retry-After is honoured, and one beyond the deadline gives up at once. */
static void test_retry_after_and_deadline(void **state)
{
	char *b1 = slurp("pki/board-1.crt");
	struct cms_request rq = { .serial = "SIM000001", .cert_pem = b1 };
	struct cms_result res;
	struct st_error e = { 0 };
	char imp[512];
	struct sim s;

	path(imp, sizeof(imp), "pki/board-1.crt");
	sim_start(&s, 0, "--import", imp, "--fault", "fail-first=1,retry-after=1", NULL);
	struct cms_config c = cfg(&s, "v2", "station-client");

	c.attempts = 3;
	c.backoff_ms = 10;
	assert_int_equal(cms_register(&c, &rq, &res, &e), ST_OK);
	assert_int_equal(count_in(s.log, "POST /v2/auth -> 503"), 1);
	sim_stop(&s);
	/* the next attempt would come after the deadline: stop at once, say why */
	sim_start(&s, 0, "--import", imp, "--fault", "fail-first=5,retry-after=30", NULL);
	c = cfg(&s, "v2", "station-client");
	c.attempts = 3;
	c.deadline_ms = cms_now_ms() + 5000;
	assert_int_equal(cms_register(&c, &rq, &res, &e), ST_ERR_HTTP);
	assert_non_null(strstr(e.msg, "the CMS asks to retry after 30000 ms"));
	assert_int_equal(res.attempts, 1);
	sim_stop(&s);
	free(b1);
}

static int setup(void **state)
{
	const char *b = getenv("BINDIR");
	char exe[512], out[512];
	int st;
	pid_t pid;

	snprintf(bindir, sizeof(bindir), "%s", b && *b ? b : "bin");
	snprintf(dir, sizeof(dir), "/tmp/st-cms-mtls.XXXXXX");
	if (!mkdtemp(dir) || cms_global_init() != ST_OK)
		return -1;
	snprintf(exe, sizeof(exe), "%s/mkpki", bindir);
	path(out, sizeof(out), "pki");
	pid = fork();
	if (pid == 0) {
		execl(exe, exe, "--out", out, "--boards", "2", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	for (int i = 0; i < n_started; i++)
		if (waitpid(started[i], NULL, WNOHANG) == 0) {
			kill(started[i], SIGTERM);
			waitpid(started[i], NULL, 0);
		}

	if (getenv("KEEP_TMP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enroll_v2),
		cmocka_unit_test(test_enroll_v2_subject_dropped),
		cmocka_unit_test(test_v2_refusals_named),
		cmocka_unit_test(test_retry_after_and_deadline),
		cmocka_unit_test(test_enroll_v2_late_issue),
		cmocka_unit_test(test_hostname_mismatch_names_url),
		cmocka_unit_test(test_est_enroll),
		cmocka_unit_test(test_est_cacerts_check),
		cmocka_unit_test(test_token_cached_then_renewed),
		cmocka_unit_test(test_client_certificate_required),
		cmocka_unit_test(test_wrong_server_certificate),
		cmocka_unit_test(test_register_v2),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
