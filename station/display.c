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
 *
 * Here: the mode, colours, the events and the life cycle; the live block
 * in display_live.c, the verdict banner in display_banner.c, the
 * operator's questions in display_ask.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "report/report.h"
#include "station/display-internal.h"


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
	if (d->mode != DISPLAY_TTY && d->ask[0]) {
		d->ask_buried = true;	/* shown again: display_ask_idle() */
		d->out_at = now_us();
	}
	if (d->closed || !ferror(d->out))
		return;
	d->closed = true;
	/* (stderr directly: this may run inside the log's sink, under its lock) */
	fprintf(stderr, "display: warning: the view's output is closed (%s): the runs go on; "
		"the log is the record\n", strerror(errno));
}

void disp_flush(struct display *d)
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
const char *disp_verdict_word(enum db_outcome o)
{
	return o == DB_PASS ? "PASS" : o == DB_ABORTED ? "ABORTED" : o == DB_ERROR ? "ERROR" : "FAIL";
}

/* white on green / red / blue, black on yellow: readable from two metres */
static const char *color_of(enum db_outcome o)
{
	return o == DB_PASS ? "\033[1;97;42m" : o == DB_ABORTED ? "\033[1;30;43m" :
	       o == DB_ERROR ? "\033[1;97;44m" : "\033[1;97;41m";
}

const char *disp_color(const struct display *d, enum db_outcome o)
{
	return d->color ? color_of(o) : "";
}

const char *disp_reset(const struct display *d)
{
	return d->color ? RESET : "";
}

int disp_term_width(struct display *d)
{
	struct winsize ws;

	if (ioctl(fileno(d->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

int disp_term_rows(struct display *d)
{
	struct winsize ws;

	if (ioctl(fileno(d->out), TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 4)
		return ws.ws_row;
	return 24;
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
		disp_flush(d);
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
		disp_flush(d);
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
			rep_event_run_end(d->out, &c, serial, disp_verdict_word(o),
					  (f->t_end - f->t0) / 1e6, bad ? failed_step : NULL,
					  bad ? reason : NULL);
		check_out(d);
		f->run_id[0] = '\0';
	} else if (d->mode == DISPLAY_TTY) {
		if (!d->closed) {
			disp_lift(d);
			disp_banner(d, f, o, failed_step, reason);
			disp_draw(d);
		}
	} else if (!d->closed) {
		char why[ST_ERRMSG_MAX * 2];

		fprintf(d->out, "%s[%s] %s unit %s", disp_color(d, o), f->name, disp_verdict_word(o), f->serial);
		if (o != DB_PASS) {
			disp_shown(why, sizeof(why), reason);
			fprintf(d->out, " at '%s': %s", f->failed_step, why);
		}
		fprintf(d->out, " (%.1fs)%s\n", (f->t_end - f->t0) / 1e6, disp_reset(d));
		disp_flush(d);
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
					       exit_status, log, n->refused + n->unscanned };

		rep_event_summary(d->out, &c, &s);
	} else if (!d->closed) {
		disp_shown(where, sizeof(where), log);
		fprintf(d->out, "station: %d passed, %d failed, %d error, %d aborted", n->passed,
			n->failed, n->error, n->aborted);
		if (n->refused)
			fprintf(d->out, ", %d not tested (the MES)", n->refused);
		if (n->unscanned)
			fprintf(d->out, ", %d not tested (no serial scanned in time)", n->unscanned);
		fprintf(d->out, "; log: %s\n", where);
	}
	disp_flush(d);
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

/* Not a terminal we draw on: may what goes to out show on the operator's
 * screen (a pipe, `| tee log`; a socket; a terminal)?  Not a file's. */
static bool out_seen(FILE *out)
{
	struct stat st;

	if (fstat(fileno(out), &st) < 0)
		return false;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fileno(out));
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
	d->out_seen = mode != DISPLAY_TTY && out_seen(out);
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
		int err = pthread_create(&d->ticker, NULL, disp_ticker, d);

		d->ticking = err == 0;
		if (err)	/* the runs go on; only the clocks stand still */
			log_warn("cannot start the display's clock (%s): elapsed times update "
				 "only when a step starts or ends", strerror(err));
		st_log_set_sink(disp_log_above, d);
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
		disp_flush(d);
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
