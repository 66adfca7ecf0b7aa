/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station: command-line entry point.  Dispatches to station/cmd_*.c.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP are blocked here, before any thread
 * exists (libcurl's, the display's ticker, the fixtures'), so that every
 * thread inherits the mask and only `station run`'s signal thread, which
 * waits for them with sigwait(), ever takes one: a stop is always orderly.
 * SIGPIPE is ignored: a closed output (`station run --json | head`) is an
 * EPIPE the view handles, not the end of the runs.  Commands that do not
 * stop in order get the defaults back before they start.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "cms/cms.h"
#include "station/commands.h"
#include "station/display.h"

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
	bool orderly_stop;	/* takes SIGINT/SIGTERM/SIGHUP with sigwait() */
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a sequence on one or more fixtures", true },
	{ "serve", cmd_serve, "the operator panel and API over HTTP; units run on request", true },
	{ "flash", cmd_flash, "load one image onto one board (bench), logged as a run", true },
	{ "lint", cmd_lint, "check sequence files without touching a board", false },
	{ "report", cmd_report, "yield, first-pass yield, Pareto, capability, SPC from the log", false },
	{ "trace", cmd_trace, "the whole history of one unit", false },
	{ "export", cmd_export, "runs, steps and measurements as CSV or JSON lines", false },
	{ "db", cmd_db, "log maintenance: check, recover, migrate", false },
	{ "cert", cmd_cert, "check a certificate or chain file (no board needed)", false },
	{ "fixtures", cmd_fixtures, "list serial ports and FTDI devices; check fixtures", false },
	{ "cms", cmd_cms, "cms sync: register queued identities; cms lookup SERIAL", false },
	{ "central", cmd_central, "the central PostgreSQL store: migrate, sync, status", false },
	{ "mes", cmd_mes, "mes sync: send the MES the run results it has not taken", false },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station [-v] [--color=WHEN] COMMAND [ARGS]\n"
		"\n"
		"station runs YAML test and provisioning sequences on bed-of-nails\n"
		"fixtures and logs every step, measurement, firmware hash and\n"
		"certificate serial to SQLite.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"options:\n"
		"  -v, --verbose   more log output on stderr (repeat for debug)\n"
		"  --color=WHEN    auto (default: a terminal, unless NO_COLOR is set or\n"
		"                  TERM=dumb), always or never\n"
		"  -h, --help      this text; 'station COMMAND --help' for a command\n"
		"  --version       print the version\n"
		"The global options may also follow the command.  See station(1).\n");
}

/* A global option (-v, --verbose, -vv, --color=WHEN): 1 taken, 0 not one,
 * -1 a bad value. */
static int global_opt(const char *a, int *level)
{
	if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
		if (*level < ST_LOG_DBG)
			(*level)++;
	} else if (!strcmp(a, "-vv")) {
		*level = ST_LOG_DBG;
	} else if (!strncmp(a, "--color=", 8)) {
		if (display_set_color(a + 8) < 0) {
			fprintf(stderr, "station: --color takes auto, always or never, not '%s'\n",
				a + 8);
			return -1;
		}
	} else {
		return 0;
	}
	return 1;
}

/* Global options after the command are taken out of its argv (up to a
 * "--", which ends the options). */
static int strip_globals(int argc, char **argv, int *level)
{
	int out = 1, i = 1;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		int g = global_opt(argv[i], level);

		if (g < 0)
			return -1;
		if (!g)
			argv[out++] = argv[i];
	}
	for (; i < argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	int i = 1, g;
	int level = ST_LOG_WARN;
	const struct command *cmd = NULL;
	sigset_t stops, before;

	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stops, &before);
	signal(SIGPIPE, SIG_IGN);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_PASS;
		} else if (!strcmp(argv[i], "--version")) {
			printf("station %s\n", ST_VERSION);
			return EXIT_PASS;
		} else if ((g = global_opt(argv[i], &level)) != 0) {
			if (g < 0)
				return EXIT_USAGE;
		} else {
			fprintf(stderr, "station: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			cmd = &commands[c];
	if (!cmd) {
		fprintf(stderr, "station: unknown command '%s' (see 'station --help')\n", argv[i]);
		return EXIT_USAGE;
	}
	argc = strip_globals(argc - i, argv + i, &level);
	if (argc < 0)
		return EXIT_USAGE;
	st_log_set_level(level);
	if (!cmd->orderly_stop) {
		signal(SIGPIPE, SIG_DFL);	/* `station export | head` ends quietly */
		pthread_sigmask(SIG_SETMASK, &before, NULL);
	}
	/* libcurl's global state, once, before any fixture thread starts */
	if (cms_global_init() < 0) {
		fprintf(stderr, "station: cannot initialise libcurl\n");
		return EXIT_STATION;
	}
	return cmd->main(argc, argv + i);
}
