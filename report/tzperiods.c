/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plant's days from the summaries' UTC hour cells: a zone whose UTC
 * offset is a whole number of hours puts each UTC hour in one of its days
 * (summer time included: the change comes at a whole UTC hour), so the
 * cells of an hour count in the day (hour + offset) / 24.  Here: the
 * offsets over a window, as periods of one offset each, for the store's
 * query (db/db_report_sum.c); a zone with a half-hour offset there gets
 * none, and its days come from the rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "report/report-internal.h"

#define HOUR_S 3600LL
#define HOURS_1990 175320LL		/* 1990-01-01T00:00Z */
#define FAR_AHEAD (10 * 8766LL)		/* ten years of hours */

/* The offset of UTC hour h in the zone TZ names, in seconds. */
static long offset_at(int64_t h)
{
	time_t t = (time_t)(h * HOUR_S);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 1;	/* no whole hours: the rows answer */
	return tm.tm_gmtoff;
}

/* The first hour of (lo, hi] whose offset is not off (hi's is not). */
static int64_t change_in(int64_t lo, int64_t hi, long off)
{
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (offset_at(mid) == off)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* Periods of [h0, h1), a day's hours apart at most between two looks (a
 * zone changes its offset less often than twice a day): a JSON array of
 * [first hour, end hour, offset in hours]; NULL when an offset is not whole
 * hours or memory runs out (no periods rather than wrong ones). */
static char *periods(int64_t h0, int64_t h1)
{
	long off = offset_at(h0), o;
	int64_t start = h0;
	const char *sep = "";
	char *p = NULL;
	size_t n;
	FILE *f = open_memstream(&p, &n);

	if (!f)
		return NULL;
	fputc('[', f);
	for (int64_t h = h0; h < h1 && off % HOUR_S == 0;) {
		int64_t next = h + 24 < h1 ? h + 24 : h1 - 1;

		if (next <= h)
			break;
		if ((o = offset_at(next)) != off) {
			next = change_in(h, next, off);
			o = offset_at(next);
			fprintf(f, "%s[%lld,%lld,%ld]", sep, (long long)start, (long long)next,
				off / (long)HOUR_S);
			sep = ",";
			start = next;
			off = o;
		}
		h = next;
	}
	fprintf(f, "%s[%lld,%lld,%ld]]", sep, (long long)start, (long long)h1, off / (long)HOUR_S);
	if (ferror(f) | fclose(f) || off % HOUR_S) {
		free(p);
		return NULL;
	}
	return p;
}

char *rep_tz_periods(const char *tz, const struct rep_filter *f)
{
	int64_t h0 = HOURS_1990, h1 = (int64_t)time(NULL) / HOUR_S + FAR_AHEAD;
	char *saved, *p;

	if (!rep_tz_valid(tz))
		return NULL;
	if (f->has_since)
		h0 = f->since_us / (HOUR_S * 1000000) - 1;
	if (f->has_until)
		h1 = f->until_us / (HOUR_S * 1000000) + 2;
	if (h1 <= h0)
		h1 = h0 + 1;
	saved = rep_tz_enter(tz);
	p = periods(h0, h1);
	rep_tz_leave(saved);
	return p;
}
