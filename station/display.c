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
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "report/report.h"
#include "station/display-internal.h"

#define BAR_WIDTH 20
#define TICK_MS 500
#define GLYPH_ROWS 5

static enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } color_pref;

int display_set_color(const char *when)
{
	if (!strcmp(when, "auto"))
		color_pref = COLOR_AUTO;
	else if (!strcmp(when, "always"))
		color_pref = COLOR_ALWAYS;
	else if (!strcmp(when, "never"))
		color_pref = COLOR_NEVER;
	else
		return -1;
	return 0;
}

static bool term_dumb(void)
{
	const char *t = getenv("TERM");

	return !t || !*t || !strcmp(t, "dumb");
}

enum display_mode display_mode_for(FILE *out, bool json)
{
	if (json)
		return DISPLAY_JSON;
	/* a dumb terminal cannot move the cursor: one line per event */
	return isatty(fileno(out)) && !term_dumb() ? DISPLAY_TTY : DISPLAY_PLAIN;
}

/* https://no-color.org: NO_COLOR set and not empty */
static bool want_color(enum display_mode mode)
{
	const char *nc = getenv("NO_COLOR");

	if (color_pref != COLOR_AUTO)
		return color_pref == COLOR_ALWAYS;
	return mode == DISPLAY_TTY && !(nc && *nc) && !term_dumb();
}

static const char *const RESET = "\033[0m";

/* text from outside, as it may be shown (common/text.h) */
void disp_shown(char *buf, size_t n, const char *text)
{
	st_text_show(buf, n, text ? text : "");
}

/* After a write: an output closed under us (a reader gone: EPIPE; a
 * terminal hung up: EIO) is said once; the runs go on, the log is the
 * record. */
static void check_out(struct display *d)
{
	if (d->closed || !ferror(d->out))
		return;
	d->closed = true;
	/* (stderr directly: this may run inside the log's sink, under its lock) */
	fprintf(stderr, "display: warning: the view's output is closed (%s): the runs go on; "
		"the log is the record\n", strerror(errno));
}

static void flush(struct display *d)
{
	fflush(d->out);
	check_out(d);
}

struct fx_state *disp_find(struct display *d, const char *name)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->fx[i].id, name))
			return &d->fx[i];
	return &d->fx[0];
}

/* FAIL: the board.  ERROR: the station, a fixture, the network or the
 * configuration; the board may be good.  ABORTED: stopped. */
static const char *verdict_word(enum db_outcome o)
{
	return o == DB_PASS ? "PASS" : o == DB_ABORTED ? "ABORTED" : o == DB_ERROR ? "ERROR" : "FAIL";
}

/* white on green / red / blue, black on yellow: readable from two metres */
static const char *color_of(enum db_outcome o)
{
	return o == DB_PASS ? "\033[1;97;42m" : o == DB_ABORTED ? "\033[1;30;43m" :
	       o == DB_ERROR ? "\033[1;97;44m" : "\033[1;97;41m";
}

static const char *color(const struct display *d, enum db_outcome o)
{
	return d->color ? color_of(o) : "";
}

const char *disp_reset(const struct display *d)
{
	return d->color ? RESET : "";
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
	int width = term_width(d), rows = d->n, room = term_rows(d) - (d->ask[0] ? 1 : 0);
	char line[512];

	if (d->closed)
		return;
	if (rows > room - 1)
		rows = room - 2;
	for (int i = 0; i < rows; i++) {
		const struct fx_state *f = &d->fx[i];

		live_text(d, f, line, sizeof(line), width);
		if (f->finished)
			fprintf(d->out, "%s%s%s\033[K\n", color(d, f->outcome), line, disp_reset(d));
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
	flush(d);
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
static void log_above(void *ctx, const char *line)
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
		/* (a question and what is typed are redrawn too) */
		if (!d->quit)
			disp_redraw(d);
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
	fprintf(d->out, "%s  %s%*s%s\n", color(d, o), text, width - 2 - cols > 0 ? width - 2 - cols : 0,
		"", disp_reset(d));
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
	char line[512], step[256], why[ST_ERRMSG_MAX * 2];

	if (width > 72)
		width = 72;
	banner_line(d, o, "", 0, width);
	banner_glyphs(d, o, verdict_word(o), width);
	banner_line(d, o, "", 0, width);
	snprintf(line, sizeof(line), "%s  fixture %s  unit %s  %.1f s", verdict_word(o), f->name,
		 f->serial, (f->t_end - f->t0) / 1e6);
	banner_line(d, o, line, (int)strlen(line), width);
	if (o == DB_ERROR)
		banner_text(d, o, "", "a station fault: the board may be good; fix the station and test it again", width);
	if (o != DB_PASS) {
		disp_shown(step, sizeof(step), failed_step ? failed_step : "?");
		disp_shown(why, sizeof(why), reason ? reason : "?");
		banner_text(d, o, "step:   ", step, width);
		banner_text(d, o, "reason: ", why, width);
	}
	banner_line(d, o, "", 0, width);
}

/* The envelope of fixture's --json events. */
static struct rep_event_ctx ev_ctx(const struct display *d, const char *fixture,
				   const char *run_id)
{
	return (struct rep_event_ctx){ .station = d->info.station, .fixture = fixture,
				       .run_id = run_id, .sequence = d->info.sequence,
				       .sequence_version = d->info.sequence_version };
}

/* ---- events -------------------------------------------------------------- */

static void ev_run_start(void *ctx, const char *fixture, const char *run_id, const char *serial)
{
	struct display *d = ctx;
	struct fx_state *f;

	pthread_mutex_lock(&d->lock);
	f = disp_find(d, fixture);
	disp_shown(f->serial, sizeof(f->serial), serial && *serial ? serial : "?");
	f->t0 = now_us();
	f->running = true;
	f->finished = false;
	f->step[0] = '\0';
	snprintf(f->run_id, sizeof(f->run_id), "%s", run_id ? run_id : "");
	if (d->mode == DISPLAY_JSON) {
		struct rep_event_ctx c = ev_ctx(d, fixture, f->run_id);

		if (!d->closed)
			rep_event_run_start(d->out, &c, serial);
		check_out(d);
	} else if (d->mode == DISPLAY_TTY) {
		disp_redraw(d);
	} else if (!d->closed) {
		fprintf(d->out, "[%s] start run %s\n", f->name, run_id);
		flush(d);
	}
	pthread_mutex_unlock(&d->lock);
}

static void ev_step_start(void *ctx, const char *fixture, int index, const char *name)
{
	struct display *d = ctx;
	struct fx_state *f;

	pthread_mutex_lock(&d->lock);
	f = disp_find(d, fixture);
	disp_shown(f->step, sizeof(f->step), name);
	f->index = index;
	f->done = f->total = 0;
	f->shown_pct = -1;
	if (d->mode == DISPLAY_JSON && !d->closed) {
		struct rep_event_ctx c = ev_ctx(d, fixture, f->run_id);

		rep_event_step_start(d->out, &c, index, name);
		check_out(d);
	} else if (d->mode == DISPLAY_TTY)
		disp_redraw(d);
	pthread_mutex_unlock(&d->lock);
}

static void step_json(struct display *d, const char *fixture, const char *name,
		      const struct step_result *r, int64_t us)
{
	const struct fx_state *f = disp_find(d, fixture);
	struct rep_event_ctx c = ev_ctx(d, fixture, f->run_id);
	struct rep_event_step s = {
		.index = f->index, .step = name, .outcome = db_outcome_name(r->outcome),
		.reason = r->outcome != DB_PASS ? r->reason : NULL, .seconds = us / 1e6,
		.meas = r->meas, .n_meas = r->n_meas,
		.identity = r->has_identity ? &r->identity : NULL,
		.cms = r->has_cms ? &r->cms : NULL,
	};

	rep_event_step_end(d->out, &c, &s);
}

/* plain, and the history above the live block on a tty */
static void step_line(struct display *d, const char *fixture, const char *name,
		      const struct step_result *r, int64_t us)
{
	bool bad = r->outcome != DB_PASS && r->outcome != DB_SKIPPED;
	bool col = d->color && bad;
	char fx[FX_NAME_MAX * 4], step[256], why[ST_ERRMSG_MAX * 2], m[128], u[64];

	if (d->closed)
		return;
	disp_shown(fx, sizeof(fx), fixture);
	disp_shown(step, sizeof(step), name);
	fprintf(d->out, "[%s] %s%-5s%s %-40s %6.2fs", fx, col ? "\033[1;31m" : "",
		r->outcome == DB_PASS ? "ok" : db_outcome_name(r->outcome), col ? RESET : "",
		step, us / 1e6);
	for (int i = 0; i < r->n_meas; i++)
		if (!r->meas[i].text) {
			disp_shown(m, sizeof(m), r->meas[i].name);
			disp_shown(u, sizeof(u), r->meas[i].unit);
			fprintf(d->out, "  %s=%g%s", m, r->meas[i].value, u);
		}
	if (bad) {
		disp_shown(why, sizeof(why), r->reason);
		fprintf(d->out, "\n[%s]       %s", fx, why);
	}
	fprintf(d->out, "\n");
}

static void ev_step_end(void *ctx, const char *fixture, const char *name,
			const struct step_result *r, int64_t us)
{
	struct display *d = ctx;

	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_JSON) {
		if (!d->closed)
			step_json(d, fixture, name, r, us);
		check_out(d);
	} else {
		if (d->mode == DISPLAY_TTY)
			disp_lift(d);
		step_line(d, fixture, name, r, us);
		if (d->mode == DISPLAY_TTY)
			disp_draw(d);
		flush(d);
	}
	pthread_mutex_unlock(&d->lock);
}

static void ev_progress(void *ctx, const char *fixture, uint64_t done, uint64_t total)
{
	struct display *d = ctx;
	struct fx_state *f;
	int pct;

	pthread_mutex_lock(&d->lock);
	f = disp_find(d, fixture);
	if (!f->total)
		f->pt0 = now_us();
	f->done = done;
	f->total = total;
	pct = total ? (int)(done * 100 / total) : 0;
	if (pct / 10 != f->shown_pct / 10 || (d->mode == DISPLAY_TTY && pct != f->shown_pct)) {
		double s = (now_us() - f->pt0) / 1e6;

		f->shown_pct = pct;
		if (d->mode == DISPLAY_JSON && !d->closed) {
			struct rep_event_ctx c = ev_ctx(d, fixture, f->run_id);

			rep_event_progress(d->out, &c, done, total, s > 0 ? done / s : 0.0);
			check_out(d);
		} else if (d->mode == DISPLAY_TTY)
			disp_redraw(d);
	}
	pthread_mutex_unlock(&d->lock);
}

static void ev_run_end(void *ctx, const char *fixture, const char *serial, enum db_outcome o,
		       const char *failed_step, const char *reason)
{
	struct display *d = ctx;
	struct fx_state *f;

	pthread_mutex_lock(&d->lock);
	f = disp_find(d, fixture);
	disp_shown(f->serial, sizeof(f->serial), serial && *serial ? serial : "unidentified");
	f->t_end = now_us();
	f->running = false;
	f->finished = true;
	f->outcome = o;
	disp_shown(f->failed_step, sizeof(f->failed_step), failed_step);
	if (d->mode == DISPLAY_JSON) {
		bool bad = o != DB_PASS;
		struct rep_event_ctx c = ev_ctx(d, fixture, f->run_id);

		if (!d->closed)
			rep_event_run_end(d->out, &c, serial, verdict_word(o),
					  (f->t_end - f->t0) / 1e6, bad ? failed_step : NULL,
					  bad ? reason : NULL);
		check_out(d);
		f->run_id[0] = '\0';
	} else if (d->mode == DISPLAY_TTY) {
		if (!d->closed) {
			disp_lift(d);
			banner(d, f, o, failed_step, reason);
			disp_draw(d);
		}
	} else if (!d->closed) {
		char why[ST_ERRMSG_MAX * 2];

		fprintf(d->out, "%s[%s] %s unit %s", color(d, o), f->name, verdict_word(o), f->serial);
		if (o != DB_PASS) {
			disp_shown(why, sizeof(why), reason);
			fprintf(d->out, " at '%s': %s", f->failed_step, why);
		}
		fprintf(d->out, " (%.1fs)%s\n", (f->t_end - f->t0) / 1e6, disp_reset(d));
		flush(d);
	}
	pthread_mutex_unlock(&d->lock);
}

/* A serial found during the run: on the live line from now on. */
static void ev_serial(void *ctx, const char *fixture, const char *serial)
{
	struct display *d = ctx;

	pthread_mutex_lock(&d->lock);
	disp_shown(disp_find(d, fixture)->serial, sizeof(disp_find(d, fixture)->serial), serial);
	if (d->mode == DISPLAY_TTY)
		disp_redraw(d);
	pthread_mutex_unlock(&d->lock);
}

/* ---- faults and the end ---------------------------------------------------- */

static void end_live(struct display *d);

void display_fixture_fault(struct display *d, const char *fixture, const char *reason)
{
	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_JSON && !d->closed) {
		struct rep_event_ctx c = ev_ctx(d, fixture, NULL);

		rep_event_fixture_fault(d->out, &c, reason);
		check_out(d);
	}
	/* (the other views: the log line the caller writes says it) */
	pthread_mutex_unlock(&d->lock);
}

void display_not_tested(struct display *d, const char *fixture, const char *serial,
			const char *reason)
{
	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_JSON && !d->closed) {
		struct rep_event_ctx c = ev_ctx(d, fixture, NULL);

		rep_event_not_tested(d->out, &c, serial, reason);
		check_out(d);
	}
	pthread_mutex_unlock(&d->lock);
}

void display_summary(struct display *d, const struct display_counts *n, int exit_status,
		     const char *log)
{
	char where[1024];

	end_live(d);
	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_JSON && !d->closed) {
		struct rep_event_ctx c = ev_ctx(d, NULL, NULL);
		struct rep_event_summary s = { n->passed, n->failed, n->error, n->aborted,
					       exit_status, log, n->refused };

		rep_event_summary(d->out, &c, &s);
	} else if (!d->closed) {
		disp_shown(where, sizeof(where), log);
		fprintf(d->out, "station: %d passed, %d failed, %d error, %d aborted", n->passed,
			n->failed, n->error, n->aborted);
		if (n->refused)
			fprintf(d->out, ", %d not tested (the MES)", n->refused);
		fprintf(d->out, "; log: %s\n", where);
	}
	flush(d);
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

struct display *display_new(FILE *out, enum display_mode mode, const struct display_info *info,
			    int n_fixtures, const char *const *names)
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
	if (info)
		d->info = *info;
	d->n = n_fixtures;
	d->utf8 = locale_utf8();
	d->color = want_color(mode);
	for (int i = 0; i < n_fixtures; i++) {
		snprintf(d->fx[i].id, sizeof(d->fx[i].id), "%s", names[i]);
		disp_shown(d->fx[i].name, sizeof(d->fx[i].name), names[i]);
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
		.serial = ev_serial,
		.ctx = d,
	};
	if (mode == DISPLAY_TTY) {
		disp_draw(d);
		int err = pthread_create(&d->ticker, NULL, ticker, d);

		d->ticking = err == 0;
		if (err)	/* the runs go on; only the clocks stand still */
			log_warn("cannot start the display's clock (%s): elapsed times update "
				 "only when a step starts or ends", strerror(err));
		st_log_set_sink(log_above, d);
	}
	return d;
}

/* No more live view: the log to stderr again, the ticker stopped, the
 * final state drawn once more to stay on screen.  Once. */
static void end_live(struct display *d)
{
	if (d->ended)
		return;
	d->ended = true;
	if (d->mode == DISPLAY_TTY)
		st_log_set_sink(NULL, NULL);
	if (d->ticking) {
		pthread_mutex_lock(&d->lock);
		d->quit = true;
		pthread_cond_signal(&d->tick_cond);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->ticker, NULL);
		d->ticking = false;
	}
	if (d->mode == DISPLAY_TTY)
		disp_redraw(d);
	if (d->mode != DISPLAY_JSON && !d->closed)
		flush(d);
}

void display_free(struct display *d)
{
	if (!d)
		return;
	end_live(d);
	pthread_cond_destroy(&d->tick_cond);
	pthread_mutex_destroy(&d->lock);
	free(d->fx);
	free(d);
}

const struct run_events *display_events(struct display *d)
{
	return &d->ev;
}
