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
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "station/steps/steps.h"

#define MEASURE_RESP_MAX 4096

struct measure_cfg {
	char *name;
	char *command;
	char *pattern;
	char *unit;
	char *expect;
	double low, high;
};

static const char *const measure_keys[] = { "name", "command", "pattern", "unit", "low", "high",
					    "limit", "expect", NULL };

static void measure_free(void *p)
{
	struct measure_cfg *c = p;

	free(c->name);
	free(c->command);
	free(c->pattern);
	free(c->unit);
	free(c->expect);
	free(c);
}

static int measure_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	struct measure_cfg *c = calloc(1, sizeof(*c));
	char *limit = NULL;
	bool named = false;	/* a limit was named: no second error about it */
	int groups = 0;

	if (!c)
		return ST_ERR_NOMEM;
	s->cfg = c;
	c->low = c->high = NAN;
	if (!n || n->type != YN_MAP) {
		lint_err(l, n, "measure: expects a mapping with command, pattern and limits");
		return ST_ERR_PARSE;
	}
	lint_keys(l, n, measure_keys, "measure");
	lint_str(l, n, "name", false, &c->name);
	lint_str(l, n, "command", true, &c->command);
	lint_str(l, n, "pattern", true, &c->pattern);
	lint_str(l, n, "unit", false, &c->unit);
	lint_str(l, n, "expect", false, &c->expect);
	lint_str(l, n, "limit", false, &limit);
	lint_num(l, n, "low", false, &c->low);
	lint_num(l, n, "high", false, &c->high);
	if (!c->name)
		c->name = strdup(s->id ? s->id : s->name ? s->name : "value");
	if (c->command)
		lint_vars(l, ynode_get(n, "command"), c->command);
	if (c->pattern && lint_regex(l, ynode_get(n, "pattern"), c->pattern, &groups) &&
	    groups != 1)
		lint_err(l, ynode_get(n, "pattern"), groups ?
			 "measure: the pattern needs exactly one (group), around the value, not %d" :
			 "measure: the pattern needs a (group) around the value", groups);
	if (limit) {
		static const char *const inline_keys[] = { "low", "high", "unit", "expect" };

		named = true;
		/* one source of limits: the table's, or inline ones, not a mix */
		for (size_t i = 0; i < sizeof(inline_keys) / sizeof(inline_keys[0]); i++)
			if (ynode_get(n, inline_keys[i]))
				lint_err(l, ynode_get(n, inline_keys[i]),
					 "measure: '%s' next to 'limit: %s': take the limits from the "
					 "table or write them here, not both", inline_keys[i], limit);
		const struct seq_limit *lim = sequence_limit(lint_sequence(l), limit);

		if (!lim && lint_defer_limit(l, limit)) {
			/* a library file: the including flow's table has it */
		} else if (!lim) {
			lint_err(l, ynode_get(n, "limit"), "no limit named '%s' in the limits table",
				 limit);
		} else {
			c->low = lim->low;
			c->high = lim->high;
			if (lim->unit && !c->unit)
				c->unit = strdup(lim->unit);
			if (lim->expect && !c->expect)
				c->expect = strdup(lim->expect);
		}
		free(limit);
	}
	/* a named limit's own low > high is reported once, at the limits table */
	if (!named && !isnan(c->low) && !isnan(c->high) && c->low > c->high)
		lint_err(l, n, "measure '%s': low (%g) is greater than high (%g)", c->name, c->low,
			 c->high);
	if (isnan(c->low) && isnan(c->high) && !c->expect && !named)
		lint_err(l, n, "measure '%s' has no limits: add low/high, expect, or limit", c->name);
	/* ${name} holds the value: a name given is checked; one taken from the
	 * step's name defines a variable only when it is an identifier */
	if (ynode_get(n, "name"))
		lint_capture(l, ynode_get(n, "name"), c->name, "measurement");
	else if (vars_is_ident(c->name) && !seq_reserved(c->name))
		lint_define(l, c->name);
	return ST_OK;
}

static void measure_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	const struct measure_cfg *c = s->cfg;
	struct db_measurement *m = &r->meas[0];
	char resp[MEASURE_RESP_MAX], val[256];
	char *cmd = rc_expand(rc, r, c->command), *end;
	bool ok;

	/* on failure rc_expand and rc_console say why in r */
	if (!cmd || rc_console(rc, r, cmd, resp, sizeof(resp)) < 0)
		goto out;
	if (rx_match(c->pattern, resp, val, sizeof(val)) < 0) {
		sr_set(r, DB_FAIL, "%s: '%s' not found in the answer to '%s': '%.200s'", c->name,
		       c->pattern, cmd, resp);
		goto out;
	}
	r->n_meas = 1;
	m->name = c->name;
	m->unit = c->unit;
	m->low = c->low;
	m->high = c->high;
	/* the fixture may override the sequence's limits (logged as used) */
	if (rc->fxdef) {
		const struct fx_limit *fl = fixture_def_limit(rc->fxdef, c->name);

		if (fl && !isnan(fl->low))
			m->low = fl->low;
		if (fl && !isnan(fl->high))
			m->high = fl->high;
	}
	m->expect = c->expect;
	m->value = NAN;
	vars_set(&rc->vars, c->name, val);
	if (c->expect) {
		m->text = sr_str(r, val);
		ok = !strcmp(val, c->expect);
		m->outcome = ok ? DB_PASS : DB_FAIL;
		if (!ok)
			sr_set(r, DB_FAIL, "%s = '%s', expected '%s'", c->name, val, c->expect);
		goto out;
	}
	errno = 0;
	m->value = strtod(val, &end);
	if (end == val || *end || errno) {
		m->text = sr_str(r, val);
		m->outcome = DB_FAIL;
		sr_set(r, DB_FAIL, "%s: '%s' is not a number", c->name, val);
		goto out;
	}
	ok = (isnan(m->low) || m->value >= m->low) && (isnan(m->high) || m->value <= m->high);
	m->outcome = ok ? DB_PASS : DB_FAIL;
	if (!ok)
		sr_set(r, DB_FAIL, "%s = %g %s, outside [%g, %g]", c->name, m->value,
		       c->unit ? c->unit : "", m->low, m->high);
out:
	free(cmd);
}

static void measure_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	const struct measure_cfg *c = s->cfg;
	const struct fx_limit *fl = rc->fxdef ? fixture_def_limit(rc->fxdef, c->name) : NULL;

	fprintf(out, "      send '%s', read '%s' as %s", c->command, c->pattern, c->name);
	if (c->expect)
		fprintf(out, ", expect '%s'\n", c->expect);
	else if (fl)
		fprintf(out, ", limits [%g, %g] %s (fixture %s overrides [%g, %g])\n",
			isnan(fl->low) ? c->low : fl->low, isnan(fl->high) ? c->high : fl->high,
			c->unit ? c->unit : "", rc->fxdef->name, c->low, c->high);
	else
		fprintf(out, ", limits [%g, %g] %s\n", c->low, c->high, c->unit ? c->unit : "");
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
