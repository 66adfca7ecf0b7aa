/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station lint FILE...: validate sequence files without touching a board.
 * Every problem is printed as file:line:col: message; exit 1 if any (3 for
 * station.yaml's own, as station run: docs/sequences.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station/commands.h"
#include "station/config.h"
#include "station/search.h"
#include "station/sequence.h"
#include "station/vars.h"

int cmd_lint(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "var", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	/* the --var assignments: no more than the arguments */
	const char **assign = calloc((size_t)argc + 1, sizeof(*assign));
	char **names;
	int n_assign = 0, bad = 0, c;
	struct station_config cfg;
	struct st_error e = { 0 };
	const char *config = NULL;
	char *cfg_errors = NULL;
	struct vars given;

	if (!assign) {
		fprintf(stderr, "station lint: out of memory\n");
		return EXIT_STATION;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'V':
			if (config_cli_var_refused("station lint", optarg)) {
				free(assign);
				return EXIT_USAGE;
			}
			if (!strchr(optarg, '=')) {
				fprintf(stderr, "station lint: --var wants NAME=VALUE\n");
				free(assign);
				return EXIT_USAGE;
			}
			assign[n_assign++] = optarg;
			break;
		case 'h':
			printf("usage: station lint [-c station.yaml] [--var NAME=VALUE] FILE...\n"
			       "\n"
			       "A FILE without a '/' is looked for as run -s NAME looks (NAME, then\n"
			       "NAME.yaml, here, next to station.yaml, in the installed sequences);\n"
			       "with no FILE, station.yaml's sequence is checked.  station.yaml\n"
			       "itself is checked first, every problem of it printed.\n"
			       "\n"
			       "Check sequence files before a board is touched: unknown keys, wrong\n"
			       "types, missing fields, unknown step kinds, undefined variables, bad\n"
			       "regexes, low > high, unreadable images, include cycles.  Every problem\n"
			       "is printed as file:line:col: message.  Variables the station config\n"
			       "defines count as defined when -c is given.\n"
			       "\n"
			       "Exit status: 0 when every file is good, 1 when any file has a problem,\n"
			       "2 for a bad command line, 3 when station.yaml is invalid or unreadable\n"
			       "(every problem of it printed; no FILE is checked then).\n");
			free(assign);
			return EXIT_PASS;
		default:
			free(assign);
			return EXIT_USAGE;
		}
	}
	if (config_load_all(&cfg, config, &cfg_errors, &e) < 0) {
		/* every problem of station.yaml, however many */
		if (cfg_errors)
			fputs(cfg_errors, stderr);
		else
			fprintf(stderr, "%s\n", e.msg);
		free(cfg_errors);
		free(assign);
		return EXIT_CONFIG;
	}
	if (optind >= argc && !cfg.sequence) {
		fprintf(stderr, "usage: station lint [-c station.yaml] FILE...\n");
		config_free(&cfg);
		free(assign);
		return EXIT_USAGE;
	}
	names = config_var_names(&cfg, assign, n_assign);
	/* the values too: a file named through them (an include, the limits,
	 * an image) is read now, as station run reads it */
	vars_init(&given);
	for (int i = 0; i < cfg.vars.n; i++)
		vars_set(&given, cfg.vars.v[i].name, cfg.vars.v[i].value);
	for (int i = 0; i < n_assign; i++) {
		char name[VARS_NAME_MAX + 1];
		const char *eq = strchr(assign[i], '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - assign[i]), assign[i]);
		vars_set(&given, name, eq + 1);
	}
	free(assign);
	if (!names) {
		fprintf(stderr, "station lint: out of memory\n");
		vars_free(&given);
		config_free(&cfg);
		return EXIT_STATION;
	}
	for (int i = optind; i < argc || (i == optind && optind >= argc); i++) {
		/* no FILE: station.yaml's sequence; a NAME: looked for as -s NAME */
		const char *file = i < argc ? argv[i] : cfg.sequence;
		struct sequence *seq = NULL;
		char *errors = NULL;
		char *note = NULL;
		char found[4096];

		if (search_sequence(file, cfg.file, found, sizeof(found), &e) < 0) {
			printf("%s\n", e.msg);
			bad++;
			continue;
		}
		file = found;
		if (sequence_lint_file(&seq, file, (const char *const *)names, &given, &errors,
				       &note, &e) < 0) {
			fputs(errors ? errors : e.msg, stdout);
			if (errors && errors[0] && errors[strlen(errors) - 1] != '\n')
				putchar('\n');
			if (!errors)
				putchar('\n');
			bad++;
		} else {
			printf("%s: ok (%s %s%s%s)\n", file, seq->name, seq->version,
			       note ? "; " : "", note ? note : "");
		}
		free(errors);
		free(note);
		sequence_free(seq);
	}
	config_names_free(names);
	vars_free(&given);
	config_free(&cfg);
	return bad ? EXIT_UNIT_FAIL : EXIT_PASS;
}
