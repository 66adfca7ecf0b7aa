/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 7: process capability from summaries, and the
 * whole rebuild under the summaries' lock.
 *
 * A capability cell (sum_cap) holds the values of one capability key
 * (sum_cap_keys: sequence name and version, step, measurement, unit, low,
 * high; NULLs are values) measured in one UTC hour on one physical fixture,
 * (station, fixture): fixture names repeat across stations, and moving
 * ranges never cross two stations' fixtures.  Only each unit's first judged
 * run of its operation counts (the rows path's rule, read_sql.c), values
 * not NULL.  A cell keeps n, its first value as ref, s1 = sum(x - ref),
 * s2 = sum((x - ref)^2), min, max, its first and last value in time order
 * (started_us, run id, measurement id: the rows path's ORDER BY) with their
 * times, and the moving ranges inside it (mr_n, mr_sum); report/capability.c
 * joins consecutive cells of a (key, station, fixture) by |first - last|,
 * and an hour cell is a rational subgroup (docs/central.md).
 *
 * A cell is never updated in place: a group (station, fixture, hour) that
 * a summarised run touches is computed again from its rows, every key at
 * once (one hour of one fixture: tens of runs).  The groups touched: those
 * of the new judged runs with a serial, and of the judged runs of the same
 * unit and operation started after them, one of which was the first judged
 * run until now (a station forwarding late: its earlier run takes the place
 * of the first run counted, whose cells become stale).  In the transaction
 * of the runs' summaries (central_summarise_runs), under their advisory
 * lock.  The migration builds the cells of a store's runs from the rows
 * (central_sum_cap_all, 32 days at a time).
 *
 * central_summarise_all (version 4) took no lock: run by hand (a rebuild)
 * while stations forwarded, both added the same runs or deadlocked on the
 * cells.  Now it takes the lock central_summarise_runs takes.
 */
#include <stddef.h>

#include "central/central-internal.h"

/* The cells of the groups of pg_temp.sum_capd (d) into pg_temp.sum_capc:
 * runs is the FROM clause giving their runs (r, d.hour). */
#define CAP_CELLS(runs) \
	"  INSERT INTO pg_temp.sum_capc\n" \
	"  SELECT sequence_name, sequence_version, step, name, unit, low, high, station, fixture,\n" \
	"    hour, count(*), min(ref), sum(x - ref), sum((x - ref) * (x - ref)), min(x), max(x),\n" \
	"    min(started_us), min(ref), max(started_us), min(last_v), count(mr),\n" \
	"    coalesce(sum(mr), 0)\n" \
	"  FROM (SELECT v.*, first_value(x) OVER w AS ref, abs(x - lag(x) OVER w) AS mr,\n" \
	"      last_value(x) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)\n" \
	"        AS last_v\n" \
	"    FROM (SELECT r.sequence_name, r.sequence_version, s.name AS step, m.name, m.unit,\n" \
	"        m.low, m.high, r.station, r.fixture, d.hour, r.started_us, r.id AS run,\n" \
	"        m.id AS mid, m.value AS x\n" \
	"      FROM " runs "\n" \
	"      JOIN measurements m ON m.run_id = r.id\n" \
	"      JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id\n" \
	"      WHERE m.value IS NOT NULL AND " CPI_FIRST_JUDGED ") v\n" \
	"    WINDOW w AS (PARTITION BY sequence_name, sequence_version, step, name, unit, low,\n" \
	"      high, station, fixture, hour ORDER BY started_us, run COLLATE \"C\", mid)) z\n" \
	"  GROUP BY sequence_name, sequence_version, step, name, unit, low, high, station,\n" \
	"    fixture, hour;\n"

const char *const cpi_v7[] = {
	"CREATE TABLE sum_cap_keys (id bigserial PRIMARY KEY, sequence_name text,\n"
	"  sequence_version text, step text NOT NULL, name text NOT NULL, unit text,\n"
	"  low float8, high float8,\n"
	"  UNIQUE NULLS NOT DISTINCT (sequence_name, sequence_version, step, name, unit, low,\n"
	"    high));\n"
	"CREATE TABLE sum_cap (key bigint NOT NULL, station text COLLATE \"C\" NOT NULL,\n"
	"  fixture text COLLATE \"C\" NOT NULL, hour bigint NOT NULL, n bigint NOT NULL,\n"
	"  ref float8 NOT NULL, s1 float8 NOT NULL, s2 float8 NOT NULL, min float8 NOT NULL,\n"
	"  max float8 NOT NULL, first_us bigint NOT NULL, first_v float8 NOT NULL,\n"
	"  last_us bigint NOT NULL, last_v float8 NOT NULL, mr_n bigint NOT NULL,\n"
	"  mr_sum float8 NOT NULL, PRIMARY KEY (station, fixture, hour, key));\n"
	"CREATE INDEX sum_cap_key ON sum_cap (key, station, fixture, hour);\n"
	/* a window's hours of a key: a week's cells read 153 ms, not 360 */
	"CREATE INDEX sum_cap_key_hour ON sum_cap (key, hour);\n"
	"GRANT SELECT ON sum_cap_keys, sum_cap TO station_reader;\n",

	/* the groups to compute (station, fixture, hour) and their cells */
	"CREATE FUNCTION central_sum_cap_tmp() RETURNS void LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  IF to_regclass('pg_temp.sum_capd') IS NOT NULL THEN RETURN; END IF;\n"
	"  CREATE TEMP TABLE sum_capd (station text, fixture text, hour bigint,\n"
	"    PRIMARY KEY (station, fixture, hour)) ON COMMIT DELETE ROWS;\n"
	"  CREATE TEMP TABLE sum_capc (sequence_name text, sequence_version text, step text,\n"
	"    name text, unit text, low float8, high float8, station text, fixture text,\n"
	"    hour bigint, n bigint, ref float8, s1 float8, s2 float8, min float8, max float8,\n"
	"    first_us bigint, first_v float8, last_us bigint, last_v float8, mr_n bigint,\n"
	"    mr_sum float8) ON COMMIT DELETE ROWS;\n"
	"END $$;\n",

	/* a rebuild: the groups of 32 days, hashed */
	"CREATE FUNCTION central_sum_cap_bulk() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	CAP_CELLS("pg_temp.sum_capd d JOIN runs r ON r.station = d.station\n"
		  "        AND r.fixture = d.fixture AND r.started_us / 3600000000 = d.hour")
	"END $$;\n",

	/* a few groups: each an index look-up (runs_fixture), whatever the
	 * planner guesses of the temporary table */
	"CREATE FUNCTION central_sum_cap_some() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	CAP_CELLS("pg_temp.sum_capd d CROSS JOIN LATERAL (SELECT * FROM runs r\n"
		  "        WHERE r.fixture = d.fixture AND r.station = d.station\n"
		  "        AND r.started_us / 3600000000 = d.hour\n"
		  "        AND r.started_us > (d.hour - 1) * 3600000000\n"
		  "        AND r.started_us < (d.hour + 1) * 3600000000 OFFSET 0) r")
	"END $$;\n",

	/* the cells of the groups in pg_temp.sum_capd, from their rows */
	"CREATE FUNCTION central_sum_cap_cells(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  IF bulk THEN ANALYZE pg_temp.sum_capd; END IF;\n"
	"  DELETE FROM pg_temp.sum_capc;\n"
	"  IF bulk THEN PERFORM central_sum_cap_bulk(); ELSE PERFORM central_sum_cap_some(); END IF;\n"
	"  INSERT INTO sum_cap_keys (sequence_name, sequence_version, step, name, unit, low, high)\n"
	"    SELECT DISTINCT sequence_name, sequence_version, step, name, unit, low, high\n"
	"    FROM pg_temp.sum_capc ON CONFLICT DO NOTHING;\n"
	"  DELETE FROM sum_cap c USING pg_temp.sum_capd d WHERE c.station = d.station\n"
	"    AND c.fixture = d.fixture AND c.hour = d.hour;\n"
	"  INSERT INTO sum_cap (key, station, fixture, hour, n, ref, s1, s2, min, max, first_us,\n"
	"    first_v, last_us, last_v, mr_n, mr_sum)\n"
	"  SELECT k.id, c.station, c.fixture, c.hour, c.n, c.ref, c.s1, c.s2, c.min, c.max,\n"
	"    c.first_us, c.first_v, c.last_us, c.last_v, c.mr_n, c.mr_sum\n"
	"  FROM pg_temp.sum_capc c JOIN sum_cap_keys k ON " CPI_KEY_MATCH("k", "c")
	"  ORDER BY 2, 3, 4, 1;\n"
	"END $$;\n",

	/* the groups the runs of pg_temp.sum_new (new to the summaries) touch */
	"CREATE FUNCTION central_sum_cap(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM central_sum_cap_tmp();\n"
	"  DELETE FROM pg_temp.sum_capd;\n"
	"  INSERT INTO pg_temp.sum_capd\n"
	"  SELECT r.station, r.fixture, r.started_us / 3600000000 FROM pg_temp.sum_new n\n"
	"    JOIN runs r ON r.id = n.id\n"
	"    WHERE r.outcome IN ('pass', 'fail') AND r.unit_serial IS NOT NULL\n"
	/* in a rebuild, time order: no later chunk moves an earlier first run */
	"  UNION SELECT p.station, p.fixture, p.started_us / 3600000000 FROM pg_temp.sum_new n\n"
	"    JOIN runs r ON r.id = n.id JOIN runs p ON p.unit_serial = r.unit_serial\n"
	"      AND p.sequence_name IS NOT DISTINCT FROM r.sequence_name\n"
	"      AND p.outcome IN ('pass', 'fail')\n"
	"      AND (p.started_us > r.started_us OR (p.started_us = r.started_us\n"
	"        AND p.id COLLATE \"C\" > r.id COLLATE \"C\"))\n"
	"    WHERE NOT bulk AND r.outcome IN ('pass', 'fail') AND r.unit_serial IS NOT NULL;\n"
	"  PERFORM central_sum_cap_cells(bulk);\n"
	"END $$;\n",

	/* the summaries of new runs: version 4's, then the capability cells */
	"ALTER FUNCTION central_summarise_new(boolean) RENAME TO central_summarise_new_v6;\n"
	"CREATE FUNCTION central_summarise_new(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM central_summarise_new_v6(bulk);\n"
	"  PERFORM central_sum_cap(bulk);\n"
	"END $$;\n"
	/* a rebuild by hand waits for the stations summarising, and they for it */
	"ALTER FUNCTION central_summarise_all() RENAME TO central_summarise_all_v6;\n"
	"CREATE FUNCTION central_summarise_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(126943990476147);\n"
	"  RETURN central_summarise_all_v6();\n"
	"END $$;\n"
	/* every group of a store's runs, 32 days at a time (the migration) */
	"CREATE FUNCTION central_sum_cap_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp SET enable_nestloop = off SET work_mem = '256MB' AS $$\n"
	"DECLARE lo bigint; hi bigint; n bigint := 0; step constant bigint := 32 * 86400000000;\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(126943990476147);\n"
	"  PERFORM central_sum_cap_tmp();\n"
	"  ANALYZE runs, steps, measurements;\n"
	"  SELECT min(started_us), max(started_us) INTO lo, hi FROM runs;\n"
	"  WHILE lo <= hi LOOP\n"
	"    DELETE FROM pg_temp.sum_capd;\n"
	"    INSERT INTO pg_temp.sum_capd SELECT DISTINCT r.station, r.fixture,\n"
	"      r.started_us / 3600000000 FROM runs r WHERE r.started_us >= lo\n"
	"      AND r.started_us < lo + step AND r.outcome IN ('pass', 'fail')\n"
	"      AND r.unit_serial IS NOT NULL;\n"
	"    PERFORM central_sum_cap_cells(true);\n"
	"    n := n + (SELECT count(*) FROM pg_temp.sum_capc);\n"
	"    lo := lo + step;\n"
	"  END LOOP;\n"
	"  RETURN n;\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_sum_cap_tmp(), central_sum_cap_bulk(),\n"
	"  central_sum_cap_some(), central_sum_cap_cells(boolean),\n"
	"  central_sum_cap(boolean),\n"
	"  central_summarise_new(boolean), central_summarise_all(), central_summarise_all_v6(),\n"
	"  central_sum_cap_all()\n"
	"  FROM PUBLIC;\n"
	"SELECT central_sum_cap_all();\n",
	NULL
};
