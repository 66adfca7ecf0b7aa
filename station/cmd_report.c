/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report: yield, first-pass yield, the Pareto of failing steps and
 * per-measurement statistics with Cpk, from the log, as text, CSV, JSON or
 * one self-contained HTML file.
 */
#include <string.h>

#include "station/commands.h"
#include "report/report.h"
#include "station/cmd_log_opts.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station report [options]\n"
		"\n"
		"Yield and first-pass yield (overall and by day), failures by step\n"
		"(Pareto), and per measurement n, mean, sigma, min, max and Cpk with a\n"
		"histogram against its limits, from the station's log.  The log is only\n"
		"read: a running station is never blocked.\n"
		"\n"
		REP_HELP_DB
		REP_HELP_FILTER
		"  -f, --format F         text (default), csv, json or html (one file with\n"
		"                         charts, nothing external: mail it as is)\n"
		"  -o, --output FILE      write there instead of stdout\n"
		"  -h, --help             this text\n"
		"\n"
		"Yield counts units: a unit passed if one of its runs passed.  First-pass\n"
		"yield takes each unit's first finished run.  Runs in progress are left out.\n"
		"Cpk = min(USL - mean, mean - LSL) / (3 sigma), one-sided with one limit.\n"
		"\n"
		"exit status: 0 done, 2 usage, 4 the log cannot be read\n");
}

static int parse(int argc, char **argv, struct rep_opts *o)
{
	static const struct option lo[] = {
		REP_LONGOPTS_DB, REP_LONGOPTS_FILTER,
		REP_LONGOPTS_OUT,
		{ 0 }
	};
	static const char *const formats[] = { "text", "csv", "json", "html", NULL };
	int ret;

	ret = rep_getopt(o, argc, argv, "f:o:h", lo, usage);
	if (ret)
		return ret;
	if (optind < argc) {
		fprintf(stderr, "station report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return rep_check_format(o, formats);
}

static int body(FILE *out, struct db *db, const struct rep_opts *o, void *ctx,
		struct st_error *e)
{
	struct report r = { .db_path = o->db_path };
	int ret = report_build(db, &o->f, &r, e);

	if (!ret && !strcmp(o->format, "csv"))
		report_csv(out, &r);
	else if (!ret && !strcmp(o->format, "json"))
		report_json(out, &r);
	else if (!ret && !strcmp(o->format, "html"))
		report_html(out, &r);
	else if (!ret)
		report_text(out, &r);
	report_free(&r);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	struct rep_opts o;
	int ret;

	rep_opts_init(&o, "report", "text");
	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	return rep_run(&o, body, NULL);
}
