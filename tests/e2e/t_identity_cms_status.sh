#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station.yaml identity: {cms_status: true}: the CMS's status answer (INeS v2
# .../certificates/status, cms-sim) is a revocation source of the identity
# step, end to end with bin/station, dut-sim boards holding mkpki's IDevIDs
# and cms-sim:
#  - an IDevID the CMS issued (--import) passes; the run logs the source
#    (step value revocation-source, identity_trust.revocation) and the check;
#  - one the CMS never issued (Unknown) and one it revoked (Revoked, with its
#    date and reason) FAIL at the identity step; nothing after it runs;
#  - the CMS down: the identity step is an ERROR (the station's trouble, not
#    the board's), the unit is not named by the certificate;
#  - `station cert check -c station.yaml` asks the same (exit 4 when down);
#  - lint refuses cms_status without a v2 CMS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/ines.sh"

ines_setup 3
# the documented way (docs/identity.md): a v2 CMS, and identity: {cms_status: true}
ines_yaml "$ST_TOP/sequences/factory-provisioning.yaml" "  cms_status: true"
step='read and verify SE identity'
step_row() {
	sql "$LINE_DB" "SELECT s.outcome || '|' || coalesce(s.reason, '') FROM steps s JOIN runs r ON r.id = s.run_id
		WHERE r.id = (SELECT id FROM runs ORDER BY rowid DESC LIMIT 1) AND s.name = '$step'"
}
step_kv() {
	sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
		WHERE s.run_id = (SELECT id FROM runs ORDER BY rowid DESC LIMIT 1) AND s.name = '$step' AND v.key = '$1'"
}
last_run() { sql "$LINE_DB" "SELECT coalesce(unit_serial, '-') || '|' || outcome FROM runs ORDER BY rowid DESC LIMIT 1"; }
later_steps() {
	sql "$LINE_DB" "SELECT count(*) FROM steps s WHERE s.run_id = (SELECT id FROM runs ORDER BY rowid DESC LIMIT 1)
		AND s.name IN ('register identity with the CMS', 'load production firmware')"
}
src="cms:https://127.0.0.1:$PORT"

# --- lint: cms_status needs a v2 CMS ----------------------------------------------
out=$LINE/lint.out
# docs/identity.md's example, as written (its pki/ paths are $LINE's)
awk '/^### The CMS.s status answer as a revocation source/ { f = 1 } f && /^```yaml/ { y = 1; next }
	y && /^```/ { exit } y' "$ST_TOP/docs/identity.md" >"$LINE/doc.yaml"
grep -q '^  cms_status: true$' "$LINE/doc.yaml" || fail "no example in docs/identity.md: $(cat "$LINE/doc.yaml")"
RC=0
"$BINDIR/station" lint -c "$LINE/doc.yaml" "$ST_TOP/sequences/factory-provisioning.yaml" >"$out" 2>&1 || RC=$?
assert_eq "$RC" "0" "lint of docs/identity.md's example: $(cat "$out")"
sed -i 's/protocol: v2/protocol: v1/' "$LINE/doc.yaml"
RC=0
"$BINDIR/station" lint -c "$LINE/doc.yaml" "$ST_TOP/sequences/factory-provisioning.yaml" >"$out" 2>&1 || RC=$?
assert_eq "$RC" "3" "lint of the example with protocol v1"
grep -q "identity cms_status: cms.protocol v1 has no status call" "$out" || { cat "$out"; fail "v1: no lint error"; }
RC=0
"$BINDIR/station" lint -c "$LINE/station.yaml" "$ST_TOP/sequences/factory-provisioning.yaml" >"$out" 2>&1 || RC=$?
assert_eq "$RC" "0" "lint with a v2 CMS: $(cat "$out")"
sed -e 's/^  protocol: v2$/  protocol: est/' "$LINE/station.yaml" >"$LINE/est.yaml"
RC=0
"$BINDIR/station" lint -c "$LINE/est.yaml" "$ST_TOP/sequences/factory-provisioning.yaml" >"$out" 2>&1 || RC=$?
assert_eq "$RC" "3" "lint, cms_status with an EST CMS"
grep -q "est.yaml:[0-9]*:.*identity cms_status: cms.protocol est has no status call; it needs protocol v2 (INeS)" "$out" ||
	{ cat "$out"; fail "no lint error for cms_status with EST"; }
sed -e '/^cms:$/,/^  backoff:/d' "$LINE/station.yaml" >"$LINE/nocms.yaml"
! grep -q '^cms:' "$LINE/nocms.yaml" || fail "cms: not removed"
RC=0
"$BINDIR/station" lint -c "$LINE/nocms.yaml" "$ST_TOP/sequences/factory-provisioning.yaml" >"$out" 2>&1 || RC=$?
assert_eq "$RC" "3" "lint, cms_status without a CMS"
grep -q "identity cms_status: no cms: is configured" "$out" || { cat "$out"; fail "no lint error for cms_status without a CMS"; }

# --- an IDevID the CMS issued: Good, and the source logged -------------------
cms_start --import "$P/board-1.crt"
ines_board good 1
line_run --once -f "$LINE/good.yaml"
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "good board: exit $RUN_RC"; }
assert_eq "$(step_row)" "pass|" "identity step"
assert_eq "$(step_kv cms-status)" "pass" "cms-status check"
assert_eq "$(step_kv revocation-source)" "$src" "revocation-source step value"
assert_eq "$(sql "$LINE_DB" "SELECT t.revocation || '|' || t.verdict FROM identity_trust t ORDER BY t.identity_id DESC LIMIT 1")" \
	"$src|pass" "identity_trust: the revocation source"
assert_match "$(step_kv revocation)" "pass" "revocation check"
assert_eq "$(last_run)" "SIM000001|pass" "the unit passed"
assert_eq "$(step_kv cms.requests)" "2" "the identity step's CMS requests: auth, status"
# the figure, printed, not asserted (a shared machine)
echo "measured: identity step with the CMS's status: $(sql "$LINE_DB" "SELECT duration_us / 1000 FROM steps s
	WHERE s.run_id = (SELECT id FROM runs ORDER BY rowid DESC LIMIT 1) AND s.name = '$step'") ms"
status_posts() { grep -c 'POST /v2/organizations/acme/certificates/status -> 200' "$LINE/cms.log" || true; }
# the identity step asked once, the register step once more
assert_eq "$(status_posts)" "2" "status requests"

# --- one the CMS never issued: Unknown, FAIL ---------------------------------
ines_board stranger 2
line_run --once -f "$LINE/stranger.yaml"
assert_eq "$RUN_RC" "1" "unknown certificate: exit status"
assert_match "$(step_row)" "^fail\\|identity check failed: cms-status: Unknown: $src did not issue the certificate \\(its status is Unknown there\\): refuse the part$" \
	"unknown certificate"
assert_eq "$(later_steps)" "0" "nothing after a refused identity"
grep -q '^\[stranger\] FAIL unit' "$LINE/run.out" || { cat "$LINE/run.out"; fail "no FAIL verdict"; }

# --- the CMS revoked it: Revoked, with its date and reason, FAIL --------------
C=(--cacert "$P/cms-ca.crt" --cert "$P/station-client.crt" --key "$P/station-client.key" -sS)
tok=$(curl "${C[@]}" -d '' -H 'content-type: application/json' -H 'accept: */*' \
	"https://localhost:$PORT/v2/auth" | sed -n 's/.*"access_token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$tok" ] || fail "no token from cms-sim"
curl "${C[@]}" -H "authorization: Bearer $tok" -H 'content-type: application/json' -H 'accept: */*' \
	-d '{"revocation_reason":"keyCompromise","revocationComment":"e2e"}' \
	"https://localhost:$PORT/v2/organizations/acme/certificates/1001/revoke" | grep -q '"message":"OK"' ||
	fail "revoke refused"
ines_board revoked 1
line_run --once -f "$LINE/revoked.yaml"
assert_eq "$RUN_RC" "1" "revoked certificate: exit status"
assert_match "$(step_row)" "^fail\\|identity check failed: cms-status: Revoked: $src revoked the certificate on 20[0-9-]+T[0-9:]+Z, reason keyCompromise: refuse the part$" \
	"revoked certificate"
assert_eq "$(later_steps)" "0" "nothing after a revoked identity"
assert_eq "$(sql "$LINE_DB" "SELECT t.revocation || '|' || t.verdict FROM identity_trust t ORDER BY t.identity_id DESC LIMIT 1")" \
	"$src|fail" "identity_trust: a revoked identity"

# --- station cert check -c: the same question, the same words -----------------
RC=0
"$BINDIR/station" cert check -c "$LINE/station.yaml" "$P/board-1.crt" >"$out" 2>&1 || RC=$?
assert_eq "$RC" "1" "cert check of the revoked certificate"
grep -qE "^FAIL cms-status +Revoked: $src revoked the certificate on " "$out" || { cat "$out"; fail "cert check: no Revoked"; }
grep -qx "revocation-source $src" "$out" || { cat "$out"; fail "cert check: no revocation-source"; }
cms_stop

# --- the CMS down: ERROR, not FAIL, and the certificate names no unit ---------
RC=0
"$BINDIR/station" cert check -c "$LINE/station.yaml" "$P/board-2.crt" >"$out" 2>&1 || RC=$?
assert_eq "$RC" "4" "cert check with the CMS down"
grep -qE "^FAIL cms-status +unknown: no answer from $src: .*cannot reach the CMS" "$out" || { cat "$out"; fail "cert check: no unknown status"; }
ines_board down 3
RUN_RC=0
"$BINDIR/station" run -c "$LINE/station.yaml" --once -f "$LINE/down.yaml" >"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
assert_eq "$RUN_RC" "4" "CMS down: exit status (ERROR)"
assert_match "$(step_row)" "^error\\|identity: the certificate's revocation status is unknown: no answer from $src: .*cannot reach the CMS" \
	"CMS down"
assert_eq "$(last_run)" "-|error" "the run names no unit from an unproven revocation status"
assert_eq "$(later_steps)" "0" "nothing after an identity whose status is unknown"
echo ok
