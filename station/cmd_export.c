/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station export: runs, steps or measurements as CSV (RFC 4180, with a
 * header) or JSON lines (one object per row, typed values), for other
 * tools.  Rows are in run start order; filters are bound parameters.
 */
#include <string.h>

#include "station/commands.h"
#include "report/report.h"
#include "station/cmd_log_opts.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station export [options]\n"
		"\n"
		"Runs, steps or measurements from the log as CSV or JSON lines, one\n"
		"row per line, oldest run first, for spreadsheets and other tools.\n"
		"\n"
		"  -w, --what W           runs (default), steps, measurements, or wide: one\n"
		"                         row per run, one column per measurement (STEP/NAME\n"
		"                         [UNIT]) with first_run, for Minitab or JMP\n"
		"  -f, --format F         csv (default) or jsonl\n"
		"  -o, --output FILE      write there instead of stdout\n"
		REP_HELP_DB
		REP_HELP_CENTRAL
		REP_HELP_FILTER
		"  -h, --help             this text\n"
		"\n"
		"Times: 'started'/'ended' ISO 8601 UTC, '*_us' unix microseconds.\n"
		"exit status: 0 done, 2 usage, 4 the log cannot be read\n");
}

static int parse(int argc, char **argv, struct rep_opts *o)
{
	static const struct option lo[] = {
		REP_LONGOPTS_DB, REP_LONGOPTS_CENTRAL, REP_LONGOPTS_FILTER,
		{ "what", required_argument, NULL, 'w' },
		REP_LONGOPTS_OUT,
		{ 0 }
	};
	static const char *const formats[] = { "csv", "jsonl", NULL };
	int ret;

	ret = rep_getopt(o, argc, argv, "w:f:o:h", lo, usage);
	if (ret)
		return ret;
	if (optind < argc) {
		fprintf(stderr, "station export: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	for (int i = 0; db_export_whats[i]; i++)
		if (!strcmp(o->what, db_export_whats[i]))
			return rep_check_format(o, formats);
	if (!strcmp(o->what, "wide"))
		return rep_check_format(o, formats);
	fprintf(stderr, "station export: --what is runs, steps, measurements or wide, not '%s'\n",
		o->what);
	return EXIT_USAGE;
}

static int body(FILE *out, const struct db_reader *rd, const struct rep_opts *o, void *ctx,
		struct st_error *e)
{
	if (!strcmp(o->what, "wide"))
		return report_export_wide(out, rd, &o->f, o->format, e);
	return report_export(out, rd, o->what, &o->f, o->format, e);
}

int cmd_export(int argc, char **argv)
{
	struct rep_opts o;
	int ret;

	rep_opts_init(&o, "export", "csv");
	o.what = "runs";
	ret = parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	return rep_run(&o, body, NULL);
}
