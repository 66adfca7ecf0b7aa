/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station run --json: the run's events, one compact JSON object per line,
 * flushed at once, so a line controller or an MES reads them as they
 * happen.  docs/operators.md, "The --json events", is the schema
 * (REP_EVENTS_SCHEMA).  Every text goes in as stored (common/text.h: valid
 * UTF-8, other bytes as \xNN), so no event is ever dropped for its text.
 */
#include <math.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "report/report-internal.h"

/* A string as stored, or null (NULL, out of memory: set() writes null). */
static json_t *str(const char *s)
{
	return rep_json_text(s);
}

static json_t *num(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

/* An event: what and where first (line controllers grep for them), then
 * its own keys, then the rest of the envelope (emit()). */
static json_t *event(const struct rep_event_ctx *c, const char *what)
{
	json_t *o = json_object();

	set(o, "event", json_string(what));
	set(o, "fixture", str(c->fixture));
	return o;
}

/* The envelope's other keys, and the line. */
static void emit(FILE *f, const struct rep_event_ctx *c, json_t *o)
{
	struct timeval tv;
	struct tm tm;
	char t[40], ts[48], *s;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts, sizeof(ts), "%s.%03dZ", t, (int)(tv.tv_usec / 1000));
	set(o, "schema", json_integer(REP_EVENTS_SCHEMA));
	set(o, "time", json_string(ts));
	set(o, "station", str(c->station));
	set(o, "run_id", str(c->run_id && *c->run_id ? c->run_id : NULL));
	set(o, "sequence", str(c->sequence));
	set(o, "sequence_version", str(c->sequence_version));
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	if (s) {
		fprintf(f, "%s\n", s);
		fflush(f);
		free(s);
	}
	json_decref(o);
}

void rep_event_run_start(FILE *f, const struct rep_event_ctx *c, const char *serial)
{
	json_t *o = event(c, "run_start");

	set(o, "serial", str(serial && *serial ? serial : NULL));
	emit(f, c, o);
}

void rep_event_step_start(FILE *f, const struct rep_event_ctx *c, int index, const char *step)
{
	json_t *o = event(c, "step_start");

	set(o, "index", json_integer(index));
	set(o, "step", str(step));
	emit(f, c, o);
}

static json_t *measurement(const struct db_measurement *m)
{
	json_t *o = json_object();

	set(o, "name", str(m->name));
	set(o, "value", m->text ? str(m->text) : num(m->value));
	set(o, "unit", str(m->unit));
	set(o, "low", num(m->low));
	set(o, "high", num(m->high));
	if (m->expect)
		set(o, "expect", str(m->expect));
	set(o, "outcome", json_string(db_outcome_name(m->outcome)));
	return o;
}

static json_t *identity(const struct db_identity *id)
{
	json_t *o = json_object();

	set(o, "subject_serial", str(id->subject_serial));
	set(o, "cert_serial", str(id->cert_serial));
	set(o, "chip_serial", str(id->chip_serial));
	set(o, "subject", str(id->subject));
	set(o, "issuer", str(id->issuer));
	set(o, "not_before", str(id->not_before));
	set(o, "not_after", str(id->not_after));
	set(o, "fingerprint", str(id->fingerprint));
	set(o, "masa_url", str(id->masa_url));
	set(o, "dpp_uri", str(id->dpp_uri));
	return o;
}

void rep_event_step_end(FILE *f, const struct rep_event_ctx *c, const struct rep_event_step *s)
{
	json_t *o = event(c, "step_end"), *ms = json_array();

	set(o, "step", str(s->step));
	set(o, "outcome", str(s->outcome));
	set(o, "seconds", json_real(s->seconds));
	if (s->reason)
		set(o, "reason", str(s->reason));
	for (int i = 0; i < s->n_meas; i++) {
		json_array_append_new(ms, measurement(&s->meas[i]));
		/* (schema 1 also gives each number under its name, as before) */
		if (!s->meas[i].text && s->meas[i].name && !json_object_get(o, s->meas[i].name))
			set(o, s->meas[i].name, num(s->meas[i].value));
	}
	set(o, "index", json_integer(s->index));
	set(o, "measurements", ms);
	if (s->identity)
		set(o, "identity", identity(s->identity));
	if (s->cms) {
		json_t *m = json_object();

		set(m, "status", str(s->cms->status));
		set(m, "cms_id", str(s->cms->cms_id));
		set(m, "attempts", json_integer(s->cms->attempts));
		set(m, "http_status", s->cms->http_status ? json_integer(s->cms->http_status) : NULL);
		set(o, "cms", m);
	}
	emit(f, c, o);
}

void rep_event_progress(FILE *f, const struct rep_event_ctx *c, uint64_t done, uint64_t total,
			double bytes_per_s)
{
	json_t *o = event(c, "progress");

	set(o, "done", json_integer((json_int_t)done));
	set(o, "total", json_integer((json_int_t)total));
	set(o, "bytes_per_s", json_real(bytes_per_s));
	emit(f, c, o);
}

void rep_event_run_end(FILE *f, const struct rep_event_ctx *c, const char *serial,
		       const char *verdict, double seconds, const char *failed_step,
		       const char *reason)
{
	json_t *o = event(c, "run_end");

	set(o, "serial", str(serial && *serial ? serial : NULL));
	set(o, "verdict", str(verdict));
	set(o, "seconds", json_real(seconds));
	if (failed_step)
		set(o, "failed_step", str(failed_step));
	if (reason)
		set(o, "reason", str(reason));
	emit(f, c, o);
}

void rep_event_fixture_fault(FILE *f, const struct rep_event_ctx *c, const char *reason)
{
	json_t *o = event(c, "fixture_fault");

	set(o, "reason", str(reason));
	emit(f, c, o);
}

void rep_event_not_tested(FILE *f, const struct rep_event_ctx *c, const char *serial,
			  const char *reason)
{
	json_t *o = event(c, "not_tested");

	set(o, "serial", str(serial));
	set(o, "reason", str(reason));
	emit(f, c, o);
}

void rep_event_summary(FILE *f, const struct rep_event_ctx *c, const struct rep_event_summary *s)
{
	json_t *o = event(c, "summary");

	set(o, "passed", json_integer(s->passed));
	set(o, "failed", json_integer(s->failed));
	set(o, "error", json_integer(s->error));
	set(o, "aborted", json_integer(s->aborted));
	set(o, "not_tested", json_integer(s->not_tested));
	set(o, "exit_status", json_integer(s->exit_status));
	set(o, "log", str(s->log));
	emit(f, c, o);
}
