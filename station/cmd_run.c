/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station run: run a sequence on one or more fixtures, one thread each,
 * sharing one log.  SIGINT, SIGTERM and SIGHUP (blocked in every thread
 * since main()) stop the runs: every fixture is put in its safe state at
 * once, teardown runs, and the runs are logged aborted.
 *
 * Verdicts and the exit status: each unit ends PASS, FAIL (the board),
 * ERROR (the station, a fixture, the network, the configuration: the board
 * may be good) or ABORTED (stopped).  When units end differently, the exit
 * status is the first that applies of: 5 stopped (a signal, or a unit
 * aborted), 4 a station fault (an ERROR, or a fixture that would not
 * open), 1 a unit failed, 0 every unit passed.
 */
#define LOG_PREFIX "run"
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "central/central.h"
#include "station/ask.h"
#include "station/commands.h"
#include "station/display.h"
#include "station/engine.h"
#include "station/run_owner.h"
#include "station/search.h"

#define MAX_CLI_VARS 64
/* for a fixture's lock: a gone station's guardian finishing, with a margin */
#define GUARDIAN_WAIT_MS ((FX_GUARDIAN_BOUND_S + 2) * 1000)

struct run_opts {
	const char *config;
	const char *sequence;
	const char *fixtures[CFG_MAX_FIXTURES];
	int n_fixtures;
	const char *port, *ctrl;
	const char *db;
	const char *serial;
	const char *operator_name;
	const char *vars[MAX_CLI_VARS];
	int n_vars;
	int units;		/* 0: until stopped, waiting for the lid */
	bool dry_run, json, sync_full;
};

struct fx_thread {
	pthread_t tid;
	struct fixture_def def;
	const struct run_opts *o;
	const struct station_config *cfg;
	const struct sequence *seq;
	struct db *db;
	const struct run_events *ev;
	struct ask *ask;
	struct display *disp;
	struct central_fwd *fwd;	/* NULL: no central store */
	int passed, failed, aborted, station_errors;
	bool started;		/* its thread runs (is to be joined) */
};

/* Set by the signal thread, read by every fixture's thread (and its engine):
 * a C11 atomic; volatile would order nothing between threads. */
static atomic_bool stop_flag;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station run [options]\n"
		"\n"
		"Run a sequence on one or more fixtures (one thread each) and log every\n"
		"step, measurement, image hash and certificate serial to SQLite.\n"
		"\n"
		"  -c, --config FILE     station.yaml (log, trust, CMS, vars, fixtures);\n"
		"                        default: ./station.yaml when there is one\n"
		"  -s, --sequence NAME   the flow to run: a path, or a NAME looked for (as NAME\n"
		"                        and NAME.yaml) here, in the config's directory, then\n"
		"                        in the installed sequences (default: the config's\n"
		"                        'sequence')\n"
		"  -f, --fixture FILE    a fixture definition; repeat for several fixtures\n"
		"      --port P          override the fixture's console port (one fixture)\n"
		"      --ctrl SOCK       override the simulated fixture's control socket\n"
		"      --once            run one unit per fixture, then exit\n"
		"      --units N         run N units per fixture, then exit\n"
		"                        (default: wait for the lid to close, run, repeat)\n"
		"      --serial S        the unit's serial, one fixture only (otherwise\n"
		"                        scanned or read)\n"
		"      --var NAME=VALUE  set a sequence variable (repeatable)\n"
		"      --operator NAME   recorded with every run\n"
		"      --db FILE         the log (default: the config's 'log', ./station.db)\n"
		"      --sync-full       fsync every commit (power-loss safe, slower)\n"
		"      --dry-run         print the expanded plan; touch no fixture\n"
		"      --json            one JSON event per line on stdout\n"
		"  -h, --help            this text\n"
		"\n"
		"Global options (-v, --color=WHEN) may come here too.\n"
		"\n"
		"exit status: 0 all units passed, 1 a unit failed (FAIL), 2 usage,\n"
		"3 invalid sequence/config, 4 station fault (ERROR: fixture, log,\n"
		"network), 5 interrupted (ABORTED); with several, the highest of 5, 4, 1\n");
}

/* --var NAME=VALUE: a name ${NAME} can refer to. */
static bool var_name_ok(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq && vars_name_valid(arg, (size_t)(eq - arg));
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_PORT = 256, O_CTRL, O_ONCE, O_UNITS, O_SERIAL, O_VAR, O_OPER, O_DB, O_SYNC,
	       O_DRY, O_JSON };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sequence", required_argument, NULL, 's' },
		{ "fixture", required_argument, NULL, 'f' },
		{ "port", required_argument, NULL, O_PORT },
		{ "ctrl", required_argument, NULL, O_CTRL },
		{ "once", no_argument, NULL, O_ONCE },
		{ "units", required_argument, NULL, O_UNITS },
		{ "serial", required_argument, NULL, O_SERIAL },
		{ "var", required_argument, NULL, O_VAR },
		{ "operator", required_argument, NULL, O_OPER },
		{ "db", required_argument, NULL, O_DB },
		{ "sync-full", no_argument, NULL, O_SYNC },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:f:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's': o->sequence = optarg; break;
		case 'f':
			if (o->n_fixtures == CFG_MAX_FIXTURES) {
				fprintf(stderr, "station run: at most %d fixtures\n", CFG_MAX_FIXTURES);
				return EXIT_USAGE;
			}
			o->fixtures[o->n_fixtures++] = optarg;
			break;
		case O_PORT: o->port = optarg; break;
		case O_CTRL: o->ctrl = optarg; break;
		case O_ONCE: o->units = 1; break;
		case O_UNITS: {
			char *end;
			long v = strtol(optarg, &end, 10);

			o->units = *end || end == optarg || v > 1000000 ? 0 : (int)v;
			if (o->units < 1) {
				fprintf(stderr, "station run: --units needs a whole number from 1, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case O_SERIAL: o->serial = optarg; break;
		case O_VAR:
			if (!var_name_ok(optarg) || o->n_vars == MAX_CLI_VARS) {
				fprintf(stderr, "station run: --var wants NAME=VALUE, NAME of letters, digits, "
					"'_', '-' and '.' (at most %d of them)\n",
					MAX_CLI_VARS);
				return EXIT_USAGE;
			}
			if (config_cli_var_refused("station run", optarg))
				return EXIT_USAGE;
			o->vars[o->n_vars++] = optarg;
			break;
		case O_OPER: o->operator_name = optarg; break;
		case O_DB: o->db = optarg; break;
		case O_SYNC: o->sync_full = true; break;
		case O_DRY: o->dry_run = true; break;
		case O_JSON: o->json = true; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "station run: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static void init_vars(struct run_ctx *rc, const struct fx_thread *t)
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

/* Wait for the lid to close (next unit) or a stop. */
static int wait_lid(struct fixture *fx, bool closed)
{
	struct st_error e = { 0 };
	bool on = !closed;

	while (!atomic_load(&stop_flag)) {
		if (fixture_get(fx, FX_LID, &on, &e) < 0) {
			log_err("%s: cannot read the lid sensor: %s (use --once or --units)",
				fixture_def_of(fx)->name, e.msg);
			return ST_ERR_NOTSUP;
		}
		if (on == closed)
			return ST_OK;
		usleep(100000);
	}
	return ST_ERR_ABORTED;
}

static void *fixture_thread(void *arg)
{
	struct fx_thread *t = arg;
	struct st_error e = { 0 };
	struct fixture *fx = NULL;

	if (fixture_open(&fx, &t->def, &e) < 0) {
		/* the message names the fixture already */
		struct run_ctx rc = { .seq = t->seq, .cfg = t->cfg, .fxdef = &t->def,
				      .db = t->db, .ev = t->ev, .stop = &stop_flag };

		log_err("%s", e.msg);
		init_vars(&rc, t);
		engine_run_unopened(&rc, e.msg);	/* an error run in the log */
		vars_free(&rc.vars);
		display_fixture_fault(t->disp, t->def.name, e.msg);
		t->station_errors++;
		return NULL;
	}
	for (int unit = 0; !atomic_load(&stop_flag) && (t->o->units == 0 || unit < t->o->units); unit++) {
		struct run_ctx rc = {
			.seq = t->seq, .cfg = t->cfg, .fxdef = &t->def, .fx = fx, .db = t->db,
			.ev = t->ev, .stop = &stop_flag, .ask = t->ask,
		};
		enum db_outcome o;

		if (t->o->units == 0 && wait_lid(fx, true) < 0)
			break;
		init_vars(&rc, t);
		o = engine_run(&rc);
		central_fwd_kick(t->fwd);	/* the ended run, to the central store */
		if (o == DB_ERROR)
			t->station_errors++;	/* the station's fault, not the board's */
		else if (o == DB_PASS)
			t->passed++;
		else if (o == DB_ABORTED)
			t->aborted++;
		else if (o == DB_FAIL)
			t->failed++;
		/* DB_SKIPPED: no unit was scanned, no run */
		if (rc.have_ident)
			se_identity_free(&rc.ident);
		vars_free(&rc.vars);
		if (t->o->units == 0 && wait_lid(fx, false) < 0)
			break;
	}
	fixture_close(fx);
	return NULL;
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) == 0) {
		if (sig == SIGUSR1) /* our own wake-up at the end */
			break;
		atomic_store(&stop_flag, true);
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

/* The forwarder to the central store; the line never waits on it. */
static int central_start(const struct station_config *cfg, const char *log,
			 struct central_fwd **fwd)
{
	const struct central_opts co = { .url = cfg->central_url,
					 .passfile = cfg->central_passfile,
					 .timeout_ms = cfg->central_timeout_ms };
	struct st_error e = { 0 };
	int ret = central_fwd_start(fwd, &co, log, cfg->central_backoff_ms, &e);

	if (ret < 0)
		log_err("%s", e.msg);
	return ret;
}

/* Its last drain, then what is left queued for the next start or sync. */
static void central_stop(struct central_fwd *fwd)
{
	int sent = 0, left = 0;

	if (!fwd)
		return;
	central_fwd_stop(fwd, &sent, &left);
	if (left)
		log_warn("%d run(s) queued for the central store: sent when it answers, at "
			 "the next start or by 'station central sync'", left);
	else
		log_info("central store: %d run(s) forwarded", sent);
}

static int load_fixtures(struct run_opts *o, const struct station_config *cfg,
			 struct fx_thread *t, int *n)
{
	const char *const *files = o->n_fixtures ? o->fixtures : (const char *const *)cfg->fixtures;
	int count = o->n_fixtures ? o->n_fixtures : cfg->n_fixtures;

	if (count == 0) {
		fprintf(stderr, "station run: no fixture: give -f FIXTURE.yaml or list fixtures in station.yaml\n");
		return EXIT_USAGE;
	}
	if ((o->port || o->ctrl) && count > 1) {
		fprintf(stderr, "station run: --port/--ctrl need exactly one fixture\n");
		return EXIT_USAGE;
	}
	if (o->serial && count > 1) {
		fprintf(stderr, "station run: --serial names one unit, and there are %d fixtures: "
			"scan each unit's serial, or run one fixture\n", count);
		return EXIT_USAGE;
	}
	for (int i = 0; i < count; i++) {
		struct st_error e = { 0 };

		if (fixture_def_load(&t[i].def, files[i], &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			return EXIT_CONFIG;
		}
		if (o->port)
			snprintf(t[i].def.port, sizeof(t[i].def.port), "%s", o->port);
		if (o->ctrl)
			snprintf(t[i].def.ctrl, sizeof(t[i].def.ctrl), "%s", o->ctrl);
	}
	*n = count;
	return 0;
}

static int run_all(struct run_opts *o, struct station_config *cfg, struct sequence *seq,
		   struct fx_thread *t, int n, struct run_owner *owner)
{
	struct st_error e = { 0 };
	struct db_opts dbo = { .sync_full = o->sync_full || cfg->sync_full, .stop = &stop_flag };
	const char *names[CFG_MAX_FIXTURES];
	struct display *disp;
	struct ask *ask = NULL;
	struct db *db = NULL;
	struct central_fwd *fwd = NULL;
	pthread_t sig_tid;
	sigset_t set;
	int passed = 0, failed = 0, aborted = 0, errors = 0, recovered = 0, live = 0, ret, err;
	const struct display_info info = { .station = cfg->station, .sequence = seq->name,
					   .sequence_version = seq->version };

	/* SIGINT, SIGTERM, SIGHUP are blocked since main(); SIGUSR1 (the
	 * signal thread's wake-up) before the first thread here.  The signal
	 * thread first: a stop while the log is opened (a locked log) counts. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	err = pthread_create(&sig_tid, NULL, signal_thread, &set);
	if (err) {
		/* with the signals blocked and nobody waiting for them, Ctrl-C
		 * would not stop a run: run none */
		log_err("cannot start the signal thread (%s): nothing run; free some memory "
			"or threads and start again", strerror(err));
		return EXIT_STATION;
	}
	if (db_open(&db, o->db ? o->db : cfg->log, &dbo, &e) < 0) {
		fprintf(stderr, "station run: %s\n", e.msg);
		end_signal_thread(sig_tid);
		return atomic_load(&stop_flag) ? EXIT_ABORTED : EXIT_STATION;
	}
	if (db_recover(db, run_owner_live, owner, &recovered, &live, &e) < 0)
		log_err("%s", e.msg);
	else if (recovered)
		log_warn("%d run(s) left unfinished by an earlier stop were marked aborted", recovered);
	if (live)
		log_info("%d run(s) in flight in another station on this log: left as they are",
			 live);
	if (cfg->central_url && central_start(cfg, o->db ? o->db : cfg->log, &fwd) < 0)
		fwd = NULL;	/* said why; the line goes on, its runs queued */
	for (int i = 0; i < n; i++)
		names[i] = t[i].def.name;
	disp = display_new(stdout, display_mode_for(stdout, o->json), &info, n, names);
	if (!disp) {
		end_signal_thread(sig_tid);
		central_stop(fwd);
		db_close(db);
		return EXIT_STATION;
	}
	/* the operator answers at the terminal, whatever the view's mode */
	if (isatty(STDIN_FILENO) && ask_new(&ask, STDIN_FILENO, disp) < 0)
		ask = NULL;
	for (int i = 0; i < n; i++) {
		t[i].o = o;
		t[i].cfg = cfg;
		t[i].seq = seq;
		t[i].db = db;
		t[i].ev = display_events(disp);
		t[i].ask = ask;
		t[i].disp = disp;
		t[i].fwd = fwd;
		err = pthread_create(&t[i].tid, NULL, fixture_thread, &t[i]);
		t[i].started = err == 0;
		if (err) {
			log_err("fixture %s: cannot start its thread (%s): not run", t[i].def.name,
				strerror(err));
			t[i].station_errors++;
		}
	}
	for (int i = 0; i < n; i++) {
		if (t[i].started)
			pthread_join(t[i].tid, NULL);
		passed += t[i].passed;
		failed += t[i].failed;
		aborted += t[i].aborted;
		errors += t[i].station_errors;
	}
	end_signal_thread(sig_tid);
	central_stop(fwd);
	if (atomic_load(&stop_flag))
		db_event(db, NULL, NULL, "stop", "stopped by signal", NULL);
	db_close(db);
	ask_free(ask);
	/* the precedence of the exit status: stopped, station fault, unit failed */
	ret = atomic_load(&stop_flag) || aborted ? EXIT_ABORTED : errors ? EXIT_STATION :
	      failed ? EXIT_UNIT_FAIL : EXIT_PASS;
	display_summary(disp, &(struct display_counts){ passed, failed, errors, aborted }, ret,
			o->db ? o->db : cfg->log);
	display_free(disp);
	return ret;
}

struct after_kill {
	const char *db;
	struct run_owner *owner;
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

/*
 * Each fixture locked for this station alone, and a guardian that puts them
 * in their safe state should the station be killed outright.  The guardian
 * is forked here, before any thread starts.
 */
static int run_guarded(struct run_opts *o, struct station_config *cfg, struct sequence *seq,
		       struct fx_thread *t, int n)
{
	const struct fixture_def *defs[CFG_MAX_FIXTURES];
	const char *names[CFG_MAX_FIXTURES], *log = o->db ? o->db : cfg->log;
	int locks[CFG_MAX_FIXTURES], ret = EXIT_STATION, i;
	struct fx_guardian g = { .pid = -1, .fd = -1 };
	struct run_owner owner = { .n = 0 };
	struct after_kill after_ctx;
	const struct fx_guardian_after after = { recover_after_kill, &after_ctx };
	struct st_error e = { 0 };

	for (i = 0; i < n; i++) {
		defs[i] = &t[i].def;
		names[i] = t[i].def.name;
		if (fixture_lock(defs[i], GUARDIAN_WAIT_MS, &locks[i], &e) < 0) {
			fprintf(stderr, "station run: %s\n", e.msg);
			goto out;
		}
	}
	if (run_owner_take(&owner, log, names, n, &e) < 0) {
		fprintf(stderr, "station run: %s\n", e.msg);
		goto out;
	}
	after_ctx = (struct after_kill){ .db = log, .owner = &owner };
	if (fx_guardian_start(&g, defs, locks, n, &after, &e) < 0)
		log_warn("%s: a station killed outright would leave its boards powered", e.msg);
	ret = run_all(o, cfg, seq, t, n, &owner);
	fx_guardian_release(&g);
	run_owner_release(&owner);
out:
	while (i-- > 0)
		fixture_unlock(locks[i]);
	return ret;
}

/* Parameters with no value are caught before a board is powered. */
static bool params_given(const struct run_opts *o, const struct station_config *cfg,
			 const struct sequence *seq)
{
	struct run_ctx probe = { .seq = seq };
	struct fx_thread pt = { .o = o, .cfg = cfg };
	char missing[512];
	int n;

	init_vars(&probe, &pt);
	n = engine_check_params(seq, &probe.vars, missing, sizeof(missing));
	vars_free(&probe.vars);
	if (n)
		fprintf(stderr, "%s: no value for %s: set it under 'vars:' in station.yaml or with --var NAME=VALUE\n",
			seq->file, missing);
	return n == 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct station_config cfg;
	struct st_error e = { 0 };
	struct sequence *seq = NULL;
	struct fx_thread *t = NULL;
	char *errors = NULL, **names = NULL, seq_file[4096];
	int ret, n = 0;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	if (config_load(&cfg, o.config, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return EXIT_CONFIG;
	}
	names = config_var_names(&cfg, o.vars, o.n_vars);
	if (!names) {
		fprintf(stderr, "station run: out of memory\n");
		ret = EXIT_STATION;
		goto out;
	}
	if (!o.sequence && !cfg.sequence) {
		fprintf(stderr, "station run: no sequence: give -s FILE or 'sequence:' in station.yaml\n");
		ret = EXIT_USAGE;
		goto out;
	}
	if (o.sequence && search_sequence(o.sequence, cfg.file, seq_file, sizeof(seq_file), &e) < 0) {
		fprintf(stderr, "station run: %s\n", e.msg);
		ret = EXIT_CONFIG;
		goto out;
	}
	{
		/* files behind the station's and --var values are checked now,
		 * before any fixture is opened */
		struct run_ctx probe = { 0 };
		struct fx_thread pt = { .o = &o, .cfg = &cfg };

		init_vars(&probe, &pt);
		ret = sequence_load_given(&seq, o.sequence ? seq_file : cfg.sequence,
					  (const char *const *)names, &probe.vars, &errors, &e);
		vars_free(&probe.vars);
	}
	if (ret < 0) {
		fprintf(stderr, "%s%s\n", errors ? errors : "", e.msg);
		ret = EXIT_CONFIG;
		goto out;
	}
	if (!params_given(&o, &cfg, seq)) {
		ret = EXIT_CONFIG;
		goto out;
	}
	t = calloc(CFG_MAX_FIXTURES, sizeof(*t));
	if (!t) {
		ret = EXIT_STATION;
		goto out;
	}
	ret = load_fixtures(&o, &cfg, t, &n);
	if (ret)
		goto out;
	if (o.dry_run) {
		for (int i = 0; i < n; i++) {
			struct run_ctx rc = { .seq = seq, .cfg = &cfg, .fxdef = &t[i].def,
					      .dry_run = true };

			t[i].o = &o;
			t[i].cfg = &cfg;
			init_vars(&rc, &t[i]);
			if (engine_plan(&rc, stdout) > 0)
				ret = EXIT_CONFIG;
			vars_free(&rc.vars);
		}
		if (ret == EXIT_CONFIG)
			fprintf(stderr, "station run --dry-run: the plan has problems (marked PROBLEM above)\n");
		goto out;
	}
	ret = run_guarded(&o, &cfg, seq, t, n);
out:
	config_names_free(names);
	free(t);
	free(errors);
	sequence_free(seq);
	config_free(&cfg);
	return ret;
}
