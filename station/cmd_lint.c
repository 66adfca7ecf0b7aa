/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station lint FILE...: validate sequence files without touching a board.
 * Every problem is printed as file:line:col: message; exit 1 if any.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/commands.h"
#include "station/config.h"
#include "station/sequence.h"

int cmd_lint(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "var", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *extra[128];
	char *owned[128];
	int nx = 0, no = 0, bad = 0, c;
	struct station_config cfg;
	struct st_error e = { 0 };
	const char *config = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'V':
			if (nx < 127 && strchr(optarg, '='))
				extra[nx++] = owned[no++] = strndup(optarg, (size_t)(strchr(optarg, '=') - optarg));
			break;
		case 'h':
			printf("usage: station lint [-c station.yaml] [--var NAME=VALUE] FILE...\n"
			       "\n"
			       "Check sequence files before a board is touched: unknown keys, wrong\n"
			       "types, missing fields, unknown step kinds, undefined variables, bad\n"
			       "regexes, low > high, unreadable images, include cycles.  Every problem\n"
			       "is printed as file:line:col: message.  Variables the station config\n"
			       "defines count as defined when -c is given.  Exit status 1 on any problem.\n");
			return EXIT_PASS;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: station lint [-c station.yaml] FILE...\n");
		return EXIT_USAGE;
	}
	if (config_load(&cfg, config, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return EXIT_CONFIG;
	}
	for (int i = 0; i < cfg.vars.n && nx < 127; i++)
		extra[nx++] = cfg.vars.v[i].name;
	extra[nx] = NULL;
	for (int i = optind; i < argc; i++) {
		struct sequence *seq = NULL;
		char *errors = NULL;

		if (sequence_load(&seq, argv[i], extra, &errors, &e) < 0) {
			fputs(errors ? errors : e.msg, stdout);
			if (errors && errors[0] && errors[strlen(errors) - 1] != '\n')
				putchar('\n');
			if (!errors)
				putchar('\n');
			bad++;
		} else {
			printf("%s: ok (%s %s)\n", argv[i], seq->name, seq->version);
		}
		free(errors);
		sequence_free(seq);
	}
	config_free(&cfg);
	for (int i = 0; i < no; i++)
		free(owned[i]);
	return bad ? EXIT_UNIT_FAIL : EXIT_PASS;
}
