/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every statement the writer runs, in one place, with ?N parameters only:
 * nothing here is ever built from a caller's text.
 */
#include "db/db-internal.h"

/* Outcome of a crashed run, naming the last step it committed. */
#define RECOVER_REASON \
	"CASE WHEN last_step IS NULL THEN 'station stopped before the first step was logged' " \
	"ELSE 'station stopped during the run; last logged step ' || last_step_index || " \
	"' (' || last_step || ')' END"

/* The judged runs (pass or fail: an error or aborted run is the station's,
 * it judges no unit) of one unit: its serial, or the id of a run without
 * one (the report's coalesce(unit_serial, id)), each side indexed (the
 * unary + keeps SQLite on the unit's index, not runs_outcome). */
#define UNIT_RUNS \
	"SELECT id, cell, outcome, started_us, coalesce(sequence_name, '') AS op FROM runs " \
	"WHERE unit_serial = ?1 AND +outcome IN ('pass', 'fail') AND cell IS NOT NULL"

const char *const dbi_sql[DBS__COUNT] = {
	[DBS_BEGIN] = "BEGIN IMMEDIATE",
	[DBS_COMMIT] = "COMMIT",
	[DBS_ROLLBACK] = "ROLLBACK",
	[DBS_STATION] =
		"INSERT INTO stations (name, software_version, first_seen_us, last_seen_us) "
		"VALUES (?1, ?2, ?3, ?3) ON CONFLICT (name) DO UPDATE SET "
		"software_version = excluded.software_version, last_seen_us = excluded.last_seen_us",
	[DBS_FIXTURE] =
		"INSERT INTO fixtures (station, name, first_seen_us, last_seen_us) "
		"VALUES (?1, ?2, ?3, ?3) ON CONFLICT (station, name) DO UPDATE SET "
		"last_seen_us = excluded.last_seen_us",
	[DBS_RUN_INSERT] =
		"INSERT INTO runs (id, unit_serial, station, fixture, operator, sequence_name, "
		"sequence_version, sequence_sha256, software_version, started_us, outcome, cell, "
		"work_order, part_number, revision) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running', ?11, ?12, ?13, ?14)",
	[DBS_RUN_SERIAL] = "UPDATE runs SET unit_serial = ?2 WHERE id = ?1",
	[DBS_RUN_FILE] =
		"INSERT INTO run_files (run_id, path, sha256) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (run_id, path) DO UPDATE SET sha256 = excluded.sha256",
	[DBS_RUN_END] =
		"UPDATE runs SET ended_us = ?2, outcome = ?3, reason = ?4 WHERE id = ?1",
	[DBS_STEP] =
		"INSERT INTO steps (run_id, idx, name, kind, phase, outcome, reason, started_us, "
		"ended_us, duration_us, attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[DBS_MEAS] =
		/* ?2, the run, is its step's (schema 10); ?3 the def (schema 15,
		 * db_defs.c: not through the view's trigger) */
		"INSERT INTO measurement_values (step_id, def, value, text, outcome) "
		"VALUES (?1, ?3, ?4, ?5, ?6)",
	[DBS_DATA_VERSION] = "PRAGMA data_version",
	/* IS: a NULL limit matches NULL (the view's triggers' look-up) */
	[DBS_DEF_FIND] =
		"SELECT id FROM measurement_defs WHERE name = ?1 AND unit IS ?2 AND low IS ?3 "
		"AND high IS ?4 AND expect IS ?5",
	[DBS_DEF_ADD] =
		"INSERT INTO measurement_defs (name, unit, low, high, expect) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[DBS_IMAGE] =
		"INSERT INTO images (step_id, run_id, path, sha256, format, address, size, chip_id) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[DBS_IDENTITY] =
		"INSERT INTO identities (step_id, run_id, chip_serial, cert_serial, subject, issuer, "
		"not_before, not_after, fingerprint, spki_sha256, subject_serial, masa_url, nonce, "
		"signature, dpp_uri, pem_chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11, ?12, ?13, ?14, ?15, ?16)",
	[DBS_CMS] =
		"INSERT INTO cms_registrations (step_id, run_id, status, cms_id, attempts, "
		"http_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[DBS_KV] = "INSERT INTO step_values (step_id, run_id, key, value) VALUES (?1, ?2, ?3, ?4)",
	[DBS_RUN_LAST] =
		"UPDATE runs SET last_step_index = ?2, last_step = ?3 WHERE id = ?1 "
		"AND (last_step_index IS NULL OR last_step_index <= ?2)",
	[DBS_SEEN] =
		/* only identities that passed: a refused clone must not block the
		 * genuine board's re-test */
		"SELECT r.unit_serial, coalesce(i.chip_serial, '') FROM identities i "
		"JOIN runs r ON r.id = i.run_id "
		"JOIN steps s ON s.id = i.step_id AND s.outcome = 'pass' "
		"WHERE (i.fingerprint = ?1 COLLATE NOCASE OR i.spki_sha256 = ?2 COLLATE NOCASE) "
		"AND r.unit_serial IS NOT NULL AND (?3 IS NULL OR r.unit_serial <> ?3 "
		"OR (?4 IS NOT NULL AND i.chip_serial IS NOT NULL "
		"AND i.chip_serial <> ?4 COLLATE NOCASE)) "
		"ORDER BY r.started_us LIMIT 1",
	[DBS_EVENT] =
		"INSERT INTO events (run_id, fixture, time_us, what, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	[DBS_RECOVER_EVENT] =
		"INSERT INTO events (run_id, fixture, time_us, what, detail) "
		"SELECT id, fixture, ?1, 'recovered', " RECOVER_REASON
		" FROM runs WHERE id = ?2 AND outcome = 'running'",
	[DBS_RECOVER] =
		"UPDATE runs SET outcome = 'aborted', reason = " RECOVER_REASON ", "
		"ended_us = coalesce((SELECT max(s.ended_us) FROM steps s WHERE s.run_id = runs.id), "
		"started_us) WHERE id = ?1 AND outcome = 'running'",

	/* summaries: db_summary.c */
	[DBS_CELL_FIND] =
		"SELECT id FROM cells WHERE hours = ?5 AND hour = ?1 AND fixture = ?2 "
		"AND sequence_name IS ?3 AND sequence_version IS ?4 AND outcome = ?6 "
		"AND station IS ?7 AND operator IS ?8 AND work_order IS ?9 AND part_number IS ?10 "
		"AND revision IS ?11",
	[DBS_CELL_NEW] =
		"INSERT INTO cells (hour, fixture, sequence_name, sequence_version, hours, outcome, "
		"station, operator, work_order, part_number, revision) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	/* columns 7..11: the line's dimensions of its cell (db_summary.c) */
	[DBS_RUN_STATE] =
		"SELECT outcome, coalesce(unit_serial, id), cell, started_us, fixture, sequence_name, "
		"sequence_version, station, operator, work_order, part_number, revision "
		"FROM runs WHERE id = ?1",
	[DBS_RUN_CELL] = "UPDATE runs SET cell = ?2 WHERE id = ?1",
	[DBS_RUNNING_IDS] = "SELECT id, fixture FROM runs WHERE outcome = 'running'",
	[DBS_CELL_RUNS] = "UPDATE cells SET runs = runs + 1 WHERE id = ?1",
	[DBS_SUM_FAILS] =
		"INSERT INTO step_fails (cell, step, n) SELECT ?2, s.name, count(*) FROM steps s "
		"WHERE s.run_id = ?1 AND s.outcome IN ('fail', 'error') AND " DB_LEAF_STEP
		" GROUP BY s.name "
		"ON CONFLICT (cell, step) DO UPDATE SET n = n + excluded.n",
	[DBS_SUM_MEAS_ROWS] =
		"SELECT r.cell, r.sequence_name, s.name, m.name, m.unit, m.low, m.high, m.value "
		"FROM runs r JOIN steps s ON s.run_id = r.id JOIN measurements m ON m.step_id = s.id "
		"WHERE r.id = ?1 AND m.value IS NOT NULL ORDER BY m.id",
	[DBS_KEY_FIND] =
		"SELECT id, ref, hist_lo, hist_width, hist_hi FROM meas_keys WHERE name = ?3 "
		"AND step = ?2 AND sequence_name IS ?1 AND unit IS ?4 AND low IS ?5 AND high IS ?6",
	[DBS_KEY_NEW] =
		"INSERT INTO meas_keys (sequence_name, step, name, unit, low, high, ref, hist_lo, "
		"hist_width, hist_hi) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[DBS_MEAS_SUM] =
		"INSERT INTO meas_sum (cell, key, n, s1, s2, min, max, out_low, out_high, bins) "
		"VALUES (?1, ?2, 1, ?3, ?3 * ?3, ?4, ?4, ?5, ?6, st_hist_add(NULL, ?7)) "
		"ON CONFLICT (cell, key) DO UPDATE "
		"SET n = n + 1, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, "
		"min = min(min, excluded.min), max = max(max, excluded.max), "
		"out_low = out_low + excluded.out_low, out_high = out_high + excluded.out_high, "
		"bins = st_hist_add(bins, ?7)",
	/* a unit's cells and first run, as summarised and as the runs say */
	[DBS_UNIT_OLD] = "SELECT cell, passed FROM unit_cells WHERE unit = ?1 ORDER BY cell",
	[DBS_UNIT_NEW] =
		"SELECT cell, max(outcome = 'pass') FROM (" UNIT_RUNS ") GROUP BY cell ORDER BY cell",
	[DBS_UNIT_FIRST_OLD] =
		"SELECT op, run_id, cell, passed, multi FROM unit_first WHERE unit = ?1 ORDER BY op",
	/* per operation: the first judged run, and whether it has several cells */
	[DBS_UNIT_FIRST_NEW] =
		"WITH u AS (" UNIT_RUNS ") SELECT f.op, f.id, f.cell, f.outcome = 'pass', n.cells > 1 "
		"FROM (SELECT *, row_number() OVER (PARTITION BY op ORDER BY started_us, id) AS nth "
		"FROM u) f JOIN (SELECT op, count(DISTINCT cell) AS cells FROM u GROUP BY op) n "
		"ON n.op = f.op WHERE f.nth = 1 ORDER BY f.op",
	[DBS_UNIT_DEL] = "DELETE FROM unit_cells WHERE unit = ?1 AND cell = ?2",
	[DBS_UNIT_ADD] = "INSERT INTO unit_cells (unit, cell, passed) VALUES (?1, ?2, ?3)",
	[DBS_UNIT_SET] = "UPDATE unit_cells SET passed = ?3 WHERE unit = ?1 AND cell = ?2",
	[DBS_UNIT_FIRST_DEL] = "DELETE FROM unit_first WHERE unit = ?1 AND op = ?6",
	[DBS_UNIT_FIRST_ADD] =
		"INSERT INTO unit_first (unit, run_id, cell, passed, multi, op) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[DBS_CAP_KEY_FIND] =
		"SELECT id FROM cap_keys WHERE sequence_name IS ?1 AND sequence_version IS ?2 "
		"AND step = ?3 AND name = ?4 AND unit IS ?5 AND low IS ?6 AND high IS ?7",
	[DBS_CAP_KEY_NEW] =
		"INSERT INTO cap_keys (sequence_name, sequence_version, step, name, unit, low, high) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[DBS_CAP_SLICE_LAST] = "SELECT max(last_us) FROM cap_cells WHERE hour = ?1 AND fixture = ?2",
	[DBS_CAP_SLICE_LOAD] =
		"SELECT key, n, ref, s1, s2, min, max, first_us, first_v, last_us, last_v, mr_n, "
		"mr_sum FROM cap_cells WHERE hour = ?1 AND fixture = ?2",
	[DBS_CAP_SLICE_DEL] = "DELETE FROM cap_cells WHERE hour = ?1 AND fixture = ?2",
	[DBS_CAP_PUT] =
		"INSERT OR REPLACE INTO cap_cells (key, fixture, hour, n, ref, s1, s2, min, max, "
		"first_us, first_v, last_us, last_v, mr_n, mr_sum) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[DBS_CAP_DIM_LOAD] =
		"SELECT key, n, ref, s1, s2, min, max, first_us, first_v, last_us, last_v, mr_n, "
		"mr_sum, dim, val FROM cap_dim_cells WHERE hour = ?1 AND fixture = ?2",
	[DBS_CAP_DIM_DEL] = "DELETE FROM cap_dim_cells WHERE hour = ?1 AND fixture = ?2",
	[DBS_CAP_MARK_LOAD] = "SELECT dim, val, mixed FROM cap_dims WHERE fixture = ?2 AND hour = ?1",
	[DBS_CAP_MARK_DEL] = "DELETE FROM cap_dims WHERE fixture = ?2 AND hour = ?1",
	[DBS_CAP_MARK_PUT] =
		"INSERT OR REPLACE INTO cap_dims (fixture, hour, dim, val, mixed) VALUES (?1, ?2, ?3, ?4, ?5)",
	[DBS_CAP_DIM_PUT] =
		"INSERT OR REPLACE INTO cap_dim_cells (key, fixture, hour, n, ref, s1, s2, min, max, "
		"first_us, first_v, last_us, last_v, mr_n, mr_sum, dim, val) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
	[DBS_CAP_RUN_VALUES] = DB_CAP_VALUES("r.id = ?1"),
	[DBS_CAP_SLICE_VALUES] =
		DB_CAP_VALUES("r.started_us >= ?1 * 3600000000 AND r.started_us < (?1 + 1) * 3600000000 "
			      "AND r.fixture = ?2"),
	/* every run's (dim 7) */
	[DBS_CAP_ALL_LAST] =
		"SELECT max(last_us) FROM cap_dim_cells WHERE hour = ?1 AND fixture = ?2 AND dim = 7",
	[DBS_CAP_RUN_ALL_VALUES] = DB_CAP_ALL_VALUES("r.id = ?1"),
	[DBS_CAP_SLICE_ALL_VALUES] =
		DB_CAP_ALL_VALUES("r.started_us >= ?1 * 3600000000 AND r.started_us < "
				  "(?1 + 1) * 3600000000 AND r.fixture = ?2"),
	[DBS_CELL_UNITS] =
		"UPDATE cells SET units = units + ?2, passed = passed + ?3, "
		"first_units = first_units + ?4, first_passed = first_passed + ?5 WHERE id = ?1",
};
