-- SPDX-License-Identifier: Apache-2.0
-- The station log, schema version 16 (PRAGMA user_version).
--
-- Compiled into the binary (db_schema_sql).  Every statement is idempotent
-- (IF NOT EXISTS; views dropped and re-created) because db/migrate.c runs
-- this whole file after the ALTERs that bring an older log up to date: new
-- tables, indexes and views then come from one place.  Table by table
-- documentation: docs/database.md.
--
-- Times are INTEGER unix epoch microseconds, UTC (*_us columns); the v_*
-- views show them as ISO 8601 text.  Outcomes are lower-case text:
-- pass, fail, error, skipped, aborted, running.

-- Registry of the stations and fixtures that have written to this log.
CREATE TABLE IF NOT EXISTS stations (
	name TEXT PRIMARY KEY,
	software_version TEXT,
	first_seen_us INTEGER NOT NULL,
	last_seen_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fixtures (
	station TEXT NOT NULL REFERENCES stations(name),
	name TEXT NOT NULL,
	first_seen_us INTEGER NOT NULL,
	last_seen_us INTEGER NOT NULL,
	PRIMARY KEY (station, name)
);

-- One row per unit per attempt.  id: 32 random hex digits, so logs of
-- several stations can be merged without clashes.
CREATE TABLE IF NOT EXISTS runs (
	id TEXT PRIMARY KEY,
	unit_serial TEXT,
	station TEXT NOT NULL,
	fixture TEXT NOT NULL,
	operator TEXT,
	sequence_name TEXT,		-- NULL: none (schema 12: never '')
	sequence_version TEXT,
	sequence_sha256 TEXT,
	software_version TEXT,
	started_us INTEGER NOT NULL,
	ended_us INTEGER,
	outcome TEXT NOT NULL DEFAULT 'running'
		CHECK (outcome IN ('pass', 'fail', 'error', 'skipped', 'aborted', 'running')),
	reason TEXT,
	last_step_index INTEGER,	-- last step committed (crash recovery names it)
	last_step TEXT,
	cell INTEGER REFERENCES cells(id),	-- its summary cell (hour, fixture, sequence, outcome, line)
	work_order TEXT,		-- schema 6: what the MES (station serve) or --var gave
	part_number TEXT,
	revision TEXT,
	forwarded_us INTEGER		-- schema 7: when the central store committed it (NULL: queued)
);
-- Files a run's sequence was built from (includes, limits) and their hashes.
CREATE TABLE IF NOT EXISTS run_files (
	run_id TEXT NOT NULL REFERENCES runs(id),
	path TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	PRIMARY KEY (run_id, path)
);
CREATE TABLE IF NOT EXISTS steps (
	id INTEGER PRIMARY KEY,
	run_id TEXT NOT NULL REFERENCES runs(id),
	idx INTEGER NOT NULL,
	name TEXT NOT NULL,
	kind TEXT,
	phase TEXT,
	outcome TEXT NOT NULL,
	reason TEXT,
	started_us INTEGER,
	ended_us INTEGER,
	duration_us INTEGER,
	attempts INTEGER NOT NULL DEFAULT 1,
	UNIQUE (run_id, idx)
);
-- A measurement reaches its run through its step (steps.run_id, indexed by
-- UNIQUE (run_id, idx)); schema 10 dropped the run_id copied here and its
-- index, a third of a large log.  v_measurements shows the run_id.
--
-- Schema 15: what a measurement shares with every other of its kind (its
-- name, unit, limits and expected text: some twenty kinds in a sequence)
-- is kept once, in measurement_defs; a row of measurement_values holds the
-- value, text and outcome of one measurement and the id of its def.  The
-- table was half as large (on 20 million measurements 1008 -> 598 MB) and
-- db check --quick read it in half the time.  The view measurements shows
-- them as one table with the columns it always had, and takes INSERT,
-- UPDATE and DELETE (its triggers below): queries and hand edits stay as
-- they were.
CREATE TABLE IF NOT EXISTS measurement_defs (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	unit TEXT,
	low REAL,			-- NULL: no lower limit
	high REAL,
	expect TEXT
);
CREATE TABLE IF NOT EXISTS measurement_values (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	def INTEGER NOT NULL REFERENCES measurement_defs(id),
	value REAL,			-- NULL for string measurements
	text TEXT,
	outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	run_id TEXT REFERENCES runs(id),
	path TEXT,
	sha256 TEXT NOT NULL,
	format TEXT,
	address INTEGER,
	size INTEGER,
	chip_id TEXT
);
CREATE TABLE IF NOT EXISTS identities (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	run_id TEXT REFERENCES runs(id),
	chip_serial TEXT,
	cert_serial TEXT,		-- hex
	subject TEXT,
	issuer TEXT,
	not_before TEXT,
	not_after TEXT,
	fingerprint TEXT,		-- SHA-256 of the DER leaf, hex
	spki_sha256 TEXT,		-- SHA-256 of the SubjectPublicKeyInfo, hex
	subject_serial TEXT,		-- 802.1AR serialNumber
	masa_url TEXT,
	nonce TEXT,
	signature TEXT,
	dpp_uri TEXT,
	pem_chain TEXT
);
CREATE TABLE IF NOT EXISTS cms_registrations (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	run_id TEXT REFERENCES runs(id),
	status TEXT NOT NULL,
	cms_id TEXT,
	attempts INTEGER,
	http_status INTEGER
);
-- Values a step captured (key/value: exec output, versions read back...).
CREATE TABLE IF NOT EXISTS step_values (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	run_id TEXT REFERENCES runs(id),
	key TEXT NOT NULL,
	value TEXT
);
-- Operator and station events: start, stop, prompt answers, signals, recovery.
CREATE TABLE IF NOT EXISTS events (
	id INTEGER PRIMARY KEY,
	run_id TEXT REFERENCES runs(id),
	fixture TEXT,
	time_us INTEGER NOT NULL,
	what TEXT NOT NULL,
	detail TEXT
);
-- Schema 8: the run results for the MES (station serve's mes: hook), one per
-- run; sent_us NULL while it waits for `station mes sync` (the MES was down).
CREATE TABLE IF NOT EXISTS mes_results (
	id INTEGER PRIMARY KEY,
	run_id TEXT NOT NULL UNIQUE REFERENCES runs(id),
	document TEXT NOT NULL,		-- the JSON posted
	queued_us INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT,
	sent_us INTEGER
);

-- The identity policy (docs/identity.md).  The trust anchors a run's
-- identity checks used: the trust store's path and the SHA-256 of every
-- certificate in it, so that an audit can tell which roots a unit was
-- accepted against.
CREATE TABLE IF NOT EXISTS run_anchors (
	run_id TEXT NOT NULL REFERENCES runs(id),
	trust TEXT NOT NULL,		-- the trust store (file or directory)
	sha256 TEXT NOT NULL,		-- SHA-256 of the anchor's DER, hex
	subject TEXT,
	PRIMARY KEY (run_id, sha256)
) WITHOUT ROWID;
-- Per logged identity: what it was checked against and the verdict.  A
-- failed identity is logged with the certificate's claims (identities row)
-- and verdict 'fail': the run's unit serial never comes from it.
CREATE TABLE IF NOT EXISTS identity_trust (
	identity_id INTEGER PRIMARY KEY REFERENCES identities(id),
	run_id TEXT REFERENCES runs(id),
	trust TEXT,			-- the trust store's path
	anchor_sha256 TEXT,		-- the anchor the chain ended at ('' when it did not verify)
	anchor_subject TEXT,
	revocation TEXT,		-- revocation sources: 'none', 'crl:<path>', 'cms:<url>', 'crl:<path> cms:<url>'
	masa_encoding TEXT,		-- 'IA5String', 'UTF8String', '' when absent
	verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail'))
);
-- Suspect marks: a detected clone marks the original unit and the copy (the
-- run that presented the identity, and its unit when it has its own serial).
-- `station trace` shows them; `trace --format label` refuses a suspect unit.
CREATE TABLE IF NOT EXISTS suspects (
	id INTEGER PRIMARY KEY,
	unit_serial TEXT,		-- the unit marked; NULL: the copy's run has no unit
	run_id TEXT NOT NULL REFERENCES runs(id),	-- the run that found the clone
	role TEXT NOT NULL CHECK (role IN ('original', 'copy')),
	chip_serial TEXT,		-- the SE chip of the copy
	fingerprint TEXT,		-- the certificate presented twice
	time_us INTEGER NOT NULL,
	reason TEXT NOT NULL
);

-- Summaries (schema 3; per hour and outcome since schema 9), kept by
-- db/db_summary.c in the transaction that ends a run (db_run_end, or
-- recovery marking it aborted), so that reports on millions of runs read
-- thousands of rows.  A run counts once it has ended.  They are derived
-- data: db/migrate.c rebuilds them from the rows.
--
-- A cell: runs of one UTC hour (hours = 1, started_us / 3600000000),
-- fixture, sequence name+version and outcome; every ended run is in one
-- (runs.cell).  runs: every ended run; units/passed: distinct identified
-- units (a serial: a run without one is no unit) with a judged run (pass or
-- fail: an error or aborted run is the station's, it judges no unit) in the
-- cell (a unit passed if one of them passed); first_*: units whose first
-- judged run of the operation (sequence name, over the whole log) is in the
-- cell, and of those, the ones that passed.  A day cell (hours = 24, hour =
-- the day's first) holds only the measurement sums of its 24 hour cells,
-- so that a report over whole days reads one row a day, not 24: one of
-- each line, and one of every line (station NULL, a run's never is: the
-- report without a line filter reads those, a third as many or fewer).
-- Schema 12: the line's dimensions too (station, operator, work order,
-- part number, revision: the run's, NULL as the run has none), so that
-- report --operator, --work-order, --part-number, --revision and --station
-- read cells; a line runs one work order at a time and an operator works a
-- shift, so an hour and fixture rarely holds more than one or two.
CREATE TABLE IF NOT EXISTS cells (
	id INTEGER PRIMARY KEY,
	hour INTEGER NOT NULL,		-- started_us / 3600000000
	hours INTEGER NOT NULL,		-- 1: an hour cell, 24: a day cell
	fixture TEXT NOT NULL,
	sequence_name TEXT,
	sequence_version TEXT,
	outcome TEXT NOT NULL,
	station TEXT,			-- schema 12: runs.station (NOT NULL there)
	operator TEXT,
	work_order TEXT,
	part_number TEXT,
	revision TEXT,
	runs INTEGER NOT NULL DEFAULT 0,
	units INTEGER NOT NULL DEFAULT 0,
	passed INTEGER NOT NULL DEFAULT 0,
	first_units INTEGER NOT NULL DEFAULT 0,
	first_passed INTEGER NOT NULL DEFAULT 0
);
-- Per unit (serial): the hour cells where it has judged runs, whether it
-- passed there; per unit and operation (op: the sequence name, '' for
-- none) its first judged run.  multi marks unit-operations seen in more
-- than one cell: only those need the correction that turns per-cell unit
-- counts into distinct counts.
CREATE TABLE IF NOT EXISTS unit_cells (
	unit TEXT NOT NULL,
	cell INTEGER NOT NULL REFERENCES cells(id),
	passed INTEGER NOT NULL,
	PRIMARY KEY (unit, cell)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unit_first (
	unit TEXT NOT NULL,
	op TEXT NOT NULL,
	run_id TEXT NOT NULL,
	cell INTEGER NOT NULL REFERENCES cells(id),
	passed INTEGER NOT NULL,
	multi INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (unit, op)
) WITHOUT ROWID;
-- Steps that ended fail or error, per hour cell and step name (the Pareto).
CREATE TABLE IF NOT EXISTS step_fails (
	cell INTEGER NOT NULL REFERENCES cells(id),
	step TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (cell, step)
) WITHOUT ROWID;
-- One row per measurement as the report groups them.  ref: the first value
-- summarised, subtracted before summing (numerically stable variance);
-- hist_*: the histogram's fixed frame (the limits when both are set).
CREATE TABLE IF NOT EXISTS meas_keys (
	id INTEGER PRIMARY KEY,
	sequence_name TEXT,
	step TEXT NOT NULL,
	name TEXT NOT NULL,
	unit TEXT,
	low REAL,
	high REAL,
	ref REAL NOT NULL,
	hist_lo REAL NOT NULL,
	hist_width REAL NOT NULL,
	hist_hi REAL NOT NULL
);
-- Per cell (hour and day cells) and measurement: n, sums of (value - ref) and its square,
-- min, max, values beyond each limit, and the histogram counts (a blob of
-- little-endian uint32, see docs/database.md).
CREATE TABLE IF NOT EXISTS meas_sum (
	cell INTEGER NOT NULL REFERENCES cells(id),
	key INTEGER NOT NULL REFERENCES meas_keys(id),
	n INTEGER NOT NULL,
	s1 REAL NOT NULL,
	s2 REAL NOT NULL,
	min REAL NOT NULL,
	max REAL NOT NULL,
	out_low INTEGER NOT NULL,
	out_high INTEGER NOT NULL,
	bins BLOB NOT NULL,
	PRIMARY KEY (cell, key)
) WITHOUT ROWID;
-- Schema 11: capability cells (report --capability, report/capsum.c).  Per
-- UTC hour, fixture and capability key (cap_keys: sequence name and version,
-- step, measurement, unit and the limits in force) the numeric values of
-- first judged runs (each unit's first pass/fail run of its operation), in
-- time order (started_us, then measurement id): n; ref, the cell's first
-- value; s1 = sum (x - ref); s2 = sum (x - ref)^2; min, max; the first and
-- last value and their runs' starts; mr_n, mr_sum: the moving ranges
-- |x(i) - x(i-1)| inside the cell.  Summed value by value as
-- common/capcell.c does; a cell a run lands in out of time order (a first
-- run that moved) is recomputed from its rows (db/db_capcell.c).
CREATE TABLE IF NOT EXISTS cap_keys (
	id INTEGER PRIMARY KEY,
	sequence_name TEXT,
	sequence_version TEXT,
	step TEXT NOT NULL,
	name TEXT NOT NULL,
	unit TEXT,
	low REAL,
	high REAL
);
CREATE TABLE IF NOT EXISTS cap_cells (
	key INTEGER NOT NULL REFERENCES cap_keys(id),
	fixture TEXT NOT NULL,
	hour INTEGER NOT NULL,		-- started_us / 3600000000
	n INTEGER NOT NULL,
	ref REAL NOT NULL,
	s1 REAL NOT NULL,
	s2 REAL NOT NULL,
	min REAL NOT NULL,
	max REAL NOT NULL,
	first_us INTEGER NOT NULL,
	first_v REAL NOT NULL,
	last_us INTEGER NOT NULL,
	last_v REAL NOT NULL,
	mr_n INTEGER NOT NULL,
	mr_sum REAL NOT NULL,
	PRIMARY KEY (key, fixture, hour)
) WITHOUT ROWID;
-- Schema 14: capability cells per line value (report --capability
-- --operator, --work-order, --part-number, --revision, or the last two
-- together).  cap_dims says, per fixture, UTC hour and line dimension (dim:
-- 1 operator, 2 work order, 3 part number, 4 part number and revision, 5
-- revision; schema 16: 6 the first run's outcome, pass or fail, for
-- report --capability --outcome; 7 every ended run, val '', for
-- --all-runs: not first runs only), whose values the hour's cells hold: one
-- value's (mixed 0, val that value, NULL for runs without one: the hour's
-- cap_cells are that value's), or several's (mixed 1): then cap_dim_cells
-- holds each value's cells (val; for dim 4 the part number's length in
-- bytes, ':', the part number and the revision), summed in time order as
-- cap_cells are.  A run without the value has no cell of that dim.
CREATE TABLE IF NOT EXISTS cap_dims (
	fixture TEXT NOT NULL,
	hour INTEGER NOT NULL,
	dim INTEGER NOT NULL,
	val TEXT,
	mixed INTEGER NOT NULL,
	PRIMARY KEY (fixture, hour, dim)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cap_dim_cells (
	key INTEGER NOT NULL REFERENCES cap_keys(id),
	dim INTEGER NOT NULL,
	val TEXT NOT NULL,
	fixture TEXT NOT NULL,
	hour INTEGER NOT NULL,
	n INTEGER NOT NULL,
	ref REAL NOT NULL,
	s1 REAL NOT NULL,
	s2 REAL NOT NULL,
	min REAL NOT NULL,
	max REAL NOT NULL,
	first_us INTEGER NOT NULL,
	first_v REAL NOT NULL,
	last_us INTEGER NOT NULL,
	last_v REAL NOT NULL,
	mr_n INTEGER NOT NULL,
	mr_sum REAL NOT NULL,
	PRIMARY KEY (key, dim, val, fixture, hour)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS runs_unit_started ON runs(unit_serial, started_us);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_us);
-- schema 13: a fixture's runs in time order (report --spc reads a fixture's
-- first and latest values, not every one; --fixture filters on the rows)
CREATE INDEX IF NOT EXISTS runs_fixture_started ON runs(fixture, started_us);
CREATE INDEX IF NOT EXISTS runs_unfinished ON runs(outcome) WHERE outcome = 'running';
-- schema 4: report --outcome reads the runs of one outcome, not every run
CREATE INDEX IF NOT EXISTS runs_outcome ON runs(outcome, started_us);
-- schema 7: the runs still to forward to the central store, in their order
CREATE INDEX IF NOT EXISTS runs_to_forward ON runs(ended_us, id)
	WHERE forwarded_us IS NULL AND outcome <> 'running';
CREATE INDEX IF NOT EXISTS steps_name ON steps(name, outcome);
CREATE INDEX IF NOT EXISTS steps_failed ON steps(outcome, name) WHERE outcome IN ('fail', 'error');
CREATE INDEX IF NOT EXISTS measurement_values_step ON measurement_values(step_id);
-- a def by its fields (IS: NULL limits match), as the triggers look it up
CREATE INDEX IF NOT EXISTS measurement_defs_key ON measurement_defs(name, unit, low, high, expect);
CREATE INDEX IF NOT EXISTS images_step ON images(step_id);
CREATE INDEX IF NOT EXISTS images_sha256 ON images(sha256);
CREATE INDEX IF NOT EXISTS identities_step ON identities(step_id);
CREATE INDEX IF NOT EXISTS identities_run ON identities(run_id);
CREATE INDEX IF NOT EXISTS identities_fingerprint ON identities(fingerprint COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS identities_spki ON identities(spki_sha256 COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS identities_cert_serial ON identities(cert_serial COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS identities_subject_serial ON identities(subject_serial);
CREATE INDEX IF NOT EXISTS cms_step ON cms_registrations(step_id);
CREATE INDEX IF NOT EXISTS identity_trust_run ON identity_trust(run_id);
CREATE INDEX IF NOT EXISTS suspects_unit ON suspects(unit_serial);
CREATE INDEX IF NOT EXISTS suspects_run ON suspects(run_id);
CREATE INDEX IF NOT EXISTS step_values_step ON step_values(step_id);
-- schema 4: report counts the CMS calls made without verification
CREATE INDEX IF NOT EXISTS step_values_insecure ON step_values(step_id) WHERE key = 'cms.insecure';
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
CREATE INDEX IF NOT EXISTS events_time ON events(time_us);
CREATE INDEX IF NOT EXISTS cells_key ON cells(hours, hour, fixture, sequence_name, sequence_version,
	outcome, station, operator, work_order, part_number, revision);
CREATE INDEX IF NOT EXISTS unit_first_multi ON unit_first(multi) WHERE multi = 1;
CREATE INDEX IF NOT EXISTS meas_keys_name ON meas_keys(name, step, sequence_name, unit, low, high);
-- schema 11: report --capability's order; a fixture's hour when a run ends
CREATE INDEX IF NOT EXISTS cap_keys_key ON cap_keys(sequence_name, sequence_version, step, name,
	unit, low, high);
CREATE INDEX IF NOT EXISTS cap_cells_slice ON cap_cells(hour, fixture);
CREATE INDEX IF NOT EXISTS cap_dim_cells_slice ON cap_dim_cells(hour, fixture);
-- a line value's hours of its own (report --capability --operator NAME)
CREATE INDEX IF NOT EXISTS cap_dims_val ON cap_dims(dim, val, mixed, fixture, hour);

-- Every measurement with its def's fields, in the columns of the table of
-- schema 14 (CROSS JOIN: the values are read first, each def by its id,
-- whatever a query filters on).  A row inserted here gets the def of its
-- name, unit, limits and expected text, made when new; an update may
-- change any column; a def no value uses any more stays.
DROP VIEW IF EXISTS measurements;
CREATE VIEW measurements AS
SELECT v.id, v.step_id, d.name, v.value, v.text, d.unit, d.low, d.high, d.expect, v.outcome
FROM measurement_values v CROSS JOIN measurement_defs d ON d.id = v.def;
CREATE TRIGGER measurements_insert INSTEAD OF INSERT ON measurements BEGIN
	SELECT RAISE(ABORT, 'measurements.name may not be NULL: give the measurement a name')
		WHERE NEW.name IS NULL;
	INSERT INTO measurement_defs (name, unit, low, high, expect)
		SELECT NEW.name, NEW.unit, NEW.low, NEW.high, NEW.expect
		WHERE NOT EXISTS (SELECT 1 FROM measurement_defs WHERE name = NEW.name
			AND unit IS NEW.unit AND low IS NEW.low AND high IS NEW.high
			AND expect IS NEW.expect);
	INSERT INTO measurement_values (id, step_id, def, value, text, outcome)
		VALUES (NEW.id, NEW.step_id, (SELECT id FROM measurement_defs WHERE name = NEW.name
			AND unit IS NEW.unit AND low IS NEW.low AND high IS NEW.high
			AND expect IS NEW.expect), NEW.value, NEW.text, NEW.outcome);
END;
CREATE TRIGGER measurements_update INSTEAD OF UPDATE ON measurements BEGIN
	SELECT RAISE(ABORT, 'measurements.name may not be NULL: give the measurement a name')
		WHERE NEW.name IS NULL;
	INSERT INTO measurement_defs (name, unit, low, high, expect)
		SELECT NEW.name, NEW.unit, NEW.low, NEW.high, NEW.expect
		WHERE NOT EXISTS (SELECT 1 FROM measurement_defs WHERE name = NEW.name
			AND unit IS NEW.unit AND low IS NEW.low AND high IS NEW.high
			AND expect IS NEW.expect);
	UPDATE measurement_values SET id = NEW.id, step_id = NEW.step_id,
		def = (SELECT id FROM measurement_defs WHERE name = NEW.name AND unit IS NEW.unit
			AND low IS NEW.low AND high IS NEW.high AND expect IS NEW.expect),
		value = NEW.value, text = NEW.text, outcome = NEW.outcome
	WHERE id = OLD.id;
END;
CREATE TRIGGER measurements_delete INSTEAD OF DELETE ON measurements BEGIN
	DELETE FROM measurement_values WHERE id = OLD.id;
END;

-- Views for quality engineers: `sqlite3 station.db 'SELECT * FROM v_yield'`.
-- A unit is its serial; a run that never got a serial is no unit (the
-- report counts it as unidentified).  Runs still in progress are left out
-- of every yield.
DROP VIEW IF EXISTS v_runs;
CREATE VIEW v_runs AS
SELECT id, unit_serial, station, fixture, operator, work_order, part_number, revision,
	sequence_name, sequence_version,
	strftime('%Y-%m-%dT%H:%M:%fZ', started_us / 1e6, 'unixepoch') AS started,
	strftime('%Y-%m-%dT%H:%M:%fZ', ended_us / 1e6, 'unixepoch') AS ended,
	round((ended_us - started_us) / 1e6, 3) AS duration_s,
	outcome, reason, last_step
FROM runs;

-- Yield: units that passed (at least once that day) / units judged, from
-- the summary cells (runs that have ended; error and aborted runs judge no
-- unit).  The hour cells of a day add up; a unit seen in several of them
-- (a retest, a pass after a fail) is taken off all but once.
DROP VIEW IF EXISTS v_yield;
CREATE VIEW v_yield AS
WITH t AS (SELECT hour / 24 AS d, fixture, sequence_name, sequence_version, sum(runs) AS runs,
		sum(units) AS units, sum(passed) AS passed
	FROM cells WHERE hours = 1 GROUP BY 1, 2, 3, 4),
k AS (SELECT d, fixture, sequence_name, sequence_version, sum(n - 1) AS du,
		sum(max(np - 1, 0)) AS dp
	FROM (SELECT c.hour / 24 AS d, c.fixture, c.sequence_name, c.sequence_version,
			count(*) AS n, sum(uc.passed) AS np
		FROM unit_first u CROSS JOIN unit_cells uc ON uc.unit = u.unit
		CROSS JOIN cells c ON c.id = uc.cell AND coalesce(c.sequence_name, '') = u.op
		WHERE u.multi = 1 GROUP BY u.unit, u.op, 1, 2, 3, 4)
	GROUP BY 1, 2, 3, 4)
SELECT date(t.d * 86400, 'unixepoch') AS day, t.fixture, t.sequence_name, t.sequence_version,
	t.runs, t.units - coalesce(k.du, 0) AS units, t.passed - coalesce(k.dp, 0) AS passed,
	round(1.0 * (t.passed - coalesce(k.dp, 0)) / (t.units - coalesce(k.du, 0)), 4) AS yield
FROM t LEFT JOIN k ON k.d = t.d AND k.fixture = t.fixture
	AND k.sequence_name IS t.sequence_name AND k.sequence_version IS t.sequence_version
WHERE t.runs > 0
ORDER BY day, t.fixture, t.sequence_name, t.sequence_version;

-- First-pass yield: each unit's first judged run (pass or fail) of each
-- operation (sequence), wherever it ran.
DROP VIEW IF EXISTS v_first_pass_yield;
CREATE VIEW v_first_pass_yield AS
SELECT date(hour / 24 * 86400, 'unixepoch') AS day, fixture, sequence_name, sequence_version,
	sum(first_units) AS units, sum(first_passed) AS passed_first,
	round(1.0 * sum(first_passed) / sum(first_units), 4) AS fpy
FROM cells WHERE hours = 1 GROUP BY 1, 2, 3, 4 HAVING sum(first_units) > 0
ORDER BY day, fixture, sequence_name, sequence_version;

-- Pareto of failing steps: every leaf step (not a group or include, whose
-- failure is that of a step inside it) of an ended run that ended fail or
-- error.
DROP VIEW IF EXISTS v_failures_pareto;
CREATE VIEW v_failures_pareto AS
WITH f AS (SELECT step AS name, sum(n) AS failures FROM step_fails GROUP BY step)
SELECT name AS step, failures,
	round(1.0 * failures / sum(failures) OVER (), 4) AS share,
	round(1.0 * sum(failures) OVER (ORDER BY failures DESC, name ROWS UNBOUNDED PRECEDING)
	      / sum(failures) OVER (), 4) AS cumulative
FROM f ORDER BY failures DESC, name;

-- Measurements with the run they belong to (through their step), for
-- queries by hand: `SELECT * FROM v_measurements WHERE run_id = ...`.
DROP VIEW IF EXISTS v_measurements;
CREATE VIEW v_measurements AS
SELECT m.id, m.step_id, s.run_id, m.name, m.value, m.text, m.unit, m.low, m.high, m.expect,
	m.outcome
FROM measurements m JOIN steps s ON s.id = m.step_id;

-- The latest run of every unit, and how many runs it took.
DROP VIEW IF EXISTS v_unit_latest;
CREATE VIEW v_unit_latest AS
SELECT unit_serial, id AS run_id, fixture, sequence_name, sequence_version,
	strftime('%Y-%m-%dT%H:%M:%fZ', started_us / 1e6, 'unixepoch') AS started,
	outcome, reason, runs
FROM (SELECT r.*, row_number() OVER (PARTITION BY unit_serial
				     ORDER BY started_us DESC, id DESC) AS nth,
	     count(*) OVER (PARTITION BY unit_serial) AS runs
      FROM runs r WHERE unit_serial IS NOT NULL)
WHERE nth = 1;

-- Numeric measurement statistics per sequence, step, measurement and
-- limits, from the summaries.  stddev is the sample standard deviation from
-- the sums about ref; cpk is min(USL - mean, mean - LSL) / (3 stddev),
-- one-sided with one limit.
DROP VIEW IF EXISTS v_measurement_stats;
CREATE VIEW v_measurement_stats AS
WITH s AS (
	SELECT k.sequence_name, k.step, k.name, k.unit, k.low, k.high, k.ref,
		sum(m.n) AS n, sum(m.s1) AS s1, sum(m.s2) AS s2, min(m.min) AS min, max(m.max) AS max
	FROM cells c CROSS JOIN meas_sum m ON m.cell = c.id JOIN meas_keys k ON k.id = m.key
	WHERE c.hours = 24 AND c.station IS NULL GROUP BY k.id),
d AS (
	SELECT *, ref + s1 / n AS mean,
		CASE WHEN n > 1 THEN sqrt(max(0.0, (s2 - s1 * s1 / n) / (n - 1))) END AS stddev
	FROM s)
SELECT sequence_name, step, name, unit, n, mean, stddev, min, max, low, high,
	CASE WHEN stddev IS NULL OR stddev = 0 THEN NULL
	     WHEN low IS NOT NULL AND high IS NOT NULL
		  THEN min(high - mean, mean - low) / (3 * stddev)
	     WHEN high IS NOT NULL THEN (high - mean) / (3 * stddev)
	     WHEN low IS NOT NULL THEN (mean - low) / (3 * stddev)
	END AS cpk
FROM d ORDER BY sequence_name, step, name, low, high, unit;

PRAGMA user_version = 16;
