#!/usr/bin/env bash
# Fault matrix, the identity: boards whose secure element holds one of
# mkpki's bad identities (dut-sim --se-cert/--se-key/--se-chain) fail the
# identity step with the check that failed, before anything is registered,
# and end powered off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/fault.sh"

line_setup
pki=$LINE/pki
"$BINDIR/mkpki" --out "$pki" --boards 1 --seed e2e >/dev/null # board-1 and its clone
ident() {
	echo --fast --se-cert "$pki/$1.crt" --se-key "$pki/$1.key" --se-chain "$pki/$1.chain.pem"
}
registered() {
	sql "$LINE_DB" "SELECT count(*) FROM cms_registrations c JOIN runs r ON r.id = c.run_id WHERE r.unit_serial = '$1'"
}

# fault: identity/expired
# shellcheck disable=SC2046
fault_board expired SIM900001 $(ident expired)
fault_run expired SIM900001
fault_expect expired SIM900001 1 'read and verify SE identity' "not-after: the certificate expired on 2021-01-01 00:00:00 UTC"

# fault: identity/unknown-root
# shellcheck disable=SC2046
fault_board unknown SIM900002 $(ident unknown-root)
fault_run unknown SIM900002
fault_expect unknown SIM900002 1 'read and verify SE identity' "chain: the root 'CN=Station Sim Unknown Root CA, O=Somebody Else' is not in the trust store"

# fault: identity/key-mismatch
# shellcheck disable=SC2046
fault_board mismatch SIM900006 $(ident mismatch)
fault_run mismatch SIM900006
fault_expect mismatch SIM900006 1 'read and verify SE identity' "pop: the SE's signature does not verify with the certificate's public key"

# fault: identity/no-serial
# shellcheck disable=SC2046
fault_board noserial SIM900003 $(ident no-serial)
fault_run noserial SIM900003
fault_expect noserial SIM900003 1 'read and verify SE identity' "serialNumber: the subject has no serialNumber (2.5.4.5)"
for u in SIM900001 SIM900002 SIM900006 SIM900003; do
	assert_eq "$(registered $u)" "0" "$u: nothing registered for a refused identity"
done

# fault: identity/clone
# Board-1's certificate and key copied into a second board with another
# serial.  With the serial checked against the certificate (the factory
# flow), the copy is refused by serialNumber; on a line that reads the
# serial from the certificate instead, by the clone check against the log.
# shellcheck disable=SC2046
fault_board orig SIM000001 $(ident board-1)
fault_run orig SIM000001
grep -qF "[orig] PASS unit SIM000001" "$LINE/run.out" || { cat "$LINE/run.out"; fail "the original board does not pass"; }
# shellcheck disable=SC2046
fault_board copy SIM000002 $(ident clone)
fault_run copy SIM000002
fault_expect copy SIM000002 1 'read and verify SE identity' "serialNumber: the certificate names 'SIM000001' but this board is 'SIM000002'"
seq=$(fault_seq)
sed -i 's/identity: {expect_serial: "${serial}", /identity: {/' "$seq"
# shellcheck disable=SC2046
fault_board copy2 SIM000003 $(ident clone)
fault_run copy2 SIM000003 -s "$seq"
fault_expect copy2 SIM000003 1 'read and verify SE identity' "cloned identity: this certificate or key (fingerprint"
grep -qF "is already logged for unit SIM000001" "$LINE/run.out" || fail "the clone verdict does not name the original unit"
assert_eq "$(registered SIM000003)" "0" "nothing registered for the clone"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM cms_registrations WHERE status = 'registered'")" "1" "only the original is registered"
# A copied SE in a board that bears the original's serial: the serialNumber
# check passes, so only the SE chip serial tells the copy from a re-test.
# The copy's run loses the serial (shown as unidentified; the original's trace and yield keep only
# the suspect mark); both are marked suspect; no label for the original.
orig_runs=$(sql "$LINE_DB" "SELECT count(*) || ' ' || group_concat(outcome) FROM runs WHERE unit_serial = 'SIM000001'")
# shellcheck disable=SC2046
fault_board twin SIM000001 $(ident board-1) --se-chip 0123456789abcdef
fault_run twin SIM000001
sed "s/^/  | /" "$LINE/run.out"
assert_eq "$RUN_RC" "1" "twin: exit status"
grep -qF "[twin] FAIL unit unidentified at 'read and verify SE identity': cloned identity: this certificate or key (fingerprint" "$LINE/run.out" ||
	fail "the twin's verdict"
grep -qF "but this board's SE is chip 0123456789abcdef" "$LINE/run.out" ||
	fail "the twin verdict does not name the copy's chip"
twin_run=$(sql "$LINE_DB" "SELECT r.id FROM runs r JOIN identities i ON i.run_id = r.id WHERE i.chip_serial = '0123456789abcdef'")
assert_eq "$(sql "$LINE_DB" "SELECT coalesce(unit_serial, 'none') || ' ' || outcome FROM runs WHERE id = '$twin_run'")" \
	"none fail" "the twin's run is logged without the original's serial"
assert_match "$(sql "$LINE_DB" "SELECT reason FROM runs WHERE id = '$twin_run'")" \
	"passed for unit SIM000001 in SE chip " "the twin's logged reason"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) || ' ' || group_concat(outcome) FROM runs WHERE unit_serial = 'SIM000001'")" \
	"$orig_runs" "the original's runs are untouched"
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(role || ':' || coalesce(unit_serial, '-') || ':' || run_id, ' ') FROM (SELECT * FROM suspects WHERE run_id = '$twin_run' ORDER BY role DESC)")" \
	"original:SIM000001:$twin_run copy:-:$twin_run" "both ends marked suspect"
assert_eq "$(registered SIM000001)" "1" "the twin is not registered again"
"$BINDIR/station" trace --db "$LINE_DB" SIM000001 >"$LINE/trace.out"
grep -qE "^  SUSPECT \(original\) .*: cloned identity: its certificate .* was presented again by SE chip 0123456789abcdef in run $twin_run" "$LINE/trace.out" ||
	{ cat "$LINE/trace.out"; fail "trace does not show the suspect mark"; }
! grep -q "$twin_run" <(grep '^run ' "$LINE/trace.out") || fail "the twin's run is in the original's trace"
set +e
"$BINDIR/station" trace --db "$LINE_DB" --format label SIM000001 >"$LINE/label.out" 2>"$LINE/label.err"
rc=$?
set -e
assert_eq "$rc" "1" "no label for a suspect unit"
grep -qF "unit SIM000001 is marked suspect" "$LINE/label.err" || fail "label refusal: $(cat "$LINE/label.err")"
[ ! -s "$LINE/label.out" ] || fail "a label was printed for a suspect unit"
# the copy is traced by its chip: its run, without a serial, marked copy
"$BINDIR/station" trace --db "$LINE_DB" 0123456789abcdef >"$LINE/trace2.out"
grep -qF "run $twin_run, no serial: 1 run" "$LINE/trace2.out" || { cat "$LINE/trace2.out"; fail "trace by the copy's chip"; }
grep -qE "^  SUSPECT \(copy\) .*copy of the identity of unit SIM000001" "$LINE/trace2.out" || fail "the copy's mark"
# the report counts the marks
marks=$(sql "$LINE_DB" "SELECT count(*) FROM suspects")
[ "$marks" -ge 2 ] || fail "suspect marks: $marks"
"$BINDIR/station" report --db "$LINE_DB" >"$LINE/report.out"
grep -qE "^suspect +$marks marks \(cloned identities" "$LINE/report.out" || { cat "$LINE/report.out"; fail "the report does not count the suspect marks"; }
"$BINDIR/station" report --db "$LINE_DB" --format json >"$LINE/report.json"
grep -qF "\"suspect_marks\": $marks" "$LINE/report.json" || fail "the JSON report does not count the suspect marks"
# the refused clones' identities are logged, but must not block a re-test
# of the genuine board
fault_run orig SIM000001 -s "$seq"
grep -qF "[orig] PASS unit SIM000001" "$LINE/run.out" || { cat "$LINE/run.out"; fail "the genuine board's re-test is blocked by a refused clone"; }
echo ok
