#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The station against cms-sim's v2 API (mTLS + bearer token), end to end
# with bin/station and dut-sim boards:
#  - a good board registers, and both sides agree: cms-sim's record has the
#    board's serial and the fingerprint the log holds in identities;
#  - the CMS is down and the register step says on_unavailable: queue: the
#    unit passes with a 'queued' registration; once cms-sim is up,
#    `station cms sync` registers it exactly once (a second sync registers
#    nothing; a row re-queued as if the station crashed after the CMS's
#    answer comes back already-registered, not twice);
#  - a server certificate from a CA the station does not trust: the step
#    fails with the verification named, queue or not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
kill "$!" # line_setup's v1 cms-sim: this test runs its own
P=$LINE/pki
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CMS_PID=

# cms_start [cms-sim args...]: the v2 CMS on $PORT, recording to $LINE/cms.jsonl
cms_start() {
	rm -f "$LINE/cms.port"
	"$BINDIR/cms-sim" --cert "$P/cms-server.crt" --key "$P/cms-server.key" --trust "$P/trust" \
		--client-ca "$P/client-ca.crt" --ca-cert "$P/intermediate-ca.crt" \
		--ca-key "$P/intermediate-ca.key" --org acme --port "$PORT" \
		--port-file "$LINE/cms.port" --db "$LINE/cms.jsonl" "$@" >>"$LINE/cms.log" 2>&1 &
	CMS_PID=$!
	echo "$CMS_PID" >>"$ST_REG/pids"
	for _ in $(seq 200); do [ -s "$LINE/cms.port" ] && break; sleep 0.05; done
	[ -s "$LINE/cms.port" ] || fail "cms-sim did not start: $(cat "$LINE/cms.log")"
}
cms_stop() { kill "$CMS_PID"; wait "$CMS_PID" 2>/dev/null || true; CMS_PID=; }

# The factory flow, its register step queueing when the CMS is unavailable.
cp -r "$ST_TOP/sequences" "$LINE/seq"
sed -i 's|register: {serial: "${serial}"}|register: {serial: "${serial}", on_unavailable: queue}|' \
	"$LINE/seq/factory-provisioning.yaml"
grep -q 'on_unavailable: queue' "$LINE/seq/factory-provisioning.yaml" || fail "sequence not patched"
cat >"$LINE/station.yaml" <<YAML
station: e2e-station
log: station.db
trust: pki/trust
sequence: $LINE/seq/factory-provisioning.yaml
cms:
  url: https://127.0.0.1:$PORT
  ca: pki/cms-ca.crt
  protocol: v2
  org: acme
  template_id: idevid-p256
  client_cert: pki/station-client.crt
  client_key: pki/station-client.key
  timeout: 5s
  attempts: 2
  backoff: 100ms
vars:
  images: $LINE/images
YAML
devices() { grep -c '"kind":"device"' "$LINE/cms.jsonl" 2>/dev/null || true; }
reg_status() {
	sql "$LINE_DB" "SELECT c.status || ' ' || COALESCE(c.cms_id, '-') FROM cms_registrations c
		JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = '$1'"
}

# --- a good board, registered over v2 ------------------------------------------
cms_start
line_board good SIM003001
line_run --once -f "$LINE/good.yaml"
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "good board: exit $RUN_RC"; }
assert_eq "$(reg_status SIM003001)" "registered reg-000001" "good board's registration"
# cms-sim's side, asked over its own API (curl: mTLS + token)
C=(--cacert "$P/cms-ca.crt" --cert "$P/station-client.crt" --key "$P/station-client.key" -sS)
tok=$(curl "${C[@]}" -X POST -d '{}' "https://localhost:$PORT/v2/auth" |
	sed -n 's/.*"access_token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$tok" ] || fail "no token from cms-sim"
rec=$(curl "${C[@]}" -H "Authorization: Bearer $tok" \
	"https://localhost:$PORT/v2/organizations/acme/devices?serial_number=SIM003001")
assert_match "$rec" '"device_id":"reg-000001"' "cms-sim's record"
fp=$(sql "$LINE_DB" "SELECT i.fingerprint FROM identities i JOIN runs r ON r.id = i.run_id WHERE r.unit_serial = 'SIM003001'")
[ ${#fp} = 64 ] || fail "no fingerprint logged: '$fp'"
assert_match "$rec" "\"thumbprint\":\"$fp\"" "cms-sim's fingerprint is the log's"
assert_match "$rec" '"serial_number":"SIM003001"' "cms-sim's serial"
# without a client certificate the CMS refuses, token or not
code=$(curl -sS --cacert "$P/cms-ca.crt" -o /dev/null -w '%{http_code}' -X POST -d '{}' \
	"https://localhost:$PORT/v2/auth")
assert_eq "$code" "401" "auth without a client certificate"
cms_stop

# --- the CMS is down: queued, then synced exactly once -------------------------
line_board down SIM003002
line_run --once -f "$LINE/down.yaml"
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "CMS down + queue: exit $RUN_RC"; }
grep -q '^\[down\] PASS unit SIM003002' "$LINE/run.out" || fail "no PASS verdict with the CMS down"
assert_eq "$(reg_status SIM003002)" "queued -" "registration queued"
why=$(sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN runs r ON r.id = v.run_id
	WHERE r.unit_serial = 'SIM003002' AND v.key = 'cms.queued'")
assert_match "$why" "gave up after 2 attempts: cannot reach the CMS at https://127.0.0.1:$PORT" "queued reason"
# sync with the CMS still down: stays queued, says why, exit 4
rc=0; "$BINDIR/station" cms sync -c "$LINE/station.yaml" >"$LINE/sync0.out" 2>&1 || rc=$?
assert_eq "$rc" "4" "sync while the CMS is down"
assert_match "$(cat "$LINE/sync0.out")" "SIM003002: still queued: .*cannot reach the CMS" "sync says why"
assert_eq "$(reg_status SIM003002)" "queued -" "still queued"

cms_start
"$BINDIR/station" cms sync -c "$LINE/station.yaml" >"$LINE/sync1.out" 2>&1 || { cat "$LINE/sync1.out"; fail "sync failed"; }
assert_match "$(cat "$LINE/sync1.out")" "cms sync: 1 registered, 0 failed, 0 still queued" "first sync"
assert_eq "$(reg_status SIM003002)" "registered reg-000002" "marked registered with the CMS id"
assert_eq "$(devices)" "2" "cms-sim's records after the first sync"
"$BINDIR/station" cms sync -c "$LINE/station.yaml" >"$LINE/sync2.out" 2>&1 || fail "second sync failed"
assert_match "$(cat "$LINE/sync2.out")" "cms sync: 0 registered, 0 failed, 0 still queued" "second sync"
assert_eq "$(devices)" "2" "a second sync registers nothing"
# a station that died between the CMS's answer and its UPDATE left the row queued
sql "$LINE_DB" "UPDATE cms_registrations SET status = 'queued', cms_id = NULL WHERE cms_id = 'reg-000002'"
"$BINDIR/station" cms sync --db "$LINE_DB" -c "$LINE/station.yaml" >"$LINE/sync3.out" 2>&1 || fail "re-sync failed"
assert_match "$(cat "$LINE/sync3.out")" "SIM003002: already-registered as reg-000002" "the CMS's idempotent answer"
assert_eq "$(reg_status SIM003002)" "registered reg-000002" "re-marked, same id"
assert_eq "$(grep -c '"serial":"SIM003002"' "$LINE/cms.jsonl")" "1" "SIM003002 registered exactly once"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM events WHERE what = 'cms-sync'")" "3" "each sync outcome is an event"
cms_stop

# --- a server certificate the station does not trust --------------------------
cms_start --cert "$P/cms-server-rogue.crt" --key "$P/cms-server-rogue.key"
line_board mitm SIM003003
line_run --once -f "$LINE/mitm.yaml"
[ "$RUN_RC" = 1 ] || { cat "$LINE/run.out"; fail "untrusted CMS: exit $RUN_RC, want 1"; }
reason=$(sql "$LINE_DB" "SELECT reason FROM runs WHERE unit_serial = 'SIM003003'")
assert_match "$reason" "CMS registration: CMS server certificate verification failed" "untrusted reason"
assert_match "$reason" "check that cms.ca in station.yaml names the CMS's CA" "untrusted advice"
assert_eq "$(reg_status SIM003003)" "failed -" "not queued: the answer was definite"
cms_stop

# secrets: the client key is in no log
! grep -q 'PRIVATE KEY' "$LINE/run.out" "$LINE/run.err" "$LINE/sync1.out" || fail "a key reached the output"
! sqlite3 "$LINE_DB" .dump | grep -q 'PRIVATE KEY' || fail "a key reached the database"
echo ok
