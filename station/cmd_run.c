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
 * open) or a unit not tested (the MES's pre-check refused it or did not
 * answer, or its serial scan had no answer in its time: nothing of its
 * fixture moved, no run logged), 1 a unit failed,
 * 0 every unit passed.
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
#include "station/ask.h"
#include "station/commands.h"
#include "station/display.h"
#include "station/engine.h"
#include "station/fleet.h"

struct run_opts {
	struct fleet_opts f;
	int units;		/* 0: until stopped, waiting for the lid */
	bool dry_run, json;
};

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
		"network) or a unit not tested (the MES refused it or did not answer,\n"
		"or no serial was scanned in its time),\n"
		"5 interrupted (ABORTED); with several, the highest of 5, 4, 1\n");
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_PORT = 256, O_CTRL, O_ONCE, O_UNITS, O_SERIAL, O_OPER, O_DRY, O_JSON };
	static const struct option lo[] = {
		FLEET_LONG_OPTS,
		{ "port", required_argument, NULL, O_PORT },
		{ "ctrl", required_argument, NULL, O_CTRL },
		{ "once", no_argument, NULL, O_ONCE },
		{ "units", required_argument, NULL, O_UNITS },
		{ "serial", required_argument, NULL, O_SERIAL },
		{ "operator", required_argument, NULL, O_OPER },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	optind = 1;
	while ((c = fleet_getopt(argc, argv, lo, &o->f)) != -1) {
		switch (c) {
		case FLEET_BAD_OPT: return EXIT_USAGE;
		case O_PORT: o->f.port = optarg; break;
		case O_CTRL: o->f.ctrl = optarg; break;
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
		case O_SERIAL: o->f.serial = optarg; break;
		case O_OPER: o->f.operator_name = optarg; break;
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

/* Wait for the lid to close (next unit) or a stop. */
static int wait_lid(struct fixture *fx, bool closed)
{
	struct st_error e = { 0 };
	bool on = !closed;

	while (!atomic_load(&fleet_stop)) {
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

/* The next unit: --units N of them, or each time the lid closes. */
static bool next_unit(struct fx_thread *t, struct fixture *fx, struct run_ctx *rc)
{
	const struct run_opts *o = t->drv->ctx;

	if (o->units)
		return t->units < o->units;
	return wait_lid(fx, true) == 0;
}

/* Without --units: the lid opens before the next unit. */
static bool unit_done(struct fx_thread *t, struct fixture *fx, struct run_ctx *rc,
		      enum db_outcome o)
{
	const struct run_opts *ro = t->drv->ctx;

	return ro->units || wait_lid(fx, false) == 0;
}

struct run_body {
	struct run_opts *o;
	struct fleet *f;
};

static void fixture_fault(struct fx_thread *t, const char *why)
{
	display_fixture_fault(t->fault_ctx, t->def.name, why);
}

static void not_tested(struct fx_thread *t, const char *serial, const char *why)
{
	display_not_tested(t->fault_ctx, t->def.name, serial, why);
}

static int run_all(void *ctx, struct run_owner *owner)
{
	struct run_body *rb = ctx;
	struct run_opts *o = rb->o;
	struct fleet *f = rb->f;
	const struct fleet_driver drv = { next_unit, unit_done, o, false };
	const char *names[CFG_MAX_FIXTURES];
	struct display *disp;
	struct ask *ask = NULL;
	struct db *db = NULL;
	pthread_t sig_tid;
	int passed = 0, failed = 0, aborted = 0, errors = 0, refused = 0, unscanned = 0, ret;
	const struct display_info info = { .station = f->cfg.station, .sequence = f->seq->name,
					   .sequence_version = f->seq->version };

	ret = fleet_open_log(f, &o->f, owner, &db, &sig_tid);
	if (ret)
		return ret;
	for (int i = 0; i < f->n; i++)
		names[i] = f->t[i].def.name;
	disp = display_new(stdout, display_mode_for(stdout, o->json), &info, f->n, names);
	if (!disp) {
		fleet_close_log(db, sig_tid);
		return EXIT_STATION;
	}
	/* the operator answers at the terminal, whatever the view's mode */
	if (f->keys && ask_new(&ask, STDIN_FILENO, f->keys, disp) < 0)
		ask = NULL;
	for (int i = 0; i < f->n; i++) {
		f->t[i].ev = display_events(disp);
		f->t[i].ask = ask;
		f->t[i].drv = &drv;
		f->t[i].fault = fixture_fault;
		f->t[i].not_tested = not_tested;
		f->t[i].fault_ctx = disp;
	}
	fleet_start_threads(f, &o->f, db);
	fleet_join_threads(f);
	for (int i = 0; i < f->n; i++) {
		passed += f->t[i].passed;
		failed += f->t[i].failed;
		aborted += f->t[i].aborted;
		errors += f->t[i].station_errors;
		refused += f->t[i].refused;
		unscanned += f->t[i].unscanned;
	}
	fleet_close_log(db, sig_tid);
	ask_free(ask);
	/* the precedence of the exit status: stopped, station fault or a unit
	 * not tested (the MES, no serial in time), unit failed */
	ret = atomic_load(&fleet_stop) || aborted ? EXIT_ABORTED : errors || refused || unscanned ?
	      EXIT_STATION : failed ? EXIT_UNIT_FAIL : EXIT_PASS;
	display_summary(disp, &(struct display_counts){ passed, failed, errors, aborted, refused,
							 unscanned },
			ret,
			fleet_log(f, &o->f));
	display_free(disp);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .f.cmd = "station run" };
	struct fleet f;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	ret = fleet_load(&f, &o.f);
	if (ret)
		goto out;
	if (o.dry_run) {
		for (int i = 0; i < f.n; i++) {
			struct run_ctx rc = { .seq = f.seq, .cfg = &f.cfg, .fxdef = &f.t[i].def,
					      .dry_run = true };

			f.t[i].o = &o.f;
			f.t[i].cfg = &f.cfg;
			fleet_init_vars(&rc, &f.t[i]);
			if (engine_plan(&rc, stdout) > 0)
				ret = EXIT_CONFIG;
			vars_free(&rc.vars);
		}
		if (ret == EXIT_CONFIG)
			fprintf(stderr, "station run --dry-run: the plan has problems (marked PROBLEM above)\n");
		goto out;
	}
	f.operator_tty = true;
	ret = fleet_guarded(&f, &o.f, run_all, &(struct run_body){ &o, &f });
out:
	fleet_free(&f);
	return ret;
}
