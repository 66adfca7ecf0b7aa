/* SPDX-License-Identifier: Apache-2.0 */
/* Capability cells (common/capcell.h). */
#include <math.h>

#include "common/capcell.h"

void st_capcell_add(struct st_capcell *c, int64_t us, double x)
{
	double d;

	if (!c->n) {
		*c = (struct st_capcell){ .ref = x, .min = x, .max = x, .first_us = us,
					  .first_v = x };
	} else {
		c->mr_sum += fabs(x - c->last_v);
		c->mr_n++;
	}
	d = x - c->ref;
	c->s1 += d;
	c->s2 += d * d;
	c->min = fmin(c->min, x);
	c->max = fmax(c->max, x);
	c->last_us = us;
	c->last_v = x;
	c->n++;
}
