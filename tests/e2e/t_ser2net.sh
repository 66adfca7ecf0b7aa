#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/examples/ser2net.yaml as it is (the device and the TCP port replaced)
# serves a simulated board's console; the station reaches it as
# port: tcp:127.0.0.1:PORT, and a console flow passes over it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

command -v ser2net >/dev/null || fail "ser2net is not installed (make deps)"
# the snippet docs/fixtures.md shows is the example file's
python3 - "$ST_TOP/docs/fixtures.md" "$ST_TOP/docs/examples/ser2net.yaml" <<'PY' || fail "docs/fixtures.md and examples/ser2net.yaml differ"
import re, sys
doc, ex = open(sys.argv[1]).read(), open(sys.argv[2]).read()
m = re.search(r"### Consoles over the network.*?```yaml\n(.*?)```", doc, re.S)
sys.exit(0 if m and m.group(1) in ex else 1)
PY
line_setup
line_board a SIM001201 --image "$LINE/images/diag.bin"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|accepter: tcp,3001|accepter: tcp,127.0.0.1,$port|" \
	-e "s|serialdev,/dev/serial/by-id/[^,]*,|serialdev,$(readlink -f "$SIM_A_PTY"),|" \
	"$ST_TOP/docs/examples/ser2net.yaml" >"$LINE/ser2net.yaml"
grep -q "tcp,127.0.0.1,$port" "$LINE/ser2net.yaml" || fail "the example's accepter line changed: update this test"
grep -q "serialdev,/dev/pts/" "$LINE/ser2net.yaml" || fail "the example's connector line changed: update this test"
st_bg ser2net -n -u -c "$LINE/ser2net.yaml" -P "$LINE/ser2net.pid" >"$LINE/ser2net.log" 2>&1
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
sed -i "s|^port: .*|port: tcp:127.0.0.1:$port|" "$LINE/a.yaml"
cat >"$LINE/tcp.yaml" <<'YAML'
name: console-over-tcp
version: 1.0.0
steps:
  - name: power on into flash
    lines: {boot: off, power: on, settle: 20ms}
  - name: wait for the firmware banner
    console: {wait: '^diag [^ ]+ ready$'}
    timeout: 5s
  - name: firmware version
    console: {command: version, expect: '^diag 1\.4\.2'}
teardown:
  - name: power off
    lines: {power: off, boot: off, reset: off}
YAML
line_run --once --serial SIM001201 -s "$LINE/tcp.yaml" -f "$LINE/a.yaml"
cat "$LINE/run.err" >&2
assert_eq "$RUN_RC" "0" "a console flow over ser2net"
assert_eq "$(sql "$LINE_DB" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
	WHERE s.name = 'firmware version' AND v.key = 'response'")" "diag 1.4.2" "the board's answer came over TCP"
echo "ok"
