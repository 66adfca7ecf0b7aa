#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A CMS registration queued while its run was forwarded reaches the central
# store in its final state.  The CMS (cms-sim, v2) is down: the unit passes
# with its registration 'queued', and the run goes to PostgreSQL so.  The
# CMS comes up, `station cms sync` registers it, which queues the run again
# in the log; the next forward moves the central row to 'registered' with
# the CMS's id.  A resend changes nothing (the other rows stay as they are,
# once); a log that says 'queued' again (an old copy) never moves the
# central row back; and the writer role cannot rewrite a final state by
# hand either (a trigger).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/ines.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

ines_setup 1
pg_start
central_setup
cp -r "$ST_TOP/sequences" "$LINE/seq"
sed -i 's|register: {serial: "${serial}"}|register: {serial: "${serial}", on_unavailable: queue}|' \
	"$LINE/seq/factory-provisioning.yaml"
grep -q 'on_unavailable: queue' "$LINE/seq/factory-provisioning.yaml" || fail "sequence not patched"
ines_yaml "$LINE/seq/factory-provisioning.yaml"
cat >>"$LINE/station.yaml" <<YAML
central:
  url: "$CENTRAL_URL"
  passfile: $CENTRAL_PASS
  backoff: 100ms
YAML
central_bind "$(sed -n 's/^station: //p' "$LINE/station.yaml")"
local_reg() {
	sql "$LINE_DB" "SELECT c.status || ' ' || coalesce(c.cms_id, '-') FROM cms_registrations c"
}
central_reg() {
	pg_sql "SELECT c.status || ' ' || coalesce(c.cms_id, '-') || ' ' || c.attempts || ' ' ||
		coalesce(c.http_status::text, '-') FROM cms_registrations c
		JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = 'SIM000001'"
}
queued() { sql "$LINE_DB" "SELECT count(*) FROM runs WHERE forwarded_us IS NULL"; }
rows() {
	pg_sql "SELECT (SELECT count(*) FROM runs) || ' ' || (SELECT count(*) FROM steps) || ' ' ||
		(SELECT count(*) FROM identities) || ' ' || (SELECT count(*) FROM cms_registrations)"
}

# --- the CMS is down: the unit passes queued, the run is forwarded so
ines_board b1 1
line_run --once -f "$LINE/b1.yaml"
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "CMS down + queue: exit $RUN_RC"; }
assert_eq "$(local_reg)" "queued -" "queued in the log"
assert_eq "$(queued)" "0" "the run was forwarded"
assert_match "$(central_reg)" "^queued - [0-9]+ " "queued centrally"
before=$(rows)
assert_match "$before" "^1 [0-9]+ 1 1$" "one run, its identity, its registration"

# --- the CMS comes up: cms sync registers it, the run is queued again
cms_start --import "$P/board-1.crt"
"$st" cms sync -c "$LINE/station.yaml" >"$LINE/sync.out" 2>&1 || { cat "$LINE/sync.out"; fail "cms sync"; }
assert_match "$(cat "$LINE/sync.out")" "1 registered, 0 failed, 0 still queued" "cms sync"
final=$(local_reg)
assert_match "$final" "^registered [0-9]+$" "registered in the log"
assert_eq "$(queued)" "1" "the run is queued again for the central store"
out=$("$st" central sync -c "$LINE/station.yaml")
assert_match "$out" "1 sent, 0 still queued" "central sync sends it again"
assert_match "$(central_reg)" "^$final [0-9]+ [0-9]+$" "the central row in its final state"
assert_eq "$(rows)" "$before" "no other row twice"

# --- a resend changes nothing
sqlite3 "$LINE_DB" "UPDATE runs SET forwarded_us = NULL"
c1=$(central_reg)
"$st" central sync -c "$LINE/station.yaml" >/dev/null
assert_eq "$(central_reg)" "$c1" "a resend: the same"
assert_eq "$(rows)" "$before" "a resend: no row twice"

# --- a state never goes back: an old copy of the log says queued again
sqlite3 "$LINE_DB" "UPDATE cms_registrations SET status = 'queued', cms_id = NULL;
	UPDATE runs SET forwarded_us = NULL"
"$st" central sync -c "$LINE/station.yaml" >/dev/null
assert_eq "$(central_reg)" "$c1" "queued again locally: the central row stays final"
# nor can a registration be failed once registered, nor by the writer's hand
sqlite3 "$LINE_DB" "UPDATE cms_registrations SET status = 'failed', cms_id = NULL, http_status = 409;
	UPDATE runs SET forwarded_us = NULL"
"$st" central sync -c "$LINE/station.yaml" >/dev/null
assert_eq "$(central_reg)" "$c1" "another final state: the first one stays"
rc=0; PGPASSFILE=$CENTRAL_PASS psql -X -q "$CENTRAL_URL" \
	-c "UPDATE cms_registrations SET status = 'queued'" >/dev/null 2>"$LINE/upd.err" || rc=$?
[ "$rc" != 0 ] || fail "the writer moved a final registration back"
assert_match "$(cat "$LINE/upd.err")" "is registered: only a queued one moves" "the trigger says why"
rc=0; PGPASSFILE=$CENTRAL_PASS psql -X -q "$CENTRAL_URL" -c "UPDATE runs SET outcome = 'pass'" \
	>/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the writer role could update runs"
assert_eq "$(central_reg)" "$c1" "still final"
cms_stop
echo ok
