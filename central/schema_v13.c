/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 13: month cells of the measurement sums, so that
 * a report over a long window adds up a few rows a month instead of its
 * days' cells (report_sum.c).  On the 1M-run store, `report --central
 * --outcome fail` over all time read 3,840 'x' cells' 76,800 measurement
 * sums, their 60 bins each, most of its 1.1 s (docs/central.md); a
 * fixture's all time, 120 'f' cells' 2,400, some 120 ms.
 *
 * A month cell is a row of sum_cells at the level of its day cells in
 * upper case ('A', 'Q', 'T', 'F', 'X': the month cells of levels a, q, t,
 * f, x), keyed as they are (station, fixture, sequence name and version,
 * outcome, operator, work order, part number, revision), day the first
 * day of its UTC calendar month (days since 1970-01-01), grp 'm'.  It
 * holds only the measurement sums (sum_meas) of its day cells: its runs,
 * units, first runs and failed steps stay 0 and empty, no unit is in it
 * (sum_unit_cells, sum_unit_first), as the log's day cells hold only their
 * hour cells' measurement sums (db/schema.sql).  The yields, the per-day
 * yields and the Pareto still add up the day cells.
 *
 * central_sum_meas(bulk) becomes: the month cells of the runs' day cells
 * (pg_temp.sum_lv) made where missing, added to each run's cells
 * (pg_temp.sum_new.cells, after the units were counted from them), then
 * version 4/5's statements (central_sum_meas_v12): a run's values go into
 * its month cell as into its day cells, in the same transaction, under the
 * summaries' lock.  The migration makes the month cells of the day cells
 * there are and their sums from the day cells' (what the runs put there:
 * n, extremes, values beyond the limits and bins add up exactly, the sums
 * about the key's reference in another order, equal to ~1e-15), in a few
 * seconds on the 1M-run store; it reads no run (the index below does).
 *
 * runs_outcome (outcome, started_us) becomes runs_outcome_line, with the
 * columns a filter names included, so that the error and aborted runs a
 * report counts are counted from the index.  And the summaries of the
 * forwarded runs are made without the JIT compiler.
 */
#include <stddef.h>

#include "central/central-internal.h"

/* c, the month cell of alias l's day cell */
#define MONTH_OF(c, l) \
	c ".level = upper(" l ".level::text)::\"char\" AND " c ".day = central_day_month(" l ".day) AND " c ".station = " l \
	".station AND " c ".fixture = " l ".fixture AND " c ".sequence_name = " l \
	".sequence_name AND " c ".sequence_version = " l ".sequence_version AND " c \
	".outcome = " l ".outcome AND " CPI_SAME(c, l, "operator") " AND " \
	CPI_SAME(c, l, "work_order") " AND " CPI_SAME(c, l, "part_number") " AND " \
	CPI_SAME(c, l, "revision")
#define KEY_COLS \
	"station, fixture, sequence_name, sequence_version, outcome, operator, work_order," \
	" part_number, revision"

const char *const cpi_v13[] = {
	"SELECT pg_advisory_xact_lock(126943990476147);\n"
	/* the first day of day's UTC calendar month (days since the epoch):
	 * date arithmetic, no time zone */
	"CREATE FUNCTION central_day_month(day integer) RETURNS integer LANGUAGE sql IMMUTABLE\n"
	"  PARALLEL SAFE AS $$ SELECT day + 1 - extract(day FROM date '1970-01-01' + day)::integer $$;\n"
	"ALTER FUNCTION central_sum_meas(boolean) RENAME TO central_sum_meas_v12;\n"
	"CREATE FUNCTION central_sum_meas(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  INSERT INTO sum_cells (level, day, " KEY_COLS ", grp)\n"
	"    SELECT DISTINCT upper(level::text)::\"char\", central_day_month(day), " KEY_COLS ", 'm'\n"
	"    FROM pg_temp.sum_lv ON CONFLICT DO NOTHING;\n"
	"  UPDATE pg_temp.sum_new n SET cells = n.cells || k.cells FROM (SELECT l.id,\n"
	"      array_agg(c.id ORDER BY l.level) AS cells FROM pg_temp.sum_lv l\n"
	"      JOIN sum_cells c ON " MONTH_OF("c", "l") " GROUP BY l.id) k\n"
	"    WHERE k.id = n.id;\n"
	"  PERFORM central_sum_meas_v12(bulk);\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_day_month(integer), central_sum_meas(boolean),\n"
	"  central_sum_meas_v12(boolean) FROM PUBLIC;\n",

	/* the month cells of the store's day cells, their sums from theirs */
	"INSERT INTO sum_cells (level, day, " KEY_COLS ", grp)\n"
	"  SELECT DISTINCT upper(level::text)::\"char\", central_day_month(day), " KEY_COLS ", 'm'\n"
	"  FROM sum_cells WHERE level IN ('a', 'q', 't', 'f', 'x') ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9,\n"
	"    10, 11;\n"
	"INSERT INTO sum_meas (cell, key, n, s1, s2, min, max, out_low, out_high, bins)\n"
	"  SELECT s.cell, s.key, s.n, s.s1, s.s2, s.min, s.max, s.out_low, s.out_high, b.bins\n"
	"  FROM (SELECT c.id AS cell, m.key, sum(m.n) AS n, sum(m.s1) AS s1, sum(m.s2) AS s2,\n"
	"      min(m.min) AS min, max(m.max) AS max, sum(m.out_low) AS out_low,\n"
	"      sum(m.out_high) AS out_high\n"
	"    FROM sum_cells l JOIN sum_meas m ON m.cell = l.id JOIN sum_cells c ON " MONTH_OF("c", "l")
	"\n    WHERE l.level IN ('a', 'q', 't', 'f', 'x') GROUP BY 1, 2) s\n"
	"  JOIN (SELECT cell, key, array_agg(v ORDER BY i) AS bins FROM (SELECT c.id AS cell, m.key,\n"
	"      b.i, sum(b.v)::bigint AS v\n"
	"    FROM sum_cells l JOIN sum_meas m ON m.cell = l.id JOIN sum_cells c ON " MONTH_OF("c", "l")
	"\n    CROSS JOIN LATERAL unnest(m.bins) WITH ORDINALITY AS b(v, i)\n"
	"    WHERE l.level IN ('a', 'q', 't', 'f', 'x') GROUP BY 1, 2, 3) x GROUP BY 1, 2) b\n"
	"  ON b.cell = s.cell AND b.key = s.key ORDER BY 1, 2;\n",

	/* the runs by outcome with the columns a report filters them by, so
	 * that its count of error and aborted runs (report.c's unjudged_sql,
	 * report_err.c) reads the index alone: on the 1M store 10,000 error
	 * runs fetched one heap page each took 190-200 ms of a report's ~400 */
	"CREATE INDEX runs_outcome_line ON runs (outcome, started_us) INCLUDE (station, fixture,\n"
	"  sequence_name, sequence_version, operator, work_order, part_number, revision,\n"
	"  unit_serial);\n"
	"DROP INDEX runs_outcome;\n",

	/* a forwarded run's summaries without the JIT compiler: the
	 * capability cells' statement (version 7) is estimated above
	 * jit_above_cost on a guess of the temporary table's rows and spent
	 * some 58 ms a run compiling (1M store: 65 -> 7 ms a run, 20 runs
	 * summarised one a call); version 4's reading statements turned it off
	 * for the same reason (docs/central.md) */
	"ALTER FUNCTION central_summarise_runs(text[]) SET jit = off;\n"
	"ALTER FUNCTION central_summarise_run(text) SET jit = off;\n",
	NULL
};
