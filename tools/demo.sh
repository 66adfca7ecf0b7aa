#!/usr/bin/env bash
# make demo: the whole factory flow on simulated fixtures.
#
# Builds a simulated manufacturer PKI, two firmware images, starts the CMS
# simulator (HTTPS) and one simulated board per fixture (each with its own
# secure-element identity), then runs sequences/factory-provisioning.yaml on
# all fixtures at once.  Device timing is modelled (115200 baud, 8E1, flash
# programming and erase times), so this takes a little while, as a real line
# would.  The log is left in demo/station.db (DEMO_DIR=DIR: elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
BINDIR=${BINDIR:-bin}
case $BINDIR in /*) ;; *) BINDIR=$top/$BINDIR ;; esac
N=${DEMO_FIXTURES:-2}
D=${DEMO_DIR:-$top/demo}
case $D in /*) ;; *) D=$PWD/$D ;; esac
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

rm -rf "$D"
mkdir -p "$D/pki" "$D/images" "$D/run" "$D/fixtures"
"$BINDIR/mkpki" --out "$D/pki" --boards 0 >/dev/null
"$BINDIR/mkimage" --kind diag --version 1.4.2 --size 32768 -o "$D/images/diag.bin"
"$BINDIR/mkimage" --kind prod --version 2.0.1 --size 65536 -o "$D/images/prod.bin"

# The CMS: a real HTTPS server with its own TLS CA; the API key stays in a file.
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$D/cms.key"
chmod 600 "$D/cms.key"
"$BINDIR/cms-sim" --cert "$D/pki/cms-server.crt" --key "$D/pki/cms-server.key" \
	--trust "$D/pki/trust" --api-key "$(cat "$D/cms.key")" --port 0 \
	--port-file "$D/run/cms.port" --db "$D/run/cms-registrations.jsonl" \
	>"$D/run/cms-sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$D/run/cms.port" ] && break; sleep 0.05; done
[ -s "$D/run/cms.port" ] || { echo "demo: cms-sim did not start (see $D/run/cms-sim.log)"; exit 1; }
port=$(cat "$D/run/cms.port")

# One simulated board per fixture, each with an identity issued by the
# manufacturer's intermediate CA for its own serial number.
fixtures=""
for i in $(seq "$N"); do
	serial=$(printf 'SIM%06d' $((100 + i)))
	"$BINDIR/dut-sim" --pty "$D/run/fx$i.pty" --ctrl "$D/run/fx$i.ctrl" --serial "$serial" \
		--se-ca-cert "$D/pki/intermediate-ca.crt" --se-ca-key "$D/pki/intermediate-ca.key" \
		--se-ca-chain "$D/pki/chain.pem" --log "$D/run/dut-sim-$i.log" \
		>"$D/run/dut-sim-$i.out" 2>&1 &
	pids+=($!)
	cat > "$D/fixtures/fx$i.yaml" <<YAML
name: fx$i
driver: sim
port: $D/run/fx$i.pty
ctrl: $D/run/fx$i.ctrl
baud: 115200
mode: 8N1
loader_mode: 8E1
YAML
	fixtures+="  - fixtures/fx$i.yaml"$'\n'
done
for i in $(seq "$N"); do
	for _ in $(seq 100); do grep -q ready "$D/run/dut-sim-$i.out" 2>/dev/null && break; sleep 0.05; done
	grep -q ready "$D/run/dut-sim-$i.out" || { echo "demo: dut-sim $i did not start"; cat "$D/run/dut-sim-$i.out"; exit 1; }
done

cat > "$D/station.yaml" <<YAML
station: demo-station
log: station.db
trust: pki/trust
sequence: $top/sequences/factory-provisioning.yaml
cms:
  url: https://127.0.0.1:$port
  ca: pki/cms-ca.crt
  api_key_file: cms.key
  timeout: 10s
  attempts: 3
vars:
  images: $D/images
fixtures:
$fixtures
YAML

echo "== station run: factory provisioning on $N simulated fixtures"
set +e
"$BINDIR/station" run -c "$D/station.yaml" --once --operator demo
rc=$?
set -e
echo
echo "== the log: $D/station.db"
sqlite3 -header -column "$D/station.db" \
	"SELECT unit_serial, fixture, outcome, sequence_name, sequence_version FROM runs ORDER BY started_us;"
echo
sqlite3 -header -column "$D/station.db" \
	"SELECT r.unit_serial, i.cert_serial, i.chip_serial, c.status AS cms, c.cms_id
	   FROM runs r JOIN identities i ON i.run_id = r.id
	   LEFT JOIN cms_registrations c ON c.run_id = r.id ORDER BY r.started_us;"
echo
sqlite3 -header -column "$D/station.db" \
	"SELECT r.unit_serial, m.name, printf('%.3f', m.value) AS value, m.unit, m.low, m.high, m.outcome
	   FROM v_measurements m JOIN runs r ON r.id = m.run_id WHERE m.value IS NOT NULL
	  ORDER BY r.started_us, m.id;"
echo
sqlite3 -header -column "$D/station.db" \
	"SELECT r.unit_serial, substr(g.path, length(g.path) - 7) AS image, g.size, g.sha256
	   FROM images g JOIN runs r ON r.id = g.run_id ORDER BY r.started_us, g.id;"
echo
echo "Query it yourself, e.g.:"
echo "  sqlite3 $D/station.db 'SELECT * FROM v_yield'"
echo "  $BINDIR/station report --db $D/station.db"
echo "  $BINDIR/station trace --db $D/station.db SIM000101"
exit $rc
