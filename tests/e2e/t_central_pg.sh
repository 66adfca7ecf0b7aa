#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test PostgreSQL of tests/e2e/pg.sh: a real server from Debian's
# postgresql package, started in a temp dir as an unprivileged user (as root:
# nobody), a role that logs in with a password from a passfile only, and a
# stop and a restart that keep the data.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

pg_start
assert_match "$(pg_sql "SHOW server_version")" "^[0-9]+" "the server answers"
assert_eq "$(pg_sql "SELECT usesuper FROM pg_user WHERE usename = current_user")" "t" "admin is superuser"
owner=$(stat -c %U "$PG_DIR/data")
[ "$(id -u)" = 0 ] && assert_eq "$owner" "nobody" "as root the server runs as nobody"
pg_sql "CREATE ROLE tester LOGIN PASSWORD 'pw-$RANDOM'" >/dev/null
pg_sql "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)"
url=$(pg_url tester wrong)
rc=0; PGPASSFILE=$PG_DIR/tester.pass psql -X -A -t "$url" -c "SELECT 1" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a wrong password was accepted"
pg_sql "ALTER ROLE tester PASSWORD 'right'"
url=$(pg_url tester right)
assert_eq "$(PGPASSFILE=$PG_DIR/tester.pass psql -X -A -t "$url" -c "SELECT current_user")" "tester" \
	"the role logs in with the passfile's password"
pg_stop
rc=0; pg_sql "SELECT 1" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the server still answers after pg_stop"
pg_resume
assert_eq "$(pg_sql "SELECT v FROM kept")" "42" "data kept over a restart"
echo ok
