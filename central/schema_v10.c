/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Central schema version 10: a writer login writes only its own stations'
 * runs; nobody but the owner makes temporary tables; runs without a
 * sequence are one operation, NULL.
 *
 * Bindings.  central_stations (login, station) says which station names a
 * login may store runs under; the owner keeps it (docs/central.md, Set-up:
 * INSERT INTO central_stations ...).  Row-level security on every table a
 * station inserts into: a member of station_writer may insert a run whose
 * station is bound to its login (central_may_write), and any other row only
 * for a run of such a station already in the store (central_may_write_run:
 * the run is sent first, in the same transaction), and move a CMS
 * registration only of such a run.  Both run as the owner (the writer reads
 * neither table) and take the login from session_user: a SET ROLE does not
 * change it.  INSERT ... ON CONFLICT DO NOTHING is checked by the INSERT
 * policy alone, so a resend is checked as the first send was.  Reading is
 * what it was: a SELECT policy lets every role read every row its grants
 * allow.  The owner (and a superuser) is not subject to the policies: the
 * summaries (SECURITY DEFINER) and the migrations read and write as before.
 *
 * The store does not know which login wrote which run, so the migration
 * binds every login in station_writer to every station the store holds:
 * no line that forwarded before stops; a station name new to the store
 * needs its binding (the refusal says which INSERT).  Those rows carry a
 * note, for the owner to narrow them.
 *
 * Temporary tables.  PostgreSQL grants TEMPORARY on a database to PUBLIC;
 * the summaries' temporary tables are made inside SECURITY DEFINER
 * functions, as the owner, and nothing a station or a reader runs makes one
 * as its own login: revoked from PUBLIC (the database's owner keeps it),
 * as CREATE on schema public (PostgreSQL 15 no longer grants it; a
 * database upgraded from an older server still does).  Only the database's
 * owner (or a superuser) can revoke them: for another role the migration
 * leaves them (docs/central.md says what to run).
 *
 * Runs without a sequence.  Stations before the forwarder sent NULL for
 * '' (db_forward.c) stored such runs with '' as their sequence name: a
 * unit's '' runs were another operation than its NULL ones, and their
 * measurement and capability keys others.  central_seq_null() sets them to
 * NULL and computes again only what they touch, under the summaries' lock:
 * the unit counts of their serials (both spellings taken out, then the
 * units of the serials' NULL runs counted again), each '' measurement key
 * merged into its NULL twin (the older of the two kept, as a store that
 * never had '' would have made it; the cells that held either summed again
 * from the rows of those cells' days), and the capability hours of the
 * serials' NULL runs computed again (a first run may have moved) with their
 * days and months.  A store without '' runs reads the runs once.
 */
#include <stddef.h>

#include "central/central-internal.h"

/* the tables a station inserts into */
#define STATION_TABLES \
	"'runs', 'run_files', 'steps', 'measurements', 'images', 'identities',\n" \
	"  'identity_trust', 'run_anchors', 'cms_registrations', 'step_values', 'suspects',\n" \
	"  'events'"

const char *const cpi_v10[] = {
	"CREATE TABLE central_stations (login name NOT NULL, station text NOT NULL,\n"
	"  added timestamptz NOT NULL DEFAULT now(), note text, PRIMARY KEY (login, station));\n"
	"REVOKE ALL ON central_stations FROM PUBLIC;\n"
	/* plpgsql, its plan kept by the session, and no SET clause (a
	 * search_path set per call, or an SQL function planned per statement,
	 * cost some 300 µs a row): every name qualified instead, the
	 * operators too (OPERATOR(pg_catalog.=)): the caller's search_path
	 * applies, and a writer that may create in a schema on it (public on a
	 * database made before PostgreSQL 15) would otherwise have its own "="
	 * called as the owner */
	"CREATE FUNCTION central_may_write(st text) RETURNS boolean LANGUAGE plpgsql STABLE\n"
	"  SECURITY DEFINER AS $$\n"
	"BEGIN\n"
	"  RETURN EXISTS (SELECT 1 FROM public.central_stations b\n"
	"    WHERE b.login OPERATOR(pg_catalog.=) pg_catalog.session_user()\n"
	"      AND b.station OPERATOR(pg_catalog.=) st);\n"
	"END $$;\n"
	"CREATE FUNCTION central_may_write_run(run text) RETURNS boolean LANGUAGE plpgsql STABLE\n"
	"  SECURITY DEFINER AS $$\n"
	"BEGIN\n"
	"  RETURN EXISTS (SELECT 1 FROM public.runs r JOIN public.central_stations b\n"
	"    ON b.station OPERATOR(pg_catalog.=) r.station WHERE r.id OPERATOR(pg_catalog.=) run\n"
	"      AND b.login OPERATOR(pg_catalog.=) pg_catalog.session_user());\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_may_write(text), central_may_write_run(text) FROM PUBLIC;\n"
	"GRANT EXECUTE ON FUNCTION central_may_write(text), central_may_write_run(text)\n"
	"  TO station_writer;\n"
	"DO $$\n"
	"DECLARE t text;\n"
	"BEGIN\n"
	"  FOREACH t IN ARRAY ARRAY[" STATION_TABLES "] LOOP\n"
	"    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);\n"
	"    EXECUTE format('CREATE POLICY central_read ON %I FOR SELECT USING (true)', t);\n"
	"    EXECUTE format('CREATE POLICY central_station ON %I FOR INSERT TO station_writer'\n"
	"      ' WITH CHECK (%s)', t, CASE WHEN t = 'runs' THEN 'central_may_write(station)'\n"
	"      ELSE 'central_may_write_run(run_id)' END);\n"
	"  END LOOP;\n"
	"END $$;\n"
	"CREATE POLICY central_station_update ON cms_registrations FOR UPDATE TO station_writer\n"
	"  USING (central_may_write_run(run_id)) WITH CHECK (central_may_write_run(run_id));\n"
	/* the lines that forwarded before: every writer login, every station */
	"INSERT INTO central_stations (login, station, note)\n"
	"  SELECT l.rolname, s.station, 'migration to version 10: a writer login then, bound to'\n"
	"    ' every station the store held (the store does not know who wrote which)'\n"
	"  FROM pg_roles l CROSS JOIN (SELECT DISTINCT station FROM runs) s\n"
	"  WHERE l.rolcanlogin AND NOT l.rolsuper\n"
	"    AND pg_has_role(l.oid, 'station_writer', 'MEMBER');\n",

	/* no temporary tables but the owner's: the tables' owner (whose
	 * SECURITY DEFINER summaries make them) keeps the right by a grant of
	 * its own, as it may have had it from PUBLIC alone; CREATE on schema
	 * public revoked from PUBLIC too, or a warning says it could not be */
	"DO $$\n"
	"BEGIN\n"
	"  IF pg_has_role(current_user, (SELECT datdba FROM pg_database\n"
	"      WHERE datname = current_database()), 'USAGE') THEN\n"
	"    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %s', current_database(),\n"
	"      (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.runs'::regclass));\n"
	"    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());\n"
	"  ELSE\n"
	"    RAISE WARNING 'not the database''s owner: TEMPORARY stays granted to PUBLIC';\n"
	"  END IF;\n"
	"  IF has_schema_privilege('public', 'CREATE WITH GRANT OPTION') THEN\n"
	"    REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n"
	"  ELSIF has_schema_privilege('public', 'CREATE') THEN\n"
	"    RAISE WARNING 'schema public''s owner did not let this role revoke CREATE from PUBLIC:'\n"
	"      ' run REVOKE CREATE ON SCHEMA public FROM PUBLIC as its owner';\n"
	"  END IF;\n"
	"END $$;\n",

	/* runs without a sequence: '' as NULL, what they touch summed again */
	"CREATE FUNCTION central_seq_null() RETURNS bigint LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"DECLARE n bigint;\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(126943990476147);\n"
	"  CREATE TEMP TABLE seq_runs ON COMMIT DROP AS\n"
	"    SELECT id, unit_serial FROM runs WHERE sequence_name = '';\n"
	"  GET DIAGNOSTICS n = ROW_COUNT;\n"
	"  IF n = 0 THEN RETURN 0; END IF;\n"
	"  PERFORM central_seq_units(true);\n"
	"  UPDATE runs SET sequence_name = NULL WHERE id IN (SELECT id FROM pg_temp.seq_runs);\n"
	"  PERFORM central_seq_units(false);\n"
	"  PERFORM central_seq_meas();\n"
	"  PERFORM central_sum_cap_tmp();\n"
	"  DELETE FROM pg_temp.sum_capd;\n"
	"  INSERT INTO pg_temp.sum_capd SELECT DISTINCT r.station, r.fixture,\n"
	"    r.started_us / 3600000000 FROM runs r\n"
	"    WHERE r.unit_serial IN (SELECT unit_serial FROM pg_temp.seq_runs)\n"
	"      AND r.sequence_name IS NULL AND r.outcome IN ('pass', 'fail');\n"
	"  PERFORM central_sum_cap_cells(false);\n"
	"  DELETE FROM sum_cap_keys k WHERE k.sequence_name = ''\n"
	"    AND NOT EXISTS (SELECT 1 FROM sum_cap c WHERE c.key = k.id)\n"
	"    AND NOT EXISTS (SELECT 1 FROM sum_cap_day c WHERE c.key = k.id)\n"
	"    AND NOT EXISTS (SELECT 1 FROM sum_cap_month c WHERE c.key = k.id);\n"
	"  RETURN n;\n"
	"END $$;\n",

	/* out: the unit counts of the serials of pg_temp.seq_runs, both
	 * spellings ('+' and '' for '', '-' for NULL), taken out of their cells;
	 * else: the units of their NULL runs counted again (version 4's
	 * statements on the runs, their cells looked up: they exist) */
	"CREATE FUNCTION central_seq_units(out_ boolean) RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  IF out_ THEN\n"
	"    CREATE TEMP TABLE seq_units ON COMMIT DROP AS SELECT DISTINCT u.k\n"
	"      FROM pg_temp.seq_runs r CROSS JOIN LATERAL (VALUES\n"
	"        (length(r.unit_serial)::text || ':' || r.unit_serial || '+'),\n"
	"        (length(r.unit_serial)::text || ':' || r.unit_serial || '-')) u(k)\n"
	"      WHERE r.unit_serial IS NOT NULL;\n"
	"    UPDATE sum_cells c SET units = c.units - d.n, passed = c.passed - d.p\n"
	"      FROM (SELECT uc.cell, count(*) AS n, count(*) FILTER (WHERE uc.passed) AS p\n"
	"        FROM pg_temp.seq_units s JOIN sum_unit_cells uc ON uc.unit = s.k\n"
	"        GROUP BY uc.cell) d WHERE c.id = d.cell;\n"
	"    DELETE FROM sum_unit_cells uc USING pg_temp.seq_units s WHERE uc.unit = s.k;\n"
	"    UPDATE sum_cells c SET first_units = c.first_units - d.n,\n"
	"      first_passed = c.first_passed - d.p\n"
	"      FROM (SELECT x.cell, count(*) AS n, count(*) FILTER (WHERE f.passed) AS p\n"
	"        FROM pg_temp.seq_units s JOIN sum_unit_first f ON f.unit = s.k\n"
	"        CROSS JOIN LATERAL unnest(f.cells) AS x(cell) GROUP BY x.cell) d\n"
	"      WHERE c.id = d.cell;\n"
	"    DELETE FROM sum_unit_first f USING pg_temp.seq_units s WHERE f.unit = s.k;\n"
	"    RETURN;\n"
	"  END IF;\n"
	"  PERFORM central_sum_tmp();\n"
	"  DELETE FROM pg_temp.sum_new;\n"
	"  INSERT INTO pg_temp.sum_new (id, started_us, judged, pass)\n"
	"    SELECT r.id, r.started_us, r.outcome IN ('pass', 'fail'), r.outcome = 'pass'\n"
	"    FROM runs r JOIN sum_runs s ON s.run_id = r.id WHERE r.sequence_name IS NULL\n"
	"      AND r.unit_serial IN (SELECT unit_serial FROM pg_temp.seq_runs);\n"
	"  DELETE FROM pg_temp.sum_lv;\n"
	"  INSERT INTO pg_temp.sum_lv (id, level, day, station, fixture, sequence_name,\n"
	"    sequence_version, cell)\n"
	"  SELECT n.id, c.level, c.day, c.station, c.fixture, '', c.sequence_version,\n"
	"    c.id FROM pg_temp.sum_new n JOIN runs r ON r.id = n.id\n"
	"    JOIN sum_cells c ON c.day = (r.started_us / 86400000000)::integer\n"
	"      AND c.sequence_name = '' AND (c.level IN ('a', 'q')\n"
	"      OR (c.level = 't' AND c.station = r.station)\n"
	"      OR (c.level = 'f' AND c.fixture = r.fixture)\n"
	"      OR (c.level = 'x' AND c.station = r.station AND c.fixture = r.fixture\n"
	"        AND c.sequence_version = coalesce(r.sequence_version, '')));\n"
	"  UPDATE pg_temp.sum_lv l SET grp = c.grp FROM sum_cells c WHERE c.id = l.cell;\n"
	"  UPDATE pg_temp.sum_new n SET cells = k.cells FROM (SELECT id,\n"
	"    array_agg(cell ORDER BY level) AS cells FROM pg_temp.sum_lv GROUP BY id) k\n"
	"    WHERE k.id = n.id;\n"
	"  PERFORM central_sum_units();\n"
	"END $$;\n",

	/* each '' measurement key and its NULL twin: one key, the older; the
	 * cells that held either summed again from their days' NULL runs */
	"CREATE FUNCTION central_seq_meas() RETURNS void LANGUAGE plpgsql\n"
	"  SET search_path = public, pg_temp AS $$\n"
	"BEGIN\n"
	"  CREATE TEMP TABLE seq_keys ON COMMIT DROP AS\n"
	"    SELECT e.id AS e, t.id AS t, least(e.id, t.id) AS keep FROM sum_meas_keys e\n"
	"    JOIN sum_meas_keys t ON t.sequence_name IS NULL AND t.step = e.step\n"
	"      AND t.name = e.name AND t.unit IS NOT DISTINCT FROM e.unit\n"
	"      AND t.low IS NOT DISTINCT FROM e.low AND t.high IS NOT DISTINCT FROM e.high\n"
	"    WHERE e.sequence_name = '';\n"
	"  CREATE TEMP TABLE seq_cells ON COMMIT DROP AS SELECT DISTINCT m.cell, k.keep AS key\n"
	"    FROM pg_temp.seq_keys k JOIN sum_meas m ON m.key IN (k.e, k.t);\n"
	"  DELETE FROM sum_meas m USING pg_temp.seq_keys k WHERE m.key IN (k.e, k.t);\n"
	"  DELETE FROM sum_meas_keys WHERE id IN (SELECT greatest(e, t) FROM pg_temp.seq_keys);\n"
	"  UPDATE sum_meas_keys SET sequence_name = NULL WHERE sequence_name = '';\n"
	"  IF NOT EXISTS (SELECT 1 FROM pg_temp.seq_cells) THEN RETURN; END IF;\n"
	"  IF to_regclass('pg_temp.sum_mv') IS NULL THEN\n"
	"    CREATE TEMP TABLE sum_mv (cells bigint[], started_us bigint, run text, mid bigint,\n"
	"      sequence_name text, step text, name text, unit text, low float8, high float8,\n"
	"      v float8, key bigint) ON COMMIT DELETE ROWS;\n"
	"  END IF;\n"
	"  DELETE FROM pg_temp.sum_mv;\n"
	"  INSERT INTO pg_temp.sum_mv (cells, key, v, low, high)\n"
	"  SELECT x.cells, k.id, m.value, m.low, m.high\n"
	"  FROM (SELECT DISTINCT c.day FROM pg_temp.seq_cells s JOIN sum_cells c ON c.id = s.cell) d\n"
	"  JOIN runs r ON r.started_us >= d.day * 86400000000\n"
	"    AND r.started_us < (d.day + 1) * 86400000000 AND r.sequence_name IS NULL\n"
	"  JOIN sum_runs sr ON sr.run_id = r.id\n"
	"  JOIN measurements m ON m.run_id = r.id AND m.value IS NOT NULL\n"
	"  JOIN steps st ON st.run_id = m.run_id AND st.id = m.step_id\n"
	"  JOIN sum_meas_keys k ON k.id IN (SELECT keep FROM pg_temp.seq_keys)\n"
	"    AND k.step = st.name AND k.name = m.name AND k.unit IS NOT DISTINCT FROM m.unit\n"
	"    AND k.low IS NOT DISTINCT FROM m.low AND k.high IS NOT DISTINCT FROM m.high\n"
	"  CROSS JOIN LATERAL (SELECT array_agg(c.id ORDER BY c.level) AS cells\n"
	"    FROM pg_temp.seq_cells s JOIN sum_cells c ON c.id = s.cell\n"
	"    WHERE s.key = k.id AND c.day = d.day AND c.sequence_name = ''\n"
	"      AND (c.level IN ('a', 'q') OR (c.level = 't' AND c.station = r.station)\n"
	"      OR (c.level = 'f' AND c.fixture = r.fixture)\n"
	"      OR (c.level = 'x' AND c.station = r.station AND c.fixture = r.fixture\n"
	"        AND c.sequence_version = coalesce(r.sequence_version, '')))) x\n"
	"  WHERE x.cells IS NOT NULL;\n"
	"  PERFORM central_sum_meas_add();\n"
	"END $$;\n"
	"REVOKE ALL ON FUNCTION central_seq_null(), central_seq_units(boolean), central_seq_meas()\n"
	"  FROM PUBLIC;\n"
	"SELECT central_seq_null();\n",
	NULL
};
