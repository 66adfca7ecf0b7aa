/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report --capability's figures from capability cells (common/capcell.h):
 * a group's cells, fixture by fixture in hour order, combined.  Both of the
 * report's paths end here: the rows (report/capability.c sums each fixture's
 * hour into a cell as it reads) and a store's summaries (the reader's
 * capability_sums slot, one row per cell), so both give the same bits.
 *
 *   n, mean, M2 = sum (x - mean)^2: a cell's mean = ref + s1 / n and
 *     M2 = s2 - s1^2 / n; cells merge in order (Chan, Golub, LeVeque):
 *     d = mean_b - mean_a, mean = mean_a + d n_b / n,
 *     M2 = M2_a + M2_b + d^2 n_a n_b / n
 *   moving ranges: each cell's mr_n, mr_sum, plus |first_v(k) - last_v(k-1)|
 *     between consecutive cells of one fixture (station and fixture)
 *   subgroups: each cell is one (a fixture's hour): within SS = sum of the
 *     cells' M2, df = sum (n - 1)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report-internal.h"

#define D2 1.128

double rep_c4(double n)
{
	return sqrt(2 / (n - 1)) * exp(lgamma(n / 2) - lgamma((n - 1) / 2));
}

static bool same_str(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int set_str(char **dst, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

int rep_capsum_add(struct rep_capsum *s, const struct st_capcell *c, const char *station,
		   const char *fixture)
{
	double mean, m2;
	bool same_fx;

	if (c->n <= 0)
		return 0;
	mean = c->ref + c->s1 / (double)c->n;
	m2 = fmax(0, c->s2 - c->s1 * c->s1 / (double)c->n);
	same_fx = s->n && same_str(s->station, station ? station : "") &&
		  same_str(s->fixture, fixture ? fixture : "");
	if (!s->n) {
		s->mean = mean;
		s->m2 = m2;
		s->min = c->min;
		s->max = c->max;
		s->first_us = c->first_us;
		s->last_us = c->last_us;
	} else {
		double n = (double)(s->n + c->n), d = mean - s->mean;

		s->mean += d * (double)c->n / n;
		s->m2 += m2 + d * d * (double)s->n * (double)c->n / n;
		s->min = fmin(s->min, c->min);
		s->max = fmax(s->max, c->max);
		s->first_us = c->first_us < s->first_us ? c->first_us : s->first_us;
		s->last_us = c->last_us > s->last_us ? c->last_us : s->last_us;
	}
	if (same_fx) {
		s->mr_sum += fabs(c->first_v - s->last_v);
		s->mr_n++;
	}
	s->mr_sum += c->mr_sum;
	s->mr_n += c->mr_n;
	s->last_v = c->last_v;
	s->n += c->n;
	s->ssw += m2;
	s->df += c->n - 1;
	s->n_sub++;
	if (!same_fx && (set_str(&s->station, station) || set_str(&s->fixture, fixture)))
		return -1;
	return 0;
}

void rep_capsum_free(struct rep_capsum *s)
{
	free(s->station);
	free(s->fixture);
	memset(s, 0, sizeof(*s));
}

bool rep_cap_infinite(double min, double max, struct rep_cap *c)
{
	if (isfinite(min) && isfinite(max))
		return false;
	/* +inf and -inf: no mean; else the infinity's sign */
	c->mean = isinf(min) && isinf(max) && min != max ? NAN : isinf(max) ? max : min;
	c->scale = INFINITY;
	c->mr_bar = c->sigma_within = c->sigma_overall = NAN;
	c->has_within = c->has_overall = false;
	c->has_cp = c->has_cpk = c->has_pp = c->has_ppk = false;
	return true;
}

void rep_capsum_cap(const struct rep_capsum *s, bool pooled, bool has_low, double low,
		    bool has_high, double high, struct rep_cap *c)
{
	memset(c, 0, sizeof(*c));
	c->n = s->n;
	if (!s->n)
		return;
	c->pooled = pooled;
	c->n_sub = pooled ? s->n_sub : 0;
	c->df = pooled ? s->df : 0;
	c->n_mr = pooled ? 0 : s->mr_n;
	if (rep_cap_infinite(s->min, s->max, c))
		return;
	/* equal values: their value, not a mean off by rounding */
	c->mean = s->min == s->max ? s->min : s->mean;
	c->scale = fmax(fabs(s->min), fabs(s->max));
	c->has_overall = s->n > 1;
	c->sigma_overall = c->has_overall ?
			   rep_sigma_clean(sqrt(s->m2 / (double)(s->n - 1)), c->scale) : NAN;
	if (pooled) {
		c->mr_bar = NAN;
		c->has_within = s->df > 0;
		c->sigma_within = c->has_within ?
				  rep_sigma_clean(sqrt(s->ssw / (double)s->df) /
						  rep_c4((double)s->df + 1), c->scale) : NAN;
	} else {
		c->has_within = s->mr_n > 0;
		c->mr_bar = c->has_within ? s->mr_sum / (double)s->mr_n : NAN;
		c->sigma_within = c->has_within ? rep_sigma_clean(c->mr_bar / D2, c->scale) : NAN;
	}
	c->has_cp = rep_p(c->sigma_within, has_low, low, has_high, high, &c->cp);
	c->has_cpk = rep_pk(c->mean, c->sigma_within, has_low, low, has_high, high, &c->cpk);
	c->has_pp = rep_p(c->sigma_overall, has_low, low, has_high, high, &c->pp);
	c->has_ppk = rep_pk(c->mean, c->sigma_overall, has_low, low, has_high, high, &c->ppk);
}
