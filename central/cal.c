/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTC calendar arithmetic of the summaries' cells: days and hours since the
 * epoch, rounded down whatever the sign, and the first instant of a UTC
 * calendar month (the month cells of schema_v8.c and schema_v13.c).
 */
#include <time.h>

#include "central/central-internal.h"

int64_t cpi_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t cpi_month_first(int64_t s, bool up)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return s;
	if (up && !(tm.tm_mday == 1 && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0))
		tm.tm_mon++;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (int64_t)timegm(&tm);
}
