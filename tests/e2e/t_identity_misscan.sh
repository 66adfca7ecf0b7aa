#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A mis-scan is not a clone (docs/identity.md): a board that passed as
# SIM000201 is run again with a wrong scanned serial.  Its SE chip is the
# one the identity passed with, so it is the same board: the identity step
# fails on the serial alone and says to scan the label again, no suspect is
# marked, and the good board keeps its label.  With the serial checked
# against the certificate (the factory flow) and without (the clone check
# alone).  The true clones stay in t_fault_identity.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/fault.sh"

line_setup
line_board good SIM000201
line_run --once --serial SIM000201 -f "$LINE/good.yaml"
grep -qF "[good] PASS unit SIM000201" "$LINE/run.out" || { cat "$LINE/run.out" "$LINE/run.err"; fail "the board does not pass"; }
chip=$(sql "$LINE_DB" "SELECT i.chip_serial FROM identities i JOIN runs r ON r.id = i.run_id WHERE r.unit_serial = 'SIM000201'")
[ -n "$chip" ] || fail "no SE chip serial logged for SIM000201"
advice="this board's SE chip $chip passed before as unit SIM000201, so the scanned serial SIM999999 is probably wrong"

# the factory flow: serialNumber fails, and the verdict says which side is wrong
fault_run good SIM999999
fault_expect good SIM999999 1 'read and verify SE identity' \
	"identity check failed: serialNumber: the certificate names 'SIM000201' but this board is 'SIM999999'"
grep -qF "$advice" "$LINE/run.out" || fail "the verdict does not name the mis-scan"
grep -qF "scan the board's label again" "$LINE/run.out" || fail "the verdict does not say what to do"
! grep -qi "clone\|suspect" "$LINE/run.out" || fail "a mis-scan called a clone: $(cat "$LINE/run.out")"

# the clone check alone (the serial not checked against the certificate)
seq=$(fault_seq)
sed -i 's/identity: {expect_serial: "${serial}", /identity: {/' "$seq"
fault_run good SIM999998 -s "$seq"
fault_expect good SIM999998 1 'read and verify SE identity' \
	"this board's SE chip $chip passed before as unit SIM000201, so the scanned serial SIM999998 is probably wrong"
! grep -qi "clone\|suspect" "$LINE/run.out" || fail "a mis-scan called a clone: $(cat "$LINE/run.out")"
assert_eq "$(sql "$LINE_DB" "SELECT value FROM step_values WHERE key = 'passed_as'" | sort -u)" "SIM000201" \
	"the unit the chip passed as, logged"

# nothing marked, no serial changed: the good board keeps its one pass and its label
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM suspects")" "0" "no suspect marks for a mis-scan"
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(coalesce(unit_serial, '-') || ':' || outcome, ' ') FROM (SELECT * FROM runs ORDER BY started_us)")" \
	"SIM000201:pass SIM999999:fail SIM999998:fail" "each run logged under the serial scanned for it"
set +e
"$BINDIR/station" trace --db "$LINE_DB" --format label SIM000201 >"$LINE/label.out" 2>"$LINE/label.err"
rc=$?
set -e
assert_eq "$rc" "0" "label for the good board: $(cat "$LINE/label.err")"
[ -s "$LINE/label.out" ] || fail "no label printed for the good board"
grep -qF SIM000201 "$LINE/label.out" || fail "the label does not name SIM000201: $(cat "$LINE/label.out")"

# an earlier run mis-scanned and passed (no expect_serial): now the serial
# the certificate names is the right one, and the earlier run's is wrong
line_board other SIM000301
fault_run other SIM000399 -s "$seq"
grep -qF "[other] PASS unit SIM000399" "$LINE/run.out" || { cat "$LINE/run.out"; fail "the unchecked mis-scan does not pass"; }
fault_run other SIM000301 -s "$seq"
fault_expect other SIM000301 1 'read and verify SE identity' \
	"passed before as unit SIM000399, but its certificate names SIM000301: the serial of that earlier run was probably mis-scanned"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM suspects")" "0" "no suspect marks for an earlier mis-scan"

# and the board scanned right passes again
line_run --once --serial SIM000201 -f "$LINE/good.yaml"
grep -qF "[good] PASS unit SIM000201" "$LINE/run.out" || { cat "$LINE/run.out"; fail "the re-test with the right serial"; }
echo ok
