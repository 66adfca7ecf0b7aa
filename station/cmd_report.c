/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report: yield, first-pass yield, the Pareto of failing steps and
 * per-measurement statistics with Cpk, from the log, as text, CSV, JSON or
 * one self-contained HTML file.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "station/commands.h"
#include "report/report.h"
#include "station/cmd_log_opts.h"
#include "station/config.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station report [options]\n"
		"\n"
		"Yield and first-pass yield (overall and by day), failures (Pareto by step\n"
		"and by failure mode), and per measurement n, mean, sigma, min, max, Pp and\n"
		"Ppk with a histogram against its limits, from the station's log.  The log is only\n"
		"read: a running station is never blocked.\n"
		"\n"
		REP_HELP_DB
		REP_HELP_CENTRAL
		REP_HELP_FILTER
		"  -f, --format F         text (default), csv, json or html (one file with\n"
		"                         charts, nothing external: mail it as is)\n"
		"  -o, --output FILE      write there instead of stdout\n"
		"      --spc NAME         instead: I-MR control charts of measurement NAME,\n"
		"                         one per fixture, with the Nelson rules flagged\n"
		"                         (1 beyond 3 sigma, 2 nine on one side, 3 six rising\n"
		"                         or falling, 5 two of three beyond 2 sigma, 6 four\n"
		"                         of five beyond 1 sigma, mr a jump); text, json\n"
		"                         or html (the charts, flagged points in red)\n"
		"      --baseline N       --spc: limits from a fixture's first N points (20)\n"
		"      --last N           --spc: after the baseline, a fixture's latest N\n"
		"                         points (500; 0: every point, read from every run)\n"
		"      --capability       instead: per measurement Cp/Cpk (within sigma,\n"
		"                         MR-bar/1.128) and Pp/Ppk (overall sigma); text,\n"
		"                         json or csv\n"
		"      --operations       instead: per operation (sequence) yield, first-pass\n"
		"                         yield, error/aborted/unidentified runs, runs per\n"
		"                         unit, and the rolled throughput yield; text, json\n"
		"                         or csv\n"
		"      --group-by KEY     instead: yield, first-pass yield, error/aborted/\n"
		"                         unidentified runs per fixture, station, operator,\n"
		"                         work-order, day, hour or shift (days, hours and\n"
		"                         shifts in station.yaml's plant: timezone; shifts\n"
		"                         from its plant: shifts); text, json or csv\n"
		"      --tz ZONE          --group-by: this time zone (Europe/Berlin, UTC)\n"
		"      --with-errors      error and aborted runs judge the unit (as\n"
		"                         failures) in the yields; by default they are the\n"
		"                         station's (the report, --operations, --group-by)\n"
		"      --subgroups        --capability: sigma within from rational subgroups\n"
		"                         (a fixture's values in one UTC hour, pooled)\n"
		"                         instead of the moving range\n"
		"      --all-runs         --spc, --capability: retests too (default: each\n"
		"                         unit's first run)\n"
		"      --from-rows        --capability: read every value, not the log's\n"
		"                         capability cells (the same figures, slower)\n"
		"  -h, --help             this text\n");
	fprintf(f,
		"\n"
		"Yield counts units per operation (sequence): a unit passed if one of its\n"
		"runs passed.  First-pass yield takes each unit's first judged run of the\n"
		"operation.  Only pass and fail judge a unit: error runs (the station's\n"
		"fault) and aborted ones are shown apart (--with-errors: as failures); a run\n"
		"without a serial is no unit.  Runs in progress are left out.\n"
		"Ppk = min(USL - mean, mean - LSL) / (3 sigma), one-sided with one limit,\n"
		"Pp = (USL - LSL) / (6 sigma), sigma over every value (overall); Cp and Cpk\n"
		"(within sigma) come with --capability.  Definitions: docs/quality.md.\n"
		"\n"
		"exit status: 0 done, 1 --spc or --capability: no value in the runs selected,\n"
		"2 usage, 4 the log cannot be read\n");
}

enum { OPT_SPC = 400, OPT_BASELINE, OPT_LAST, OPT_ALL_RUNS, OPT_CAPABILITY, OPT_OPERATIONS,
       OPT_WITH_ERRORS, OPT_GROUP_BY, OPT_TZ, OPT_SUBGROUPS, OPT_FROM_ROWS };

/* What report does besides its totals. */
struct report_mode {
	struct spc_opts spc;
	bool capability, operations, with_errors, subgroups, from_rows;
	const char *group_by, *tz;
};

/* A count of points from lo to hi (0: every point): 1, or EXIT_USAGE. */
static int points(const char *arg, const char *opt, long lo, long hi, int *out)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (!isdigit((unsigned char)*arg) || *end || n < lo || n > hi) {	/* not " 5", "+5" */
		fprintf(stderr, "station report: %s is a count of points, %ld%s to %ld, not '%s'\n",
			opt, lo, lo ? "" : " (every point)", hi, arg);
		return EXIT_USAGE;
	}
	*out = (int)n;
	return 1;
}

/* report's own options, from rep_getopt(): 1 taken, EXIT_USAGE bad, 0 not ours */
static int spc_opt(void *ctx, int c, const char *arg)
{
	struct report_mode *mode = ctx;
	struct spc_opts *spc = &mode->spc;
	long n;

	switch (c) {
	case OPT_CAPABILITY:
		mode->capability = true;
		return 1;
	case OPT_OPERATIONS:
		mode->operations = true;
		return 1;
	case OPT_WITH_ERRORS:
		mode->with_errors = true;
		return 1;
	case OPT_SUBGROUPS:
		mode->subgroups = true;
		return 1;
	case OPT_FROM_ROWS:
		mode->from_rows = true;
		return 1;
	case OPT_GROUP_BY:
		for (n = 0; rep_group_keys[n] && strcmp(rep_group_keys[n], arg); n++)
			;
		if (!rep_group_keys[n]) {
			char keys[128] = "";

			for (int i = 0; rep_group_keys[i]; i++)
				snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s",
					 i ? ", " : "", rep_group_keys[i]);
			fprintf(stderr, "station report: --group-by is one of %s, not '%s'\n", keys,
				arg);
			return EXIT_USAGE;
		}
		mode->group_by = arg;
		return 1;
	case OPT_TZ:
		if (!rep_tz_valid(arg)) {
			fprintf(stderr, "station report: --tz: '%s' is not in this machine's tz "
				"database (/usr/share/zoneinfo); give one like Europe/Berlin or UTC\n",
				arg);
			return EXIT_USAGE;
		}
		mode->tz = arg;
		return 1;
	case OPT_SPC:
		spc->name = arg;
		return 1;
	case OPT_ALL_RUNS:
		spc->all_runs = true;
		return 1;
	case OPT_BASELINE:
		return points(arg, "--baseline", 2, 100000, &spc->baseline);
	case OPT_LAST:
		spc->last_given = true;
		return points(arg, "--last", 0, 1000000, &spc->last);
	}
	return 0;
}

static int parse(int argc, char **argv, struct rep_opts *o, struct report_mode *mode)
{
	static const struct option lo[] = {
		REP_LONGOPTS_DB, REP_LONGOPTS_CENTRAL, REP_LONGOPTS_FILTER,
		{ "spc", required_argument, NULL, OPT_SPC },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "last", required_argument, NULL, OPT_LAST },
		{ "all-runs", no_argument, NULL, OPT_ALL_RUNS },
		{ "capability", no_argument, NULL, OPT_CAPABILITY },
		{ "operations", no_argument, NULL, OPT_OPERATIONS },
		{ "with-errors", no_argument, NULL, OPT_WITH_ERRORS },
		{ "subgroups", no_argument, NULL, OPT_SUBGROUPS },
		{ "from-rows", no_argument, NULL, OPT_FROM_ROWS },
		{ "group-by", required_argument, NULL, OPT_GROUP_BY },
		{ "tz", required_argument, NULL, OPT_TZ },
		REP_LONGOPTS_OUT,
		{ 0 }
	};
	static const char *const formats[] = { "text", "csv", "json", "html", NULL };
	static const char *const spc_formats[] = { "text", "json", "html", NULL };
	static const char *const cap_formats[] = { "text", "json", "csv", NULL };
	const struct spc_opts *spc = &mode->spc;
	int ret;

	o->extra = spc_opt;
	o->extra_ctx = mode;
	ret = rep_getopt(o, argc, argv, "f:o:h", lo, usage);
	if (ret)
		return ret;
	if (optind < argc) {
		fprintf(stderr, "station report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!!spc->name + mode->capability + mode->operations + !!mode->group_by > 1) {
		fprintf(stderr, "station report: one of --spc, --capability, --operations, "
			"--group-by\n");
		return EXIT_USAGE;
	}
	if (mode->with_errors && (spc->name || mode->capability)) {
		fprintf(stderr, "station report: --with-errors goes with the report, --operations "
			"or --group-by\n");
		return EXIT_USAGE;
	}
	if ((mode->subgroups || mode->from_rows) && !mode->capability) {
		fprintf(stderr, "station report: --subgroups and --from-rows go with --capability\n");
		return EXIT_USAGE;
	}
	if (mode->tz && !mode->group_by) {
		fprintf(stderr, "station report: --tz goes with --group-by\n");
		return EXIT_USAGE;
	}
	if (!spc->name && (spc->baseline != SPC_BASELINE_DEFAULT || spc->last_given)) {
		fprintf(stderr, "station report: --baseline and --last go with --spc NAME\n");
		return EXIT_USAGE;
	}
	if (!spc->name && !mode->capability && spc->all_runs) {
		fprintf(stderr, "station report: --all-runs goes with --spc NAME or --capability\n");
		return EXIT_USAGE;
	}
	return rep_check_format(o, spc->name ? spc_formats :
				mode->capability || mode->operations || mode->group_by ? cap_formats :
				formats);
}

/* --group-by with the plant's clock from station.yaml (--config, else
 * ./station.yaml when there is one), --tz over its time zone. */
static int groups(FILE *out, const struct db_reader *rd, const struct rep_opts *o,
		  const struct report_mode *mode, struct st_error *e)
{
	struct station_config cfg;
	struct rep_plant plant;
	int ret = config_load(&cfg, o->config, e);

	if (ret < 0)
		return ret;
	plant = cfg.plant;
	config_free(&cfg);
	if (mode->tz)
		snprintf(plant.timezone, sizeof(plant.timezone), "%s", mode->tz);
	return report_groups(out, rd, &o->f, mode->group_by, &plant, mode->with_errors,
			     o->format, e);
}

/* The plant's time zone from station.yaml (as groups() finds it), for
 * HTML to say its times are not in it; none when there is no such file
 * or it does not load (the times are UTC either way). */
static void plant_tz(const struct rep_opts *o, char *buf, size_t cap)
{
	struct station_config cfg;
	struct st_error e;

	buf[0] = '\0';
	if (strcmp(o->format, "html") || config_load(&cfg, o->config, &e) < 0)
		return;
	snprintf(buf, cap, "%s", cfg.plant.timezone);
	config_free(&cfg);
}

static void print(FILE *out, const struct rep_opts *o, struct report *r)
{
	if (!strcmp(o->format, "csv"))
		report_csv(out, r);
	else if (!strcmp(o->format, "json"))
		report_json(out, r);
	else if (!strcmp(o->format, "html"))
		report_html(out, r);
	else
		report_text(out, r);
}

static int body(FILE *out, const struct db_reader *rd, const struct rep_opts *o, void *ctx,
		struct st_error *e)
{
	const struct report_mode *mode = ctx;
	struct report r = { .db_path = rd->where, .with_errors = mode->with_errors };
	struct spc_opts spc = mode->spc;
	char tz[64];

	plant_tz(o, tz, sizeof(tz));
	r.plant_tz = spc.plant_tz = tz;
	if (mode->spc.name)
		return report_spc(out, rd, &o->f, &spc, o->format, e);
	if (mode->operations)
		return report_operations(out, rd, &o->f, mode->with_errors, o->format, e);
	if (mode->group_by)
		return groups(out, rd, o, mode, e);
	if (mode->capability)
		return report_capability(out, rd, &o->f, mode->spc.all_runs, mode->subgroups,
					 mode->from_rows, o->format, e);
	/* HTML's days are the plant's when station.yaml names its zone: from
	 * the summaries' hour cells in a zone of whole-hour offsets, else
	 * from the rows */
	bool plant = tz[0] && strcmp(tz, "UTC");
	char *periods = plant ? rep_tz_periods(tz, &o->f) : NULL;

	r.plant_periods = periods;
	int ret = rd_report(rd, &o->f, &r, e);

	if (!ret && plant && !r.days_tz)
		ret = rep_plant_days(rd, &o->f, tz, mode->with_errors, &r, e);
	if (!ret)
		print(out, o, &r);
	report_free(&r);
	free(periods);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	struct report_mode mode = { .spc.baseline = SPC_BASELINE_DEFAULT,
				     .spc.last = SPC_LAST_DEFAULT };
	struct rep_opts o;
	int ret;

	rep_opts_init(&o, "report", "text");
	ret = parse(argc, argv, &o, &mode);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	return rep_run(&o, body, &mode);
}
