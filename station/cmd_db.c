/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station db check|recover|migrate|rebuild|compact: log maintenance.
 * check runs SQLite's integrity and foreign-key checks and exits non-zero
 * on any problem; recover marks runs left unfinished by a crash aborted
 * (the station also does this when it starts); migrate creates a log or
 * upgrades an old one; rebuild recomputes the summaries from the rows;
 * compact gives free pages back (VACUUM) while no station runs on it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station/commands.h"
#include "station/cmd_log_opts.h"
#include "station/run_owner.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station db check|recover|migrate|rebuild|compact [--db FILE | --config "
		"station.yaml]\n"
		"\n"
		"  check     integrity and foreign-key check of the log; exit 4 on a problem.\n"
		"            Safe while a station is logging (read only, never blocks it).\n"
		"            --quick: SQLite's quick_check alone (every page and row, not\n"
		"            each index against its table nor the foreign keys: the full\n"
		"            check does those); it reads the whole log, seconds on a\n"
		"            million runs, the full check a minute and a half.\n"
		"  recover   mark runs left unfinished by a crash or power cut 'aborted',\n"
		"            naming the last step they logged.  Only while no station is\n"
		"            running on this log: its runs in progress would be marked too.\n"
		"  migrate   create the log, or upgrade an older one in place to schema\n"
		"            version %d (one transaction: all or nothing).\n"
		"  rebuild   recompute the summaries (the report's cells, units, measurement\n"
		"            and capability keys) from the rows, after rows were added or\n"
		"            changed by hand (one transaction; minutes on a large log, while\n"
		"            no station is logging to it).\n"
		"  compact   rewrite the log without its free pages (those an upgrade or\n"
		"            deleted rows left), each table's pages together; refused\n"
		"            while a station runs on the log.  Needs free disk twice the\n"
		"            log's size while it copies; a minute on a million runs.\n"
		"\n"
		REP_HELP_DB
		"  -h, --help             this text\n"
		"\n"
		"exit status: 0 done, 2 usage, 4 the log has a problem or cannot be opened\n",
		DB_SCHEMA_VERSION);
}

static int fail(const char *what, const struct st_error *e)
{
	fprintf(stderr, "station db %s: %s\n", what, e->msg);
	return EXIT_STATION;
}

/* The check reads the log mapped into memory (db/db_check.c): a page the
 * disk cannot give, or a file cut short under it, is a SIGBUS there. */
static void check_sigbus(int sig)
{
	static const char msg[] = "station db check: the log could not be read (an I/O error "
				  "on its disk, or the file was cut short during the check); copy "
				  "what can be read with sqlite3's .recover and check the copy\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)sig;
	(void)n;
	_exit(EXIT_STATION);
}

static int do_check(const char *path, bool quick)
{
	struct sigaction sa = { .sa_handler = check_sigbus };
	struct db_opts o = { .readonly = true, .must_exist = true, .as_is = true };
	struct st_error e;
	struct db *db;
	int ret;

	if (db_open(&db, path, &o, &e) < 0)
		return fail("check", &e);
	sigaction(SIGBUS, &sa, NULL);
	ret = quick ? db_quick_check(db, &e) : db_check(db, &e);
	if (ret == ST_OK)
		printf("%s: ok (schema version %d)\n", path, db_found_version(db));
	db_close(db);
	return ret < 0 ? fail("check", &e) : EXIT_PASS;
}

static int do_recover(const char *path)
{
	struct db_opts o = { .must_exist = true };
	struct run_owner owner;
	struct st_error e;
	struct db *db;
	int n = 0, live = 0, ret;

	if (db_open(&db, path, &o, &e) < 0)
		return fail("recover", &e);
	run_owner_for_log(&owner, path);
	ret = db_recover(db, run_owner_live, &owner, &n, &live, &e);
	db_close(db);
	if (ret < 0)
		return fail("recover", &e);
	printf("%s: %d unfinished run%s marked aborted", path, n, n == 1 ? "" : "s");
	if (live)
		printf("; %d in flight in a running station, left as they are", live);
	printf("\n");
	return EXIT_PASS;
}

/* pages as MiB, one decimal */
static const char *mib(int64_t pages, int64_t page_size, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f MiB", (double)pages * (double)page_size / 1048576.0);
	return buf;
}

static int do_migrate(const char *path)
{
	struct db_space s;
	struct st_error e;
	struct db *db;
	char a[32], b[32];
	int v;

	if (db_open(&db, path, NULL, &e) < 0)
		return fail("migrate", &e);
	v = db_found_version(db);
	if (v == 0)
		printf("%s: created, schema version %d\n", path, DB_SCHEMA_VERSION);
	else if (v < DB_SCHEMA_VERSION)
		printf("%s: upgraded from schema version %d to %d\n", path, v, DB_SCHEMA_VERSION);
	else
		printf("%s: already at schema version %d\n", path, v);
	/* an upgrade that moved a table leaves its old pages free in the file */
	if (v > 0 && db_space(db, &s, &e) == ST_OK && s.free_pages * 10 > s.pages)
		printf("%s: %s of its %s are free pages; 'station db compact --db %s' gives "
		       "them back (with no station running on it)\n", path,
		       mib(s.free_pages, s.page_size, a, sizeof(a)),
		       mib(s.pages, s.page_size, b, sizeof(b)), path);
	db_close(db);
	return EXIT_PASS;
}

/* The fixtures' locks compact holds while it copies: run_owner's, as many
 * of them as the log has fixtures (CFG_MAX_FIXTURES a piece). */
struct hold {
	const char *path;
	struct run_owner *own;
	int n;
};

static int hold_fixtures(const char *const *fixtures, int n, void *ctx, struct st_error *e)
{
	struct hold *h = ctx;
	int k = (n + CFG_MAX_FIXTURES - 1) / CFG_MAX_FIXTURES;

	h->own = calloc(k ? k : 1, sizeof(*h->own));
	if (!h->own)
		return st_fail(e, ST_ERR_NOMEM, "out of memory");
	for (h->n = 0; h->n < k; h->n++) {
		int from = h->n * CFG_MAX_FIXTURES, m = n - from;
		struct run_owner probe;

		if (m > CFG_MAX_FIXTURES)
			m = CFG_MAX_FIXTURES;
		if (run_owner_take(&h->own[h->n], h->path, fixtures + from, m, e) == ST_OK)
			continue;
		run_owner_for_log(&probe, h->path);
		for (int i = from; i < from + m; i++)
			if (run_owner_live(fixtures[i], &probe))
				return st_fail(e, ST_ERR_DB, "a station is running fixture '%s' on the "
					       "log %s; stop the stations on this log, then compact "
					       "it (it holds the log for as long as it copies, and a "
					       "step logged meanwhile would fail)", fixtures[i],
					       h->path);
		return ST_ERR_DB;	/* e: why the lock could not be taken */
	}
	return ST_OK;
}

static void hold_release(struct hold *h)
{
	while (h->own && h->n > 0)
		run_owner_release(&h->own[--h->n]);
	free(h->own);
}

static int do_compact(const char *path)
{
	struct db_opts o = { .must_exist = true };
	struct db_space before, after;
	struct hold h = { .path = path };
	struct st_error e;
	struct db *db;
	char a[32], b[32];
	bool wal_kept;
	int ret, v;

	if (db_open(&db, path, &o, &e) < 0)
		return fail("compact", &e);
	v = db_found_version(db);
	if (v < DB_SCHEMA_VERSION)
		printf("%s: upgraded from schema version %d to %d first\n", path, v,
		       DB_SCHEMA_VERSION);
	ret = db_compact(db, hold_fixtures, &h, &before, &after, &wal_kept, &e);
	db_close(db);
	hold_release(&h);
	if (ret < 0)
		return fail("compact", &e);
	printf("%s: compacted from %s to %s\n", path, mib(before.pages, before.page_size, a,
							  sizeof(a)),
	       mib(after.pages, after.page_size, b, sizeof(b)));
	if (wal_kept)
		printf("%s: programs still reading the log keep its old pages in %s-wal: the "
		       "files take their new size when they close and a station next writes "
		       "(or run compact again then)\n", path, path);
	return EXIT_PASS;
}

static int do_rebuild(const char *path)
{
	struct db_opts o = { .must_exist = true };
	struct st_error e;
	struct db *db;
	int ret;

	if (db_open(&db, path, &o, &e) < 0)
		return fail("rebuild", &e);
	ret = db_summary_rebuild(db, &e);
	db_close(db);
	if (ret < 0)
		return fail("rebuild", &e);
	printf("%s: summaries rebuilt from the rows\n", path);
	return EXIT_PASS;
}

int cmd_db(int argc, char **argv)
{
	static const struct option lo[] = {
		REP_LONGOPTS_DB,
		{ "help", no_argument, NULL, 'h' },
		{ "quick", no_argument, NULL, 'q' },
		{ 0 }
	};
	const char *path = rep_default_log, *sub;
	bool quick = false;
	char cfg_db[4096];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_PASS;
		}
		if (c == 'q') {
			quick = true;
			continue;
		}
		if (c == REP_OPT_CONFIG) {
			if (rep_db_from_config(optarg, cfg_db, sizeof(cfg_db)))
				return EXIT_CONFIG;
			path = cfg_db;
			continue;
		}
		if (c != REP_OPT_DB) {
			usage(stderr);
			return EXIT_USAGE;
		}
		path = optarg;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	sub = argv[optind];
	path = rep_log_path(path, cfg_db, sizeof(cfg_db));
	if (quick && strcmp(sub, "check")) {
		fprintf(stderr, "station db: --quick goes with check\n");
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "check"))
		return do_check(path, quick);
	if (!strcmp(sub, "recover"))
		return do_recover(path);
	if (!strcmp(sub, "migrate"))
		return do_migrate(path);
	if (!strcmp(sub, "rebuild"))
		return do_rebuild(path);
	if (!strcmp(sub, "compact"))
		return do_compact(path);
	fprintf(stderr, "station db: unknown action '%s' (check, recover, migrate, rebuild or "
		"compact)\n", sub);
	return EXIT_USAGE;
}
