#!/usr/bin/env bash
# Foundation: two boards with distinct SE identities go through all six
# phases of sequences/factory-provisioning.yaml, on two fixtures at once,
# and everything lands in SQLite.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000201
line_board b SIM000202
line_run --once -f "$LINE/a.yaml" -f "$LINE/b.yaml"
cat "$LINE/run.out"
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.err"; fail "station run exited $RUN_RC"; }
grep -q '^\[a\] PASS unit SIM000201' "$LINE/run.out" || fail "no PASS verdict for board a"
grep -q '^\[b\] PASS unit SIM000202' "$LINE/run.out" || fail "no PASS verdict for board b"

db=$LINE_DB
assert_eq "$(sql "$db" "SELECT group_concat(unit_serial || ':' || outcome, ' ') FROM (SELECT * FROM runs ORDER BY unit_serial)")" \
	"SIM000201:pass SIM000202:pass" "runs"
# the run records the flow and every file it was built from
assert_eq "$(sql "$db" "SELECT DISTINCT sequence_name || ' ' || sequence_version FROM runs")" \
	"factory-provisioning 1.0.0" "sequence"
assert_eq "$(sql "$db" "SELECT DISTINCT sequence_sha256 FROM runs")" \
	"$(sha256sum "$ST_TOP/sequences/factory-provisioning.yaml" | cut -d' ' -f1)" "sequence sha256"
assert_eq "$(sql "$db" "SELECT count(*) FROM run_files WHERE path LIKE '%limits/factory.yaml'")" "2" "limits file hashed"
# the six phases, each as steps that passed
for step in 'load diagnostic firmware' 'rail 3V3' 'self test' 'read and verify SE identity' \
	'register identity with the CMS' 'load production firmware' 'production self test' 'power off'; do
	assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = '$step' AND outcome = 'pass'")" "2" "step '$step'"
done
# measurements against limits
assert_eq "$(sql "$db" "SELECT count(*) FROM measurements WHERE name LIKE 'rail_%' AND outcome = 'pass' AND low IS NOT NULL AND high IS NOT NULL")" "6" "rail measurements"
# image hashes are those of the files
assert_eq "$(sql "$db" "SELECT DISTINCT sha256 FROM images WHERE path LIKE '%diag.bin'")" \
	"$(sha256sum "$LINE/images/diag.bin" | cut -d' ' -f1)" "diag image sha256"
assert_eq "$(sql "$db" "SELECT DISTINCT size FROM images WHERE path LIKE '%prod.bin'")" "12288" "prod bytes written"
# two distinct identities, registered with the CMS
assert_eq "$(sql "$db" "SELECT count(DISTINCT cert_serial) FROM identities WHERE cert_serial <> ''")" "2" "certificate serials"
assert_eq "$(sql "$db" "SELECT group_concat(subject_serial, ' ') FROM (SELECT subject_serial FROM identities ORDER BY 1)")" \
	"SIM000201 SIM000202" "802.1AR serialNumber"
assert_eq "$(sql "$db" "SELECT count(*) FROM cms_registrations WHERE status = 'registered' AND cms_id LIKE 'reg-%'")" "2" "CMS registrations"
# the API key never reaches the log
key=$(cat "$LINE/cms.key")
sqlite3 "$db" .dump | grep -q "$key" && fail "the CMS API key is in the log"
grep -q "$key" "$LINE/run.out" "$LINE/run.err" && fail "the CMS API key was printed"
# both boards are left powered off
assert_eq "$(sim_field a power)" "0" "board a power"
assert_eq "$(sim_field b power)" "0" "board b power"
echo "ok"
