/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The station's HTTP server (libmicrohttpd, Debian's; HTTPS through it when
 * a certificate is given) and the JSON of its bodies.  What the server
 * bounds itself: connections (max_conns, then refused; max_per_peer from
 * one address, so one client sending slowly cannot take them all), how long a
 * connection may stay idle (timeout_s: a slow-loris client is dropped),
 * request bodies (max_body: 413 before the rest is read), the method and
 * the path.  With a token, every request must carry it (Authorization:
 * Bearer TOKEN, or ?token=TOKEN for a browser's EventSource), compared in
 * constant time; without it, 401 (public_paths excepted: files that hold
 * no data).  Every answer forbids other origins' scripts and frames (CSP).  One thread per connection: a handler
 * and a stream may block (a stream's pull waits for its next event).
 */
#ifndef ST_WEB_WEB_H
#define ST_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/err.h"

struct web_opts {
	const char *listen;	/* "127.0.0.1:8080", "[::1]:8080"; port 0: any free */
	const char *cert_pem, *key_pem;	/* both: HTTPS (the PEM text, not a path) */
	const char *token;	/* non-NULL: every request must carry it, */
	const char *const *public_paths; /* but a GET of these (NULL-ended) */
	unsigned max_conns;	/* default 64 */
	unsigned max_per_peer;	/* from one address; default 16 (at most max_conns) */
	unsigned timeout_s;	/* idle connection dropped; default 15 */
	size_t max_body;	/* default 16 KiB */
};

#define WEB_PEER_MAX 64

struct web_req {
	const char *method;
	const char *path;	/* without the query */
	const char *body;	/* NUL-terminated; "" without one */
	size_t body_len;
	char peer[WEB_PEER_MAX]; /* the client's address, for the log */
	bool replied;
	void *conn;		/* the server's */
};

/* Called once per request, whole body read; answers with web_reply() or
 * web_stream() (otherwise a 500 goes out). */
typedef void (*web_handler)(void *ctx, struct web_req *r);

struct web_server;

/* Start serving; *port_out (may be NULL): the port bound. */
int web_start(struct web_server **out, const struct web_opts *o, web_handler h, void *ctx,
	      unsigned *port_out, struct st_error *e);
/* Stop accepting, end every connection (streams see their pull's last call). */
void web_stop(struct web_server *s);

/* host and port of "HOST:PORT" / "[V6]:PORT" (a numeric address). */
int web_listen_parse(const char *listen, char *host, size_t cap, unsigned *port,
		     struct st_error *e);
/* A loopback address (127.0.0.0/8, ::1)? */
bool web_is_loopback(const char *host);
/* Equal, in time that depends on the lengths only. */
bool web_secret_equal(const char *a, const char *b);

const char *web_header(const struct web_req *r, const char *name);
const char *web_query(const struct web_req *r, const char *name);

/* Answer: status, Content-Type, body (copied). */
void web_reply(struct web_req *r, int status, const char *type, const char *body, size_t len);
/* An error as JSON: {"error": {"status": N, "message": "..."}}. */
void web_error(struct web_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A stream (Server-Sent Events): pull fills buf with up to cap bytes and
 * returns how many (it may block until it has some); 0 ends the stream.
 * done(ctx) once, when the connection has ended. */
typedef size_t (*web_pull)(void *ctx, char *buf, size_t cap);
void web_stream(struct web_req *r, const char *type, web_pull pull, void (*done)(void *ctx),
		void *ctx);

/* ---- JSON (web/json.c) ------------------------------------------------ */

/* s as a JSON string, quoted (stored text: valid UTF-8 kept, other bytes
 * as \xNN; common/text.h); NULL as null. */
void web_json_str(FILE *f, const char *s);

/* A request body: a JSON object.  Fields of other types than asked for
 * are errors saying which. */
struct web_json;
int web_json_parse(struct web_json **out, const char *body, size_t len, struct st_error *e);
void web_json_free(struct web_json *j);
/* A string field (NULL: absent or null); ST_ERR_PARSE when not a string
 * or longer than max. */
int web_json_get_str(const struct web_json *j, const char *key, size_t max, const char **out,
		     struct st_error *e);
/* Each field of the object under key (absent: none), every value a string
 * of at most max bytes: fn(ctx, name, value) < 0 stops with its error. */
int web_json_each_str(const struct web_json *j, const char *key, size_t max,
		      int (*fn)(void *ctx, const char *name, const char *value,
				struct st_error *e),
		      void *ctx, struct st_error *e);
/* Does the object have fields other than those in known (NULL-ended)?
 * The first such name in *unknown. */
bool web_json_unknown(const struct web_json *j, const char *const *known, const char **unknown);

#endif
