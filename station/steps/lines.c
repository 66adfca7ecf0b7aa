/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lines: drive fixture lines, in the order written (electrical order
 * matters: BOOT before power, RESET released last).
 *   lines: {boot: on, power: on}
 *   lines: {reset: pulse, pulse: 50ms, settle: 100ms}
 */
#include <stdlib.h>
#include <string.h>

#include "station/steps/steps.h"

enum line_action { LA_OFF, LA_ON, LA_PULSE };

struct lines_cfg {
	int n;
	enum fx_line line[FX_LINE_COUNT * 2];
	enum line_action act[FX_LINE_COUNT * 2];
	double pulse_s;
	double settle_s;
};

static int lines_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct lines_cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	c->pulse_s = 0.02;
	if (!n || n->type != YN_MAP) {
		lint_err(l, n ? n : NULL, "lines: expects a mapping such as {power: on, boot: off}");
		return ST_ERR_PARSE;
	}
	for (int i = 0; i < n->n; i++) {
		const char *k = n->keys[i]->str;
		const struct ynode *v = n->items[i];
		int line;

		if (!strcmp(k, "pulse")) {
			lint_duration(l, v, &c->pulse_s);
			continue;
		}
		if (!strcmp(k, "settle")) {
			lint_duration(l, v, &c->settle_s);
			continue;
		}
		line = fx_line_from_name(k);
		if (line < 0 || line == FX_LID) {
			lint_err(l, n->keys[i], "unknown output line '%s' (lines: power, boot, reset, led-pass, led-fail; keys: pulse, settle)",
				 k);
			continue;
		}
		if (v->type != YN_SCALAR) {
			lint_err(l, v, "line '%s' must be on, off or pulse", k);
			continue;
		}
		if (!strcmp(v->str, "on") || !strcmp(v->str, "true") || !strcmp(v->str, "high"))
			c->act[c->n] = LA_ON;
		else if (!strcmp(v->str, "off") || !strcmp(v->str, "false") || !strcmp(v->str, "low"))
			c->act[c->n] = LA_OFF;
		else if (!strcmp(v->str, "pulse"))
			c->act[c->n] = LA_PULSE;
		else {
			lint_err(l, v, "line '%s' must be on, off or pulse, not '%s'", k, v->str);
			continue;
		}
		if (c->n < FX_LINE_COUNT * 2)
			c->line[c->n++] = (enum fx_line)line;
	}
	if (!n->n)
		lint_err(l, n, "lines: names no line to set");
	return ST_OK;
}

static void lines_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct lines_cfg *c = s->cfg;
	struct st_error e = { 0 };
	int ret;

	for (int i = 0; i < c->n; i++) {
		bool on = c->act[i] != LA_OFF;

		ret = fixture_set(rc->fx, c->line[i], on, &e);
		if (ret == ST_OK && c->act[i] == LA_PULSE) {
			rc_sleep(rc, c->pulse_s);
			ret = fixture_set(rc->fx, c->line[i], false, &e);
		}
		if (ret < 0) {
			sr_set(r, DB_ERROR, "cannot set line %s: %s", fx_line_name(c->line[i]), e.msg);
			return;
		}
	}
	if (c->settle_s > 0)
		rc_sleep(rc, c->settle_s);
}

static void lines_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct lines_cfg *c = s->cfg;
	static const char *const acts[] = { "off", "on", "pulse" };

	(void)rc;
	fprintf(out, "      ");
	for (int i = 0; i < c->n; i++)
		fprintf(out, "%s%s=%s", i ? ", " : "", fx_line_name(c->line[i]), acts[c->act[i]]);
	fprintf(out, "\n");
}

const struct step_kind step_lines = {
	.name = "lines",
	.summary = "set fixture lines (power, boot, reset, LEDs) on, off or pulse, in order",
	.default_timeout_s = 5,
	.parse = lines_parse,
	.run = lines_run,
	.plan = lines_plan,
	.free_cfg = free,
};
