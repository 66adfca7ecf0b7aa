-- SPDX-License-Identifier: Apache-2.0
-- Failing steps of the last 7 days, most frequent first, with the most
-- common reason of each.  Leaf steps only: a group or include fails with the
-- step inside it, and is not counted twice.
SELECT s.name AS step, count(*) AS failures,
	round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share_pct,
	(SELECT s2.reason FROM steps s2 JOIN runs r2 ON r2.id = s2.run_id
	 WHERE s2.name = s.name AND s2.outcome IN ('fail', 'error')
	   AND r2.started_us >= (unixepoch('now', '-7 days') * 1000000)
	 GROUP BY s2.reason ORDER BY count(*) DESC LIMIT 1) AS top_reason
FROM steps s JOIN runs r ON r.id = s.run_id
WHERE s.outcome IN ('fail', 'error') AND coalesce(s.kind, '') NOT IN ('group', 'include')
  AND r.started_us >= (unixepoch('now', '-7 days') * 1000000)
GROUP BY s.name
ORDER BY failures DESC;
