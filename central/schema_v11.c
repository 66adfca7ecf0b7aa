/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 11: a measurement found by its name within its
 * run in one index entry.
 *
 * `report --spc NAME` reads each fixture's baseline and latest points
 * (read_sql.c's SERIES_ENDS): along the fixture's runs in time order, each
 * run's value of NAME.  Up to version 10 that was a look-up of the run's 20
 * measurements along measurements_pkey (run_id, id), every one read from
 * the table and 19 thrown away: some 17,000 look-ups (5 pages each) for a
 * week or the whole of bench/central_1m.sh's store.
 *
 * measurements_name_run (name, run_id) INCLUDE (value, unit, id) answers
 * the look-up from the index alone (an index-only scan: the table is not
 * read once the visibility map knows its pages, which autovacuum sets for
 * a table that is only inserted into).  Name first: every point of a chart
 * is in the one name's share of the index (a twentieth of it on that
 * store), not spread over all of it as with (run_id, name); on the 1M-run
 * store that read the week's points in 436-607 ms where (run_id, name)
 * took 533-963 ms and the primary key 666-1,359 ms (the same statement,
 * three rounds at load average 8).
 *
 * Built in the migration's transaction: writes to measurements wait for it
 * (stations keep their runs queued and send them after).  The sort gets
 * 256 MB instead of the default 64 MB for the build.
 */
#include <stddef.h>

#include "central/central-internal.h"

const char *const cpi_v11[] = {
	"SET LOCAL maintenance_work_mem = '256MB';\n"
	"CREATE INDEX measurements_name_run ON measurements (name, run_id)\n"
	"  INCLUDE (value, unit, id);\n",
	NULL
};
