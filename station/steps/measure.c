/* SPDX-License-Identifier: Apache-2.0 */
/*
 * measure: read a value from a console response and judge it against limits.
 *   measure:
 *     name: rail_3v3
 *     command: rail 3v3
 *     pattern: 'rail 3v3: ([-0-9.]+) V'
 *     unit: V
 *     low: 3.2
 *     high: 3.4          # or  limit: rail_3v3  (from the limits table)
 *                        # or  expect: pass     (string measurement)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "station/steps/steps.h"

#define MEASURE_RESP_MAX 4096

struct measure_cfg {
	struct judge j;
	char *command;
	char *pattern;
};

static const char *const measure_keys[] = { "name", "command", "pattern", "unit", "low", "high",
					    "limit", "expect", NULL };

static void measure_free(void *p)
{
	struct measure_cfg *c = p;

	judge_free(&c->j);
	free(c->command);
	free(c->pattern);
	free(c);
}

static int measure_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct measure_cfg *c = calloc(1, sizeof(*c));
	int groups = 0;

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	c->j.low = c->j.high = NAN;
	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "measure: expects a mapping with command, pattern and limits");
		return ST_ERR_PARSE;
	}
	lint_keys(l, n, measure_keys, "measure");
	lint_str(l, n, "command", true, &c->command);
	lint_str(l, n, "pattern", true, &c->pattern);
	if (c->command)
		lint_vars(l, ynode_get(n, "command"), c->command);
	if (c->pattern && lint_regex(l, ynode_get(n, "pattern"), c->pattern, &groups) &&
	    groups != 1)
		lint_err(l, ynode_get(n, "pattern"), groups ?
			 "measure: the pattern needs exactly one (group), around the value, not %d" :
			 "measure: the pattern needs a (group) around the value", groups);
	judge_parse(&c->j, s, n, l, "measure");
	return ST_OK;
}

static void measure_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct measure_cfg *c = s->cfg;
	char resp[MEASURE_RESP_MAX], val[256];
	char *cmd = rc_expand(rc, r, c->command);

	/* on failure rc_expand and rc_console say why in r */
	if (!cmd || rc_console(rc, r, cmd, resp, sizeof(resp)) < 0)
		goto out;
	if (rx_match(c->pattern, resp, val, sizeof(val)) < 0) {
		sr_set(r, DB_FAIL, "%s: '%s' not found in the answer to '%s': '%.200s'", c->j.name,
		       c->pattern, cmd, resp);
		goto out;
	}
	judge_value(&c->j, rc, r, val);
out:
	free(cmd);
}

static void measure_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct measure_cfg *c = s->cfg;

	fprintf(out, "      send '%s', read '%s' as %s", c->command, c->pattern, c->j.name);
	judge_plan(&c->j, rc, out);
}

const struct step_kind step_measure = {
	.name = "measure",
	.summary = "read a value from a console answer and judge it against limits",
	.default_timeout_s = 10,
	.parse = measure_parse,
	.run = measure_run,
	.plan = measure_plan,
	.free_cfg = measure_free,
};
