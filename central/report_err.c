/* SPDX-License-Identifier: Apache-2.0 */
/*
 * station report --central --with-errors from the summaries, as the log
 * does (db/db_report_sum.c): error and aborted runs judge their unit too,
 * as failures, and the cells count judged (pass/fail) units only; what
 * error and aborted runs change comes from those runs (a few in a hundred,
 * found through runs_outcome_line) and the unit tables (sum_unit_cells,
 * sum_unit_first, keyed by serial and operation, schema_v6.c):
 *   du   units with such a run selected and no judged run in the selected
 *        cells (of that day, by day): a unit more, never a pass;
 *   dfu  a unit's first such run of its operation (over the whole store)
 *        before its first judged one: that one is no longer first (-1 and
 *        its pass, where its cells are selected), the error run is (+1,
 *        where it is selected).
 * An error run is selected as its cell would be: its day, station,
 * fixture, sequence name and version, outcome and line (version 12's 'x'
 * cells) under the names of the cells' columns
 * (the derived table c), so that the cells' own terms select it.  By day
 * for the report; by station, fixture or operation for report --group-by
 * and --operations (read_grp.c): a unit is new in a group where it has no
 * judged run, its first run counted in the group of its cell.
 */
#include <stdlib.h>
#include <string.h>

#include "central/central-internal.h"

#define UNIT_KEY CPI_UNIT_KEY

/* @W@: the cells' terms ($1 the level), @D@: the group of a cell (alias c:
 * its day as text, a station, a fixture, a sequence name).  e: the error
 * and aborted runs of identified units; f: each unit's first of them with
 * its first judged run (first: the error run comes first); x: the selected
 * ones' units per group; jc: the groups of those units' judged runs in the
 * selected cells (looked up for the units that have a judged run at all);
 * k: the first runs' change.  One row for the total (group NULL), one a
 * group. */
static const char errors_sql[] =
	"WITH e AS MATERIALIZED (SELECT r.id, r.started_us, " UNIT_KEY " AS u,"
	"  $1::\"char\" AS level, (r.started_us / 86400000000)::integer AS day, r.station,"
	"  r.fixture, coalesce(r.sequence_name, '') AS sequence_name,"
	"  coalesce(r.sequence_version, '') AS sequence_version, r.outcome, r.operator,"
	"  r.work_order, r.part_number, r.revision"
	"  FROM runs r WHERE r.outcome IN ('error', 'aborted') AND r.unit_serial IS NOT NULL),"
	" f AS MATERIALIZED (SELECT g.*, uf.unit IS NOT NULL AS judged, uf.cells, uf.passed,"
	"  uf.unit IS NULL OR (g.started_us, g.id) < (uf.started_us, uf.run_id) AS first"
	"  FROM (SELECT DISTINCT ON (u) * FROM e ORDER BY u, started_us, id) g"
	"  LEFT JOIN sum_unit_first uf ON uf.unit = g.u),"
	" x AS MATERIALIZED (SELECT DISTINCT @D@ AS d, c.u FROM e c WHERE @W@),"
	" jc AS MATERIALIZED (SELECT DISTINCT uc.unit AS u, @D@ AS d FROM (SELECT DISTINCT x.u"
	"  FROM x JOIN f ON f.u = x.u AND f.judged) j JOIN sum_unit_cells uc ON uc.unit = j.u"
	"  JOIN sum_cells c ON c.id = uc.cell WHERE @W@),"
	" k AS (SELECT @D@ AS d, 1 AS fu, 0 AS fp FROM f c WHERE c.first AND @W@"
	"  UNION ALL SELECT @D@, -1, CASE WHEN f.passed THEN -1 ELSE 0 END"
	"  FROM f CROSS JOIN LATERAL unnest(f.cells) AS z(cell) JOIN sum_cells c ON c.id = z.cell"
	"  WHERE f.first AND f.judged AND @W@)"
	" SELECT NULL, (SELECT count(DISTINCT x.u) FROM x WHERE NOT EXISTS"
	"  (SELECT 1 FROM jc WHERE jc.u = x.u)), coalesce(sum(fu), 0), coalesce(sum(fp), 0) FROM k"
	" UNION ALL SELECT d, sum(du), sum(fu), sum(fp) FROM (SELECT x.d, 1 AS du, 0 AS fu,"
	"  0 AS fp FROM x WHERE NOT EXISTS (SELECT 1 FROM jc WHERE jc.u = x.u AND jc.d = x.d)"
	"  UNION ALL SELECT d, 0, fu, fp FROM k) z GROUP BY d";

/* the counts of day, or the total (day NULL) */
static struct rep_counts *counts_of(struct report *r, PGresult *q, int i)
{
	if (PQgetisnull(q, i, 0))
		return &r->total;
	for (int d = 0; d < r->ndays; d++)
		if (!strcmp(r->days[d].day, PQgetvalue(q, i, 0)))
			return &r->days[d].c;
	return NULL;
}

PGresult *cps_errors_by(struct central *c, const char *terms, int n, const char *const *v,
			const char *group)
{
	return cpi_query(c, errors_sql, terms, n, v, group);
}

int cps_with_errors(struct central *c, struct report *r, const char *terms, int n,
		    const char *const *v, const char *day, struct st_error *e)
{
	PGresult *q = cps_errors_by(c, terms, n, v, day);
	int ret = cpi_ok(c, q, "read the error and aborted runs", e);

	for (int i = 0; ret == ST_OK && i < PQntuples(q); i++) {
		struct rep_counts *k = counts_of(r, q, i);

		if (!k)
			continue;	/* no cell that day: nothing selected */
		k->units += cpi_i64(q, i, 1);
		k->first_units += cpi_i64(q, i, 2);
		k->first_passed += cpi_i64(q, i, 3);
	}
	if (ret == ST_OK)
		PQclear(q);
	return ret;
}
