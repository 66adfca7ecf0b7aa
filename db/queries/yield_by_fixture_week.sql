-- SPDX-License-Identifier: Apache-2.0
-- Yield and first-pass yield per fixture and ISO week, from the views.
-- sqlite3 -header -column station.db < db/queries/yield_by_fixture_week.sql
-- The ISO 8601 week (Monday to Sunday, week 1 holds the year's first
-- Thursday) is the week of its Thursday: date(day, '-3 days', 'weekday 4').
SELECT strftime('%Y', date(y.day, '-3 days', 'weekday 4')) || '-W' ||
	printf('%02d', (strftime('%j', date(y.day, '-3 days', 'weekday 4')) - 1) / 7 + 1) AS week,
	y.fixture,
	sum(y.units) AS units, sum(y.passed) AS passed,
	round(100.0 * sum(y.passed) / sum(y.units), 1) AS yield_pct,
	round(100.0 * sum(f.passed_first) / sum(f.units), 1) AS fpy_pct
FROM v_yield y
LEFT JOIN v_first_pass_yield f USING (day, fixture, sequence_name, sequence_version)
GROUP BY week, y.fixture
ORDER BY week, y.fixture;
