-- SPDX-License-Identifier: Apache-2.0
-- Runs cut short by a crash or power cut (marked by recovery), and the
-- recovery events that marked them.
SELECT r.id, r.unit_serial, r.fixture, r.reason,
	strftime('%Y-%m-%dT%H:%M:%SZ', e.time_us / 1e6, 'unixepoch') AS recovered_at
FROM runs r LEFT JOIN events e ON e.run_id = r.id AND e.what = 'recovered'
WHERE r.outcome = 'aborted'
ORDER BY r.started_us DESC;
