/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's answers (a keyboard, or a barcode scanner that types a
 * line) at the station's terminal, shared by every fixture: one question at
 * a time, in the order the fixtures asked, each shown with its fixture's
 * name, so that an answer goes to the fixture that asked for it and to no
 * other.  A refused answer (too long, not matching) is said and asked
 * again: nothing is left over for the next question.
 *
 * The terminal echoes nothing and edits nothing (link/tty_keys.h): every
 * key is data, kept as typed and echoed by the station, escaped
 * (common/text.h), so a scan's control characters and escape sequences
 * never act on the terminal nor change what the answer is compared with.
 * Three keys act: Enter (CR, LF or CR LF: a scanner's suffix) ends the
 * answer; Backspace (DEL) takes back the last character; Ctrl-C stops the
 * station (SIGINT), as everywhere else, when it comes alone, whatever was
 * typed before it (dropped, and the operator told so): with a key within
 * 50 ms before or after it, it is part of a scanner's burst (a barcode may
 * start with ETX).  Keys typed
 * before a question is shown (type-ahead: a scan meant for another
 * fixture, keys pressed during the run) are read by a watcher (where a
 * lone Ctrl-C stops too), discarded and the operator told so: an answer is
 * always typed to the question on screen.
 */
#ifndef ST_STATION_ASK_H
#define ST_STATION_ASK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "link/tty_keys.h"
#include "station/display.h"

#define ASK_MAX 256	/* an answer: at most ASK_MAX - 1 bytes */

struct ask;

/* Is answer acceptable?  If not, why (for the operator) in why[cap]. */
typedef bool (*ask_check_fn)(void *ctx, const char *answer, char *why, size_t cap);

/* Answers read from fd, a terminal in keys' modes (tty_keys_open() on fd:
 * not NULL), questions shown by d. */
int ask_new(struct ask **out, int fd, struct tty_keys *keys, struct display *d);
void ask_free(struct ask *a);
/*
 * Ask fixture's question and wait for an answer check accepts (check may
 * be NULL), within timeout_ms from when the question is shown (the wait
 * for the turn, which the questions before it bound, is not counted) and
 * until *stop.  The answer in buf[cap] (cap <= ASK_MAX).  Returns ST_OK,
 * ST_ERR_TIMEOUT, ST_ERR_ABORTED (stopped) or ST_ERR_CLOSED (no more
 * input).
 */
int ask_line(struct ask *a, const char *fixture, const char *question, ask_check_fn check,
	     void *check_ctx, char *buf, size_t cap, int timeout_ms,
	     const atomic_bool *stop);

#endif
