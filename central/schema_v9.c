/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 9: what the planner is told of how many rows a
 * run has, so that a report that reads one week's failed runs looks their
 * measurements up by run instead of reading the store.
 *
 * PostgreSQL estimates the distinct values of a column from a sample of
 * 30,000 rows; the rows of one run are stored together, so the sample
 * holds whole runs and it counts some 95,000 runs among 20 million
 * measurements that belong to a million (ANALYZE on bench/central_1m.sh's
 * store: 211 measurements a run instead of 20, steps 8 instead of 4).
 * With ten times the rows expected, `report --outcome fail` over a week
 * joined its 2,300 runs to the measurements by scanning all of them:
 * 17.5 s, and 0.8 s with the estimate set (docs/central.md, Figures).
 *
 * n_distinct as a fraction of the rows (negative) scales as the store
 * grows: the ratio of runs to measurements and to steps of the store at
 * the migration, or 1/20 and 1/4 (bench/central_gen.sql's shape) for a
 * store with fewer than 1,000 runs.  A plant whose runs change shape sets
 * it again as the owner (docs/central.md, Set-up).
 */
#include <stddef.h>

#include "central/central-internal.h"

const char *const cpi_v9[] = {
	"DO $$\n"
	"DECLARE runs float8; m float8; s float8;\n"
	"BEGIN\n"
	"  SELECT reltuples INTO runs FROM pg_class WHERE oid = 'runs'::regclass;\n"
	"  SELECT reltuples INTO m FROM pg_class WHERE oid = 'measurements'::regclass;\n"
	"  SELECT reltuples INTO s FROM pg_class WHERE oid = 'steps'::regclass;\n"
	"  m := CASE WHEN runs >= 1000 AND m > runs THEN -runs / m ELSE -0.05 END;\n"
	"  s := CASE WHEN runs >= 1000 AND s > runs THEN -runs / s ELSE -0.25 END;\n"
	"  EXECUTE format('ALTER TABLE measurements ALTER COLUMN run_id SET (n_distinct = %s)', m);\n"
	"  EXECUTE format('ALTER TABLE steps ALTER COLUMN run_id SET (n_distinct = %s)', s);\n"
	"END $$;\n"
	"ANALYZE runs, steps, measurements;\n",
	NULL
};
