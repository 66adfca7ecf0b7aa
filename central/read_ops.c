/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --operations and --group-by on the central store:
 * db_quality.c's operation queries on the central tables, with the same
 * columns, integer types and order.  $1 set (with_errors): error and
 * aborted runs judge the unit too.  The totals come from the day cells
 * when they answer the filter (read_grp.c); the runs per unit, which they
 * do not hold, and the runs --group-by groups always from the runs.
 */
#include "central/read-internal.h"

#define C " COLLATE \"C\""
#define JUDGED(a) "(" a ".outcome IN ('pass', 'fail') OR ($1::int IS NOT NULL AND " a \
	".outcome IN ('error', 'aborted')))"
/* r is the first judged run of its unit's operation, over the whole store */
#define FIRST_JUDGED \
	"(r.unit_serial IS NOT NULL AND " JUDGED("r") " AND NOT EXISTS (SELECT 1 FROM runs p" \
	"  WHERE p.unit_serial = r.unit_serial" \
	"  AND p.sequence_name IS NOT DISTINCT FROM r.sequence_name" \
	"  AND " JUDGED("p") " AND (p.started_us < r.started_us" \
	"  OR (p.started_us = r.started_us AND p.id" C " < r.id" C "))))"
#define SAME_OP(a, b) a ".sequence_name IS NOT DISTINCT FROM " b ".sequence_name"

static const char *const operation_sql[] = {
	[DB_OP_TOTALS] =
	"WITH fr AS MATERIALIZED (SELECT r.id, r.unit_serial, r.sequence_name, r.outcome,"
	"  r.started_us FROM runs r WHERE r.outcome <> 'running' AND" CPR_WHERE "),"
	" o AS (SELECT sequence_name, count(*) AS runs,"
	"  count(*) FILTER (WHERE outcome = 'error') AS errors,"
	"  count(*) FILTER (WHERE outcome = 'aborted') AS aborted,"
	"  count(*) FILTER (WHERE outcome = 'skipped') AS skipped,"
	"  count(*) FILTER (WHERE unit_serial IS NULL) AS unidentified FROM fr GROUP BY 1),"
	" u AS (SELECT r.sequence_name, r.unit_serial, bool_or(r.outcome = 'pass')::int AS passed"
	"  FROM fr r WHERE r.unit_serial IS NOT NULL AND " JUDGED("r") " GROUP BY 1, 2),"
	" uo AS (SELECT sequence_name, count(*) AS units, sum(passed) AS passed FROM u GROUP BY 1),"
	" f AS (SELECT r.sequence_name, count(*) AS first_units,"
	"  count(*) FILTER (WHERE r.outcome = 'pass') AS first_passed FROM fr r"
	"  WHERE " FIRST_JUDGED " GROUP BY 1)"
	" SELECT o.sequence_name, o.runs, o.errors, o.aborted, o.skipped, o.unidentified,"
	" coalesce(uo.units, 0) AS units, coalesce(uo.passed, 0)::bigint AS passed,"
	" coalesce(f.first_units, 0) AS first_units, coalesce(f.first_passed, 0) AS first_passed"
	" FROM o LEFT JOIN uo ON " SAME_OP("uo", "o") " LEFT JOIN f ON " SAME_OP("f", "o")
	" ORDER BY o.sequence_name" C " NULLS FIRST",
	[DB_OP_RETESTS] =
	"WITH fr AS MATERIALIZED (SELECT r.unit_serial, r.sequence_name, r.outcome FROM runs r"
	"  WHERE r.outcome <> 'running' AND r.unit_serial IS NOT NULL AND" CPR_WHERE "),"
	" u AS (SELECT r.sequence_name, r.unit_serial, count(*) AS n FROM fr r"
	"  WHERE " JUDGED("r") " GROUP BY 1, 2)"
	" SELECT sequence_name, n AS runs, count(*) AS units FROM u GROUP BY 1, 2"
	" ORDER BY sequence_name" C " NULLS FIRST, n",
	[DB_OP_RUNS] =
	"SELECT r.started_us, r.fixture, r.station, r.operator, r.unit_serial, r.sequence_name,"
	" r.outcome, " JUDGED("r") "::int AS judged, " FIRST_JUDGED "::int AS first, r.work_order"
	" FROM runs r WHERE r.outcome <> 'running' AND" CPR_WHERE "ORDER BY r.started_us, r.id" C,
};

int cpr_operations(void *h, enum db_op_q q, const struct rep_filter *f, bool with_errors,
		   db_row_fn fn, void *ctx, struct st_error *e)
{
	const char *v[1] = { with_errors ? "1" : NULL };

	int ret;

	if ((unsigned)q > DB_OP_RUNS)
		return st_fail(e, ST_ERR_ARG, "no operation query %d", (int)q);
	/* the totals from the day cells when they answer f (read_grp.c) */
	if (q == DB_OP_TOTALS) {
		ret = cpr_operation_sums(h, f, with_errors, fn, ctx, e);
		if (ret != ST_ERR_NOTSUP)
			return ret;
	}
	return cpr_rows(h, operation_sql[q], f, v, 1, fn, ctx, e);
}
