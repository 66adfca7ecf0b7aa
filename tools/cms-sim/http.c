// SPDX-License-Identifier: Apache-2.0
/*
 * cms-sim's HTTPS: libmicrohttpd parses HTTP/1.1 and runs TLS (GnuTLS), one
 * thread per connection so many fixtures' handshakes proceed side by side.
 * This file turns its callbacks into one struct http_req for api_handle()
 * and the answer back into a response.  What MHD leaves to us: bodies
 * bounded by Content-Length (64 KiB; 413, after reading a body of up to
 * 1 MiB; chunked 501; POST without a length 411), the client certificate's
 * facts, and --require-client-cert
 * enforced in the handshake.  MHD bounds the rest: headers by its memory
 * pool (431), idle connections by its timeout.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <microhttpd.h>

#include "tools/cms-sim/cms-sim.h"

/* TLS 1.2 minimum, GnuTLS's default suites otherwise. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define CONNECTIONS_MAX 64

struct http_server {
	struct MHD_Daemon *d;
	struct sim *sim;
	int require_client;
};

/* One TLS connection: MHD's socket context. */
struct conn {
	char peer[INET_ADDRSTRLEN];
	char refused[192];	/* why the handshake refused the client certificate */
	int requests;		/* request lines seen: the handshake succeeded */
};

/* One request: MHD's request context, made when its request line arrives. */
struct req {
	struct http_req r;
	struct conn *k;
	int path_too_long;
	int started;		/* the handler has seen the headers */
	int drain;		/* a body too large: read and drop it, then 413 */
};

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static gnutls_session_t session_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	return ci ? ci->tls_session : NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	/* MHD's words for any failed handshake; on_connection() says which. */
	if (strstr(line, "handshake message out of context"))
		return;
	fprintf(stderr, "cms-sim: libmicrohttpd: %s\n", line);
}

/*
 * After the alert: close our side and read what the client still sends
 * (its request, under TLS 1.3) until it closes, at most 500 ms.  Closing
 * with unread data would send a reset, and a reset can destroy the alert
 * before the client reads it (the lingering close of RFC 9112 9.6).
 */
static void linger_close(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[1024];

	if (fd < 0 || shutdown(fd, SHUT_WR) < 0)
		return;
	for (int i = 0; i < 10 && poll(&p, 1, 50) >= 0; i++)
		if ((p.revents & (POLLIN | POLLHUP)) && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

/*
 * --require-client-cert: GnuTLS verifies the client certificate against
 * --client-ca during the handshake and aborts it otherwise, so a client
 * without one never reaches HTTP.  MHD 0.9.75 keeps its connection as the
 * session pointer; that is how we find where to note the reason.
 */
static int verify_client(gnutls_session_t ss)
{
	struct conn *k = conn_of(gnutls_session_get_ptr(ss));
	gnutls_datum_t txt = { NULL, 0 };
	unsigned int st = 0;
	size_t n;
	int ret;

	ret = gnutls_certificate_verify_peers2(ss, &st);
	if (ret == 0 && st == 0)
		return 0;
	/* Say why, as a web server in front of a real CMS does (RFC 8446
	 * 6.2: a fatal alert; certificate_required when none came, unknown_ca
	 * for an issuer outside --client-ca, bad_certificate otherwise), so
	 * the client can tell a refusal from an outage. */
	gnutls_alert_send(ss, GNUTLS_AL_FATAL,
			  ret == GNUTLS_E_NO_CERTIFICATE_FOUND ? GNUTLS_A_CERTIFICATE_REQUIRED :
			  ret == 0 && (st & GNUTLS_CERT_SIGNER_NOT_FOUND) ? GNUTLS_A_UNKNOWN_CA :
			  GNUTLS_A_BAD_CERTIFICATE);
	linger_close(gnutls_transport_get_int(ss));
	if (!k)
		return GNUTLS_E_CERTIFICATE_ERROR;
	if (ret == 0)
		ret = gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &txt, 0);
	snprintf(k->refused, sizeof(k->refused), "client certificate refused: %s",
		 ret < 0 ? gnutls_strerror(ret) : (const char *)txt.data);
	gnutls_free(txt.data);
	n = strlen(k->refused);
	while (n > 0 && k->refused[n - 1] == ' ')	/* GnuTLS ends with one */
		k->refused[--n] = '\0';
	return GNUTLS_E_CERTIFICATE_ERROR;
}

static void require_client_cert(struct MHD_Connection *c)
{
	gnutls_session_t ss = session_of(c);

	if (!ss)
		return;
	gnutls_certificate_server_set_request(ss, GNUTLS_CERT_REQUIRE);
	if (gnutls_session_get_ptr(ss) == c)
		gnutls_session_set_verify_function(ss, verify_client);
	else	/* another MHD: the same refusal, without our reason */
		gnutls_session_set_verify_cert(ss, NULL, 0);
}

/* MHD runs this before the connection's thread starts its handshake. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	const struct http_server *h = cls;
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr_in *sa;
	struct conn *k = *socket_ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if (h->require_client)
			require_client_cert(c);
		k = calloc(1, sizeof(*k));
		*socket_ctx = k;
		if (!k)
			return;
		snprintf(k->peer, sizeof(k->peer), "peer");
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		sa = ci ? (const struct sockaddr_in *)ci->client_addr : NULL;
		if (sa && sa->sin_family == AF_INET)
			inet_ntop(AF_INET, &sa->sin_addr, k->peer, sizeof(k->peer));
		return;
	}
	if (!k)
		return;
	if (k->refused[0])
		fprintf(stderr, "cms-sim: TLS handshake failed with %s: %s\n", k->peer,
			k->refused);
	else if (k->requests == 0)
		fprintf(stderr, "cms-sim: %s: closed before any request: the client left, timed "
			"out, or failed the TLS handshake (%s)\n", k->peer, h->require_client ?
			"no client certificate, or ours not trusted?" : "ours not trusted?");
	free(k);
	*socket_ctx = NULL;
}

/* The request line has been read (so the handshake is done): the raw target. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->k = conn_of(c);
	if (q->k)
		q->k->requests++;
	/* too long: refused by take_head(), logged cut short */
	q->path_too_long = strlen(uri) >= sizeof(q->r.path);
	snprintf(q->r.path, sizeof(q->r.path), "%s", uri);
	return q;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_ctx,
			 enum MHD_RequestTerminationCode why)
{
	struct req *q = *req_ctx;

	if (q)
		free(q->r.body);
	free(q);
	*req_ctx = NULL;
}

/* What the routes need to know of the client certificate, if it verifies. */
static void client_facts(struct MHD_Connection *c, struct http_req *r)
{
	gnutls_session_t ss = session_of(c);
	const gnutls_datum_t *der;
	mbedtls_x509_crt crt;
	unsigned char sha[32];
	unsigned int st, n = 0;

	if (!ss || gnutls_certificate_verify_peers2(ss, &st) < 0 || st != 0)
		return;
	der = gnutls_certificate_get_peers(ss, &n);
	if (!der || n == 0)
		return;
	r->client_ok = 1;
	mbedtls_sha256_ret(der[0].data, der[0].size, sha, 0);
	for (int i = 0; i < 32; i++)
		snprintf(r->client_fp + 2 * i, 3, "%02x", sha[i]);
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_der(&crt, der[0].data, der[0].size) != 0 ||
	    mbedtls_x509_dn_gets(r->client_cn, sizeof(r->client_cn), &crt.subject) < 0)
		snprintf(r->client_cn, sizeof(r->client_cn), "?");
	mbedtls_x509_crt_free(&crt);
}

static void log_request(const struct req *q, int status)
{
	fprintf(stderr, "cms-sim: %s %s %s -> %d\n", q->k ? q->k->peer : "peer",
		q->r.method, q->r.path, status);
}

/* Queue status and body (taken over); one request per connection. */
static enum MHD_Result respond(struct MHD_Connection *c, int status, const char *ctype,
			       char *body, int retry_after)
{
	char ra[16];

	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(body ? strlen(body) : 0, body,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				ctype ? ctype : "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (retry_after > 0) {	/* RFC 9110 10.2.3, delta-seconds */
		snprintf(ra, sizeof(ra), "%d", retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = MHD_queue_response(c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, struct req *q, int status,
			      const char *why)
{
	log_request(q, status);
	return respond(c, status, NULL, error_body("bad-request", why), 0);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result count_auth(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
		(*(int *)cls)++;
	return MHD_YES;
}

/* Two Authorization headers are no credentials: proxies disagree on which wins. */
static const char *authorization(struct MHD_Connection *c)
{
	int n = 0;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_auth, &n);
	return n == 1 ? header(c, MHD_HTTP_HEADER_AUTHORIZATION) : NULL;
}

/*
 * The headers are in: keep what the routes read and refuse, before any of
 * the body is read, what cannot be answered.  0 or a refusal's status.
 */
static int take_head(struct MHD_Connection *c, struct req *q, const char *method,
		     const char **why)
{
	const char *auth = authorization(c);
	const char *ctype = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *accept = header(c, MHD_HTTP_HEADER_ACCEPT);
	const char *clen = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long len = 0;
	char *end;

	snprintf(q->r.method, sizeof(q->r.method), "%s", method);
	*why = "method or path too long";
	if (q->path_too_long || strlen(method) >= sizeof(q->r.method))
		return 400;
	*why = "Authorization header too long";
	if (auth && strlen(auth) >= sizeof(q->r.auth))
		return 400;
	snprintf(q->r.auth, sizeof(q->r.auth), "%s", auth ? auth : "");
	snprintf(q->r.ctype, sizeof(q->r.ctype), "%s", ctype ? ctype : "");
	snprintf(q->r.accept, sizeof(q->r.accept), "%s", accept ? accept : "");
	q->r.has_length = clen != NULL;
	*why = "chunked bodies are not supported; send Content-Length";
	if (header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return 501;
	if (clen) {
		len = strtoull(clen, &end, 10);
		*why = "body larger than 64 KiB";
		if (*end || len > HTTP_DRAIN_MAX)
			return 413;
		/* Answer once the body is in: a 413 sent while the client still
		 * writes, then a close, can reach it as a reset instead (the
		 * lingering close of RFC 9112 9.6). */
		q->drain = len > HTTP_BODY_MAX;
		if (q->drain)
			return 0;
	} else if (strcmp(method, "POST") == 0) {
		*why = "POST without Content-Length";
		return 411;
	}
	*why = "out of memory";
	q->r.body = malloc(len + 1);
	if (!q->r.body)
		return 500;
	q->r.body[0] = '\0';
	return 0;
}

/* MHD checks the body against Content-Length, which take_head() bounded. */
static int take_body(struct req *q, const char *data, size_t n)
{
	if (n > HTTP_BODY_MAX - q->r.body_len)
		return -1;
	memcpy(q->r.body + q->r.body_len, data, n);
	q->r.body_len += n;
	q->r.body[q->r.body_len] = '\0';
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_len, void **req_ctx)
{
	struct http_server *h = cls;
	struct req *q = *req_ctx;
	const char *why, *ctype;
	char *body;
	int status, retry_after = 0;

	if (!q)
		return MHD_NO;
	if (!q->started) {
		q->started = 1;
		status = take_head(c, q, method, &why);
		return status ? refuse(c, q, status, why) : MHD_YES;
	}
	if (*data_len) {
		if (!q->drain && take_body(q, data, *data_len) < 0)
			return MHD_NO;
		*data_len = 0;
		return MHD_YES;
	}
	if (q->drain)
		return refuse(c, q, 413, "body larger than 64 KiB");
	client_facts(c, &q->r);
	api_handle(h->sim, &q->r, &status, &body, &ctype, &retry_after);
	log_request(q, status);
	if (status == 0) {	/* --fault close: no answer at all */
		free(body);
		return MHD_NO;
	}
	return respond(c, status, ctype, body, retry_after);
}

struct http_server *http_start(struct sim *s, const struct http_tls *t, unsigned short port,
			       unsigned short *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const unsigned int flags = MHD_USE_TLS | MHD_USE_THREAD_PER_CONNECTION |
				   MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct http_server *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->sim = s;
	h->require_client = t->require_client;
	/* The trust option last: without --client-ca it ends the list instead. */
	h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_HTTPS_MEM_CERT, t->cert_pem,
				MHD_OPTION_HTTPS_MEM_KEY, t->key_pem,
				MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_HDR_MAX,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)(IO_TIMEOUT_MS / 1000),
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTIONS_MAX,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				t->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
				t->client_ca_pem, MHD_OPTION_END);
	di = h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!di) {
		fprintf(stderr, "cms-sim: cannot serve HTTPS on 127.0.0.1 port %u (see above)\n",
			port);
		http_stop(h);
		return NULL;
	}
	*bound = di->port;
	return h;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h);
}
