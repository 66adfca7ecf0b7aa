/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A measurement's histogram as a list of bins for the writers: the known
 * tails spread out beyond the frame's bins (db/db_report_tail.c), runs of
 * empty tail bins shown as one gap.
 */
#include <math.h>

#include "report/report-internal.h"

static bool beyond(const struct rep_meas *m, double lo, double hi)
{
	double eps = m->width * 1e-9;

	return (m->has_low && hi <= m->low + eps) || (m->has_high && lo >= m->high - eps);
}

static int push(const struct rep_meas *m, struct rep_shown *out, int n, struct rep_shown b)
{
	struct rep_shown *p = n ? &out[n - 1] : NULL;

	b.out = beyond(m, b.lo, b.hi);
	if (b.tail && !b.n && p && p->tail && !p->n) {	/* a run of empty tail bins */
		p->lo = fmin(p->lo, b.lo);
		p->hi = fmax(p->hi, b.hi);
		p->gap = true;
		p->wide = false;
		return n;
	}
	out[n] = b;
	return n + 1;
}

static struct rep_shown tail_bin(const struct rep_meas *m, int side, int j)
{
	struct rep_shown b = { .n = m->tail[side].count[j], .tail = true };

	rep_tail_range(m, side, j, &b.lo, &b.hi);
	b.wide = j > REP_TAIL_SAME;
	return b;
}

int rep_hist_shown(const struct rep_meas *m, struct rep_shown out[REP_SHOWN_MAX])
{
	int n = 0;

	for (int j = m->tail[0].n - 1; j >= 0; j--)
		n = push(m, out, n, tail_bin(m, 0, j));
	for (int i = 0; i < m->nbins; i++) {
		struct rep_shown b = { .lo = m->lo + i * m->width, .hi = m->lo + (i + 1) * m->width,
				       .n = m->bins[i] };

		if (i == 0 && m->open_low) {
			b.open = true;
			b.lo = m->min;
		} else if (i == m->nbins - 1 && m->open_high) {
			b.open = true;
			b.hi = m->max;
		}
		n = push(m, out, n, b);
		if (b.open)	/* beyond a limit by where it starts / ends */
			out[n - 1].out = i == 0 ? beyond(m, b.lo, m->lo + m->width) :
					 beyond(m, m->lo + i * m->width, b.hi);
	}
	for (int j = 0; j < m->tail[1].n; j++)
		n = push(m, out, n, tail_bin(m, 1, j));
	return n;
}
