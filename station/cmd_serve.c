/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station serve: the station's engine (the same fixture threads, log,
 * locks and guardian as station run) with an HTTP API and the operator
 * panel in the same process (docs/api.md).  A fixture runs a unit when a
 * start request comes; its events go to every event stream, the same
 * lines station run --json writes.  SIGINT, SIGTERM or SIGHUP stop it:
 * every fixture to its safe state, the runs in flight logged aborted.
 */
#define LOG_PREFIX "serve"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "station/commands.h"
#include "station/serve.h"
#include "station/steps/steps.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"

struct serve_opts {
	struct fleet_opts f;
	const char *listen;
	unsigned max_clients;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station serve [options]\n"
		"\n"
		"Serve the operator panel (/) and the API (/api/v1, docs/api.md) and run\n"
		"a unit on a fixture each time one is started there.\n"
		"\n"
		"  -c, --config FILE     station.yaml (default: ./station.yaml when there is one)\n"
		"  -s, --sequence NAME   the flow to run (default: the config's 'sequence')\n"
		"  -f, --fixture FILE    a fixture definition; repeat for several fixtures\n"
		"      --listen HOST:PORT  where to listen (default " DEFAULT_LISTEN ";\n"
		"                        port 0: any free port, printed at the start)\n"
		"      --max-clients N   connections served at a time (default 64)\n"
		"      --var NAME=VALUE  set a sequence variable for every run (repeatable)\n"
		"      --db FILE         the log (default: the config's 'log', ./station.db)\n"
		"      --sync-full       fsync every commit (power-loss safe, slower)\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 stopped (SIGINT, SIGTERM), 2 usage, 3 invalid sequence or\n"
		"config, 4 station fault (the log, the listening address)\n");
}

static int parse_args(int argc, char **argv, struct serve_opts *o)
{
	enum { O_LISTEN = 256, O_MAXC };
	static const struct option lo[] = {
		FLEET_LONG_OPTS,
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "max-clients", required_argument, NULL, O_MAXC },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long v;
	char *end;
	int c;

	optind = 1;
	while ((c = fleet_getopt(argc, argv, lo, &o->f)) != -1) {
		switch (c) {
		case FLEET_BAD_OPT: return EXIT_USAGE;
		case O_LISTEN: o->listen = optarg; break;
		case O_MAXC:
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 1024) {
				fprintf(stderr, "station serve: --max-clients takes 1 to 1024, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			o->max_clients = (unsigned)v;
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "station serve: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

struct serve_body {
	struct serve_opts *o;
	struct fleet *f;
	const char *host;
};

/* Until a signal stops the station. */
static void wait_for_stop(void)
{
	while (!atomic_load(&fleet_stop))
		usleep(100000);
}

static int serve_all(void *ctx, struct run_owner *owner)
{
	struct serve_body *b = ctx;
	struct fleet *f = b->f;
	const char *names[CFG_MAX_FIXTURES];
	const struct display_info info = { .station = f->cfg.station, .sequence = f->seq->name,
					   .sequence_version = f->seq->version };
	struct serve_ctx sc = { .f = f };
	struct web_opts wo = { .listen = b->o->listen, .max_conns = b->o->max_clients };
	struct web_server *web = NULL;
	struct display *disp = NULL;
	struct st_error e = { 0 };
	pthread_t sig_tid;
	unsigned port = 0;
	int ret;

	ret = fleet_open_log(f, &b->o->f, owner, &sc.db, &sig_tid);
	if (ret)
		return ret;
	for (int i = 0; i < f->n; i++)
		names[i] = f->t[i].def.name;
	ret = EXIT_STATION;
	if (hub_new(&sc.hub) < 0 ||
	    !(disp = display_new(hub_file(sc.hub), DISPLAY_JSON, &info, f->n, names)) ||
	    slots_new(&sc.slots, f, display_events(disp)) < 0) {
		log_err("out of memory starting the server");
		goto out;
	}
	sc.serial_prompted = prompt_serial_pattern(f->seq, &sc.serial_pattern);
	if (web_start(&web, &wo, serve_handle, &sc, &port, &e) < 0) {
		fprintf(stderr, "station serve: %s\n", e.msg);
		goto out;
	}
	for (int i = 0; i < f->n; i++) {
		f->t[i].ev = slots_events(sc.slots);
		f->t[i].drv = slots_driver(sc.slots);
		f->t[i].stop = slots_stop_flag(sc.slots, i);
		f->t[i].fault = slots_fault;
		f->t[i].fault_ctx = sc.slots;
	}
	fleet_start_threads(f, &b->o->f, sc.db);
	printf("station serve: listening on http://%s%s%s:%u (%d fixture%s; the API at /api/v1)\n",
	       strchr(b->host, ':') ? "[" : "", b->host, strchr(b->host, ':') ? "]" : "", port,
	       f->n, f->n == 1 ? "" : "s");
	fflush(stdout);
	wait_for_stop();
	slots_stop_all(sc.slots);
	fleet_join_threads(f);
	ret = EXIT_PASS;
out:
	if (disp) {
		hub_close(sc.hub);
		web_stop(web);
		display_free(disp);
	}
	slots_free(sc.slots);
	hub_free(sc.hub);
	fleet_close_log(sc.db, sig_tid);
	return ret;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o = { .f.cmd = "station serve", .listen = DEFAULT_LISTEN };
	struct st_error e = { 0 };
	struct fleet f;
	char host[128];
	unsigned port;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	if (web_listen_parse(o.listen, host, sizeof(host), &port, &e) < 0) {
		fprintf(stderr, "station serve: %s\n", e.msg);
		return EXIT_USAGE;
	}
	ret = fleet_load(&f, &o.f);
	if (ret == 0)
		ret = fleet_guarded(&f, &o.f, serve_all, &(struct serve_body){ &o, &f, host });
	fleet_free(&f);
	return ret;
}
