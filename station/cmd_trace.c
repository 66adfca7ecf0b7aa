/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station trace SERIAL: the whole history of one unit (found by its board
 * serial, its certificate serial, or its SE / 802.1AR serial), every run
 * oldest first with steps, measurements, images, identity, CMS
 * registration and captured values: what a returned unit's analysis needs.
 */
#include <ctype.h>
#include <string.h>

#include "station/commands.h"
#include "station/report_core.h"

#define MAX_UNITS 16

static const char units_sql[] =
	"SELECT unit_serial FROM runs WHERE unit_serial = ?1"
	" UNION SELECT r.unit_serial FROM identities i JOIN runs r ON r.id = i.run_id"
	" WHERE (i.cert_serial = ?2 COLLATE NOCASE OR i.subject_serial = ?1"
	" OR i.chip_serial = ?1) AND r.unit_serial IS NOT NULL ORDER BY 1";

static const char runs_sql[] =
	"SELECT id, unit_serial, station, fixture, operator, sequence_name, sequence_version,"
	" sequence_sha256, software_version, " REP_ISO("started_us") " AS started, "
	REP_ISO("ended_us") " AS ended, outcome, reason, last_step"
	" FROM runs WHERE unit_serial = ?1 ORDER BY started_us, id";

static const char steps_sql[] =
	"SELECT id, idx AS \"index\", name, kind, phase, outcome, reason, "
	REP_ISO("started_us") " AS started, duration_us, attempts"
	" FROM steps WHERE run_id = ?1 ORDER BY idx";

/* A step's attachments: one query per kind, with the key each goes under. */
static const struct child {
	const char *key, *sql;
} children[] = {
	{ "measurements", "SELECT name, value, text, unit, low, high, expect, outcome"
			  " FROM measurements WHERE step_id = ?1 ORDER BY id" },
	{ "images", "SELECT path, sha256, format, address, size, chip_id"
		    " FROM images WHERE step_id = ?1 ORDER BY id" },
	{ "identities", "SELECT chip_serial, cert_serial, subject, issuer, not_before, not_after,"
			" fingerprint, spki_sha256, subject_serial, masa_url, dpp_uri, nonce,"
			" signature, pem_chain FROM identities WHERE step_id = ?1 ORDER BY id" },
	{ "cms", "SELECT status, cms_id, attempts, http_status"
		 " FROM cms_registrations WHERE step_id = ?1 ORDER BY id" },
	{ "values", "SELECT key, value FROM step_values WHERE step_id = ?1 ORDER BY id" },
};
#define NCHILD ((int)(sizeof(children) / sizeof(children[0])))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: station trace [options] SERIAL\n"
		"\n"
		"Every run of one unit, oldest first, with its steps, measurements,\n"
		"flashed images, SE identity and CMS registration.  SERIAL is the board\n"
		"serial, or a certificate serial (hex, colons allowed), or the SE chip\n"
		"or 802.1AR serialNumber.\n"
		"\n"
		REP_HELP_DB
		"  -f, --format F         text (default), json, or label: one line\n"
		"                         'SERIAL<tab>DPP:...' for the device label, the DPP\n"
		"                         URI of the last identity of its last passed run\n"
		"  -o, --output FILE      write there instead of stdout\n"
		"  -h, --help             this text\n"
		"\n"
		"exit status: 0 found, 1 no such unit in the log, 2 usage, 4 log error\n");
}

/* "0A:1b:FF" / "0x0a1bff" -> "0a1bff" for certificate serial lookups. */
static void normalize_hex(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	for (; *in && n + 1 < cap; in++)
		if (*in != ':' && *in != ' ')
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
}

/* The rows of one attachment query as a JSON array. */
static json_t *child_rows(sqlite3 *h, const struct child *c, sqlite3_int64 step)
{
	sqlite3_stmt *st = rep_prepare(h, c->sql);
	json_t *a = json_array();

	if (!st)
		return a;
	sqlite3_bind_int64(st, 1, step);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, rep_row_json(st));
	sqlite3_finalize(st);
	return a;
}

static json_t *run_steps(sqlite3 *h, const char *run_id)
{
	sqlite3_stmt *st = rep_prepare(h, steps_sql);
	json_t *steps = json_array();

	if (!st)
		return steps;
	rep_bind_text(st, 1, run_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);
		json_t *s = rep_row_json(st);

		json_object_del(s, "id");
		for (int i = 0; i < NCHILD; i++)
			json_object_set_new(s, children[i].key, child_rows(h, &children[i], id));
		json_array_append_new(steps, s);
	}
	sqlite3_finalize(st);
	return steps;
}

static json_t *unit_runs(sqlite3 *h, const char *unit)
{
	sqlite3_stmt *st = rep_prepare(h, runs_sql);
	json_t *runs = json_array();

	if (!st)
		return runs;
	rep_bind_text(st, 1, unit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *r = rep_row_json(st);

		json_object_set_new(r, "steps",
				    run_steps(h, json_string_value(json_object_get(r, "id"))));
		json_array_append_new(runs, r);
	}
	sqlite3_finalize(st);
	return runs;
}

/* Field text for the terminal, "" for null. */
static const char *field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static void text_value(FILE *f, json_t *v)
{
	if (json_is_real(v))
		fprintf(f, "%.15g", json_real_value(v));
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		fputs(json_string_value(v), f);
	else
		fputs("-", f);
}

static void text_step(FILE *f, json_t *s)
{
	json_t *v, *m;
	size_t i;

	fprintf(f, "  %3lld %-24s %-8s", (long long)json_integer_value(json_object_get(s, "index")),
		field(s, "name"), field(s, "outcome"));
	v = json_object_get(s, "duration_us");
	if (json_is_integer(v))
		fprintf(f, " %8.3fs", json_integer_value(v) / 1e6);
	fprintf(f, "%s%s\n", *field(s, "reason") ? "  " : "", field(s, "reason"));
	json_array_foreach(json_object_get(s, "measurements"), i, m) {
		fprintf(f, "        %s = ", field(m, "name"));
		text_value(f, json_is_null(json_object_get(m, "value")) ?
			   json_object_get(m, "text") : json_object_get(m, "value"));
		fprintf(f, " %s  [", field(m, "unit"));
		text_value(f, json_object_get(m, "low"));
		fputs(", ", f);
		text_value(f, json_object_get(m, "high"));
		fprintf(f, "]  %s\n", field(m, "outcome"));
	}
	json_array_foreach(json_object_get(s, "images"), i, m) {
		fprintf(f, "        image %s sha256 %s at 0x%08llx, ", field(m, "path"),
			field(m, "sha256"), (long long)json_integer_value(json_object_get(m, "address")));
		text_value(f, json_object_get(m, "size"));
		fputs(" bytes\n", f);
	}
	json_array_foreach(json_object_get(s, "identities"), i, m)
		fprintf(f, "        identity cert serial %s  subject %s  issuer %s\n"
			"                 fingerprint %s  spki %s  serialNumber %s\n",
			field(m, "cert_serial"), field(m, "subject"), field(m, "issuer"),
			field(m, "fingerprint"), field(m, "spki_sha256"), field(m, "subject_serial"));
	json_array_foreach(json_object_get(s, "cms"), i, m) {
		fprintf(f, "        cms %s id %s attempts ", field(m, "status"), field(m, "cms_id"));
		text_value(f, json_object_get(m, "attempts"));
		fputs(" http ", f);
		text_value(f, json_object_get(m, "http_status"));
		fputc('\n', f);
	}
	json_array_foreach(json_object_get(s, "values"), i, m)
		fprintf(f, "        %s = %s\n", field(m, "key"), field(m, "value"));
}

static void text_unit(FILE *f, json_t *u)
{
	json_t *runs = json_object_get(u, "runs"), *r, *s;
	size_t i, j;

	fprintf(f, "unit %s: %zu run%s\n", field(u, "unit_serial"), json_array_size(runs),
		json_array_size(runs) == 1 ? "" : "s");
	json_array_foreach(runs, i, r) {
		fprintf(f, "\nrun %s  %s  %s\n  started %s  ended %s  fixture %s @ %s  operator %s\n"
			"  sequence %s %s (sha256 %s)  software %s\n", field(r, "id"),
			field(r, "outcome"), field(r, "reason"), field(r, "started"), field(r, "ended"),
			field(r, "fixture"), field(r, "station"), field(r, "operator"),
			field(r, "sequence_name"), field(r, "sequence_version"),
			field(r, "sequence_sha256"), field(r, "software_version"));
		json_array_foreach(json_object_get(r, "steps"), j, s)
			text_step(f, s);
	}
}

/* The label line: serial, tab, the DPP bootstrapping URI of the identity
 * last established (the last passed step with one) in the unit's last
 * passed run; for printing on the device label (Wi-Fi Easy Connect). */
static int label_unit(FILE *f, json_t *u)
{
	json_t *r, *s, *id;
	const char *dpp = NULL;
	size_t i, j, k;

	json_array_foreach(json_object_get(u, "runs"), i, r) {
		const char *last = NULL;

		if (strcmp(field(r, "outcome"), "pass"))
			continue;
		json_array_foreach(json_object_get(r, "steps"), j, s)
			json_array_foreach(json_object_get(s, "identities"), k, id)
				if (!strcmp(field(s, "outcome"), "pass") && *field(id, "dpp_uri"))
					last = field(id, "dpp_uri");
		if (last)
			dpp = last;
	}
	if (!dpp) {
		fprintf(stderr, "station trace: unit %s has no passed run with a DPP URI: no "
			"label\n", field(u, "unit_serial"));
		return EXIT_UNIT_FAIL;
	}
	fprintf(f, "%s\t%s\n", field(u, "unit_serial"), dpp);
	return 0;
}

static int find_units(sqlite3 *h, const char *serial, json_t *units)
{
	sqlite3_stmt *st = rep_prepare(h, units_sql);
	char hex[256];

	if (!st)
		return EXIT_STATION;
	normalize_hex(serial, hex, sizeof(hex));
	rep_bind_text(st, 1, serial);
	rep_bind_text(st, 2, hex);
	while (sqlite3_step(st) == SQLITE_ROW && json_array_size(units) < MAX_UNITS) {
		const char *u = (const char *)sqlite3_column_text(st, 0);

		json_array_append_new(units, json_pack("{s:s,s:o}", "unit_serial", u,
						       "runs", unit_runs(h, u)));
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : EXIT_STATION;
}

static int parse(int argc, char **argv, struct rep_opts *o, const char **serial)
{
	static const struct option lo[] = {
		REP_LONGOPTS_DB,
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
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

int cmd_trace(int argc, char **argv)
{
	json_t *root = NULL, *units = json_array(), *u;
	const char *serial = NULL;
	struct rep_opts o;
	struct db *db = NULL;
	FILE *out;
	size_t i;
	int ret;

	rep_opts_init(&o, "trace", "text");
	ret = parse(argc, argv, &o, &serial);
	if (ret)
		goto out;
	ret = rep_open(&o, &db);
	if (ret)
		goto out;
	ret = find_units(db_handle(db), serial, units);
	if (ret)
		goto out;
	if (!json_array_size(units)) {
		fprintf(stderr, "station trace: no unit with serial or certificate serial '%s' in "
			"the log %s\n", serial, o.db_path);
		ret = EXIT_UNIT_FAIL;
		goto out;
	}
	out = rep_out_open(&o);
	if (!out) {
		ret = EXIT_STATION;
		goto out;
	}
	if (!strcmp(o.format, "json")) {
		root = json_pack("{s:s,s:O}", "query", serial, "units", units);
		rep_json_print(out, root, true);
	} else if (!strcmp(o.format, "label")) {
		json_array_foreach(units, i, u)
			if (label_unit(out, u))
				ret = EXIT_UNIT_FAIL;
	} else {
		json_array_foreach(units, i, u)
			text_unit(out, u);
	}
	if (rep_out_close(&o, out) && !ret)
		ret = EXIT_STATION;
out:
	json_decref(root);
	json_decref(units);
	db_close(db);
	return ret < 0 ? EXIT_PASS : ret;
}
