/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station mes sync: send the MES the run results it has not taken yet
 * (station run and station serve keep each run's result in the log and
 * send it when the run ends; while the MES is down they wait there).
 * docs/api.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "station/commands.h"
#include "station/config.h"
#include "station/mes_sync.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station mes sync [-c station.yaml] [--db FILE]\n"
		"\n"
		"Send the MES (mes: in station.yaml) the run results it has not taken yet,\n"
		"oldest first, each once.\n"
		"\n"
		"  -c, --config FILE   station.yaml (default ./station.yaml)\n"
		"      --db FILE       the log, instead of station.yaml's\n"
		"  -h, --help          this text\n"
		"\n"
		"exit status: 0 nothing left to send, 2 usage, 3 bad station.yaml (or no mes:),\n"
		"4 the MES did not take one (still down) or the log failed\n");
}

int cmd_mes(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *config = NULL, *log = NULL;
	struct station_config cfg;
	struct st_error e = { 0 };
	struct db *db = NULL;
	int c, ret, sent = 0, left = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': log = optarg; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "sync")) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (config_load(&cfg, config, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return EXIT_CONFIG;
	}
	if (!cfg.mes.url) {
		fprintf(stderr, "station mes sync: station.yaml has no mes: section (url, operation)\n");
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	ret = db_open(&db, log ? log : cfg.log, &(struct db_opts){ .must_exist = true }, &e);
	if (ret == ST_OK)
		ret = mes_sync(db, &cfg.mes, &sent, &left, &e);
	printf("station mes sync: %d result(s) sent, %d left\n", sent, left);
	if (ret < 0)
		fprintf(stderr, "station mes sync: %s\n", e.msg);
	if (db)
		db_close(db);
	config_free(&cfg);
	return ret < 0 || left ? EXIT_STATION : EXIT_PASS;
}
