-- SPDX-License-Identifier: Apache-2.0
-- A central store of :runs runs built on the server (bench/central_1m.sh),
-- not through the forwarder: a line of 16 stations over 120 days from
-- 2026-01-01, two fixtures each; stations 1-8 run sequence "ict", 9-16
-- "final" on the same units; 4 steps of 5 measurements a run (20 keys per
-- sequence, limits [0.95, 1.05] V); about 4 % of runs fail a step (a value
-- beyond a limit), 1 % end in error; 2 % of the units are retested (a
-- second run of the same serial a few minutes later on another station of
-- the same sequence).  Deterministic: the same store every time.
-- Run by psql with -v runs=N, on a store migrated to the current schema.
SET synchronous_commit = off;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';

-- the tables' indexes (keys too) are dropped while the rows go in and built
-- again after, each by one sort: inserting 20M rows keyed by a random md5
-- into live b-trees costs several times more
CREATE TEMP TABLE gen_idx AS
SELECT 1 AS pass, format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
	pg_get_constraintdef(c.oid)) AS add,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop
FROM pg_constraint c WHERE c.contype = 'p'
	AND c.conrelid IN ('runs'::regclass, 'steps'::regclass, 'measurements'::regclass)
UNION ALL
SELECT 2, pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
FROM pg_index i WHERE i.indrelid IN ('runs'::regclass, 'steps'::regclass, 'measurements'::regclass)
	AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
DO $$ DECLARE d text; BEGIN
	FOR d IN SELECT drop FROM gen_idx ORDER BY pass DESC LOOP EXECUTE d; END LOOP;
END $$;

CREATE TEMP TABLE g AS
SELECT i::bigint AS i,
       md5('run' || i) AS id,
       (i - 1) % 16 AS s,
       ((i * 2654435761) % 1000)::int AS h,
       1767225600000000 + i * (120 * 86400000000 / :runs) AS t
FROM generate_series(1, :runs) AS i;

INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name, sequence_version,
		  sequence_sha256, software_version, started_us, ended_us, outcome, reason,
		  last_step_index, last_step)
SELECT id,
       'U' || lpad(((CASE WHEN h < 20 THEN greatest(i - 64, 1) ELSE i END - 1) / 16 * 8
		    + s % 8)::text, 8, '0'),
       'st' || lpad((s + 1)::text, 2, '0'),
       'st' || lpad((s + 1)::text, 2, '0') || '-f' || ((i - 1) / 16 % 2 + 1),
       'op' || (s % 3),
       CASE WHEN s < 8 THEN 'ict' ELSE 'final' END, '1.0', repeat('ab', 32), '1.0.0',
       t, t + 30000000,
       CASE WHEN h < 40 THEN 'fail' WHEN h < 50 THEN 'error' ELSE 'pass' END,
       CASE WHEN h < 40 THEN 'beyond a limit' WHEN h < 50 THEN 'fixture error' END,
       3, 'measure 4'
FROM g ORDER BY i;

INSERT INTO steps (run_id, id, idx, name, kind, phase, outcome, reason, started_us, ended_us,
		   duration_us, attempts)
SELECT g.id, k, k - 1, CASE WHEN g.s < 8 THEN 'ict ' ELSE 'final ' END || 'measure ' || k,
       'measure', 'steps',
       CASE WHEN g.h < 40 AND k = g.h % 4 + 1 THEN 'fail'
	    WHEN g.h >= 40 AND g.h < 50 AND k = 4 THEN 'error' ELSE 'pass' END,
       NULL, g.t + k * 1000000, g.t + k * 1000000 + 500000, 500000, 1
FROM g CROSS JOIN generate_series(1, 4) AS k ORDER BY g.i, k;

-- a value: 1.0 V plus a spread of about 1 % (a sum of three uniform
-- pseudo-random terms), beyond 1.05 in the failing step's first measurement
INSERT INTO measurements (run_id, id, step_id, name, value, text, unit, low, high, expect,
			  outcome, started_us)
SELECT g.id, j, (j - 1) / 5 + 1, 'v' || j, v, NULL, 'V', 0.95, 1.05, NULL,
       CASE WHEN v < 0.95 OR v > 1.05 THEN 'fail' ELSE 'pass' END, g.t
FROM g CROSS JOIN generate_series(1, 20) AS j
CROSS JOIN LATERAL (SELECT CASE WHEN g.h < 40 AND j = (g.h % 4) * 5 + 1 THEN 1.06
	+ (g.h % 7) * 0.001
	ELSE 1.0 + 0.01 * ((((g.i * 7919 + j * 104729) % 1000) + ((g.i * 31 + j * 17) % 997)
	+ ((g.i * 613 + j * 7) % 991)) / 1494.0 - 1.0) END AS v) x
ORDER BY g.i, j;

DROP TABLE g;
DO $$ DECLARE a text; BEGIN
	FOR a IN SELECT add FROM gen_idx ORDER BY pass LOOP EXECUTE a; END LOOP;
END $$;
DROP TABLE gen_idx;
