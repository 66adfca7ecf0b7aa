/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 14: the line values of the capability cells, so
 * that report --capability filtered by an outcome, an operator, a work
 * order, a part number or a revision combines cells too, where the rows
 * took seconds to minutes (the 1M-run store: --operator op1 over all time
 * 145 s, a week 15 s; --outcome fail a week 2.4 s).
 *
 * A capability cell (version 7) holds every value of its key, fixture and
 * hour, of whatever operator, work order, part number, revision and outcome
 * its runs had: a filter by them cannot take part of a cell, and cells of
 * two operators in one hour of a fixture cannot be joined by their first
 * and last values (their runs interleave: the moving ranges of the
 * filter's values are not those of either cell).  So sum_cap_lines says,
 * for each (station, fixture) and hour ('h'), day ('d', its first hour) and
 * UTC month ('m', its first hour), the distinct (outcome, operator, work
 * order, part number, revision) of the runs the cells count there (each
 * unit's first judged run: CPI_FIRST_JUDGED).  For a filter, a period
 * whose values all match it is a cell the report takes whole, one none of
 * whose values match is left out, and a mixed one is looked at a level
 * finer: a mixed hour is read from its rows, those of its runs the filter
 * selects made into an hour cell on the server, the same arithmetic as
 * version 7's (read_cap.c).  Where an operator works a shift on a fixture,
 * nearly every period is whole.
 *
 * Kept where the cells are: central_sum_cap_cells(bulk) computes the hour
 * cells of the groups of pg_temp.sum_capd (the version before, renamed
 * central_sum_cap_cells_v13), then their hours' values from their runs,
 * and their days' and months' from their hours'.  The migration makes them
 * for every hour of the store's runs (one statement), then the days and
 * months from the hours (central_sum_cap_lines_all); so does a rebuild of
 * the cells (central_sum_cap_roll_all, which central_summarise_all calls,
 * and central_sum_cap_all), after which an hour whose runs were deleted
 * leaves no values behind.
 */
#include <stddef.h>

#include "central/central-internal.h"

#define LINE_COLS "outcome, operator, work_order, part_number, revision"

/* the distinct values of level lv at the periods of from (alias d: station,
 * fixture, lo, hi) from those of level sub within them */
#define ROLL_LINES(lv, sub, from) \
	"  DELETE FROM sum_cap_lines l USING " from " WHERE l.level = '" lv "'\n" \
	"    AND l.station = d.station AND l.fixture = d.fixture AND l.hour = d.lo;\n" \
	"  INSERT INTO sum_cap_lines (level, station, fixture, hour, " LINE_COLS ")\n" \
	"  SELECT DISTINCT '" lv "', d.station, d.fixture, d.lo, l.outcome, l.operator,\n" \
	"    l.work_order, l.part_number, l.revision FROM " from "\n" \
	"    JOIN sum_cap_lines l ON l.level = '" sub "' AND l.station = d.station\n" \
	"    AND l.fixture = d.fixture AND l.hour >= d.lo AND l.hour < d.hi;\n"

#define DAYS_OF(src) \
	"(SELECT DISTINCT station, fixture, hour / 24 * 24 AS lo, hour / 24 * 24 + 24 AS hi\n" \
	"    FROM " src ") d"
#define MONTHS_OF(src) \
	"(SELECT station, fixture, lo, central_cap_month(lo + 32 * 24) AS hi FROM (SELECT\n" \
	"    DISTINCT station, fixture, central_cap_month(hour) AS lo FROM " src ") m) d"

const char *const cpi_v14[] = {
	"SELECT pg_advisory_xact_lock(126943990476147);\n"
	"CREATE TABLE sum_cap_lines (level \"char\" NOT NULL, station text COLLATE \"C\" NOT NULL,\n"
	"  fixture text COLLATE \"C\" NOT NULL, hour bigint NOT NULL, outcome text NOT NULL,\n"
	"  operator text, work_order text, part_number text, revision text);\n"
	"CREATE INDEX sum_cap_lines_at ON sum_cap_lines (level, station, fixture, hour);\n"
	/* a window's periods of every fixture */
	"CREATE INDEX sum_cap_lines_hour ON sum_cap_lines (level, hour);\n"
	"GRANT SELECT ON sum_cap_lines TO station_reader;\n"
	/* the hours of pg_temp.sum_capd from their runs, then their days and
	 * months (index look-ups, whatever the planner guesses of the
	 * temporary table: OFFSET 0, as central_sum_cap_some) */
	"CREATE FUNCTION central_sum_cap_lines() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  DELETE FROM sum_cap_lines l USING pg_temp.sum_capd d WHERE l.level = 'h'\n"
	"    AND l.station = d.station AND l.fixture = d.fixture AND l.hour = d.hour;\n"
	"  INSERT INTO sum_cap_lines (level, station, fixture, hour, " LINE_COLS ")\n"
	"  SELECT DISTINCT 'h', d.station, d.fixture, d.hour, r.outcome, r.operator, r.work_order,\n"
	"    r.part_number, r.revision\n"
	"  FROM pg_temp.sum_capd d CROSS JOIN LATERAL (SELECT * FROM runs r\n"
	"    WHERE r.fixture = d.fixture AND r.station = d.station\n"
	"    AND r.started_us / 3600000000 = d.hour\n"
	"    AND r.started_us > (d.hour - 1) * 3600000000\n"
	"    AND r.started_us < (d.hour + 1) * 3600000000 OFFSET 0) r\n"
	"  WHERE " CPI_FIRST_JUDGED ";\n"
	ROLL_LINES("d", "h", DAYS_OF("pg_temp.sum_capd"))
	ROLL_LINES("m", "d", MONTHS_OF("pg_temp.sum_capd"))
	"END $$;\n",

	/* every line value from the runs: the migration, and a rebuild of the
	 * cells (whose hours gone leave nothing behind) */
	"CREATE FUNCTION central_sum_cap_lines_all() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  DELETE FROM sum_cap_lines;\n"
	"  INSERT INTO sum_cap_lines (level, station, fixture, hour, " LINE_COLS ")\n"
	"  SELECT DISTINCT 'h', r.station, r.fixture, r.started_us / 3600000000, r.outcome,\n"
	"    r.operator, r.work_order, r.part_number, r.revision FROM runs r\n"
	"  WHERE " CPI_FIRST_JUDGED ";\n"
	"  INSERT INTO sum_cap_lines (level, station, fixture, hour, " LINE_COLS ")\n"
	"  SELECT DISTINCT 'd', station, fixture, hour / 24 * 24, " LINE_COLS "\n"
	"  FROM sum_cap_lines WHERE level = 'h';\n"
	"  INSERT INTO sum_cap_lines (level, station, fixture, hour, " LINE_COLS ")\n"
	"  SELECT DISTINCT 'm', station, fixture, central_cap_month(hour), " LINE_COLS "\n"
	"  FROM sum_cap_lines WHERE level = 'd';\n"
	"END $$;\n"
	"ALTER FUNCTION central_sum_cap_roll_all() RENAME TO central_sum_cap_roll_all_v13;\n"
	"CREATE FUNCTION central_sum_cap_roll_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"DECLARE n bigint;\n"
	"BEGIN\n"
	"  n := central_sum_cap_roll_all_v13();\n"
	"  PERFORM central_sum_cap_lines_all();\n"
	"  RETURN n;\n"
	"END $$;\n"
	"ALTER FUNCTION central_sum_cap_all() RENAME TO central_sum_cap_all_v13;\n"
	"CREATE FUNCTION central_sum_cap_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"DECLARE n bigint;\n"
	"BEGIN\n"
	"  n := central_sum_cap_all_v13();\n"
	"  PERFORM central_sum_cap_lines_all();\n"
	"  RETURN n;\n"
	"END $$;\n",

	/* kept with the hour cells */
	"ALTER FUNCTION central_sum_cap_cells(boolean) RENAME TO central_sum_cap_cells_v13;\n"
	"CREATE FUNCTION central_sum_cap_cells(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM central_sum_cap_cells_v13(bulk);\n"
	"  PERFORM central_sum_cap_lines();\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_sum_cap_lines(), central_sum_cap_cells(boolean),\n"
	"  central_sum_cap_cells_v13(boolean), central_sum_cap_lines_all(),\n"
	"  central_sum_cap_roll_all(), central_sum_cap_roll_all_v13(), central_sum_cap_all(),\n"
	"  central_sum_cap_all_v13() FROM PUBLIC;\n"
	/* every hour of the store's runs, and the days and months */
	"SELECT central_sum_cap_lines_all();\n",
	NULL
};
