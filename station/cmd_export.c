/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station export: runs, steps or measurements as CSV (RFC 4180, with a
 * header) or JSON lines (one object per row, typed values), for other
 * tools.  Rows are in run start order; filters are bound parameters.
 */
#include <string.h>

#include "station/commands.h"
#include "station/report_core.h"

static const struct what {
	const char *name, *sql;
} whats[] = {
	{ "runs",
	  "SELECT r.id AS run_id, r.unit_serial, r.station, r.fixture, r.operator,"
	  " r.sequence_name, r.sequence_version, r.sequence_sha256, r.software_version,"
	  " " REP_ISO("r.started_us") " AS started, " REP_ISO("r.ended_us") " AS ended,"
	  " r.started_us, r.ended_us, r.outcome, r.reason, r.last_step"
	  " FROM runs r WHERE " REP_WHERE " ORDER BY r.started_us, r.id" },
	{ "steps",
	  "SELECT s.run_id, r.unit_serial, r.fixture, r.sequence_name, r.sequence_version,"
	  " s.idx AS step_index, s.name AS step, s.kind, s.phase, s.outcome, s.reason,"
	  " " REP_ISO("s.started_us") " AS started, s.started_us, s.ended_us, s.duration_us,"
	  " s.attempts FROM steps s JOIN runs r ON r.id = s.run_id WHERE " REP_WHERE
	  " ORDER BY r.started_us, r.id, s.idx" },
	{ "measurements",
	  "SELECT m.run_id, r.unit_serial, r.fixture, r.sequence_name, r.sequence_version,"
	  " s.idx AS step_index, s.name AS step, m.name, m.value, m.text, m.unit, m.low, m.high,"
	  " m.expect, m.outcome, " REP_ISO("s.ended_us") " AS time"
	  " FROM measurements m JOIN steps s ON s.id = m.step_id JOIN runs r ON r.id = s.run_id"
	  " WHERE " REP_WHERE " ORDER BY r.started_us, r.id, s.idx, m.id" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station export [options]\n"
		"\n"
		"Runs, steps or measurements from the log as CSV or JSON lines, one\n"
		"row per line, oldest run first, for spreadsheets and other tools.\n"
		"\n"
		"  -w, --what W           runs (default), steps or measurements\n"
		"  -f, --format F         csv (default) or jsonl\n"
		"  -o, --output FILE      write there instead of stdout\n"
		REP_HELP_DB
		REP_HELP_FILTER
		"  -h, --help             this text\n"
		"\n"
		"Times: 'started'/'ended' ISO 8601 UTC, '*_us' unix microseconds.\n"
		"exit status: 0 done, 2 usage, 4 the log cannot be read\n");
}

static int parse(int argc, char **argv, struct rep_opts *o, const struct what **w)
{
	static const struct option lo[] = {
		REP_LONGOPTS_DB, REP_LONGOPTS_FILTER,
		{ "what", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
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
	for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++)
		if (!strcmp(o->what, whats[i].name))
			*w = &whats[i];
	if (!*w) {
		fprintf(stderr, "station export: --what is runs, steps or measurements, not '%s'\n",
			o->what);
		return EXIT_USAGE;
	}
	return rep_check_format(o, formats);
}

static int write_rows(sqlite3 *h, const struct rep_opts *o, const struct what *w, FILE *out)
{
	sqlite3_stmt *st = rep_prepare(h, w->sql);
	bool csv = !strcmp(o->format, "csv");
	int rc;

	if (!st)
		return EXIT_STATION;
	rep_bind_filter(st, &o->f);
	if (csv)
		rep_csv_header(out, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (csv) {
			rep_csv_row(out, st);
		} else {
			json_t *j = rep_row_json(st);

			rep_json_print(out, j, false);
			json_decref(j);
		}
	}
	if (rc != SQLITE_DONE)
		fprintf(stderr, "station export: reading the log failed: %s\n", sqlite3_errmsg(h));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : EXIT_STATION;
}

int cmd_export(int argc, char **argv)
{
	const struct what *w = NULL;
	struct rep_opts o;
	struct db *db = NULL;
	FILE *out;
	int ret;

	rep_opts_init(&o, "export", "csv");
	o.what = "runs";
	ret = parse(argc, argv, &o, &w);
	if (ret)
		return ret < 0 ? EXIT_PASS : ret;
	ret = rep_open(&o, &db);
	if (ret)
		return ret;
	out = rep_out_open(&o);
	if (!out) {
		db_close(db);
		return EXIT_STATION;
	}
	ret = write_rows(db_handle(db), &o, w, out);
	if (rep_out_close(&o, out) && !ret)
		ret = EXIT_STATION;
	db_close(db);
	return ret;
}
