/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The project's one error enum (libsigrok/curl style): ST_OK = 0, errors are
 * negative.  Functions that can fail return an int from this enum and, where
 * an operator needs to know more, fill a struct st_error with a message that
 * says what happened and what to do.  Foreign codes (libserialport, libftdi,
 * SQLite, mbedTLS, libcurl) are translated where they are called, keeping the
 * library's own text in the message.
 */
#ifndef ST_COMMON_ERR_H
#define ST_COMMON_ERR_H

#include <stddef.h>

enum st_err {
	ST_OK = 0,
	ST_ERR = -1,		/* unspecified failure */
	ST_ERR_ARG = -2,	/* bad argument / bad configuration */
	ST_ERR_NOMEM = -3,
	ST_ERR_IO = -4,		/* OS-level I/O error */
	ST_ERR_TIMEOUT = -5,
	ST_ERR_PROTO = -6,	/* peer broke the wire protocol */
	ST_ERR_NACK = -7,	/* bootloader said NACK */
	ST_ERR_VERIFY = -8,	/* read-back / CRC mismatch */
	ST_ERR_PARSE = -9,	/* malformed input (file or wire) */
	ST_ERR_NOTSUP = -10,	/* optional backend slot is NULL */
	ST_ERR_DB = -11,
	ST_ERR_TLS = -12,
	ST_ERR_HTTP = -13,
	ST_ERR_CERT = -14,	/* certificate check failed */
	ST_ERR_FAIL = -15,	/* the device answered, and the answer is a failure */
	ST_ERR_ABORTED = -16,	/* interrupted (signal, operator) */
	ST_ERR_NOTFOUND = -17,
	ST_ERR_EXISTS = -18,
	ST_ERR_CLOSED = -19,	/* peer went away */
	ST_ERR_LIMIT = -20,	/* a bounded buffer or count was exceeded */
	ST_ERR_BUSY = -21,	/* in use by another process (a fixture lock) */
};

/* Name of every value, e.g. "timeout". Never NULL. */
const char *st_strerror(int err);

#define ST_ERRMSG_MAX 512

struct st_error {
	int code;
	char msg[ST_ERRMSG_MAX];
};

/*
 * Record an error and return its code, so callers can write
 *     return st_fail(e, ST_ERR_TIMEOUT, "no ACK after block at 0x%08x", a);
 * e may be NULL. A message already set is replaced.
 */
int st_fail(struct st_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with more context ("flash diag: ..."). */
void st_error_prefix(struct st_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void st_error_clear(struct st_error *e);

#endif
