/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware line console: "#<tag> command args\n" in; lines out, each
 * starting "#<tag> ", the last one "#<tag> OK" or "#<tag> ERR reason".  The
 * tag (a number per link, 1..999999999) pairs every reply with its request:
 * a reply that comes after its command timed out carries the old tag and is
 * discarded with a warning, never taken as the answer to the next command.
 * Untagged lines (a boot banner, a log line) are not part of any reply.
 * Bounded: a response longer than the caller's buffer is an error
 * (ST_ERR_LIMIT), never a reallocation driven by the wire.
 */
#ifndef ST_FIXTURES_CONSOLE_H
#define ST_FIXTURES_CONSOLE_H

#include <stddef.h>

#include "link/link.h"

/*
 * Send cmd (no newline, no tag) and collect the response lines before the
 * final status line into resp (joined with '\n', NUL-terminated, CR and tag
 * stripped).
 * Returns ST_OK on "OK"; ST_ERR_FAIL on "ERR reason" (reason in e->msg);
 * ST_ERR_TIMEOUT when no status line arrives within timeout_ms;
 * ST_ERR_PROTO on bytes that are not text (garbage on the line).
 * Pending input is discarded before the command is sent.
 */
int console_cmd(struct link *l, const char *cmd, char *resp, size_t cap,
		int timeout_ms, struct st_error *e);

/*
 * Wait until a line matching the POSIX extended regex `pattern` arrives
 * (e.g. a boot banner).  The matching line is copied to line (may be NULL).
 */
int console_wait_line(struct link *l, const char *pattern, char *line, size_t cap,
		      int timeout_ms, struct st_error *e);

#endif
