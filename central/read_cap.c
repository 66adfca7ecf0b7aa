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
#include <stdlib.h>
#include <string.h>

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
#define KEYS_HEAD \
	"WITH k AS MATERIALIZED (SELECT k.*, row_number() OVER (ORDER BY k.sequence_name" C \
	"  NULLS FIRST, k.sequence_version" C " NULLS FIRST, k.step" C ", k.name" C ", k.unit" C \
	"  NULLS FIRST, k.low NULLS FIRST, k.high NULLS FIRST) AS rank FROM sum_cap_keys k" \
	"  WHERE ($9::text IS NULL OR k.sequence_name = $9::text)" \
	"  AND ($10::text IS NULL OR k.sequence_version = $10::text))"
#define KEYS_TAIL(cells) \
	" SELECT k.sequence_name, k.sequence_version, k.step, k.name, k.unit, k.low, k.high," \
	" c.n, c.mean, c.m2, c.ssw, c.n_sub, c.min, c.max, c.first_us, c.last_us, c.mr_n," \
	" c.mr_sum FROM k JOIN (" \
	CPI_CAP_COMBINE("(SELECT x.* FROM k CROSS JOIN LATERAL (" cells ") x) s", \
			"key, station, fixture", "key") \
	") c ON c.key = k.id ORDER BY k.rank"
#define KEYS_SQL(cells) KEYS_HEAD KEYS_TAIL(cells)

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

/* --- a filter by outcome or line (version 14: schema_v14.c) ---------------
 * $11 outcome, $12 operator, $13 work order, $14 part number, $15
 * revision (NULL: no such filter).  Each period of the window's parts (its
 * months, days, hours) whose runs' values (sum_cap_lines, alias l) all
 * match the filter is a cell taken whole (a), one with some (s) is looked
 * at a level finer: a mixed month's days, a mixed day's hours, a mixed
 * hour's rows (mixed, below); a period none of whose values match is left
 * out.  A window's periods of every fixture through sum_cap_lines_hour, a
 * fixture's through sum_cap_lines_at. */
#define LMATCH(t) \
	"coalesce(($11::text IS NULL OR " t ".outcome = $11::text)" \
	" AND ($12::text IS NULL OR " t ".operator = $12::text)" \
	" AND ($13::text IS NULL OR " t ".work_order = $13::text)" \
	" AND ($14::text IS NULL OR " t ".part_number = $14::text)" \
	" AND ($15::text IS NULL OR " t ".revision = $15::text), false)"
#define LSCOPE \
	" AND ($7::text IS NULL OR l.fixture = $7::text) AND ($8::text IS NULL OR l.station = $8::text)"
/* a period's verdict over its values (src: rows of sum_cap_lines, l) */
#define PERIODS(src) \
	" SELECT l.station, l.fixture, l.hour, bool_and(" LMATCH("l") ") AS a, bool_or(" \
	LMATCH("l") ") AS s FROM (" src ") l GROUP BY 1, 2, 3"
/* the level's periods in [lo, hi) or [lo2, hi2), and those within the mixed
 * periods of up (their end: end, of alias u) */
#define FINER(lv, lo, hi, lo2, hi2, up, end) \
	PERIODS("SELECT l.* FROM sum_cap_lines l WHERE l.level = '" lv "' AND (" lo " < " hi \
		" AND l.hour >= " lo " AND l.hour < " hi " OR " lo2 " < " hi2 " AND l.hour >= " \
		lo2 " AND l.hour < " hi2 ")" LSCOPE " UNION ALL SELECT l.* FROM " up " u JOIN" \
		" sum_cap_lines l ON l.level = '" lv "' AND l.station = u.station AND" \
		" l.fixture = u.fixture AND l.hour >= u.hour AND l.hour < " end \
		" WHERE u.s AND NOT u.a")
/* the filter's values of each mixed hour as an hour cell (CPI_CAP_HOUR's
 * columns): version 7's CAP_CELLS of the runs the filter selects */
#define MIXED \
	"SELECT kk.id AS key, z.station, z.fixture, z.hour, count(*) AS n," \
	" min(z.ref) + sum(z.x - z.ref) / count(*)::float8 AS mean," \
	" greatest(0, sum((z.x - z.ref) * (z.x - z.ref)) - sum(z.x - z.ref) * sum(z.x - z.ref)" \
	"  / count(*)::float8) AS m2," \
	" greatest(0, sum((z.x - z.ref) * (z.x - z.ref)) - sum(z.x - z.ref) * sum(z.x - z.ref)" \
	"  / count(*)::float8) AS ssw, 1 AS n_sub, min(z.x) AS min, max(z.x) AS max," \
	" min(z.started_us) AS first_us, min(z.ref) AS first_v, max(z.started_us) AS last_us," \
	" min(z.last_v) AS last_v, count(z.mr) AS mr_n, coalesce(sum(z.mr), 0) AS mr_sum" \
	" FROM (SELECT v.*, first_value(x) OVER w AS ref, abs(x - lag(x) OVER w) AS mr," \
	"  last_value(x) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)" \
	"  AS last_v FROM (SELECT r.sequence_name, r.sequence_version, s.name AS step, m.name," \
	"   m.unit, m.low, m.high, r.station, r.fixture, h.hour, r.started_us, r.id AS run," \
	"   m.id AS mid, m.value AS x FROM ph h CROSS JOIN LATERAL (SELECT * FROM runs r" \
	"    WHERE r.fixture = h.fixture AND r.station = h.station" \
	"    AND r.started_us / 3600000000 = h.hour AND r.started_us > (h.hour - 1) * 3600000000" \
	"    AND r.started_us < (h.hour + 1) * 3600000000 OFFSET 0) r" \
	"   JOIN measurements m ON m.run_id = r.id" \
	"   JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id" \
	"   WHERE h.s AND NOT h.a AND m.value IS NOT NULL AND " LMATCH("r") \
	"   AND ($9::text IS NULL OR r.sequence_name = $9::text)" \
	"   AND ($10::text IS NULL OR r.sequence_version = $10::text) AND " CPI_FIRST_JUDGED ") v" \
	"  WINDOW w AS (PARTITION BY sequence_name, sequence_version, step, name, unit, low," \
	"   high, station, fixture, hour ORDER BY started_us, run" C ", mid)) z" \
	" JOIN sum_cap_keys kk ON " CPI_KEY_MATCH("kk", "z") \
	" GROUP BY kk.id, z.station, z.fixture, z.hour"

#define WHOLE(p, t, cols) \
	"SELECT " cols " FROM " p " p JOIN " t " c ON c.station = p.station AND" \
	" c.fixture = p.fixture AND c.hour = p.hour AND c.key = k.id WHERE p.a"

/* in parts, each within the length of a string C17 promises (4095) */
static const char *const keys_lines_sql[] = {
	KEYS_HEAD
	", pm AS MATERIALIZED (" PERIODS("SELECT l.* FROM sum_cap_lines l WHERE l.level = 'm'"
					 " AND l.hour >= $5::bigint AND l.hour < $6::bigint" LSCOPE) ")"
	", pd AS MATERIALIZED (" FINER("d", "$2::bigint", "$5::bigint", "$6::bigint", "$3::bigint",
				       "pm", "central_cap_month(u.hour + 32 * 24)") ")"
	", ph AS MATERIALIZED (" FINER("h", "$1::bigint", "$2::bigint", "$3::bigint", "$4::bigint",
				       "pd", "u.hour + 24") ")",
	", rc AS MATERIALIZED (" MIXED ")",
	KEYS_TAIL(WHOLE("pm", "sum_cap_month", CPI_CAP_CELL) " UNION ALL "
		  WHOLE("pd", "sum_cap_day", CPI_CAP_CELL) " UNION ALL "
		  WHOLE("ph", "sum_cap", CPI_CAP_HOUR) " UNION ALL SELECT c.* FROM rc c"
		  " WHERE c.key = k.id"),
	NULL
};

/* whole hours, no serial, an outcome or a line value: version 14's lines */
static bool lines_answer(const struct rep_filter *f)
{
	return f && report_can_summarise(f) && (f->outcome || report_filter_line(f));
}

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

/* keys_lines_sql whole, with the values v */
static int lines(void *h, const char *const v[15], db_row_fn fn, void *ctx, struct st_error *e)
{
	size_t len = 1;
	char *sql;
	int ret;

	for (int i = 0; keys_lines_sql[i]; i++)
		len += strlen(keys_lines_sql[i]);
	sql = malloc(len);
	if (!sql)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for the capability cells' statement");
	sql[0] = '\0';
	for (int i = 0; keys_lines_sql[i]; i++)
		strcat(sql, keys_lines_sql[i]);
	ret = cpr_rows(h, sql, NULL, v, 15, fn, ctx, e);
	free(sql);
	return ret;
}

int cpr_capability_keys(void *h, const struct rep_filter *f, db_row_fn fn, void *ctx,
			struct st_error *e)
{
	/* b: lo, days from, days to, hi, months from, months to; bound as
	 * $1 $2 $3 $4 $5 $6 */
	char num[6][24];
	const char *v[15] = { NULL };
	int64_t b[6];
	int version = 0, ret;

	if (!answerable(f) && !lines_answer(f))
		return st_fail(e, ST_ERR_NOTSUP, "the capability cells do not answer this filter: "
			       "the rows do");
	/* a store not yet migrated to version 7 has no cells: its rows answer */
	ret = central_schema_version(h, &version, e);
	if (ret < 0)
		return ret;
	if (!answerable(f) && version < 14)
		return st_fail(e, ST_ERR_NOTSUP, "central store at schema version %d: no line "
			       "values of the capability cells before version 14", version);
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
	if (!answerable(f)) {
		v[10] = f->outcome;
		v[11] = f->operator_name;
		v[12] = f->work_order;
		v[13] = f->part_number;
		v[14] = f->revision;
		return lines(h, v, fn, ctx, e);
	}
	return cpr_rows(h, version >= 8 ? keys_v8_sql : keys_v7_sql, NULL, v, 10, fn, ctx, e);
}
