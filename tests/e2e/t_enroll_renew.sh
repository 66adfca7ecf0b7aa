#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Re-runs and renewals of an on-chip enrolment (sequences/factory-enrolment.yaml,
# dut-sim's SE, cms-sim over v2 and EST):
#  - v2: a re-run keeps a Good certificate; with renew_within_days wider than
#    what it has left it is renewed for the key the slot holds (POST
#    .../{id}/rekey), in 5 requests counted on both sides, the old one left
#    Good until then;
#  - EST: a re-run keeps a certificate that chains to the CMS's /cacerts (1
#    request, no enrolment); renewal is simplereenroll (2 requests); a renewal
#    the CMS refuses (another Subject: RFC 7030 4.2.2) leaves the slot's
#    working certificate in place; 202 + Retry-After is waited for within the
#    step's time, and one beyond it gives up at once;
#  - v2: a CMS that answers 409 (a Good certificate for this serial and
#    another key) fails the step naming the conflict, asked once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

step='enrol the SE with the CMS'
line_setup
kill "$!" # line_setup's v1 cms-sim: not used here
line_cms_mtls v2cms
line_yaml_mtls v2cms v2
sed -i "s|^sequence: .*|sequence: $ST_TOP/sequences/factory-enrolment.yaml|" "$LINE/station.yaml"

# mkseq NAME SED: the enrolment flow with its enroll step edited, as $LINE/seq-NAME
mkseq() {
	cp -r "$ST_TOP/sequences" "$LINE/seq-$1"
	sed -i "$2" "$LINE/seq-$1/factory-enrolment.yaml"
	cmp -s "$ST_TOP/sequences/factory-enrolment.yaml" "$LINE/seq-$1/factory-enrolment.yaml" &&
		fail "sequence $1 not edited"
	true
}
mkseq keep 's/^      unique: true$/&\n      renew_within_days: 30/'
mkseq renew 's/^      unique: true$/&\n      renew_within_days: 400/'
mkseq renew_est 's/^      unique: true$/&\n      renew_within_days: 4000/'
# shellcheck disable=SC2016 # ${serial} is the sequence's, not ours
mkseq renamed 's/^      unique: true$/&\n      renew_within_days: 4000/; s/^      subject: "CN=${serial},/      subject: "CN=${serial}-B,/'
mkseq badrenew 's/^      unique: true$/&\n      renew_within_days: 2.5/'
out=$("$BINDIR/station" lint -c "$LINE/station.yaml" "$LINE/seq-badrenew/factory-enrolment.yaml" 2>&1) &&
	fail "lint took renew_within_days: 2.5"
assert_match "$out" 'enroll: renew_within_days must be a whole number of days, 0 to 36500' "lint names the key"
"$BINDIR/station" lint -c "$LINE/station.yaml" "$LINE/seq-renew/factory-enrolment.yaml" >/dev/null 2>&1 ||
	fail "lint refused renew_within_days: 400"
run() { # run BOARD [SEQ]
	RUN_RC=0
	"$BINDIR/station" run -c "$LINE/station.yaml" ${2:+-s "$LINE/seq-$2/factory-enrolment.yaml"} \
		--once -f "$LINE/$1.yaml" >"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
}
cms_of() { sql "$LINE_DB" "SELECT c.status || ' ' || COALESCE(c.cms_id, '-') FROM cms_registrations c JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = '$1' ORDER BY c.rowid DESC LIMIT 1"; }
kv() { sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN runs r ON r.id = v.run_id WHERE r.unit_serial = '$1' AND v.key = '$2' ORDER BY v.rowid DESC LIMIT 1"; }
reason() { sql "$LINE_DB" "SELECT s.outcome || '|' || coalesce(s.reason, '') FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = '$1' AND s.name = '$step' ORDER BY s.rowid DESC LIMIT 1"; }
# slot STATE SERIAL NAME: slot 1's certificate, read by a fresh dut-sim on STATE
slot() {
	line_board "$3" "$2" --state "$1" --image "$LINE/images/diag.bin" >/dev/null
	sim_ctl "$3" "set boot 0" >/dev/null
	sim_ctl "$3" "set power 1" >/dev/null
	con_open "$3"
	con_line "$3" >/dev/null
	con_cmd "$3" 'se cert 1' | grep -v -e '^OK$' -e '^ERR'
	sim_ctl "$3" quit >/dev/null
}
der() { openssl x509 -outform DER 2>/dev/null | od -An -v -tx1 | tr -d ' \n'; }
pub() { openssl x509 -pubkey -noout 2>/dev/null | openssl pkey -pubin -outform DER | sha256sum; }
lines() { grep -cE ' -> [0-9]+$' "$LINE/$1.log"; } # HTTP requests cms-sim answered
# again OLD NEW SERIAL [SEQ]: the board OLD off; the same SE ($st) as board NEW, run
again() {
	sim_ctl "$1" quit >/dev/null
	line_board "$2" "$3" --state "$st"
	run "$2" "${4:-}"
}
ok() { [ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "$1: exit $RUN_RC"; }; }

# ---- v2: enrol, keep, renew ------------------------------------------------
st=$LINE/v2.state
line_board v2 SIM000401 --state "$st"
run v2
ok "v2 enrolment"
first=$(cms_of SIM000401)
assert_match "$first" '^enrolled [0-9]+$' "enrolled"
id1=${first#enrolled }
# X.509 times are whole seconds: the renewals below must end later than
# the certificate they renew, as they do on a line (a year apart), so that
# the look-up after a late answer can tell the first certificate from its
# renewals by their end (cms_renewal_candidate)
sleep 1.1
pem1=$(slot "$st" SIM000401 v2r1)
again v2 v2b SIM000401 keep
ok "v2 re-run, renew_within_days 30"
assert_eq "$(cms_of SIM000401)" "kept $id1" "365 days left: kept"
sim_ctl v2b quit >/dev/null
line_board v2c SIM000401 --state "$st"
before=$(lines v2cms)
issued=$(grep -c 'POST /v2/organizations/acme/certificates -> 200' "$LINE/v2cms.log")
run v2c renew
ok "v2 renewal"
renewed=$(cms_of SIM000401)
assert_match "$renewed" '^renewed [0-9]+$' "renewed"
id2=${renewed#renewed }
[ "$id2" != "$id1" ] || fail "the renewal answered the old certificate"
assert_eq "$(kv SIM000401 cms.renewed_id)" "$id1" "the certificate renewed"
grep -q "POST /v2/organizations/acme/certificates/$id1/rekey -> 200" "$LINE/v2cms.log" || fail "no rekey of $id1"
assert_eq "$(grep -c 'POST /v2/organizations/acme/certificates -> 200' "$LINE/v2cms.log")" "$issued" "no new issue"
# requests per renewal: auth, status, thumbprint, CN look-up, rekey
assert_eq "$(kv SIM000401 cms.requests)" "5" "requests per v2 renewal, as the station counts them"
assert_eq "$(($(lines v2cms) - before))" "5" "requests per v2 renewal, as cms-sim logged them"
sim_ctl v2c quit >/dev/null
pem2=$(slot "$st" SIM000401 v2r2)
[ "$(der <<<"$pem2")" != "$(der <<<"$pem1")" ] || fail "the slot still holds the old certificate"
assert_eq "$(pub <<<"$pem2")" "$(pub <<<"$pem1")" "renewed for the key the slot holds"
assert_eq "$(kv SIM000401 read-back)" "pass" "the renewal was read back"
assert_eq "$(kv SIM000401 pop)" "pass" "and proven"

# A second renewal, the rekey done by the CMS but answered after the
# station's 1 s: the next attempt finds it (by CN and key, leaving out the
# certificate renewed and the first one, same key, ending earlier; it may
# end in the same second as the one renewed: cms_renewal_candidate), and
# nothing is rekeyed twice.
cp "$LINE/v2cms.db" "$LINE/late.db"
ids() { grep '"kind":"issued"' "$LINE/$1.db" | grep -o '"id":"[0-9]*"' | sort -u | wc -l; }
had=$(ids late)
line_cms_mtls late --fault late-issue=3000
line_yaml_mtls late v2
sed -i 's/^  timeout: .*/  timeout: 1s/' "$LINE/station.yaml"
line_board v2d SIM000401 --state "$st"
run v2d renew
ok "a renewal answered late"
late=$(cms_of SIM000401)
assert_match "$late" '^renewed [0-9]+$' "renewed through a late answer"
id3=${late#renewed }
[ "$id3" != "$id1" ] && [ "$id3" != "$id2" ] || fail "the late renewal took an older certificate ($id3)"
assert_eq "$(kv SIM000401 cms.renewed_id)" "$id2" "the current certificate renewed"
assert_eq "$(sql "$LINE_DB" "SELECT attempts FROM cms_registrations ORDER BY rowid DESC LIMIT 1")" "2" "found on the second attempt"
assert_eq "$(ids late)" "$((had + 1))" "one certificate for the renewal"
sim_ctl v2d quit >/dev/null
assert_eq "$(slot "$st" SIM000401 v2r3 | pub)" "$(pub <<<"$pem1")" "still the slot's key"
sed -i 's/^  timeout: .*/  timeout: 5s/' "$LINE/station.yaml"

# ---- EST: enrol, keep (by /cacerts), renew, a refused renewal --------------
line_yaml_mtls v2cms est
st=$LINE/est.state
line_board e1 SIM000402 --state "$st"
run e1
ok "EST enrolment"
assert_eq "$(cms_of SIM000402)" "enrolled -" "EST enrolled"
enrols=$(grep -c 'est/simpleenroll -> 200' "$LINE/v2cms.log")
again e1 e2 SIM000402
ok "EST re-run"
assert_eq "$(cms_of SIM000402)" "kept -" "EST: the slot's certificate kept"
assert_eq "$(grep -c 'est/simpleenroll -> 200' "$LINE/v2cms.log")" "$enrols" "no second enrolment"
grep -q 'GET /.well-known/est/cacerts -> 200' "$LINE/v2cms.log" || fail "kept without asking /cacerts"
assert_eq "$(kv SIM000402 cms.requests)" "1" "EST keep: one request"
assert_eq "$(kv SIM000402 cms.slot_status)" "Good: chains to the CMS's /cacerts" "why kept"
pem1=$(slot "$st" SIM000402 e2r)
again e2 e3 SIM000402 renew_est
ok "EST renewal"
assert_eq "$(cms_of SIM000402)" "renewed -" "EST renewed"
grep -q 'POST /.well-known/est/simplereenroll -> 200' "$LINE/v2cms.log" || fail "no simplereenroll"
assert_eq "$(kv SIM000402 cms.requests)" "2" "requests per EST renewal: cacerts, simplereenroll"
sim_ctl e3 quit >/dev/null
pem2=$(slot "$st" SIM000402 e3r)
[ "$(der <<<"$pem2")" != "$(der <<<"$pem1")" ] || fail "EST: the slot still holds the old certificate"
assert_eq "$(pub <<<"$pem2")" "$(pub <<<"$pem1")" "EST: renewed for the slot's key"
# a renewal the CMS refuses: the CSR names another Subject (RFC 7030 4.2.2)
line_board e4 SIM000402 --state "$st"
run e4 renamed
[ "$RUN_RC" != 0 ] || fail "a refused renewal passed"
grep -q 'POST /.well-known/est/simplereenroll -> 400' "$LINE/v2cms.log" || fail "cms-sim did not refuse the renewal"
assert_match "$(reason SIM000402)" "CMS rejected the request \\(HTTP 400\\): simplereenroll: the CSR's Subject 'CN=SIM000402-B" "the refusal, named"
assert_eq "$(cms_of SIM000402)" "renewal-failed -" "logged as a failed renewal"
sim_ctl e4 quit >/dev/null
assert_eq "$(der < <(slot "$st" SIM000402 e4r))" "$(der <<<"$pem2")" "the slot keeps its working certificate"

# ---- EST 202 + Retry-After (RFC 7030 4.2.3), within the step's time --------
line_cms_mtls pend --fault est-pending=1,retry-after=1
line_yaml_mtls pend est
line_board p1 SIM000403 --state "$LINE/p1.state"
run p1
ok "EST through a 202"
grep -q 'est/simpleenroll -> 202' "$LINE/pend.log" || fail "no 202 served"
grep -q "retrying in 1000 ms (the CMS's Retry-After)" "$LINE/run.err" || fail "Retry-After not honoured: $(cat "$LINE/run.err")"
assert_eq "$(sql "$LINE_DB" "SELECT c.status || ' ' || c.attempts FROM cms_registrations c JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = 'SIM000403'")" \
	"enrolled 2" "enrolled on the second attempt"
sim_ctl p1 quit >/dev/null
line_cms_mtls pend2 --fault est-pending=1,retry-after=3600
line_yaml_mtls pend2 est
line_board p2 SIM000404 --state "$LINE/p2.state"
run p2
[ "$RUN_RC" != 0 ] || fail "a Retry-After past the step's time passed"
assert_match "$(reason SIM000404)" "the step's time runs out before the next \\(the CMS asks to retry after 3600000 ms\\)" "given up at once"
sim_ctl p2 quit >/dev/null

# ---- v2 409: a Good certificate for this serial and another key ----------------
cp "$LINE/v2cms.db" "$LINE/conflict.db"
line_cms_mtls conflict --fault unique-subject
line_yaml_mtls conflict v2
line_board c1 SIM000401 --state "$LINE/c1.state"	# a fresh SE: a new key
run c1
[ "$RUN_RC" != 0 ] || fail "enrolment passed through a 409"
assert_match "$(reason SIM000401)" "^fail\\|enrolment failed at issue: CMS: CMS conflict \\(HTTP 409\\): serialNumber SIM000401 already has a Good certificate \\(id ($id1|$id2)\\) for another key; the CMS already holds a certificate for this subject or key" "the conflict, named: the unit's FAIL"
assert_eq "$(grep -c -- '-> 409' "$LINE/conflict.log")" "1" "a conflict is not retried"
echo ok
