/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's view on a terminal: the block of live lines at the bottom,
 * one per fixture, redrawn in place (display.c says how), and the ticker
 * that redraws it so the clocks move while a step waits.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "station/display-internal.h"
#include "station/engine.h"

#define BAR_WIDTH 20
#define TICK_MS 500

static void fmt_elapsed(char *buf, size_t n, int64_t us)
{
	int64_t ds = us / 100000;

	snprintf(buf, n, "%2d:%02d.%d", (int)(ds / 600), (int)(ds / 10 % 60), (int)(ds % 10));
}

/* One fixture's live line, without colour, cut to width - 1 columns. */
static void live_text(struct display *d, const struct fx_state *f, char *buf, size_t n, int width)
{
	char el[16], tail[160] = "";
	int64_t t = f->finished ? f->t_end : now_us();

	fmt_elapsed(el, sizeof(el), f->running || f->finished ? t - f->t0 : 0);
	if (f->finished && f->outcome != DB_PASS)
		snprintf(tail, sizeof(tail), "%s at '%s'", disp_verdict_word(f->outcome), f->failed_step);
	else if (f->finished)
		snprintf(tail, sizeof(tail), "PASS");
	else if (f->running && f->total && f->done < f->total) {
		char bar[BAR_WIDTH + 1];
		int pct = (int)(f->done * 100 / f->total), fill = pct * BAR_WIDTH / 100;
		double s = (now_us() - f->pt0) / 1e6;

		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
		bar[BAR_WIDTH] = '\0';
		snprintf(tail, sizeof(tail), "%s [%s] %3d%% %5.1f KiB/s", f->step, bar, pct,
			 s > 0 ? f->done / s / 1024 : 0.0);
	} else if (f->running)
		snprintf(tail, sizeof(tail), "%s", f->step);
	else
		snprintf(tail, sizeof(tail), "waiting for a unit");
	snprintf(buf, n, " %-*s %-12.12s %s %s", d->name_w, f->name,
		 f->running || f->finished ? f->serial : "", el, tail);
	/* (a cut may end inside an escape such as \x1b: still plain text) */
	if (width > 1 && strlen(buf) >= (size_t)width)
		buf[width - 1] = '\0';
}

/* More fixtures than the screen has lines: the last line counts the rest
 * (the cursor cannot go back up past the top of the screen). */
static void draw_rest(struct display *d, int from)
{
	int pass = 0, fail = 0, busy = 0, error = 0;

	for (int i = from; i < d->n; i++) {
		if (d->fx[i].running)
			busy++;
		else if (d->fx[i].finished && d->fx[i].outcome == DB_PASS)
			pass++;
		else if (d->fx[i].finished && d->fx[i].outcome == DB_ERROR)
			error++;
		else if (d->fx[i].finished)
			fail++;
	}
	fprintf(d->out, " ... %d more: %d running, %d PASS, %d FAIL, %d ERROR\033[K\n",
		d->n - from, busy, pass, fail, error);
}

void disp_draw(struct display *d)
{
	int width = disp_term_width(d), rows = d->n, room = disp_term_rows(d) - (d->ask[0] ? 1 : 0);
	char line[512];

	if (d->closed)
		return;
	if (rows > room - 1)
		rows = room - 2;
	for (int i = 0; i < rows; i++) {
		const struct fx_state *f = &d->fx[i];

		live_text(d, f, line, sizeof(line), width);
		if (f->finished)
			fprintf(d->out, "%s%s%s\033[K\n", disp_color(d, f->outcome), line, disp_reset(d));
		else
			fprintf(d->out, "%s\033[K\n", line);
	}
	if (rows < d->n)
		draw_rest(d, rows);
	d->drawn = rows < d->n ? rows + 1 : rows;
	/* a question last, the cursor left after it (lift_block's \r and
	 * count still land on the block) */
	if (d->ask[0])
		disp_draw_question(d, width);
	disp_flush(d);
}

/* Go back up to the block's first line and clear from there down: what is
 * printed next lands above the block, which disp_draw() then redraws. */
void disp_lift(struct display *d)
{
	if (d->closed)
		return;
	if (d->drawn)
		fprintf(d->out, "\r\033[%dA\033[J", d->drawn);
	else
		fprintf(d->out, "\r\033[J");	/* a question alone */
	d->drawn = 0;
}

void disp_redraw(struct display *d)
{
	disp_lift(d);
	disp_draw(d);
}

/* A log line (a warning from any thread) above the live lines, which are
 * then drawn again below it: stderr and the view share the terminal. */
void disp_log_above(void *ctx, const char *line)
{
	struct display *d = ctx;

	pthread_mutex_lock(&d->lock);
	disp_lift(d);
	fflush(d->out);
	fprintf(stderr, "%s\n", line);	/* (st_log made it safe to show) */
	fflush(stderr);
	disp_draw(d);
	pthread_mutex_unlock(&d->lock);
}

void *disp_ticker(void *arg)
{
	struct display *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->quit) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&d->tick_cond, &d->lock, &ts);
		/* (a question and what is typed are redrawn too) */
		if (!d->quit)
			disp_redraw(d);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}
