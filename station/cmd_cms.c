// SPDX-License-Identifier: Apache-2.0
/*
 * station cms sync: register every identity the register step queued while
 * the CMS was unavailable (on_unavailable: queue).  Each with the station's
 * bounded attempts and backoff; marked 'registered' with the CMS's id, or
 * 'failed' when the CMS refuses it, or left 'queued' (with an event saying
 * why) while the CMS is still unavailable.  Idempotent: the CMS keys by
 * fingerprint, so a row whose registration reached the CMS before a crash
 * comes back "already-registered" and is marked, never registered twice.
 *
 * station cms lookup SERIAL: what the CMS holds for a unit (v2: by common
 * name, and the certificate id the log names) against what the log says it
 * registered or enrolled.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "cms/cms.h"
#include "station/commands.h"
#include "station/config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station cms sync [-c station.yaml] [--db FILE]\n"
		"       station cms lookup SERIAL [-c station.yaml] [--db FILE]\n"
		"\n"
		"  sync    register the identities queued while the CMS was unavailable\n"
		"          (register: {on_unavailable: queue}), with the attempts and backoff\n"
		"          of station.yaml's cms section.  Safe to run again, and while a\n"
		"          station is logging.\n"
		"  lookup  the certificates the CMS holds with common name SERIAL (protocol\n"
		"          v2), and whether it holds the one the log's newest registration\n"
		"          of that unit names\n"
		"\n"
		"  -c, --config FILE   station.yaml: the CMS and the log (default ./station.yaml)\n"
		"      --db FILE       the log, instead of station.yaml's\n"
		"  -h, --help          this text\n"
		"\n"
		"exit status: sync: 0 nothing left queued, 1 the CMS refused one (marked failed),\n"
		"             3 bad station.yaml, 4 the CMS is still unavailable or the log failed\n"
		"             lookup: 0 the CMS and the log agree, 1 they do not, 3 bad\n"
		"             station.yaml, 4 the CMS or the log cannot be read\n");
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

/* Does the CMS hold the certificate the log says it registered or issued? */
static int lookup_verdict(bool listed, int count, int logged, const struct db_cms_last *last)
{
	if (!logged) {
		printf("log   no registration of this unit\n");
		printf("%s\n", count ? "DISAGREE: the CMS knows a unit this log never registered"
		       : "agree: neither knows the unit");
		return count ? EXIT_UNIT_FAIL : EXIT_PASS;
	}
	printf("log   %s%s%s (run %s)\n", last->status, last->cms_id[0] ? " as " : "",
	       last->cms_id, last->run_id);
	if (!last->cms_id[0]) {
		printf("agree: the log has it %s, with no CMS id to compare\n", last->status);
		return EXIT_PASS;
	}
	if (listed) {
		printf("agree: the CMS holds %s\n", last->cms_id);
		return EXIT_PASS;
	}
	printf("DISAGREE: the log says %s %s, the CMS does not hold it\n", last->status,
	       last->cms_id);
	return EXIT_UNIT_FAIL;
}

static void print_certs(const char *what, const char *key, const struct cms_lookup_result *lk)
{
	printf("cms   %d certificate%s %s %s", lk->count, lk->count == 1 ? "" : "s", what, key);
	for (int i = 0; i < lk->count && i < CMS_LOOKUP_MAX; i++)
		printf("%s%s%s%s%s", i ? ", " : ": ", lk->certs[i].id,
		       lk->certs[i].status[0] ? " (" : "", lk->certs[i].status,
		       lk->certs[i].status[0] ? ")" : "");
	printf("%s\n", lk->count > CMS_LOOKUP_MAX ? ", ..." : "");
}

/* The CMS's certificates with common name SERIAL (the enrolment's default
 * CN) and the one the log names, by its id, against the log. */
static int do_lookup(const struct station_config *cfg, const char *db_path, const char *serial)
{
	struct db_opts o = { .must_exist = true, .readonly = true };
	struct cms_lookup_result lk, one;
	struct db_cms_last last;
	struct st_error e = { 0 };
	struct db *db = NULL;
	bool listed = false;
	int logged;

	if (cms_lookup(&cfg->cms, CMS_BY_CN, serial, &lk, &e) < 0) {
		fprintf(stderr, "station cms lookup: %s\n", e.msg);
		return EXIT_STATION;
	}
	print_certs("for", serial, &lk);
	logged = db_open(&db, db_path, &o, &e);
	if (logged == ST_OK)
		logged = db_cms_last(db, serial, &last, &e);
	db_close(db);
	if (logged < 0) {
		fprintf(stderr, "station cms lookup: %s\n", e.msg);
		return EXIT_STATION;
	}
	for (int i = 0; logged && i < lk.count && i < CMS_LOOKUP_MAX; i++)
		listed |= last.cms_id[0] && !strcmp(lk.certs[i].id, last.cms_id);
	/* a pre-provisioned identity's CN is not the serial: ask for its id */
	if (logged && last.cms_id[0] && !listed) {
		if (cms_lookup(&cfg->cms, CMS_BY_ID, last.cms_id, &one, &e) < 0) {
			fprintf(stderr, "station cms lookup: %s\n", e.msg);
			return EXIT_STATION;
		}
		print_certs("with id", last.cms_id, &one);
		listed = one.count > 0;
	}
	return lookup_verdict(listed, lk.count, logged, &last);
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

	const char *what = argc >= 2 ? argv[1] : "", *serial = NULL;

	if (strcmp(what, "sync") != 0 && strcmp(what, "lookup") != 0) {
		usage(!strcmp(what, "--help") ? stdout : stderr);
		return !strcmp(what, "--help") ? EXIT_PASS : EXIT_USAGE;
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
	if (!strcmp(what, "lookup") && optind < argc)
		serial = argv[optind++];
	if (optind != argc || (!strcmp(what, "lookup") && !serial)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (config_load(&cfg, config, &e) < 0) {
		fprintf(stderr, "station cms %s: %s\n", what, e.msg);
		return EXIT_CONFIG;
	}
	if (!cfg.cms.url) {
		fprintf(stderr, "station cms %s: %s has no cms section\n", what, config);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (serial)
		ret = do_lookup(&cfg, db ? db : cfg.log, serial);
	else
		ret = do_sync(&cfg, db ? db : cfg.log);
	config_free(&cfg);
	return ret;
}
