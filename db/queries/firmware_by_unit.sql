-- SPDX-License-Identifier: Apache-2.0
-- Which firmware image (by SHA-256) went into which units, latest first.
SELECT i.sha256, i.path, i.address, i.size, r.unit_serial,
	strftime('%Y-%m-%dT%H:%M:%SZ', r.started_us / 1e6, 'unixepoch') AS started, r.outcome
FROM images i JOIN runs r ON r.id = i.run_id
ORDER BY r.started_us DESC;
