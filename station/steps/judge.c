/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A value judged against limits: the keys every measuring step shares (name,
 * unit, low, high, limit, expect), checked at load, and the judgement with
 * its measurement record.  Used by measure (console), scpi (instruments)
 * and exec (a program's output).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "station/steps/steps.h"

void judge_free(struct judge *j)
{
	free(j->name);
	free(j->unit);
	free(j->expect);
}

/* A limit the table lacks, a near miss of its names named. */
static void no_limit(struct lint *l, const struct ynode *at, const char *limit)
{
	const struct sequence *seq = lint_sequence(l);
	int n = seq ? seq->n_limits : 0;
	const char **names = calloc((size_t)n + 1, sizeof(*names));
	const char *near = NULL;

	for (int i = 0; names && i < n; i++)
		names[i] = seq->limits[i].name;
	if (names)
		near = lint_suggest(limit, names);
	if (near)
		lint_err(l, at, "no limit named '%s' in the limits table (did you mean '%s'?)",
			 limit, near);
	else
		lint_err(l, at, "no limit named '%s' in the limits table", limit);
	free(names);
}

void judge_parse(struct judge *j, const struct step *s, const struct ynode *n, struct lint *l,
		 const char *what)
{
	static const char *const inline_keys[] = { "low", "high", "unit", "expect" };
	char *limit = NULL;
	bool named = false;	/* a limit was named: no second error about it */

	j->low = j->high = NAN;
	lint_str(l, n, "name", false, &j->name);
	lint_str(l, n, "unit", false, &j->unit);
	lint_str(l, n, "expect", false, &j->expect);
	lint_str(l, n, "limit", false, &limit);
	lint_num(l, n, "low", false, &j->low);
	lint_num(l, n, "high", false, &j->high);
	if (!j->name)
		j->name = strdup(s->id ? s->id : s->name ? s->name : "value");
	if (limit) {
		const struct seq_limit *lim = sequence_limit(lint_sequence(l), limit);

		named = true;
		/* one source of limits: the table's, or inline ones, not a mix */
		for (size_t i = 0; i < sizeof(inline_keys) / sizeof(inline_keys[0]); i++)
			if (ynode_get(n, inline_keys[i]))
				lint_err(l, ynode_get(n, inline_keys[i]),
					 "%s: '%s' next to 'limit: %s': take the limits from the "
					 "table or write them here, not both", what, inline_keys[i],
					 limit);
		if (!lim && lint_defer_limit(l, limit)) {
			/* a library file: the including flow's table has it */
		} else if (!lim) {
			no_limit(l, ynode_get(n, "limit"), limit);
		} else {
			j->low = lim->low;
			j->high = lim->high;
			if (lim->unit && !j->unit)
				j->unit = strdup(lim->unit);
			if (lim->expect && !j->expect)
				j->expect = strdup(lim->expect);
		}
		free(limit);
	}
	/* a named limit's own low > high is reported once, at the limits table */
	if (!named && !isnan(j->low) && !isnan(j->high) && j->low > j->high)
		lint_err(l, n, "%s '%s': low (%g) is greater than high (%g)", what, j->name, j->low,
			 j->high);
	if (isnan(j->low) && isnan(j->high) && !j->expect && !named)
		lint_err(l, n, "%s '%s' has no limits: add low/high, expect, or limit", what, j->name);
	/* ${name} holds the value: a name given is checked; one taken from the
	 * step's name defines a variable only when it is an identifier */
	if (ynode_get(n, "name"))
		lint_capture(l, ynode_get(n, "name"), j->name, "measurement");
	else if (vars_is_ident(j->name) && !seq_reserved(j->name))
		lint_define(l, j->name);
}

int judge_value(const struct judge *j, struct run_ctx *rc, struct step_result *r,
		const char *val)
{
	struct db_measurement *m;
	char *end;
	bool ok;

	if (r->n_meas >= SR_MAX_MEAS)
		return sr_set(r, DB_ERROR, "more than %d measurements in one step", SR_MAX_MEAS),
		       ST_ERR_LIMIT;
	m = &r->meas[r->n_meas++];
	m->name = j->name;
	m->unit = j->unit;
	m->low = j->low;
	m->high = j->high;
	/* the fixture may override the sequence's limits (logged as used) */
	if (rc->fxdef) {
		const struct fx_limit *fl = fixture_def_limit(rc->fxdef, j->name);

		if (fl && !isnan(fl->low))
			m->low = fl->low;
		if (fl && !isnan(fl->high))
			m->high = fl->high;
	}
	m->expect = j->expect;
	m->value = NAN;
	vars_set(&rc->vars, j->name, val);
	if (j->expect) {
		m->text = sr_str(r, val);
		ok = !strcmp(val, j->expect);
		m->outcome = ok ? DB_PASS : DB_FAIL;
		if (!ok)
			sr_set(r, DB_FAIL, "%s = '%s', expected '%s'", j->name, val, j->expect);
		return ok ? ST_OK : ST_ERR_FAIL;
	}
	errno = 0;
	m->value = strtod(val, &end);
	/* decimal only: strtod also reads hex ("0x10" is 16, "0x1p3" 8), which
	 * no reading means, as it reads "inf" and "nan" */
	if (end == val || *end || errno || !isfinite(m->value) || strpbrk(val, "xX")) {
		m->value = NAN;
		m->text = sr_str(r, val);
		m->outcome = DB_FAIL;
		sr_set(r, DB_FAIL, "%s: '%s' is not a number", j->name, val);
		return ST_ERR_FAIL;
	}
	ok = (isnan(m->low) || m->value >= m->low) && (isnan(m->high) || m->value <= m->high);
	m->outcome = ok ? DB_PASS : DB_FAIL;
	if (!ok)
		sr_set(r, DB_FAIL, "%s = %g %s, outside [%g, %g]", j->name, m->value,
		       j->unit ? j->unit : "", m->low, m->high);
	return ok ? ST_OK : ST_ERR_FAIL;
}

void judge_plan(const struct judge *j, struct run_ctx *rc, FILE *out)
{
	const struct fx_limit *fl = rc->fxdef ? fixture_def_limit(rc->fxdef, j->name) : NULL;

	if (j->expect)
		fprintf(out, ", expect '%s'\n", j->expect);
	else if (fl)
		fprintf(out, ", limits [%g, %g] %s (fixture %s overrides [%g, %g])\n",
			isnan(fl->low) ? j->low : fl->low, isnan(fl->high) ? j->high : fl->high,
			j->unit ? j->unit : "", rc->fxdef->name, j->low, j->high);
	else
		fprintf(out, ", limits [%g, %g] %s\n", j->low, j->high, j->unit ? j->unit : "");
}
