/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared plumbing of the log-reading commands (report, trace, export):
 * options, times, the read-only log, the output file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_PREFIX "report"
#include "common/log.h"
#include "central/central.h"
#include "station/commands.h"
#include "station/config.h"
#include "station/cmd_log_opts.h"
#include "station/search.h"
#include "report/report.h"

const char rep_default_log[] = REP_DEFAULT_DB;

int rep_db_from_config(const char *config, char *buf, size_t cap)
{
	struct station_config cfg;
	struct st_error e = { 0 };

	if (config_load(&cfg, config, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return EXIT_CONFIG;
	}
	snprintf(buf, cap, "%s", cfg.log);
	config_free(&cfg);
	return 0;
}

void rep_opts_init(struct rep_opts *o, const char *cmd, const char *format)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->db_path = rep_default_log;
	o->format = format;
}

/* timegm() of a date that exists: strptime takes Feb 30 and timegm makes it
 * Mar 2; a date given is a date meant, so refuse what does not round-trip. */
static int exact_timegm(struct tm *tm, time_t *t)
{
	struct tm want = *tm, back;

	*t = timegm(tm);
	if (!gmtime_r(t, &back) || back.tm_year != want.tm_year || back.tm_mon != want.tm_mon ||
	    back.tm_mday != want.tm_mday || back.tm_hour != want.tm_hour ||
	    back.tm_min != want.tm_min || back.tm_sec != want.tm_sec)
		return -1;
	return 0;
}

/* n digits at *p, exactly, into *v (no sign, no space: strtol and strptime
 * skip leading blanks and take fewer digits). */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* Accepted, as the help says: @UNIXSECONDS, YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z]
 * (a space for the T too), all UTC, from 1970 to 9999; digits only, each
 * field of its width.  A bare date as --until means up to the end of that
 * day.  -1: not such a time, -2: out of that range. */
int rep_parse_time(const char *s, bool until, int64_t *us)
{
	struct tm tm = { 0 };
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	bool bare = true;
	time_t t;

	if (*p == '@') {
		long long v = 0;

		if (!p[1])
			return -1;
		for (p++; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			if (v > REP_TIME_MAX / 10)
				return -2;
			v = v * 10 + (*p - '0');
		}
		if (v > REP_TIME_MAX)
			return -2;
		*us = v * 1000000LL;
		return 0;
	}
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		bare = false;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return -1;
		if (*p == ':' && (p++, !digits(&p, 2, &sec)))
			return -1;
		if (*p == 'Z')
			p++;
	}
	if (*p)
		return -1;
	if (y < 1970)
		return -2;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (exact_timegm(&tm, &t) < 0)
		return -1;
	*us = ((int64_t)t + (bare && until ? 86400 : 0)) * 1000000LL;
	return 0;
}

static int usage_err(const struct rep_opts *o, const char *what, const char *arg)
{
	fprintf(stderr, "station %s: %s '%s' (see 'station %s --help')\n", o->cmd, what, arg,
		o->cmd);
	return EXIT_USAGE;
}

/* --since or --until: 0, or EXIT_USAGE after saying why. */
static int time_opt(const struct rep_opts *o, const char *opt, const char *arg, bool until,
		    int64_t *us)
{
	char what[160];
	int r = rep_parse_time(arg, until, us);

	if (!r)
		return 0;
	snprintf(what, sizeof(what), r == -2 ? "%s: out of range (1970-01-01 to 9999-12-31, @0 "
		 "to @%lld)" : "%s: not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] UTC or "
		 "@UNIXSECONDS, a date that exists)", opt, (long long)REP_TIME_MAX);
	return usage_err(o, what, arg);
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

int rep_common_opt(struct rep_opts *o, int c, const char *arg)
{
	struct rep_filter *f = &o->f;
	char *at;

	switch (c) {
	case REP_OPT_DB: o->db_path = arg; return 1;
	case REP_OPT_CENTRAL: o->central = arg; return 1;
	case REP_OPT_PASSFILE: o->passfile = arg; return 1;
	case REP_OPT_CONFIG:
		if (rep_db_from_config(arg, o->db_buf, sizeof(o->db_buf)))
			return EXIT_CONFIG;
		o->config = arg;
		o->db_path = o->db_buf;
		return 1;
	case 'o': o->out_path = arg; return 1;
	case 'f': o->format = arg; return 1;
	case REP_OPT_FIXTURE: f->fixture = arg; return 1;
	case REP_OPT_SERIAL: f->serial = arg; return 1;
	case REP_OPT_OPERATOR: f->operator_name = arg; return 1;
	case REP_OPT_WORK_ORDER: f->work_order = arg; return 1;
	case REP_OPT_PART_NUMBER: f->part_number = arg; return 1;
	case REP_OPT_REVISION: f->revision = arg; return 1;
	case REP_OPT_STATION: f->station = arg; return 1;
	case REP_OPT_SINCE:
		if (time_opt(o, "--since", arg, false, &f->since_us))
			return EXIT_USAGE;
		f->has_since = true;
		return 1;
	case REP_OPT_UNTIL:
		if (time_opt(o, "--until", arg, true, &f->until_us))
			return EXIT_USAGE;
		f->has_until = true;
		return 1;
	case REP_OPT_OUTCOME:
		if (!in_list(arg, db_outcomes))
			return usage_err(o, "--outcome: not one of pass, fail, error, skipped, "
					 "aborted, running:", arg);
		f->outcome = arg;
		return 1;
	case REP_OPT_SEQUENCE:
		snprintf(f->seq_buf, sizeof(f->seq_buf), "%s", arg);
		f->seq_name = f->seq_buf;
		at = strchr(f->seq_buf, '@');
		if (at) {
			*at = '\0';
			f->seq_version = at + 1;
		}
		return 1;
	}
	return 0;
}

/* A shared option given a second time: a filter holds one value, and the
 * second would silently replace the first (--station x --station stA
 * reading stA alone).  0, or EXIT_USAGE after saying so. */
static int given_once(const struct rep_opts *o, const struct option *lo, int c, unsigned *seen)
{
	unsigned bit;

	if (c < REP_OPT_DB || c > REP_OPT_PASSFILE)
		return 0;
	bit = 1u << (c - REP_OPT_DB);
	if (!(*seen & bit)) {
		*seen |= bit;
		return 0;
	}
	while (lo->name && lo->val != c)
		lo++;
	fprintf(stderr, "station %s: --%s given twice: it takes one value, give it once "
		"(see 'station %s --help')\n", o->cmd, lo->name ? lo->name : "option", o->cmd);
	return EXIT_USAGE;
}

int rep_getopt(struct rep_opts *o, int argc, char **argv, const char *shortopts,
	       const struct option *lo, void (*usage)(FILE *f))
{
	unsigned seen = 0;
	int c, ret;

	optind = 0;	/* GNU: full re-initialisation, commands may run twice */
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == 'w') {
			o->what = optarg;
			continue;
		}
		if (given_once(o, lo, c, &seen))
			return EXIT_USAGE;
		ret = rep_common_opt(o, c, optarg);
		if (ret == 0 && o->extra)
			ret = o->extra(o->extra_ctx, c, optarg);
		if (ret == 1)
			continue;
		if (ret == 0)
			usage(stderr);
		return ret == EXIT_CONFIG ? EXIT_CONFIG : EXIT_USAGE;
	}
	if (o->f.has_since && o->f.has_until && o->f.since_us >= o->f.until_us) {
		char a[32], b[32];

		fprintf(stderr, "station %s: --since %s is not before --until %s: the window "
			"[since, until) holds no time (see 'station %s --help')\n", o->cmd,
			rep_iso(a, o->f.since_us), rep_iso(b, o->f.until_us), o->cmd);
		return EXIT_USAGE;
	}
	return 0;
}

int rep_check_format(const struct rep_opts *o, const char *const *allowed)
{
	if (in_list(o->format, allowed))
		return 0;
	fprintf(stderr, "station %s: --format '%s' is not one this takes: it takes", o->cmd, o->format);
	for (int i = 0; allowed[i]; i++)
		fprintf(stderr, "%s%s", i ? (allowed[i + 1] ? ", " : " or ") : " ", allowed[i]);
	fprintf(stderr, " (see 'station %s --help')\n", o->cmd);
	return EXIT_USAGE;
}

const char *rep_log_path(const char *given, char *buf, size_t cap)
{
	/* neither --db nor --config: ./station.yaml's log, as station run's */
	if (given == rep_default_log && search_default_config() &&
	    rep_db_from_config(search_default_config(), buf, cap) == 0)
		return buf;
	return given;
}

int rep_open(const struct rep_opts *o, struct db **db)
{
	struct db_opts dbo = { .readonly = true, .must_exist = true };
	struct st_error e;
	char buf[4096];

	if (db_open(db, rep_log_path(o->db_path, buf, sizeof(buf)), &dbo, &e) < 0) {
		fprintf(stderr, "station %s: %s\n", o->cmd, e.msg);
		return EXIT_STATION;
	}
	return 0;
}

FILE *rep_out_open(const struct rep_opts *o)
{
	FILE *f;

	if (!o->out_path || !strcmp(o->out_path, "-"))
		return stdout;
	f = fopen(o->out_path, "w");
	if (!f)
		fprintf(stderr, "station %s: cannot write %s: %s; pass -o with a writable path\n",
			o->cmd, o->out_path, strerror(errno));
	return f;
}

int rep_out_close(const struct rep_opts *o, FILE *f)
{
	bool bad = ferror(f);

	if (f == stdout)
		bad = fflush(f) != 0 || bad;
	else
		bad = fclose(f) != 0 || bad;
	if (bad) {
		fprintf(stderr, "station %s: writing %s failed (%s); check free space\n", o->cmd,
			o->out_path ? o->out_path : "stdout", strerror(errno));
		return EXIT_STATION;
	}
	return EXIT_PASS;
}

/* A postgresql:// (or postgres://) URL given as --db names the central store. */
static const char *central_url(const struct rep_opts *o)
{
	if (o->central)
		return o->central;
	if (!strncmp(o->db_path, "postgresql://", 13) || !strncmp(o->db_path, "postgres://", 11))
		return o->db_path;
	return NULL;
}

/* The store the command reads: the central store, or the log. */
struct rep_store {
	struct db *db;
	struct central *central;
	const struct db_reader *rd;
};

static int store_open(const struct rep_opts *o, struct rep_store *s)
{
	const struct central_opts co = { .url = central_url(o), .passfile = o->passfile };
	struct st_error e = { 0 };
	int ret;

	memset(s, 0, sizeof(*s));
	if (o->central && o->db_path != rep_default_log && o->db_path != o->db_buf) {
		fprintf(stderr, "station %s: --db and --central name two stores: give one\n",
			o->cmd);
		return EXIT_USAGE;
	}
	if (!co.url) {
		if (o->passfile) {
			fprintf(stderr, "station %s: --passfile goes with --central\n", o->cmd);
			return EXIT_USAGE;
		}
		ret = rep_open(o, &s->db);
		s->rd = ret ? NULL : db_reader(s->db);
		return ret;
	}
	ret = central_open(&s->central, &co, &e);
	if (ret < 0) {
		fprintf(stderr, "station %s: %s\n", o->cmd, e.msg);
		return ret == ST_ERR_ARG ? EXIT_USAGE : EXIT_STATION;
	}
	s->rd = central_reader(s->central);
	return 0;
}

static void store_close(struct rep_store *s)
{
	db_close(s->db);
	central_close(s->central);
}

int rep_run(const struct rep_opts *o, rep_body_fn body, void *ctx)
{
	struct st_error e = { 0 };
	struct rep_store s;
	FILE *out;
	int ret;

	ret = store_open(o, &s);
	if (ret)
		return ret;
	out = rep_out_open(o);
	if (!out) {
		store_close(&s);
		return EXIT_STATION;
	}
	ret = body(out, s.rd, o, ctx, &e);
	if (ret)
		fprintf(stderr, "station %s: %s\n", o->cmd, e.msg);
	ret = ret == ST_ERR_NOTFOUND || ret == ST_ERR_FAIL ? EXIT_UNIT_FAIL :
	      ret == ST_ERR_ARG || ret == ST_ERR_NOTSUP ? EXIT_USAGE : ret ? EXIT_STATION : EXIT_PASS;
	if (rep_out_close(o, out) && !ret)
		ret = EXIT_STATION;
	store_close(&s);
	return ret;
}
