#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# On-chip enrolment end to end: sequences/factory-enrolment.yaml against
# dut-sim and cms-sim speaking the v2 API (mTLS, the manufacturer
# intermediate as its CA).  A good board ends with a CMS-issued certificate
# in its SE's slot 1, read back over the console by a fresh dut-sim process
# on the same --state: the same bytes the log recorded and cms-sim issued,
# chaining to the manufacturer root.  Then the failures, each with its
# reason in the log: the SE refusing a certificate that is not for its key
# (directly on the console, and in a run with the se-rekey fault), and a CMS
# that is down.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

step='enrol the SE with the CMS'
line_setup
pki=$LINE/pki

# A v2 CMS: mTLS with the station's client certificate, issuing with the
# manufacturer intermediate; its registry in $LINE/cms2.db.
st_bg "$BINDIR/cms-sim" --cert "$pki/cms-server.crt" --key "$pki/cms-server.key" \
	--trust "$pki/trust" --client-ca "$pki/client-ca.crt" --require-client-cert \
	--ca-cert "$pki/intermediate-ca.crt" --ca-key "$pki/intermediate-ca.key" --org acme \
	--port 0 --port-file "$LINE/cms2.port" --db "$LINE/cms2.db" >"$LINE/cms2.log" 2>&1
CMS2_PID=$!
for _ in $(seq 200); do
	[ -s "$LINE/cms2.port" ] || kill -0 "$CMS2_PID" 2>/dev/null || break
	[ -s "$LINE/cms2.port" ] && break
	sleep 0.05
done
[ -s "$LINE/cms2.port" ] || fail "cms-sim v2 did not start: $(cat "$LINE/cms2.log")"
# line_setup's station.yaml, with the enrolment flow and the v2 CMS
sed -i -e "s|^sequence: .*|sequence: $ST_TOP/sequences/factory-enrolment.yaml|" \
	-e "s|^  url: .*|  url: https://127.0.0.1:$(cat "$LINE/cms2.port")|" \
	-e 's|^  api_key_file: .*|  protocol: v2\n  org: acme\n  template_id: 1\n  client_cert: pki/station-client.crt\n  client_key: pki/station-client.key\n  validity_days: 365|' \
	"$LINE/station.yaml"

# The first certificate of a PEM text, as DER hex: the bytes compared.
der_hex() {
	openssl x509 -outform DER 2>/dev/null | od -An -v -tx1 | tr -d ' \n'
}
pem_of_reply() {
	grep -v -e '^OK$' -e '^ERR'
}
# Power a board (kept in --state FILE) on into the diagnostic firmware again,
# as a new dut-sim process: the SE's slots come from FILE.
reopen() {
	local name=$1 serial=$2 state=$3
	line_board "$name" "$serial" --state "$state" --image "$LINE/images/diag.bin"
	sim_ctl "$name" "set boot 0" >/dev/null
	sim_ctl "$name" "set power 1" >/dev/null
	con_open "$name"
	assert_match "$(con_line "$name")" '^diag [^ ]+ ready$' "$name: banner"
}
run_board() {
	line_run --once -f "$LINE/$1.yaml"
	cat "$LINE/run.out"
}
step_reason() {
	sql "$LINE_DB" "SELECT s.outcome || '|' || coalesce(s.reason, '') FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = '$1' AND s.name = '$step'"
}

# ---- a good board: enrolled, and both sides agree -----------------------
state=$LINE/good.state
line_board good SIM000301 --state "$state"
run_board good
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.err"; fail "station run exited $RUN_RC"; }
grep -q '^\[good\] PASS unit SIM000301' "$LINE/run.out" || fail "no PASS verdict"
assert_eq "$(step_reason SIM000301)" "pass|" "enrol step"
q="SELECT i.%s FROM identities i JOIN steps s ON s.id = i.step_id WHERE s.name = '$step'"
# shellcheck disable=SC2059
logged_pem=$(sql "$LINE_DB" "$(printf "$q" pem_chain)")
# shellcheck disable=SC2059
cert_serial=$(sql "$LINE_DB" "$(printf "$q" cert_serial)")
# shellcheck disable=SC2059
assert_eq "$(sql "$LINE_DB" "$(printf "$q" subject_serial)")" "SIM000301" "enrolled serialNumber"
# shellcheck disable=SC2059
assert_match "$(sql "$LINE_DB" "$(printf "$q" issuer)")" "Intermediate" "issued by the manufacturer intermediate"
# shellcheck disable=SC2059
assert_match "$(sql "$LINE_DB" "$(printf "$q" "nonce || ' ' || signature")")" '^[0-9a-f]{64} 30[0-9a-f]+$' "proof of possession logged"
# shellcheck disable=SC2059
assert_match "$(sql "$LINE_DB" "$(printf "$q" dpp_uri)")" '^DPP:I:SN=SIM000301;K:' "DPP URI of the new key"
# the factory identity (slot 0) and the enrolled one are two keys
assert_eq "$(sql "$LINE_DB" "SELECT count(DISTINCT spki_sha256) FROM identities")" "2" "two identities, two keys"
# the CMS's side of it, in the log
cms_row=$(sql "$LINE_DB" "SELECT c.status || ' ' || c.cms_id || ' ' || c.http_status FROM cms_registrations c JOIN steps s ON s.id = c.step_id WHERE s.name = '$step'")
assert_match "$cms_row" '^enrolled [0-9]+ 200$' "CMS enrolment logged (an integer id, HTTP 200)"
cms_id=${cms_row#enrolled }
cms_id=${cms_id%% *}
for check in csr chain cert-key serialNumber ca-record write read-back pop; do
	assert_eq "$(sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id WHERE s.name = '$step' AND v.key = '$check'")" \
		"pass" "check $check"
done

# The SE, read by a new dut-sim process on the same state, holds that certificate.
sim_ctl good quit >/dev/null
reopen good2 SIM000301 "$state"
se_pem=$(con_cmd good2 'se cert 1' | pem_of_reply)
[ -n "$se_pem" ] || fail "the SE's slot 1 holds no certificate"
assert_eq "$(der_hex <<<"$se_pem")" "$(der_hex <<<"$logged_pem")" "SE certificate = logged certificate"
assert_eq "$(openssl x509 -noout -serial <<<"$se_pem" | sed 's/^serial=//')" "${cert_serial^^}" "certificate serial"
# cms-sim's own record names what it issued: the certificate id and its thumbprint
thumb=$(openssl x509 -outform DER <<<"$se_pem" | sha256sum | cut -d' ' -f1)
grep -F "$cms_id" "$LINE/cms2.db" | grep -qiF "$thumb" ||
	fail "cms-sim's record has no certificate $cms_id with thumbprint $thumb: $(cat "$LINE/cms2.db")"
# it chains to the manufacturer root, with its serialNumber
cat <(echo "$se_pem") "$pki/chain.pem" >"$LINE/enrolled.pem"
out=$("$BINDIR/station" cert check "$LINE/enrolled.pem" --trust "$pki/trust" --serial SIM000301) ||
	fail "station cert check of the enrolled certificate failed:"$'\n'"$out"
assert_match "$out" $'\nPASS chain ' "chain to the manufacturer root"
# the label line for the device: its serial and the DPP URI of the enrolled key
label=$("$BINDIR/station" trace --db "$LINE_DB" --format label SIM000301)
# shellcheck disable=SC2059
assert_eq "$label" "SIM000301"$'\t'"$(sql "$LINE_DB" "$(printf "$q" dpp_uri)")" "label line"

# ---- a re-run of the passed unit: the slot's certificate is Good, kept --------
issued() { grep -c 'POST /v2/organizations/acme/certificates -> 200' "$LINE/cms2.log" || true; }
before=$(issued)
sim_ctl good2 quit >/dev/null
line_board good3 SIM000301 --state "$state"
run_board good3
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.err"; fail "re-run of a passed unit exited $RUN_RC"; }
assert_eq "$(issued)" "$before" "no second certificate issued on a re-run"
assert_eq "$(sql "$LINE_DB" "SELECT c.status || ' ' || c.cms_id FROM cms_registrations c JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = 'SIM000301' ORDER BY c.rowid DESC LIMIT 1")" \
	"kept $cms_id" "the re-run kept the CMS's certificate"
sim_ctl good3 quit >/dev/null
reopen good2 SIM000301 "$state"
assert_eq "$(der_hex < <(con_cmd good2 'se cert 1' | pem_of_reply))" "$(der_hex <<<"$logged_pem")" \
	"the working certificate is untouched"
# station lint: an enroll step without validity_days takes station.yaml's
cp -r "$ST_TOP/sequences" "$LINE/seqlint"
sed -i '/^      validity_days: 365$/d' "$LINE/seqlint/factory-enrolment.yaml"
! grep -q validity_days "$LINE/seqlint/factory-enrolment.yaml" || fail "validity_days not removed"
out=$("$BINDIR/station" lint -c "$LINE/station.yaml" "$LINE/seqlint/factory-enrolment.yaml" 2>&1) ||
	fail "lint refused an enroll step without validity_days: $out"

# ---- station cms lookup: the CMS's record against the log's ---------------
lookup() {
	LOOKUP_RC=0
	"$BINDIR/station" cms lookup "$@" -c "$LINE/station.yaml" >"$LINE/lookup.out" 2>&1 || LOOKUP_RC=$?
	cat "$LINE/lookup.out"
}
lookup SIM000301
assert_eq "$LOOKUP_RC" "0" "lookup of the enrolled unit"
grep -qx "cms   1 certificate for SIM000301: $cms_id (Good)" "$LINE/lookup.out" || fail "the CMS's certificate not listed"
grep -qx "agree: the CMS holds $cms_id" "$LINE/lookup.out" || fail "the log and the CMS do not agree"
lookup SIM999999
assert_eq "$LOOKUP_RC" "0" "lookup of a unit nobody knows"
grep -qx "agree: neither knows the unit" "$LINE/lookup.out" || fail "unknown unit"
cp "$LINE_DB" "$LINE/tampered.db"
sql "$LINE/tampered.db" "UPDATE cms_registrations SET cms_id = 'cert-999999'"
lookup SIM000301 --db "$LINE/tampered.db"
assert_eq "$LOOKUP_RC" "1" "lookup when the log names a certificate the CMS lacks"
grep -qx "DISAGREE: the log says kept cert-999999, the CMS does not hold it" "$LINE/lookup.out" ||
	fail "no disagreement reported"

# ---- one certificate per unit through a 503 + Retry-After and a late issue ----
# A second CMS (same CA): the first POST (/v2/auth) answers 503 with
# Retry-After: 1; the issue is done and recorded but answered after 3 s, past
# the station's 1 s per attempt.  The next attempt finds it by CN and key.
st_bg "$BINDIR/cms-sim" --cert "$pki/cms-server.crt" --key "$pki/cms-server.key" \
	--trust "$pki/trust" --client-ca "$pki/client-ca.crt" --require-client-cert \
	--ca-cert "$pki/intermediate-ca.crt" --ca-key "$pki/intermediate-ca.key" --org acme \
	--fault fail-first=1,retry-after=1,late-issue=3000 \
	--port 0 --port-file "$LINE/cms3.port" --db "$LINE/cms3.db" >"$LINE/cms3.log" 2>&1
CMS3_PID=$!
for _ in $(seq 200); do [ -s "$LINE/cms3.port" ] && break; sleep 0.05; done
[ -s "$LINE/cms3.port" ] || fail "cms-sim (faults) did not start: $(cat "$LINE/cms3.log")"
sed -e "s|^  url: .*|  url: https://127.0.0.1:$(cat "$LINE/cms3.port")|" -e 's/^  timeout: .*/  timeout: 1s/' \
	"$LINE/station.yaml" >"$LINE/station-faults.yaml"
line_board late SIM000305 --state "$LINE/late.state"
RUN_RC=0
"$BINDIR/station" run -c "$LINE/station-faults.yaml" --once -f "$LINE/late.yaml" >"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "503 + late issue: exit $RUN_RC"; }
grep -q 'POST /v2/auth -> 503' "$LINE/cms3.log" || fail "no 503 was served"
grep -q "the CMS's Retry-After" "$LINE/run.err" "$LINE/run.out" || fail "the Retry-After was not honoured"
assert_eq "$(grep -c '"kind":"issued"' "$LINE/cms3.db")" "1" "exactly one certificate issued for the unit"
assert_eq "$(sql "$LINE_DB" "SELECT c.status || ' ' || c.attempts FROM cms_registrations c JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = 'SIM000305'")" \
	"reused 3" "the certificate the CMS completed late, found on the third attempt"
kill "$CMS3_PID"
wait "$CMS3_PID" 2>/dev/null || true
sim_ctl late quit >/dev/null

# ---- the SE refuses a certificate that is not for the slot's key --------
# (on the console: the factory certificate offered to slot 1)
b64=$(con_cmd good2 'se cert 0' | pem_of_reply | openssl x509 -outform DER | base64 -w0)
con_cmd good2 'se write-cert 1 begin' >/dev/null
while [ -n "$b64" ]; do
	assert_eq "$(con_cmd good2 "se write-cert 1 data ${b64:0:192}")" "OK" "data line"
	b64=${b64:192}
done
assert_eq "$(con_cmd good2 'se write-cert 1 end')" "ERR certificate does not match the key in slot 1" \
	"the SE refuses a certificate for another key"
assert_eq "$(der_hex < <(con_cmd good2 'se cert 1' | pem_of_reply))" "$(der_hex <<<"$logged_pem")" \
	"slot 1 still holds the enrolled certificate"

# (in a run: the slot's key changes after its CSR, fault se-rekey)
state=$LINE/rekey.state
line_board rekey SIM000302 --state "$state" --fault se-rekey
run_board rekey
[ "$RUN_RC" != 0 ] || fail "a refused certificate passed"
grep -q '^\[rekey\] FAIL unit SIM000302' "$LINE/run.out" || fail "no FAIL verdict for the refused certificate"
assert_eq "$(step_reason SIM000302)" \
	"fail|enrolment failed at write: the SE refused the certificate: certificate does not match the key in slot 1" \
	"refused certificate"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = 'SIM000302' AND s.name = 'load production firmware'")" \
	"0" "no production firmware after a failed enrolment"
sim_ctl rekey quit >/dev/null
reopen rekey2 SIM000302 "$state"
assert_eq "$(con_cmd rekey2 'se cert 1')" "ERR slot 1 holds no certificate" "nothing written to the SE"

# ---- the same flow over RFC 7030 EST simpleenroll -------------------------
# The CSR alone, as base64 PKCS#10; the answer a certs-only PKCS#7.  Same mTLS,
# same CA, so the certificate must land in the SE just the same.
sed -i 's|^  protocol: v2$|  protocol: est|' "$LINE/station.yaml"
grep -q '^  protocol: est$' "$LINE/station.yaml" || fail "station.yaml not switched to EST"
state=$LINE/est.state
line_board est SIM000304 --state "$state"
run_board est
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.err"; fail "station run over EST exited $RUN_RC"; }
grep -q '^\[est\] PASS unit SIM000304' "$LINE/run.out" || fail "no PASS verdict over EST"
grep -q 'POST /.well-known/est/simpleenroll -> 200' "$LINE/cms2.log" ||
	fail "cms-sim saw no EST enrolment: $(tail -n 5 "$LINE/cms2.log")"
est_q="SELECT i.%s FROM identities i JOIN steps s ON s.id = i.step_id JOIN runs r ON r.id = i.run_id WHERE s.name = '$step' AND r.unit_serial = 'SIM000304'"
# shellcheck disable=SC2059
est_pem=$(sql "$LINE_DB" "$(printf "$est_q" pem_chain)")
# shellcheck disable=SC2059
assert_eq "$(sql "$LINE_DB" "$(printf "$est_q" subject_serial)")" "SIM000304" "EST: serialNumber from the CSR"
assert_match "$(sql "$LINE_DB" "SELECT c.status FROM cms_registrations c JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = 'SIM000304'")" \
	'^enrolled$' "EST: enrolment logged"
sim_ctl est quit >/dev/null
reopen est2 SIM000304 "$state"
se_pem=$(con_cmd est2 'se cert 1' | pem_of_reply)
assert_eq "$(der_hex <<<"$se_pem")" "$(der_hex <<<"$est_pem")" "EST: SE certificate = logged certificate"
thumb=$(openssl x509 -outform DER <<<"$se_pem" | sha256sum | cut -d' ' -f1)
grep -qiF "$thumb" "$LINE/cms2.db" || fail "cms-sim has no record of the EST certificate $thumb"
sim_ctl est2 quit >/dev/null
sed -i 's|^  protocol: est$|  protocol: v2|' "$LINE/station.yaml"

# ---- a CMS that is down ----------------------------------------------------
kill "$CMS2_PID"
wait "$CMS2_PID" 2>/dev/null || true
line_board down SIM000303
run_board down
[ "$RUN_RC" != 0 ] || fail "enrolment passed with the CMS down"
assert_match "$(step_reason SIM000303)" \
	"^error\\|enrolment stopped at issue: CMS: .*cannot reach the CMS at https://127\\.0\\.0\\.1:" "CMS down"
assert_eq "$(sql "$LINE_DB" "SELECT c.status || ' ' || c.attempts FROM cms_registrations c JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = 'SIM000303'")" \
	"failed 3" "CMS attempts logged"
assert_eq "$(sim_field down power)" "0" "board powered off"
lookup SIM000301
assert_eq "$LOOKUP_RC" "4" "lookup with the CMS down"
grep -q "cannot reach the CMS" "$LINE/lookup.out" || fail "lookup with the CMS down does not say so"
echo ok
