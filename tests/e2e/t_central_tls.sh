#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# TLS to the central PostgreSQL, verified: the server (pg.sh, PG_TLS=1)
# listens on 127.0.0.1 with ssl=on, a certificate for localhost made by
# tools/mkpki, and takes TCP connections over TLS only.  A station whose URL
# says sslmode=verify-full with sslrootcert= the CA that signed it forwards
# its run; the same URL with another CA, or with a host name the certificate
# does not carry, is refused with a message that says which and what to
# check, and the run stays queued.  The password comes from a passfile (the
# station's passfile: and PGPASSFILE) and appears in no output, no log (the
# station's SQLite log, the server's log) and nowhere in the central
# database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

PG_TLS=1 pg_start
central_setup
secret="w-$$-secret"
tls="postgresql://localhost:$PG_PORT/central?user=line&sslmode=verify-full"
good="$tls&sslrootcert=$PG_PKI/cms-ca.crt"
set_url() {	# URL: station t1's central url
	local u=${1//&/\\&}
	sed -i "s|url: .*|url: \"$u\"|" "$CENTRAL/t1/station.yaml"
}

# the server takes TCP over TLS only: without it, it refuses
rc=0; PGPASSFILE=$CENTRAL_PASS psql -X -q "postgresql://localhost:$PG_PORT/central?user=line&sslmode=disable" \
	-c "SELECT 1" >/dev/null 2>"$CENTRAL/nossl.err" || rc=$?
[ "$rc" != 0 ] || fail "the server took a connection without TLS"
assert_match "$(cat "$CENTRAL/nossl.err")" "no encryption" "the server wants TLS"

# --- the station over verified TLS: its run reaches the store
central_station t1
set_url "$good"
central_run t1 TLS-U1
assert_eq "$RUN_RC" "0" "the unit passes"
assert_eq "$(sql "$CENTRAL/t1/t1.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")" "0" \
	"forwarded over TLS"
assert_eq "$(pg_sql "SELECT unit_serial || ':' || station FROM runs")" "TLS-U1:t1" "the run centrally"
# the connection the station made was TLS: the server says so (pg_stat_ssl),
# seen from a psql over the same URL and CA
assert_eq "$(PGPASSFILE=$CENTRAL_PASS psql -X -A -t "$good" \
	-c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" "t" "the URL's connection is TLS"

# --- the wrong CA: refused, the run stays queued, the message says why
central_run t1 TLS-U2
set_url "$tls&sslrootcert=$PG_PKI/rogue-ca.crt"
central_run t1 TLS-U3
assert_eq "$RUN_RC" "0" "the line goes on while the store is refused"
assert_eq "$(sql "$CENTRAL/t1/t1.db" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL")" "1" \
	"the run stays queued"
assert_match "$(cat "$CENTRAL/t1/run.err")" "certificate verify failed.*not signed by the CA in sslrootcert" \
	"the run's log says the CA is wrong"
rc=0; "$st" central sync -c "$CENTRAL/t1/station.yaml" >"$CENTRAL/ca.out" 2>"$CENTRAL/ca.err" || rc=$?
assert_eq "$rc" "4" "sync refused with the wrong CA"
assert_match "$(cat "$CENTRAL/ca.err")" "^station central sync: central store localhost:$PG_PORT/central: cannot connect: .*certificate verify failed.*give sslrootcert= the CA that signed it" \
	"sync says the CA is wrong"

# --- a host name the certificate does not carry (the address is right)
set_url "postgresql://db.wrong.example:$PG_PORT/central?hostaddr=127.0.0.1&user=line&sslmode=verify-full&sslrootcert=$PG_PKI/cms-ca.crt"
rc=0; "$st" central sync -c "$CENTRAL/t1/station.yaml" >"$CENTRAL/host.out" 2>"$CENTRAL/host.err" || rc=$?
assert_eq "$rc" "4" "sync refused for a wrong host name"
assert_match "$(cat "$CENTRAL/host.err")" "does not match host name \"db.wrong.example\".*not a name in the server's certificate" \
	"sync says the name is wrong"
assert_eq "$(pg_sql "SELECT count(*) FROM runs")" "2" "nothing sent over an unverified connection"

# --- the right CA again, the password from PGPASSFILE: the queue drains
set_url "$good"
sed -i "/passfile:/d" "$CENTRAL/t1/station.yaml"
out=$(PGPASSFILE=$CENTRAL_PASS "$st" central sync -c "$CENTRAL/t1/station.yaml" 2>&1)
assert_match "$out" "1 sent, 0 still queued" "PGPASSFILE's password, verified TLS"
assert_eq "$(pg_sql "SELECT string_agg(unit_serial, ' ' ORDER BY unit_serial) FROM runs")" \
	"TLS-U1 TLS-U2 TLS-U3" "every run once"
# without any passfile the server asks for a password the station does not have
rc=0; PGPASSFILE=/nonexistent "$st" central sync -c "$CENTRAL/t1/station.yaml" >/dev/null 2>"$CENTRAL/nopass.err" || rc=$?
assert_eq "$rc" "4" "no password, no connection"
assert_match "$(cat "$CENTRAL/nopass.err")" "password" "says a password is missing"

# --- the password is nowhere: outputs, the station's log, the server's log,
# the central database (its contents and its catalogue)
pg_stop
pg_resume
PGPASSFILE=$PG_DIR/qe.pass "$st" report --central "$CENTRAL_READER_URL" -f json -o "$CENTRAL/r.json"
psql -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d central -c "COPY (SELECT * FROM runs) TO STDOUT" \
	>"$CENTRAL/dump.txt"
pg_dumpall -h "$PG_SOCK" -p "$PG_PORT" -U postgres >>"$CENTRAL/dump.txt"
grep -c "TLS-U1" "$CENTRAL/dump.txt" >/dev/null || fail "the dump holds the runs"
for f in "$CENTRAL"/t1/run.out "$CENTRAL"/t1/run.err "$CENTRAL"/*.out "$CENTRAL"/*.err \
	"$CENTRAL/t1/t1.db"* "$CENTRAL/r.json" "$CENTRAL/dump.txt" "$PG_SOCK/server.log" \
	"$CENTRAL/t1/station.yaml"; do
	[ -f "$f" ] || continue
	if grep -a -q -- "$secret" "$f"; then fail "the password is in $f"; fi
done
grep -q "$secret" "$CENTRAL_PASS" || fail "the check looks for the right string"
echo ok
