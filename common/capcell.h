/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A capability cell: the values of one measurement (capability key) on one
 * fixture in one UTC hour, in time order, summed so that cells combine into
 * exactly the figures of report --capability (report/capsum.c; the log's
 * cap_cells, docs/database.md).  Every store and the report's row path sum a
 * cell with st_capcell_add(), value by value in the rows' order, so the
 * same values give the same bits whichever path the report takes.
 */
#ifndef ST_COMMON_CAPCELL_H
#define ST_COMMON_CAPCELL_H

#include <stdint.h>

struct st_capcell {
	int64_t n;
	double ref;		/* the first value, subtracted before summing */
	double s1, s2;		/* sum (x - ref), sum (x - ref)^2 */
	double min, max;
	int64_t first_us, last_us;	/* the run's start of the first and last value */
	double first_v, last_v;
	int64_t mr_n;		/* moving ranges |x(i) - x(i-1)| inside the cell */
	double mr_sum;
};

/* Add value x of a run started at us (cells start zeroed): n = 0 takes x as
 * ref; then s1 += x - ref, s2 += (x - ref) * (x - ref), mr_sum +=
 * |x - last_v| for every value after the first, in this order. */
void st_capcell_add(struct st_capcell *c, int64_t us, double x);

#endif
