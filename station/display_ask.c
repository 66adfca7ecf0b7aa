/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's questions in the view (display.h): on a terminal the last
 * line, under the live lines and redrawn with them, with the answer so far
 * as the station echoes it (the terminal echoes nothing: link/tty_keys.h),
 * escaped and never wider than the line; otherwise on stderr, the answer
 * echoed as it grows, and the question shown again when the view's lines
 * (through `| tee` to the same screen) came after it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "station/display-internal.h"

#define TYPED_MIN 16	/* columns kept for the answer when a question is long */
#define QUIET_US 300000	/* not a tty: the lines after a question stopped coming */

/* Columns of shown text (valid UTF-8: a column a character). */
static int cols(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Bytes of s's first n columns. */
static int bytes_of(const char *s, int n)
{
	const char *p = s;

	for (; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80 && n-- == 0)
			break;
	return (int)(p - s);
}

/* The question and the answer so far on one line, never wrapped (a wrapped
 * line would break the count of lines to go back up): a long question is
 * cut, shown cut by an ellipsis and still followed by ": " before the
 * answer; a long answer shows its tail after a '<'. */
void disp_draw_question(struct display *d, int width)
{
	const char *more = d->typed_long ? " (too long)" : "";
	const char *cut = d->utf8 ? "\u2026: " : "...: ";
	int room = width - 1 - (int)strlen(more), q = cols(d->ask), t, shown;
	const char *typed = d->typed;

	if (q > room - TYPED_MIN)
		q = room - TYPED_MIN;
	t = room - q;
	if (cols(typed) > t)
		typed += bytes_of(typed, cols(typed) - (t - 1));
	/* cut: the question's first columns, then the mark (3 or 5 columns,
	 * fewer on a terminal too narrow for it) */
	shown = q < cols(d->ask) ? q - cols(cut) : q;
	if (shown < 0)
		shown = 0;
	fprintf(d->out, "%s%.*s%.*s%s%s%s%s\033[K", d->color ? "\033[1m" : "",
		bytes_of(d->ask, shown), d->ask, bytes_of(cut, q - shown), cut, disp_reset(d),
		typed == d->typed ? "" : "<", typed, more);
}

/* ---- the operator's questions --------------------------------------------- */

void display_ask(struct display *d, const char *fixture, const char *question)
{
	char q[400];

	disp_shown(q, sizeof(q), question);
	pthread_mutex_lock(&d->lock);
	disp_find(d, fixture)->asking = true;
	snprintf(d->ask, sizeof(d->ask), "[%s] %s: ", disp_find(d, fixture)->name, q);
	d->typed[0] = '\0';
	d->typed_long = false;
	d->ask_buried = false;
	if (d->mode == DISPLAY_TTY) {
		disp_redraw(d);
	} else {
		/* the view is not a terminal (a file, --json): ask on stderr */
		fprintf(stderr, "%s", d->ask);
		fflush(stderr);
	}
	pthread_mutex_unlock(&d->lock);
}

/* Bytes of raw without a UTF-8 sequence still being typed at its end. */
static size_t whole_len(const char *raw)
{
	size_t n = strlen(raw), i = n;
	unsigned char lead;
	size_t need;

	while (i > 0 && n - i < 3 && ((unsigned char)raw[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return n;
	lead = (unsigned char)raw[i - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return n - (i - 1) < need ? i - 1 : n;
}

/* Not a terminal we can redraw: the new end of what is typed on stderr,
 * what was taken back rubbed out (one "\b \b" a column). */
static void echo_stderr(const char *before, const char *now)
{
	size_t same = 0;

	while (before[same] && before[same] == now[same])
		same++;
	while (same > 0 && ((unsigned char)before[same] & 0xc0) == 0x80)
		same--;		/* a character is rubbed out whole */
	for (int i = cols(before + same); i > 0; i--)
		fputs("\b \b", stderr);
	fputs(now + same, stderr);
	fflush(stderr);
}

void display_ask_typed(struct display *d, const char *fixture, const char *typed, bool too_long)
{
	char whole[512], now[sizeof(d->typed)];

	snprintf(whole, sizeof(whole), "%.*s", (int)whole_len(typed), typed);
	disp_shown(now, sizeof(now), whole);
	pthread_mutex_lock(&d->lock);
	(void)fixture;	/* (the question open is fixture's) */
	if (d->mode == DISPLAY_TTY) {
		snprintf(d->typed, sizeof(d->typed), "%s", now);
		d->typed_long = too_long;
		disp_redraw(d);
	} else {
		echo_stderr(d->typed, now);
		snprintf(d->typed, sizeof(d->typed), "%s", now);
	}
	pthread_mutex_unlock(&d->lock);
}

void display_ask_done(struct display *d, const char *fixture, const char *answer,
		      const char *refused)
{
	char a[sizeof(d->typed)], why[600];

	disp_shown(a, sizeof(a), answer);
	disp_shown(why, sizeof(why), refused);
	pthread_mutex_lock(&d->lock);
	disp_find(d, fixture)->asking = false;
	d->typed[0] = '\0';
	d->typed_long = false;
	if (d->mode == DISPLAY_TTY && !d->closed) {
		disp_lift(d);
		d->ask[0] = '\0';
		if (answer)
			fprintf(d->out, "[%s] answer: %s%s%s%s\n", disp_find(d, fixture)->name, a,
				refused ? " (" : "", refused ? why : "", refused ? ")" : "");
		disp_draw(d);
	} else {
		d->ask[0] = '\0';
		fprintf(stderr, "\n");	/* (the terminal echoes no Enter) */
		if (refused)
			fprintf(stderr, "[%s] %s\n", disp_find(d, fixture)->name, why);
		fflush(stderr);
	}
	pthread_mutex_unlock(&d->lock);
}

void display_ask_note(struct display *d, const char *fixture, const char *fmt, ...)
{
	char note[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_TTY && !d->closed) {
		disp_lift(d);
		fprintf(d->out, "%s[%s] %s%s\n", d->color ? "\033[1;33m" : "", disp_find(d, fixture)->name,
			note, disp_reset(d));
		disp_draw(d);
	} else {
		fprintf(stderr, "[%s] %s\n", disp_find(d, fixture)->name, note);
		fflush(stderr);
	}
	pthread_mutex_unlock(&d->lock);
}


void display_ask_idle(struct display *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->mode != DISPLAY_TTY && d->out_seen && d->ask[0] && d->ask_buried &&
	    now_us() - d->out_at >= QUIET_US) {
		/* (the lines may reach the screen later than this, through
		 * another program: shown once they stopped coming) */
		d->ask_buried = false;
		fprintf(stderr, "%s%s", d->ask, d->typed);
		fflush(stderr);
	}
	pthread_mutex_unlock(&d->lock);
}
