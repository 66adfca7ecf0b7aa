// SPDX-License-Identifier: Apache-2.0
/*
 * cms-sim: a local Certificate Management Service over real HTTPS.
 *
 *   cms-sim --cert F --key F --trust ROOT.crt|DIR [--api-key KEY]
 *           [--client-ca F [--require-client-cert]] [--ca-cert F --ca-key F]
 *           [--org ORG] [--token-ttl S] [--masa-url URL]
 *           [--port N] [--port-file F] [--db FILE] [--fault SPEC]...
 *
 * One connection at a time, one request per connection (Connection: close);
 * every socket operation has a timeout, so a stuck client costs at most
 * IO_TIMEOUT_MS.  SIGTERM/SIGINT end it cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>

#include "../common/pki.h"
#include "cms-sim.h"

struct server {
	mbedtls_net_context listen;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt cert, trust, client_ca;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	struct sim sim;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

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

/* mTLS: request a client certificate (required or optional) from client_ca. */
static int mtls_setup(struct server *s, const char *client_ca, int required)
{
	int ret;

	if (!client_ca)
		return 0;
	ret = mbedtls_x509_crt_parse_file(&s->client_ca, client_ca);
	if (ret != 0)
		return tls_fail("cannot load --client-ca", client_ca, ret);
	mbedtls_ssl_conf_ca_chain(&s->conf, &s->client_ca, NULL);
	mbedtls_ssl_conf_authmode(&s->conf, required ? MBEDTLS_SSL_VERIFY_REQUIRED :
				  MBEDTLS_SSL_VERIFY_OPTIONAL);
	return 0;
}

/* What the routes need to know of the client certificate. */
static void client_facts(mbedtls_ssl_context *ssl, struct http_req *r)
{
	const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(ssl);
	unsigned char sha[32];

	if (!peer || mbedtls_ssl_get_verify_result(ssl) != 0)
		return;
	r->client_ok = 1;
	mbedtls_sha256_ret(peer->raw.p, peer->raw.len, sha, 0);
	for (int i = 0; i < 32; i++)
		snprintf(r->client_fp + 2 * i, 3, "%02x", sha[i]);
	if (mbedtls_x509_dn_gets(r->client_cn, sizeof(r->client_cn), &peer->subject) < 0)
		snprintf(r->client_cn, sizeof(r->client_cn), "?");
}

static int tls_setup(struct server *s, const char *cert, const char *key)
{
	static const char pers[] = "cms-sim";
	int ret;

	ret = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
				    (const unsigned char *)pers, sizeof(pers) - 1);
	if (ret != 0)
		return tls_fail("seeding the DRBG", NULL, ret);
	ret = mbedtls_x509_crt_parse_file(&s->cert, cert);
	if (ret != 0)
		return tls_fail("cannot load server certificate", cert, ret);
	ret = mbedtls_pk_parse_keyfile(&s->key, key, NULL);
	if (ret != 0)
		return tls_fail("cannot load server key", key, ret);
	ret = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
					  MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0)
		return tls_fail("TLS config", NULL, ret);
	mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_read_timeout(&s->conf, IO_TIMEOUT_MS);
	ret = mbedtls_ssl_conf_own_cert(&s->conf, &s->cert, &s->key);
	if (ret != 0)
		return tls_fail("server certificate and key do not fit", NULL, ret);
	return 0;
}

static int bind_port(struct server *s, const char *port, const char *port_file)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char line[32];
	int ret, n;

	ret = mbedtls_net_bind(&s->listen, "127.0.0.1", port, MBEDTLS_NET_PROTO_TCP);
	if (ret != 0)
		return tls_fail("cannot listen on 127.0.0.1 port", port, ret);
	if (getsockname(s->listen.fd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("cms-sim: getsockname");
		return -1;
	}
	n = snprintf(line, sizeof(line), "%u\n", ntohs(sa.sin_port));
	if (port_file && pki_write_file(port_file, line, (size_t)n, 0644) < 0)
		return -1;
	printf("listening on 127.0.0.1:%s", line);
	fflush(stdout);
	return 0;
}

static void serve_one(struct server *s, mbedtls_net_context *client, const char *peer)
{
	struct timeval tv = { IO_TIMEOUT_MS / 1000, (IO_TIMEOUT_MS % 1000) * 1000 };
	mbedtls_ssl_context ssl;
	struct http_req req = { 0 };
	char msg[256] = "", *body = NULL;
	int ret, status = 0;

	setsockopt(client->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	mbedtls_ssl_init(&ssl);
	ret = mbedtls_ssl_setup(&ssl, &s->conf);
	if (ret != 0)
		goto out;
	mbedtls_ssl_set_bio(&ssl, client, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
	do
		ret = mbedtls_ssl_handshake(&ssl);
	while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (ret != 0) {
		tls_fail("TLS handshake failed with", peer, ret);
		goto out;
	}
	ret = http_read_request(&ssl, &req, msg, sizeof(msg));
	if (ret < 0) {
		fprintf(stderr, "cms-sim: %s: connection dropped or timed out mid-request\n", peer);
		goto out;
	}
	if (ret > 0) {
		status = ret;
		json_t *o = json_pack("{s:s, s:s}", "error", "bad-request", "message", msg);

		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	} else {
		client_facts(&ssl, &req);
		api_handle(&s->sim, &req, &status, &body);
	}
	fprintf(stderr, "cms-sim: %s %s %s -> %d\n", peer, req.method, req.path, status);
	if (status != 0 && http_write_response(&ssl, status, s->sim.answer_ctype, body) == 0)
		mbedtls_ssl_close_notify(&ssl);
out:
	http_req_free(&req);
	free(body);
	mbedtls_ssl_free(&ssl);
}

static int serve(struct server *s)
{
	mbedtls_net_context client;
	unsigned char ip[16];
	char peer[64];
	size_t iplen;
	int ret;

	while (!stop) {
		mbedtls_net_init(&client);
		ret = mbedtls_net_accept(&s->listen, &client, ip, sizeof(ip), &iplen);
		if (ret != 0) {
			if (!stop && errno != EINTR)
				tls_fail("accept", NULL, ret);
			continue;
		}
		if (iplen == 4)
			snprintf(peer, sizeof(peer), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
		else
			snprintf(peer, sizeof(peer), "peer");
		serve_one(s, &client, peer);
		mbedtls_net_free(&client);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cms-sim --cert F --key F --trust ROOT.crt|DIR [--api-key KEY]\n"
		"               [--client-ca F [--require-client-cert]] [--ca-cert F --ca-key F]\n"
		"               [--org ORG] [--token-ttl S] [--masa-url URL]\n"
		"               [--port N] [--port-file F] [--db FILE] [--fault SPEC]...\n"
		"A local CMS over HTTPS on 127.0.0.1 (port 0: any free port; see --port-file).\n"
		"  v1 (--api-key): POST /api/v1/identities, GET /api/v1/identities/<serial>\n"
		"  v2 (mTLS, --client-ca): POST /v2/auth, POST|GET /v2/organizations/ORG/\n"
		"      certificates (enrol with --ca-cert/--ca-key) and devices (register)\n"
		"  EST (mTLS): POST /.well-known/est/simpleenroll;  GET /health\n"
		"--db FILE    registrations as JSON lines, reloaded at start\n"
		"--fault SPEC fail-first=N | delay-ms=N | malformed | status=CODE | close\n");
}

struct opts {
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
	    sim->token_ttl < 1 || sim->token_ttl > 86400 || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o = { .port = "0", .masa_url = "masa.station-sim.example:9443" };
	char msg[512];
	struct server s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.sim.token_ttl = 300;
	if (parse_args(argc, argv, &o, &s.sim) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	/* No SA_RESTART: a signal must interrupt accept() so we can stop. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	mbedtls_net_init(&s.listen);
	mbedtls_ssl_config_init(&s.conf);
	mbedtls_x509_crt_init(&s.cert);
	mbedtls_x509_crt_init(&s.trust);
	mbedtls_x509_crt_init(&s.client_ca);
	mbedtls_pk_init(&s.key);
	mbedtls_entropy_init(&s.entropy);
	mbedtls_ctr_drbg_init(&s.drbg);
	s.sim.trust = &s.trust;
	s.sim.drbg = &s.drbg;
	ret = load_trust(&s.trust, o.trust);
	if (ret == 0)
		ret = tls_setup(&s, o.cert, o.key);
	if (ret == 0)
		ret = mtls_setup(&s, o.client_ca, o.require_client);
	if (ret == 0 && o.ca_cert && ca_load(&s.sim.ca, o.ca_cert, o.ca_key, o.masa_url, msg,
					     sizeof(msg)) < 0) {
		fprintf(stderr, "cms-sim: %s\n", msg);
		ret = -1;
	}
	if (ret == 0 && reg_open(&s.sim.reg, o.db) < 0) {
		fprintf(stderr, "cms-sim: cannot load --db %s\n", o.db);
		ret = -1;
	}
	if (ret == 0)
		ret = bind_port(&s, o.port, o.port_file);
	if (ret == 0)
		ret = serve(&s);
	reg_close(&s.sim.reg);
	mbedtls_net_free(&s.listen);
	mbedtls_ssl_config_free(&s.conf);
	mbedtls_x509_crt_free(&s.cert);
	mbedtls_x509_crt_free(&s.trust);
	mbedtls_x509_crt_free(&s.client_ca);
	ca_free(&s.sim.ca);
	mbedtls_pk_free(&s.key);
	mbedtls_ctr_drbg_free(&s.drbg);
	mbedtls_entropy_free(&s.entropy);
	return ret == 0 ? 0 : 1;
}
