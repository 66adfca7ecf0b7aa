# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# station serve against the simulated line (source after lib.sh and line.sh):
#   serve_setup             two boards, a (SIM000801) and b (SIM000802), and
#                           $LINE/serve.yaml: a flow that scans a serial matching
#                           ^SIM[0-9]{6}$ and checks it against the board's SE;
#                           vars hold=yes holds a run in a 60 s delay (to stop it)
#   serve_start [ARGS...]   bin/station serve -c $LINE/serve.yaml --listen 127.0.0.1:0
#                           ARGS in the background; waits until it listens; exports
#                           STATION (its URL), SERVE_PID, SERVE_OUT, SERVE_ERR
#   serve_stop              SIGTERM, wait; its exit status in SERVE_RC
#   api METHOD PATH [BODY]  curl; prints the body, then the status on a line of its own
#   doc_yaml KEY            the ```yaml block of docs/api.md that begins KEY:
#   doc_example NAME        the ```sh block of docs/api.md whose first line is
#                           "# example: NAME"
#   mes_start [ARGS...]     tools/mes-sim (ARGS: --refuse SERIAL=REASON, --port N) logging
#                           every request to $MES_LOG; waits until it listens; MES_PID,
#                           MES_PORT (its port)
#   mes_stop                ends it
#   mes_yaml BASE OUT [LINE...]  BASE (a station.yaml) with docs/api.md's mes: section
#                           pointed at mes-sim's MES_PORT (no ca, no token, timeout 2s)
#                           and LINEs under mes: after it, into OUT
serve_setup() {
	line_setup
	line_board a SIM000801 --image "$LINE/images/diag.bin"
	line_board b SIM000802 --image "$LINE/images/diag.bin"
	cat >"$LINE/scan.yaml" <<'YAML'
name: scan-and-identify
version: 1.0.0
vars:
  hold: "no"
steps:
  - name: scan the board serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^SIM[0-9]{6}$'}
  - name: power on into flash
    lines: {boot: off, power: on, settle: 20ms}
  - name: held for the test
    when: ${hold} == yes
    delay: 60s
  - name: reset
    lines: {reset: pulse, pulse: 20ms}
  - name: wait for the firmware banner
    console: {wait: '^diag [^ ]+ ready$'}
    timeout: 5s
  - name: read and verify SE identity
    identity: {expect_serial: "${serial}"}
teardown:
  - name: power off
    lines: {power: off, boot: off, reset: off}
YAML
	{
		grep -v '^sequence:' "$LINE/station.yaml"
		echo "sequence: scan.yaml"
		echo "fixtures: [a.yaml, b.yaml]"
	} >"$LINE/serve.yaml"
}

serve_start() {
	SERVE_OUT=$LINE/serve.out SERVE_ERR=$LINE/serve.err
	"$BINDIR/station" serve -c "$LINE/serve.yaml" --listen 127.0.0.1:0 "$@" \
		>"$SERVE_OUT" 2>"$SERVE_ERR" &
	SERVE_PID=$!
	echo "$SERVE_PID" >>"$ST_REG/pids"
	for _ in $(seq 200); do
		grep -q '^station serve: listening on ' "$SERVE_OUT" && break
		kill -0 "$SERVE_PID" 2>/dev/null || fail "station serve exited at start: $(cat "$SERVE_ERR")"
		sleep 0.05
	done
	STATION=$(grep -o 'https\?://[^ ]*' "$SERVE_OUT") || fail "station serve did not say where it listens"
	export STATION SERVE_PID SERVE_OUT SERVE_ERR
}

serve_stop() {
	SERVE_RC=0
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID" || SERVE_RC=$?
}

api() {
	local args=(-s -S --max-time 60 -w '\n%{http_code}\n' -X "$1" "$STATION$2")
	[ $# -ge 3 ] && args+=(--data-binary "$3")
	curl "${args[@]}"
}

# field JSON KEY...: a value from a JSON document (python3 stdlib)
field() {
	python3 -c 'import json,sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print("null" if v is None else v)' "$@"
}

# wait_state NAME STATE: until GET /api/v1/fixtures/NAME says STATE
wait_state() {
	local s=
	for _ in $(seq 300); do
		s=$(field "$(curl -s "$STATION/api/v1/fixtures/$1")" state)
		[ "$s" = "$2" ] && return 0
		sleep 0.05
	done
	fail "fixture $1: state '$s', never '$2'"
}

doc_example() {
	awk -v n="# example: $1" '/^```sh$/ { on = 1; first = 1; next }
		/^```$/ { on = 0; take = 0 }
		on && first { first = 0; take = ($0 == n); next }
		on && take' "$ST_TOP/docs/api.md"
}

doc_yaml() {
	awk -v k="$1:" '/^```yaml$/ { on = 1; first = 1; next }
		/^```$/ { on = 0; take = 0 }
		on && first { first = 0; take = ($0 == k) }
		on && take' "$ST_TOP/docs/api.md"
}

mes_start() {
	MES_LOG=$LINE/mes.log
	rm -f "$LINE/mes.port"
	st_bg "$BINDIR/mes-sim" --port-file "$LINE/mes.port" --log "$MES_LOG" "$@"
	MES_PID=$!
	for _ in $(seq 200); do [ -s "$LINE/mes.port" ] && break; sleep 0.05; done
	[ -s "$LINE/mes.port" ] || fail "mes-sim did not start"
	MES_PORT=$(cat "$LINE/mes.port")
}

mes_stop() {
	kill "$MES_PID"
	wait "$MES_PID" 2>/dev/null || true
}

mes_yaml() {
	local base=$1 out=$2
	shift 2
	{
		echo "$base"
		doc_yaml mes | sed -e "s|url: .*|url: http://127.0.0.1:$MES_PORT|" \
			-e '/^  ca:/d' -e '/^  token_file:/d' -e 's|timeout: 5s|timeout: 2s|'
		for l; do echo "  $l"; done
	} >"$out"
	grep -q '^  operation: final-test' "$out" || fail "docs/api.md has no mes: example"
}
