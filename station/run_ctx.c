/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a step kind gets from the run it is part of (engine.h): the clocks
 * and the time left of the step, its result (a verdict with its reason,
 * values and strings it owns), variables expanded, the fixture's line
 * opened on first use, and a sleep that a stop request ends early.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "station/engine.h"

int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int rc_remaining_ms(const struct run_ctx *rc)
{
	int64_t left = rc->deadline_us - now_us();

	if (left <= 0)
		return 0;
	/* Rounded up, and one more: a wait that ends at the step's deadline
	 * ends past it, so run_attempt() names the timeout in the verdict.
	 * The waits keep their own deadline on a millisecond clock that
	 * truncates (link_now_ms), which can end them up to 1 ms early. */
	return (int)((left + 999) / 1000) + 1;
}

enum db_outcome rc_outcome_of(int err)
{
	switch (err) {
	case ST_ERR_IO: case ST_ERR_CLOSED: case ST_ERR_NOMEM: case ST_ERR_ARG:
	case ST_ERR_ABORTED: case ST_ERR_DB: case ST_ERR_TLS: case ST_ERR_HTTP:
	case ST_ERR_BUSY: case ST_ERR_NOTFOUND:
		return DB_ERROR;
	default:
		return DB_FAIL;
	}
}

bool rc_stopped(const struct run_ctx *rc)
{
	return rc->stop && atomic_load(rc->stop);
}

void rc_out_of_time(struct run_ctx *rc)
{
	rc->out_of_time = true;
}

_Static_assert(sizeof(struct db_identity) + sizeof(struct db_image) + sizeof(struct db_cms) <=
	       SR_RECORD_STRS * sizeof(char *), "SR_RECORD_STRS: a step result's records "
	       "hold more strings than it can own");
_Static_assert(sizeof(((struct step_result *)0)->owned) / sizeof(char *) == SR_MAX_STRS,
	       "owned[] holds SR_MAX_STRS strings");

#define SR_LOST_NOTE "(not kept: the step's result is full)"

const char *sr_str(struct step_result *r, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	if (r->n_owned >= SR_MAX_STRS) {
		r->lost = "strings";
		return SR_LOST_NOTE;
	}
	d = strdup(s);
	if (!d) {
		r->lost = "strings (out of memory)";
		return SR_LOST_NOTE;
	}
	r->owned[r->n_owned++] = d;
	return d;
}

void sr_kv(struct step_result *r, const char *key, const char *value)
{
	if (r->n_kv >= SR_MAX_KV) {
		r->lost = "values";
		return;
	}
	r->kv[r->n_kv].key = sr_str(r, key);
	r->kv[r->n_kv].value = sr_str(r, value);
	r->n_kv++;
}

enum db_outcome sr_set(struct step_result *r, enum db_outcome o, const char *fmt, ...)
{
	va_list ap;

	r->outcome = o;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return o;
}

void sr_reset(struct step_result *r)
{
	for (int i = 0; i < r->n_owned; i++)
		free(r->owned[i]);
	memset(r, 0, sizeof(*r));
}

char *rc_expand(struct run_ctx *rc, struct step_result *r, const char *s)
{
	struct st_error e = { 0 };
	char *out = NULL;

	if (!s)
		return NULL;
	if (vars_expand(&rc->vars, s, &out, &e) < 0) {
		sr_set(r, DB_ERROR, "%s", e.msg);
		return NULL;
	}
	return out;
}

int rc_link(struct run_ctx *rc, struct link **out, struct st_error *e)
{
	int ret;

	if (!rc->link) {
		ret = link_open(&rc->link, rc->fxdef->port, &rc->fxdef->link, e);
		if (ret < 0)
			return ret;
	}
	*out = rc->link;
	return ST_OK;
}

void rc_sleep(struct run_ctx *rc, double seconds)
{
	int64_t end = now_us() + (int64_t)(seconds * 1e6);

	while (!rc_stopped(rc) && now_us() < end) {
		int64_t left = end - now_us();
		struct timespec ts = { 0, (left > 50000 ? 50000 : left) * 1000 };

		nanosleep(&ts, NULL);
	}
}
