// SPDX-License-Identifier: Apache-2.0
/*
 * Just enough HTTP/1.1 for a JSON API: a request line, headers up to
 * HTTP_HDR_MAX, a body given by Content-Length up to HTTP_BODY_MAX.  Every
 * read is bounded in size and (through the TLS read timeout) in time.
 * Chunked bodies are refused: our clients always send a length.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cms-sim.h"

/* One TLS read: >0 bytes, 0 at EOF, -1 on error or timeout. */
static int tls_read(mbedtls_ssl_context *ssl, char *buf, size_t len)
{
	int ret;

	for (;;) {
		ret = mbedtls_ssl_read(ssl, (unsigned char *)buf, len);
		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0)
			return 0;
		return ret < 0 ? -1 : ret;
	}
}

static int tls_write_all(mbedtls_ssl_context *ssl, const char *buf, size_t len)
{
	int ret;

	while (len > 0) {
		ret = mbedtls_ssl_write(ssl, (const unsigned char *)buf, len);
		if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (ret <= 0)
			return -1;
		buf += ret;
		len -= (size_t)ret;
	}
	return 0;
}

static int refuse(int status, char *msg, size_t cap, const char *why)
{
	snprintf(msg, cap, "%s", why);
	return status;
}

/* "METHOD SP PATH SP HTTP/1.x" */
static int parse_request_line(char *line, struct http_req *r, char *msg, size_t cap)
{
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;

	if (!sp1 || !sp2)
		return refuse(400, msg, cap, "malformed request line");
	*sp1 = *sp2 = '\0';
	if (strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return refuse(505, msg, cap, "only HTTP/1.x is spoken here");
	if (strlen(line) >= sizeof(r->method) || strlen(sp1 + 1) >= sizeof(r->path))
		return refuse(400, msg, cap, "method or path too long");
	strcpy(r->method, line);
	strcpy(r->path, sp1 + 1);
	return 0;
}

/* Content-Length: digits only, bounded; -1 when absent. */
static int parse_headers(char *p, struct http_req *r, long *clen, char *msg, size_t cap)
{
	char *line, *colon, *val, *end;

	*clen = -1;
	for (line = strtok_r(p, "\r\n", &p); line; line = strtok_r(NULL, "\r\n", &p)) {
		colon = strchr(line, ':');
		if (!colon)
			return refuse(400, msg, cap, "header line without a colon");
		*colon = '\0';
		for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
			;
		if (strcasecmp(line, "Content-Length") == 0) {
			if (!isdigit((unsigned char)*val))
				return refuse(400, msg, cap, "bad Content-Length");
			*clen = strtol(val, &end, 10);
			if (*end || *clen > HTTP_BODY_MAX)
				return refuse(413, msg, cap, "body larger than 64 KiB");
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			return refuse(501, msg, cap, "chunked bodies are not supported; send Content-Length");
		} else if (strcasecmp(line, "Content-Type") == 0) {
			snprintf(r->ctype, sizeof(r->ctype), "%s", val);
		} else if (strcasecmp(line, "Authorization") == 0) {
			if (strlen(val) >= sizeof(r->auth))
				return refuse(400, msg, cap, "Authorization header too long");
			strcpy(r->auth, val);
		}
	}
	return 0;
}

/* Read up to the blank line; whatever came after it is the start of the body. */
static int read_head(mbedtls_ssl_context *ssl, char *hdr, size_t *got, char **body_start)
{
	char *end;
	int n;

	*got = 0;
	for (;;) {
		if (*got >= HTTP_HDR_MAX)
			return 431;
		n = tls_read(ssl, hdr + *got, HTTP_HDR_MAX - *got);
		if (n <= 0)
			return -1;
		*got += (size_t)n;
		hdr[*got] = '\0';
		end = strstr(hdr, "\r\n\r\n");
		if (end) {
			*end = '\0';
			*body_start = end + 4;
			return 0;
		}
	}
}

int http_read_request(mbedtls_ssl_context *ssl, struct http_req *r, char *msg, size_t cap)
{
	char *hdr, *body_start = NULL, *eol;
	size_t got, have;
	long clen = -1;
	int ret, n;

	memset(r, 0, sizeof(*r));
	hdr = malloc(HTTP_HDR_MAX + 1);
	if (!hdr)
		return -1;
	ret = read_head(ssl, hdr, &got, &body_start);
	if (ret == 431)
		snprintf(msg, cap, "request headers larger than 8 KiB");
	if (ret != 0)
		goto out;
	have = got - (size_t)(body_start - hdr);
	eol = strstr(hdr, "\r\n");
	if (eol)
		*eol = '\0';
	ret = parse_request_line(hdr, r, msg, cap);
	if (ret == 0 && eol)
		ret = parse_headers(eol + 2, r, &clen, msg, cap);
	else if (ret == 0)
		clen = -1;
	if (ret != 0)
		goto out;
	if (clen < 0 && strcmp(r->method, "POST") == 0) {
		ret = refuse(411, msg, cap, "POST without Content-Length");
		goto out;
	}
	if (clen < 0)
		clen = 0;
	if (have > (size_t)clen) {
		ret = refuse(400, msg, cap, "more bytes than Content-Length (no pipelining)");
		goto out;
	}
	r->body = malloc((size_t)clen + 1);
	if (!r->body) {
		ret = -1;
		goto out;
	}
	memcpy(r->body, body_start, have);
	while (have < (size_t)clen) {
		n = tls_read(ssl, r->body + have, (size_t)clen - have);
		if (n <= 0) {
			ret = -1;
			goto out;
		}
		have += (size_t)n;
	}
	r->body[have] = '\0';
	r->body_len = have;
out:
	free(hdr);
	return ret;
}

void http_req_free(struct http_req *r)
{
	free(r->body);
	r->body = NULL;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

int http_write_response(mbedtls_ssl_context *ssl, int status, const char *ctype,
			const char *body)
{
	char head[256];
	size_t blen = body ? strlen(body) : 0;
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     status, reason(status), ctype ? ctype : "application/json", blen);
	if (tls_write_all(ssl, head, (size_t)n) < 0)
		return -1;
	return blen ? tls_write_all(ssl, body, blen) : 0;
}
