/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every statement the writer runs, in one place, with ?N parameters only:
 * nothing here is ever built from a caller's text.
 */
#include "db_int.h"

/* Outcome of a crashed run, naming the last step it committed. */
#define RECOVER_REASON \
	"CASE WHEN last_step IS NULL THEN 'station stopped before the first step was logged' " \
	"ELSE 'station stopped during the run; last logged step ' || last_step_index || " \
	"' (' || last_step || ')' END"

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
		"sequence_version, sequence_sha256, software_version, started_us, outcome) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running')",
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
		"INSERT INTO measurements (step_id, run_id, name, value, text, unit, low, high, "
		"expect, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
		"SELECT r.unit_serial FROM identities i JOIN runs r ON r.id = i.run_id "
		"WHERE (i.fingerprint = ?1 COLLATE NOCASE OR i.spki_sha256 = ?2 COLLATE NOCASE) "
		"AND r.unit_serial IS NOT NULL AND (?3 IS NULL OR r.unit_serial <> ?3) "
		"ORDER BY r.started_us LIMIT 1",
	[DBS_EVENT] =
		"INSERT INTO events (run_id, fixture, time_us, what, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	[DBS_RECOVER_EVENT] =
		"INSERT INTO events (run_id, fixture, time_us, what, detail) "
		"SELECT id, fixture, ?1, 'recovered', " RECOVER_REASON
		" FROM runs WHERE outcome = 'running'",
	[DBS_RECOVER] =
		"UPDATE runs SET outcome = 'aborted', reason = " RECOVER_REASON ", "
		"ended_us = coalesce((SELECT max(s.ended_us) FROM steps s WHERE s.run_id = runs.id), "
		"started_us) WHERE outcome = 'running'",
};
