/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

const char *st_strerror(int err)
{
	switch (err) {
	case ST_OK: return "ok";
	case ST_ERR: return "error";
	case ST_ERR_ARG: return "bad argument";
	case ST_ERR_NOMEM: return "out of memory";
	case ST_ERR_IO: return "I/O error";
	case ST_ERR_TIMEOUT: return "timeout";
	case ST_ERR_PROTO: return "protocol error";
	case ST_ERR_NACK: return "NACK";
	case ST_ERR_VERIFY: return "verify failed";
	case ST_ERR_PARSE: return "parse error";
	case ST_ERR_NOTSUP: return "not supported";
	case ST_ERR_DB: return "database error";
	case ST_ERR_TLS: return "TLS error";
	case ST_ERR_HTTP: return "HTTP error";
	case ST_ERR_CERT: return "certificate check failed";
	case ST_ERR_FAIL: return "failed";
	case ST_ERR_ABORTED: return "aborted";
	case ST_ERR_NOTFOUND: return "not found";
	case ST_ERR_EXISTS: return "already exists";
	case ST_ERR_CLOSED: return "connection closed";
	case ST_ERR_LIMIT: return "limit exceeded";
	case ST_ERR_BUSY: return "in use";
	}
	return "unknown error";
}

int st_fail(struct st_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void st_error_prefix(struct st_error *e, const char *fmt, ...)
{
	char pre[ST_ERRMSG_MAX];
	char old[ST_ERRMSG_MAX];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* A long message is cut, never overrun. */
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", pre, old) >= (int)sizeof(e->msg))
		e->msg[sizeof(e->msg) - 1] = '\0';
}

void st_error_clear(struct st_error *e)
{
	if (!e)
		return;
	e->code = ST_OK;
	e->msg[0] = '\0';
}
