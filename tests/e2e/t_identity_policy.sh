#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The identity policy (docs/identity.md, issue 15), end to end with mkpki's
# identities: each verdict of `station cert check` (the identity step's
# report), CRL revocation, the trust anchor, an attempt to set the trust
# from variables refused everywhere, the anchors logged for each run, and a
# unit serial that comes only from proof.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
P=$LINE/pki
"$BINDIR/mkpki" --out "$P" --boards 2 --seed e2e >/dev/null
station=$BINDIR/station
out=$LINE/out
# check NAME [ARGS...]: cert check of mkpki's NAME (leaf + chain) against the roots
check() {
	local n=$1
	shift
	cat "$P/$n.crt" "$P/$n.chain.pem" >"$LINE/$n.pem"
	RC=0
	"$station" cert check "$LINE/$n.pem" --trust "$P/trust" "$@" >"$out" 2>"$LINE/err" || RC=$?
}
has() { grep -qE -- "$1" "$out" || { cat "$out" >&2; fail "no line matching: $1"; }; }
want_rc() { assert_eq "$RC" "$1" "$2: exit status"; }

# --- names ------------------------------------------------------------------
check two-serials
want_rc 1 two-serials
has '^FAIL serialNumber +the subject has 2 serialNumber attributes'
check serial-utf8
want_rc 1 serial-utf8
has '^FAIL serialNumber +SIM900011 is encoded as a UTF8String; X.520 and RFC 5280 say PrintableString'
check board-1 --require-cn
want_rc 0 "one CN"
has '^PASS commonName +Station Sim Board SIM000001$'
# the MASA URL's encoding: logged either way, refused when required
check masa-utf8 --require-masa
want_rc 1 masa-utf8
has '^FAIL masa-url +masa.station-sim.example:9443 is encoded as a UTF8String; RFC 8995 section 2.3.2 says IA5String'
has '^masa-encoding +UTF8String$'
check masa-utf8
want_rc 0 "masa-utf8 not required"
has '^PASS masa-url +masa.station-sim.example:9443 \(UTF8String; RFC 8995 says IA5String\)$'
check board-1 --require-masa
has '^masa-encoding +IA5String$'

# --- key type ---------------------------------------------------------------
check p384
want_rc 1 p384
has '^FAIL key-type +the key is EC P-384; the policy allows P-256 only'
check p384 --key-types p256,p384
want_rc 0 "p384 allowed"
has '^PASS key-type +EC P-384 \(the policy allows P-256 and P-384\)$'

# --- extensions -------------------------------------------------------------
check critical-ext
want_rc 1 critical-ext
has "^FAIL critical-ext +the issuer 'CN=Station Sim Critical CA, O=Station Sim Manufacturer' carries the critical extension 1.3.6.1.4.1.55555.1.1"
check path-length
want_rc 1 path-length
has "^FAIL path-length +path length exceeded: 'CN=Station Sim Manufacturer Intermediate CA, O=Station Sim Manufacturer' allows 0 CA certificates below it"
has "^FAIL chain +path length exceeded: the issuer 'CN=Station Sim Manufacturer Intermediate CA"
! grep -q "not in the trust store" "$out" || fail "a path-length violation is called an unknown issuer"
check eku-server
want_rc 1 eku-server
has '^FAIL ext-key-usage +the extended key usage \(1.3.6.1.5.5.7.3.1\) does not allow clientAuth'
check board-1
has '^PASS ext-key-usage +absent \(any usage\)$'
check policy --policy 1.3.6.1.4.1.55555.2.1
want_rc 0 policy
has '^PASS policies +asserts 1.3.6.1.4.1.55555.2.1$'
check board-1 --policy 1.3.6.1.4.1.55555.2.1
want_rc 1 "no policy"
has '^FAIL policies +the certificate asserts none, none of the policies the station requires \(1.3.6.1.4.1.55555.2.1\)'
check nc-inside
want_rc 0 nc-inside
has '^PASS name-constraints +the path satisfies 1 nameConstraints extension'
check nc-outside
want_rc 1 nc-outside
has "^FAIL name-constraints +'O=Somebody Else, CN=Station Sim Board SIM900018, serialNumber=SIM900018' is outside the subtrees 'CN=Station Sim Constrained CA, O=Station Sim Manufacturer' permits"
check nc-ip
want_rc 1 nc-ip
has "^FAIL name-constraints +'CN=Station Sim IP Constrained CA, O=Station Sim Manufacturer' constrains names by iPAddress \(GeneralName \[7\]\)"
if command -v openssl >/dev/null; then
	# openssl agrees with each name-constraints verdict
	openssl verify -CAfile "$P/trust/root-ca.crt" -untrusted "$P/nc-inside.chain.pem" "$P/nc-inside.crt" >/dev/null ||
		fail "openssl refuses nc-inside"
	! openssl verify -CAfile "$P/trust/root-ca.crt" -untrusted "$P/nc-outside.chain.pem" "$P/nc-outside.crt" >/dev/null 2>&1 ||
		fail "openssl accepts nc-outside"
fi

# --- the anchor ---------------------------------------------------------------
root_sha=$(sed -n '/BEGIN/,/END/p' "$P/trust/root-ca.crt" | grep -v -- ----- | base64 -d | sha256sum | cut -d' ' -f1)
check board-1
has "^PASS anchor +self-signed root 'CN=Station Sim Manufacturer Root CA, O=Station Sim Manufacturer' \(sha256 $root_sha\)$"
has "^anchor-sha256 +$root_sha$"
cat "$P/board-1.crt" >"$LINE/leaf-only.pem"
RC=0
"$station" cert check "$LINE/leaf-only.pem" --trust "$P/intermediate-ca.crt" >"$out" || RC=$?
want_rc 1 "intermediate anchor"
has "^PASS chain +1 certificate up to the intermediate 'CN=Station Sim Manufacturer Intermediate CA"
has "^FAIL anchor +anchored at an intermediate 'CN=Station Sim Manufacturer Intermediate CA, O=Station Sim Manufacturer'"
RC=0
"$station" cert check "$LINE/leaf-only.pem" --trust "$P/intermediate-ca.crt" --allow-intermediate-anchor >"$out" || RC=$?
want_rc 0 "intermediate anchor allowed"
has "^PASS anchor +anchored at an intermediate 'CN=Station Sim Manufacturer Intermediate CA"

# --- revocation (CRLs made by openssl ca from mkpki's CA keys) ----------------
if command -v openssl >/dev/null; then
	C=$LINE/ca
	mkdir -p "$C/crl" "$C/old"
	cat >"$C/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $C/index.txt
crlnumber = $C/crlnumber
default_md = sha256
default_crl_days = 30
EOF
	echo 01 >"$C/crlnumber"
	: >"$C/index.txt"
	openssl ca -config "$C/ca.cnf" -gencrl -keyfile "$P/root-ca.key" -cert "$P/root-ca.crt" \
		-out "$C/crl/root.crl" 2>/dev/null
	cp "$C/crl/root.crl" "$C/old/root.crl"
	openssl ca -config "$C/ca.cnf" -gencrl -keyfile "$P/intermediate-ca.key" \
		-cert "$P/intermediate-ca.crt" -crl_lastupdate 20240101000000Z \
		-crl_nextupdate 20240201000000Z -out "$C/old/inter.crl" 2>/dev/null
	openssl ca -config "$C/ca.cnf" -revoke "$P/board-2.crt" -keyfile "$P/intermediate-ca.key" \
		-cert "$P/intermediate-ca.crt" 2>/dev/null
	openssl ca -config "$C/ca.cnf" -gencrl -keyfile "$P/intermediate-ca.key" \
		-cert "$P/intermediate-ca.crt" -out "$C/crl/inter.crl" 2>/dev/null
	check board-1 --crl "$C/crl"
	want_rc 0 "not revoked"
	has '^PASS revocation +not revoked: 2 CRLs checked'
	has "^revocation-source +crl:$C/crl$"
	check board-2 --crl "$C/crl"
	want_rc 1 revoked
	has "^FAIL revocation +'CN=Station Sim Board SIM000002, O=Station Sim Manufacturer, serialNumber=SIM000002' was revoked on "
	check board-1 --crl "$C/old"
	want_rc 1 "old CRL"
	has "^FAIL revocation +the CRL of 'CN=Station Sim Manufacturer Intermediate CA, O=Station Sim Manufacturer' is out of date \(nextUpdate 2024-02-01 00:00:00 UTC\)"
	rm "$C/old/inter.crl"
	check board-1 --crl "$C/old"
	want_rc 1 "no CRL"
	has "^FAIL revocation +no CRL signed by 'CN=Station Sim Manufacturer Intermediate CA, O=Station Sim Manufacturer' in $C/old"
fi
check board-1
has '^PASS revocation +not checked: no CRLs configured'

# --- the same policy from station.yaml (-c), and JSON ----------------------------
cp "$LINE/station.yaml" "$LINE/policy.yaml"
cat >>"$LINE/policy.yaml" <<YAML
identity:
  key_types: [p256, p384]
  require_cn: true
  policies: [1.3.6.1.4.1.55555.2.1]
YAML
cat "$P/policy.crt" "$P/policy.chain.pem" >"$LINE/policy.pem"
RC=0
"$station" cert check "$LINE/policy.pem" -c "$LINE/policy.yaml" --json >"$out" || RC=$?
want_rc 0 "policy from station.yaml"
has '"name": "policies"'
has '"anchor_sha256": "'"$root_sha"'"'
has '"masa_encoding": "IA5String"'

# --- trust only from station.yaml ----------------------------------------------------
RC=0
"$station" run -c "$LINE/station.yaml" --var "trust=$P" --once >"$out" 2>&1 || RC=$?
want_rc 2 "run --var trust"
has "station run: --var trust refused: the variable 'trust' cannot be set: the manufacturer roots come only from station.yaml's trust: key"
RC=0
"$station" lint --var "trust=$P" "$ST_TOP/sequences/factory-provisioning.yaml" >"$out" 2>&1 || RC=$?
want_rc 2 "lint --var trust"
has "station lint: --var trust refused"
sed "s|^vars:|vars:\n  trust: $P|" "$LINE/station.yaml" >"$LINE/vars.yaml"
RC=0
"$station" lint -c "$LINE/vars.yaml" "$ST_TOP/sequences/factory-provisioning.yaml" >"$out" 2>&1 || RC=$?
want_rc 3 "station.yaml vars: trust"
has "vars: the variable 'trust' cannot be set"
cat >"$LINE/seq-trust.yaml" <<YAML
name: seq-trust
version: "1"
vars: {trust: /tmp/elsewhere}
steps:
  - name: identity
    identity: {trust: /tmp/elsewhere}
  - name: enrol
    enroll: {slot: 1, trust: "\${roots}"}
  - name: the default, spelled out
    identity: {trust: "\${trust}"}
YAML
RC=0
"$station" lint "$LINE/seq-trust.yaml" >"$out" 2>&1 || RC=$?
want_rc 1 "sequence trust"
has "seq-trust.yaml:3:.*vars: the variable 'trust' cannot be set"
has "seq-trust.yaml:6:.*identity: trust comes only from station.yaml's trust: key"
has "seq-trust.yaml:8:.*enroll: trust comes only from station.yaml's trust: key"
! grep -q "seq-trust.yaml:10:" "$out" || fail "trust: \${trust} is the default and allowed"

# --- runs: the anchors logged, the unit serial only from proof ---------------------------
ident() {
	echo --fast --se-cert "$P/$1.crt" --se-key "$P/$1.key" --se-chain "$P/$1.chain.pem"
}
# shellcheck disable=SC2046
sim_start good --serial SIM000001 $(ident board-1)
sim_fixture good "$LINE/good.yaml"
line_run --once -f "$LINE/good.yaml"
assert_eq "$RUN_RC" "0" "board-1 without a scanned serial: exit"
good_run=$(sql "$LINE_DB" "SELECT id FROM runs ORDER BY started_us DESC LIMIT 1")
assert_eq "$(sql "$LINE_DB" "SELECT unit_serial FROM runs WHERE id = '$good_run'")" "SIM000001" \
	"a proven identity names the unit"
assert_eq "$(sql "$LINE_DB" "SELECT trust || ' ' || sha256 FROM run_anchors WHERE run_id = '$good_run'")" \
	"$P/trust $root_sha" "the run logs the trust store and its anchor"
assert_eq "$(sql "$LINE_DB" "SELECT t.anchor_sha256 || ' ' || t.verdict || ' ' || t.masa_encoding FROM identity_trust t JOIN identities i ON i.id = t.identity_id WHERE i.run_id = '$good_run'")" \
	"$root_sha pass IA5String" "the identity row logs its anchor"
assert_eq "$(sql "$LINE_DB" "SELECT value FROM step_values WHERE run_id = '$good_run' AND key = 'anchor-sha256'")" \
	"$root_sha" "the step's values carry the anchor as cert check prints it"
# the same board again (same SE chip): a re-test of SIM000001, not a clone
line_run --once -f "$LINE/good.yaml"
assert_eq "$RUN_RC" "0" "board-1 re-tested without a scanned serial: exit"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) || ' ' || group_concat(outcome) FROM runs WHERE unit_serial = 'SIM000001'")" \
	"2 pass,pass" "the re-test is the same unit"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM suspects")" "0" "a re-test marks nothing suspect"
# a board whose proof of possession fails is never logged as the certificate's unit
# shellcheck disable=SC2046
sim_start bad --serial SIM900006 $(ident mismatch)
sim_fixture bad "$LINE/bad.yaml"
line_run --once -f "$LINE/bad.yaml"
assert_eq "$RUN_RC" "1" "mismatch: exit"
bad_run=$(sql "$LINE_DB" "SELECT id FROM runs ORDER BY started_us DESC LIMIT 1")
assert_eq "$(sql "$LINE_DB" "SELECT coalesce(unit_serial, 'none') FROM runs WHERE id = '$bad_run'")" "none" \
	"a failed proof of possession does not name the unit"
assert_eq "$(sql "$LINE_DB" "SELECT i.subject_serial || ' ' || t.verdict FROM identities i JOIN identity_trust t ON t.identity_id = i.id WHERE i.run_id = '$bad_run'")" \
	"SIM900006 fail" "the failed identity is logged with its claims"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE unit_serial = 'SIM900006'")" "0" "no unit SIM900006"
# P-384: refused by the default policy with its words, accepted when the policy allows it
# shellcheck disable=SC2046
sim_start big --serial SIM900005 $(ident p384)
sim_fixture big "$LINE/big.yaml"
line_run --once --serial SIM900005 -f "$LINE/big.yaml"
assert_eq "$RUN_RC" "1" "p384 by default: exit"
grep -qF "key-type: the key is EC P-384; the policy allows P-256 only" "$LINE/run.out" ||
	{ cat "$LINE/run.out"; fail "p384 verdict"; }
! grep -q "not the SE's identity" "$LINE/run.out" || fail "p384 called not the SE's identity"
cp "$LINE/policy.yaml" "$LINE/station.yaml"
sed -i '/policies:/d; /require_cn:/d' "$LINE/station.yaml"
line_run --once --serial SIM900005 -f "$LINE/big.yaml"
assert_eq "$(sql "$LINE_DB" "SELECT s.outcome FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = 'SIM900005' AND s.name = 'read and verify SE identity' ORDER BY r.started_us DESC LIMIT 1")" \
	"pass" "p384 allowed by station.yaml: the identity step passes"
# a trust store of 20 anchors (more than any fixed list): the run logs every one
mkdir -p "$LINE/trust20"
cp "$P/trust/"* "$LINE/trust20/"
for i in $(seq 19); do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-subj "/CN=Extra Root $i" -days 30 -out "$LINE/trust20/extra-$i.crt" 2>/dev/null ||
		fail "openssl: extra root $i"
done
sed -e "s|^trust: .*|trust: $LINE/trust20|" "$LINE/station.yaml" >"$LINE/trust20.yaml"
# shellcheck disable=SC2046
sim_start many --serial SIM000002 $(ident board-2)
sim_fixture many "$LINE/many.yaml"
RUN_RC=0
"$station" run -c "$LINE/trust20.yaml" --once -f "$LINE/many.yaml" >"$LINE/run.out" 2>&1 || RUN_RC=$?
assert_eq "$RUN_RC" "0" "board-2 against 20 anchors: exit"
many_run=$(sql "$LINE_DB" "SELECT id FROM runs ORDER BY started_us DESC LIMIT 1")
assert_eq "$(sql "$LINE_DB" "SELECT count(*) || ' ' || count(DISTINCT sha256) FROM run_anchors WHERE run_id = '$many_run'")" \
	"20 20" "every anchor of the trust store logged"
echo "t_identity_policy: ok"
