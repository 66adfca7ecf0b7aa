#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Who may reach station serve (docs/api.md, "Access"): a listen on a
# non-loopback address is refused without HTTPS, without an API token,
# and with a token too short to guard anything, each saying what to set,
# before a fixture is touched; a certificate that is not PEM is refused.
# With both, it serves HTTPS only, and every request needs the token
# (Bearer, or ?token= for the panel's event stream): none or a wrong one
# is 401 and logged.  A token on loopback is required there too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

serve_setup
token=$(openssl rand -hex 24)
echo "$token" >"$LINE/api.token"
echo "short" >"$LINE/short.token"
: >"$LINE/empty.token"
base=$(cat "$LINE/serve.yaml")
with() {	# YAML lines for serve:, one per argument
	{ echo "$base"; [ $# = 0 ] || echo "serve:"; for l; do echo "  $l"; done; } >"$LINE/serve.yaml"
}
refuse() {	# WANT-STATUS REGEX ARGS...
	local want=$1 re=$2 rc=0
	shift 2
	"$BINDIR/station" serve -c "$LINE/serve.yaml" "$@" >"$LINE/refused.out" 2>"$LINE/refused.err" || rc=$?
	assert_eq "$rc" "$want" "exit status ($*): $(cat "$LINE/refused.err")"
	assert_match "$(cat "$LINE/refused.err")" "$re" "the refusal ($*)"
	grep -q listening "$LINE/refused.out" && fail "it listened anyway ($*)"
	return 0
}

with
refuse 2 'station serve: 0.0.0.0:0 is not a loopback address: .* needs HTTPS \(tls_cert and tls_key\) and an API token \(token_file\)' --listen 0.0.0.0:0
with "tls_cert: pki/cms-server.crt" "tls_key: pki/cms-server.key"
refuse 2 'needs an API token \(token_file\) \(serve: in station.yaml\)' --listen 0.0.0.0:0
with "token_file: api.token"
refuse 2 'needs HTTPS \(tls_cert and tls_key\) \(serve: in station.yaml\)' --listen 0.0.0.0:0
with "tls_cert: pki/cms-server.crt" "tls_key: pki/cms-server.key" "token_file: short.token"
refuse 3 'the API token in .*short.token is shorter than 16 characters' --listen 0.0.0.0:0
with "tls_cert: pki/cms-server.crt" "tls_key: pki/cms-server.key" "token_file: empty.token"
refuse 3 'the API token file .*empty.token is empty' --listen 0.0.0.0:0
with "tls_cert: api.token" "tls_key: pki/cms-server.key" "token_file: api.token"
refuse 3 'tls_cert .*api.token: not a PEM file' --listen 0.0.0.0:0
with "tls_cert: pki/cms-server.crt" "token_file: api.token"
refuse 3 'tls_cert and tls_key go together' --listen 0.0.0.0:0
assert_eq "$(grep -c 'set power' "$SIM_A_LOG" || true)" 0 "no fixture touched by a refused start"

# both, as docs/api.md writes them: HTTPS on every address, the token on
# every request
cp "$LINE/pki/cms-server.crt" "$LINE/panel.crt"
cp "$LINE/pki/cms-server.key" "$LINE/panel.key"
cp "$LINE/pki/cms-ca.crt" "$LINE/ca.crt"
{ echo "$base"; doc_yaml serve; } >"$LINE/serve.yaml"
grep -q '^  token_file: api.token' "$LINE/serve.yaml" || fail "docs/api.md has no serve: example"
serve_start --listen 0.0.0.0:0
assert_match "$STATION" '^https://0\.0\.0\.0:[0-9]+$' "HTTPS on 0.0.0.0"
url=${STATION/0.0.0.0/127.0.0.1}
c=(curl -s --max-time 10 --cacert "$LINE/pki/cms-ca.crt" -o "$LINE/body" -w '%{http_code}')
assert_eq "$("${c[@]}" "$url/api/v1/fixtures" || true)" 401 "no token"
assert_match "$(cat "$LINE/body")" '"status":401,"message":"this station needs its API token' "401 says why"
assert_eq "$("${c[@]}" -H "Authorization: Bearer x$token" "$url/api/v1/fixtures" || true)" 401 "a wrong token"
assert_eq "$("${c[@]}" -H "Authorization: Bearer ${token:0:20}" "$url/api/v1/fixtures" || true)" 401 "a token's prefix"
assert_eq "$("${c[@]}" -X POST -d '{"serial":"SIM000801"}' "$url/api/v1/fixtures/a/start" || true)" 401 "a start without the token"
assert_eq "$("${c[@]}" -H "Authorization: Bearer $token" "$url/api/v1/fixtures" || true)" 200 "the token"
assert_eq "$("${c[@]}" --max-time 2 "$url/api/v1/events?token=$token" || true)" 200 "the token in the query (EventSource)"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "${url/https/http}/api/v1/fixtures" || true)
[ "$code" = 200 ] && fail "plain HTTP answered on a TLS listener"
out=$(cd "$LINE" && STATION=$url bash -c "$(doc_example token)")
assert_match "$out" '"fixtures":\[\{"name":"a"' "the doc's token example"
# the panel's files hold no data: a browser loads them without the token
for f in / /panel.js /panel.css; do
	assert_eq "$("${c[@]}" "$url$f" || true)" 200 "the panel's $f without the token"
done
grep -q 'new EventSource' "$LINE/body" && fail "panel.css served the script"
hdr=$(curl -s --cacert "$LINE/pki/cms-ca.crt" -D - -o /dev/null "$url/")
assert_match "$hdr" "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'" "the panel's CSP"
assert_match "$hdr" "Content-Type: text/html; charset=utf-8" "the panel's type"
assert_eq "$("${c[@]}" -X POST "$url/" || true)" 401 "only a GET of the panel is open"
grep -q 'refused, no valid API token' "$SERVE_ERR" || fail "the refusals are not logged"
grep -qF "$token" "$SERVE_ERR" "$SERVE_OUT" && fail "the token was logged"
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs")" 0 "no run started without the token"
serve_stop

# a token on loopback is required there too
with "token_file: api.token"
serve_start
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$STATION/api/v1/fixtures")" 401 "loopback with a token file"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$STATION/api/v1/fixtures")" 200 "loopback with the token"
serve_stop
echo "ok: non-loopback refused without HTTPS, without a token, with a short one; HTTPS + token enforced"
