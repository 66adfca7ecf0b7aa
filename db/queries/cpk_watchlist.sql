-- SPDX-License-Identifier: Apache-2.0
-- Measurements whose process capability is below 1.33 (the usual
-- threshold), worst first: the ones about to produce failures.
SELECT sequence_name, step, name, unit, n, round(mean, 4) AS mean,
	round(stddev, 5) AS sigma, low, high, round(cpk, 3) AS cpk
FROM v_measurement_stats
WHERE cpk IS NOT NULL AND cpk < 1.33 AND n >= 10
ORDER BY cpk;
