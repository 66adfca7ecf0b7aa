/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 8: capability cells of days and months, so that
 * report --capability is combined on the server from a few thousand cells.
 *
 * Version 7's hour cells (sum_cap) are 1.8 million on a store of a million
 * runs; handing them to the report took 7 s for the whole store.  A day
 * cell (sum_cap_day) is a capability key's hour cells of one UTC day on
 * one physical fixture (station, fixture) combined, a month cell
 * (sum_cap_month) its day cells of one UTC calendar month, each keeping
 * what the report needs of its hours (CPI_CAP_COMBINE, central-internal.h):
 * n, mean, m2, the hours' within sum of squares and count (the rational
 * subgroups of --subgroups), min, max, its first and last value in time
 * order with their times, and its moving ranges, those between its hours
 * included.  The report (read_cap.c) takes a window's whole months from
 * the month cells, its other whole days from the day cells and the hours
 * at its edges from the hour cells, and combines them, one row per key.
 *
 * Kept by the code that keeps the hour cells: central_sum_cap_cells()
 * computes the hours of pg_temp.sum_capd again (version 7's, renamed
 * central_sum_cap_cells_v7), then the day cells of the (key, station,
 * fixture) cells of those hours, before and after (central_sum_cap_touched),
 * from their hour cells and their months from their day cells
 * (central_sum_cap_roll), in the same transaction under the summaries'
 * lock: each cell found by an index, so a batch costs what it touches, not
 * what the store holds (before, every key's days and months of a fixture,
 * the cells deleted after a scan of all of them).  central_summarise_all() (a
 * rebuild) and the migration build every day and month cell from the hour
 * cells (central_sum_cap_roll_all), so a day whose runs were all deleted
 * leaves no cell behind.
 */
#include <stddef.h>

#include "central/central-internal.h"

/* combined cells of src grouped by (key, station, fixture, lo): lo, a
 * column of src, the start hour of the day or month */
#define ROLL(src) CPI_CAP_COMBINE(src, "key, station, fixture, lo", "key, station, fixture, lo")

#define DAY_OF_HOURS(from) \
	"INSERT INTO sum_cap_day\n" \
	ROLL("(SELECT " CPI_CAP_HOUR ", c.hour / 24 * 24 AS lo FROM " from ") s") ";\n"

#define MONTH_OF_DAYS(from) \
	"INSERT INTO sum_cap_month\n" \
	ROLL("(SELECT " CPI_CAP_CELL ", central_cap_month(c.hour) AS lo FROM " from ") s") ";\n"

/* the cells of pg_temp.sum_capr (d: its id, key, station, fixture, lo, hi)
 * into t from their finer cells (cols: CPI_CAP_HOUR or CPI_CAP_CELL, of c
 * in from): each combined as ROLL combines it, its cells in hour order,
 * grouped by d's id alone (one integer to sort and compare, not four) */
#define ROLL_SOME(t, cols, from) \
	"INSERT INTO " t "\n" \
	"SELECT d.key, d.station, d.fixture, d.lo, x.n, x.mean, x.m2, x.ssw, x.n_sub, x.min,\n" \
	"  x.max, x.first_us, x.first_v, x.last_us, x.last_v, x.mr_n, x.mr_sum\n" \
	"FROM (" CPI_CAP_COMBINE("(SELECT d.id, " cols " FROM " from ") s", "id", "id") ") x\n" \
	"JOIN pg_temp.sum_capr d ON d.id = x.id;\n"

#define CELLS(t) \
	"CREATE TABLE " t " (key bigint NOT NULL, station text COLLATE \"C\" NOT NULL,\n" \
	"  fixture text COLLATE \"C\" NOT NULL, hour bigint NOT NULL, n bigint NOT NULL,\n" \
	"  mean float8 NOT NULL, m2 float8 NOT NULL, ssw float8 NOT NULL, n_sub bigint NOT NULL,\n" \
	"  min float8 NOT NULL, max float8 NOT NULL, first_us bigint NOT NULL,\n" \
	"  first_v float8 NOT NULL, last_us bigint NOT NULL, last_v float8 NOT NULL,\n" \
	"  mr_n bigint NOT NULL, mr_sum float8 NOT NULL,\n" \
	"  PRIMARY KEY (station, fixture, hour, key));\n" \
	"CREATE INDEX " t "_key ON " t " (key, hour);\n"

const char *const cpi_v8[] = {
	/* hour: the cell's first hour (hours since the epoch), as sum_cap's */
	CELLS("sum_cap_day") CELLS("sum_cap_month")
	"GRANT SELECT ON sum_cap_day, sum_cap_month TO station_reader;\n"
	/* the first hour of the UTC month of hour h */
	"CREATE FUNCTION central_cap_month(h bigint) RETURNS bigint LANGUAGE sql IMMUTABLE\n"
	"  PARALLEL SAFE AS $$ SELECT (extract(epoch FROM date_trunc('month',\n"
	"    to_timestamp(h * 3600) AT TIME ZONE 'UTC')) / 3600)::bigint $$;\n",

	/* the cells touched: pg_temp.sum_capk, each (key, station, fixture,
	 * hour) cell of the groups of pg_temp.sum_capd, taken before their hours
	 * are computed again (a key gone from a group) and after (a key new to
	 * it); each group a look-up of sum_cap's primary key */
	"CREATE FUNCTION central_sum_cap_touched(fresh boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  IF to_regclass('pg_temp.sum_capk') IS NULL THEN\n"
	"    CREATE TEMP TABLE sum_capk (key bigint, station text, fixture text, hour bigint)\n"
	"      ON COMMIT DELETE ROWS;\n"
	"    CREATE TEMP TABLE sum_capr (id bigint, key bigint, station text, fixture text,\n"
	"      lo bigint, hi bigint) ON COMMIT DELETE ROWS;\n"
	"  END IF;\n"
	"  IF fresh THEN DELETE FROM pg_temp.sum_capk; END IF;\n"
	"  INSERT INTO pg_temp.sum_capk SELECT c.key, d.station, d.fixture, d.hour\n"
	"    FROM pg_temp.sum_capd d CROSS JOIN LATERAL (SELECT c.key FROM sum_cap c\n"
	"      WHERE c.station = d.station AND c.fixture = d.fixture AND c.hour = d.hour\n"
	"      OFFSET 0) c;\n"
	"END $$;\n",

	/* the days and months of the cells of pg_temp.sum_capk, computed again,
	 * those only: each cell deleted by its primary key, a day from its
	 * key's hours (sum_cap_key: key, station, fixture, hour), a month from
	 * its days (sum_cap_day's primary key, below); index look-ups whatever
	 * the planner guesses of the temporary tables (OFFSET 0) */
	"CREATE FUNCTION central_sum_cap_roll() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  DELETE FROM pg_temp.sum_capr;\n"
	"  INSERT INTO pg_temp.sum_capr SELECT row_number() OVER (), * FROM (SELECT DISTINCT key,\n"
	"    station, fixture, hour / 24 * 24, hour / 24 * 24 + 24 FROM pg_temp.sum_capk) k;\n"
	"  DELETE FROM sum_cap_day WHERE ctid = ANY (ARRAY(SELECT c.ctid FROM pg_temp.sum_capr d\n"
	"    CROSS JOIN LATERAL (SELECT c.ctid FROM sum_cap_day c WHERE c.station = d.station\n"
	"      AND c.fixture = d.fixture AND c.hour = d.lo AND c.key = d.key OFFSET 0) c));\n"
	ROLL_SOME("sum_cap_day", CPI_CAP_HOUR, "pg_temp.sum_capr d CROSS JOIN LATERAL (SELECT * FROM sum_cap c\n"
		     "    WHERE c.key = d.key AND c.station = d.station AND c.fixture = d.fixture\n"
		     "    AND c.hour >= d.lo AND c.hour < d.hi OFFSET 0) c")
	"  DELETE FROM pg_temp.sum_capr;\n"
	"  INSERT INTO pg_temp.sum_capr SELECT row_number() OVER (), *, central_cap_month(lo + 32 * 24)\n"
	"    FROM (SELECT DISTINCT key, station, fixture, central_cap_month(hour) AS lo\n"
	"    FROM pg_temp.sum_capk) k;\n"
	"  DELETE FROM sum_cap_month WHERE ctid = ANY (ARRAY(SELECT c.ctid FROM pg_temp.sum_capr d\n"
	"    CROSS JOIN LATERAL (SELECT c.ctid FROM sum_cap_month c WHERE c.station = d.station\n"
	"      AND c.fixture = d.fixture AND c.hour = d.lo AND c.key = d.key OFFSET 0) c));\n"
	/* a fixture's month read once for all its keys (the key is the
	 * primary key's last column: read per key, each read them all) */
	ROLL_SOME("sum_cap_month", CPI_CAP_CELL, "(SELECT g.lo AS glo, c.* FROM (SELECT DISTINCT\n"
		  "    station, fixture, lo, hi FROM pg_temp.sum_capr) g CROSS JOIN LATERAL (SELECT *\n"
		  "    FROM sum_cap_day c WHERE c.station = g.station AND c.fixture = g.fixture\n"
		  "    AND c.hour >= g.lo AND c.hour < g.hi OFFSET 0) c OFFSET 0) c\n"
		  "    JOIN pg_temp.sum_capr d ON d.station = c.station AND d.fixture = c.fixture\n"
		  "    AND d.lo = c.glo AND d.key = c.key")
	"END $$;\n",

	/* every day and month from the hour cells */
	"CREATE FUNCTION central_sum_cap_roll_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp SET work_mem = '256MB' AS $$\n"
	"BEGIN\n"
	"  DELETE FROM sum_cap_day;\n"
	"  DELETE FROM sum_cap_month;\n"
	DAY_OF_HOURS("sum_cap c")
	MONTH_OF_DAYS("sum_cap_day c")
	"  RETURN (SELECT count(*) FROM sum_cap_day);\n"
	"END $$;\n",

	/* kept with the hour cells, rebuilt with them */
	"ALTER FUNCTION central_sum_cap_cells(boolean) RENAME TO central_sum_cap_cells_v7;\n"
	"CREATE FUNCTION central_sum_cap_cells(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM central_sum_cap_touched(true);\n"
	"  PERFORM central_sum_cap_cells_v7(bulk);\n"
	"  PERFORM central_sum_cap_touched(false);\n"
	"  PERFORM central_sum_cap_roll();\n"
	"END $$;\n"
	"ALTER FUNCTION central_summarise_all() RENAME TO central_summarise_all_v7;\n"
	"CREATE FUNCTION central_summarise_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"DECLARE n bigint;\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(126943990476147);\n"
	"  n := central_summarise_all_v7();\n"
	"  PERFORM central_sum_cap_roll_all();\n"
	"  RETURN n;\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_sum_cap_touched(boolean), central_sum_cap_roll(),\n"
	"  central_sum_cap_roll_all(),\n"
	"  central_sum_cap_cells_v7(boolean), central_sum_cap_cells(boolean),\n"
	"  central_summarise_all_v7(), central_summarise_all() FROM PUBLIC;\n"
	"SELECT pg_advisory_xact_lock(126943990476147);\n"
	"SELECT central_sum_cap_roll_all();\n",
	NULL
};
