/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A station's fixtures at work (fleet.h): shared by station run and
 * station serve.
 */
#define LOG_PREFIX "run"
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "central/central.h"
#include "common/log.h"
#include "station/ask.h"
#include "station/commands.h"
#include "station/fleet.h"
#include "station/mes_sync.h"
#include "station/search.h"

/* for a fixture's lock: a gone station's guardian finishing, with a margin */
#define GUARDIAN_WAIT_MS ((FX_GUARDIAN_BOUND_S + 2) * 1000)

/* Set by the signal thread, read by every fixture's thread (and its engine):
 * a C11 atomic; volatile would order nothing between threads. */
atomic_bool fleet_stop;

bool fleet_var_name_ok(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq && vars_name_valid(arg, (size_t)(eq - arg));
}

/* A unit's serial, its operator and its line values (work order, part
 * number, revision) from the command line take what a scan at the prompt,
 * the API and the MES take: at most ASK_MAX - 1 bytes.  A longer one is a
 * wrong argument; the log would take it, the central store not (its index
 * of serials holds at most 2704 bytes a row), and the run would hold every
 * run queued behind it (docs/central.md). */
static bool run_text_ok(const char *cmd, const char *what, const char *v)
{
	static const char *const named[] = { "serial", "operator", "work_order", "part_number",
					     "revision", NULL };
	const char *eq = strchr(v, '=');
	size_t len;

	if (!what) {	/* --var NAME=VALUE: only the names above */
		for (int i = 0; named[i] && !what; i++)
			if (eq && (size_t)(eq - v) == strlen(named[i]) && !strncmp(v, named[i], eq - v))
				what = named[i];
		if (!what)
			return true;
		v = eq + 1;
	}
	len = strlen(v);
	if (len < ASK_MAX)
		return true;
	fprintf(stderr, "%s: the %s is %zu bytes: at most %d, as a scan at the prompt, the API "
		"and the MES take (a wrong argument?)\n", cmd, what, len, ASK_MAX - 1);
	return false;
}

static int fleet_opt(struct fleet_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'c': o->config = arg; return 1;
	case 's': o->sequence = arg; return 1;
	case 'f':
		if (o->n_fixtures == CFG_MAX_FIXTURES) {
			fprintf(stderr, "%s: at most %d fixtures\n", o->cmd, CFG_MAX_FIXTURES);
			return EXIT_USAGE;
		}
		o->fixtures[o->n_fixtures++] = arg;
		return 1;
	case FLEET_O_VAR:
		if (!fleet_var_name_ok(arg) || o->n_vars == FLEET_MAX_VARS) {
			fprintf(stderr, "%s: --var wants NAME=VALUE, NAME of letters, digits, "
				"'_', '-' and '.' (at most %d of them)\n", o->cmd, FLEET_MAX_VARS);
			return EXIT_USAGE;
		}
		if (config_cli_var_refused(o->cmd, arg) || !run_text_ok(o->cmd, NULL, arg))
			return EXIT_USAGE;
		o->vars[o->n_vars++] = arg;
		return 1;
	case FLEET_O_DB: o->db = arg; return 1;
	case FLEET_O_SYNC: o->sync_full = true; return 1;
	default: return 0;
	}
}

int fleet_getopt(int argc, char **argv, const struct option *lo, struct fleet_opts *o)
{
	int c, ret;

	while ((c = getopt_long(argc, argv, FLEET_SHORT_OPTS "h", lo, NULL)) != -1) {
		ret = fleet_opt(o, c, optarg);
		if (ret == EXIT_USAGE)
			return FLEET_BAD_OPT;
		if (ret == 0)
			return c;
	}
	return -1;
}

void fleet_init_vars(struct run_ctx *rc, const struct fx_thread *t)
{
	vars_init(&rc->vars);
	for (int i = 0; i < t->cfg->vars.n; i++)
		vars_set(&rc->vars, t->cfg->vars.v[i].name, t->cfg->vars.v[i].value);
	for (int i = 0; i < t->o->n_vars; i++) {
		char *name = strndup(t->o->vars[i], (size_t)(strchr(t->o->vars[i], '=') - t->o->vars[i]));

		if (name)
			vars_set(&rc->vars, name, strchr(t->o->vars[i], '=') + 1);
		free(name);
	}
	if (t->o->serial)
		vars_set(&rc->vars, "serial", t->o->serial);
	if (t->o->operator_name)
		vars_set(&rc->vars, "operator", t->o->operator_name);
	if (t->cfg->station)
		vars_set(&rc->vars, "station", t->cfg->station);
}

/* ---- the MES and the central store: what every run owes ----------------- */

/* rc->gate: the MES's pre-check, once the serial is known. */
static int mes_gate_unit(struct run_ctx *rc, void *ctx, char *why, size_t cap)
{
	const struct fx_thread *t = ctx;
	const char *op = vars_get(&rc->vars, "operator");
	const struct mes_unit u = {
		.serial = vars_get(&rc->vars, "serial"), .station = t->cfg->station,
		.fixture = t->def.name, .operator_name = op && *op ? op : NULL,
		.work_order = vars_get(&rc->vars, "work_order"),
		.part_number = vars_get(&rc->vars, "part_number"),
		.revision = vars_get(&rc->vars, "revision"),
	};
	char asker[256];

	snprintf(asker, sizeof(asker), "%s%s%.128s", t->o->cmd, u.operator_name ? " operator " : "",
		 u.operator_name ? u.operator_name : "");
	return mes_gate(t->db, &t->cfg->mes, &u, asker, why, cap);
}

/* The run's result for the MES: kept in the log, then sent with any the
 * MES did not take before (the fixture's next unit waits, bounded by the
 * mes: attempts and timeout). */
static void mes_send_result(struct fx_thread *t, const char *run_id)
{
	struct st_error e = { 0 };
	int sent, left;

	if (mes_keep_result(t->db, run_id, &e) < 0)
		log_err("%s: the result of run %s not kept for the MES: %s", t->def.name, run_id,
			e.msg);
	else if (mes_sync(t->db, &t->cfg->mes, &sent, &left, &e) < 0)
		log_warn("%s: %d result(s) wait for the MES (station mes sync): %s", t->def.name,
			 left, e.msg);
}

/* The forwarder to the central store; the line never waits on it. */
static void central_start(struct fleet *f, const char *log)
{
	const struct central_opts co = { .url = f->cfg.central_url,
					 .passfile = f->cfg.central_passfile,
					 .timeout_ms = f->cfg.central_timeout_ms,
					 .config = f->cfg.file };
	struct st_error e = { 0 };

	f->fwd = NULL;
	if (f->cfg.central_url &&
	    central_fwd_start(&f->fwd, &co, log, f->cfg.central_backoff_ms, &e) < 0) {
		log_err("%s", e.msg);	/* the line goes on, its runs queued */
		f->fwd = NULL;
	}
}

/* Its last drain, then what is left queued for the next start or sync. */
static void central_stop(struct fleet *f)
{
	int sent = 0, left = 0;
	char held[ST_ERRMSG_MAX];

	if (!f->fwd)
		return;
	central_fwd_stop(f->fwd, &sent, &left, held, sizeof(held));
	f->fwd = NULL;
	if (left && held[0])	/* not "when it answers": it answered no */
		log_warn("%d run(s) queued for the central store, held by a run it refuses: %s",
			 left, held);
	else if (left)
		log_warn("%d run(s) queued for the central store: sent when it answers, at "
			 "the next start or by 'station central sync'", left);
	else
		log_info("central store: %d run(s) forwarded", sent);
}

/* A unit ended (o): the counts, the MES's result, the central store. */
static void unit_ended(struct fx_thread *t, struct run_ctx *rc, enum db_outcome o)
{
	if (o == DB_ERROR)
		t->station_errors++;	/* the station's fault, not the board's */
	else if (o == DB_PASS)
		t->passed++;
	else if (o == DB_ABORTED)
		t->aborted++;
	else if (o == DB_FAIL)
		t->failed++;
	else if (rc->refused)
		t->refused++;
	else if (rc->unscanned)
		t->unscanned++;
	/* DB_SKIPPED otherwise: stopped while asking for the serial, no run */
	if ((rc->refused || rc->unscanned) && t->not_tested)
		t->not_tested(t, vars_get(&rc->vars, "serial"), rc->fail_reason);
	t->units++;
	if (o == DB_SKIPPED || !rc->run_id[0])
		return;
	if (t->cfg->mes.url)
		mes_send_result(t, rc->run_id);
	central_fwd_kick(t->fwd);
}

static void *fixture_thread(void *arg)
{
	struct fx_thread *t = arg;
	struct st_error e = { 0 };
	struct fixture *fx = NULL;
	const atomic_bool *stop = t->stop ? t->stop : &fleet_stop;

	if (fixture_open(&fx, &t->def, &e) < 0) {
		/* the message names the fixture already */
		struct run_ctx rc = { .seq = t->seq, .cfg = t->cfg, .fxdef = &t->def,
				      .db = t->db, .ev = t->ev, .stop = stop };

		log_err("%s", e.msg);
		fleet_init_vars(&rc, t);
		engine_run_unopened(&rc, e.msg);	/* an error run in the log */
		vars_free(&rc.vars);
		if (t->fault)
			t->fault(t, e.msg);
		t->station_errors++;
		return NULL;
	}
	while (!atomic_load(&fleet_stop)) {
		struct run_ctx rc = {
			.seq = t->seq, .cfg = t->cfg, .fxdef = &t->def, .fx = fx, .db = t->db,
			.ev = t->ev, .stop = stop, .ask = t->ask,
		};
		enum db_outcome o;
		bool more;

		fleet_init_vars(&rc, t);
		if (!t->drv->next(t, fx, &rc)) {
			vars_free(&rc.vars);
			break;
		}
		if (t->cfg->mes.url && t->cfg->mes.precheck && !t->drv->asks_mes) {
			rc.gate = mes_gate_unit;
			rc.gate_ctx = t;
		}
		o = engine_run(&rc);
		unit_ended(t, &rc, o);
		more = !t->drv->done || t->drv->done(t, fx, &rc, o);
		if (rc.have_ident)
			se_identity_free(&rc.ident);
		vars_free(&rc.vars);
		if (!more)
			break;
	}
	fixture_close(fx);
	return NULL;
}

void fleet_start_threads(struct fleet *f, const struct fleet_opts *o, struct db *db)
{
	central_start(f, fleet_log(f, o));
	for (int i = 0; i < f->n; i++) {
		struct fx_thread *t = &f->t[i];
		int err;

		t->index = i;
		t->o = o;
		t->cfg = &f->cfg;
		t->seq = f->seq;
		t->db = db;
		t->fwd = f->fwd;
		err = pthread_create(&t->tid, NULL, fixture_thread, t);
		t->started = err == 0;
		if (err) {
			log_err("fixture %s: cannot start its thread (%s): not run", t->def.name,
				strerror(err));
			t->station_errors++;
		}
	}
}

void fleet_join_threads(struct fleet *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->t[i].started)
			pthread_join(f->t[i].tid, NULL);
	central_stop(f);
}

/* ---- signals and the log ------------------------------------------------- */

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) == 0) {
		if (sig == SIGUSR1) /* our own wake-up at the end */
			break;
		atomic_store(&fleet_stop, true);
		log_warn("%s: stopping, every fixture to its safe state", strsignal(sig));
		fixture_shutdown_all();
		link_cancel_all();
	}
	return NULL;
}

static void end_signal_thread(pthread_t tid)
{
	pthread_kill(tid, SIGUSR1);
	pthread_join(tid, NULL);
}

int fleet_open_log(struct fleet *f, const struct fleet_opts *o, struct run_owner *owner,
		   struct db **db, pthread_t *sig_tid)
{
	static sigset_t set;	/* the signal thread's, for as long as it runs */
	struct st_error e = { 0 };
	struct db_opts dbo = { .sync_full = o->sync_full || f->cfg.sync_full, .stop = &fleet_stop };
	int recovered = 0, live = 0, err;

	/* SIGINT, SIGTERM, SIGHUP are blocked since main(); SIGUSR1 (the
	 * signal thread's wake-up) before the first thread here.  The signal
	 * thread first: a stop while the log is opened (a locked log) counts. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	err = pthread_create(sig_tid, NULL, signal_thread, &set);
	if (err) {
		/* with the signals blocked and nobody waiting for them, Ctrl-C
		 * would not stop a run: run none */
		log_err("cannot start the signal thread (%s): nothing run; free some memory "
			"or threads and start again", strerror(err));
		return EXIT_STATION;
	}
	if (db_open(db, fleet_log(f, o), &dbo, &e) < 0) {
		fprintf(stderr, "%s: %s\n", o->cmd, e.msg);
		end_signal_thread(*sig_tid);
		return atomic_load(&fleet_stop) ? EXIT_ABORTED : EXIT_STATION;
	}
	if (db_recover(*db, run_owner_live, owner, &recovered, &live, &e) < 0)
		log_err("%s", e.msg);
	else if (recovered)
		log_warn("%d run(s) left unfinished by an earlier stop were marked aborted", recovered);
	if (live)
		log_info("%d run(s) in flight in another station on this log: left as they are",
			 live);
	return 0;
}

void fleet_close_log(struct db *db, pthread_t sig_tid)
{
	end_signal_thread(sig_tid);
	if (atomic_load(&fleet_stop))
		db_event(db, NULL, NULL, "stop", "stopped by signal", NULL);
	db_close(db);
}

/* ---- the guard ------------------------------------------------------------- */

struct after_kill {
	const char *db;
	struct run_owner *owner;
	struct tty_keys *keys;
};

/* In the guardian, the station gone: its runs in flight marked aborted now,
 * not at the next start (another station's runs on the log stay as they are). */
static void recover_after_kill(void *ctx)
{
	const struct after_kill *a = ctx;
	const struct db_opts dbo = { .must_exist = true };
	struct st_error e = { 0 };
	struct db *db = NULL;
	int n = 0;

	/* killed during a question, the terminal has no echo: back as it was */
	tty_keys_restore_if_left(a->keys);
	if (access(a->db, F_OK) < 0)
		return;		/* killed before it made its log */
	if (db_open(&db, a->db, &dbo, &e) == 0 &&
	    db_recover(db, run_owner_live, a->owner, &n, NULL, &e) == 0 && n)
		log_warn("%d run(s) of the stopped station marked aborted in the log", n);
	else if (e.msg[0])
		log_err("cannot mark the stopped station's runs in the log: %s", e.msg);
	if (db)
		db_close(db);
}

/* The guardian is forked here, before any thread starts. */
int fleet_guarded(struct fleet *f, const struct fleet_opts *o,
		  int (*body)(void *ctx, struct run_owner *owner), void *ctx)
{
	const struct fixture_def *defs[CFG_MAX_FIXTURES];
	const char *names[CFG_MAX_FIXTURES], *log = fleet_log(f, o);
	int locks[CFG_MAX_FIXTURES], ret = EXIT_STATION, i;
	struct fx_guardian g = { .pid = -1, .fd = -1 };
	struct run_owner owner = { .n = 0 };
	struct after_kill after_ctx;
	const struct fx_guardian_after after = { recover_after_kill, &after_ctx };
	struct st_error e = { 0 };

	for (i = 0; i < f->n; i++) {
		defs[i] = &f->t[i].def;
		names[i] = f->t[i].def.name;
		if (fixture_lock(defs[i], GUARDIAN_WAIT_MS, &locks[i], &e) < 0) {
			fprintf(stderr, "%s: %s\n", o->cmd, e.msg);
			goto out;
		}
	}
	if (run_owner_take(&owner, log, names, f->n, &e) < 0) {
		fprintf(stderr, "%s: %s\n", o->cmd, e.msg);
		goto out;
	}
	if (f->operator_tty)
		tty_keys_open(&f->keys, STDIN_FILENO, GUARDIAN_WAIT_MS);
	after_ctx = (struct after_kill){ .db = log, .owner = &owner, .keys = f->keys };
	if (fx_guardian_start(&g, defs, locks, f->n, &after, &e) < 0)
		log_warn("%s: a station killed outright would leave its boards powered", e.msg);
	ret = body(ctx, &owner);
	fx_guardian_release(&g);
	tty_keys_close(f->keys);
	f->keys = NULL;
	run_owner_release(&owner);
out:
	while (i-- > 0)
		fixture_unlock(locks[i]);
	return ret;
}

/* ---- loading ----------------------------------------------------------------- */

const char *fleet_log(const struct fleet *f, const struct fleet_opts *o)
{
	return o->db ? o->db : f->cfg.log;
}

static int load_fixtures(const struct fleet_opts *o, struct fleet *f)
{
	const char *const *files = o->n_fixtures ? o->fixtures : (const char *const *)f->cfg.fixtures;
	int count = o->n_fixtures ? o->n_fixtures : f->cfg.n_fixtures;

	if (count == 0) {
		fprintf(stderr, "%s: no fixture: give -f FIXTURE.yaml or list fixtures in station.yaml\n",
			o->cmd);
		return EXIT_USAGE;
	}
	if ((o->port || o->ctrl) && count > 1) {
		fprintf(stderr, "%s: --port/--ctrl need exactly one fixture\n", o->cmd);
		return EXIT_USAGE;
	}
	if ((o->serial && !run_text_ok(o->cmd, "serial", o->serial)) ||
	    (o->operator_name && !run_text_ok(o->cmd, "operator", o->operator_name)))
		return EXIT_USAGE;
	if (o->serial && count > 1) {
		fprintf(stderr, "%s: --serial names one unit, and there are %d fixtures: "
			"scan each unit's serial, or run one fixture\n", o->cmd, count);
		return EXIT_USAGE;
	}
	for (int i = 0; i < count; i++) {
		struct st_error e = { 0 };

		if (fixture_def_load(&f->t[i].def, files[i], &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			return EXIT_CONFIG;
		}
		if (o->port)
			snprintf(f->t[i].def.port, sizeof(f->t[i].def.port), "%s", o->port);
		if (o->ctrl)
			snprintf(f->t[i].def.ctrl, sizeof(f->t[i].def.ctrl), "%s", o->ctrl);
	}
	f->n = count;
	return 0;
}

/* Parameters with no value are caught before a board is powered. */
static bool params_given(const struct fleet_opts *o, const struct fleet *f)
{
	struct run_ctx probe = { .seq = f->seq };
	struct fx_thread pt = { .o = o, .cfg = &f->cfg };
	char missing[512];
	int n;

	fleet_init_vars(&probe, &pt);
	n = engine_check_params(f->seq, &probe.vars, missing, sizeof(missing));
	vars_free(&probe.vars);
	if (n)
		fprintf(stderr, "%s: no value for %s: set it under 'vars:' in station.yaml or with --var NAME=VALUE\n",
			f->seq->file, missing);
	return n == 0;
}

int fleet_load(struct fleet *f, const struct fleet_opts *o)
{
	struct st_error e = { 0 };
	char seq_file[4096];
	int ret;

	memset(f, 0, sizeof(*f));
	f->cfg_loaded = true;	/* config_free() after a failed load too */
	if (config_load(&f->cfg, o->config, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return EXIT_CONFIG;
	}
	f->names = config_var_names(&f->cfg, o->vars, o->n_vars);
	if (!f->names) {
		fprintf(stderr, "%s: out of memory\n", o->cmd);
		return EXIT_STATION;
	}
	if (!o->sequence && !f->cfg.sequence) {
		fprintf(stderr, "%s: no sequence: give -s FILE or 'sequence:' in station.yaml\n",
			o->cmd);
		return EXIT_USAGE;
	}
	if (o->sequence && search_sequence(o->sequence, f->cfg.file, seq_file, sizeof(seq_file),
					   &e) < 0) {
		fprintf(stderr, "%s: %s\n", o->cmd, e.msg);
		return EXIT_CONFIG;
	}
	{
		/* files behind the station's and --var values are checked now,
		 * before any fixture is opened */
		struct run_ctx probe = { 0 };
		struct fx_thread pt = { .o = o, .cfg = &f->cfg };

		fleet_init_vars(&probe, &pt);
		ret = sequence_load_given(&f->seq, o->sequence ? seq_file : f->cfg.sequence,
					  (const char *const *)f->names, &probe.vars, &f->errors, &e);
		vars_free(&probe.vars);
	}
	if (ret < 0) {
		fprintf(stderr, "%s%s\n", f->errors ? f->errors : "", e.msg);
		return EXIT_CONFIG;
	}
	if (!params_given(o, f))
		return EXIT_CONFIG;
	f->t = calloc(CFG_MAX_FIXTURES, sizeof(*f->t));
	if (!f->t)
		return EXIT_STATION;
	return load_fixtures(o, f);
}

void fleet_free(struct fleet *f)
{
	config_names_free(f->names);
	free(f->t);
	free(f->errors);
	sequence_free(f->seq);
	if (f->cfg_loaded)
		config_free(&f->cfg);
	memset(f, 0, sizeof(*f));
}
