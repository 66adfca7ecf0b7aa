/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run engine with a fake step kind: each fake step plays a script of
 * outcomes, one per attempt, and the test checks what the engine makes of
 * them (verdicts, retries, on_fail, when, teardown, the stop) through the
 * operator events and, for what is logged attempt by attempt, the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "station/engine.h"
#include "test_db_data.h"

#define MAX_STEPS 16

/* What a fake step does when it runs. */
struct fake {
	enum db_outcome script[4];	/* attempt i's outcome; past the end, the last */
	int n_script;
	int runs;
	int kv, strs;			/* sr_kv / sr_str calls to make */
	const char *last_str;		/* what the last sr_str returned */
	bool stop;			/* the operator stops the run during it */
	bool wait;			/* wait for the step's deadline first */
};

struct end {
	const char *name;
	enum db_outcome o;
	char reason[ST_ERRMSG_MAX];
};

static struct world {
	struct sequence seq;
	struct fixture_def def;
	struct step steps[MAX_STEPS];
	struct step *lists[MAX_STEPS][MAX_STEPS];
	int n_steps, n_lists;
	atomic_bool stop;
	char order[512];		/* the fake steps' names, in the order they ran */
	struct end ends[2 * MAX_STEPS];	/* step_end events */
	int n_ends;
	enum db_outcome verdict;	/* run_end */
	char failed_step[128], reason[ST_ERRMSG_MAX];
} w;

static void fake_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	struct fake *f = s->cfg;
	enum db_outcome o = f->script[f->runs < f->n_script ? f->runs : f->n_script - 1];

	f->runs++;
	strcat(w.order, s->name);
	strcat(w.order, " ");
	if (f->stop)
		atomic_store(&w.stop, true);
	while (f->wait && rc_remaining_ms(rc) > 0) {
		const struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < f->kv; i++)
		sr_kv(r, "k", "v");
	for (int i = 0; i < f->strs; i++)
		f->last_str = sr_str(r, "a string");
	if (o != DB_PASS)
		sr_set(r, o, "%s said %s on attempt %d", s->name, db_outcome_name(o), f->runs);
}

static const struct step_kind fake_kind = { .name = "fake", .run = fake_run };
static const struct step_kind group_kind = { .name = "group" };	/* run NULL: a group */

static struct step *fake(const char *name, struct fake *f)
{
	struct step *s = &w.steps[w.n_steps++];

	s->name = (char *)name;
	s->kind = &fake_kind;
	s->cfg = f;
	s->timeout_s = 5;
	if (!f->n_script)
		f->n_script = 1;	/* { 0 }: passes */
	return s;
}

/* A step list of n steps (the arguments). */
static struct step_list list(int n, ...)
{
	struct step **v = w.lists[w.n_lists++];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v[i] = va_arg(ap, struct step *);
	va_end(ap);
	return (struct step_list){ .v = v, .n = n };
}

static struct step *group(const char *name, struct step_list children)
{
	struct step *s = &w.steps[w.n_steps++];

	s->name = (char *)name;
	s->kind = &group_kind;
	s->timeout_s = 60;
	s->children = children;
	return s;
}

static void ev_step_end(void *ctx, const char *fx, const char *name, const struct step_result *r,
			int64_t us)
{
	struct end *e = &w.ends[w.n_ends++];

	e->name = name;
	e->o = r->outcome;
	snprintf(e->reason, sizeof(e->reason), "%s", r->reason);
}

static void ev_run_end(void *ctx, const char *fx, const char *serial, enum db_outcome o,
		       const char *failed_step, const char *reason)
{
	w.verdict = o;
	snprintf(w.failed_step, sizeof(w.failed_step), "%s", failed_step);
	snprintf(w.reason, sizeof(w.reason), "%s", reason);
}

static const struct run_events events = { .step_end = ev_step_end, .run_end = ev_run_end };

/* The step_end of the step named name (the last, if it ended twice). */
static const struct end *end_of(const char *name)
{
	for (int i = w.n_ends - 1; i >= 0; i--)
		if (!strcmp(w.ends[i].name, name))
			return &w.ends[i];
	fail_msg("step '%s' never ended", name);
	return NULL;
}

/* Run w.seq once on a fixture with no console and no board (db: NULL, or a log). */
static enum db_outcome run_db(struct db *db)
{
	struct run_ctx rc = { .seq = &w.seq, .fxdef = &w.def, .db = db, .ev = &events,
			      .stop = &w.stop };
	enum db_outcome o;

	vars_init(&rc.vars);
	o = engine_run(&rc);
	vars_free(&rc.vars);
	assert_int_equal(o, w.verdict);	/* what it returns is what it tells */
	return o;
}

static enum db_outcome run(void)
{
	return run_db(NULL);
}

static int setup(void **state)
{
	memset(&w, 0, sizeof(w));
	w.seq.name = (char *)"engine-test";
	w.seq.version = (char *)"1";
	fixture_def_init(&w.def);
	snprintf(w.def.name, sizeof(w.def.name), "fx-1");
	return 0;
}

/* ---- results that run out of room ---------------------------------------- */

/* Past SR_MAX_KV values, the step is an error that says so; the values it
 * kept are still there. */
static void test_result_full_of_values_is_an_error(void **state)
{
	struct fake full = { .kv = SR_MAX_KV + 1 }, fits = { .kv = SR_MAX_KV };

	w.seq.steps = list(2, fake("fits", &fits), fake("full", &full));
	w.steps[1].on_fail = ONFAIL_CONTINUE;
	assert_int_equal(run(), DB_ERROR);
	assert_int_equal(end_of("fits")->o, DB_PASS);
	assert_int_equal(end_of("full")->o, DB_ERROR);
	assert_string_equal(end_of("full")->reason,
			    "the step's result ran out of room for its values (it holds 32 values, "
			    "160 strings): a station fault, report it");
}

/* Past SR_MAX_STRS strings, sr_str gives a note saying so, never "", and
 * the step is an error that keeps what the step itself said. */
static void test_result_full_of_strings_is_an_error(void **state)
{
	struct fake full = { .strs = SR_MAX_STRS + 1, .script = { DB_FAIL } };

	w.seq.steps = list(1, fake("full", &full));
	assert_int_equal(run(), DB_ERROR);
	assert_string_equal(full.last_str, "(not kept: the step's result is full)");
	assert_string_equal(end_of("full")->reason,
			    "the step's result ran out of room for its strings (it holds 32 values, "
			    "160 strings): a station fault, report it; the step said: full said "
			    "fail on attempt 1");
}

/* ---- parameters ------------------------------------------------------- */

static void test_missing_params_are_cut_whole(void **state)
{
	struct seq_var v[] = { { "alpha", NULL }, { "bravo", NULL }, { "given", "x" },
			       { "charlie", NULL }, { "delta", NULL } };
	struct vars given;
	char buf[64];

	w.seq.vars = v;
	w.seq.n_vars = 5;
	vars_init(&given);
	vars_set(&given, "delta", "1");
	assert_int_equal(engine_check_params(&w.seq, &given, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "alpha, bravo, charlie");
	/* no room for them all: whole names, then ", ...", within the buffer */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(engine_check_params(&w.seq, &given, buf, 20), 3);
	assert_string_equal(buf, "alpha, bravo, ...");
	assert_int_equal(buf[20], 'X');
	assert_int_equal(engine_check_params(&w.seq, &given, buf, 8), 3);
	assert_string_equal(buf, "...");
	vars_set(&given, "alpha", "1");
	vars_set(&given, "bravo", "1");
	vars_set(&given, "charlie", "1");
	assert_int_equal(engine_check_params(&w.seq, &given, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	vars_free(&given);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
	const struct CMUnitTest tests[] = {
		T(test_result_full_of_values_is_an_error),
		T(test_result_full_of_strings_is_an_error),
		T(test_missing_params_are_cut_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
