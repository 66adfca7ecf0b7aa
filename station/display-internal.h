/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's view's own state, shared by its files: display.c (modes,
 * colours, events, life cycle), display_live.c (the live lines),
 * display_banner.c (the verdicts) and display_ask.c (the operator's
 * questions).
 * Every function here is called with d->lock held.
 */
#ifndef ST_STATION_DISPLAY_INTERNAL_H
#define ST_STATION_DISPLAY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "station/display.h"

/* Every text kept here is as shown (common/text.h): it came from outside. */
struct fx_state {
	char id[FX_NAME_MAX];		/* as the engine names it */
	char name[FX_NAME_MAX * 4];
	char serial[64];
	char step[96];
	uint64_t done, total;
	int64_t t0, pt0, t_end;
	int shown_pct;
	bool running, finished;
	bool asking;		/* a question to the operator is out for it */
	char run_id[DB_ID_LEN];	/* the run in flight, for --json */
	int index;		/* the step in flight's index, for --json */
	enum db_outcome outcome;
	char failed_step[96];
};

struct display {
	FILE *out;
	enum display_mode mode;
	struct display_info info;
	pthread_mutex_t lock;
	struct fx_state *fx;
	int n, name_w;
	int drawn;		/* tty: live lines on screen below the history */
	bool utf8;
	bool color;		/* escape sequences for colour */
	bool closed;		/* the output was closed (EPIPE, a hung-up terminal) */
	char ask[FX_NAME_MAX * 4 + 512]; /* the question under the live lines */
	char typed[1100];	/* the answer so far, as shown (4 bytes a byte at most) */
	bool typed_long;	/* more was typed than an answer may hold */
	bool out_seen;		/* not a tty: the output may show on the operator's
				 * screen, under the question on stderr */
	bool ask_buried;	/* not a tty: lines were written after the question */
	int64_t out_at;		/* when (now_us()) */
	pthread_t ticker;
	pthread_cond_t tick_cond;
	bool ticking, quit;
	bool ended;		/* end_live() done: nothing redrawn any more */
	struct run_events ev;
};

/* text from outside, as it may be shown (common/text.h) */
void disp_shown(char *buf, size_t n, const char *text);
/* fixture's state (the first fixture's for a name not known) */
struct fx_state *disp_find(struct display *d, const char *name);
/* the escape that ends a colour, or "" without colour */
const char *disp_reset(const struct display *d);
/* tty: go back up to the live lines' first line and clear down from there
 * (what is printed next lands above them); draw them again below it;
 * both */
void disp_lift(struct display *d);
void disp_draw(struct display *d);
void disp_redraw(struct display *d);
/* tty: the question and the answer so far, the last line (display_ask.c) */
void disp_draw_question(struct display *d, int width);
/* the output flushed (a closed one said once) */
void disp_flush(struct display *d);
/* PASS, FAIL, ERROR, ABORTED; its colour's escape ("" without colour) */
const char *disp_verdict_word(enum db_outcome o);
const char *disp_color(const struct display *d, enum db_outcome o);
/* the terminal's size (80 x 24 when it does not say) */
int disp_term_width(struct display *d);
int disp_term_rows(struct display *d);
/* tty: a log line above the live lines (the log's sink); the ticker thread
 * (display_live.c) */
void disp_log_above(void *ctx, const char *line);
void *disp_ticker(void *arg);
/* tty: fixture f's verdict banner (display_banner.c) */
void disp_banner(struct display *d, const struct fx_state *f, enum db_outcome o,
		 const char *failed_step, const char *reason);

#endif
