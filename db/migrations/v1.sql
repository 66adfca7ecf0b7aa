-- SPDX-License-Identifier: Apache-2.0
-- FROZEN: schema version 1 of the station log, exactly as the first
-- stations wrote it.  Never edit this file: tests/unit/test_db_migrate.c
-- builds a v1 log from it and checks that db_open() upgrades it in place.
-- Upgrades live in db/migrate.c; the current schema is db/schema.sql.
CREATE TABLE runs (
	id TEXT PRIMARY KEY,
	unit_serial TEXT,
	station TEXT NOT NULL,
	fixture TEXT NOT NULL,
	operator TEXT,
	sequence_name TEXT,
	sequence_version TEXT,
	sequence_sha256 TEXT,
	software_version TEXT,
	started_us INTEGER NOT NULL,
	ended_us INTEGER,
	outcome TEXT NOT NULL DEFAULT 'running',
	reason TEXT
);
CREATE TABLE steps (
	id INTEGER PRIMARY KEY,
	run_id TEXT NOT NULL REFERENCES runs(id),
	idx INTEGER NOT NULL,
	name TEXT NOT NULL,
	kind TEXT,
	outcome TEXT NOT NULL,
	reason TEXT,
	started_us INTEGER,
	ended_us INTEGER,
	UNIQUE (run_id, idx)
);
CREATE TABLE measurements (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	name TEXT NOT NULL,
	value REAL,
	unit TEXT,
	low REAL,
	high REAL,
	outcome TEXT NOT NULL
);
CREATE TABLE images (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	sha256 TEXT NOT NULL,
	address INTEGER,
	size INTEGER
);
CREATE TABLE identities (
	id INTEGER PRIMARY KEY,
	step_id INTEGER NOT NULL REFERENCES steps(id),
	cert_serial TEXT,
	subject TEXT,
	issuer TEXT,
	fingerprint TEXT,
	pem_chain TEXT
);
CREATE INDEX runs_unit ON runs(unit_serial);
CREATE INDEX measurements_step ON measurements(step_id);
PRAGMA user_version = 1;
