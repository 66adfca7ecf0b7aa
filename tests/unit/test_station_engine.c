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
#include "station/when.h"
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

/* The step named name (the arguments of list() are made in no set order). */
static struct step *st(const char *name)
{
	for (int i = 0; i < w.n_steps; i++)
		if (!strcmp(w.steps[i].name, name))
			return &w.steps[i];
	fail_msg("no step '%s'", name);
	return NULL;
}

/* A step's `when`, parsed as the loader parses it (freed by teardown). */
static struct when_expr *conds[MAX_STEPS];
static int n_conds;

static void when(const char *name, const char *text)
{
	struct st_error e = { 0 };
	struct step *s = st(name);
	int col;

	s->when = (char *)text;
	if (when_parse(text, &s->cond, &col, &e) != ST_OK)
		fail_msg("when '%s': col %d: %s", text, col, e.msg);
	conds[n_conds++] = s->cond;
}

static int teardown(void **state)
{
	while (n_conds > 0)
		when_free(conds[--n_conds]);
	return 0;
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

/* ---- verdicts, retries, on_fail, when, teardown -------------------------- */

static void test_all_pass_runs_every_phase_in_order(void **state)
{
	struct fake s1 = { 0 }, a = { 0 }, b = { 0 }, t = { 0 };

	w.seq.setup = list(1, fake("s1", &s1));
	w.seq.steps = list(2, fake("a", &a), fake("b", &b));
	w.seq.teardown = list(1, fake("t", &t));
	assert_int_equal(run(), DB_PASS);
	assert_string_equal(w.order, "s1 a b t ");
	assert_string_equal(w.failed_step, "");
}

static void test_retry_passes_on_second_attempt(void **state)
{
	struct fake flaky = { .script = { DB_FAIL, DB_PASS }, .n_script = 2 };

	w.seq.steps = list(1, fake("flaky", &flaky));
	st("flaky")->retries = 1;
	assert_int_equal(run(), DB_PASS);
	assert_int_equal(flaky.runs, 2);
	assert_int_equal(end_of("flaky")->o, DB_PASS);
	assert_string_equal(w.failed_step, "");
}

static void test_no_retry_fails_at_once(void **state)
{
	struct fake flaky = { .script = { DB_FAIL, DB_PASS }, .n_script = 2 };

	w.seq.steps = list(1, fake("flaky", &flaky));
	assert_int_equal(run(), DB_FAIL);
	assert_int_equal(flaky.runs, 1);
}

/* Every try is spent, and the verdict says what the last one saw. */
static void test_retries_exhausted(void **state)
{
	struct fake bad = { .script = { DB_FAIL } };

	w.seq.steps = list(1, fake("bad", &bad));
	st("bad")->retries = 2;
	assert_int_equal(run(), DB_FAIL);
	assert_int_equal(bad.runs, 3);
	assert_string_equal(w.failed_step, "bad");
	assert_string_equal(w.reason, "bad said fail on attempt 3");
}

/* Each try of a retried step is in the log, not only the last. */
static void test_every_attempt_is_logged(void **state)
{
	struct fake flaky = { .script = { DB_FAIL, DB_PASS }, .n_script = 2 };
	struct st_error e = { 0 };
	struct db *db = NULL;
	char dir[64], path[96], got[256];

	assert_int_equal(t_mkdir(dir, sizeof(dir), "engine"), 0);
	snprintf(path, sizeof(path), "%s/station.db", dir);
	assert_int_equal(db_open(&db, path, NULL, &e), ST_OK);
	w.seq.steps = list(1, fake("flaky", &flaky));
	st("flaky")->retries = 1;
	assert_int_equal(run_db(db), DB_PASS);
	t_text(db, "SELECT group_concat(outcome || '/' || attempts || '/' || ifnull(reason, '-'), "
	       "' | ') FROM (SELECT * FROM steps WHERE name = 'flaky' ORDER BY id)", got, sizeof(got));
	assert_string_equal(got, "fail/1/flaky said fail on attempt 1 | pass/2/-");
	t_text(db, "SELECT outcome FROM runs", got, sizeof(got));
	assert_string_equal(got, "pass");
	db_close(db);
	t_rmdir(dir);
}

/* Run again, the failing step named name now with on_fail of: the steps
 * that run, in order, and the verdict names it. */
static void rerun_failing(const char *name, enum on_fail of, const char *order)
{
	w.order[0] = '\0';
	st(name)->on_fail = of;
	assert_int_equal(run(), DB_FAIL);
	assert_string_equal(w.order, order);
	assert_string_equal(w.failed_step, name);
}

/* on_fail: abort (the default) stops the flow, continue goes on; both
 * still tear down, and the verdict names the first failure. */
static void test_on_fail_abort_vs_continue(void **state)
{
	struct fake a = { .script = { DB_FAIL } }, b = { 0 }, t = { 0 };

	w.seq.steps = list(2, fake("a", &a), fake("b", &b));
	w.seq.teardown = list(1, fake("t", &t));
	assert_int_equal(run(), DB_FAIL);
	assert_string_equal(w.order, "a t ");
	rerun_failing("a", ONFAIL_CONTINUE, "a b t ");
}

/* on_fail: abort inside a group leaves that group; on_fail: teardown
 * leaves every group and goes to teardown. */
static void test_on_fail_teardown_leaves_every_group(void **state)
{
	struct fake x = { .script = { DB_FAIL } }, y = { 0 }, z = { 0 }, t = { 0 };
	struct step *g;

	g = group("g", list(2, fake("x", &x), fake("y", &y)));
	g->on_fail = ONFAIL_CONTINUE;
	w.seq.steps = list(2, g, fake("z", &z));
	w.seq.teardown = list(1, fake("t", &t));
	assert_int_equal(run(), DB_FAIL);
	assert_string_equal(w.order, "x z t ");
	rerun_failing("x", ONFAIL_TEARDOWN, "x t ");
}

/* Teardown runs after a failed setup, and every teardown step runs even
 * when one fails. */
static void test_teardown_always_runs(void **state)
{
	struct fake s = { .script = { DB_ERROR } }, a = { 0 }, t1 = { .script = { DB_FAIL } },
		    t2 = { 0 };

	w.seq.setup = list(1, fake("s", &s));
	w.seq.steps = list(1, fake("a", &a));
	w.seq.teardown = list(2, fake("t1", &t1), fake("t2", &t2));
	assert_int_equal(run(), DB_ERROR);
	assert_string_equal(w.order, "s t1 t2 ");
	assert_string_equal(w.failed_step, "s");
}

/* A teardown failure is the verdict when nothing failed before it. */
static void test_teardown_failure_alone_fails_the_run(void **state)
{
	struct fake a = { 0 }, t = { .script = { DB_FAIL } };

	w.seq.steps = list(1, fake("a", &a));
	w.seq.teardown = list(1, fake("t", &t));
	assert_int_equal(run(), DB_FAIL);
	assert_string_equal(w.failed_step, "t");
}

/* An error (a station fault) first, a unit failure after it: the run
 * stays an error, for the first thing to fix is the station. */
static void test_fail_after_error_keeps_error(void **state)
{
	struct fake a = { .script = { DB_ERROR } }, b = { .script = { DB_FAIL } };

	w.seq.steps = list(2, fake("a", &a), fake("b", &b));
	st("a")->on_fail = ONFAIL_CONTINUE;
	st("b")->on_fail = ONFAIL_CONTINUE;
	assert_int_equal(run(), DB_ERROR);
	assert_string_equal(w.order, "a b ");
	assert_string_equal(w.failed_step, "a");
	assert_string_equal(w.reason, "a said error on attempt 1");
}

/* when: a false condition skips the step (not run, logged skipped, the
 * run still passes); ${id.outcome} of an earlier step can be tested. */
static void test_when_skips(void **state)
{
	struct seq_var v[] = { { "flag", "0" } };
	struct fake a = { .script = { DB_FAIL } }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 };

	w.seq.vars = v;
	w.seq.n_vars = 1;
	w.seq.steps = list(5, fake("a", &a), fake("b", &b), fake("c", &c), fake("d", &d),
			   fake("e", &e));
	st("a")->id = (char *)"probe";
	st("a")->on_fail = ONFAIL_CONTINUE;
	when("b", "${flag}");
	when("c", "${flag} == 0");
	when("d", "${probe.outcome} == fail");
	when("e", "${probe.outcome} == pass");
	assert_int_equal(run(), DB_FAIL);
	assert_string_equal(w.order, "a c d ");
	assert_int_equal(end_of("b")->o, DB_SKIPPED);
	assert_int_equal(end_of("e")->o, DB_SKIPPED);
	assert_int_equal(end_of("c")->o, DB_PASS);

	/* skipped is not a failure */
	w.order[0] = '\0';
	a.script[0] = DB_PASS;
	assert_int_equal(run(), DB_PASS);
	assert_string_equal(w.order, "a c e ");
}

/* A condition that names no variable is an error, not a skip. */
static void test_when_on_an_undefined_variable_is_an_error(void **state)
{
	struct fake a = { 0 };

	w.seq.steps = list(1, fake("a", &a));
	when("a", "${nobody} == 1");
	assert_int_equal(run(), DB_ERROR);
	assert_int_equal(a.runs, 0);
	assert_non_null(strstr(w.reason, "nobody"));
}

/* A group retried as a whole: its failed first try leaves no verdict. */
static void test_group_retry_clears_failure(void **state)
{
	struct fake x = { 0 }, y = { .script = { DB_FAIL, DB_PASS }, .n_script = 2 };
	struct step *g = group("g", list(2, fake("x", &x), fake("y", &y)));

	g->retries = 1;
	w.seq.steps = list(1, g);
	assert_int_equal(run(), DB_PASS);
	assert_string_equal(w.order, "x y x y ");
	assert_string_equal(w.failed_step, "");
}

/* A stop (SIGINT) during a step: nothing after it runs but teardown, and
 * the run is aborted. */
static void test_stop_runs_teardown_only(void **state)
{
	struct fake a = { .stop = true }, b = { 0 }, t = { 0 };

	w.seq.steps = list(2, fake("a", &a), fake("b", &b));
	w.seq.teardown = list(1, fake("t", &t));
	assert_int_equal(run(), DB_ABORTED);
	assert_string_equal(w.order, "a t ");
}

/* A step that fails at its deadline says it timed out. */
static void test_timeout_is_named(void **state)
{
	struct fake slow = { .script = { DB_FAIL }, .wait = true };

	w.seq.steps = list(1, fake("slow", &slow));
	st("slow")->timeout_s = 0.05;
	assert_int_equal(run(), DB_FAIL);
	assert_string_equal(w.reason, "timed out after 0.05s: slow said fail on attempt 1");
}

/* ---- results that run out of room ---------------------------------------- */

/* Past SR_MAX_KV values, the step is an error that says so; the values it
 * kept are still there. */
static void test_result_full_of_values_is_an_error(void **state)
{
	struct fake full = { .kv = SR_MAX_KV + 1 }, fits = { .kv = SR_MAX_KV };

	w.seq.steps = list(2, fake("fits", &fits), fake("full", &full));
	st("full")->on_fail = ONFAIL_CONTINUE;
	assert_int_equal(run(), DB_ERROR);
	assert_int_equal(end_of("fits")->o, DB_PASS);
	assert_int_equal(end_of("full")->o, DB_ERROR);
	assert_string_equal(end_of("full")->reason,
			    "the step's result ran out of room for its values (it holds 48 values, "
			    "192 strings): a station fault, report it");
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
			    "the step's result ran out of room for its strings (it holds 48 values, "
			    "192 strings): a station fault, report it; the step said: full said "
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
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_all_pass_runs_every_phase_in_order),
		T(test_retry_passes_on_second_attempt),
		T(test_no_retry_fails_at_once),
		T(test_retries_exhausted),
		T(test_every_attempt_is_logged),
		T(test_on_fail_abort_vs_continue),
		T(test_on_fail_teardown_leaves_every_group),
		T(test_teardown_always_runs),
		T(test_teardown_failure_alone_fails_the_run),
		T(test_fail_after_error_keeps_error),
		T(test_when_skips),
		T(test_when_on_an_undefined_variable_is_an_error),
		T(test_group_retry_clears_failure),
		T(test_stop_runs_teardown_only),
		T(test_timeout_is_named),
		T(test_result_full_of_values_is_an_error),
		T(test_result_full_of_strings_is_an_error),
		T(test_missing_params_are_cut_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
