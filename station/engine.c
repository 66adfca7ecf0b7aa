/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run engine.  A run is setup, steps, teardown; teardown always runs and
 * the fixture is put in its safe state afterwards, whatever happened.  Every
 * step (and every attempt of a retried one) is logged when it ends, before
 * the engine moves on: a crash loses at most the step in flight.  What a
 * step kind gets from the run (clocks, its result, variables, the line) is
 * in run_ctx.c.
 */
#define LOG_PREFIX "engine"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "station/engine.h"
#include "station/steps/steps.h"
#include "station/when.h"

static void log_step(struct run_ctx *rc, const struct step *st, struct step_result *r,
		     int64_t t0, int64_t t1, int attempts)
{
	struct st_error e = { 0 };
	struct db_step s = {
		.index = rc->step_index++,
		.name = st->name,
		.kind = st->kind ? st->kind->name : "?",
		.phase = rc->phase,
		.outcome = r->outcome,
		.reason = r->outcome == DB_PASS ? NULL : r->reason,
		.started_us = t0,
		.ended_us = t1,
		.attempts = attempts,
		.meas = r->meas,
		.n_meas = r->n_meas,
		.image = r->has_image ? &r->image : NULL,
		.identity = r->has_identity ? &r->identity : NULL,
		.cms = r->has_cms ? &r->cms : NULL,
		.kv = r->kv,
		.n_kv = r->n_kv,
	};

	if (rc->dry_run || !rc->db)
		return;
	if (db_step_log(rc->db, rc->run_id, &s, &e) < 0) {
		/* The log is the product here: a step we cannot record fails. */
		log_err("%s", e.msg);
		if (r->outcome == DB_PASS)
			sr_set(r, DB_ERROR, "cannot log the result: %s", e.msg);
	}
}

static enum db_outcome run_list(struct run_ctx *rc, const struct step_list *sl, bool *stop_flow,
			       char *first);

/* The engine's words for a time that ran out: a reason that begins with them
 * names whose time it was already (a group's carries its step's), and is not
 * named twice.  A step's own text may say "timed out" further on (curl's
 * "Operation timed out after 1000 milliseconds", a board's last bytes): that
 * names nobody's time, and the engine does. */
#define TIMED_OUT "timed out"

static bool names_its_time(const char *reason)
{
	return !strncmp(reason, TIMED_OUT, sizeof(TIMED_OUT) - 1);
}

static void run_attempt(struct run_ctx *rc, struct step *st, struct step_result *r)
{
	int64_t parent = rc->deadline_us;
	int64_t mine = now_us() + (int64_t)(st->timeout_s * 1e6);
	const struct step *parent_of = rc->deadline_of;
	bool out_of_time;

	rc->deadline_us = parent && parent < mine ? parent : mine;
	if (!parent || mine <= parent)
		rc->deadline_of = st;	/* else a group's time runs out first */
	r->outcome = DB_PASS;
	rc->out_of_time = false;
	if (st->kind->run == NULL) {
		/* groups: the children are logged one by one; the group's
		 * reason is its first failed step's, not the run's first */
		bool stop_flow = false;
		char first[ST_ERRMSG_MAX] = "";
		enum db_outcome o = run_list(rc, &st->children, &stop_flow, first);

		if (o != DB_PASS)
			sr_set(r, o, "%s", first[0] ? first : rc->fail_reason);
	} else {
		st->kind->run(st, rc, r);
	}
	out_of_time = rc->out_of_time;
	rc->out_of_time = false;
	if (r->lost) {
		/* a fault of the station, not of the unit */
		char why[ST_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", r->reason);
		sr_set(r, DB_ERROR, "the step's result ran out of room for its %s (it holds %d "
		       "values, %d strings): a station fault, report it%s%s", r->lost, SR_MAX_KV,
		       SR_MAX_STRS, why[0] ? "; the step said: " : "", why);
	}
	if (r->outcome != DB_PASS && r->outcome != DB_SKIPPED && rc->deadline_us &&
	    (out_of_time || now_us() >= rc->deadline_us) && !names_its_time(r->reason)) {
		char why[ST_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", r->reason);
		if (rc->deadline_of && rc->deadline_of != st)	/* name whose time it was */
			sr_set(r, r->outcome, TIMED_OUT ": the %.3gs of '%s' ran out: %s",
			       rc->deadline_of->timeout_s, rc->deadline_of->name, why);
		else
			sr_set(r, r->outcome, TIMED_OUT " after %.3gs: %s", st->timeout_s, why);
	}
	rc->deadline_us = parent;
	rc->deadline_of = parent_of;
}

/* The operator sees the unit's serial as soon as a step has found it. */
static void tell_serial(struct run_ctx *rc)
{
	const char *serial = vars_get(&rc->vars, "serial");

	if (!serial || !*serial || !strncmp(serial, rc->serial_shown, sizeof(rc->serial_shown)))
		return;
	snprintf(rc->serial_shown, sizeof(rc->serial_shown), "%s", serial);
	if (rc->ev && rc->ev->serial)
		rc->ev->serial(rc->ev->ctx, rc->fxdef->name, serial);
}

/* first: the enclosing group's first failure (NULL outside a group). */
static enum db_outcome run_step(struct run_ctx *rc, struct step *st, bool *stop_flow, char *first)
{
	struct step_result r = { 0 };
	enum db_outcome o;
	int64_t t0 = wall_us(), m0 = now_us();
	int attempt = 0;
	char saved_step[sizeof(rc->failed_step)], saved_reason[sizeof(rc->fail_reason)];

	/* A group that fails and then passes on retry leaves no verdict behind. */
	memcpy(saved_step, rc->failed_step, sizeof(saved_step));
	memcpy(saved_reason, rc->fail_reason, sizeof(saved_reason));

	if (rc->ev && rc->ev->step_start)
		rc->ev->step_start(rc->ev->ctx, rc->fxdef->name, rc->step_index, st->name);
	if (st->cond) {
		struct st_error e = { 0 };
		bool yes = false;

		if (when_eval(st->cond, &rc->vars, &yes, &e) < 0)
			sr_set(&r, DB_ERROR, "when '%s': %s", st->when, e.msg);
		else if (!yes)
			sr_set(&r, DB_SKIPPED, "skipped: when '%s' is false", st->when);
	}
	while (r.outcome == DB_PASS) {
		attempt++;
		run_attempt(rc, st, &r);
		if (r.outcome == DB_PASS || attempt > st->retries || rc_stopped(rc) ||
		    rc->to_teardown)
			break;
		log_info("%s: '%s' attempt %d failed (%s), retrying", rc->fxdef->name, st->name,
			 attempt, r.reason);
		if (st->kind->run) /* a group logs its own children; a step logs each try */
			log_step(rc, st, &r, t0, wall_us(), attempt);
		rc_sleep(rc, st->retry_delay_s);
		sr_reset(&r);
		t0 = wall_us();
	}
	/* A step cut short by SIGINT/SIGTERM failed because we powered the
	 * board off: say so, not only what the step saw (e.g. "no answer"). */
	if (rc_stopped(rc) && strcmp(rc->phase, "teardown") &&
	    (r.outcome == DB_FAIL || r.outcome == DB_ERROR)) {
		char why[ST_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", r.reason);
		sr_set(&r, DB_ABORTED, "stopped by the operator (signal) during '%s': %s",
		       st->name, why);
	}
	if (r.outcome == DB_PASS || r.outcome == DB_SKIPPED) {
		memcpy(rc->failed_step, saved_step, sizeof(saved_step));
		memcpy(rc->fail_reason, saved_reason, sizeof(saved_reason));
	}
	if (st->id) {
		char name[VARS_NAME_MAX];

		snprintf(name, sizeof(name), "%s.outcome", st->id);
		vars_set(&rc->vars, name, db_outcome_name(r.outcome));
	}
	log_step(rc, st, &r, t0, wall_us(), attempt ? attempt : 1);
	if (rc->ev && rc->ev->step_end)
		rc->ev->step_end(rc->ev->ctx, rc->fxdef->name, st->name, &r, now_us() - m0);
	tell_serial(rc);
	o = r.outcome;
	if (o == DB_FAIL || o == DB_ERROR || o == DB_ABORTED) {
		if (!rc->failed_step[0]) {
			rc->fail_outcome = o;
			snprintf(rc->failed_step, sizeof(rc->failed_step), "%s", st->name);
			snprintf(rc->fail_reason, sizeof(rc->fail_reason), "%s", r.reason);
		}
		if (first && !first[0])
			snprintf(first, ST_ERRMSG_MAX, "%s", r.reason);
		if (st->on_fail != ONFAIL_CONTINUE)
			*stop_flow = true;
		if (st->on_fail == ONFAIL_TEARDOWN)
			rc->to_teardown = true;
	}
	sr_reset(&r);
	return o;
}

static enum db_outcome worse(enum db_outcome a, enum db_outcome b)
{
	static const int rank[] = { [DB_PASS] = 0, [DB_SKIPPED] = 0, [DB_FAIL] = 2,
				    [DB_ERROR] = 3, [DB_ABORTED] = 4, [DB_RUNNING] = 1 };

	return rank[b] > rank[a] ? b : a;
}

static enum db_outcome run_list(struct run_ctx *rc, const struct step_list *sl, bool *stop_flow,
			       char *first)
{
	enum db_outcome o = DB_PASS;
	bool teardown = !strcmp(rc->phase, "teardown");

	for (int i = 0; i < sl->n && !*stop_flow; i++) {
		if (rc_stopped(rc) && !teardown) {
			rc->fail_outcome = DB_ABORTED;
			snprintf(rc->failed_step, sizeof(rc->failed_step), "%s", sl->v[i]->name);
			snprintf(rc->fail_reason, sizeof(rc->fail_reason),
				 "stopped by the operator (signal) before '%s'", sl->v[i]->name);
			if (first && !first[0])
				snprintf(first, ST_ERRMSG_MAX, "%s", rc->fail_reason);
			*stop_flow = true;
			return DB_ABORTED;
		}
		o = worse(o, run_step(rc, sl->v[i], stop_flow, first));
		if (teardown)
			*stop_flow = false; /* teardown runs every step */
		else if (rc->to_teardown)
			*stop_flow = true; /* out of every enclosing group */
	}
	return o;
}

static void set_run_vars(struct run_ctx *rc)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	/* The run's own values first: sequence defaults may refer to them. */
	gmtime_r(&t, &tm);
	vars_set(&rc->vars, "fixture", rc->fxdef->name);
	vars_set(&rc->vars, "port", rc->fxdef->port);
	vars_set(&rc->vars, "sequence", rc->seq->name);
	vars_set(&rc->vars, "run_id", rc->run_id);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	vars_set(&rc->vars, "date", buf);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	vars_set(&rc->vars, "time", buf);
	if (!vars_get(&rc->vars, "serial"))
		vars_set(&rc->vars, "serial", "");
	if (!vars_get(&rc->vars, "operator"))
		vars_set(&rc->vars, "operator", "");
	if (!vars_get(&rc->vars, "station"))
		vars_set(&rc->vars, "station", rc->cfg && rc->cfg->station ? rc->cfg->station : "station");
	for (int i = 0; i < rc->seq->n_vars; i++) {
		char *v = NULL;

		if (!rc->seq->vars[i].value || vars_get(&rc->vars, rc->seq->vars[i].name))
			continue;
		/* Left unset when it cannot expand: the step that uses it then
		 * says which variable has no value. */
		if (vars_expand(&rc->vars, rc->seq->vars[i].value, &v, NULL) == ST_OK)
			vars_set(&rc->vars, rc->seq->vars[i].name, v);
		free(v);
	}
}

int engine_check_params(const struct sequence *seq, const struct vars *given, char *missing,
			size_t cap)
{
	const char **names = calloc((size_t)seq->n_vars + 1, sizeof(*names));
	int n = 0;

	for (int i = 0; i < seq->n_vars; i++)
		if (!seq->vars[i].value && !vars_get(given, seq->vars[i].name)) {
			if (names)
				names[n] = seq->vars[i].name;
			n++;
		}
	if (names)
		lint_join(missing, cap, names);	/* bounded: whole names, then ", ..." */
	else if (cap)
		snprintf(missing, cap, "%s", n ? "(out of memory)" : "");
	free(names);
	return n;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Open the run's record: ST_OK, or an error already put in the verdict. */
static int log_run_start(struct run_ctx *rc, const char *serial)
{
	struct st_error e = { 0 };
	struct db_run_info ri = {
		.unit_serial = serial && *serial ? serial : NULL,
		.station = vars_get(&rc->vars, "station"),
		.fixture = rc->fxdef->name,
		/* no operator given: none (NULL), as the other line values */
		.operator_name = nonempty(vars_get(&rc->vars, "operator")),
		.work_order = nonempty(vars_get(&rc->vars, "work_order")),
		.part_number = nonempty(vars_get(&rc->vars, "part_number")),
		.revision = nonempty(vars_get(&rc->vars, "revision")),
		.sequence_name = rc->seq->name,
		.sequence_version = rc->seq->version,
		.sequence_sha256 = rc->seq->sha256,
		.software_version = ST_VERSION,
	};

	if (!rc->db)
		return ST_OK;
	if (db_run_begin(rc->db, &ri, rc->run_id, &e) < 0) {
		snprintf(rc->failed_step, sizeof(rc->failed_step), "start");
		snprintf(rc->fail_reason, sizeof(rc->fail_reason), "%s", e.msg);
		return e.code ? e.code : ST_ERR_DB;
	}
	vars_set(&rc->vars, "run_id", rc->run_id);
	for (int i = 0; i < rc->seq->n_files; i++)
		db_run_file(rc->db, rc->run_id, rc->seq->files[i].path, rc->seq->files[i].sha256,
			    NULL);
	return ST_OK;
}

/* The run's end in the log.  A log that refuses it is a station fault:
 * the run's verdict becomes ERROR (the recovery at the next start marks the
 * row, left running, aborted). */
static enum db_outcome log_run_end(struct run_ctx *rc, enum db_outcome o, const char *serial)
{
	struct st_error e = { 0 };

	if (!rc->db)
		return o;
	if (serial && *serial)
		db_run_set_serial(rc->db, rc->run_id, serial, NULL);
	if (db_run_end(rc->db, rc->run_id, o, o == DB_PASS ? NULL : rc->fail_reason, &e) < 0) {
		log_err("%s", e.msg);
		if (!rc->failed_step[0]) {	/* else the first failure stays the verdict's */
			snprintf(rc->failed_step, sizeof(rc->failed_step), "end");
			snprintf(rc->fail_reason, sizeof(rc->fail_reason),
				 "the run (%s) could not be ended in the log: %.400s",
				 db_outcome_name(o), e.msg);
		}
		return DB_ERROR;
	}
	return o;
}

/* The lamps: off when a run starts; after it, the verdict's (pass:
 * led-pass; fail: led-fail; error: both, a state of its own, since the
 * board may be good and a red lamp alone says scrap it; aborted: none),
 * those the fixture has.  A lamp that will not light is said, not a
 * verdict. */
static void set_lamps(struct run_ctx *rc, enum db_outcome o, bool start)
{
	static const enum fx_line lamps[] = { FX_LED_PASS, FX_LED_FAIL };

	for (size_t i = 0; i < sizeof(lamps) / sizeof(lamps[0]); i++) {
		struct st_error e = { 0 };
		bool on = !start && (o == DB_ERROR || (lamps[i] == FX_LED_PASS && o == DB_PASS) ||
				     (lamps[i] == FX_LED_FAIL && o == DB_FAIL));

		if (!fixture_has_line(rc->fx, lamps[i]))
			continue;
		if (fixture_set(rc->fx, lamps[i], on, &e) < 0 && e.code != ST_ERR_ABORTED)
			log_warn("%s: lamp %s: %s", rc->fxdef->name, fx_line_name(lamps[i]), e.msg);
	}
}

enum db_outcome engine_run_unopened(struct run_ctx *rc, const char *why)
{
	struct st_error e = { 0 };
	int64_t t = wall_us();
	const struct db_step s = {
		.name = "open fixture", .kind = "fixture", .phase = "setup",
		.outcome = DB_ERROR, .reason = why, .started_us = t, .ended_us = t, .attempts = 1,
	};
	const char *serial;

	rc->failed_step[0] = rc->fail_reason[0] = '\0';
	set_run_vars(rc);
	serial = vars_get(&rc->vars, "serial");
	if (log_run_start(rc, serial) < 0)
		return DB_ERROR;
	if (rc->ev && rc->ev->run_start)
		rc->ev->run_start(rc->ev->ctx, rc->fxdef->name, rc->run_id, serial);
	if (rc->db && db_step_log(rc->db, rc->run_id, &s, &e) < 0)
		log_err("%s", e.msg);
	rc->fail_outcome = DB_ERROR;
	snprintf(rc->failed_step, sizeof(rc->failed_step), "%s", s.name);
	snprintf(rc->fail_reason, sizeof(rc->fail_reason), "%s", why);
	log_run_end(rc, DB_ERROR, serial);
	if (rc->ev && rc->ev->run_end)
		rc->ev->run_end(rc->ev->ctx, rc->fxdef->name, serial, DB_ERROR, rc->failed_step,
				rc->fail_reason);
	return DB_ERROR;
}

enum db_outcome engine_run(struct run_ctx *rc)
{
	struct st_error e = { 0 };
	enum db_outcome o = DB_PASS, t;
	bool stop_flow = false;
	const char *serial;

	rc->failed_step[0] = rc->fail_reason[0] = '\0';
	set_run_vars(rc);
	/* serial first, then the gate (the MES), then power: a scan is asked
	 * before anything moves, and a unit not scanned or not allowed is no
	 * run at all */
	if (prompt_serial_first(rc, rc->fail_reason, sizeof(rc->fail_reason)) < 0) {
		log_warn("%s: %s: no run", rc->fxdef->name, rc->fail_reason);
		rc->unscanned = !rc->stop || !atomic_load(rc->stop);
		return DB_SKIPPED;
	}
	if (rc->gate && rc->gate(rc, rc->gate_ctx, rc->fail_reason, sizeof(rc->fail_reason)) < 0) {
		rc->refused = true;	/* the gate said why */
		return DB_SKIPPED;
	}
	serial = vars_get(&rc->vars, "serial");
	set_lamps(rc, DB_PASS, true);
	if (log_run_start(rc, serial) < 0) {
		fixture_shutdown(rc->fx);
		return DB_ERROR;
	}
	if (rc->ev && rc->ev->run_start)
		rc->ev->run_start(rc->ev->ctx, rc->fxdef->name, rc->run_id, serial);
	snprintf(rc->serial_shown, sizeof(rc->serial_shown), "%s", serial ? serial : "");
	/* The console is connected for the whole run, as on a real fixture:
	 * what the board prints at power-on must not be lost before the first
	 * step that reads it.  If it cannot open now, steps retry and say why. */
	if (!rc->link && rc->fxdef->port[0] && link_open(&rc->link, rc->fxdef->port,
							  &rc->fxdef->link, &e) < 0)
		log_warn("%s: console %s: %s", rc->fxdef->name, rc->fxdef->port, e.msg);
	rc->phase = "setup";
	o = worse(o, run_list(rc, &rc->seq->setup, &stop_flow, NULL));
	rc->phase = "steps";
	if (!stop_flow)
		o = worse(o, run_list(rc, &rc->seq->steps, &stop_flow, NULL));
	/* teardown runs every step; its own failures are logged, and count
	 * only when nothing failed before */
	rc->phase = "teardown";
	stop_flow = false;
	rc->to_teardown = false;
	t = run_list(rc, &rc->seq->teardown, &stop_flow, NULL);
	o = worse(o, t == DB_ABORTED ? DB_ERROR : t);
	fixture_shutdown(rc->fx);
	/* The verdict is the first failure: what the operator must fix first. */
	if (rc->failed_step[0] && o != DB_ABORTED)
		o = rc->fail_outcome;
	if (rc_stopped(rc))
		o = DB_ABORTED;
	if (rc->link) {
		link_close(rc->link);
		rc->link = NULL;
	}
	serial = vars_get(&rc->vars, "serial");
	o = log_run_end(rc, o, serial);
	set_lamps(rc, o, false);
	if (rc->ev && rc->ev->run_end)
		rc->ev->run_end(rc->ev->ctx, rc->fxdef->name, serial, o, rc->failed_step,
				rc->fail_reason);
	return o;
}

static void plan_list(struct run_ctx *rc, const struct step_list *sl, FILE *out, int depth)
{
	for (int i = 0; i < sl->n; i++) {
		const struct step *st = sl->v[i];

		fprintf(out, "%*s- %s [%s]", depth * 2, "", st->name, st->kind->name);
		if (st->retries)
			fprintf(out, " retries=%d", st->retries);
		if (st->on_fail != ONFAIL_ABORT)
			fprintf(out, " on_fail=%s", st->on_fail == ONFAIL_CONTINUE ? "continue" : "teardown");
		if (st->when)
			fprintf(out, " when=\"%s\"", st->when);
		fprintf(out, " timeout=%gs\n", st->timeout_s);
		if (st->kind->plan)
			st->kind->plan(st, rc, out);
		plan_list(rc, &st->children, out, depth + 1);
	}
}

int engine_plan(struct run_ctx *rc, FILE *out)
{
	set_run_vars(rc);
	fprintf(out, "sequence %s %s (sha256 %s)\n", rc->seq->name, rc->seq->version,
		rc->seq->sha256);
	for (int i = 0; i < rc->seq->n_files; i++)
		fprintf(out, "  file %s (sha256 %s)\n", rc->seq->files[i].path,
			rc->seq->files[i].sha256);
	fprintf(out, "fixture %s (port %s)\n", rc->fxdef->name, rc->fxdef->port);
	fprintf(out, "setup:\n");
	plan_list(rc, &rc->seq->setup, out, 1);
	fprintf(out, "steps:\n");
	plan_list(rc, &rc->seq->steps, out, 1);
	fprintf(out, "teardown:\n");
	plan_list(rc, &rc->seq->teardown, out, 1);
	return rc->plan_problems;
}
