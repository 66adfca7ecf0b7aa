#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The MES over HTTPS with a bearer token, with docs/api.md's mes: section as
# it is written (ca: mes-ca.crt, token_file: mes.token next to
# station.yaml): station run's unit is allowed and its result delivered; a
# wrong token is refused by the MES (401) and the unit is not tested; an
# MES whose certificate the ca: does not vouch for is not asked at all.
# Nothing of the fixture moves without the MES's leave; the token never
# appears in any output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

serve_setup
token=mes-$RANDOM$RANDOM-bearer-secret
echo "$token" >"$LINE/mes.token.sim"
mes_start --port 0 --cert "$LINE/pki/cms-server.crt" --key "$LINE/pki/cms-server.key" \
	--token-file "$LINE/mes.token.sim"
cfg=$LINE/run.yaml
{
	cat "$LINE/serve.yaml"
	doc_yaml mes | sed -e "s|url: .*|url: https://127.0.0.1:$MES_PORT|" -e 's|timeout: 5s|timeout: 2s|'
} >"$cfg"
grep -q '^  ca: mes-ca.crt' "$cfg" && grep -q '^  token_file: mes.token' "$cfg" ||
	fail "docs/api.md's mes: has no ca: mes-ca.crt and token_file: mes.token"
cp "$LINE/pki/cms-ca.crt" "$LINE/mes-ca.crt"
run_a() {
	RUN_RC=0
	"$BINDIR/station" run -c "$cfg" -f "$LINE/a.yaml" --once --serial SIM000801 \
		>"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
	grep -qF -- "$token" "$LINE/run.out" "$LINE/run.err" && fail "the token in station run's output"
	grep -qF -- "$token" "$MES_LOG" && fail "the token in the MES's log"
	true
}
no_moves() {	# WHY: a's lines untouched, its console silent, no new run
	grep -E 'ctl: set [a-z-]+ 1' "$SIM_A_LOG" && fail "$1: a's lines moved"
	assert_eq "$(sim_field a rx_bytes)" 0 "$1: nothing sent on a's console"
	assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 1 "$1: no run logged"
}

# the right token over HTTPS: allowed, the result delivered
echo "$token" >"$LINE/mes.token"
run_a
assert_eq "$RUN_RC" 0 "HTTPS with the token: $(cat "$LINE/run.err")"
run1=$(sql "$LINE_DB" "SELECT id FROM runs")
assert_eq "$(tr '\n' '|' <"$MES_LOG")" "precheck SIM000801 final-test allowed|result $run1 new pass|" \
	"the pre-check and the result, over HTTPS"

# a wrong token: the MES answers 401, the unit is not tested
: >"$MES_LOG"
: >"$SIM_A_LOG"
sim_ctl a "counters reset" >/dev/null
echo "wrong-$token" >"$LINE/mes.token"
run_a
assert_eq "$RUN_RC" 4 "a wrong token: $(cat "$LINE/run.err")"
assert_match "$(cat "$LINE/run.err")" 'the MES answered the pre-check with HTTP 401' "it says the MES refused the token"
assert_eq "$(tr '\n' '|' <"$MES_LOG")" "unauthorized /precheck|" "the MES refused it, once (a 401 is not retried)"
no_moves "a wrong token"

# a CA that did not sign the MES's certificate: not asked at all
: >"$MES_LOG"
echo "$token" >"$LINE/mes.token"
cp "$LINE/pki/client-ca.crt" "$LINE/mes-ca.crt"
run_a
assert_eq "$RUN_RC" 4 "an MES the CA does not vouch for: $(cat "$LINE/run.err")"
assert_match "$(cat "$LINE/run.err")" '/precheck did not answer: .*(SSL|certificate)' "it says the certificate was not trusted"
assert_eq "$(wc -c <"$MES_LOG")" 0 "no request reached the MES's handler"
no_moves "an untrusted MES"
echo "ok: the MES over HTTPS with a bearer token; a wrong token and an untrusted certificate refuse the unit; the token never shown"
