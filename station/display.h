/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's view.  tty: one live line per fixture and a large coloured
 * PASS/FAIL; plain: one line per event (stdout is not a terminal); json:
 * one JSON object per line for other programs.
 */
#ifndef ST_STATION_DISPLAY_H
#define ST_STATION_DISPLAY_H

#include <stdbool.h>
#include <stdio.h>

#include "station/engine.h"

enum display_mode { DISPLAY_PLAIN = 0, DISPLAY_TTY, DISPLAY_JSON };

struct display;

/* --color=WHEN: "auto" (a terminal, unless NO_COLOR is set or TERM=dumb),
 * "always", "never"; -1 for anything else. */
int display_set_color(const char *when);
/* The mode for out: json, tty (a terminal that can move its cursor), or
 * plain (a file, a pipe, TERM=dumb). */
enum display_mode display_mode_for(FILE *out, bool json);

/* What every --json event carries besides its fixture. */
struct display_info {
	const char *station, *sequence, *sequence_version;
};

struct display *display_new(FILE *out, enum display_mode mode, const struct display_info *info,
			    int n_fixtures, const char *const *names);
void display_free(struct display *d);
/* The events to hand to the engine. */
const struct run_events *display_events(struct display *d);
/* A fixture that could not be used (--json: a fixture_fault event). */
void display_fixture_fault(struct display *d, const char *fixture, const char *reason);
/* A unit not tested: the MES did not allow it (--json: a not_tested
 * event; the other views have the log line that says why). */
void display_not_tested(struct display *d, const char *fixture, const char *serial,
			const char *reason);
/* The end: the counts and the exit status (--json: a summary event;
 * otherwise the summary line).  Call once, before display_free(). */
struct display_counts {
	int passed, failed, error, aborted;
	int refused;	/* units not tested: the MES refused them or did not answer */
	int unscanned;	/* units not tested: no serial was scanned in time */
};
void display_summary(struct display *d, const struct display_counts *n, int exit_status,
		     const char *log);
/*
 * A question to the operator about fixture (tty: the last line, under the
 * live lines, redrawn with them; otherwise on stderr); what is typed so far
 * (as typed: shown escaped, its tail when it does not fit; too_long: the
 * rest will be refused); its end: the answer (NULL: none) and why it was
 * refused (NULL: taken).  A note about fixture's question (type-ahead
 * discarded) goes above it.
 */
void display_ask(struct display *d, const char *fixture, const char *question);
void display_ask_typed(struct display *d, const char *fixture, const char *typed, bool too_long);
void display_ask_done(struct display *d, const char *fixture, const char *answer,
		      const char *refused);
void display_ask_note(struct display *d, const char *fixture, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Called while a question waits for keys (a few times a second): when the
 * view is not a terminal and its output (a pipe: `| tee log`; a terminal)
 * may land on the operator's screen, a question that other lines came after
 * is shown again, with what was typed so far, once they have stopped
 * coming (so that it is the last thing on the screen, not buried).
 */
void display_ask_idle(struct display *d);

#endif
