/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station trace's document: the whole history of one unit (found by its
 * board serial, its certificate serial, or its SE / 802.1AR serial, or the
 * run id of a run without a unit serial), its suspect marks, and every
 * run oldest first with steps, measurements, images, identity, CMS
 * registration and captured values, as text, JSON or the label line.
 */
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "report/report-internal.h"

#define MAX_UNITS 16

/* Each query's rows are gathered into a JSON array first: the next query
 * runs after the previous one has ended (the log has one connection). */
static int collect(void *ctx, const struct db_row *row)
{
	if (!row->columns_only)
		json_array_append_new(ctx, rep_row_json(row));
	return 0;
}

static json_t *rows(const struct db_reader *rd, enum db_trace_q q, const char *key, int64_t id,
		    struct st_error *e, int *ret)
{
	json_t *a = json_array();

	if (!*ret)
		*ret = rd_trace_rows(rd, q, key, id, collect, a, e);
	return a;
}

static json_t *run_steps(const struct db_reader *rd, const char *run_id, struct st_error *e, int *ret)
{
	json_t *steps = rows(rd, DB_TRACE_STEPS, run_id, 0, e, ret), *s;
	size_t i;

	json_array_foreach(steps, i, s) {
		json_int_t id = json_integer_value(json_object_get(s, "id"));

		json_object_del(s, "id");
		for (int q = DB_TRACE_MEASUREMENTS; q < DB_TRACE__COUNT; q++)
			json_object_set_new(s, db_trace_name(q), rows(rd, q, run_id, id, e, ret));
	}
	return steps;
}

static json_t *unit_runs(const struct db_reader *rd, const char *unit, struct st_error *e, int *ret)
{
	json_t *runs = rows(rd, DB_TRACE_RUNS, unit, 0, e, ret), *r;
	size_t i;

	json_array_foreach(runs, i, r)
		json_object_set_new(r, "steps",
				    run_steps(rd, json_string_value(json_object_get(r, "id")), e, ret));
	return runs;
}

/* Every string in j as it may be shown (common/text.h): what is printed
 * for a terminal came from outside (serials, board replies, reasons). */
static void show_strings(json_t *j)
{
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach_safe(j, tmp, k, v) {
			if (json_is_string(v) && !st_text_is_clean(json_string_value(v))) {
				char *t = st_text_show_dup(json_string_value(v));

				if (t)
					json_object_set_new(j, k, json_string(t));
				free(t);
			} else {
				show_strings(v);
			}
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			show_strings(v);
	}
}

/* Field text for the terminal, "" for null. */
static const char *field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* A name that is never null (fixture, station): the empty one as "", as
 * every text shows it (rep_name_dup). */
static const char *name_field(json_t *o, const char *k)
{
	const char *s = field(o, k);

	return *s ? s : "\"\"";
}

/* A name that may be null (the operator: none given): "-", the reports'
 * spelling of no value, not nothing after its label. */
static const char *opt_name_field(json_t *o, const char *k)
{
	return json_is_string(json_object_get(o, k)) ? name_field(o, k) : "-";
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

	r = json_array_get(runs, 0);
	if (json_array_size(runs) == 1 && !json_string_value(json_object_get(r, "unit_serial")))
		/* found by its id: a run without a serial is no unit */
		fprintf(f, "run %s, no serial: 1 run\n", field(r, "id"));
	else
		fprintf(f, "unit %s: %zu run%s\n", field(u, "unit_serial"),
			json_array_size(runs), json_array_size(runs) == 1 ? "" : "s");
	json_array_foreach(json_object_get(u, "suspect"), i, s)
		fprintf(f, "  SUSPECT (%s) %s: %s\n", field(s, "role"), field(s, "time"),
			field(s, "reason"));
	json_array_foreach(runs, i, r) {
		fprintf(f, "\nrun %s  %s  %s\n  started %s  ended %s  fixture %s @ %s  operator %s\n"
			"  sequence %s %s (sha256 %s)  software %s\n", field(r, "id"),
			field(r, "outcome"), field(r, "reason"), field(r, "started"), field(r, "ended"),
			name_field(r, "fixture"), name_field(r, "station"), opt_name_field(r, "operator"),
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
	if (!dpp)
		return -1;
	fprintf(f, "%s\t%s\n", field(u, "unit_serial"), dpp);
	return 0;
}

int report_run(FILE *out, const struct db_reader *rd, const char *run_id, struct st_error *e)
{
	int ret = 0;
	json_t *found = rows(rd, DB_TRACE_RUN, run_id, 0, e, &ret), *run = json_array_get(found, 0);

	if (!ret && !run) {
		char *q = st_text_show_dup(run_id);

		ret = st_fail(e, ST_ERR_NOTFOUND, "no run '%s' in the log", q ? q : "?");
		free(q);
	}
	if (!ret) {
		json_object_set_new(run, "steps", run_steps(rd, run_id, e, &ret));
		if (!ret)
			rep_json_print(out, run, true);
	}
	json_decref(found);
	return ret;
}

int report_trace(FILE *out, const struct db_reader *rd, const char *serial, const char *format,
		 struct st_error *e)
{
	int ret = 0;
	json_t *found = rows(rd, DB_TRACE_UNITS, serial, 0, e, &ret), *units = json_array(), *u;
	char *query = NULL;
	size_t i;

	json_array_foreach(found, i, u) {
		const char *unit = json_string_value(json_object_get(u, "unit_serial"));

		if (i == MAX_UNITS || !unit)
			break;
		json_array_append_new(units, json_pack("{s:o,s:o,s:o}", "unit_serial",
						       rep_json_text(unit),
						       "suspect", rows(rd, DB_TRACE_SUSPECTS, unit, 0,
								       e, &ret),
						       "runs", unit_runs(rd, unit, e, &ret)));
	}
	json_decref(found);
	query = st_text_show_dup(serial);
	if (!ret && !json_array_size(units))
		ret = st_fail(e, ST_ERR_NOTFOUND, "no unit with serial, certificate serial or SE "
			      "chip serial '%s', nor a run without a serial of that id",
			      query ? query : "?");
	if (ret)
		goto out;
	if (!strcmp(format, "json")) {
		/* the query as stored: valid UTF-8, a JSON string */
		char *q = st_text_utf8_dup(serial);
		json_t *root = json_pack("{s:s?,s:O}", "query", q, "units", units);

		rep_json_print(out, root, true);
		json_decref(root);
		free(q);
		goto out;
	}
	show_strings(units);
	if (!strcmp(format, "label")) {
		json_array_foreach(units, i, u) {
			json_t *sus = json_object_get(u, "suspect");

			/* a clone's original or copy gets no label (docs/identity.md) */
			if (json_array_size(sus))
				ret = st_fail(e, ST_ERR_FAIL, "unit %s is marked suspect (%s): no "
					      "label; quarantine the board and see 'station trace "
					      "%s'", field(u, "unit_serial"),
					      field(json_array_get(sus, 0), "reason"),
					      field(u, "unit_serial"));
			else if (label_unit(out, u))
				ret = st_fail(e, ST_ERR_FAIL, "unit %s has no passed run with a "
					      "DPP URI: no label", field(u, "unit_serial"));
		}
	} else {
		json_array_foreach(units, i, u)
			text_unit(out, u);
	}
out:
	free(query);
	json_decref(units);
	return ret;
}
