/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 5: many stations summarising at once, and several
 * runs summarised in one call.
 *
 * Version 4's summaries (schema_sum.c) are updated in each forwarded run's
 * transaction, and every station's run updates the same rows: the day's
 * 'a' cell, the cells of a fixture or sequence shared by stations, their
 * measurement sums.  Concurrent transactions took those row locks in
 * whatever order their plans gave, and deadlocked: 16 stations draining a
 * backlog at once lost most of their transactions to "deadlock detected".
 * Now the summarising part of a transaction takes one advisory lock first,
 * held to its commit: the summaries are updated by one transaction at a
 * time (they were in effect already, serialised on the day's 'a' cell),
 * never in a cycle; the rows of the runs are still inserted concurrently.
 * The key is 'stsums' (0x737473756d73); nothing else of the store uses
 * advisory locks.
 *
 * central_summarise_runs(ids) summarises the runs of ids in one call, set
 * based (the statements of version 4 over all of them at once), so that a
 * station draining a backlog sends several runs per transaction and pays
 * the summaries' fixed cost, and the lock, once per batch (send.c).  A run
 * already summarised, or not in the store, is left out; a run listed twice
 * counts once.  central_summarise_run(id) is the same for one run.
 */
#include <stddef.h>

#include "central/central-internal.h"

const char *const cpi_v5[] = {
	/* the measurements of the runs in pg_temp.sum_new, not the bulk of a
	 * rebuild (version 4's statements, kept for it): every look-up driven
	 * by the runs' ids (OFFSET 0 keeps each subquery a lateral look-up),
	 * whatever the size of the store */
	"ALTER FUNCTION central_sum_meas(boolean) RENAME TO central_sum_meas_bulk;\n"
	"CREATE FUNCTION central_sum_meas(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  IF bulk THEN PERFORM central_sum_meas_bulk(true); RETURN; END IF;\n"
	"  IF to_regclass('pg_temp.sum_mv') IS NULL THEN\n"
	"    CREATE TEMP TABLE sum_mv (cells bigint[], started_us bigint, run text, mid bigint,\n"
	"      sequence_name text, step text, name text, unit text, low float8, high float8,\n"
	"      v float8, key bigint) ON COMMIT DELETE ROWS;\n"
	"  END IF;\n"
	"  INSERT INTO sum_step_fails AS sf (cell, step, n)\n"
	"    SELECT l.cell, f.name, count(*) FROM pg_temp.sum_lv l CROSS JOIN LATERAL\n"
	"      (SELECT s.name FROM steps s WHERE s.run_id = l.id AND s.outcome IN ('fail', 'error')\n"
	"        AND coalesce(s.kind, '') NOT IN ('group', 'include') OFFSET 0) f\n"
	"    GROUP BY 1, 2 ORDER BY 1, 2 ON CONFLICT (cell, step) DO UPDATE SET n = sf.n + EXCLUDED.n;\n"
	"  DELETE FROM pg_temp.sum_mv;\n"
	"  INSERT INTO pg_temp.sum_mv (cells, started_us, run, mid, sequence_name, step, name, unit,\n"
	"    low, high, v)\n"
	"  SELECT n.cells, n.started_us, n.id, x.id, n.sequence_name, x.step, x.name, x.unit, x.low,\n"
	"    x.high, x.value\n"
	"  FROM pg_temp.sum_new n CROSS JOIN LATERAL (SELECT m.id, s.name AS step, m.name, m.unit,\n"
	"      m.low, m.high, m.value FROM measurements m\n"
	"      JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id\n"
	"      WHERE m.run_id = n.id AND m.value IS NOT NULL OFFSET 0) x;\n"
	"  PERFORM central_sum_keys();\n"
	"  IF EXISTS (SELECT 1 FROM pg_temp.sum_mv WHERE key IS NULL) THEN\n"
	/* the keys first seen: their reference, the first value in time */
	"    INSERT INTO sum_meas_keys (sequence_name, step, name, unit, low, high, ref, hist_lo,\n"
	"      hist_width, hist_hi)\n"
	"    SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, k.v, f.lo, f.width, f.hi\n"
	"    FROM (SELECT DISTINCT ON (sequence_name, step, name, unit, low, high)\n"
	"        sequence_name, step, name, unit, low, high, v FROM pg_temp.sum_mv WHERE key IS NULL\n"
	"      ORDER BY sequence_name, step, name, unit, low, high, started_us, run, mid) k\n"
	"    CROSS JOIN LATERAL central_hist_frame(k.low, k.high, k.v) f\n"
	"    ON CONFLICT DO NOTHING;\n"
	"    PERFORM central_sum_keys();\n"
	"  END IF;\n"
	"  PERFORM central_sum_meas_add();\n"
	"END $$;\n",

	"CREATE FUNCTION central_sum_keys() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  UPDATE pg_temp.sum_mv v SET key = k.id FROM sum_meas_keys k\n"
	"  WHERE v.key IS NULL AND k.name = v.name AND k.step = v.step\n"
	"    AND k.sequence_name IS NOT DISTINCT FROM v.sequence_name\n"
	"    AND k.unit IS NOT DISTINCT FROM v.unit AND k.low IS NOT DISTINCT FROM v.low\n"
	"    AND k.high IS NOT DISTINCT FROM v.high;\n"
	"END $$;\n"
	/* per run's cells and key: the sums, and the bins counted in SQL,
	 * then made the 60 of the frame, added to each of the run's cells */
	"CREATE FUNCTION central_sum_meas_add() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  WITH x AS MATERIALIZED (SELECT v.cells, v.key, v.v, v.v - k.ref AS d,\n"
	"      v.v < v.low AS lo, v.v > v.high AS hi,\n"
	"      central_hist_bin(k.hist_lo, k.hist_width, k.hist_hi, v.v) AS bin\n"
	"      FROM pg_temp.sum_mv v JOIN sum_meas_keys k ON k.id = v.key),\n"
	"    v AS (SELECT cells, key, count(*) AS n, sum(d) AS s1, sum(d * d) AS s2, min(v) AS min,\n"
	"      max(v) AS max, count(*) FILTER (WHERE lo) AS out_low,\n"
	"      count(*) FILTER (WHERE hi) AS out_high FROM x GROUP BY cells, key),\n"
	"    vc AS (SELECT c.cell, v.key, sum(v.n) AS n, sum(v.s1) AS s1, sum(v.s2) AS s2,\n"
	"      min(v.min) AS min, max(v.max) AS max, sum(v.out_low) AS out_low,\n"
	"      sum(v.out_high) AS out_high FROM v CROSS JOIN LATERAL unnest(v.cells) AS c(cell)\n"
	"      GROUP BY c.cell, v.key),\n"
	"    b AS (SELECT c.cell, x.key, x.bin, count(*) AS n FROM x\n"
	"      CROSS JOIN LATERAL unnest(x.cells) AS c(cell) GROUP BY 1, 2, 3),\n"
	"    h AS (SELECT cell, key, central_hist_dense(array_agg(bin), array_agg(n)) AS bins\n"
	"      FROM b GROUP BY cell, key)\n"
	"  INSERT INTO sum_meas AS s (cell, key, n, s1, s2, min, max, out_low, out_high, bins)\n"
	"    SELECT vc.cell, vc.key, vc.n, vc.s1, vc.s2, vc.min, vc.max, vc.out_low, vc.out_high,\n"
	"      h.bins FROM vc JOIN h ON h.cell = vc.cell AND h.key = vc.key ORDER BY 1, 2\n"
	"  ON CONFLICT (cell, key) DO UPDATE SET n = s.n + EXCLUDED.n, s1 = s.s1 + EXCLUDED.s1,\n"
	"    s2 = s.s2 + EXCLUDED.s2, min = least(s.min, EXCLUDED.min),\n"
	"    max = greatest(s.max, EXCLUDED.max), out_low = s.out_low + EXCLUDED.out_low,\n"
	"    out_high = s.out_high + EXCLUDED.out_high,\n"
	"    bins = ARRAY(SELECT p + q FROM unnest(s.bins, EXCLUDED.bins) WITH ORDINALITY AS a(p, q, i)\n"
	"      ORDER BY i);\n"
	"END $$;\n",

	"CREATE FUNCTION central_summarise_runs(ids text[]) RETURNS void LANGUAGE plpgsql\n"
	"  SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '32MB' AS $$\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(126943990476147);\n"
	"  PERFORM central_sum_tmp();\n"
	"  DELETE FROM pg_temp.sum_new;\n"
	"  INSERT INTO pg_temp.sum_new (id) SELECT DISTINCT i FROM unnest(ids) AS u(i)\n"
	"    WHERE i IS NOT NULL;\n"
	"  PERFORM central_summarise_new(false);\n"
	"END $$;\n"
	"CREATE OR REPLACE FUNCTION central_summarise_run(run text) RETURNS void LANGUAGE plpgsql\n"
	"  SECURITY DEFINER SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM central_summarise_runs(ARRAY[run]);\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_summarise_runs(text[]), central_sum_meas(boolean),\n"
	"  central_sum_keys(), central_sum_meas_add() FROM PUBLIC;\n"
	"GRANT EXECUTE ON FUNCTION central_summarise_runs(text[]) TO station_writer;\n",
	NULL
};
