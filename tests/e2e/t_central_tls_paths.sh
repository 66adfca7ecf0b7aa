#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/central.md's station.yaml names the CA as sslrootcert=pki/db-ca.crt
# and the passfile as central.pass: both relative, both from station.yaml's
# directory (as its log and fixtures), wherever the station is started
# (libpq alone would read the CA from the working directory, and refuse the
# server, runs queued).  verify-full without sslrootcert says to give it
# (not that a CA did not sign the certificate).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

PG_TLS=1 pg_start
central_setup
central_station tp
d=$CENTRAL/tp
mkdir -p "$d/pki"
cp "$PG_PKI/cms-ca.crt" "$d/pki/db-ca.crt"
cp "$CENTRAL_PASS" "$d/central.pass"
url="postgresql://localhost:$PG_PORT/central?user=line&sslmode=verify-full&sslrootcert=pki/db-ca.crt"
cat >"$d/station.yaml" <<YAML
station: tp
log: tp.db
sequence: $CENTRAL/seq.yaml
central:
  url: "$url"
  passfile: central.pass
fixtures: [fx.yaml]
YAML
(cd / && "$st" run -c "$d/station.yaml" --once --serial SIM000001 >/dev/null 2>"$d/err") ||
	fail "a run from /: $(cat "$d/err")"
grep -q "queued" "$d/err" && fail "runs left queued, started from /: $(cat "$d/err")"
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE station = 'tp'")" 1 "forwarded over TLS, started from /"
(cd / && "$st" central status -c "$d/station.yaml") >"$d/out" || fail "status"
assert_match "$(cat "$d/out")" "^central status: 0 run" "nothing queued"
# sync from elsewhere too
central_run tp SIM000002
(cd / && "$st" central sync -c "$d/station.yaml" >/dev/null) || fail "a sync from /"
assert_eq "$(pg_sql "SELECT count(*) FROM runs WHERE station = 'tp'")" 2 "synced from /"

# verify-full with no sslrootcert (and no ~/.postgresql/root.crt)
rc=0
HOME=$d "$st" report --central "postgresql://localhost:$PG_PORT/central?user=qe&sslmode=verify-full" \
	--passfile "$PG_DIR/qe.pass" >/dev/null 2>"$d/err" || rc=$?
assert_eq "$rc" 4 "verify-full without a CA"
assert_match "$(cat "$d/err")" "root certificate file .* does not exist.*give its file as sslrootcert=" \
	"verify-full without a CA says to give sslrootcert"
grep -q "is not signed by the CA in sslrootcert" "$d/err" && fail "a CA blamed that was never given: $(cat "$d/err")"
echo "ok"
