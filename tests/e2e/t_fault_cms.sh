#!/usr/bin/env bash
# Fault matrix, the CMS: each way the Certificate Management Service can fail
# (cms-sim --fault, a stopped server, a server certificate the station does
# not trust) fails the register step with what happened, after the identity
# was verified and logged; the board ends powered off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/fault.sh"

step='register identity with the CMS'
identity_logged() {
	assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM identities i JOIN runs r ON r.id = i.run_id WHERE r.unit_serial = '$1'")" \
		"1" "$1: identity logged before the CMS step"
}

# fault: cms/down
line_setup
kill "$!" # line_setup's last background job: cms-sim
line_board down SIM002001
fault_run down SIM002001
fault_expect down SIM002001 4 "$step" "gave up after 3 attempts: cannot reach the CMS at https://127.0.0.1:"
identity_logged SIM002001

# fault: cms/5xx
line_setup status=503
line_board e503 SIM002002
fault_run e503 SIM002002
fault_expect e503 SIM002002 4 "$step" "gave up after 3 attempts: CMS unavailable (HTTP 503)"
assert_eq "$(grep -c 'POST /api/v1/identities' "$LINE/cms.log" || true)" "3" "three attempts reached the CMS"

# fault: cms/slow
line_setup delay-ms=3000
sed -i 's/^  timeout: .*/  timeout: 1s/' "$LINE/station.yaml"
line_board slow SIM002003
fault_run slow SIM002003
fault_expect slow SIM002003 4 "$step" "did not answer within 1000 ms"

# fault: cms/malformed
line_setup malformed
line_board bad SIM002004
fault_run bad SIM002004
fault_expect bad SIM002004 4 "$step" "CMS answered HTTP 200 with malformed JSON"

# fault: cms/untrusted
# The station trusts the manufacturer root for the CMS instead of the CMS's CA.
line_setup
sed -i 's|^  ca: .*|  ca: pki/root-ca.crt|' "$LINE/station.yaml"
line_board mitm SIM002005
fault_run mitm SIM002005
fault_expect mitm SIM002005 4 "$step" "CMS server certificate verification failed"
grep -qF "check that cms.ca in station.yaml names the CMS's CA" "$LINE/run.out" || fail "untrusted: no advice"
assert_eq "$(grep -c 'POST /api/v1/identities' "$LINE/cms.log" || true)" "0" "nothing sent to an untrusted server"
echo ok
