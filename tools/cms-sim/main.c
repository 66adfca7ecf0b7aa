// SPDX-License-Identifier: Apache-2.0
/*
 * cms-sim: a local Certificate Management Service over real HTTPS.
 *
 *   cms-sim --cert F --key F --trust ROOT.crt|DIR [--api-key KEY]
 *           [--client-ca F [--require-client-cert]] [--ca-cert F --ca-key F]
 *           [--org ORG] [--token-ttl S] [--masa-url URL]
 *           [--port N] [--port-file F] [--db FILE] [--fault SPEC]...
 *
 * libmicrohttpd with GnuTLS serves HTTPS (http.c), one thread per
 * connection, each bounded by a 5 s idle timeout; mbedTLS is the CA and
 * verifies the identities offered for registration (ca.c, verify.c).  The
 * station speaks libcurl over OpenSSL: a different TLS stack on each side of
 * the wire is the point, so one bug cannot hide on both.  SIGTERM/SIGINT end
 * it cleanly (exit 0).
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/platform_util.h>

#include "tools/simlib/pki.h"
#include "tools/cms-sim/cms-sim.h"

#define PEM_MAX (64 * 1024)

struct server {
	mbedtls_x509_crt trust;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	char *cert_pem, *key_pem, *client_ca_pem;
	struct sim sim;
};

static int tls_fail(const char *what, const char *arg, int ret)
{
	char buf[160];

	mbedtls_strerror(ret, buf, sizeof(buf));
	fprintf(stderr, "cms-sim: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", buf);
	return -1;
}

static int load_trust(mbedtls_x509_crt *trust, const char *path)
{
	struct stat st;
	int ret;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		ret = mbedtls_x509_crt_parse_path(trust, path);
	else
		ret = mbedtls_x509_crt_parse_file(trust, path);
	if (ret < 0)
		return tls_fail("cannot load trust", path, ret);
	if (trust->version == 0) {
		fprintf(stderr, "cms-sim: no certificate in %s\n", path);
		return -1;
	}
	return 0;
}

/* A PEM file for GnuTLS, which parses it when the server starts. */
static int load_pem(char **out, const char *opt, const char *path)
{
	if (!path)
		return 0;
	*out = pki_read_file(path, PEM_MAX);
	if (!*out) {
		fprintf(stderr, "cms-sim: cannot load %s %s\n", opt, path);
		return -1;
	}
	return 0;
}

/* GnuTLS takes a trust file without a certificate in silence: check first. */
static int load_certs(char **out, const char *opt, const char *path)
{
	mbedtls_x509_crt crt;
	char what[32];
	int ret;

	if (!path || load_pem(out, opt, path) < 0)
		return path ? -1 : 0;
	mbedtls_x509_crt_init(&crt);
	ret = mbedtls_x509_crt_parse(&crt, (const unsigned char *)*out, strlen(*out) + 1);
	mbedtls_x509_crt_free(&crt);
	snprintf(what, sizeof(what), "cannot load %s", opt);
	return ret != 0 ? tls_fail(what, path, ret) : 0;
}

static int seed_drbg(struct server *s)
{
	static const char pers[] = "cms-sim";
	int ret;

	ret = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
				    (const unsigned char *)pers, sizeof(pers) - 1);
	return ret != 0 ? tls_fail("seeding the DRBG", NULL, ret) : 0;
}

/* Serve until SIGTERM or SIGINT (blocked here, so every thread inherits it). */
static int serve(struct server *s, unsigned short port, const char *port_file, int require)
{
	const struct http_tls tls = { s->cert_pem, s->key_pem, s->client_ca_pem, require };
	struct http_server *h;
	unsigned short bound;
	sigset_t set;
	char line[32];
	int n, sig, ret = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	h = http_start(&s->sim, &tls, port, &bound);
	if (!h)
		return -1;
	n = snprintf(line, sizeof(line), "%u\n", bound);
	if (port_file && pki_write_file(port_file, line, (size_t)n, 0644) < 0) {
		ret = -1;
		goto out;
	}
	printf("listening on 127.0.0.1:%s", line);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
out:
	http_stop(h);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cms-sim --cert F --key F --trust ROOT.crt|DIR [--api-key KEY]\n"
		"               [--client-ca F [--require-client-cert]] [--ca-cert F --ca-key F]\n"
		"               [--org ORG] [--template-id N] [--import PEM]... [--token-ttl S]\n"
		"               [--masa-url URL] [--port N] [--port-file F] [--db FILE]\n"
		"               [--fault SPEC]...\n"
		"A local CMS over HTTPS on 127.0.0.1 (port 0: any free port; see --port-file).\n"
		"  INeS REST API v2 (mTLS, --client-ca), as the seed's demo client speaks it:\n"
		"      POST /v2/auth, /v2/organizations/ORG/certificates[/status|/validate|\n"
		"      /{id}|/thumbprint/{sha1}|/cn/{cn}|/{id}/revoke], certificatetemplates;\n"
		"      issuing needs --ca-cert/--ca-key; --import: certificates it issued before\n"
		"      /{id}/renew, /{id}/rekey; certificationauthorities[/{id}[/download]]\n"
		"  EST (mTLS, RFC 7030): GET /.well-known/est/cacerts, POST .../simpleenroll,\n"
		"      .../simplereenroll, .../serverkeygen;  GET /health\n"
		"  v1 (--api-key; ours, not INeS): POST /api/v1/identities, GET .../<serial>\n"
		"--db FILE    records as JSON lines, reloaded at start\n"
		"--fault SPEC fail-first=N | retry-after=S | delay-ms=N | late-issue=MS |\n"
		"             malformed | status=CODE | close | drop-oid=OID | est-pending=N |\n"
		"             unique-subject |\n"
		"             a bad certificate issued: rogue-ca | rename-serial | expired |\n"
		"             other-key | revoke-issued | serial-hex\n");
}

#define IMPORTS_MAX 16
struct opts {
	const char *imports[IMPORTS_MAX];
	int n_imports;
	const char *cert, *key, *trust, *port, *port_file, *db;
	const char *client_ca, *ca_cert, *ca_key, *masa_url;
	int require_client;
};

static int parse_args(int argc, char **argv, struct opts *o, struct sim *sim)
{
	static const struct option lo[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "trust", required_argument, NULL, 't' },
		{ "api-key", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "db", required_argument, NULL, 'd' },
		{ "fault", required_argument, NULL, 'f' },
		{ "client-ca", required_argument, NULL, 'C' },
		{ "require-client-cert", no_argument, NULL, 'R' },
		{ "ca-cert", required_argument, NULL, 'A' },
		{ "ca-key", required_argument, NULL, 'K' },
		{ "org", required_argument, NULL, 'O' },
		{ "token-ttl", required_argument, NULL, 'T' },
		{ "masa-url", required_argument, NULL, 'M' },
		{ "template-id", required_argument, NULL, 'I' },
		{ "import", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'c': o->cert = optarg; break;
		case 'k': o->key = optarg; break;
		case 't': o->trust = optarg; break;
		case 'a': sim->api_key = optarg; break;
		case 'p': o->port = optarg; break;
		case 'P': o->port_file = optarg; break;
		case 'd': o->db = optarg; break;
		case 'C': o->client_ca = optarg; break;
		case 'R': o->require_client = 1; break;
		case 'A': o->ca_cert = optarg; break;
		case 'K': o->ca_key = optarg; break;
		case 'M': o->masa_url = optarg; break;
		case 'O': sim->org = optarg; break;
		case 'T': sim->token_ttl = atoi(optarg); break;
		case 'I': sim->template_id = atol(optarg); break;
		case 'i':
			if (o->n_imports == IMPORTS_MAX)
				return -1;
			o->imports[o->n_imports++] = optarg;
			break;
		case 'f':
			if (faults_parse(&sim->faults, optarg) < 0) {
				fprintf(stderr, "cms-sim: bad --fault '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (!o->cert || !o->key || !o->trust || (sim->api_key && !sim->api_key[0]) ||
	    (!sim->api_key && !o->client_ca) || !o->ca_cert != !o->ca_key ||
	    sim->token_ttl < 1 || sim->token_ttl > 86400 || sim->template_id < 1 ||
	    optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .port = "0", .masa_url = "masa.station-sim.example:9443" };
	unsigned long port;
	char msg[512], *end;
	struct server s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.sim.token_ttl = 300;
	s.sim.template_id = 1;
	if (parse_args(argc, argv, &o, &s.sim) < 0)
		return 2;
	port = strtoul(o.port, &end, 10);
	if (*end || port > 65535) {
		fprintf(stderr, "cms-sim: bad --port '%s'\n", o.port);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&s.sim.lock, NULL);
	mbedtls_x509_crt_init(&s.trust);
	mbedtls_entropy_init(&s.entropy);
	mbedtls_ctr_drbg_init(&s.drbg);
	s.sim.trust = &s.trust;
	s.sim.drbg = &s.drbg;
	ret = load_trust(&s.trust, o.trust);
	if (ret == 0)
		ret = seed_drbg(&s);
	if (ret == 0)
		ret = load_certs(&s.cert_pem, "--cert", o.cert);
	if (ret == 0)
		ret = load_pem(&s.key_pem, "--key", o.key);
	if (ret == 0)
		ret = load_certs(&s.client_ca_pem, "--client-ca", o.client_ca);
	if (ret == 0 && o.ca_cert && ca_load(&s.sim.ca, o.ca_cert, o.ca_key, o.masa_url, msg,
					     sizeof(msg)) < 0) {
		fprintf(stderr, "cms-sim: %s\n", msg);
		ret = -1;
	}
	if (ret == 0 && reg_open(&s.sim.reg, o.db) < 0) {
		fprintf(stderr, "cms-sim: cannot load --db %s\n", o.db);
		ret = -1;
	}
	for (int i = 0; ret == 0 && i < o.n_imports; i++)
		if (ines_import(&s.sim, o.imports[i], msg, sizeof(msg)) < 0) {
			fprintf(stderr, "cms-sim: %s\n", msg);
			ret = -1;
		}
	if (ret == 0)
		ret = serve(&s, (unsigned short)port, o.port_file, o.require_client);
	reg_close(&s.sim.reg);
	if (s.key_pem)
		mbedtls_platform_zeroize(s.key_pem, strlen(s.key_pem));
	free(s.cert_pem);
	free(s.key_pem);
	free(s.client_ca_pem);
	mbedtls_x509_crt_free(&s.trust);
	ca_free(&s.sim.ca);
	mbedtls_ctr_drbg_free(&s.drbg);
	mbedtls_entropy_free(&s.entropy);
	pthread_mutex_destroy(&s.sim.lock);
	return ret == 0 ? 0 : 1;
}
