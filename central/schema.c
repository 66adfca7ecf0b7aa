/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The central schema, versioned on its own (table central_schema: one row
 * per migration applied).  migrations[v] takes a version-v store to v+1;
 * central_migrate() applies those missing in one transaction, under a lock
 * on central_schema, so two stations' admins running it at once do it once.
 *
 * The tables mirror the station log's (docs/database.md) with the ids made
 * global: a step, measurement, image ... is keyed by (run_id, its id in the
 * station's log), a run by its 32-hex id, so rows from many logs never
 * clash and a resend conflicts on the key and is ignored.  Times stay unix
 * epoch microseconds (*_us); runs.started/ended are timestamptz for tools
 * like Grafana.  Roles: station_writer may INSERT (and read the schema
 * version), never DELETE, and UPDATE only a CMS registration from 'queued'
 * to its final state (version 3); station_reader may SELECT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central-internal.h"

const struct cpi_table cpi_tables[] = {
	{ "runs", "id, unit_serial, station, fixture, operator, sequence_name, sequence_version,"
	  " sequence_sha256, software_version, started_us, ended_us, outcome, reason,"
	  " last_step_index, last_step, work_order, part_number, revision", 18, NULL },
	{ "run_files", "run_id, path, sha256", 3, NULL },
	{ "steps", "run_id, id, idx, name, kind, phase, outcome, reason, started_us, ended_us,"
	  " duration_us, attempts", 12, NULL },
	{ "measurements", "run_id, id, step_id, name, value, text, unit, low, high, expect,"
	  " outcome, started_us", 12, NULL },
	{ "images", "run_id, id, step_id, path, sha256, format, address, size, chip_id", 9, NULL },
	{ "identities", "run_id, id, step_id, chip_serial, cert_serial, subject, issuer,"
	  " not_before, not_after, fingerprint, spki_sha256, subject_serial, masa_url, nonce,"
	  " signature, dpp_uri, pem_chain", 17, NULL },
	{ "identity_trust", "run_id, identity_id, trust, anchor_sha256, anchor_subject,"
	  " revocation, masa_encoding, verdict", 8, NULL },
	{ "run_anchors", "run_id, sha256, trust, subject", 4, NULL },
	/* a registration synced later: from 'queued' to its final state, once */
	{ "cms_registrations", "run_id, id, step_id, status, cms_id, attempts, http_status", 7,
	  "(run_id, id) DO UPDATE SET status = EXCLUDED.status, cms_id = EXCLUDED.cms_id,"
	  " attempts = EXCLUDED.attempts, http_status = EXCLUDED.http_status"
	  " WHERE cms_registrations.status = 'queued' AND EXCLUDED.status <> 'queued'" },
	{ "step_values", "run_id, id, step_id, key, value", 5, NULL },
	{ "suspects", "run_id, id, unit_serial, role, chip_serial, fingerprint, time_us, reason", 8, NULL },
	{ "events", "run_id, id, fixture, time_us, what, detail", 6, NULL },
	{ NULL, NULL, 0, NULL }
};

const struct cpi_table *cpi_table_find(const char *name)
{
	for (const struct cpi_table *t = cpi_tables; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* Version 1, in parts (C's string length limit): tables, then roles. */
static const char *const v1[] = {
	"CREATE TABLE runs (\n"
	"  id text PRIMARY KEY,\n"
	"  unit_serial text, station text NOT NULL, fixture text NOT NULL, operator text,\n"
	"  sequence_name text, sequence_version text, sequence_sha256 text,\n"
	"  software_version text,\n"
	"  started_us bigint NOT NULL, ended_us bigint,\n"
	"  outcome text NOT NULL CHECK (outcome IN ('pass', 'fail', 'error', 'skipped',\n"
	"    'aborted', 'running')),\n"
	"  reason text, last_step_index integer, last_step text,\n"
	"  started timestamptz GENERATED ALWAYS AS (to_timestamp(started_us / 1e6)) STORED,\n"
	"  ended timestamptz GENERATED ALWAYS AS (to_timestamp(ended_us / 1e6)) STORED,\n"
	"  received_us bigint NOT NULL\n"
	"    DEFAULT (extract(epoch FROM clock_timestamp()) * 1e6)::bigint\n"
	");\n"
	"CREATE INDEX runs_started ON runs (started_us);\n"
	"CREATE INDEX runs_unit ON runs (unit_serial, started_us);\n"
	"CREATE INDEX runs_station ON runs (station, started_us);\n"
	"CREATE INDEX runs_fixture ON runs (fixture, started_us);\n"
	"CREATE INDEX runs_outcome ON runs (outcome, started_us);\n"
	,
	"CREATE TABLE run_files (run_id text NOT NULL, path text NOT NULL,\n"
	"  sha256 text NOT NULL, PRIMARY KEY (run_id, path));\n"
	"CREATE TABLE steps (run_id text NOT NULL, id bigint NOT NULL, idx integer NOT NULL,\n"
	"  name text NOT NULL, kind text, phase text, outcome text NOT NULL, reason text,\n"
	"  started_us bigint, ended_us bigint, duration_us bigint,\n"
	"  attempts integer NOT NULL DEFAULT 1, PRIMARY KEY (run_id, id));\n"
	"CREATE INDEX steps_failed ON steps (name) WHERE outcome IN ('fail', 'error');\n"
	"CREATE TABLE measurements (run_id text NOT NULL, id bigint NOT NULL,\n"
	"  step_id bigint NOT NULL, name text NOT NULL, value double precision, text text,\n"
	"  unit text, low double precision, high double precision, expect text,\n"
	"  outcome text NOT NULL, started_us bigint NOT NULL, PRIMARY KEY (run_id, id));\n"
	"CREATE INDEX measurements_name ON measurements (name, started_us);\n"
	"CREATE TABLE images (run_id text NOT NULL, id bigint NOT NULL, step_id bigint NOT NULL,\n"
	"  path text, sha256 text NOT NULL, format text, address bigint, size bigint,\n"
	"  chip_id text, PRIMARY KEY (run_id, id));\n"
	"CREATE INDEX images_sha256 ON images (sha256);\n"
	,
	"CREATE TABLE identities (run_id text NOT NULL, id bigint NOT NULL,\n"
	"  step_id bigint NOT NULL, chip_serial text, cert_serial text, subject text,\n"
	"  issuer text, not_before text, not_after text, fingerprint text, spki_sha256 text,\n"
	"  subject_serial text, masa_url text, nonce text, signature text, dpp_uri text,\n"
	"  pem_chain text, PRIMARY KEY (run_id, id));\n"
	"CREATE INDEX identities_fingerprint ON identities (lower(fingerprint));\n"
	"CREATE INDEX identities_cert_serial ON identities (lower(cert_serial));\n"
	"CREATE INDEX identities_chip ON identities (chip_serial);\n"
	"CREATE TABLE identity_trust (run_id text NOT NULL, identity_id bigint NOT NULL,\n"
	"  trust text, anchor_sha256 text, anchor_subject text, revocation text,\n"
	"  masa_encoding text, verdict text NOT NULL, PRIMARY KEY (run_id, identity_id));\n"
	"CREATE TABLE run_anchors (run_id text NOT NULL, sha256 text NOT NULL, trust text,\n"
	"  subject text, PRIMARY KEY (run_id, sha256));\n"
	"CREATE TABLE cms_registrations (run_id text NOT NULL, id bigint NOT NULL,\n"
	"  step_id bigint NOT NULL, status text NOT NULL, cms_id text, attempts integer,\n"
	"  http_status integer, PRIMARY KEY (run_id, id));\n"
	"CREATE TABLE step_values (run_id text NOT NULL, id bigint NOT NULL,\n"
	"  step_id bigint NOT NULL, key text NOT NULL, value text, PRIMARY KEY (run_id, id));\n"
	"CREATE TABLE suspects (run_id text NOT NULL, id bigint NOT NULL, unit_serial text,\n"
	"  role text NOT NULL, chip_serial text, fingerprint text, time_us bigint NOT NULL,\n"
	"  reason text NOT NULL, PRIMARY KEY (run_id, id));\n"
	"CREATE INDEX suspects_unit ON suspects (unit_serial);\n"
	"CREATE TABLE events (run_id text NOT NULL, id bigint NOT NULL, fixture text,\n"
	"  time_us bigint NOT NULL, what text NOT NULL, detail text, PRIMARY KEY (run_id, id));\n"
	,
	/* the roles: cluster-wide, so created only when missing */
	"DO $$ BEGIN\n"
	"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'station_writer') THEN\n"
	"    CREATE ROLE station_writer NOLOGIN; END IF;\n"
	"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'station_reader') THEN\n"
	"    CREATE ROLE station_reader NOLOGIN; END IF;\n"
	"END $$;\n"
	"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;\n"
	"GRANT USAGE ON SCHEMA public TO station_writer, station_reader;\n"
	"GRANT INSERT ON runs, run_files, steps, measurements, images, identities,\n"
	"  identity_trust, run_anchors, cms_registrations, step_values, suspects, events\n"
	"  TO station_writer;\n"
	"GRANT SELECT ON central_schema TO station_writer;\n"
	"GRANT SELECT ON ALL TABLES IN SCHEMA public TO station_reader;\n",
	NULL
};

/* migrations[v]: from version v to v+1, its statements in parts. */
/* Version 2: what a run was made for (the log's schema 5), and an index
 * to find a work order's runs. */
static const char *const v2[] = {
	"ALTER TABLE runs ADD COLUMN work_order text, ADD COLUMN part_number text,\n"
	"  ADD COLUMN revision text;\n"
	"CREATE INDEX runs_work_order ON runs (work_order, started_us);\n",
	NULL
};

/* Version 3: a CMS registration queued when its run was forwarded reaches
 * its final state: the writer may update a registration's outcome columns
 * (the insert's ON CONFLICT DO UPDATE, send.c), and a trigger holds every
 * update to 'queued' -> final, so a final state is never rewritten, not
 * even by a writer's hand-typed UPDATE. */
static const char *const v3[] = {
	"CREATE FUNCTION cms_registration_forward() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  IF OLD.status <> 'queued' OR NEW.status = 'queued' OR NEW.run_id <> OLD.run_id\n"
	"     OR NEW.id <> OLD.id OR NEW.step_id <> OLD.step_id THEN\n"
	"    RAISE EXCEPTION 'CMS registration %/% is %: only a queued one moves, to its final "
	"state', OLD.run_id, OLD.id, OLD.status USING ERRCODE = 'check_violation';\n"
	"  END IF;\n"
	"  RETURN NEW;\n"
	"END $$;\n"
	"CREATE TRIGGER cms_registrations_forward BEFORE UPDATE ON cms_registrations\n"
	"  FOR EACH ROW EXECUTE FUNCTION cms_registration_forward();\n"
	"GRANT SELECT (run_id, id, status, cms_id, attempts, http_status),\n"
	"  UPDATE (status, cms_id, attempts, http_status)\n"
	"  ON cms_registrations TO station_writer;\n",
	NULL
};

static const char *const *const migrations[CENTRAL_SCHEMA_VERSION] = {
	v1, v2, v3, cpi_v4, cpi_v5, cpi_v6, cpi_v7, cpi_v8, cpi_v9, cpi_v10,
	cpi_v11, cpi_v12, cpi_v13, cpi_v14, cpi_v15
};

static int query_version(struct central *c, int *v, struct st_error *e)
{
	PGresult *r = PQexec(c->pg, "SELECT coalesce(max(version), 0) FROM central_schema");
	int ret = cpi_ok(c, r, "read the schema version", e);

	if (ret < 0)
		return ret;
	*v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return ST_OK;
}

int central_migrate(struct central *c, int *from, struct st_error *e)
{
	int v = 0, ret;

	ret = cpi_exec(c, "BEGIN; CREATE TABLE IF NOT EXISTS central_schema ("
		       " version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now());"
		       " LOCK TABLE central_schema IN EXCLUSIVE MODE;"
		       /* building the summaries of a large store takes minutes */
		       " SET LOCAL statement_timeout = 0", "start the migration", e);
	if (ret < 0 && strstr(e->msg, "permission denied")) {
		char *role_hint = strstr(e->msg, "; this login lacks the right");
		size_t len;

		if (role_hint)	/* not which role: that it must be the owner */
			*role_hint = '\0';
		len = strlen(e->msg);

		snprintf(e->msg + len, sizeof(e->msg) - len, "; central migrate creates tables and "
			 "roles: run it as the database's owner, not as a station's or a reader's login");
	}
	if (ret == ST_OK)
		ret = query_version(c, &v, e);
	if (ret == ST_OK && v > CENTRAL_SCHEMA_VERSION)
		ret = st_fail(e, ST_ERR_DB, "central store %s has schema version %d, newer than "
			      "this station's (%d): update the station software", c->where, v,
			      CENTRAL_SCHEMA_VERSION);
	for (int i = v; ret == ST_OK && i < CENTRAL_SCHEMA_VERSION; i++) {
		char ins[96];

		for (int k = 0; ret == ST_OK && migrations[i][k]; k++)
			ret = cpi_exec(c, migrations[i][k], "upgrade the central schema", e);
		snprintf(ins, sizeof(ins), "INSERT INTO central_schema (version) VALUES (%d)", i + 1);
		if (ret == ST_OK)
			ret = cpi_exec(c, ins, "record the schema version", e);
	}
	if (ret == ST_OK)
		ret = cpi_exec(c, "COMMIT", "commit the migration", e);
	if (ret < 0)
		cpi_rollback(c);
	if (from)
		*from = v;
	return ret;
}

int central_schema_version(struct central *c, int *v, struct st_error *e)
{
	return query_version(c, v, e);
}

int central_check_schema(struct central *c, struct st_error *e)
{
	int v = 0, ret = query_version(c, &v, e);

	if (ret < 0) {
		cpi_rollback(c);
		if (PQstatus(c->pg) == CONNECTION_OK)
			return st_fail(e, ST_ERR_DB, "central store %s has no station schema, or "
				       "this role may not read it: run 'station central migrate' "
				       "as the database's owner, and grant station_writer", c->where);
		return ret;
	}
	if (v != CENTRAL_SCHEMA_VERSION)
		return st_fail(e, ST_ERR_DB, "central store %s has schema version %d, this station "
			       "writes version %d: run 'station central migrate' (as the "
			       "database's owner) with the newer of the two", c->where, v,
			       CENTRAL_SCHEMA_VERSION);
	return ST_OK;
}
