# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# A simulated production line for end-to-end tests of `station run`
# (source after lib.sh):
#   line_setup [CMS_FAULT...]   PKI, firmware images, cms-sim (HTTPS), station.yaml in $LINE
#   line_board NAME SERIAL [dut-sim args...]
#                               a board with an identity issued for SERIAL, and
#                               $LINE/NAME.yaml, its fixture definition
#   line_run ARGS...            bin/station run -c $LINE/station.yaml ARGS; exit code in $RUN_RC
#   line_cms_mtls NAME [ARGS...]  a v2 + EST cms-sim (mTLS, the intermediate as its CA, org
#                               acme) logging to $LINE/NAME.log, recording to $LINE/NAME.db;
#                               its port in $LINE/NAME.port; ARGS go to cms-sim
#   line_yaml_mtls NAME PROTO   station.yaml speaking PROTO (v2|est) to cms-sim NAME
#   LINE_DB                     the log
line_setup() {
	LINE=$(st_tmpdir)
	LINE_DB=$LINE/station.db
	"$BINDIR/mkpki" --out "$LINE/pki" --boards 0 --seed e2e >/dev/null
	mkdir -p "$LINE/images"
	"$BINDIR/mkimage" --kind diag --version 1.4.2 --size 8192 -o "$LINE/images/diag.bin" >/dev/null
	"$BINDIR/mkimage" --kind prod --version 2.0.1 --size 12288 -o "$LINE/images/prod.bin" >/dev/null
	echo "e2e-key-$RANDOM$RANDOM" >"$LINE/cms.key"
	local faults=()
	for f in "$@"; do faults+=(--fault "$f"); done
	st_bg "$BINDIR/cms-sim" --cert "$LINE/pki/cms-server.crt" --key "$LINE/pki/cms-server.key" \
		--trust "$LINE/pki/trust" --api-key "$(cat "$LINE/cms.key")" --port 0 \
		--port-file "$LINE/cms.port" "${faults[@]}" >"$LINE/cms.log" 2>&1
	for _ in $(seq 200); do [ -s "$LINE/cms.port" ] && break; sleep 0.05; done
	[ -s "$LINE/cms.port" ] || fail "cms-sim did not start: $(cat "$LINE/cms.log")"
	cat >"$LINE/station.yaml" <<YAML
station: e2e-station
log: station.db
trust: pki/trust
sequence: $ST_TOP/sequences/factory-provisioning.yaml
cms:
  url: https://127.0.0.1:$(cat "$LINE/cms.port")
  ca: pki/cms-ca.crt
  api_key_file: cms.key
  timeout: 5s
  attempts: 3
  backoff: 100ms
vars:
  images: $LINE/images
YAML
}

line_board() {
	local name=$1 serial=$2
	shift 2
	sim_start "$name" --fast --serial "$serial" --se-ca-cert "$LINE/pki/intermediate-ca.crt" \
		--se-ca-key "$LINE/pki/intermediate-ca.key" --se-ca-chain "$LINE/pki/chain.pem" "$@"
	local pty ctrl
	pty=$(_sim_var "$name" PTY)
	ctrl=$(_sim_var "$name" CTRL)
	cat >"$LINE/$name.yaml" <<YAML
name: $name
driver: sim
port: ${!pty}
ctrl: ${!ctrl}
baud: 115200
mode: 8N1
loader_mode: 8E1
YAML
}

line_cms_mtls() {
	local name=$1
	shift
	rm -f "$LINE/$name.port"
	st_bg "$BINDIR/cms-sim" --cert "$LINE/pki/cms-server.crt" --key "$LINE/pki/cms-server.key" \
		--trust "$LINE/pki/trust" --client-ca "$LINE/pki/client-ca.crt" --require-client-cert \
		--ca-cert "$LINE/pki/intermediate-ca.crt" --ca-key "$LINE/pki/intermediate-ca.key" \
		--org acme --port 0 --port-file "$LINE/$name.port" --db "$LINE/$name.db" "$@" \
		>"$LINE/$name.log" 2>&1
	for _ in $(seq 200); do [ -s "$LINE/$name.port" ] && break; sleep 0.05; done
	[ -s "$LINE/$name.port" ] || fail "cms-sim $name did not start: $(cat "$LINE/$name.log")"
}

line_yaml_mtls() {
	sed -i -e "s|^  url: .*|  url: https://127.0.0.1:$(cat "$LINE/$1.port")|" \
		-e "s|^  protocol: .*|  protocol: $2|" \
		-e "s|^  api_key_file: .*|  protocol: $2\n  org: acme\n  template_id: 1\n  client_cert: pki/station-client.crt\n  client_key: pki/station-client.key\n  validity_days: 365|" \
		"$LINE/station.yaml"
}

# A flow's head: NAME, the board powered, its banner, its identity read (for
# register); the test appends its own steps.
line_flow_head() {
	cat <<YAML
name: $1
version: 1.0.0
steps:
  - name: power on
    lines: {power: on}
  - name: banner
    console: {wait: '^diag [^ ]+ ready\$'}
  - name: read identity
    identity: {expect_serial: "\${serial}"}
YAML
}

# The flow's teardown (power off), then the flow run once on fixture a for
# SERIAL, its steps shown in the test's log; line_reason NAME: a step's.
line_flow_run() {
	printf 'teardown:\n  - name: power off\n    lines: {power: off}\n' >>"$LINE/flow.yaml"
	line_run --once --serial "$1" -s "$LINE/flow.yaml" -f "$LINE/a.yaml"
	sql "$LINE_DB" "SELECT name, outcome, reason FROM steps ORDER BY idx" | sed 's/^/  | /'
}
line_reason() { sql "$LINE_DB" "SELECT reason FROM steps WHERE name = '$1'"; }

line_run() {
	RUN_RC=0
	"$BINDIR/station" run -c "$LINE/station.yaml" "$@" >"$LINE/run.out" 2>"$LINE/run.err" || RUN_RC=$?
}
