// SPDX-License-Identifier: Apache-2.0
/*
 * station central: the central PostgreSQL store (docs/central.md).
 *   migrate  create or upgrade its schema and roles (as the database owner)
 *   sync     send every ended run still queued in the log, in order, now
 *   status   how many runs wait in the log
 * station run forwards on its own (central/fwd.c); sync is for a station
 * that is not running, or to drain by hand after an outage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"
#include "db/db_forward.h"
#include "station/commands.h"
#include "station/config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station central migrate [-c station.yaml] [--url URL] [--passfile FILE]\n"
		"       station central sync [-c station.yaml] [--db FILE]\n"
		"       station central status [-c station.yaml] [--db FILE]\n"
		"\n"
		"  migrate  create or upgrade the central schema (version %d) and the roles\n"
		"           station_writer (INSERT only) and station_reader (SELECT); run it\n"
		"           as the database's owner\n"
		"  sync     send the ended runs the log still holds queued, oldest first, up\n"
		"           to 16 in one transaction; safe to run again and while a station runs\n"
		"  status   how many ended runs are queued in the log, whether the store is\n"
		"           reachable, at this station's schema, and takes this login's runs\n"
		"           (its station and the next queued run's), and the next queued run\n"
		"           as the log holds it (sent, rolled back)\n"
		"\n"
		"  -c, --config FILE   station.yaml: central: {url, passfile} and the log\n"
		"      --url URL       postgresql://HOST[:PORT]/DB[?sslmode=verify-full...]\n"
		"                      instead of station.yaml's (never with a password)\n"
		"      --passfile FILE the libpq passfile with the password (else PGPASSFILE)\n"
		"      --db FILE       the log, instead of station.yaml's\n"
		"  -h, --help          this text\n"
		"\n"
		"exit status: 0 done (sync: nothing left queued; status: the store\n"
		"             reachable and taking this login's runs), 2 usage,\n"
		"             3 bad station.yaml or no central store configured,\n"
		"             4 the central store or the log failed (sync: runs still queued)\n",
		CENTRAL_SCHEMA_VERSION);
}

static int do_migrate(const struct central_opts *o)
{
	struct st_error e = { 0 };
	struct central *c = NULL;
	int from = 0;

	if (central_open(&c, o, &e) < 0 || central_migrate(c, &from, &e) < 0) {
		fprintf(stderr, "station central migrate: %s\n", e.msg);
		central_close(c);	/* a refused migration: the connection is open */
		return EXIT_STATION;
	}
	if (from == CENTRAL_SCHEMA_VERSION)
		printf("central store %s: schema version %d, up to date\n", central_where(c), from);
	else
		printf("central store %s: schema version %d -> %d\n", central_where(c), from,
		       CENTRAL_SCHEMA_VERSION);
	central_close(c);
	return EXIT_PASS;
}

/* status, with a store configured: can this station reach it, is it at
 * the schema this station writes, may its login store runs under the
 * stations named, and would it take the next queued run, next (NULL: none),
 * as it is in the log (sent, then rolled back): the queue drains only then. */
static int store_status(const struct central_opts *o, const char *const *stations,
			struct db *db, const char *next, struct st_error *e)
{
	struct central *c = NULL;
	int ret = central_open(&c, o, e);

	if (ret == ST_OK)
		ret = central_check_schema(c, e);
	for (int i = 0; ret == ST_OK && i < 2; i++)
		if (stations[i] && (i == 0 || !stations[0] || strcmp(stations[0], stations[i])))
			ret = central_check_station(c, stations[i], e);
	if (ret == ST_OK && next)
		ret = central_try_run(c, db, next, e);
	if (ret == ST_OK)
		printf("central store %s: reachable, schema version %d as this station writes\n",
		       central_where(c), CENTRAL_SCHEMA_VERSION);
	central_close(c);
	return ret;
}

static int do_sync(const struct central_opts *o, const char *db_path, const char *station,
		   bool send)
{
	const struct db_opts dbo = { .must_exist = true };
	struct st_error e = { 0 };
	struct central *c = NULL;
	struct db *db = NULL;
	int sent = 0, left = 0, n, ret;
	int64_t queued = 0;

	ret = db_open(&db, db_path, &dbo, &e);
	if (ret == ST_OK && !send) {
		char oldest[1][DB_ID_LEN], *next = NULL;	/* the next run's station */
		const char *stations[2] = { station, NULL };

		ret = db_fwd_queue(db, oldest, 1, &n, &queued, &e);
		if (ret == ST_OK)
			printf("central status: %lld run(s) queued in %s\n", (long long)queued, db_path);
		if (ret == ST_OK && n == 1)
			ret = db_fwd_station(db, oldest[0], &next, &e);
		stations[1] = next;
		if (ret == ST_OK)
			ret = store_status(o, stations, db, n == 1 ? oldest[0] : NULL, &e);
		db_close(db);
		free(next);
		if (ret < 0)
			fprintf(stderr, "station central status: %s\n", e.msg);
		return ret < 0 ? EXIT_STATION : EXIT_PASS;
	}
	if (ret == ST_OK)
		ret = central_open(&c, o, &e);
	if (ret == ST_OK)
		ret = central_check_schema(c, &e);
	if (ret == ST_OK)
		ret = central_drain(c, db, 0, &sent, &left, &e);
	else if (db && db_fwd_queue(db, NULL, 0, &n, &queued, NULL) == ST_OK)
		left = (int)queued;
	if (ret < 0)
		fprintf(stderr, "station central sync: %s\n", e.msg);
	printf("central sync: %d sent, %d still queued (%s)\n", sent, left, db_path);
	central_close(c);
	if (db)
		db_close(db);
	return ret < 0 || left ? EXIT_STATION : EXIT_PASS;
}

int cmd_central(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "passfile", required_argument, NULL, 'p' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *db = NULL, *url = NULL, *passfile = NULL;
	const char *what = argc >= 2 ? argv[1] : "";
	struct station_config cfg;
	struct central_opts o;
	struct st_error e = { 0 };
	int opt, ret;

	if (strcmp(what, "migrate") && strcmp(what, "sync") && strcmp(what, "status")) {
		bool help = !strcmp(what, "--help") || !strcmp(what, "-h");

		usage(help ? stdout : stderr);
		return help ? EXIT_PASS : EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'u': url = optarg; break;
		case 'p': passfile = optarg; break;
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (config_load(&cfg, config, &e) < 0) {
		fprintf(stderr, "station central %s: %s\n", what, e.msg);
		return EXIT_CONFIG;
	}
	o = (struct central_opts){ .url = url ? url : cfg.central_url,
				   .passfile = passfile ? passfile : cfg.central_passfile,
				   .timeout_ms = cfg.central_timeout_ms,
				   .config = url ? NULL : cfg.file };
	/* status too: a count of queued runs with no store to send them to
	 * reads as a healthy station, and exit 0 as a store that takes them */
	if (!o.url) {
		fprintf(stderr, "station central %s: no central store configured in %s "
			"(central: {url: postgresql://HOST/DB}), and no --url given\n", what,
			cfg.file ? cfg.file : "station.yaml");
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (!strcmp(what, "migrate"))
		ret = do_migrate(&o);
	else
		/* the station's own name: when its station.yaml names its log */
		ret = do_sync(&o, db ? db : cfg.log, cfg.file && !db ? cfg.station : NULL,
			      !strcmp(what, "sync"));
	config_free(&cfg);
	return ret;
}
