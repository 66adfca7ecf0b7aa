/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The report's summary cells as its queries select them, shared by the
 * cells' reading (db_report_sum.c) and the partial hours at a window's
 * ends that the rows answer beside them (db_report_edge.c).
 */
#ifndef DB_REPORT_SUM_H
#define DB_REPORT_SUM_H

#include "db/db-internal.h"

#define HOUR_US 3600000000LL
/* Beyond any log: a day-cell range without that bound. */
#define FAR_HOURS (24LL << 40)

/* The line's filters (schema 12's cell dimensions) on the cells or runs
 * t, bound as the rows' queries bind them (db_read.c: ?20 operator, ?21
 * work order, ?22 part number, ?23 revision, ?24 station); a term per
 * filter given, the others NULL. */
#define LINE_KEY(t) \
	" AND (?20 IS NULL OR " t ".operator IS ?20) AND (?21 IS NULL OR " t ".work_order IS ?21)" \
	" AND (?22 IS NULL OR " t ".part_number IS ?22) AND (?23 IS NULL OR " t ".revision IS ?23)" \
	" AND (?24 IS NULL OR " t ".station IS ?24) "
/* The filters every cell query has: fixture, sequence, outcome, line. */
#define CELL_KEY \
	" (?3 IS NULL OR c.fixture = ?3) AND (?4 IS NULL OR c.sequence_name = ?4)" \
	" AND (?5 IS NULL OR c.sequence_version = ?5) AND (?7 IS NULL OR c.outcome = ?7) " \
	LINE_KEY("c")
/* Hour cells matching the filter: [?1, ?2) the window in hours (bound to
 * hours beyond any log without a --since or --until, so that cells_key
 * reads that range only). */
#define CELL_WHERE " c.hours = 1 AND c.hour >= ?1 AND c.hour < ?2 AND " CELL_KEY
/* The plant's days (?12, r->plant_periods: a JSON array of [h0, h1, off],
 * UTC hours [h0, h1) being off whole hours from the plant's clock; NULL:
 * UTC): those of the periods that the hour cells of the window [?1, ?2)
 * reach (a few: the zone's changes in the log's span). */
#define PLANT_PERIODS \
	"tzp AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS h0," \
	"  json_extract(value, '$[1]') AS h1, json_extract(value, '$[2]') AS off" \
	"  FROM json_each(coalesce(?12, '[]'))" \
	"  WHERE h1 > (SELECT min(hour) FROM cells WHERE hours = 1 AND hour >= ?1 AND hour < ?2)" \
	"  AND h0 <= (SELECT max(hour) FROM cells WHERE hours = 1 AND hour >= ?1 AND hour < ?2))"
/* The day number of UTC hour h: the plant's (days since 1970-01-01 of its
 * clock) with ?12 (periods in table tzp), else UTC's. */
#define PDAY_IN(tzp, h) \
	"(CASE WHEN ?12 IS NULL THEN (" h ") / 24 ELSE ((" h ") + (SELECT p.off FROM " tzp " p" \
	" WHERE (" h ") >= p.h0 AND (" h ") < p.h1)) / 24 END)"
#define PDAY(h) PDAY_IN("tzp", h)

/* --with-errors: an error or aborted run e of the filter in the window's
 * whole hours (as CELL_WHERE selects cells). */
#define E_SEL(e) \
	" " e ".started_us >= ?1 * 3600000000 AND " e ".started_us < ?2 * 3600000000" \
	" AND (?3 IS NULL OR " e ".fixture = ?3) AND (?4 IS NULL OR " e ".sequence_name = ?4)" \
	" AND (?5 IS NULL OR " e ".sequence_version = ?5) AND (?7 IS NULL OR " e ".outcome = ?7) " \
	LINE_KEY(e)
/* The window's whole hours [*h0, *h1): the hour cells that lie in it whole. */
void rep_sum_hours(const struct rep_filter *f, int64_t *h0, int64_t *h1);
/* f's cell parameters bound to st (?1, ?2 the whole hours, ?3..?7, ?20..?24;
 * ?10, ?11 the whole days when st has them). */
void rep_sum_bind_cells(sqlite3_stmt *st, const struct rep_filter *f);

/* A window whose ends are not on the hour: the cells answer its whole
 * hours, the rows the minutes before the first and after the last
 * (db_report_edge.c).  Not with --serial. */
bool rep_edges_usable(const struct rep_filter *f);
/* Each added to what the cells of the whole hours gave r (0, or -1: the
 * SQLite error on h); nothing without such minutes. */
int rep_edge_yields(sqlite3 *h, struct report *r, bool by_day);
int rep_edge_pareto(sqlite3 *h, struct report *r);
int rep_edge_stats(sqlite3 *h, struct report *r);
/* The minutes' values into r's bins, and into tail[i] the tails of
 * r->meas[i] beyond its frame (zeroed here). */
int rep_edge_hist(sqlite3 *h, struct report *r, int64_t (*tail)[2][REP_TAIL_MAX]);

/* The values of one hour cell beyond its key's frame (the histogram's
 * tails), by its runs' steps: tests read its plan. */
extern const char dbs_tail_values_sql[];

#endif
