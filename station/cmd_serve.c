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
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "station/commands.h"
#include "station/panel.h"
#include "station/serve.h"
#include "station/steps/steps.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define PEM_MAX (256 * 1024)
#define TOKEN_MIN 16

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
	struct web_opts wo;
};

/* A PEM file, whole (bounded): NULL after saying why on stderr. */
static char *read_pem(const char *path, const char *what)
{
	FILE *f = fopen(path, "r");
	char *buf = f ? malloc(PEM_MAX + 1) : NULL;
	size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;

	if (f)
		fclose(f);
	if (!buf || n == 0 || n > PEM_MAX || !strstr(buf, "-----BEGIN ")) {
		fprintf(stderr, "station serve: serve: %s %s: %s\n", what, path,
			!f ? strerror(errno) : !buf ? "out of memory" :
			n > PEM_MAX ? "larger than 256 KiB" : "not a PEM file");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Who may reach the panel and the API: a loopback address serves this
 * machine only; any other needs HTTPS (a token crossing a network in
 * clear is anyone's) and an API token.  0, or the exit status after
 * saying what to set.
 */
static int access_setup(struct serve_body *b)
{
	const struct station_config *cfg = &b->f->cfg;
	struct st_error e = { 0 };
	char *token = NULL;

	if (!web_is_loopback(b->host) && (!cfg->serve.tls_cert || !cfg->serve.token_file)) {
		fprintf(stderr, "station serve: %s is not a loopback address: the panel and the API "
			"would be open to the network; that needs %s%s%s (serve: in station.yaml), "
			"or listen on 127.0.0.1\n", b->o->listen,
			cfg->serve.tls_cert ? "" : "HTTPS (tls_cert and tls_key)",
			!cfg->serve.tls_cert && !cfg->serve.token_file ? " and " : "",
			cfg->serve.token_file ? "" : "an API token (token_file)");
		return EXIT_USAGE;
	}
	if (cfg->serve.tls_cert) {
		b->wo.cert_pem = read_pem(cfg->serve.tls_cert, "tls_cert");
		b->wo.key_pem = b->wo.cert_pem ? read_pem(cfg->serve.tls_key, "tls_key") : NULL;
		if (!b->wo.key_pem)
			return EXIT_CONFIG;
	}
	if (cfg->serve.token_file) {
		if (config_read_secret(cfg->serve.token_file, "the API token", &token, &e) < 0) {
			fprintf(stderr, "station serve: serve: %s\n", e.msg);
			return EXIT_CONFIG;
		}
		if (strlen(token) < TOKEN_MIN) {
			fprintf(stderr, "station serve: serve: the API token in %s is shorter than %d "
				"characters: anyone could guess it; make a long random one (openssl "
				"rand -hex 32)\n", cfg->serve.token_file, TOKEN_MIN);
			config_secret_free(token);
			return EXIT_CONFIG;
		}
		b->wo.token = token;
	}
	return 0;
}

static void access_free(struct serve_body *b)
{
	free((char *)b->wo.cert_pem);
	config_secret_free((char *)b->wo.key_pem);
	config_secret_free((char *)b->wo.token);
}

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
	if (web_start(&web, &b->wo, serve_handle, &sc, &port, &e) < 0) {
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
	printf("station serve: listening on %s://%s%s%s:%u (%d fixture%s; the API at /api/v1%s)\n",
	       b->wo.cert_pem ? "https" : "http", strchr(b->host, ':') ? "[" : "", b->host,
	       strchr(b->host, ':') ? "]" : "", port, f->n, f->n == 1 ? "" : "s",
	       b->wo.token ? "; every request needs the API token" : "");
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
	struct serve_opts o = { .f.cmd = "station serve" };
	struct serve_body b = { 0 };
	struct st_error e = { 0 };
	struct fleet f;
	char host[128];
	unsigned port;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	ret = fleet_load(&f, &o.f);
	if (ret)
		goto out;
	if (!o.listen)
		o.listen = f.cfg.serve.listen ? f.cfg.serve.listen : DEFAULT_LISTEN;
	if (web_listen_parse(o.listen, host, sizeof(host), &port, &e) < 0) {
		fprintf(stderr, "station serve: %s\n", e.msg);
		ret = EXIT_USAGE;
		goto out;
	}
	b = (struct serve_body){ .o = &o, .f = &f, .host = host,
				 .wo = { .listen = o.listen, .max_conns = o.max_clients,
					 .public_paths = panel_paths() } };
	ret = access_setup(&b);
	if (ret == 0)
		ret = fleet_guarded(&f, &o.f, serve_all, &b);
	access_free(&b);
out:
	fleet_free(&f);
	return ret;
}
