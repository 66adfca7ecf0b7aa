/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator's view.
 *
 * tty: a block of live lines at the bottom of the terminal, one per fixture
 * (unit serial, current step, a progress bar while flashing, elapsed time),
 * redrawn in place: the cursor goes up to the block's first line, what is
 * permanent (finished steps, verdict banners) is printed there, and the
 * block is drawn again below it.  A ticker redraws twice a second so the
 * clocks move while a step waits.  Lines are cut to the terminal's width:
 * a wrapped line would break the count of lines to go back up.
 *
 * plain (stdout is not a terminal): one line per event, nothing redrawn.
 * json: one JSON object per line for other programs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "report/report.h"
#include "station/display.h"

#define BAR_WIDTH 20
#define TICK_MS 500
#define GLYPH_ROWS 5

struct fx_state {
	char name[FX_NAME_MAX];
	char serial[64];
	char step[96];
	uint64_t done, total;
	int64_t t0, pt0, t_end;
	int shown_pct;
	bool running, finished;
	enum db_outcome outcome;
	char failed_step[96];
};

struct display {
	FILE *out;
	enum display_mode mode;
	pthread_mutex_t lock;
	struct fx_state *fx;
	int n, name_w;
	int drawn;		/* tty: live lines on screen below the history */
	bool utf8;
	pthread_t ticker;
	pthread_cond_t tick_cond;
	bool ticking, quit;
	struct run_events ev;
};

static const char *const RESET = "\033[0m";

static struct fx_state *find(struct display *d, const char *name)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->fx[i].name, name))
			return &d->fx[i];
	return &d->fx[0];
}

static const char *verdict_word(enum db_outcome o)
{
	return o == DB_PASS ? "PASS" : o == DB_ABORTED ? "ABORTED" : "FAIL";
}

/* white on green / red / yellow: readable from two metres */
static const char *color(enum db_outcome o)
{
	return o == DB_PASS ? "\033[1;97;42m" : o == DB_ABORTED ? "\033[1;30;43m" : "\033[1;97;41m";
}

static int term_width(struct display *d)
{
	struct winsize ws;

	if (ioctl(fileno(d->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static int term_rows(struct display *d)
{
	struct winsize ws;

	if (ioctl(fileno(d->out), TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 4)
		return ws.ws_row;
	return 24;
}

/* ---- tty: the live block ------------------------------------------------- */

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
		snprintf(tail, sizeof(tail), "%s at '%s'", verdict_word(f->outcome), f->failed_step);
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
	if (width > 1 && strlen(buf) >= (size_t)width)
		buf[width - 1] = '\0';
}

/* More fixtures than the screen has lines: the last line counts the rest
 * (the cursor cannot go back up past the top of the screen). */
static void draw_rest(struct display *d, int from)
{
	int pass = 0, fail = 0, busy = 0;

	for (int i = from; i < d->n; i++) {
		if (d->fx[i].running)
			busy++;
		else if (d->fx[i].finished && d->fx[i].outcome == DB_PASS)
			pass++;
		else if (d->fx[i].finished)
			fail++;
	}
	fprintf(d->out, " ... %d more: %d running, %d PASS, %d FAIL\033[K\n", d->n - from, busy,
		pass, fail);
}

static void draw_block(struct display *d)
{
	int width = term_width(d), shown = d->n;
	char line[512];

	if (shown > term_rows(d) - 1)
		shown = term_rows(d) - 2;
	for (int i = 0; i < shown; i++) {
		const struct fx_state *f = &d->fx[i];

		live_text(d, f, line, sizeof(line), width);
		if (f->finished)
			fprintf(d->out, "%s%s%s\033[K\n", color(f->outcome), line, RESET);
		else
			fprintf(d->out, "%s\033[K\n", line);
	}
	if (shown < d->n)
		draw_rest(d, shown);
	d->drawn = shown < d->n ? shown + 1 : shown;
	fflush(d->out);
}

/* Go back up to the block's first line and clear from there down: what is
 * printed next lands above the block, which draw_block() then redraws. */
static void lift_block(struct display *d)
{
	if (d->drawn)
		fprintf(d->out, "\r\033[%dA\033[J", d->drawn);
	d->drawn = 0;
}

static void redraw(struct display *d)
{
	lift_block(d);
	draw_block(d);
}

/* A log line (a warning from any thread) above the live lines, which are
 * then drawn again below it: stderr and the view share the terminal. */
static void log_above(void *ctx, const char *line)
{
	struct display *d = ctx;

	pthread_mutex_lock(&d->lock);
	lift_block(d);
	fflush(d->out);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	draw_block(d);
	pthread_mutex_unlock(&d->lock);
}

static void *ticker(void *arg)
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
		if (!d->quit)
			redraw(d);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- tty: the verdict banner --------------------------------------------- */

/* 5x5 capitals, enough for PASS, FAIL and ABORTED */
static const struct glyph {
	char c;
	const char *rows[GLYPH_ROWS];
} glyphs[] = {
	{ 'A', { " ### ", "#   #", "#####", "#   #", "#   #" } },
	{ 'B', { "#### ", "#   #", "#### ", "#   #", "#### " } },
	{ 'D', { "#### ", "#   #", "#   #", "#   #", "#### " } },
	{ 'E', { "#####", "#    ", "#### ", "#    ", "#####" } },
	{ 'F', { "#####", "#    ", "#### ", "#    ", "#    " } },
	{ 'I', { " ### ", "  #  ", "  #  ", "  #  ", " ### " } },
	{ 'L', { "#    ", "#    ", "#    ", "#    ", "#####" } },
	{ 'O', { " ### ", "#   #", "#   #", "#   #", " ### " } },
	{ 'P', { "#### ", "#   #", "#### ", "#    ", "#    " } },
	{ 'R', { "#### ", "#   #", "#### ", "#  # ", "#   #" } },
	{ 'S', { " ####", "#    ", " ### ", "    #", "#### " } },
	{ 'T', { "#####", "  #  ", "  #  ", "  #  ", "  #  " } },
};

static const char *glyph_row(char c, int row)
{
	for (size_t i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
		if (glyphs[i].c == c)
			return glyphs[i].rows[row];
	return "     ";
}

/* One banner line: text (cols visible columns) padded to width, coloured. */
static void banner_line(struct display *d, enum db_outcome o, const char *text, int cols,
			int width)
{
	fprintf(d->out, "%s  %s%*s%s\n", color(o), text, width - 2 - cols > 0 ? width - 2 - cols : 0,
		"", RESET);
}

static void banner_glyphs(struct display *d, enum db_outcome o, const char *word, int width)
{
	/* doubled columns keep the letters square when they fit */
	int scale = (int)strlen(word) * 12 + 4 <= width ? 2 : 1;
	const char *ink = d->utf8 ? "\u2588" : "#";

	for (int row = 0; row < GLYPH_ROWS; row++) {
		char line[1024] = "";
		size_t len = 0;
		int cols = 0;

		for (const char *w = word; *w; w++) {
			for (const char *g = glyph_row(*w, row); *g; g++)
				for (int k = 0; k < scale; k++, cols++)
					len += (size_t)snprintf(line + len, sizeof(line) - len, "%s",
								*g == '#' ? ink : " ");
			for (int k = 0; k < scale; k++, cols++)
				len += (size_t)snprintf(line + len, sizeof(line) - len, " ");
		}
		banner_line(d, o, line, cols, width);
	}
}

static void banner_text(struct display *d, enum db_outcome o, const char *label,
			const char *text, int width)
{
	int room = width - 4 - (int)strlen(label);
	size_t len = strlen(text);

	if (room < 10)
		room = 10;
	/* wrap long reasons over a few lines rather than cut them */
	for (int i = 0; i < 4 && (i == 0 || len > 0); i++) {
		char line[512];
		int take = len > (size_t)room ? room : (int)len;

		while (take < (int)len && take > room / 2 && text[take] != ' ')
			take--;		/* break at a space when there is one */
		if (take <= room / 2)
			take = len > (size_t)room ? room : (int)len;

		snprintf(line, sizeof(line), "%-*s%.*s", (int)strlen(label), i ? "" : label, take,
			 text);
		banner_line(d, o, line, (int)strlen(line), width);
		text += take;
		len -= (size_t)take;
		for (; len && *text == ' '; text++)
			len--;
	}
}

static void banner(struct display *d, const struct fx_state *f, enum db_outcome o,
		   const char *failed_step, const char *reason)
{
	int width = term_width(d) - 1;
	char line[256];

	if (width > 72)
		width = 72;
	banner_line(d, o, "", 0, width);
	banner_glyphs(d, o, verdict_word(o), width);
	banner_line(d, o, "", 0, width);
	snprintf(line, sizeof(line), "%s  fixture %s  unit %s  %.1f s", verdict_word(o), f->name,
		 f->serial, (f->t_end - f->t0) / 1e6);
	banner_line(d, o, line, (int)strlen(line), width);
	if (o != DB_PASS) {
		banner_text(d, o, "step:   ", failed_step ? failed_step : "?", width);
		banner_text(d, o, "reason: ", reason ? reason : "?", width);
	}
	banner_line(d, o, "", 0, width);
}

/* ---- events -------------------------------------------------------------- */

static void ev_run_start(void *ctx, const char *fixture, const char *run_id, const char *serial)
{
	struct display *d = ctx;
	struct fx_state *f;

	pthread_mutex_lock(&d->lock);
	f = find(d, fixture);
	snprintf(f->serial, sizeof(f->serial), "%s", serial && *serial ? serial : "?");
	f->t0 = now_us();
	f->running = true;
	f->finished = false;
	f->step[0] = '\0';
	if (d->mode == DISPLAY_JSON) {
		rep_event_run_start(d->out, fixture, run_id, serial);
	} else if (d->mode == DISPLAY_TTY) {
		redraw(d);
	} else {
		fprintf(d->out, "[%s] start run %s\n", fixture, run_id);
		fflush(d->out);
	}
	pthread_mutex_unlock(&d->lock);
}

static void ev_step_start(void *ctx, const char *fixture, int index, const char *name)
{
	struct display *d = ctx;
	struct fx_state *f;

	pthread_mutex_lock(&d->lock);
	f = find(d, fixture);
	snprintf(f->step, sizeof(f->step), "%s", name);
	f->done = f->total = 0;
	f->shown_pct = -1;
	if (d->mode == DISPLAY_JSON)
		rep_event_step_start(d->out, fixture, index, name);
	else if (d->mode == DISPLAY_TTY)
		redraw(d);
	pthread_mutex_unlock(&d->lock);
}

static void step_json(struct display *d, const char *fixture, const char *name,
		      const struct step_result *r, int64_t us)
{
	struct rep_event_meas m[SR_MAX_MEAS];
	int n = 0;

	for (int i = 0; i < r->n_meas && i < SR_MAX_MEAS; i++)
		if (!r->meas[i].text)
			m[n++] = (struct rep_event_meas){ r->meas[i].name, r->meas[i].value };
	rep_event_step_end(d->out, fixture, name, db_outcome_name(r->outcome), us / 1e6,
			   r->outcome != DB_PASS ? r->reason : NULL, m, n);
}

/* plain, and the history above the live block on a tty */
static void step_line(struct display *d, const char *fixture, const char *name,
		      const struct step_result *r, int64_t us)
{
	bool bad = r->outcome != DB_PASS && r->outcome != DB_SKIPPED;
	bool tty = d->mode == DISPLAY_TTY;

	fprintf(d->out, "[%s] %s%-5s%s %-40s %6.2fs", fixture, tty && bad ? "\033[1;31m" : "",
		r->outcome == DB_PASS ? "ok" : db_outcome_name(r->outcome), tty && bad ? RESET : "",
		name, us / 1e6);
	for (int i = 0; i < r->n_meas; i++)
		if (!r->meas[i].text)
			fprintf(d->out, "  %s=%g%s", r->meas[i].name, r->meas[i].value,
				r->meas[i].unit ? r->meas[i].unit : "");
	if (bad)
		fprintf(d->out, "\n[%s]       %s", fixture, r->reason);
	fprintf(d->out, "\n");
}

static void ev_step_end(void *ctx, const char *fixture, const char *name,
			const struct step_result *r, int64_t us)
{
	struct display *d = ctx;

	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_JSON) {
		step_json(d, fixture, name, r, us);
	} else {
		lift_block(d);
		step_line(d, fixture, name, r, us);
		if (d->mode == DISPLAY_TTY)
			draw_block(d);
		fflush(d->out);
	}
	pthread_mutex_unlock(&d->lock);
}

static void ev_progress(void *ctx, const char *fixture, uint64_t done, uint64_t total)
{
	struct display *d = ctx;
	struct fx_state *f;
	int pct;

	pthread_mutex_lock(&d->lock);
	f = find(d, fixture);
	if (!f->total)
		f->pt0 = now_us();
	f->done = done;
	f->total = total;
	pct = total ? (int)(done * 100 / total) : 0;
	if (pct / 10 != f->shown_pct / 10 || (d->mode == DISPLAY_TTY && pct != f->shown_pct)) {
		double s = (now_us() - f->pt0) / 1e6;

		f->shown_pct = pct;
		if (d->mode == DISPLAY_JSON)
			rep_event_progress(d->out, fixture, done, total, s > 0 ? done / s : 0.0);
		else if (d->mode == DISPLAY_TTY)
			redraw(d);
	}
	pthread_mutex_unlock(&d->lock);
}

static void ev_run_end(void *ctx, const char *fixture, const char *serial, enum db_outcome o,
		       const char *failed_step, const char *reason)
{
	struct display *d = ctx;
	struct fx_state *f;

	pthread_mutex_lock(&d->lock);
	f = find(d, fixture);
	if (serial && *serial)
		snprintf(f->serial, sizeof(f->serial), "%s", serial);
	f->t_end = now_us();
	f->running = false;
	f->finished = true;
	f->outcome = o;
	snprintf(f->failed_step, sizeof(f->failed_step), "%s", failed_step ? failed_step : "");
	if (d->mode == DISPLAY_JSON) {
		bool bad = o != DB_PASS;

		rep_event_run_end(d->out, fixture, serial, verdict_word(o), (f->t_end - f->t0) / 1e6,
				  bad ? failed_step : NULL, bad ? reason : NULL);
	} else if (d->mode == DISPLAY_TTY) {
		lift_block(d);
		banner(d, f, o, failed_step, reason);
		draw_block(d);
	} else {
		fprintf(d->out, "[%s] %s unit %s", fixture, verdict_word(o), f->serial);
		if (o != DB_PASS)
			fprintf(d->out, " at '%s': %s", failed_step, reason);
		fprintf(d->out, " (%.1fs)\n", (f->t_end - f->t0) / 1e6);
		fflush(d->out);
	}
	pthread_mutex_unlock(&d->lock);
}

/* ---- life cycle ---------------------------------------------------------- */

static bool locale_utf8(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

struct display *display_new(FILE *out, enum display_mode mode, int n_fixtures,
			    const char *const *names)
{
	struct display *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->fx = calloc((size_t)(n_fixtures > 0 ? n_fixtures : 1), sizeof(*d->fx));
	if (!d->fx) {
		free(d);
		return NULL;
	}
	d->out = out;
	d->mode = mode;
	d->n = n_fixtures;
	d->utf8 = locale_utf8();
	for (int i = 0; i < n_fixtures; i++) {
		snprintf(d->fx[i].name, sizeof(d->fx[i].name), "%s", names[i]);
		if ((int)strlen(d->fx[i].name) > d->name_w)
			d->name_w = (int)strlen(d->fx[i].name);
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->tick_cond, NULL);
	d->ev = (struct run_events){
		.run_start = ev_run_start,
		.step_start = ev_step_start,
		.step_end = ev_step_end,
		.progress = ev_progress,
		.run_end = ev_run_end,
		.ctx = d,
	};
	if (mode == DISPLAY_TTY) {
		draw_block(d);
		int err = pthread_create(&d->ticker, NULL, ticker, d);

		d->ticking = err == 0;
		if (err)	/* the runs go on; only the clocks stand still */
			log_warn("cannot start the display's clock (%s): elapsed times update "
				 "only when a step starts or ends", strerror(err));
		st_log_set_sink(log_above, d);
	}
	return d;
}

void display_free(struct display *d)
{
	if (!d)
		return;
	if (d->mode == DISPLAY_TTY)
		st_log_set_sink(NULL, NULL);
	if (d->ticking) {
		pthread_mutex_lock(&d->lock);
		d->quit = true;
		pthread_cond_signal(&d->tick_cond);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->ticker, NULL);
	}
	if (d->mode == DISPLAY_TTY)
		redraw(d);	/* the final state stays on screen */
	pthread_cond_destroy(&d->tick_cond);
	pthread_mutex_destroy(&d->lock);
	free(d->fx);
	free(d);
}

const struct run_events *display_events(struct display *d)
{
	return &d->ev;
}
