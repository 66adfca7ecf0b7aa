/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 15: hour cells of the measurements and the failed
 * steps, so that a report over a window off UTC midnight (a shift 06:00 to
 * 14:00, a week from Monday 06:00) reads the whole hours of its partial days
 * from cells, not every value of their runs (the 1M-run store: the week's
 * 166,000 values took 630 ms of its ~1 s, its Pareto's steps 200 ms; a
 * shift's values 290 ms of ~430).  The log's summaries are hour cells for
 * the same reason (db/db_report_edge.c); the central day cells stay the
 * unit of the yields, whose distinct units an hour cannot say.
 *
 * sum_hours names one UTC hour (hours since the epoch) of one station's
 * fixture, sequence name and version ('' for none, as the day cells); per
 * hour and measurement summary key (version 4's: the same reference and
 * histogram frame), sum_meas_hour holds the values of every summarised run
 * (the plain report's rule: every ended run, not only first runs) as the
 * day cells do: n, sums about the key's reference, extremes, values beyond
 * each limit, and only the bins that hold values, each (bin << 32) + count
 * (a few values an hour: 60 dense bins would make the table four times
 * larger); sum_fail_hour the failed leaf steps (the Pareto's).  Both
 * reference their hour and key: a rebuild that empties the keys without
 * them (an older copy of the documented retention) is refused by
 * PostgreSQL, never left with cells of keys that no longer exist.
 *
 * Kept where the day cells' measurements are: central_sum_meas(bulk) does
 * version 14's (renamed central_sum_meas_v14), then adds the runs of
 * pg_temp.sum_new (new to the summaries) to their hours, one statement
 * each, look-ups driven by the runs' ids (OFFSET 0, as version 5) or, for
 * a rebuild's bulk, joins the planner hashes.  central_summarise_all (the
 * documented retention) builds them with the rest; the migration builds
 * them from the summarised runs, 32 days at a time, under the summaries'
 * lock (central_sum_hours_all, dropped after).
 */
#include <stddef.h>

#include "central/central-internal.h"

/* r's hour cell, alias h */
#define HOUR_OF(h, r) \
	h ".hour = (" r ".started_us / 3600000000)::integer AND " h ".station = " r ".station\n" \
	"    AND " h ".fixture = " r ".fixture AND " h ".sequence_name = coalesce(" r \
	".sequence_name, '')\n    AND " h ".sequence_version = coalesce(" r ".sequence_version, '')"

/* a value's key (alias k) for x (sequence_name, step, name, unit, low,
 * high): equalities the planner hashes, then the NULLs' (version 4's) */
#define MEAS_KEY(k, x) \
	"coalesce(" k ".sequence_name, '') = coalesce(" x ".sequence_name, '')\n" \
	"    AND " k ".step = " x ".step AND " k ".name = " x ".name\n" \
	"    AND coalesce(" k ".unit, '') = coalesce(" x ".unit, '')\n" \
	"    AND coalesce(" k ".low, 'NaN') = coalesce(" x ".low, 'NaN')\n" \
	"    AND coalesce(" k ".high, 'NaN') = coalesce(" x ".high, 'NaN')\n" \
	"    AND " k ".sequence_name IS NOT DISTINCT FROM " x ".sequence_name\n" \
	"    AND " k ".unit IS NOT DISTINCT FROM " x ".unit\n" \
	"    AND " k ".low IS NOT DISTINCT FROM " x ".low AND " k ".high IS NOT DISTINCT FROM " x \
	".high"

/* the values of vals (x: grp, sequence_name, step, name, unit, low, high,
 * value) and the failed steps of fails (f: grp, step) into their hours */
#define HOURS_ADD(vals, fails) \
	"  WITH v AS MATERIALIZED (SELECT x.grp, k.id AS key, x.value AS v, x.value - k.ref AS d,\n" \
	"      x.value < k.low AS lo, x.value > k.high AS hi,\n" \
	"      central_hist_bin(k.hist_lo, k.hist_width, k.hist_hi, x.value) AS bin\n" \
	"      FROM " vals "\n" \
	"      JOIN sum_meas_keys k ON " MEAS_KEY("k", "x") "),\n" \
	"    a AS (SELECT grp, key, count(*) AS n, sum(d) AS s1, sum(d * d) AS s2, min(v) AS min,\n" \
	"      max(v) AS max, count(*) FILTER (WHERE lo) AS out_low,\n" \
	"      count(*) FILTER (WHERE hi) AS out_high FROM v GROUP BY 1, 2),\n" \
	"    b AS (SELECT grp, key, array_agg((bin::bigint << 32) + n ORDER BY bin) AS bins\n" \
	"      FROM (SELECT grp, key, bin, count(*) AS n FROM v GROUP BY 1, 2, 3) x GROUP BY 1, 2)\n" \
	"  INSERT INTO sum_meas_hour AS s (grp, key, n, s1, s2, min, max, out_low, out_high, bins)\n" \
	"    SELECT a.grp, a.key, a.n, a.s1, a.s2, a.min, a.max, a.out_low, a.out_high, b.bins\n" \
	"    FROM a JOIN b ON b.grp = a.grp AND b.key = a.key ORDER BY 1, 2\n" \
	"  ON CONFLICT (grp, key) DO UPDATE SET n = s.n + EXCLUDED.n, s1 = s.s1 + EXCLUDED.s1,\n" \
	"    s2 = s.s2 + EXCLUDED.s2, min = least(s.min, EXCLUDED.min),\n" \
	"    max = greatest(s.max, EXCLUDED.max), out_low = s.out_low + EXCLUDED.out_low,\n" \
	"    out_high = s.out_high + EXCLUDED.out_high,\n" \
	"    bins = central_bins_add(s.bins, EXCLUDED.bins);\n" \
	"  INSERT INTO sum_fail_hour AS s (grp, step, n)\n" \
	"    SELECT f.grp, f.step, count(*) FROM " fails " GROUP BY 1, 2 ORDER BY 1, 2\n" \
	"  ON CONFLICT (grp, step) DO UPDATE SET n = s.n + EXCLUDED.n;\n"

#define FAILED(s) \
	s ".outcome IN ('fail', 'error') AND coalesce(" s ".kind, '') NOT IN ('group', 'include')"

const char *const cpi_v15[] = {
	"SELECT pg_advisory_xact_lock(126943990476147);\n"
	"CREATE TABLE sum_hours (id bigserial PRIMARY KEY, hour integer NOT NULL,\n"
	"  station text NOT NULL, fixture text NOT NULL, sequence_name text NOT NULL,\n"
	"  sequence_version text NOT NULL,\n"
	"  UNIQUE (hour, station, fixture, sequence_name, sequence_version));\n"
	"CREATE TABLE sum_meas_hour (grp bigint NOT NULL REFERENCES sum_hours (id),\n"
	"  key bigint NOT NULL REFERENCES sum_meas_keys (id), n bigint NOT NULL,\n"
	"  s1 float8 NOT NULL, s2 float8 NOT NULL, min float8 NOT NULL, max float8 NOT NULL,\n"
	"  out_low bigint NOT NULL, out_high bigint NOT NULL, bins bigint[] NOT NULL,\n"
	"  PRIMARY KEY (grp, key));\n"
	"CREATE INDEX sum_meas_hour_key ON sum_meas_hour (key);\n"
	"CREATE TABLE sum_fail_hour (grp bigint NOT NULL REFERENCES sum_hours (id),\n"
	"  step text NOT NULL, n bigint NOT NULL, PRIMARY KEY (grp, step));\n"
	"GRANT SELECT ON sum_hours, sum_meas_hour, sum_fail_hour TO station_reader;\n"
	/* two sparse histograms added: (bin << 32) + count, by bin */
	"CREATE FUNCTION central_bins_add(a bigint[], b bigint[]) RETURNS bigint[]\n"
	"  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$\n"
	"  SELECT array_agg((x.bin << 32) + x.n ORDER BY x.bin) FROM (SELECT e >> 32 AS bin,\n"
	"    sum(e & 4294967295)::bigint AS n FROM unnest(a || b) AS u(e) GROUP BY 1) x $$;\n",

	/* the hours of the runs in pg_temp.sum_new: a rebuild's bulk, hashed */
	"CREATE FUNCTION central_sum_hours_bulk() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  INSERT INTO sum_hours (hour, station, fixture, sequence_name, sequence_version)\n"
	"    SELECT DISTINCT (r.started_us / 3600000000)::integer, r.station, r.fixture,\n"
	"      coalesce(r.sequence_name, ''), coalesce(r.sequence_version, '')\n"
	"    FROM pg_temp.sum_new n JOIN runs r ON r.id = n.id ORDER BY 1, 2, 3, 4, 5\n"
	"    ON CONFLICT DO NOTHING;\n"
	HOURS_ADD("(SELECT h.id AS grp, r.sequence_name, s.name AS step, m.name, m.unit, m.low,\n"
		  "        m.high, m.value FROM pg_temp.sum_new n JOIN runs r ON r.id = n.id\n"
		  "      JOIN sum_hours h ON " HOUR_OF("h", "r") "\n"
		  "      JOIN measurements m ON m.run_id = r.id\n"
		  "      JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id\n"
		  "      WHERE m.value IS NOT NULL) x",
		  "(SELECT h.id AS grp, s.name AS step FROM pg_temp.sum_new n\n"
		  "      JOIN runs r ON r.id = n.id JOIN sum_hours h ON " HOUR_OF("h", "r") "\n"
		  "      JOIN steps s ON s.run_id = r.id WHERE " FAILED("s") ") f")
	"END $$;\n",

	/* ... or a few runs: each a look-up by its id, whatever the planner
	 * guesses of the temporary table */
	"CREATE FUNCTION central_sum_hours_some() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  INSERT INTO sum_hours (hour, station, fixture, sequence_name, sequence_version)\n"
	"    SELECT DISTINCT (r.started_us / 3600000000)::integer, r.station, r.fixture,\n"
	"      coalesce(r.sequence_name, ''), coalesce(r.sequence_version, '')\n"
	"    FROM pg_temp.sum_new n CROSS JOIN LATERAL (SELECT * FROM runs r WHERE r.id = n.id\n"
	"      OFFSET 0) r ORDER BY 1, 2, 3, 4, 5\n"
	"    ON CONFLICT DO NOTHING;\n"
	HOURS_ADD("pg_temp.sum_new n CROSS JOIN LATERAL (SELECT h.id AS grp, r.sequence_name,\n"
		  "        r.id FROM runs r JOIN sum_hours h ON " HOUR_OF("h", "r") "\n"
		  "        WHERE r.id = n.id OFFSET 0) r\n"
		  "      CROSS JOIN LATERAL (SELECT r.grp, r.sequence_name, s.name AS step, m.name,\n"
		  "        m.unit, m.low, m.high, m.value FROM measurements m\n"
		  "        JOIN steps s ON s.run_id = m.run_id AND s.id = m.step_id\n"
		  "        WHERE m.run_id = r.id AND m.value IS NOT NULL OFFSET 0) x",
		  "pg_temp.sum_new n CROSS JOIN LATERAL (SELECT h.id AS grp, s.name AS step\n"
		  "      FROM runs r JOIN sum_hours h ON " HOUR_OF("h", "r") "\n"
		  "      JOIN steps s ON s.run_id = r.id WHERE r.id = n.id AND " FAILED("s") "\n"
		  "      OFFSET 0) f")
	"END $$;\n",

	"CREATE FUNCTION central_sum_hours(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  IF bulk THEN PERFORM central_sum_hours_bulk(); ELSE PERFORM central_sum_hours_some(); END IF;\n"
	"END $$;\n"
	"ALTER FUNCTION central_sum_meas(boolean) RENAME TO central_sum_meas_v14;\n"
	"CREATE FUNCTION central_sum_meas(bulk boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  PERFORM central_sum_meas_v14(bulk);\n"
	"  PERFORM central_sum_hours(bulk);\n"
	"END $$;\n"
	/* every summarised run's hours, 32 days at a time (the migration; then
	 * dropped: called again it would add every run a second time) */
	"CREATE FUNCTION central_sum_hours_all() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp SET enable_nestloop = off SET work_mem = '256MB' AS $$\n"
	"DECLARE lo bigint; hi bigint; n bigint := 0; step constant bigint := 32 * 86400000000;\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(126943990476147);\n"
	"  PERFORM central_sum_tmp();\n"
	"  SELECT min(started_us), max(started_us) INTO lo, hi FROM runs;\n"
	"  WHILE lo <= hi LOOP\n"
	"    DELETE FROM pg_temp.sum_new;\n"
	"    INSERT INTO pg_temp.sum_new (id) SELECT r.id FROM runs r\n"
	"      WHERE r.started_us >= lo AND r.started_us < lo + step\n"
	"      AND EXISTS (SELECT 1 FROM sum_runs s WHERE s.run_id = r.id);\n"
	"    ANALYZE pg_temp.sum_new;\n"
	"    PERFORM central_sum_hours(true);\n"
	"    n := n + (SELECT count(*) FROM pg_temp.sum_new);\n"
	"    lo := lo + step;\n"
	"  END LOOP;\n"
	"  RETURN n;\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_bins_add(bigint[], bigint[]), central_sum_hours(boolean),\n"
	"  central_sum_hours_bulk(), central_sum_hours_some(),\n"
	"  central_sum_meas(boolean), central_sum_meas_v14(boolean), central_sum_hours_all()\n"
	"  FROM PUBLIC;\n"
	"SELECT central_sum_hours_all();\n"
	"DROP FUNCTION central_sum_hours_all();\n",
	NULL
};
