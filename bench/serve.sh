#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station serve under load (docs/api.md, "Bounds"): two fixtures on dut-sim
# (--fast) run units of 100 short steps (202 events each) started over the
# API while 50 event streams, each from its own loopback address, read every
# event; then 80 connections from one address (more than the 64 the server holds) send their request a byte a
# second (a slow-loris) while another address asks for the fixtures.  Lines
# "figure|value|target|verdict" for bench/run's table (bench/serve_load.py
# measures); run alone it prints them.   UNITS=N per fixture (default 10)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BINDIR=${BINDIR:-$TOP/bin}
W=$(mktemp -d "${TMPDIR:-/tmp}/st-bench-serve.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
for n in a b; do
	"$BINDIR/dut-sim" --fast --pty "$W/$n.pty" --ctrl "$W/$n.ctl" --log "$W/$n.log" >"$W/$n.out" 2>&1 &
	PIDS+=($!)
	printf 'name: %s\ndriver: sim\nport: %s\nctrl: %s\nbaud: 115200\nmode: 8N1\n' \
		"$n" "$W/$n.pty" "$W/$n.ctl" >"$W/$n.yaml"
done
for n in a b; do
	for _ in $(seq 200); do grep -qx ready "$W/$n.out" 2>/dev/null && break; sleep 0.05; done
done
{
	echo "name: bench-events"
	echo "version: 1.0.0"
	echo "steps:"
	for i in $(seq 100); do echo "  - {name: step $i, delay: 1ms}"; done
} >"$W/seq.yaml"
printf 'station: bench\nlog: %s/station.db\nsequence: %s/seq.yaml\nfixtures: [%s/a.yaml, %s/b.yaml]\n' \
	"$W" "$W" "$W" "$W" >"$W/station.yaml"
"$BINDIR/station" serve -c "$W/station.yaml" --listen 127.0.0.1:0 \
	>"$W/serve.out" 2>"$W/serve.err" &
SERVE=$!
PIDS+=("$SERVE")
for _ in $(seq 200); do grep -q listening "$W/serve.out" && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*' "$W/serve.out") || { cat "$W/serve.err" >&2; exit 1; }
python3 "$TOP/bench/serve_load.py" "$url" "$SERVE" "${UNITS:-10}"
