// SPDX-License-Identifier: Apache-2.0
/*
 * station cms sync: register every identity the register step queued while
 * the CMS was unavailable (on_unavailable: queue).  Each with the station's
 * bounded attempts and backoff; marked 'registered' with the CMS's id, or
 * 'failed' when the CMS refuses it, or left 'queued' (with an event saying
 * why) while the CMS is still unavailable.  Idempotent: the CMS keys by
 * fingerprint, so a row whose registration reached the CMS before a crash
 * comes back "already-registered" and is marked, never registered twice.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "cms.h"
#include "commands.h"
#include "config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station cms sync [-c station.yaml] [--db FILE]\n"
		"\n"
		"  sync   register the identities queued while the CMS was unavailable\n"
		"         (register: {on_unavailable: queue}), with the attempts and backoff\n"
		"         of station.yaml's cms section.  Safe to run again, and while a\n"
		"         station is logging.\n"
		"\n"
		"  -c, --config FILE   station.yaml: the CMS and the log (default ./station.yaml)\n"
		"      --db FILE       the log, instead of station.yaml's\n"
		"  -h, --help          this text\n"
		"\n"
		"exit status: 0 nothing left queued, 1 the CMS refused one (marked failed),\n"
		"             3 bad station.yaml, 4 the CMS is still unavailable or the log failed\n");
}

struct tally {
	int registered, failed, queued;
};

/* One queued row: 0 done (either way), 1 the CMS is unavailable, <0 log error. */
static int sync_one(struct db *db, const struct cms_config *c, const struct db_cms_queued *q,
		    struct tally *t)
{
	struct cms_result res;
	struct st_error e = { 0 }, de = { 0 };
	char detail[ST_ERRMSG_MAX + 128];
	char *leaf = cms_leaf_pem(q->pem_chain);
	const char *serial = q->unit_serial ? q->unit_serial : "?";
	struct cms_request req = {
		.serial = q->unit_serial, .chip_serial = q->chip_serial, .cert_pem = leaf,
		.chain_pem = q->pem_chain, .station = q->station, .fixture = q->fixture,
	};
	int ret, unavailable;

	if (!leaf)
		ret = st_fail(&e, ST_ERR_ARG, "the run logged no identity to register");
	else
		ret = cms_register(c, &req, &res, &e);
	free(leaf);
	unavailable = ret < 0 && cms_is_unavailable(ret, &res);
	if (ret == ST_OK) {
		snprintf(detail, sizeof(detail), "%s: %s as %s", serial, res.status, res.id);
		ret = db_cms_mark(db, q->id, "registered", res.id, res.attempts, res.http_status, &de);
		t->registered += ret == 1;
	} else if (!unavailable) {
		snprintf(detail, sizeof(detail), "%s: refused, marked failed: %s", serial, e.msg);
		ret = db_cms_mark(db, q->id, "failed", NULL, res.attempts, res.http_status, &de);
		t->failed += ret == 1;
	} else {
		snprintf(detail, sizeof(detail), "%s: still queued: %s", serial, e.msg);
		ret = db_cms_retried(db, q->id, res.attempts, res.http_status, &de);
		t->queued++;
	}
	if (ret == 0)
		snprintf(detail, sizeof(detail), "%s: already marked by another sync", serial);
	printf("%s\n", detail);
	if (ret >= 0)
		ret = db_event(db, q->run_id, q->fixture, "cms-sync", detail, &de);
	if (ret < 0) {
		fprintf(stderr, "station cms sync: %s\n", de.msg);
		return ret;
	}
	return unavailable;
}

static int do_sync(const struct station_config *cfg, const char *db_path)
{
	struct db_opts o = { .must_exist = true, .sync_full = cfg->sync_full };
	struct db_cms_queued *q = NULL;
	struct tally t = { 0 };
	struct st_error e = { 0 };
	struct db *db;
	int n = 0, i, ret;

	if (db_open(&db, db_path, &o, &e) < 0 || db_cms_queued_list(db, &q, &n, &e) < 0) {
		fprintf(stderr, "station cms sync: %s\n", e.msg);
		return EXIT_STATION;
	}
	for (i = 0, ret = 0; i < n && ret == 0; i++)
		ret = sync_one(db, &cfg->cms, &q[i], &t);
	/* The CMS is down: the rest wait for the next sync, not for n timeouts. */
	if (ret == 1)
		t.queued += n - i;
	printf("cms sync: %d registered, %d failed, %d still queued (%s)\n", t.registered,
	       t.failed, t.queued, db_path);
	db_cms_queued_free(q, n);
	db_close(db);
	if (ret < 0 || t.queued)
		return EXIT_STATION;
	return t.failed ? EXIT_UNIT_FAIL : EXIT_PASS;
}

int cmd_cms(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = "station.yaml", *db = NULL;
	struct station_config cfg;
	struct st_error e = { 0 };
	int opt, ret;

	if (argc < 2 || strcmp(argv[1], "sync") != 0) {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? EXIT_PASS : EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
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
		fprintf(stderr, "station cms sync: %s\n", e.msg);
		return EXIT_CONFIG;
	}
	if (!cfg.cms.url) {
		fprintf(stderr, "station cms sync: %s has no cms section\n", config);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	ret = do_sync(&cfg, db ? db : cfg.log);
	config_free(&cfg);
	return ret;
}
