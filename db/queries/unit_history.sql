-- SPDX-License-Identifier: Apache-2.0
-- Every run and step of one unit, oldest first (what `station trace` shows).
-- sqlite3 -cmd ".param set :serial SIM000201" station.db < db/queries/unit_history.sql
SELECT r.id AS run, strftime('%Y-%m-%dT%H:%M:%SZ', r.started_us / 1e6, 'unixepoch') AS started,
	r.fixture, r.outcome AS run_outcome, s.idx, s.name AS step, s.outcome, s.reason
FROM runs r JOIN steps s ON s.run_id = r.id
WHERE r.unit_serial = :serial
ORDER BY r.started_us, r.id, s.idx;
