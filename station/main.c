/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station: command-line entry point.  Dispatches to station/cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "cms/cms.h"
#include "station/commands.h"

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a sequence on one or more fixtures" },
	{ "flash", cmd_flash, "load one image onto one board (bench), logged as a run" },
	{ "lint", cmd_lint, "check sequence files without touching a board" },
	{ "report", cmd_report, "yield, first-pass yield, Pareto, Cpk from the log" },
	{ "trace", cmd_trace, "the whole history of one unit" },
	{ "export", cmd_export, "runs, steps and measurements as CSV or JSON lines" },
	{ "db", cmd_db, "log maintenance: check, recover" },
	{ "cert", cmd_cert, "check a certificate or chain file (no board needed)" },
	{ "fixtures", cmd_fixtures, "list serial ports and FTDI devices; check fixtures" },
	{ "cms", cmd_cms, "cms sync: register identities queued while the CMS was down" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station [-v] COMMAND [ARGS]\n"
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
		"  -h, --help      this text; 'station COMMAND --help' for a command\n"
		"  --version       print the version\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	int level = ST_LOG_WARN;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_PASS;
		} else if (!strcmp(argv[i], "--version")) {
			printf("station %s\n", ST_VERSION);
			return EXIT_PASS;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			if (level < ST_LOG_DBG)
				level++;
		} else if (!strcmp(argv[i], "-vv")) {
			level = ST_LOG_DBG;
		} else {
			fprintf(stderr, "station: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	st_log_set_level(level);
	/* libcurl's global state, once, before any fixture thread starts */
	if (cms_global_init() < 0) {
		fprintf(stderr, "station: cannot initialise libcurl\n");
		return EXIT_STATION;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].main(argc - i, argv + i);
	fprintf(stderr, "station: unknown command '%s' (see 'station --help')\n", argv[i]);
	return EXIT_USAGE;
}
