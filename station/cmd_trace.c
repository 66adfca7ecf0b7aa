/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station trace SERIAL: the whole history of one unit (found by its board
 * serial, its certificate serial, or its SE / 802.1AR serial), every run
 * oldest first with steps, measurements, images, identity, CMS
 * registration and captured values: what a returned unit's analysis needs.
 */
#include <string.h>

#include "report/report.h"
#include "station/commands.h"
#include "station/cmd_log_opts.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station trace [options] SERIAL\n"
		"\n"
		"Every run of one unit, oldest first, with its steps, measurements,\n"
		"flashed images, SE identity and CMS registration, and its suspect marks\n"
		"(a detected clone).  SERIAL is the board serial, or a certificate serial\n"
		"(hex, colons allowed), or the SE chip or 802.1AR serialNumber, or the\n"
		"id of a run that has no unit serial (a refused clone is its own unit).\n"
		"\n"
		REP_HELP_DB
		REP_HELP_CENTRAL
		"  -f, --format F         text (default), json, or label: one line\n"
		"                         'SERIAL<tab>DPP:...' for the device label, the DPP\n"
		"                         URI of the last identity of its last passed run;\n"
		"                         refused for a unit marked suspect\n"
		"  -o, --output FILE      write there instead of stdout\n"
		"  -h, --help             this text\n"
		"\n"
		"exit status: 0 found, 1 no such unit in the log, 2 usage, 4 log error\n");
}

static int parse(int argc, char **argv, struct rep_opts *o, const char **serial)
{
	static const struct option lo[] = {
		REP_LONGOPTS_DB, REP_LONGOPTS_CENTRAL,
		REP_LONGOPTS_OUT,
		{ 0 }
	};
	static const char *const formats[] = { "text", "json", "label", NULL };
	int ret;

	ret = rep_getopt(o, argc, argv, "f:o:h", lo, usage);
	if (ret)
		return ret;
	if (optind != argc - 1) {
		fprintf(stderr, "station trace: give one SERIAL (see 'station trace --help')\n");
		return EXIT_USAGE;
	}
	*serial = argv[optind];
	return rep_check_format(o, formats);
}

static int body(FILE *out, const struct db_reader *rd, const struct rep_opts *o, void *ctx,
		struct st_error *e)
{
	int ret = report_trace(out, rd, ctx, o->format, e);

	if (ret == ST_ERR_NOTFOUND) {	/* name the log that was searched */
		char m[ST_ERRMSG_MAX];

		snprintf(m, sizeof(m), "%s", e->msg);
		st_fail(e, ret, "%s in the %s %s", m, rd->ops->name, rd->where);
	}
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	const char *serial = NULL;
	struct rep_opts o;
	int ret;

	rep_opts_init(&o, "trace", "text");
	ret = parse(argc, argv, &o, &serial);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	return rep_run(&o, body, (void *)serial);
}
