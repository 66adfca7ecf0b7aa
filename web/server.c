/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server (web.h) on libmicrohttpd: one thread per connection, so
 * a stream's pull may wait for its next event.  MHD calls the access
 * handler once when the headers are in, then once per piece of the body,
 * then once more: this file gathers the body (bounded), checks the token,
 * and calls the station's handler on that last call.
 */
#define LOG_PREFIX "web"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/log.h"
#include "web/web.h"

#define DEFAULT_CONNS 64
#define DEFAULT_PER_PEER 16
#define DEFAULT_TIMEOUT_S 15
#define DEFAULT_BODY (16 * 1024)
#define PATH_MAX_LEN 512
#define STREAM_BLOCK 4096

struct web_server {
	struct MHD_Daemon *d;
	web_handler h;
	void *ctx;
	char *token;
	const char *const *public_paths;
	size_t max_body;
};

/* One request: MHD's request context, made when its headers are in. */
struct req {
	struct web_req r;
	char method[16];
	char path[PATH_MAX_LEN];
	char *body;
	size_t len;
	bool too_big, bad_head;
};

int web_listen_parse(const char *listen, char *host, size_t cap, unsigned *port,
		     struct st_error *e)
{
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hl;
	char *end;
	unsigned long p;

	if (!colon)
		return st_fail(e, ST_ERR_ARG, "--listen '%s': give HOST:PORT (127.0.0.1:8080, "
			       "[::1]:8080)", listen);
	hl = (size_t)(colon - listen);
	if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || p > 65535 || hl == 0 || hl >= cap)
		return st_fail(e, ST_ERR_ARG, "--listen '%s': give HOST:PORT with a numeric "
			       "address and a port from 0 to 65535", listen);
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return ST_OK;
}

bool web_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

bool web_secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	/* every byte of a is looked at, whatever matched before */
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[lb ? i % lb : 0]);
	return diff == 0;
}

const char *web_header(const struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *web_query(const struct web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static void queue(struct web_req *r, int status, struct MHD_Response *resp)
{
	r->replied = true;
	if (!resp)
		return;		/* out of memory: MHD closes the connection */
	MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
}

void web_reply(struct web_req *r, int status, const char *type, const char *body, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'self'; frame-ancestors 'none'");
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	}
	queue(r, status, resp);
}

void web_error(struct web_req *r, int status, const char *fmt, ...)
{
	char msg[1024], *body = NULL;
	size_t len = 0;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = open_memstream(&body, &len);
	if (!f) {
		web_reply(r, status, "application/json", "{}", 2);
		return;
	}
	fprintf(f, "{\"error\":{\"status\":%d,\"message\":", status);
	web_json_str(f, msg);
	fputs("}}\n", f);
	fclose(f);
	web_reply(r, status, "application/json", body, len);
	free(body);
}

struct stream {
	web_pull pull;
	void (*done)(void *ctx);
	void *ctx;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n = s->pull(s->ctx, buf, max);

	return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->done)
		s->done(s->ctx);
	free(s);
}

void web_stream(struct web_req *r, const char *type, web_pull pull, void (*done)(void *ctx),
		void *ctx)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *resp = NULL;

	if (s) {
		*s = (struct stream){ pull, done, ctx };
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK,
							 stream_read, s, stream_free);
	}
	if (!resp) {
		free(s);
		if (done)
			done(ctx);
		web_error(r, 503, "out of memory: try again");
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	queue(r, 200, resp);
}

static void peer_of(struct MHD_Connection *c, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, cap, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)cap);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)cap);
}

/* Bearer TOKEN, or ?token=TOKEN (EventSource cannot set a header). */
static bool authorized(const struct web_server *s, const struct web_req *r)
{
	const char *auth = web_header(r, MHD_HTTP_HEADER_AUTHORIZATION), *q = web_query(r, "token");

	if (!s->token)
		return true;
	for (const char *const *p = s->public_paths; p && *p; p++)
		if (!strcmp(r->path, *p) && !strcmp(r->method, "GET"))
			return true;
	if (auth && !strncmp(auth, "Bearer ", 7))
		return web_secret_equal(auth + 7, s->token);
	return q && web_secret_equal(q, s->token);
}

/* The headers are in: the request's context, and what is refused at once. */
static struct req *begin(const struct web_server *s, struct MHD_Connection *c, const char *url,
			 const char *method)
{
	struct req *q = calloc(1, sizeof(*q));
	const char *clen;

	if (!q)
		return NULL;
	q->r.conn = c;
	q->r.method = q->method;
	q->r.path = q->path;
	q->r.body = "";
	q->bad_head = strlen(method) >= sizeof(q->method) || strlen(url) >= sizeof(q->path);
	snprintf(q->method, sizeof(q->method), "%s", method);
	snprintf(q->path, sizeof(q->path), "%s", url);
	peer_of(c, q->r.peer, sizeof(q->r.peer));
	clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen && strtoull(clen, NULL, 10) > s->max_body)
		q->too_big = true;
	return q;
}

static void take_body(const struct web_server *s, struct req *q, const char *data, size_t n)
{
	char *b;

	if (q->too_big || q->len + n > s->max_body) {
		q->too_big = true;
		return;
	}
	b = realloc(q->body, q->len + n + 1);
	if (!b) {
		q->too_big = true;
		return;
	}
	memcpy(b + q->len, data, n);
	q->len += n;
	b[q->len] = '\0';
	q->body = b;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **req_ctx)
{
	struct web_server *s = cls;
	struct req *q = *req_ctx;

	if (!q) {
		q = begin(s, c, url, method);
		*req_ctx = q;
		if (!q)
			return MHD_NO;
		if (!q->too_big && !q->bad_head)
			return MHD_YES;
		/* refused before the body is read: MHD closes after it */
	} else if (*data_size) {
		take_body(s, q, data, *data_size);
		*data_size = 0;
		if (!q->too_big)
			return MHD_YES;
	}
	if (q->r.replied)
		return MHD_YES;
	if (q->bad_head) {
		web_error(&q->r, 414, "the method or the path is too long");
	} else if (q->too_big) {
		web_error(&q->r, 413, "the request body is larger than %zu bytes", s->max_body);
	} else if (!authorized(s, &q->r)) {
		log_warn("%s %s %s: refused, no valid API token", q->r.peer, q->method, q->path);
		web_error(&q->r, 401, "this station needs its API token: Authorization: Bearer TOKEN");
	} else {
		if (q->body) {
			q->r.body = q->body;
			q->r.body_len = q->len;
		}
		s->h(s->ctx, &q->r);
		if (!q->r.replied)
			web_error(&q->r, 500, "no answer to %s %s", q->method, q->path);
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_ctx,
			 enum MHD_RequestTerminationCode why)
{
	struct req *q = *req_ctx;

	if (q)
		free(q->body);
	free(q);
	*req_ctx = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_info("libmicrohttpd: %s", line);
}

static int bind_addr(const char *listen, struct sockaddr_storage *ss, bool *v6,
		     struct st_error *e)
{
	char host[128];
	unsigned port;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	int ret = web_listen_parse(listen, host, sizeof(host), &port, e);

	if (ret < 0)
		return ret;
	memset(ss, 0, sizeof(*ss));
	*v6 = false;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*v6 = true;
	} else {
		return st_fail(e, ST_ERR_ARG, "--listen '%s': '%s' is not a numeric IPv4 or IPv6 "
			       "address", listen, host);
	}
	return ST_OK;
}

int web_start(struct web_server **out, const struct web_opts *o, web_handler h, void *ctx,
	      unsigned *port_out, struct st_error *e)
{
	struct web_server *s;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_ERROR_LOG;
	bool v6, tls = o->cert_pem && o->key_pem;
	const union MHD_DaemonInfo *di;
	unsigned conns = o->max_conns ? o->max_conns : DEFAULT_CONNS;
	unsigned per_peer = o->max_per_peer ? o->max_per_peer : DEFAULT_PER_PEER;
	int ret = bind_addr(o->listen, &ss, &v6, e);

	if (ret < 0)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return st_fail(e, ST_ERR_NOMEM, "out of memory starting the web server");
	s->h = h;
	s->ctx = ctx;
	s->max_body = o->max_body ? o->max_body : DEFAULT_BODY;
	s->public_paths = o->public_paths;
	if (o->token && !(s->token = strdup(o->token))) {
		free(s);
		return st_fail(e, ST_ERR_NOMEM, "out of memory starting the web server");
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, conns,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_peer < conns ? per_peer : conns,
				MHD_OPTION_CONNECTION_TIMEOUT,
				o->timeout_s ? o->timeout_s : DEFAULT_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o->cert_pem,
				MHD_OPTION_HTTPS_MEM_KEY, o->key_pem,
				MHD_OPTION_END);
	if (!s->d) {
		free(s->token);
		free(s);
		return st_fail(e, ST_ERR_IO, "cannot listen on %s%s: the address is in use, not "
			       "this machine's, or the certificate and key do not match",
			       o->listen, tls ? " (HTTPS)" : "");
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (port_out)
		*port_out = di ? di->port : 0;
	*out = s;
	return ST_OK;
}

void web_stop(struct web_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	if (s->token)
		memset(s->token, 0, strlen(s->token));
	free(s->token);
	free(s);
}
