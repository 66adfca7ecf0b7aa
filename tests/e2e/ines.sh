# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# A v2 (INeS) CMS and boards holding mkpki's IDevIDs, for the tests that
# speak to cms-sim as the seed's demo client does (source after line.sh):
#   ines_setup N      line_setup without its v1 cms-sim; mkpki with N boards in $P;
#                     a free $PORT for the CMS
#   cms_start [ARGS]  the v2 CMS on $PORT (mTLS, the manufacturer intermediate
#                     as its CA), recording to $LINE/cms.jsonl; cms_stop
#   ines_board NAME I [ARGS]  a board holding mkpki's IDevID board-I (serial
#                     SIM00000I); ARGS to dut-sim
#   ines_yaml SEQ [IDENTITY]  $LINE/station.yaml: the v2 CMS, sequence SEQ, and
#                     IDENTITY (lines of station.yaml's identity: block) when given
ines_setup() {
	line_setup
	kill "$!" # line_setup's v1 cms-sim: these tests run their own
	P=$LINE/pki
	"$BINDIR/mkpki" --out "$P" --boards "$1" --seed e2e >/dev/null || fail "mkpki --boards $1"
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	CMS_PID=
}

cms_start() {
	rm -f "$LINE/cms.port"
	"$BINDIR/cms-sim" --cert "$P/cms-server.crt" --key "$P/cms-server.key" --trust "$P/trust" \
		--client-ca "$P/client-ca.crt" --ca-cert "$P/intermediate-ca.crt" \
		--ca-key "$P/intermediate-ca.key" --org acme --port "$PORT" \
		--port-file "$LINE/cms.port" --db "$LINE/cms.jsonl" "$@" >>"$LINE/cms.log" 2>&1 &
	CMS_PID=$!
	echo "$CMS_PID" >>"$ST_REG/pids"
	for _ in $(seq 200); do [ -s "$LINE/cms.port" ] && break; sleep 0.05; done
	[ -s "$LINE/cms.port" ] || fail "cms-sim did not start: $(cat "$LINE/cms.log")"
}
cms_stop() { kill "$CMS_PID"; wait "$CMS_PID" 2>/dev/null || true; CMS_PID=; }

ines_board() {
	local name=$1 i=$2 pty ctrl
	shift 2
	sim_start "$name" --fast --serial "$(printf 'SIM%06d' "$i")" --se-cert "$P/board-$i.crt" \
		--se-key "$P/board-$i.key" --se-chain "$P/board-$i.chain.pem" "$@"
	pty=$(_sim_var "$name" PTY)
	ctrl=$(_sim_var "$name" CTRL)
	printf 'name: %s\ndriver: sim\nport: %s\nctrl: %s\nbaud: 115200\nmode: 8N1\nloader_mode: 8E1\n' \
		"$name" "${!pty}" "${!ctrl}" >"$LINE/$name.yaml"
}

ines_yaml() {
	{
		cat <<YAML
station: e2e-station
log: station.db
trust: pki/trust
sequence: $1
cms:
  url: https://127.0.0.1:$PORT
  ca: pki/cms-ca.crt
  protocol: v2
  org: acme
  template_id: 1
  client_cert: pki/station-client.crt
  client_key: pki/station-client.key
  timeout: 5s
  attempts: 2
  backoff: 100ms
vars:
  images: $LINE/images
YAML
		[ -z "${2:-}" ] || printf 'identity:\n%s\n' "$2"
	} >"$LINE/station.yaml"
}
