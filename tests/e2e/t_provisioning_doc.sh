#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/provisioning.md's examples run: the MASA import query (the ```sql
# block, taken from the doc as written) against the log of a provisioned
# board, and the simulated SE's command list against `dut-sim --help`.
# The label example is run by t_enroll.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

doc=$ST_TOP/docs/provisioning.md
query=$(awk '/^```sql$/ { on = 1; next } /^```$/ { on = 0 } on' "$doc")
[ -n "$query" ] || fail "no \`\`\`sql example in $doc"

line_setup
line_board good SIM000401 --masa-url masa.example.com:9443
line_board clone SIM000402 --masa-url masa.example.com:9443
line_run --once -f "$LINE/good.yaml"
assert_eq "$RUN_RC" 0 "the provisioning run passes: $(tail -n 3 "$LINE/run.out" "$LINE/run.err")"

count() { sqlite3 -batch "$LINE_DB" "SELECT count(*) FROM (${query%;})"; }
assert_eq "$(count)" 1 "one row per passed unit"
# the chain spans lines: the columns before it, then the chain itself
IFS='|' read -r unit subj cert_serial fpr masa _ < <(sqlite3 -batch -separator '|' "$LINE_DB" "$query")
pem=$(sqlite3 -batch -json "$LINE_DB" "$query" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pem_chain"])')
assert_eq "$unit" SIM000401 "the unit"
assert_eq "$subj" SIM000401 "the 802.1AR serialNumber equals the board serial"
assert_match "$cert_serial" '^[0-9A-Fa-f:]+$' "the certificate serial"
assert_match "$fpr" '^[0-9a-f]{64}$' "the fingerprint"
assert_eq "$masa" masa.example.com:9443 "the MASA URL from the IDevID"
assert_match "$pem" 'BEGIN CERTIFICATE' "the chain"

# A failed unit is not handed to the MASA: the same query, one more run that fails.
line_run --once -f "$LINE/clone.yaml" --var 'images=/nonexistent'
[ "$RUN_RC" != 0 ] || fail "a run without its images must not pass"
assert_eq "$(count)" 1 "still one row: a failed run is not exported"

# The SE commands the doc lists are the ones dut-sim offers.
help=$("$BINDIR/dut-sim" --help 2>&1 || true)
n=0
while read -r cmd; do
	n=$((n + 1))
	grep -qF -- "$cmd" <<<"$help" || fail "docs/provisioning.md lists '$cmd', dut-sim --help does not"
done < <(awk '/^## The simulated SE/ { s = 1 } s && /^```$/ { c = !c; next } s && c && /^se / { print $1, $2 }' "$doc")
[ "$n" -ge 6 ] || fail "only $n SE commands found in the doc"
echo "ok: the MASA query returns the passed unit only; $n SE commands match dut-sim --help"
