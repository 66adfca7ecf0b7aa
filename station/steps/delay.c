/* SPDX-License-Identifier: Apache-2.0 */
/* delay: wait, e.g. for a rail to settle.   delay: 250ms */
#include <stdlib.h>

#include "station/steps/steps.h"

static int delay_parse(struct step *s, const struct ynode *n, struct lint *l)
{
	double *d = calloc(1, sizeof(*d));

	if (!d)
		return ST_ERR_NOMEM;
	s->cfg = d;
	if (!lint_duration(l, n, d))
		return ST_ERR_PARSE;
	if (*d + 1 > s->timeout_s)
		s->timeout_s = *d + 1;
	return ST_OK;
}

static void delay_run(struct step *s, struct run_ctx *rc, struct step_result *r)
{
	rc_sleep(rc, *(double *)s->cfg);
	if (rc_stopped(rc))
		sr_set(r, DB_ABORTED, "stopped during the delay");
}

static void delay_plan(const struct step *s, struct run_ctx *rc, FILE *out)
{
	(void)rc;
	fprintf(out, "      wait %gs\n", *(double *)s->cfg);
}

const struct step_kind step_delay = {
	.name = "delay",
	.summary = "wait for a duration (e.g. 250ms)",
	.default_timeout_s = 60,
	.parse = delay_parse,
	.run = delay_run,
	.plan = delay_plan,
	.free_cfg = free,
};
