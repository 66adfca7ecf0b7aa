/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The histogram of station report, out to the real tails (docs/database.md,
 * Histograms).  The summaries' frame has DB_HIST_IN bins between its edges
 * and DB_HIST_OUT of the same width each side; the outermost bin on each
 * side holds every value beyond it too.  From the values (the rows, or the
 * rows of the summary cells that hold such a value) those outermost bins
 * are spread out again: REP_TAIL_SAME bins of the frame's width, then bins
 * twice as wide as the one before, out to the furthest value.
 */
#include <math.h>
#include <string.h>

#include "db/db-internal.h"

double rep_tail_edge(int j)
{
	return j <= REP_TAIL_SAME ? j : REP_TAIL_SAME + ldexp(1, j - REP_TAIL_SAME) - 1;
}

int rep_tail_bin(const struct db_hist_frame *f, double v, int *side)
{
	int b = db_hist_bin(f, v), j;
	double x = (v - f->lo) / f->width, d;

	if (b != 0 && b != DB_HIST_BINS - 1)
		return -1;
	*side = b != 0;
	/* widths beyond the outermost bin's inner edge */
	d = b == 0 ? -x - (DB_HIST_OUT - 1) : x - (DB_HIST_IN + DB_HIST_OUT - 1);
	if (!(d > 0))	/* also NAN */
		return 0;
	if (!isfinite(d))
		return REP_TAIL_MAX - 1;
	j = d < REP_TAIL_SAME ? (int)d : REP_TAIL_SAME + ilogb(d - REP_TAIL_SAME + 1);
	/* below the frame a bin holds its outer edge, as the frame's bins
	 * hold their lower one */
	if (b == 0 && j > 0 && rep_tail_edge(j) == d)
		j--;
	return j < REP_TAIL_MAX ? j : REP_TAIL_MAX - 1;
}

void rep_tail_range(const struct rep_meas *m, int side, int j, double *lo, double *hi)
{
	double w = m->fr.width, a = rep_tail_edge(j) * w, b = rep_tail_edge(j + 1) * w;
	double e;

	if (side == 0) {
		e = m->fr.lo - (DB_HIST_OUT - 1) * w;
		*lo = e - b;
		*hi = e - a;
	} else {
		e = m->fr.lo + (DB_HIST_IN + DB_HIST_OUT - 1) * w;
		*lo = e + a;
		*hi = e + b;
	}
}

void rep_hist_add(struct rep_meas *m, double v)
{
	int side, j = rep_tail_bin(&m->fr, v, &side);

	m->all[db_hist_bin(&m->fr, v)]++;
	if (j >= 0)
		m->tail[side].count[j]++;
	m->out_low += m->has_low && v < m->low;
	m->out_high += m->has_high && v > m->high;
}

/* Show the frame's inner bins, those beyond it that hold values, and the
 * tails beyond the outermost bins when they are known. */
void rep_hist_finish(struct rep_meas *m)
{
	int first = DB_HIST_OUT, last = DB_HIST_OUT + DB_HIST_IN - 1;
	/* the outermost bins, or their neighbours when a known tail replaces
	 * them (the tail starts next to the neighbour) */
	int lo_end, hi_end;

	/* an infinity (a hand edit) lies in no bin of a width: the outermost
	 * bin on its side stays open ("and beyond"), holding it */
	if (isinf(m->min))
		m->tail[0].known = false;
	if (isinf(m->max))
		m->tail[1].known = false;
	lo_end = m->tail[0].known && m->all[0];
	hi_end = REP_BINS - 1 - (m->tail[1].known && m->all[REP_BINS - 1]);

	if (lo_end)
		first = 1;
	for (int i = lo_end; i < first; i++)
		if (m->all[i]) {
			first = i;
			break;
		}
	if (hi_end < REP_BINS - 1)
		last = hi_end;
	for (int i = hi_end; i > last; i--)
		if (m->all[i]) {
			last = i;
			break;
		}
	for (int s = 0; s < 2; s++) {
		m->tail[s].n = 0;
		for (int j = 0; m->tail[s].known && m->all[s ? REP_BINS - 1 : 0] && j < REP_TAIL_MAX;
		     j++)
			if (m->tail[s].count[j])
				m->tail[s].n = j + 1;
	}
	m->width = m->fr.width;
	m->lo = m->fr.lo + (first - DB_HIST_OUT) * m->width;
	m->nbins = last - first + 1;
	m->open_low = !m->tail[0].n && first == 0 && m->all[0] && m->min < m->lo;
	m->open_high = !m->tail[1].n && last == REP_BINS - 1 && m->all[last] &&
		       m->max >= m->lo + m->nbins * m->width;
	memcpy(m->bins, m->all + first, m->nbins * sizeof(m->bins[0]));
	rep_meas_pp(m);
}
