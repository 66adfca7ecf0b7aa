/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Each fixture of station serve (serve.h): its state as the panel shows
 * it, kept from the engine's events, and the start and stop requests its
 * thread takes.  A fixture's thread waits in next() for a start; the
 * request's values become the run's variables; the engine's events update
 * the slot, then go on to display.c's --json writer (the hub).  A stop is
 * the fixture's own flag, which the engine watches, and its safe state at
 * once (the step in flight sees its board go dark and ends).
 */
#define LOG_PREFIX "serve"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/text.h"
#include "station/serve.h"

struct slot {
	struct slots *s;
	struct slot_view v;
	int64_t t0, t_end;
	struct slot_start req;
	bool queued, running, faulted;
	/* the unit taken by the thread: its run ended (else it had none);
	 * it ended without a run (the log refused it, say) */
	bool ended, no_run;
	struct fixture *fx;	/* open while its thread runs */
	atomic_bool stop;
};

struct slots {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct slot *v;
	int n;
	bool quit;
	const struct run_events *next;
	struct run_events ev;
	struct fleet_driver drv;
};

static void start_free(struct slot_start *st)
{
	for (int i = 0; i < st->n_vars; i++)
		free(st->vars[i]);
	st->n_vars = 0;
}

static struct slot *find(struct slots *s, const char *fixture)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].v.name, fixture))
			return &s->v[i];
	return &s->v[0];	/* the engine names only our fixtures */
}

/* text from outside, as stored (valid UTF-8; the panel escapes it for HTML) */
static void keep(char *dst, size_t cap, const char *text)
{
	st_text_utf8(dst, cap, text ? text : "");
}

/* ---- the engine's events ----------------------------------------------------- */

static void ev_run_start(void *ctx, const char *fixture, const char *run_id, const char *serial)
{
	struct slots *s = ctx;
	struct slot *sl;

	pthread_mutex_lock(&s->mu);
	sl = find(s, fixture);
	sl->v.state = "running";
	keep(sl->v.serial, sizeof(sl->v.serial), serial);
	snprintf(sl->v.run_id, sizeof(sl->v.run_id), "%s", run_id ? run_id : "");
	sl->v.step[0] = sl->v.failed_step[0] = sl->v.reason[0] = '\0';
	sl->v.done = sl->v.total = 0;
	sl->v.lamp_pass = sl->v.lamp_fail = false;
	sl->t0 = now_us();
	sl->running = true;
	pthread_cond_broadcast(&s->cond);	/* slots_start() waits for the run id */
	pthread_mutex_unlock(&s->mu);
	if (s->next->run_start)
		s->next->run_start(s->next->ctx, fixture, run_id, serial);
}

static void ev_step_start(void *ctx, const char *fixture, int index, const char *name)
{
	struct slots *s = ctx;
	struct slot *sl;

	pthread_mutex_lock(&s->mu);
	sl = find(s, fixture);
	keep(sl->v.step, sizeof(sl->v.step), name);
	sl->v.step_index = index;
	sl->v.done = sl->v.total = 0;
	pthread_mutex_unlock(&s->mu);
	if (s->next->step_start)
		s->next->step_start(s->next->ctx, fixture, index, name);
}

static void ev_step_end(void *ctx, const char *fixture, const char *name,
			const struct step_result *r, int64_t us)
{
	struct slots *s = ctx;

	if (s->next->step_end)
		s->next->step_end(s->next->ctx, fixture, name, r, us);
}

static void ev_progress(void *ctx, const char *fixture, uint64_t done, uint64_t total)
{
	struct slots *s = ctx;
	struct slot *sl;

	pthread_mutex_lock(&s->mu);
	sl = find(s, fixture);
	sl->v.done = done;
	sl->v.total = total;
	pthread_mutex_unlock(&s->mu);
	if (s->next->progress)
		s->next->progress(s->next->ctx, fixture, done, total);
}

static const char *verdict_state(enum db_outcome o)
{
	switch (o) {
	case DB_PASS: return "pass";
	case DB_FAIL: return "fail";
	case DB_ABORTED: return "aborted";
	default: return "error";
	}
}

static void ev_run_end(void *ctx, const char *fixture, const char *serial, enum db_outcome o,
		       const char *failed_step, const char *reason)
{
	struct slots *s = ctx;
	struct slot *sl;

	pthread_mutex_lock(&s->mu);
	sl = find(s, fixture);
	sl->v.state = verdict_state(o);
	keep(sl->v.serial, sizeof(sl->v.serial), serial);
	keep(sl->v.failed_step, sizeof(sl->v.failed_step), o == DB_PASS ? "" : failed_step);
	keep(sl->v.reason, sizeof(sl->v.reason), o == DB_PASS ? "" : reason);
	sl->v.lamp_pass = o == DB_PASS;
	sl->v.lamp_fail = o == DB_FAIL || o == DB_ERROR;
	sl->t_end = now_us();
	memmove(&sl->v.last[1], &sl->v.last[0], sizeof(sl->v.last[0]) * (SLOT_LAST - 1));
	snprintf(sl->v.last[0].serial, sizeof(sl->v.last[0].serial), "%s", sl->v.serial);
	snprintf(sl->v.last[0].run_id, sizeof(sl->v.last[0].run_id), "%s", sl->v.run_id);
	snprintf(sl->v.last[0].verdict, sizeof(sl->v.last[0].verdict), "%s", sl->v.state);
	if (sl->v.n_last < SLOT_LAST)
		sl->v.n_last++;
	/* the fixture takes the next start from now on (its thread may still
	 * send this run's result to the MES: the next run begins after) */
	sl->queued = sl->running = false;
	sl->ended = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	if (s->next->run_end)
		s->next->run_end(s->next->ctx, fixture, serial, o, failed_step, reason);
}

static void ev_serial(void *ctx, const char *fixture, const char *serial)
{
	struct slots *s = ctx;

	pthread_mutex_lock(&s->mu);
	keep(find(s, fixture)->v.serial, sizeof(find(s, fixture)->v.serial), serial);
	pthread_mutex_unlock(&s->mu);
	if (s->next->serial)
		s->next->serial(s->next->ctx, fixture, serial);
}

/* ---- the fixtures' threads -------------------------------------------------- */

static void set_var(struct run_ctx *rc, const char *name, const char *value)
{
	if (value[0])
		vars_set(&rc->vars, name, value);
}

/* Wait for a start request; its values become the run's. */
static bool next_unit(struct fx_thread *t, struct fixture *fx, struct run_ctx *rc)
{
	struct slots *s = t->drv->ctx;
	struct slot *sl = &s->v[t->index];

	pthread_mutex_lock(&s->mu);
	sl->fx = fx;
	while (!sl->queued && !s->quit && !atomic_load(&fleet_stop))
		pthread_cond_wait(&s->cond, &s->mu);
	if (!sl->queued) {
		sl->fx = NULL;
		pthread_mutex_unlock(&s->mu);
		return false;
	}
	for (int i = 0; i < sl->req.n_vars; i++) {
		char *eq = strchr(sl->req.vars[i], '=');

		*eq = '\0';
		vars_set(&rc->vars, sl->req.vars[i], eq + 1);
		*eq = '=';
	}
	set_var(rc, "serial", sl->req.serial);
	set_var(rc, "operator", sl->req.operator_name);
	set_var(rc, "work_order", sl->req.work_order);
	set_var(rc, "part_number", sl->req.part_number);
	set_var(rc, "revision", sl->req.revision);
	snprintf(sl->v.operator_name, sizeof(sl->v.operator_name), "%s", sl->req.operator_name);
	snprintf(sl->v.work_order, sizeof(sl->v.work_order), "%s", sl->req.work_order);
	start_free(&sl->req);
	sl->ended = false;
	pthread_mutex_unlock(&s->mu);
	return true;
}

static bool unit_done(struct fx_thread *t, struct fixture *fx, struct run_ctx *rc,
		      enum db_outcome o)
{
	struct slots *s = t->drv->ctx;
	struct slot *sl = &s->v[t->index];

	pthread_mutex_lock(&s->mu);
	if (!sl->ended) {	/* no run was logged (the log refused it): say why */
		sl->queued = sl->running = false;
		sl->no_run = true;
		sl->v.state = "error";
		snprintf(sl->v.reason, sizeof(sl->v.reason), "no run: %.480s", rc->fail_reason);
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return true;
}

void slots_fault(struct fx_thread *t, const char *why)
{
	struct slots *s = t->fault_ctx;
	struct slot *sl = &s->v[t->index];

	pthread_mutex_lock(&s->mu);
	sl->faulted = true;
	sl->v.state = "fault";
	keep(sl->v.reason, sizeof(sl->v.reason), why);
	pthread_mutex_unlock(&s->mu);
}

/* ---- requests ---------------------------------------------------------------- */

int slots_start(struct slots *s, int i, struct slot_start *st, int wait_ms,
		char run_id[DB_ID_LEN], struct st_error *e)
{
	struct slot *sl = &s->v[i];
	struct timespec until;
	int ret = ST_OK;

	run_id[0] = '\0';
	pthread_mutex_lock(&s->mu);
	if (sl->faulted || s->quit || atomic_load(&fleet_stop)) {
		ret = st_fail(e, ST_ERR_ABORTED, "fixture %s cannot run: %s", sl->v.name,
			      sl->faulted ? sl->v.reason : "the station is stopping");
	} else if (sl->queued || sl->running) {
		ret = st_fail(e, ST_ERR_BUSY, "fixture %s is busy with unit %s: wait for its "
			      "verdict, or stop it first", sl->v.name,
			      sl->running ? sl->v.serial : st->serial);
	}
	if (ret < 0) {
		pthread_mutex_unlock(&s->mu);
		start_free(st);
		return ret;
	}
	start_free(&sl->req);
	sl->req = *st;
	st->n_vars = 0;		/* taken over */
	sl->queued = true;
	sl->no_run = false;
	atomic_store(&sl->stop, false);
	sl->v.state = "starting";
	keep(sl->v.serial, sizeof(sl->v.serial), st->serial);
	sl->v.run_id[0] = sl->v.step[0] = sl->v.failed_step[0] = sl->v.reason[0] = '\0';
	pthread_cond_broadcast(&s->cond);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* until its run begins (it may have ended too), or the unit ends
	 * without one: the fixture is ours until then */
	while (!sl->v.run_id[0] && !sl->no_run &&
	       pthread_cond_timedwait(&s->cond, &s->mu, &until) == 0)
		;
	if (sl->no_run)
		ret = st_fail(e, ST_ERR_DB, "fixture %s: %s; nothing started", sl->v.name,
			      sl->v.reason);
	else
		snprintf(run_id, DB_ID_LEN, "%s", sl->v.run_id);
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int slots_stop(struct slots *s, int i, struct st_error *e)
{
	struct slot *sl = &s->v[i];
	struct fixture *fx = NULL;

	pthread_mutex_lock(&s->mu);
	if (!sl->queued && !sl->running) {
		pthread_mutex_unlock(&s->mu);
		return st_fail(e, ST_ERR_NOTFOUND, "fixture %s runs no unit: nothing to stop",
			       sl->v.name);
	}
	atomic_store(&sl->stop, true);
	if (sl->running)
		fx = sl->fx;
	pthread_mutex_unlock(&s->mu);
	/* the board dark at once; the fixture's lock orders it with the
	 * step's own calls */
	if (fx)
		fixture_shutdown(fx);
	return ST_OK;
}

void slots_stop_all(struct slots *s)
{
	pthread_mutex_lock(&s->mu);
	s->quit = true;
	for (int i = 0; i < s->n; i++)
		atomic_store(&s->v[i].stop, true);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

/* ---- views -------------------------------------------------------------------- */

int slots_count(const struct slots *s)
{
	return s->n;
}

int slots_find(const struct slots *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].v.name, name))
			return i;
	return -1;
}

void slots_view(struct slots *s, int i, struct slot_view *v)
{
	struct slot *sl = &s->v[i];

	pthread_mutex_lock(&s->mu);
	*v = sl->v;
	if (sl->t0)
		v->elapsed_s = ((sl->running ? now_us() : sl->t_end) - sl->t0) / 1e6;
	pthread_mutex_unlock(&s->mu);
}

/* ---- life ------------------------------------------------------------------------ */

int slots_new(struct slots **out, const struct fleet *f, const struct run_events *next)
{
	struct slots *s = calloc(1, sizeof(*s));

	if (!s || !(s->v = calloc((size_t)f->n, sizeof(*s->v)))) {
		free(s);
		return ST_ERR_NOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->n = f->n;
	s->next = next;
	for (int i = 0; i < f->n; i++) {
		s->v[i].s = s;
		snprintf(s->v[i].v.name, sizeof(s->v[i].v.name), "%s", f->t[i].def.name);
		s->v[i].v.state = "idle";
	}
	s->ev = (struct run_events){ ev_run_start, ev_step_start, ev_step_end, ev_progress,
				     ev_run_end, ev_serial, s };
	/* the API asks the MES's pre-check before it queues a start */
	s->drv = (struct fleet_driver){ next_unit, unit_done, s, true };
	*out = s;
	return ST_OK;
}

void slots_free(struct slots *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++)
		start_free(&s->v[i].req);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s->v);
	free(s);
}

const struct run_events *slots_events(struct slots *s)
{
	return &s->ev;
}

const struct fleet_driver *slots_driver(struct slots *s)
{
	return &s->drv;
}

atomic_bool *slots_stop_flag(struct slots *s, int i)
{
	return &s->v[i].stop;
}
