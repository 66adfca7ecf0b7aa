/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "display.h"

#define BAR_WIDTH 24

struct fx_state {
	char name[FX_NAME_MAX];
	char serial[64];
	char step[96];
	uint64_t done, total;
	int64_t t0, pt0;
	int shown_pct;
};

struct display {
	FILE *out;
	enum display_mode mode;
	pthread_mutex_t lock;
	struct fx_state *fx;
	int n;
	struct run_events ev;
};

static struct fx_state *find(struct display *d, const char *name)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->fx[i].name, name))
			return &d->fx[i];
	return &d->fx[0];
}

static void emit_json(struct display *d, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s) {
		fprintf(d->out, "%s\n", s);
		fflush(d->out);
		free(s);
	}
	json_decref(o);
}

static const char *color(enum db_outcome o)
{
	return o == DB_PASS ? "\033[1;97;42m" : "\033[1;97;41m";
}

static void ev_run_start(void *ctx, const char *fixture, const char *run_id, const char *serial)
{
	struct display *d = ctx;
	struct fx_state *f;

	pthread_mutex_lock(&d->lock);
	f = find(d, fixture);
	snprintf(f->serial, sizeof(f->serial), "%s", serial && *serial ? serial : "?");
	f->t0 = now_us();
	if (d->mode == DISPLAY_JSON)
		emit_json(d, json_pack("{s:s, s:s, s:s, s:s}", "event", "run_start", "fixture",
				       fixture, "run_id", run_id, "serial", serial ? serial : ""));
	else
		fprintf(d->out, "[%s] start run %s\n", fixture, run_id);
	fflush(d->out);
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
		emit_json(d, json_pack("{s:s, s:s, s:i, s:s}", "event", "step_start", "fixture",
				       fixture, "index", index, "step", name));
	pthread_mutex_unlock(&d->lock);
}

static void ev_step_end(void *ctx, const char *fixture, const char *name,
			const struct step_result *r, int64_t us)
{
	struct display *d = ctx;

	pthread_mutex_lock(&d->lock);
	if (d->mode == DISPLAY_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f}", "event", "step_end", "fixture",
				      fixture, "step", name, "outcome", db_outcome_name(r->outcome),
				      "seconds", us / 1e6);

		if (r->outcome != DB_PASS)
			json_object_set_new(o, "reason", json_string(r->reason));
		for (int i = 0; i < r->n_meas; i++)
			if (!r->meas[i].text)
				json_object_set_new(o, r->meas[i].name, json_real(r->meas[i].value));
		emit_json(d, o);
	} else {
		if (d->mode == DISPLAY_TTY)
			fprintf(d->out, "\r\033[K");
		fprintf(d->out, "[%s] %-5s %-40s %6.2fs", fixture,
			r->outcome == DB_PASS ? "ok" : db_outcome_name(r->outcome), name, us / 1e6);
		for (int i = 0; i < r->n_meas; i++)
			if (!r->meas[i].text)
				fprintf(d->out, "  %s=%g%s", r->meas[i].name, r->meas[i].value,
					r->meas[i].unit ? r->meas[i].unit : "");
		if (r->outcome != DB_PASS && r->outcome != DB_SKIPPED)
			fprintf(d->out, "\n[%s]       %s", fixture, r->reason);
		fprintf(d->out, "\n");
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
		double rate = s > 0 ? done / s : 0;
		double eta = rate > 0 ? (total - done) / rate : 0;

		f->shown_pct = pct;
		if (d->mode == DISPLAY_JSON) {
			emit_json(d, json_pack("{s:s, s:s, s:I, s:I, s:f}", "event", "progress",
					       "fixture", fixture, "done", (json_int_t)done,
					       "total", (json_int_t)total, "bytes_per_s", rate));
		} else if (d->mode == DISPLAY_TTY) {
			char bar[BAR_WIDTH + 1];
			int fill = pct * BAR_WIDTH / 100;

			memset(bar, '#', (size_t)fill);
			memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
			bar[BAR_WIDTH] = '\0';
			fprintf(d->out, "\r\033[K[%s] %s [%s] %3d%% %6.1f KiB/s ETA %4.1fs", fixture,
				f->step, bar, pct, rate / 1024, eta);
			fflush(d->out);
		}
	}
	pthread_mutex_unlock(&d->lock);
}

static void ev_run_end(void *ctx, const char *fixture, const char *serial, enum db_outcome o,
		       const char *failed_step, const char *reason)
{
	struct display *d = ctx;
	struct fx_state *f;
	const char *verdict = o == DB_PASS ? "PASS" : o == DB_ABORTED ? "ABORTED" : "FAIL";

	pthread_mutex_lock(&d->lock);
	f = find(d, fixture);
	if (d->mode == DISPLAY_JSON) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:f}", "event", "run_end", "fixture",
				      fixture, "serial", serial ? serial : "", "verdict", verdict,
				      "seconds", (now_us() - f->t0) / 1e6);

		if (o != DB_PASS) {
			json_object_set_new(j, "failed_step", json_string(failed_step));
			json_object_set_new(j, "reason", json_string(reason));
		}
		emit_json(d, j);
	} else if (d->mode == DISPLAY_TTY) {
		/* large enough to read from two metres */
		fprintf(d->out, "\r\033[K%s                                        \033[0m\n", color(o));
		fprintf(d->out, "%s   %-8s %-12s unit %-20s   \033[0m\n", color(o), verdict,
			fixture, serial && *serial ? serial : "?");
		if (o != DB_PASS)
			fprintf(d->out, "%s   step: %-52s\033[0m\n%s   %-58.58s\033[0m\n",
				color(o), failed_step, color(o), reason);
		fprintf(d->out, "%s                                        \033[0m\n", color(o));
	} else {
		fprintf(d->out, "[%s] %s unit %s", fixture, verdict, serial && *serial ? serial : "?");
		if (o != DB_PASS)
			fprintf(d->out, " at '%s': %s", failed_step, reason);
		fprintf(d->out, " (%.1fs)\n", (now_us() - f->t0) / 1e6);
	}
	fflush(d->out);
	pthread_mutex_unlock(&d->lock);
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
	for (int i = 0; i < n_fixtures; i++)
		snprintf(d->fx[i].name, sizeof(d->fx[i].name), "%s", names[i]);
	pthread_mutex_init(&d->lock, NULL);
	d->ev = (struct run_events){
		.run_start = ev_run_start,
		.step_start = ev_step_start,
		.step_end = ev_step_end,
		.progress = ev_progress,
		.run_end = ev_run_end,
		.ctx = d,
	};
	return d;
}

void display_free(struct display *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d->fx);
	free(d);
}

const struct run_events *display_events(struct display *d)
{
	return &d->ev;
}
