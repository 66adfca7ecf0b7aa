# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# A log of hand-made runs for the reading commands' tests (source after lib.sh):
#   vals_log DB V1,V2,...   a new log DB (station s) with runs r0.. of units U0..,
#                           fixture a, sequence seq 1, one minute apart from
#                           2026-01-05T08:00Z, each a step rail measuring vdd = Vi
#                           in V against [LOW, HIGH] (VALS_LOW, VALS_HIGH: 3.2, 3.4;
#                           any Python float: inf, 0.1 + 0.2 as 0.30000000000000004);
#                           no summaries (station db rebuild makes them)
vals_log() {
	"$BINDIR/station" db migrate --db "$1" >/dev/null
	python3 - "$1" "$2" "${VALS_LOW:-3.2}" "${VALS_HIGH:-3.4}" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
lo, hi = float(sys.argv[3]), float(sys.argv[4])
c.execute("INSERT INTO stations (name, first_seen_us, last_seen_us) VALUES ('s', 1, 1)")
for i, v in enumerate(sys.argv[2].split(',')):
    t = 1767600000000000 + i * 60000000
    c.execute("INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us, ended_us, outcome) VALUES (?,?,?,?,?,?,?,?,?)", ('r%d' % i, 'U%d' % i, 's', 'a', 'seq', '1', t, t + 10**6, 'pass'))
    c.execute("INSERT INTO steps (id, run_id, idx, name, outcome) VALUES (?,?,0,'rail','pass')", (i + 1, 'r%d' % i))
    c.execute("INSERT INTO measurements (step_id, name, value, unit, low, high, outcome) VALUES (?,?,?,?,?,?,?)", (i + 1, 'vdd', float(v), 'V', lo, hi, 'pass'))
c.commit()
PY
}
