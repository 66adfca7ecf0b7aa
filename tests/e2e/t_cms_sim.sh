#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cms-sim and mkpki seen by clients nobody here wrote: curl (OpenSSL) speaks
# to cms-sim's HTTPS API and openssl checks mkpki's certificates.  The
# station's own client is driven by build/tests/test_cms_live.
set -euo pipefail
BINDIR=${BINDIR:-bin}
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- mkpki: complete, verifiable, idempotent --------------------------------
"$BINDIR/mkpki" --out "$T/pki" --boards 2 --seed e2e >/dev/null
P=$T/pki
for f in root-ca intermediate-ca cms-ca cms-server board-1 board-2 expired unknown-root \
	 unknown-root-ca no-serial ca-leaf p384 mismatch clone; do
	[ -s "$P/$f.crt" ] && [ -s "$P/$f.key" ] || fail "mkpki did not write $f.crt/.key"
done
[ -s "$P/chain.pem" ] && [ -s "$P/trust/root-ca.crt" ] || fail "no chain.pem or trust/"
again=$("$BINDIR/mkpki" --out "$P" --boards 2 --seed e2e)
[[ "$again" == *"(0 files written"* ]] || fail "second mkpki run rewrote files: $again"
openssl verify -CAfile "$P/trust/root-ca.crt" -untrusted "$P/board-1.chain.pem" \
	"$P/board-1.crt" >/dev/null || fail "board-1 does not verify with openssl"
openssl verify -CAfile "$P/cms-ca.crt" "$P/cms-server.crt" >/dev/null || fail "cms-server"
! openssl verify -CAfile "$P/trust/root-ca.crt" -untrusted "$P/unknown-root.chain.pem" \
	"$P/unknown-root.crt" >/dev/null 2>&1 || fail "unknown-root verified"
txt=$(openssl x509 -in "$P/board-2.crt" -noout -text)
grep -q 'serialNumber = SIM000002' <<<"$txt" || fail "board-2 has no 802.1AR serialNumber"
grep -q '1.3.6.1.5.5.7.1.32' <<<"$txt" || fail "board-2 has no MASA URL extension"
grep -q 'NIST CURVE: P-384' < <(openssl x509 -in "$P/p384.crt" -noout -text) || fail "p384"
[ "$(openssl x509 -in "$P/mismatch.crt" -noout -pubkey)" != \
  "$(openssl pkey -in "$P/mismatch.key" -pubout)" ] || fail "mismatch key matches"
cmp -s "$P/clone.crt" "$P/board-1.crt" || fail "clone is not board-1's certificate"
# The MASA URL value is a DER IA5String (tag 0x16), RFC 8995 section 2.3.2.
openssl asn1parse -in "$P/board-1.crt" | grep -A1 ':1.3.6.1.5.5.7.1.32' | grep -q '\[HEX DUMP\]:16' \
	|| fail "MASA URL is not an IA5String"

# --- cms-sim over HTTPS ------------------------------------------------------
start() {
	rm -f "$T/port"
	"$BINDIR/cms-sim" --cert "$P/cms-server.crt" --key "$P/cms-server.key" \
		--trust "$P/trust" --api-key k3y --port 0 --port-file "$T/port" \
		--db "$T/db.jsonl" "$@" >"$T/sim.out" 2>>"$T/sim.err" &
	PID=$!
	for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
	[ -s "$T/port" ] || fail "cms-sim did not start: $(cat "$T/sim.err")"
	U=https://localhost:$(cat "$T/port")
	grep -q "listening on 127.0.0.1:$(cat "$T/port")" "$T/sim.out" || fail "no listening line"
}
# cms-sim ends cleanly on SIGTERM: exit 0 (under ASan, also no leaks).
stop() { kill "$PID"; local rc=0; wait "$PID" || rc=$?; PID=; [ $rc = 0 ] || fail "cms-sim exited $rc"; }
# call METHOD PATH [BODYFILE] [curl args] -> prints "STATUS BODY"
call() {
	local m=$1 p=$2 f=${3:-}; shift 3 || shift $#
	local args=(-sS --cacert "$P/cms-ca.crt" -o "$T/resp" -w '%{http_code}' -X "$m"
		    -H 'Authorization: Bearer k3y' -H 'Content-Type: application/json')
	[ -n "$f" ] && args+=(--data-binary "@$f")
	local code; code=$(curl "${args[@]}" "$@" "$U$p")
	echo "$code $(cat "$T/resp")"
}
# JSON without jq: PEM lines joined with \n (PEM holds no quotes or backslashes).
pem() { awk 'BEGIN { ORS = "" } { print $0 "\\n" }' "$1"; }
body() { # serial identity [omit chip_serial]
	local chip='"chip_serial":"C1",'; [ -n "${3:-}" ] && chip=
	printf '{"serial":"%s",%s"certificate":"%s","chain":"%s","station":"e2e","fixture":"f1"}' \
		"$1" "$chip" "$(pem "$P/$2.crt")" "$(pem "$P/$2.chain.pem")"
}
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
expect() { [[ "$2" == "$1"* ]] || fail "expected $1, got: $2"; }

start
expect "200 {\"status\":\"ok\"}" "$(call GET /health)"
body SIM000001 board-1 >"$T/b1"; body SIM000001 board-2 >"$T/b2"; body SIM000009 clone >"$T/cl"
body SIM900002 unknown-root >"$T/ur"; body SIM900001 expired >"$T/ex"
r=$(call POST /api/v1/identities "$T/b1"); expect 201 "$r"
id=$(field id <<<"$r"); [ "$id" = reg-000001 ] || fail "id $id"
expect "200" "$(call POST /api/v1/identities "$T/b1")"
[[ "$(call POST /api/v1/identities "$T/b1")" == *already-registered* ]] || fail "not idempotent"
expect 409 "$(call POST /api/v1/identities "$T/b2")"
expect 409 "$(call POST /api/v1/identities "$T/cl")"
expect 400 "$(call POST /api/v1/identities "$T/ur")"
expect 400 "$(call POST /api/v1/identities "$T/ex")"
expect 401 "$(call POST /api/v1/identities "$T/b1" -H 'Authorization: Bearer nope')"
printf '{"serial":"x"' >"$T/bad"; expect 400 "$(call POST /api/v1/identities "$T/bad")"
body SIM000001 board-1 omit >"$T/miss"
[[ "$(call POST /api/v1/identities "$T/miss")" == *chip_serial* ]] || fail "missing field"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"; expect 413 "$(call POST /api/v1/identities "$T/big")"
expect 431 "$(call GET /health '' -H "X-Pad: $(head -c 9000 /dev/zero | tr '\0' 'p')")"
expect 501 "$(call POST /api/v1/identities "$T/b1" -H 'Transfer-Encoding: chunked')"
r=$(call GET /api/v1/identities/SIM000001); expect 200 "$r"
[ "$(field fingerprint <<<"$r")" = \
  "$(openssl x509 -in "$P/board-1.crt" -outform DER | sha256sum | cut -d' ' -f1)" ] \
	|| fail "fingerprint differs from openssl's"
expect 404 "$(call GET /api/v1/identities/SIM424242)"
stop

# A restarted CMS remembers (--db), so a retried registration is not doubled.
start
[[ "$(call POST /api/v1/identities "$T/b1")" == "200 "*already-registered* ]] || fail "forgot"
stop
[ "$(wc -l <"$T/db.jsonl")" = 1 ] || fail "db holds $(wc -l <"$T/db.jsonl") records, want 1"

# Fault switches: status, fail-first (POSTs only; /health is never faulted).
start --fault status=500
expect 500 "$(call POST /api/v1/identities "$T/b1")"
expect 200 "$(call GET /health)"
stop
start --fault fail-first=1
expect 503 "$(call POST /api/v1/identities "$T/b1")"
expect 200 "$(call POST /api/v1/identities "$T/b1")"
stop
start --fault close
! curl -sS --cacert "$P/cms-ca.crt" -H 'Authorization: Bearer k3y' "$U/api/v1/identities/x" \
	2>"$T/cerr" || fail "close answered"
grep -qi 'empty reply' "$T/cerr" || fail "close: $(cat "$T/cerr")"
stop
! grep -q k3y "$T/sim.err" || fail "cms-sim logged the API key"
echo "t_cms_sim: ok"
