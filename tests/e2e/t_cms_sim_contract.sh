#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cms-sim's contract, driven with curl and openssl over real TLS (no station
# code on either side): the INeS v2 renew / rekey / certification-authority
# routes under /v2/organizations/{org}/ as the seed's demo client sends them
# (apiREST_renewCertificate, apiREST_getCAList/_getCAdetails/
# _getCACertificateChain in wisekey_Ines_Agent.c), and RFC 7030 EST cacerts
# (4.1), simplereenroll (4.2.2: Subject AND subjectAltName as the current
# certificate's), 202 + Retry-After (4.2.3) and serverkeygen (4.4), each
# strict: a malformed or mismatched request is refused with its reason.
. "$(dirname "$0")/lib.sh"

T=$(st_tmpdir)
P=$T/pki
"$BINDIR/mkpki" --out "$P" --boards 1 --seed contract >/dev/null || fail "mkpki"
st_bg "$BINDIR/cms-sim" --cert "$P/cms-server.crt" --key "$P/cms-server.key" --trust "$P/trust" \
	--client-ca "$P/client-ca.crt" --ca-cert "$P/intermediate-ca.crt" \
	--ca-key "$P/intermediate-ca.key" --org acme --fault est-pending=1,retry-after=2 \
	--port 0 --port-file "$T/port" --db "$T/cms.jsonl" >"$T/cms.log" 2>&1
for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || fail "cms-sim did not start: $(cat "$T/cms.log")"
U=https://localhost:$(cat "$T/port")
C=(--cacert "$P/cms-ca.crt" --cert "$P/station-client.crt" --key "$P/station-client.key" -sS)
ORG=$U/v2/organizations/acme

# http CODE-FILE CURL-ARGS...: the body on stdout, the status in CODE-FILE
http() { local f=$1; shift; curl "${C[@]}" -o "$T/body" -w '%{http_code}' "$@" >"$f"; cat "$T/body"; }
csr() { # csr NAME SUBJECT [openssl req args]: a new P-256 key NAME.key, its CSR as base64 DER
	local name=$1 subj=$2; shift 2
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$name.key" \
		-subj "$subj" -outform DER "$@" 2>/dev/null | base64 -w0
}
pub_of_key() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum; }
pub_of_b64cert() { base64 -d <<<"$1" | openssl x509 -inform DER -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum; }
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }

tok=$(curl "${C[@]}" -X POST -H 'content-type: application/json' -H 'accept: */*' -H 'content-length: 0' \
	"$U/v2/auth" | field access_token)
[ -n "$tok" ] || fail "no token"
H=(-H "authorization: Bearer $tok " -H 'content-type: application/json' -H 'accept: */*')

# ---- INeS: issue, then renew (same key, same subject) -------------------------
body=$(printf '{"template_id":1,"subject":[{"oid":"2.5.4.3","value":"U1"},{"oid":"2.5.4.5","value":"U1"}],"san":[],"csr":"%s","passphrase":"","include_chain_in_pkcs12":false,"valid_from":"","validity_period":30}' \
	"$(csr k1 /CN=U1/serialNumber=U1)")
out=$(http "$T/code" "${H[@]}" -d "$body" "$ORG/certificates")
assert_eq "$(cat "$T/code")" "200" "issue: $out"
id1=$(field certificate_id <<<"$out")
assert_match "$id1" '^[0-9]+$' "an integer id"
out=$(http "$T/code" "${H[@]}" -d '{"revoke_original_certificate":false}' "$ORG/certificates/$id1/renew")
assert_eq "$(cat "$T/code")" "200" "renew: $out"
id2=$(field certificate_id <<<"$out")
[ "$id2" != "$id1" ] || fail "renew answered the original ($id1)"
assert_eq "$(pub_of_b64cert "$(field certificate <<<"$out")")" "$(pub_of_key "$T/k1.key")" "renew certifies the original's key"
assert_eq "$(field common_name <<<"$out")" "U1" "renew keeps the subject"
# the demo always sends revoke_original_certificate; a boolean
out=$(http "$T/code" "${H[@]}" -d '{}' "$ORG/certificates/$id1/renew")
assert_eq "$(cat "$T/code")" "400" "renew without revoke_original_certificate"
assert_match "$out" 'revoke_original_certificate must be a boolean' "its reason"
out=$(http "$T/code" "${H[@]}" -d '{"revoke_original_certificate":"no"}' "$ORG/certificates/$id1/renew")
assert_eq "$(cat "$T/code")" "400" "a string for a boolean"
out=$(http "$T/code" "${H[@]}" -d '{"revoke_original_certificate":false,"csr":"AA=="}' "$ORG/certificates/$id1/renew")
assert_match "$out" 'unknown key .{1,2}csr' "renew takes no CSR (that is rekey)"
out=$(http "$T/code" "${H[@]}" -d '{"revoke_original_certificate":false}' "$ORG/certificates/99999/renew")
assert_eq "$(cat "$T/code")" "404" "renew of an unknown id"

# ---- rekey: the CSR's key, the original's subject; the original revoked ---------
k2=$(csr k2 /CN=Other/serialNumber=X)
out=$(http "$T/code" "${H[@]}" -d "{\"csr\":\"$k2\",\"revoke_original_certificate\":true}" "$ORG/certificates/$id2/rekey")
assert_eq "$(cat "$T/code")" "200" "rekey: $out"
id3=$(field certificate_id <<<"$out")
assert_eq "$(pub_of_b64cert "$(field certificate <<<"$out")")" "$(pub_of_key "$T/k2.key")" "rekey certifies the CSR's key"
assert_eq "$(field common_name <<<"$out")" "U1" "rekey keeps the original's subject"
assert_eq "$(http "$T/code" "${H[@]}" "$ORG/certificates/$id2" | field status)" "Revoked" "the original revoked on request"
assert_eq "$(http "$T/code" "${H[@]}" "$ORG/certificates/$id2" | field revocation_reason)" "superseded" "as superseded"
assert_eq "$(http "$T/code" "${H[@]}" "$ORG/certificates/$id3" | field status)" "Good" "the new one Good"
out=$(http "$T/code" "${H[@]}" -d '{"revoke_original_certificate":false}' "$ORG/certificates/$id2/renew")
assert_eq "$(cat "$T/code")" "409" "renew of a revoked certificate: $out"
out=$(http "$T/code" "${H[@]}" -d '{"revoke_original_certificate":false}' "$ORG/certificates/$id3/rekey")
assert_match "$out" 'rekey needs .{1,2}csr' "rekey without a CSR"
bad=$(csr k3 /CN=U1/serialNumber=U1 | base64 -d | head -c 100 | base64 -w0)
out=$(http "$T/code" "${H[@]}" -d "{\"csr\":\"$bad\",\"revoke_original_certificate\":false}" "$ORG/certificates/$id3/rekey")
assert_eq "$(cat "$T/code")" "400" "rekey with a truncated CSR: $out"
assert_eq "$(grep '"kind":"issued"' "$T/cms.jsonl" | grep -o '"id":"[0-9]*"' | sort -u | wc -l)" "3" \
	"issue, renew, rekey: three certificates (a revocation appends its record again)"

# ---- certification authorities ---------------------------------------------
ca_b64=$(openssl x509 -in "$P/intermediate-ca.crt" -outform DER | base64 -w0)
root_b64=$(openssl x509 -in "$P/root-ca.crt" -outform DER | base64 -w0)
out=$(http "$T/code" "${H[@]}" "$ORG/certificationauthorities")
assert_eq "$(cat "$T/code")" "200" "CA list"
assert_match "$out" '^\{"certificationauthorities":\[\{"id":1,' "a list, integer ids"
assert_eq "$(field certificate <<<"$out")" "$ca_b64" "the issuing CA"
assert_eq "$(field thumbprint <<<"$out")" "$(base64 -d <<<"$ca_b64" | sha1sum | cut -d' ' -f1 | tr a-f A-F)" "its SHA-1"
out=$(http "$T/code" "${H[@]}" "$ORG/certificationauthorities/1")
assert_match "$out" '^\{"ca":\{' "CA details under \"ca\""
out=$(http "$T/code" "${H[@]}" "$ORG/certificationauthorities/1/download")
assert_eq "$(sed -n 's/.*"root":{[^}]*"certificate":"\([^"]*\)".*/\1/p' <<<"$out")" "$root_b64" "download: root"
assert_eq "$(sed -n 's/.*"issuing":{[^}]*"certificate":"\([^"]*\)".*/\1/p' <<<"$out")" "$ca_b64" "download: issuing"
http "$T/code" "${H[@]}" "$ORG/certificationauthorities/2" >/dev/null
assert_eq "$(cat "$T/code")" "404" "an unknown CA"
http "$T/code" "${H[@]}" -d '{}' "$ORG/certificationauthorities" >/dev/null
assert_eq "$(cat "$T/code")" "405" "POST to the CA list"
http "$T/code" -H 'content-type: application/json' "$ORG/certificationauthorities" >/dev/null
assert_eq "$(cat "$T/code")" "401" "no token"

# ---- EST /cacerts (4.1) -----------------------------------------------------------
E=$U/.well-known/est
out=$(curl --cacert "$P/cms-ca.crt" -sS -D "$T/hdr" "$E/cacerts")
grep -qi '^content-type: application/pkcs7-mime' "$T/hdr" || fail "cacerts content type: $(cat "$T/hdr")"
base64 -d <<<"$out" | openssl pkcs7 -inform DER -print_certs >"$T/cacerts.pem" || fail "cacerts is not a PKCS#7"
assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$T/cacerts.pem")" "2" "the issuing CA and its root"
openssl verify -CAfile <(openssl x509 -in "$P/root-ca.crt") "$P/intermediate-ca.crt" >/dev/null
diff <(openssl x509 -in "$T/cacerts.pem" -outform DER | base64 -w0) <(echo -n "$ca_b64") >/dev/null ||
	fail "the first certificate is not the issuing CA"
grep -q "$(openssl x509 -in "$P/root-ca.crt" -noout -subject | sed 's/^subject=//')" \
	<(openssl crl2pkcs7 -nocrl -certfile "$T/cacerts.pem" | openssl pkcs7 -print_certs -noout) ||
	fail "the root is not in /cacerts"
http "$T/code" -X POST -H 'content-type: application/pkcs10' -d 'AA==' "$E/cacerts" >/dev/null
assert_eq "$(cat "$T/code")" "405" "POST /cacerts"
http "$T/code" -X GET -d 'x' "$E/cacerts" >/dev/null
assert_eq "$(cat "$T/code")" "400" "a GET with a body"

# ---- simpleenroll: 202 + Retry-After first (4.2.3), then the certificate ---------------
e1=$(csr e1 /CN=E1/serialNumber=E1)
curl "${C[@]}" -D "$T/hdr" -o /dev/null -H 'content-type: application/pkcs10' -d "$e1" "$E/simpleenroll"
assert_match "$(head -n1 "$T/hdr")" ' 202' "the first enrolment is queued"
assert_match "$(grep -i '^retry-after:' "$T/hdr" | tr -d '\r')" '^[Rr]etry-[Aa]fter: 2$' "with Retry-After"
out=$(http "$T/code" -H 'content-type: application/pkcs10' -d "$e1" "$E/simpleenroll")
assert_eq "$(cat "$T/code")" "200" "asked again: issued"
base64 -d <<<"$out" | openssl pkcs7 -inform DER -print_certs >"$T/e1.pem"
assert_match "$(openssl x509 -in "$T/e1.pem" -noout -subject)" 'CN ?= ?E1, serialNumber ?= ?E1' "EST: the CSR's subject"
http "$T/code" -H 'content-type: application/json' -d "$e1" "$E/simpleenroll" >/dev/null
assert_eq "$(cat "$T/code")" "415" "a CSR without application/pkcs10"

# ---- simplereenroll (4.2.2) -----------------------------------------------------
out=$(http "$T/code" -H 'content-type: application/pkcs10' -d "$(csr e1b /CN=E1/serialNumber=E1)" "$E/simplereenroll")
assert_eq "$(cat "$T/code")" "200" "re-enrolment, same subject, a new key: $out"
base64 -d <<<"$out" | openssl pkcs7 -inform DER -print_certs >"$T/e1b.pem"
assert_eq "$(openssl x509 -in "$T/e1b.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum)" \
	"$(pub_of_key "$T/e1b.key")" "re-enrolled for the CSR's key"
out=$(http "$T/code" -H 'content-type: application/pkcs10' -d "$(csr x /CN=E1-renamed/serialNumber=E1)" "$E/simplereenroll")
assert_eq "$(cat "$T/code")" "400" "another Subject"
assert_match "$out" "Subject 'CN=E1-renamed, serialNumber=E1' is not the current certificate's 'CN=E1, serialNumber=E1'" "names both"
out=$(http "$T/code" -H 'content-type: application/pkcs10' \
	-d "$(csr x /CN=E1/serialNumber=E1 -addext subjectAltName=DNS:e1.example)" "$E/simplereenroll")
assert_eq "$(cat "$T/code")" "400" "a subjectAltName the current certificate lacks"
assert_match "$out" "subjectAltName \\(present\\) is not the current certificate's \\(none\\)" "the SAN half of 4.2.2"
# a certificate with a subjectAltName (the CSR's, carried over): the same one renews, another or none not
san() { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' '; }
out=$(http "$T/code" -H 'content-type: application/pkcs10' \
	-d "$(csr e2 /CN=E2/serialNumber=E2 -addext subjectAltName=DNS:e2.example)" "$E/simpleenroll")
assert_eq "$(cat "$T/code")" "200" "enrolment with a subjectAltName"
base64 -d <<<"$out" | openssl pkcs7 -inform DER -print_certs >"$T/e2.pem"
assert_eq "$(san "$T/e2.pem")" "DNS:e2.example" "the CSR's subjectAltName in the certificate"
out=$(http "$T/code" -H 'content-type: application/pkcs10' \
	-d "$(csr e2b /CN=E2/serialNumber=E2 -addext subjectAltName=DNS:e2.example)" "$E/simplereenroll")
assert_eq "$(cat "$T/code")" "200" "re-enrolment with the same subjectAltName: $out"
base64 -d <<<"$out" | openssl pkcs7 -inform DER -print_certs >"$T/e2b.pem"
assert_eq "$(san "$T/e2b.pem")" "DNS:e2.example" "kept in the renewed certificate"
out=$(http "$T/code" -H 'content-type: application/pkcs10' \
	-d "$(csr x /CN=E2/serialNumber=E2 -addext subjectAltName=DNS:other.example)" "$E/simplereenroll")
assert_eq "$(cat "$T/code")" "400" "another subjectAltName"
assert_match "$out" "subjectAltName differs from the current certificate's" "named"
out=$(http "$T/code" -H 'content-type: application/pkcs10' -d "$(csr x /CN=E2/serialNumber=E2)" "$E/simplereenroll")
assert_eq "$(cat "$T/code")" "400" "no subjectAltName where the certificate has one"
assert_match "$out" "subjectAltName \\(none\\) is not the current certificate's \\(present\\)" "named"
out=$(http "$T/code" -H 'content-type: application/pkcs10' -d "$(csr x /CN=N1/serialNumber=N1)" "$E/simplereenroll")
assert_eq "$(cat "$T/code")" "400" "re-enrolment of a serial never enrolled"
assert_match "$out" 'no current certificate' "its reason"

# ---- serverkeygen (4.4): the key and its certificate, multipart -------------------
out=$(curl "${C[@]}" -D "$T/hdr" -H 'content-type: application/pkcs10' -d "$(csr x /CN=S1/serialNumber=S1)" "$E/serverkeygen")
grep -qi '^content-type: multipart/mixed; boundary=' "$T/hdr" || fail "serverkeygen is not multipart: $(cat "$T/hdr")"
part() { tr -d '\r' <<<"$out" | awk -v t="$1" '/^Content-Type:/ { on = index($0, t) > 0; next } /^--/ { on = 0 } on && NF' | tail -n +2; }
tr -d '\r' <<<"$out" | grep -q '^Content-Type: application/pkcs8$' || fail "no application/pkcs8 part"
part application/pkcs8 | base64 -d >"$T/s1.p8"
openssl pkey -inform DER -in "$T/s1.p8" -out "$T/s1.key" 2>/dev/null || fail "the key part is not PKCS#8"
part application/pkcs7-mime | base64 -d | openssl pkcs7 -inform DER -print_certs >"$T/s1.pem"
assert_eq "$(openssl x509 -in "$T/s1.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum)" \
	"$(pub_of_key "$T/s1.key")" "the certificate is for the key served"
openssl verify -CAfile "$P/root-ca.crt" -untrusted "$P/intermediate-ca.crt" "$T/s1.pem" >/dev/null ||
	fail "serverkeygen's certificate does not chain"
http "$T/code" -X GET "$E/serverkeygen" >/dev/null
assert_eq "$(cat "$T/code")" "405" "GET serverkeygen"
http "$T/code" "$E/nosuch" >/dev/null
assert_eq "$(cat "$T/code")" "404" "an unknown EST route"
echo ok
