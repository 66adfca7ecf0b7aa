/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station run --json: the run's events, one compact JSON object per line,
 * flushed at once, so a line controller reads them as they happen.
 */
#include "report/report-internal.h"

static void emit(FILE *f, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));

	if (s) {
		fprintf(f, "%s\n", s);
		fflush(f);
		free(s);
	}
	json_decref(o);
}

void rep_event_run_start(FILE *f, const char *fixture, const char *run_id, const char *serial)
{
	emit(f, json_pack("{s:s, s:s, s:s, s:s}", "event", "run_start", "fixture", fixture,
			  "run_id", run_id, "serial", serial ? serial : ""));
}

void rep_event_step_start(FILE *f, const char *fixture, int index, const char *step)
{
	emit(f, json_pack("{s:s, s:s, s:i, s:s}", "event", "step_start", "fixture", fixture,
			  "index", index, "step", step));
}

void rep_event_step_end(FILE *f, const char *fixture, const char *step, const char *outcome,
			double seconds, const char *reason, const struct rep_event_meas *m, int n)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f}", "event", "step_end", "fixture", fixture,
			      "step", step, "outcome", outcome, "seconds", seconds);

	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	for (int i = 0; i < n; i++)
		json_object_set_new(o, m[i].name, json_real(m[i].value));
	emit(f, o);
}

void rep_event_progress(FILE *f, const char *fixture, uint64_t done, uint64_t total,
			double bytes_per_s)
{
	emit(f, json_pack("{s:s, s:s, s:I, s:I, s:f}", "event", "progress", "fixture", fixture,
			  "done", (json_int_t)done, "total", (json_int_t)total, "bytes_per_s",
			  bytes_per_s));
}

void rep_event_run_end(FILE *f, const char *fixture, const char *serial, const char *verdict,
		       double seconds, const char *failed_step, const char *reason)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:f}", "event", "run_end", "fixture", fixture,
			      "serial", serial ? serial : "", "verdict", verdict, "seconds", seconds);

	if (failed_step)
		json_object_set_new(j, "failed_step", json_string(failed_step));
	if (reason)
		json_object_set_new(j, "reason", json_string(reason));
	emit(f, j);
}
