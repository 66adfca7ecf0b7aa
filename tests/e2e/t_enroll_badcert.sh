#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An enrolled certificate gets every identity check, and a few of its own,
# before it goes near the SE: sequences/factory-enrolment.yaml against
# dut-sim boards (mkpki's IDevIDs, imported into cms-sim so that their
# factory identities are Good) and cms-sim issuing a bad certificate on
# purpose (--fault, tools/cms-sim/bad_issue.c), with station.yaml's
# identity: {cms_status: true}.  Each bad certificate is refused with its
# reason, the unit FAILs, nothing is written to the SE, no production
# firmware is loaded:
#   rogue-ca       signed by a key that is not the CA's      -> chain
#   rename-serial  another unit's serialNumber               -> the CMS client, and
#                  with subject_mismatch: warn               -> serialNumber, cert-name
#   expired        already expired                           -> chain, not-after
#   serial-hex     the CMS's record gives another serial     -> ca-record
#   revoke-issued  revoked by the CMS as soon as issued      -> cms-status
#   other-key      certifies another key than the CSR's      -> the CMS client, cert-key
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/ines.sh"

ines_setup 10
cat "$P"/board-*.crt >"$LINE/factory.crt"
step='enrol the SE with the CMS'
ines_yaml "$ST_TOP/sequences/factory-enrolment.yaml" "  cms_status: true"
# subject_mismatch: warn lets a renamed certificate past the CMS client: the
# station's own checks must still refuse it
cp -r "$ST_TOP/sequences" "$LINE/seq"
sed -i 's|^      unique: true$|      unique: true\n      subject_mismatch: warn|' "$LINE/seq/factory-enrolment.yaml"
grep -q 'subject_mismatch: warn' "$LINE/seq/factory-enrolment.yaml" || fail "sequence not patched"
sed -e "s|^sequence: .*|sequence: $LINE/seq/factory-enrolment.yaml|" "$LINE/station.yaml" >"$LINE/warn.yaml"

q_run="(SELECT id FROM runs WHERE unit_serial = '%s' ORDER BY rowid DESC LIMIT 1)"
step_row() {
	# shellcheck disable=SC2059
	sql "$LINE_DB" "SELECT s.outcome || '|' || coalesce(s.reason, '') FROM steps s
		WHERE s.run_id = $(printf "$q_run" "$1") AND s.name = '$step'"
}
step_kv() {
	# shellcheck disable=SC2059
	sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
		WHERE s.run_id = $(printf "$q_run" "$1") AND s.name = '$step' AND v.key = '$2' ORDER BY v.id LIMIT 1"
}
# bad FAULT I REASON [CHECK DETAIL]...: board I against a CMS with FAULT; the
# enrol step fails with REASON (an ERE), each CHECK's value matches DETAIL
bad() {
	local fault=$1 i=$2 reason=$3 serial cfg=${CFG:-$LINE/station.yaml}
	shift 3
	serial=$(printf 'SIM%06d' "$i")
	cms_start --import "$LINE/factory.crt" --fault "$fault"
	ines_board "b$i" "$i"
	RUN_RC=0
	"$BINDIR/station" run -c "$cfg" --once -f "$LINE/b$i.yaml" >"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
	cms_stop
	assert_eq "$RUN_RC" "1" "$fault: exit status (FAIL)"
	grep -q "^\[b$i\] FAIL unit $serial" "$LINE/run.out" || { cat "$LINE/run.out"; fail "$fault: no FAIL verdict"; }
	assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE id = $(printf "$q_run" "$serial")")" "fail" "$fault: run"
	echo "$fault: $(step_row "$serial")"
	assert_match "$(step_row "$serial")" "^fail\\|$reason" "$fault: the enrol step's reason"
	assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM steps s WHERE s.run_id = $(printf "$q_run" "$serial")
		AND s.outcome = 'pass' AND s.name IN ('$step', 'load production firmware', 'final test')")" \
		"0" "$fault: nothing after it passed"
	assert_eq "$(step_kv "$serial" write)" "" "$fault: nothing written to the SE"
	while [ $# -ge 2 ]; do
		assert_match "$(step_kv "$serial" "$1")" "$2" "$fault: check $1"
		shift 2
	done
	sim_ctl "b$i" quit >/dev/null
}

# ---- the baseline: a good CMS, every check of the enrolled certificate passes
cms_start --import "$LINE/factory.crt"
ines_board b1 1 --state "$LINE/b1.state"
line_run --once -f "$LINE/b1.yaml"
cms_stop
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "good enrolment: exit $RUN_RC"; }
for check in csr chain critical-ext path-length name-constraints anchor ext-key-usage revocation \
	cms-status serialNumber not-after key-type basic-constraints key-usage cert-key cert-name \
	ca-record write read-back pop; do
	assert_eq "$(step_kv SIM000001 "$check")" "pass" "good enrolment: check $check"
done
assert_eq "$(step_kv SIM000001 revocation-source)" "cms:https://127.0.0.1:$PORT" "revocation source of the enrolled certificate"
assert_match "$(sql "$LINE_DB" "SELECT t.verdict || '|' || t.revocation || '|' || t.anchor_subject FROM identity_trust t
	JOIN identities i ON i.id = t.identity_id JOIN steps s ON s.id = i.step_id
	WHERE s.name = '$step' AND s.run_id = $(printf "$q_run" SIM000001)")" \
	"^pass\\|cms:https://127\\.0\\.0\\.1:$PORT\\|.*Root" "the enrolled identity's trust record"

# ---- a certificate the CMS calls Good, moved from another unit's SE, is not
# kept: the slot's certificate gets the checks a new one gets
sim_ctl b1 quit >/dev/null
for f in "$LINE"/b1.state.se.slot1.*; do cp "$f" "${f/b1.state/b10.state}"; done
ls "$LINE"/b10.state.se.slot1.* >/dev/null || fail "no slot 1 in b1's state: $(ls "$LINE")"
cms_start --import "$LINE/factory.crt"
ines_board b10 10 --state "$LINE/b10.state"
line_run --once -f "$LINE/b10.yaml"
cms_stop
assert_eq "$RUN_RC" "1" "a moved certificate: exit status (FAIL)"
echo "moved: $(step_row SIM000010)"
assert_match "$(step_row SIM000010)" "^fail\\|enroll: slot 1 holds a certificate the CMS calls Good, but it fails the checks \\(nothing was changed\\): identity check cert-name failed: the certificate names CN=SIM000001 but the unit is CN=SIM000010: the CA issued it for another unit; refuse it" \
	"a moved certificate is refused"
assert_match "$(step_kv SIM000010 cert-name)" "^the certificate names CN=SIM000001 but the unit is CN=SIM000010" "moved: cert-name"
assert_eq "$(step_kv SIM000010 pop)" "pass" "moved: the slot does hold its key"
assert_eq "$(step_kv SIM000010 stage)" "kept" "moved: checked as the slot's certificate"
sim_ctl b10 quit >/dev/null

# ---- a flow that enrols without reading the factory identity still logs the
# trust anchors the new certificate was checked against
# (the intermediates then come from the step's chain:)
sed -e '/^  - name: read and verify factory identity$/,/^    identity: /d' \
	-e "s|^      slot: 1$|      slot: 1\n      chain: $P/chain.pem|" \
	"$ST_TOP/sequences/factory-enrolment.yaml" >"$LINE/seq/enrol-only.yaml"
! grep -q 'identity: {' "$LINE/seq/enrol-only.yaml" || fail "identity step not removed"
sed -e "s|^sequence: .*|sequence: $LINE/seq/enrol-only.yaml|" "$LINE/station.yaml" >"$LINE/enrol-only.yaml"
cms_start --import "$LINE/factory.crt"
ines_board b9 9
RUN_RC=0
"$BINDIR/station" run -c "$LINE/enrol-only.yaml" --once --serial SIM000009 -f "$LINE/b9.yaml" \
	>"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
cms_stop
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "enrol-only flow: exit $RUN_RC"; }
root_sha=$(openssl x509 -in "$P/root-ca.crt" -outform DER | sha256sum | cut -d' ' -f1)
assert_eq "$(sql "$LINE_DB" "SELECT a.sha256 FROM run_anchors a WHERE a.run_id = $(printf "$q_run" SIM000009)")" \
	"$root_sha" "the enrol step logs the run's trust anchor"
sim_ctl b9 quit >/dev/null

# ---- each bad certificate, refused --------------------------------------------------
bad rogue-ca 2 "enrolment failed at cert-check: identity check chain failed: bad signature: " \
	chain "^bad signature: .* does not verify with the key of the issuer"
bad rename-serial 3 "enrolment failed at issue: CMS: .*the CMS issued a certificate without the requested subject attribute\\(s\\) serialNumber=SIM000003"
CFG=$LINE/warn.yaml bad rename-serial 4 "enrolment failed at cert-check: identity check cert-name failed: the certificate names serialNumber=SIM000005 but the unit is serialNumber=SIM000004: the CA issued it for another unit; refuse it \\(and more: see the report\\)$" \
	serialNumber "^the certificate names 'SIM000005' but this board is 'SIM000004'" cert-name "^the certificate names serialNumber=SIM000005 but the unit is serialNumber=SIM000004: the CA issued it for another unit; refuse it$"
bad expired 5 "enrolment failed at cert-check: identity check chain failed: .*expired on " \
	not-after "^the certificate expired on " cms-status "^Expired: "
bad serial-hex 6 "enrolment failed at cert-check: identity check ca-record failed: the CA says it issued serial [0-9]+ but the certificate's serial is [0-9a-f]+" \
	ca-record "^the CA says it issued serial [0-9]+ but the certificate's serial is "
bad revoke-issued 7 "enrolment failed at cert-check: identity check cms-status failed: Revoked: cms:https://127.0.0.1:$PORT revoked the certificate on 20[0-9-]+T[0-9:]+Z, reason keyCompromise: refuse the part" \
	cms-status "^Revoked: "
bad other-key 8 "enrolment failed at issue: CMS: .*(public key|CSR)"
echo ok
