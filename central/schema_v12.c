/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 12: the finest day cells (level 'x') keyed by the
 * run's outcome and its line too, so that report --outcome, --operator,
 * --work-order, --part-number and --revision add up cells instead of
 * reading the runs (report_sum.c), as the log's cells are keyed since its
 * schema 12 (db/schema.sql).
 *
 * sum_cells gets outcome ('' at the levels a, q, t, f) and operator,
 * work_order, part_number, revision: the run's, NULL where it has none
 * (and at the other levels), so that a filter by '' selects the runs whose
 * value is '', never those without one, as `runs.operator = ''` does (the
 * rows path, and the log's cells).  The key is UNIQUE NULLS NOT DISTINCT
 * over them all; a cell is looked up by the values' coalesce to '' (an
 * equality the planner hashes) and then IS NOT DISTINCT FROM, as the
 * measurement keys are.  A run still counts in one cell of each level;
 * a unit with a failed and then a passed run in one day on one fixture
 * now sits in two 'x' cells: at level 'x' any two cells of a unit mark it
 * multi (version 4), so the yields' correction counts it once where both
 * are selected, and where one alone is (--outcome) the unit is that
 * cell's, as the runs of that outcome make it.
 *
 * central_summarise_new_v6 (version 4's statements, renamed by version 7)
 * is made again with the new 'x' row (the old one kept as
 * central_summarise_new_v11), and central_sum_tmp makes the runs' cells'
 * temporary table with the new columns (a session that summarised before
 * the migration has its old one dropped and made again).  The migration
 * rebuilds the day cells from the rows (central_sum_cells_all: version 4's
 * loop, 32 days at a time, the capability cells left as they are, the
 * measurement keys kept: the same frames and references), under the
 * summaries' lock in the migration's transaction: stations forwarding
 * meanwhile wait, then add their runs to the rebuilt cells.  It reads
 * every run, step and measurement once (docs/central.md: its cost).
 */
#include <stddef.h>

#include "central/central-internal.h"

const char *const cpi_v12[] = {
	"SELECT pg_advisory_xact_lock(126943990476147);\n"
	"ALTER TABLE sum_cells ADD COLUMN outcome text NOT NULL DEFAULT '',\n"
	"  ADD COLUMN operator text, ADD COLUMN work_order text, ADD COLUMN part_number text,\n"
	"  ADD COLUMN revision text;\n"
	"DO $$\n"
	"DECLARE k name;\n"
	"BEGIN\n"
	"  FOR k IN SELECT conname FROM pg_constraint WHERE conrelid = 'sum_cells'::regclass\n"
	"      AND contype = 'u' LOOP\n"
	"    EXECUTE format('ALTER TABLE sum_cells DROP CONSTRAINT %I', k);\n"
	"  END LOOP;\n"
	"END $$;\n"
	"ALTER TABLE sum_cells ADD CONSTRAINT sum_cells_key UNIQUE NULLS NOT DISTINCT (level,\n"
	"  station, fixture, sequence_name, sequence_version, day, outcome, operator, work_order,\n"
	"  part_number, revision);\n",

	"ALTER FUNCTION central_sum_tmp() RENAME TO central_sum_tmp_v11;\n"
	"CREATE FUNCTION central_sum_tmp() RETURNS void LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  PERFORM central_sum_tmp_v11();\n"
	"  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('pg_temp.sum_lv')\n"
	"      AND attname = 'outcome' AND NOT attisdropped) THEN\n"
	"    DROP TABLE pg_temp.sum_lv;\n"
	"    CREATE TEMP TABLE sum_lv (id text, level \"char\", day integer, station text,\n"
	"      fixture text, sequence_name text, sequence_version text, outcome text,\n"
	"      operator text, work_order text, part_number text, revision text, grp text,\n"
	"      cell bigint) ON COMMIT DELETE ROWS;\n"
	"  END IF;\n"
	"END $$;\n",

	"ALTER FUNCTION central_summarise_new_v6(boolean) RENAME TO central_summarise_new_v11;\n"
	"CREATE FUNCTION central_summarise_new_v6(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
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
	"    sequence_version, outcome, operator, work_order, part_number, revision, grp)\n"
	"  SELECT r.id, l.level, (r.started_us / 86400000000)::integer, l.st, l.fx, l.sq, l.sv,\n"
	"    l.oc, l.op, l.wo, l.pn, l.rv,\n"
	"    CASE WHEN l.level = 'x' THEN 'x' ELSE l.level::text || '|' || l.st || '|' || l.fx || '|'\n"
	"      || l.sq END\n"
	"  FROM pg_temp.sum_new n JOIN runs r ON r.id = n.id CROSS JOIN LATERAL (VALUES\n"
	"    ('a'::\"char\", '', '', '', '', '', NULL::text, NULL::text, NULL::text, NULL::text),\n"
	"    ('q', '', '', coalesce(r.sequence_name, ''), '', '', NULL, NULL, NULL, NULL),\n"
	"    ('t', r.station, '', '', '', '', NULL, NULL, NULL, NULL),\n"
	"    ('f', '', r.fixture, '', '', '', NULL, NULL, NULL, NULL),\n"
	"    ('x', r.station, r.fixture, coalesce(r.sequence_name, ''),\n"
	"     coalesce(r.sequence_version, ''), r.outcome, r.operator, r.work_order,\n"
	"     r.part_number, r.revision)) AS l(level, st, fx, sq, sv, oc, op, wo, pn, rv);\n"
	"  INSERT INTO sum_cells (level, day, station, fixture, sequence_name, sequence_version,\n"
	"    outcome, operator, work_order, part_number, revision, grp)\n"
	"    SELECT DISTINCT level, day, station, fixture, sequence_name, sequence_version, outcome,\n"
	"      operator, work_order, part_number, revision, grp\n"
	"    FROM pg_temp.sum_lv ON CONFLICT DO NOTHING;\n"
	"  IF bulk THEN ANALYZE pg_temp.sum_new; ANALYZE pg_temp.sum_lv; END IF;\n"
	"  UPDATE pg_temp.sum_lv l SET cell = c.id FROM sum_cells c WHERE c.level = l.level\n"
	"    AND c.station = l.station AND c.fixture = l.fixture\n"
	"    AND c.sequence_name = l.sequence_name AND c.sequence_version = l.sequence_version\n"
	"    AND c.day = l.day AND c.outcome = l.outcome\n"
	"    AND " CPI_SAME("c", "l", "operator") "\n"
	"    AND " CPI_SAME("c", "l", "work_order") "\n"
	"    AND " CPI_SAME("c", "l", "part_number") "\n"
	"    AND " CPI_SAME("c", "l", "revision") ";\n"
	"  UPDATE pg_temp.sum_new n SET cells = k.cells FROM (SELECT id,\n"
	"    array_agg(cell ORDER BY level) AS cells FROM pg_temp.sum_lv GROUP BY id) k\n"
	"    WHERE k.id = n.id;\n"
	"  UPDATE sum_cells c SET runs = c.runs + k.n FROM (SELECT cell, count(*) AS n\n"
	"    FROM pg_temp.sum_lv GROUP BY cell) k WHERE c.id = k.cell;\n"
	"  PERFORM central_sum_units();\n"
	"  PERFORM central_sum_meas(bulk);\n"
	"END $$;\n",

	/* every run's day cells, 32 days at a time in time order (version
	 * 4's central_summarise_all without the capability cells) */
	"CREATE FUNCTION central_sum_cells_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp SET enable_nestloop = off SET work_mem = '256MB' AS $$\n"
	"DECLARE lo bigint; hi bigint; n bigint := 0; step constant bigint := 32 * 86400000000;\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(126943990476147);\n"
	"  PERFORM central_sum_tmp();\n"
	"  ANALYZE runs, steps, measurements;\n"
	"  SELECT min(started_us), max(started_us) INTO lo, hi FROM runs;\n"
	"  WHILE lo <= hi LOOP\n"
	"    DELETE FROM pg_temp.sum_new;\n"
	"    INSERT INTO pg_temp.sum_new (id) SELECT id FROM runs\n"
	"      WHERE started_us >= lo AND started_us < lo + step;\n"
	"    PERFORM central_summarise_new_v6(true);\n"
	"    n := n + (SELECT count(*) FROM pg_temp.sum_new);\n"
	"    lo := lo + step;\n"
	"  END LOOP;\n"
	"  RETURN n;\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_sum_tmp(), central_sum_tmp_v11(),\n"
	"  central_summarise_new_v6(boolean), central_summarise_new_v11(boolean),\n"
	"  central_sum_cells_all() FROM PUBLIC;\n"
	"TRUNCATE sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails, sum_meas\n"
	"  RESTART IDENTITY;\n"
	"SELECT central_sum_cells_all();\n",
	NULL
};
