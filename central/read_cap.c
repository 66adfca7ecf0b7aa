/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report --capability on the central store, combined on the server from
 * its capability cells (schema_v7.c's hours, schema_v8.c's days and
 * months): the reader's capability_keys slot, one row per capability key.
 * One statement for every filter the cells can answer: none, a window of
 * whole UTC hours, a station, a fixture (of any station), a sequence name
 * and version; any other filter (an outcome, a serial, an operator, a work
 * order, a part, a revision, a window not on the hour) ST_ERR_NOTSUP: the
 * report reads the rows.  A window's whole months come from the month
 * cells, its other whole days from the day cells, the hours at its edges
 * from the hour cells; a store at version 7 (no days, no months) combines
 * its hour cells.  The keys in the rows path's order (text in byte order,
 * NULLs first).  A store not yet at version 7 has no cells: ST_ERR_NOTSUP.
 */
#include <stdio.h>

#include "central/read-internal.h"

#define C " COLLATE \"C\""
#define HOUR_US 3600000000LL
/* no bound: beyond any hour */
#define NO_LO (-(1LL << 50))
#define NO_HI (1LL << 50)

/* the cells of a key (k, through the tables' (key, hour) indexes) of the
 * filter's stations and fixtures */
#define CELL_FILTER \
	" AND c.key = k.id AND ($7::text IS NULL OR c.fixture = $7::text)" \
	" AND ($8::text IS NULL OR c.station = $8::text)"

/* $1 .. $6 the hour bounds of the window's parts (read_bounds()): hours
 * [$1, $2) and [$3, $4), days [$2, $5) and [$6, $3), months [$5, $6);
 * $7 fixture; $8 station; $9, $10 the sequence name and version (NULL: no
 * such filter).  A one-off statement: the planner folds the terms of the
 * values bound, so an empty part ($1 < $2 false ...) reads nothing (a
 * range of hours alone has no index: 190 ms to scan the hour cells for
 * none).  The keys ranked first (a few dozen), then each key's cells. */
#define KEYS_SQL(cells) \
	"WITH k AS MATERIALIZED (SELECT k.*, row_number() OVER (ORDER BY k.sequence_name" C \
	"  NULLS FIRST, k.sequence_version" C " NULLS FIRST, k.step" C ", k.name" C ", k.unit" C \
	"  NULLS FIRST, k.low NULLS FIRST, k.high NULLS FIRST) AS rank FROM sum_cap_keys k" \
	"  WHERE ($9::text IS NULL OR k.sequence_name = $9::text)" \
	"  AND ($10::text IS NULL OR k.sequence_version = $10::text))" \
	" SELECT k.sequence_name, k.sequence_version, k.step, k.name, k.unit, k.low, k.high," \
	" c.n, c.mean, c.m2, c.ssw, c.n_sub, c.min, c.max, c.first_us, c.last_us, c.mr_n," \
	" c.mr_sum FROM k JOIN (" \
	CPI_CAP_COMBINE("(SELECT x.* FROM k CROSS JOIN LATERAL (" cells ") x) s", \
			"key, station, fixture", "key") \
	") c ON c.key = k.id ORDER BY k.rank"

#define HOURS \
	"SELECT " CPI_CAP_HOUR " FROM sum_cap c WHERE ($1::bigint < $2::bigint" \
	" AND c.hour >= $1::bigint AND c.hour < $2::bigint OR $3::bigint < $4::bigint" \
	" AND c.hour >= $3::bigint AND c.hour < $4::bigint)" CELL_FILTER

static const char keys_v8_sql[] = KEYS_SQL(HOURS
	" UNION ALL SELECT " CPI_CAP_CELL " FROM sum_cap_day c WHERE ($2::bigint < $5::bigint"
	" AND c.hour >= $2::bigint AND c.hour < $5::bigint OR $6::bigint < $3::bigint"
	" AND c.hour >= $6::bigint AND c.hour < $3::bigint)" CELL_FILTER
	" UNION ALL SELECT " CPI_CAP_CELL " FROM sum_cap_month c WHERE $5::bigint < $6::bigint"
	" AND c.hour >= $5::bigint AND c.hour < $6::bigint" CELL_FILTER);

/* version 7: the hours alone, bound as [$1, $4) ($5, $6 unused but typed) */
static const char keys_v7_sql[] = KEYS_SQL(HOURS " AND $5::bigint IS NOT NULL"
	" AND $6::bigint IS NOT NULL");

/* what the log's summaries answer (whole hours, fixture, sequence), and
 * stations too (the central cells know them), but not outcomes nor the
 * line's other dimensions (the log's hour cells know them, these not) */
static bool answerable(const struct rep_filter *f)
{
	struct rep_filter g;

	if (!f)
		return true;
	g = *f;
	g.station = NULL;
	return !f->outcome && report_can_summarise(&g) && !report_filter_line(f);
}

/* The first hour of hour h's UTC month, or of the next month when up and h
 * is not the first. */
static int64_t month(int64_t h, bool up)
{
	return cpi_floor_div(cpi_month_first(h * 3600, up), 3600);
}

/* The window [lo, hi) (hours; no bound: NO_LO, NO_HI) in parts: b[1], b[2]
 * the whole days [b[1], b[2]), b[4], b[5] the whole months inside them,
 * each empty (both the window's end) when there is none. */
static void read_bounds(const struct rep_filter *f, int64_t b[6])
{
	bool lo = f && f->has_since, hi = f && f->has_until;

	b[0] = lo ? cpi_floor_div(f->since_us, HOUR_US) : NO_LO;
	b[3] = hi ? cpi_floor_div(f->until_us, HOUR_US) : NO_HI;
	b[1] = lo ? -cpi_floor_div(-b[0], 24) * 24 : b[0];
	b[2] = hi ? cpi_floor_div(b[3], 24) * 24 : b[3];
	if (b[1] >= b[2])
		b[1] = b[2] = b[3];
	b[4] = lo ? month(b[1], true) : b[1];
	b[5] = hi ? month(b[2], false) : b[2];
	if (b[4] >= b[5] || b[1] == b[2])
		b[4] = b[5] = b[2];
}

int cpr_capability_keys(void *h, const struct rep_filter *f, db_row_fn fn, void *ctx,
			struct st_error *e)
{
	/* b: lo, days from, days to, hi, months from, months to; bound as
	 * $1 $2 $3 $4 $5 $6 */
	char num[6][24];
	const char *v[10] = { NULL };
	int64_t b[6];
	int version = 0, ret;

	if (!answerable(f))
		return st_fail(e, ST_ERR_NOTSUP, "the capability cells do not answer this filter: "
			       "the rows do");
	/* a store not yet migrated to version 7 has no cells: its rows answer */
	ret = central_schema_version(h, &version, e);
	if (ret < 0)
		return ret;
	if (version < 7)
		return st_fail(e, ST_ERR_NOTSUP, "central store at schema version %d: no "
			       "capability cells before version 7", version);
	read_bounds(f, b);
	if (version < 8)	/* hours only: [lo, hi) */
		b[1] = b[2] = b[4] = b[5] = b[3];
	for (int i = 0; i < 6; i++) {
		snprintf(num[i], sizeof(num[i]), "%lld", (long long)b[i]);
		v[i] = num[i];
	}
	if (f) {
		v[6] = f->fixture;
		v[7] = f->station;
		v[8] = f->seq_name;
		v[9] = f->seq_version;
	}
	return cpr_rows(h, version >= 8 ? keys_v8_sql : keys_v7_sql, NULL, v, 10, fn, ctx, e);
}
