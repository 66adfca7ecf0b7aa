/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run engine: setup, steps, teardown (teardown always runs), per-step
 * timeout, retries (of a step or a whole group), on_fail and when.  Each
 * step's result is logged before the engine moves on.
 */
#ifndef ST_STATION_ENGINE_H
#define ST_STATION_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "fixtures/fixture.h"
#include "link/link.h"
#include "se/se.h"
#include "station/config.h"
#include "station/sequence.h"
#include "station/vars.h"

struct ask;

#define SR_MAX_MEAS 16
#define SR_MAX_KV 48	/* an enrolment: a value per check, the policy's fields, the CMS's */
/* The strings a result can own: a few per measurement, a key and a value
 * per kv, and the text fields of the identity, image and CMS records (at
 * most one per pointer-sized slot of those: engine.c checks it). */
#define SR_RECORD_STRS 32
#define SR_MAX_STRS (4 * SR_MAX_MEAS + 2 * SR_MAX_KV + SR_RECORD_STRS)

/* What one step produced. Strings are owned by the result (sr_* helpers). */
struct step_result {
	enum db_outcome outcome;
	char reason[ST_ERRMSG_MAX];
	struct db_measurement meas[SR_MAX_MEAS];
	int n_meas;
	struct db_kv kv[SR_MAX_KV];
	int n_kv;
	struct db_image image;
	bool has_image;
	struct db_identity identity;
	bool has_identity;
	struct db_cms cms;
	bool has_cms;
	char *owned[SR_MAX_STRS];
	int n_owned;
	const char *lost;	/* what the result had no room for (NULL: none) */
};

/* Copy s into the result's lifetime (NULL stays NULL).  A result out of
 * room (or memory) keeps a note saying so instead, and the engine makes the
 * step an error naming what was lost: never a silent empty value. */
const char *sr_str(struct step_result *r, const char *s);
/* Add a key/value (both copied); past SR_MAX_KV, the step is an error. */
void sr_kv(struct step_result *r, const char *key, const char *value);
/* Set outcome and reason (printf). Returns the outcome for chaining. */
enum db_outcome sr_set(struct step_result *r, enum db_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sr_reset(struct step_result *r);

/* Operator-facing events (display.c implements them). */
struct run_events {
	void (*run_start)(void *ctx, const char *fixture, const char *run_id, const char *serial);
	void (*step_start)(void *ctx, const char *fixture, int index, const char *name);
	void (*step_end)(void *ctx, const char *fixture, const char *name,
			 const struct step_result *r, int64_t us);
	void (*progress)(void *ctx, const char *fixture, uint64_t done, uint64_t total);
	void (*run_end)(void *ctx, const char *fixture, const char *serial, enum db_outcome o,
			const char *failed_step, const char *reason);
	/* The unit's serial became known during the run (the identity step,
	 * a capture); may be NULL. */
	void (*serial)(void *ctx, const char *fixture, const char *serial);
	void *ctx;
};

struct run_ctx {
	const struct sequence *seq;
	const struct station_config *cfg;
	const struct fixture_def *fxdef;
	struct fixture *fx;
	struct link *link;		/* the console, opened on first use */
	struct db *db;
	char run_id[DB_ID_LEN];
	struct vars vars;
	struct se_identity ident;	/* the last identity read */
	bool have_ident;
	const struct run_events *ev;
	const atomic_bool *stop;	/* set by the signal thread (SIGINT/SIGTERM) */
	bool dry_run;
	int plan_problems;		/* --dry-run: counted by the kinds' plan() */
	int64_t deadline_us;		/* the running step's deadline (monotonic) */
	int step_index;
	const char *phase;
	/* for the verdict */
	char failed_step[128];
	char fail_reason[ST_ERRMSG_MAX];
	enum db_outcome fail_outcome;	/* the first failure's outcome: the run's */
	bool to_teardown;		/* on_fail: teardown: leave every group now */
	struct ask *ask;		/* the operator's answers (prompts); NULL: none */
	char serial_shown[128];		/* the serial the events last gave */
	/* Asked once the unit's serial is known, before anything of the
	 * fixture moves (the MES's pre-check); < 0: the unit is not run
	 * (engine_run returns DB_SKIPPED, refused set, fail_reason why).
	 * NULL: none. */
	int (*gate)(struct run_ctx *rc, void *ctx, char *why, size_t cap);
	void *gate_ctx;
	bool refused;
	/* the running step's deadline (deadline_us) is the timeout of this
	 * step: itself, or the group around it whose time runs out first */
	const struct step *deadline_of;
	/* no serial came for the unit (its scan prompt had no answer in its
	 * time, the station not stopped): not tested, no run */
	bool unscanned;
	/* the running step gave up because the time it was given (deadline_us,
	 * rc_remaining_ms) ran out, though the clock may not have reached it
	 * yet (a retry that no longer fits in it): set by the step through
	 * rc_out_of_time(); the engine then names whose time it was */
	bool out_of_time;
};

int64_t now_us(void);		/* CLOCK_MONOTONIC */
int64_t wall_us(void);		/* CLOCK_REALTIME */
/* Milliseconds left before the running step's deadline (>= 1 while time
 * remains, 0 when it has passed): every blocking call of a step uses it. */
int rc_remaining_ms(const struct run_ctx *rc);
bool rc_stopped(const struct run_ctx *rc);
/* The running step ends because its time ran out (run_ctx.out_of_time). */
void rc_out_of_time(struct run_ctx *rc);
/* Expand ${...} in s; on error sets r to error with the reason. */
char *rc_expand(struct run_ctx *rc, struct step_result *r, const char *s);
/* The console link, opened on first use with the fixture's settings. */
int rc_link(struct run_ctx *rc, struct link **out, struct st_error *e);

/* Whose fault an error of a step is: the station's side (a line lost, the
 * log, memory, a bad setting, a stop: DB_ERROR, the board may be good) or
 * the board's (it answered a failure, or wrongly, or not at all: DB_FAIL). */
enum db_outcome rc_outcome_of(int err);

/* Run the whole sequence once on rc->fx. Returns the run's outcome. */
enum db_outcome engine_run(struct run_ctx *rc);
/* The run that could not start because its fixture did not open (rc->fx is
 * NULL): logged and shown as an error run whose one step, "open fixture",
 * says why.  Returns DB_ERROR. */
enum db_outcome engine_run_unopened(struct run_ctx *rc, const char *why);
/* Parameters (vars declared "name: ~") that given does not set: their
 * names, comma-separated, in missing; returns how many. */
int engine_check_params(const struct sequence *seq, const struct vars *given, char *missing,
			size_t cap);
/* --dry-run: print the expanded plan.  Returns the problems found (a file
 * that cannot be read, a value that cannot be expanded), each marked
 * "PROBLEM" in the plan. */
int engine_plan(struct run_ctx *rc, FILE *out);

#endif
