/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A station's fixtures at work: what `station run` and `station serve`
 * share.  The configuration, the sequence and the fixture definitions are
 * loaded and checked before any fixture opens; each fixture is locked for
 * this station and watched by a guardian; the log is opened with the
 * signal thread already waiting (SIGINT, SIGTERM, SIGHUP stop every run:
 * every fixture to its safe state at once); each fixture then runs on its
 * own thread, unit after unit, for as long as its driver (the lid, a unit
 * count, a request from the panel) gives it one.
 */
#ifndef ST_STATION_FLEET_H
#define ST_STATION_FLEET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "link/tty_keys.h"
#include "station/engine.h"
#include "station/run_owner.h"

#define FLEET_MAX_VARS 64

/* The command line's say (station run's options; serve takes a part). */
struct fleet_opts {
	const char *cmd;	/* "station run", for messages */
	const char *config;
	const char *sequence;
	const char *fixtures[CFG_MAX_FIXTURES];
	int n_fixtures;
	const char *port, *ctrl;
	const char *db;
	const char *serial;
	const char *operator_name;
	const char *vars[FLEET_MAX_VARS];
	int n_vars;
	bool sync_full;
};

/* The options station run and serve share: their getopt_long entries
 * (in a struct option list) and fleet_opt() to take one. */
enum { FLEET_O_VAR = 300, FLEET_O_DB, FLEET_O_SYNC };
#define FLEET_LONG_OPTS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "sequence", required_argument, NULL, 's' }, \
	{ "fixture", required_argument, NULL, 'f' }, \
	{ "var", required_argument, NULL, FLEET_O_VAR }, \
	{ "db", required_argument, NULL, FLEET_O_DB }, \
	{ "sync-full", no_argument, NULL, FLEET_O_SYNC }
#define FLEET_SHORT_OPTS "c:s:f:"
#define FLEET_BAD_OPT (-2)
struct option;
/* getopt_long() over lo (FLEET_LONG_OPTS and the command's own, 'h' for
 * --help) taking the shared options into o: the next option that is the
 * command's own, -1 at the end, FLEET_BAD_OPT after saying why. */
int fleet_getopt(int argc, char **argv, const struct option *lo, struct fleet_opts *o);

struct fx_thread;
struct central_fwd;

/* What drives a fixture's units.  next: wait for the next unit (the
 * lid closing, a request) and add its own variables to rc->vars (set by
 * fleet_init_vars already); false ends the thread.  done: the unit's run
 * has ended (rc still holds its values); false ends the thread; may be
 * NULL. */
struct fleet_driver {
	bool (*next)(struct fx_thread *t, struct fixture *fx, struct run_ctx *rc);
	bool (*done)(struct fx_thread *t, struct fixture *fx, struct run_ctx *rc,
		     enum db_outcome o);
	void *ctx;
	/* next() gives only units the MES's pre-check allowed (station serve
	 * asks before it queues a start, to answer the request); otherwise
	 * the fixture's thread asks once the serial is known */
	bool asks_mes;
};

struct fx_thread {
	pthread_t tid;
	int index;
	struct fixture_def def;
	const struct fleet_opts *o;
	const struct station_config *cfg;
	const struct sequence *seq;
	struct db *db;
	const struct run_events *ev;
	struct ask *ask;
	const struct fleet_driver *drv;
	/* The stop the engine watches for this fixture's runs (NULL: the
	 * station's, fleet_stop); a driver may stop one fixture alone. */
	atomic_bool *stop;
	/* a fixture that would not open: why (the thread has ended) */
	void (*fault)(struct fx_thread *t, const char *why);
	/* a unit not tested (the MES did not allow it, or no serial was
	 * scanned in time): why (may be NULL; fault_ctx too) */
	void (*not_tested)(struct fx_thread *t, const char *serial, const char *why);
	void *fault_ctx;
	int units;		/* runs ended (or skipped: no unit scanned) */
	int passed, failed, aborted, station_errors;
	int refused;		/* units the MES refused or could not be asked about */
	int unscanned;		/* units whose serial scan had no answer in time */
	struct central_fwd *fwd;	/* the fleet's forwarder (NULL: none) */
	bool started;		/* its thread runs (is to be joined) */
};

/* Set by the signal thread: the whole station stops. */
extern atomic_bool fleet_stop;

/* --var NAME=VALUE: a name ${NAME} can refer to. */
bool fleet_var_name_ok(const char *arg);
/* station.yaml's vars, --var, --serial, --operator and the station's name. */
void fleet_init_vars(struct run_ctx *rc, const struct fx_thread *t);

/* The configuration, the sequence (checked, its parameters given) and the
 * fixture definitions t[0..*n): 0, or the exit status after saying why on
 * stderr.  fleet_free() in every case. */
struct fleet {
	struct station_config cfg;
	bool cfg_loaded;
	struct sequence *seq;
	struct fx_thread *t;
	int n;
	char **names;
	char *errors;
	/* station run at an operator's terminal: its modes for the questions
	 * (set before the guardian is forked, which sets them back should the
	 * station be killed during a question); NULL for station serve */
	bool operator_tty;
	struct tty_keys *keys;
	struct central_fwd *fwd;	/* central: in station.yaml; the line never waits */
};
int fleet_load(struct fleet *f, const struct fleet_opts *o);
void fleet_free(struct fleet *f);
/* The log this station writes. */
const char *fleet_log(const struct fleet *f, const struct fleet_opts *o);

/* Each fixture locked for this station alone, and a guardian that puts
 * them in their safe state should the station be killed outright; then
 * body(ctx, owner) (its return is fleet_guarded's). */
int fleet_guarded(struct fleet *f, const struct fleet_opts *o,
		  int (*body)(void *ctx, struct run_owner *owner), void *ctx);

/* The signal thread started, then the log opened and the runs an earlier
 * station left in flight recovered: 0, or an exit status (the thread
 * ended again). */
int fleet_open_log(struct fleet *f, const struct fleet_opts *o, struct run_owner *owner,
		   struct db **db, pthread_t *sig_tid);
/* The signal thread ended and the log closed (a stop noted in it). */
void fleet_close_log(struct db *db, pthread_t sig_tid);

/* Start the forwarder to the central store (central: in station.yaml),
 * then each fixture's thread (t[i].drv, .ev, .ask set by the caller).
 * After each unit, every fixture's thread does what both commands owe a
 * run: its result to the MES (mes: in station.yaml; kept in the log while
 * the MES is down) and a kick to the forwarder.  Then join them all (the
 * counts are in t[]) and stop the forwarder (one last pass). */
void fleet_start_threads(struct fleet *f, const struct fleet_opts *o, struct db *db);
void fleet_join_threads(struct fleet *f);

#endif
