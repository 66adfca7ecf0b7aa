/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 4: summaries for the quality queries on a store of
 * millions of runs (central/report_sum.c reads them), kept in the
 * transaction that stores each forwarded run (send.c calls
 * central_summarise_run), built from the rows for the runs a store already
 * had (central_summarise_all, by the migration).  Derived data: the rows
 * stay the truth, and the same figures come from either (t_central_sum).
 *
 * As the log's summaries (db/schema.sql, schema 3), with the station added
 * and the unit counts made distinct per filter without reading the runs: a
 * cell holds the runs of one UTC day at one level of detail:
 *   'a' every run of the day          'q' of one sequence (by name)
 *   't' of one station                'f' of one fixture
 *   'x' of one station, fixture, sequence name and version
 * A run counts in one cell of each level.  A report filtered by nothing,
 * one sequence name, one station or one fixture reads the cells of that
 * level, any other filter the 'x' cells.  A unit's per-cell counts become
 * distinct by the correction of db_report_sum.c, over the units marked
 * multi: those with two cells of a level that one filter can select
 * together (same level and values, another day; at 'x' any two), so a unit
 * tested by "ict" then "final" is counted once at level 'a' without being
 * corrected.  Measurements: per cell and key n, sums about a reference
 * (the key's first value in time), min, max, beyond-limit counts and the
 * histogram's 60 bins in the log's fixed frame (db_hist_frame and
 * db_hist_bin, the same arithmetic in SQL here).
 *
 * Every function that writes runs as the owner (SECURITY DEFINER): the
 * writer role may call central_summarise_run, and cannot touch the tables.
 */
#include <stddef.h>

#include "central/central-internal.h"

const char *const cpi_v4[] = {
	"CREATE TABLE sum_runs (run_id text PRIMARY KEY);\n"
	"CREATE TABLE sum_cells (id bigserial PRIMARY KEY, level \"char\" NOT NULL,\n"
	"  day integer NOT NULL, station text NOT NULL, fixture text NOT NULL,\n"
	"  sequence_name text NOT NULL, sequence_version text NOT NULL, grp text NOT NULL,\n"
	"  runs bigint NOT NULL DEFAULT 0, units bigint NOT NULL DEFAULT 0,\n"
	"  passed bigint NOT NULL DEFAULT 0, first_units bigint NOT NULL DEFAULT 0,\n"
	"  first_passed bigint NOT NULL DEFAULT 0,\n"
	"  UNIQUE (level, station, fixture, sequence_name, sequence_version, day));\n"
	"CREATE INDEX sum_cells_day ON sum_cells (level, day);\n"
	"CREATE TABLE sum_unit_cells (unit text NOT NULL, grp text NOT NULL, cell bigint NOT NULL,\n"
	"  passed boolean NOT NULL, multi boolean NOT NULL DEFAULT false,\n"
	"  PRIMARY KEY (unit, grp, cell));\n"
	"CREATE INDEX sum_unit_cells_multi ON sum_unit_cells (cell) WHERE multi;\n"
	"CREATE TABLE sum_unit_first (unit text PRIMARY KEY, run_id text NOT NULL,\n"
	"  started_us bigint NOT NULL, passed boolean NOT NULL, cells bigint[] NOT NULL);\n"
	"CREATE TABLE sum_step_fails (cell bigint NOT NULL, step text NOT NULL, n bigint NOT NULL,\n"
	"  PRIMARY KEY (cell, step));\n"
	"CREATE TABLE sum_meas_keys (id bigserial PRIMARY KEY, sequence_name text,\n"
	"  step text NOT NULL, name text NOT NULL, unit text, low float8, high float8,\n"
	"  ref float8 NOT NULL, hist_lo float8 NOT NULL, hist_width float8 NOT NULL,\n"
	"  hist_hi float8 NOT NULL,\n"
	"  UNIQUE NULLS NOT DISTINCT (sequence_name, step, name, unit, low, high));\n"
	"CREATE TABLE sum_meas (cell bigint NOT NULL, key bigint NOT NULL, n bigint NOT NULL,\n"
	"  s1 float8 NOT NULL, s2 float8 NOT NULL, min float8 NOT NULL, max float8 NOT NULL,\n"
	"  out_low bigint NOT NULL, out_high bigint NOT NULL, bins bigint[] NOT NULL,\n"
	"  PRIMARY KEY (cell, key));\n"
	"GRANT SELECT ON sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails,\n"
	"  sum_meas_keys, sum_meas TO station_reader;\n",

	/* db_hist_frame() and db_hist_bin() of db/db_summary.c */
	"CREATE FUNCTION central_hist_frame(low float8, high float8, ref float8,\n"
	"  OUT lo float8, OUT width float8, OUT hi float8) LANGUAGE plpgsql IMMUTABLE AS $$\n"
	"DECLARE c float8 := ref; d float8;\n"
	"BEGIN\n"
	"  IF low IS NOT NULL AND high IS NOT NULL AND high > low THEN\n"
	"    lo := low; hi := high; width := (high - low) / 20; RETURN;\n"
	"  END IF;\n"
	"  IF high IS NOT NULL AND low IS NULL AND ref < high THEN\n"
	"    lo := high - 2 * (high - ref); hi := high;\n"
	"  ELSIF low IS NOT NULL AND high IS NULL AND ref > low THEN\n"
	"    lo := low; hi := low + 2 * (ref - low);\n"
	"  ELSE\n"
	"    IF low IS NOT NULL OR high IS NOT NULL THEN c := coalesce(low, high); END IF;\n"
	"    d := abs(c) * 0.05;\n"
	"    IF NOT (d > 0) OR d IN ('Infinity', 'NaN') THEN d := 1.0; END IF;\n"
	"    lo := c - d; hi := c + d;\n"
	"  END IF;\n"
	"  width := (hi - lo) / 20;\n"
	"END $$;\n"
	"CREATE FUNCTION central_hist_bin(lo float8, width float8, hi float8, v float8)\n"
	"  RETURNS integer LANGUAGE sql IMMUTABLE AS $$\n"
	"  SELECT CASE WHEN NOT ((v - lo) / width > -20) THEN 0\n"
	"    WHEN (v - lo) / width >= 20 AND v <= hi THEN 39\n"
	"    WHEN (v - lo) / width >= 40 THEN 59\n"
	"    ELSE floor((v - lo) / width)::integer + 20 END $$;\n"
	/* the 60 bins from the counts of the bins that have values */
	"CREATE FUNCTION central_hist_dense(bi integer[], bc bigint[]) RETURNS bigint[]\n"
	"  LANGUAGE plpgsql IMMUTABLE AS $$\n"
	"DECLARE h bigint[] := array_fill(0::bigint, ARRAY[60]);\n"
	"BEGIN\n"
	"  FOR i IN 1..cardinality(bi) LOOP h[bi[i] + 1] := h[bi[i] + 1] + bc[i]; END LOOP;\n"
	"  RETURN h;\n"
	"END $$;\n"
	"CREATE FUNCTION central_hist_add(a bigint[], b bigint[]) RETURNS bigint[]\n"
	"  LANGUAGE sql IMMUTABLE AS $$\n"
	"  SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) $$;\n",

	/* The runs listed in pg_temp.sum_new (id), those not yet summarised. */
	"CREATE FUNCTION central_sum_tmp() RETURNS void LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  IF to_regclass('pg_temp.sum_new') IS NOT NULL THEN RETURN; END IF;\n"
	"  CREATE TEMP TABLE sum_new (id text PRIMARY KEY, started_us bigint, unit text,\n"
	"    judged boolean, pass boolean, sequence_name text, cells bigint[])\n"
	"    ON COMMIT DELETE ROWS;\n"
	"  CREATE TEMP TABLE sum_first (unit text PRIMARY KEY, run_id text, started_us bigint,\n"
	"    passed boolean, cells bigint[]) ON COMMIT DELETE ROWS;\n"
	/* the five cells of each run: level, then its dimensions ('' unused) */
	"  CREATE TEMP TABLE sum_lv (id text, level \"char\", day integer, station text,\n"
	"    fixture text, sequence_name text, sequence_version text, grp text, cell bigint)\n"
	"    ON COMMIT DELETE ROWS;\n"
	"  CREATE TEMP TABLE sum_vals (cells bigint[], key bigint, v float8, low float8,\n"
	"    high float8, bin integer) ON COMMIT DELETE ROWS;\n"
	"END $$;\n"
	/* bulk: many runs at once (statistics on the temporary tables, so that
	 * the planner hashes); else one run, planned once per session on the
	 * tables' defaults (index look-ups), never planned again */
	"CREATE FUNCTION central_summarise_new(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  IF bulk THEN ANALYZE pg_temp.sum_new; END IF;\n"
	"  DELETE FROM pg_temp.sum_new n WHERE EXISTS (SELECT 1 FROM sum_runs s WHERE s.run_id = n.id)\n"
	"    OR NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = n.id AND r.outcome <> 'running');\n"
	"  INSERT INTO sum_runs SELECT id FROM pg_temp.sum_new;\n"
	"  UPDATE pg_temp.sum_new n SET started_us = r.started_us,\n"
	"    unit = coalesce(r.unit_serial, r.id), judged = r.outcome IN ('pass', 'fail'),\n"
	"    pass = r.outcome = 'pass', sequence_name = r.sequence_name\n"
	"    FROM runs r WHERE r.id = n.id;\n"
	"  DELETE FROM pg_temp.sum_lv;\n"
	"  INSERT INTO pg_temp.sum_lv (id, level, day, station, fixture, sequence_name,\n"
	"    sequence_version, grp)\n"
	"  SELECT r.id, l.level, (r.started_us / 86400000000)::integer, l.st, l.fx, l.sq, l.sv,\n"
	"    CASE WHEN l.level = 'x' THEN 'x' ELSE l.level::text || '|' || l.st || '|' || l.fx || '|'\n"
	"      || l.sq END\n"
	"  FROM pg_temp.sum_new n JOIN runs r ON r.id = n.id CROSS JOIN LATERAL (VALUES\n"
	"    ('a'::\"char\", '', '', '', ''),\n"
	"    ('q', '', '', coalesce(r.sequence_name, ''), ''),\n"
	"    ('t', r.station, '', '', ''),\n"
	"    ('f', '', r.fixture, '', ''),\n"
	"    ('x', r.station, r.fixture, coalesce(r.sequence_name, ''),\n"
	"     coalesce(r.sequence_version, ''))) AS l(level, st, fx, sq, sv);\n"
	"  INSERT INTO sum_cells (level, day, station, fixture, sequence_name, sequence_version, grp)\n"
	"    SELECT DISTINCT level, day, station, fixture, sequence_name, sequence_version, grp\n"
	"    FROM pg_temp.sum_lv ON CONFLICT DO NOTHING;\n"
	"  IF bulk THEN ANALYZE pg_temp.sum_new; ANALYZE pg_temp.sum_lv; END IF;\n"
	"  UPDATE pg_temp.sum_lv l SET cell = c.id FROM sum_cells c WHERE c.level = l.level\n"
	"    AND c.station = l.station AND c.fixture = l.fixture\n"
	"    AND c.sequence_name = l.sequence_name AND c.sequence_version = l.sequence_version\n"
	"    AND c.day = l.day;\n"
	"  UPDATE pg_temp.sum_new n SET cells = k.cells FROM (SELECT id,\n"
	"    array_agg(cell ORDER BY level) AS cells FROM pg_temp.sum_lv GROUP BY id) k\n"
	"    WHERE k.id = n.id;\n"
	"  UPDATE sum_cells c SET runs = c.runs + k.n FROM (SELECT cell, count(*) AS n\n"
	"    FROM pg_temp.sum_lv GROUP BY cell) k WHERE c.id = k.cell;\n"
	"  PERFORM central_sum_units();\n"
	"  PERFORM central_sum_meas(bulk);\n"
	"END $$;\n",

	/* units and units passed: one (unit, cell) each, distinct per cell */
	"CREATE FUNCTION central_sum_units() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  WITH j AS (SELECT n.unit, l.grp, l.cell, bool_or(n.pass) AS passed\n"
	"      FROM pg_temp.sum_new n JOIN pg_temp.sum_lv l ON l.id = n.id WHERE n.judged\n"
	"      GROUP BY 1, 2, 3),\n"
	"    ins AS (INSERT INTO sum_unit_cells AS u (unit, grp, cell, passed)\n"
	"      SELECT unit, grp, cell, passed FROM j\n"
	"      ON CONFLICT (unit, grp, cell) DO UPDATE SET passed = true\n"
	"      WHERE NOT u.passed AND EXCLUDED.passed RETURNING u.cell, u.xmax = 0 AS fresh, u.passed)\n"
	"  UPDATE sum_cells c SET units = c.units + d.fresh, passed = c.passed + d.pass\n"
	"    FROM (SELECT cell, count(*) FILTER (WHERE fresh) AS fresh,\n"
	"      count(*) FILTER (WHERE passed) AS pass FROM ins GROUP BY cell) d WHERE c.id = d.cell;\n"
	"  UPDATE sum_unit_cells u SET multi = true FROM (SELECT uc.unit, uc.grp\n"
	"      FROM sum_unit_cells uc WHERE uc.unit IN (SELECT unit FROM pg_temp.sum_new\n"
	"      WHERE judged) GROUP BY uc.unit, uc.grp HAVING count(*) > 1) m\n"
	"    WHERE u.unit = m.unit AND u.grp = m.grp AND NOT u.multi;\n"
	/* first-pass yield: each unit's first judged run, over the store; a run
	 * forwarded late but started earlier takes the place of the later one */
	"  DELETE FROM pg_temp.sum_first;\n"
	"  INSERT INTO pg_temp.sum_first SELECT DISTINCT ON (unit) unit, id, started_us, pass, cells\n"
	"    FROM pg_temp.sum_new WHERE judged ORDER BY unit, started_us, id;\n"
	"  UPDATE sum_cells c SET first_units = c.first_units - d.n,\n"
	"    first_passed = c.first_passed - d.p\n"
	"    FROM (SELECT x.cell, count(*) AS n, count(*) FILTER (WHERE u.passed) AS p\n"
	"      FROM sum_unit_first u JOIN pg_temp.sum_first f ON f.unit = u.unit\n"
	"      CROSS JOIN LATERAL unnest(u.cells) AS x(cell)\n"
	"      WHERE (f.started_us, f.run_id) < (u.started_us, u.run_id) GROUP BY x.cell) d\n"
	"    WHERE c.id = d.cell;\n"
	"  WITH up AS (INSERT INTO sum_unit_first AS u (unit, run_id, started_us, passed, cells)\n"
	"      SELECT unit, run_id, started_us, passed, cells FROM pg_temp.sum_first\n"
	"      ON CONFLICT (unit) DO UPDATE SET run_id = EXCLUDED.run_id,\n"
	"        started_us = EXCLUDED.started_us, passed = EXCLUDED.passed, cells = EXCLUDED.cells\n"
	"      WHERE (EXCLUDED.started_us, EXCLUDED.run_id) < (u.started_us, u.run_id)\n"
	"      RETURNING u.cells, u.passed)\n"
	"  UPDATE sum_cells c SET first_units = c.first_units + d.n,\n"
	"    first_passed = c.first_passed + d.p\n"
	"    FROM (SELECT x.cell, count(*) AS n, count(*) FILTER (WHERE up.passed) AS p\n"
	"      FROM up CROSS JOIN LATERAL unnest(up.cells) AS x(cell) GROUP BY x.cell) d\n"
	"    WHERE c.id = d.cell;\n"
	"END $$;\n",

	/* the Pareto's failed steps and the measurements: per 'x' cell, then
	 * added to each of the run's cells */
	"CREATE FUNCTION central_sum_meas(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  INSERT INTO sum_step_fails AS sf (cell, step, n)\n"
	"    SELECT l.cell, s.name, count(*) FROM pg_temp.sum_lv l JOIN steps s ON s.run_id = l.id\n"
	"    WHERE s.outcome IN ('fail', 'error') AND coalesce(s.kind, '') NOT IN ('group', 'include')\n"
	"    GROUP BY 1, 2 ON CONFLICT (cell, step) DO UPDATE SET n = sf.n + EXCLUDED.n;\n"
	/* the keys first seen: their reference, the first value in time */
	"  DELETE FROM pg_temp.sum_vals;\n"
	"  IF EXISTS (SELECT 1 FROM pg_temp.sum_new n JOIN measurements m ON m.run_id = n.id\n"
	"      JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id\n"
	"      WHERE m.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sum_meas_keys k\n"
	"        WHERE k.sequence_name IS NOT DISTINCT FROM n.sequence_name AND k.step = s.name\n"
	"        AND k.name = m.name AND k.unit IS NOT DISTINCT FROM m.unit\n"
	"        AND k.low IS NOT DISTINCT FROM m.low AND k.high IS NOT DISTINCT FROM m.high)) THEN\n"
	"    INSERT INTO sum_meas_keys (sequence_name, step, name, unit, low, high, ref, hist_lo,\n"
	"      hist_width, hist_hi)\n"
	"    SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, k.v, f.lo, f.width, f.hi\n"
	"    FROM (SELECT DISTINCT ON (n.sequence_name, s.name, m.name, m.unit, m.low, m.high)\n"
	"        n.sequence_name, s.name AS step, m.name, m.unit, m.low, m.high, m.value AS v\n"
	"      FROM pg_temp.sum_new n JOIN measurements m ON m.run_id = n.id\n"
	"      JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id WHERE m.value IS NOT NULL\n"
	"      ORDER BY n.sequence_name, s.name, m.name, m.unit, m.low, m.high, n.started_us, n.id,\n"
	"        m.id) k\n"
	"    CROSS JOIN LATERAL central_hist_frame(k.low, k.high, k.v) f\n"
	"    ON CONFLICT DO NOTHING;\n"
	"  END IF;\n"
	"  INSERT INTO pg_temp.sum_vals\n"
	"  SELECT n.cells, k.id, m.value, m.low, m.high,\n"
	"    central_hist_bin(k.hist_lo, k.hist_width, k.hist_hi, m.value)\n"
	"  FROM pg_temp.sum_new n JOIN measurements m ON m.run_id = n.id\n"
	"  JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id\n"
	"  JOIN sum_meas_keys k ON coalesce(k.sequence_name, '') = coalesce(n.sequence_name, '')\n"
	"    AND k.step = s.name AND k.name = m.name AND coalesce(k.unit, '') = coalesce(m.unit, '')\n"
	"    AND coalesce(k.low, 'NaN') = coalesce(m.low, 'NaN')\n"
	"    AND coalesce(k.high, 'NaN') = coalesce(m.high, 'NaN')\n"
	"    AND k.sequence_name IS NOT DISTINCT FROM n.sequence_name\n"
	"    AND k.unit IS NOT DISTINCT FROM m.unit\n"
	"  WHERE m.value IS NOT NULL;\n"
	"  IF bulk THEN ANALYZE pg_temp.sum_vals; END IF;\n"
	/* per run's cells and key: the sums, and the bins counted in SQL,
	 * then made the 60 of the frame */
	"  WITH v AS (SELECT x.cells, x.key, count(*) AS n, sum(x.v - k.ref) AS s1,\n"
	"      sum((x.v - k.ref) * (x.v - k.ref)) AS s2, min(x.v) AS min, max(x.v) AS max,\n"
	"      count(*) FILTER (WHERE x.v < x.low) AS out_low,\n"
	"      count(*) FILTER (WHERE x.v > x.high) AS out_high\n"
	"      FROM pg_temp.sum_vals x JOIN sum_meas_keys k ON k.id = x.key GROUP BY x.cells, x.key),\n"
	"    vc AS (SELECT c.cell, v.key, sum(v.n) AS n, sum(v.s1) AS s1, sum(v.s2) AS s2,\n"
	"      min(v.min) AS min, max(v.max) AS max, sum(v.out_low) AS out_low,\n"
	"      sum(v.out_high) AS out_high FROM v CROSS JOIN LATERAL unnest(v.cells) AS c(cell)\n"
	"      GROUP BY c.cell, v.key),\n"
	"    b AS (SELECT c.cell, x.key, x.bin, count(*) AS n FROM pg_temp.sum_vals x\n"
	"      CROSS JOIN LATERAL unnest(x.cells) AS c(cell) GROUP BY 1, 2, 3),\n"
	"    h AS (SELECT cell, key, central_hist_dense(array_agg(bin), array_agg(n)) AS bins\n"
	"      FROM b GROUP BY cell, key)\n"
	"  INSERT INTO sum_meas AS s (cell, key, n, s1, s2, min, max, out_low, out_high, bins)\n"
	"    SELECT vc.cell, vc.key, vc.n, vc.s1, vc.s2, vc.min, vc.max, vc.out_low, vc.out_high,\n"
	"      h.bins FROM vc JOIN h ON h.cell = vc.cell AND h.key = vc.key\n"
	"  ON CONFLICT (cell, key) DO UPDATE SET n = s.n + EXCLUDED.n, s1 = s.s1 + EXCLUDED.s1,\n"
	"    s2 = s.s2 + EXCLUDED.s2, min = least(s.min, EXCLUDED.min),\n"
	"    max = greatest(s.max, EXCLUDED.max), out_low = s.out_low + EXCLUDED.out_low,\n"
	"    out_high = s.out_high + EXCLUDED.out_high, bins = central_hist_add(s.bins, EXCLUDED.bins);\n"
	"END $$;\n",

	/* one forwarded run (send.c, as the writer) and every run there is
	 * (the migration, as the owner), 32 days at a time in time order */
	"CREATE FUNCTION central_summarise_run(run text) RETURNS void LANGUAGE plpgsql\n"
	"  SECURITY DEFINER SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM central_sum_tmp();\n"
	"  DELETE FROM pg_temp.sum_new;\n"
	"  INSERT INTO pg_temp.sum_new (id) VALUES (run);\n"
	"  PERFORM central_summarise_new(false);\n"
	"END $$;\n"
	"CREATE FUNCTION central_summarise_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp SET enable_nestloop = off SET work_mem = '256MB' AS $$\n"
	"DECLARE lo bigint; hi bigint; n bigint := 0; step constant bigint := 32 * 86400000000;\n"
	"BEGIN\n"
	"  PERFORM central_sum_tmp();\n"
	"  ANALYZE runs, steps, measurements;\n"
	"  SELECT min(started_us), max(started_us) INTO lo, hi FROM runs;\n"
	"  WHILE lo <= hi LOOP\n"
	"    DELETE FROM pg_temp.sum_new;\n"
	"    INSERT INTO pg_temp.sum_new (id) SELECT id FROM runs\n"
	"      WHERE started_us >= lo AND started_us < lo + step;\n"
	"    PERFORM central_summarise_new(true);\n"
	"    n := n + (SELECT count(*) FROM pg_temp.sum_new);\n"
	"    lo := lo + step;\n"
	"  END LOOP;\n"
	"  RETURN n;\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_summarise_run(text), central_summarise_all(),\n"
	"  central_summarise_new(boolean), central_sum_units(), central_sum_meas(boolean),\n"
	"  central_sum_tmp()\n"
	"  FROM PUBLIC;\n"
	"GRANT EXECUTE ON FUNCTION central_summarise_run(text) TO station_writer;\n"
	"SELECT central_summarise_all();\n",
	NULL
};
