/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's answers (a keyboard, or a barcode scanner that types a
 * line) at the station's terminal, shared by every fixture: one question at
 * a time, in the order the fixtures asked, each shown with its fixture's
 * name, so that an answer goes to the fixture that asked for it and to no
 * other.  A refused answer (too long, not matching) is said and asked
 * again: nothing is left over for the next question.
 */
#ifndef ST_STATION_ASK_H
#define ST_STATION_ASK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "station/display.h"

#define ASK_MAX 256	/* an answer: at most ASK_MAX - 1 bytes */

struct ask;

/* Is answer acceptable?  If not, why (for the operator) in why[cap]. */
typedef bool (*ask_check_fn)(void *ctx, const char *answer, char *why, size_t cap);

/* Answers read from fd (a terminal), questions shown by d. */
int ask_new(struct ask **out, int fd, struct display *d);
void ask_free(struct ask *a);
/*
 * Ask fixture's question and wait for an answer check accepts (check may
 * be NULL), within timeout_ms in all (the wait for the turn included) and
 * until *stop.  The answer in buf[cap] (cap <= ASK_MAX).  Returns ST_OK,
 * ST_ERR_TIMEOUT, ST_ERR_ABORTED (stopped) or ST_ERR_CLOSED (no more
 * input).
 */
int ask_line(struct ask *a, const char *fixture, const char *question, ask_check_fn check,
	     void *check_ctx, char *buf, size_t cap, int timeout_ms,
	     const atomic_bool *stop);

#endif
