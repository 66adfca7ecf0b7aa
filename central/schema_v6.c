/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 6: the summaries count units as the log does
 * since its schema 9 (db/db_report.c, docs/quality.md).  A unit is counted
 * per operation (sequence name): the same serial tested in "ict" and in
 * "final" is a unit of each, with its own first judged run; a run without
 * a serial is no unit (the report counts it apart, as unidentified).
 * Versions 4 and 5 keyed a unit by its serial alone (so a unit's first run
 * was its first of any operation, and a station that only retests showed
 * no first runs) and took a run without a serial for a unit of its own.
 *
 * The unit key of the summaries (sum_unit_cells.unit, sum_unit_first.unit)
 * becomes the serial and the operation, joined unambiguously: the serial's
 * length, ':', the serial, then '-' for no sequence name or '+' and the
 * name.  central_sum_units() sets that key on the runs being summarised,
 * and judges a run without a serial no unit, before version 4's statements
 * (renamed central_sum_units_v4) count them.  The migration rebuilds the
 * summaries from the rows (central_summarise_all), under the advisory lock
 * that stations summarising take (version 5), in the migration's
 * transaction: a station forwarding meanwhile waits, then adds its runs to
 * the rebuilt summaries.
 */
#include <stddef.h>

#include "central/central-internal.h"

const char *const cpi_v6[] = {
	"ALTER FUNCTION central_sum_units() RENAME TO central_sum_units_v4;\n"
	"CREATE FUNCTION central_sum_units() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  UPDATE pg_temp.sum_new n SET unit = CASE WHEN r.unit_serial IS NULL THEN NULL\n"
	"      ELSE length(r.unit_serial)::text || ':' || r.unit_serial ||\n"
	"        CASE WHEN r.sequence_name IS NULL THEN '-' ELSE '+' || r.sequence_name END END,\n"
	"    judged = n.judged AND r.unit_serial IS NOT NULL\n"
	"    FROM runs r WHERE r.id = n.id;\n"
	"  PERFORM central_sum_units_v4();\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_sum_units() FROM PUBLIC;\n",

	"SELECT pg_advisory_xact_lock(126943990476147);\n"
	"TRUNCATE sum_runs, sum_cells, sum_unit_cells, sum_unit_first, sum_step_fails,\n"
	"  sum_meas_keys, sum_meas RESTART IDENTITY;\n"
	"SELECT central_summarise_all();\n",
	NULL
};
