#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The central store under load: a real PostgreSQL (Debian's server, in a
# temp dir, as nobody when root, fsync on), 16 stations.
#  - backlog: 16 logs of BENCH_CENTRAL_RUNS runs each (20 measurements a
#    run, made by bench/report_1m gen) drained at once by 16 `station
#    central sync` (run again when one fails, as a station's forwarder
#    retries; the failures counted): runs/s sustained into the store;
#  - live: 16 stations each running BENCH_CENTRAL_UNITS units on dut-sim
#    (--fast) while forwarding: lag from a run's end to its commit in the
#    store (received_us - ended_us), mean and max.
# Lines "name|value|target|verdict" for bench/run's table; alone, prints them.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
BUILD=${BUILD:-build}
BINDIR=${BINDIR:-$TOP/bin}
N=${BENCH_CENTRAL_RUNS:-500}
U=${BENCH_CENTRAL_UNITS:-3}
S=16
W=$(mktemp -d "${TMPDIR:-/tmp}/st-bench-central.XXXXXX")
chmod 755 "$W"
PG_BIN=$(pg_config --bindir)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	as_pg "$PG_BIN/pg_ctl" -D "$W/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/data" "$W/sock"
[ "$(id -u)" = 0 ] && chown nobody "$W/data" "$W/sock"
as_pg "$PG_BIN/initdb" -D "$W/data" -U postgres -A trust >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$W/data" -l "$W/sock/log" -w \
	-o "-k $W/sock -c listen_addresses= -c max_connections=64" start >/dev/null
psql -q -h "$W/sock" -U postgres -d postgres -c "CREATE DATABASE central" >/dev/null
URL="postgresql:///central?host=$W/sock&user=postgres"
"$BINDIR/station" central migrate --url "$URL" >/dev/null
q() { psql -X -A -t -h "$W/sock" -U postgres -d central -c "$1"; }
# every station forwards as a writer login of its own (the server trusts the
# socket: no passwords), bound to its station name where the store binds
# them (version 10: row-level security checks every row a station inserts)
for i in $(seq $S); do
	q "CREATE ROLE st$i LOGIN IN ROLE station_writer; CREATE ROLE live$i LOGIN IN ROLE station_writer" >/dev/null
done
if [ "$(q "SELECT to_regclass('central_stations') IS NOT NULL")" = t ]; then
	q "INSERT INTO central_stations (login, station) SELECT p || i, p || i
		FROM generate_series(1, $S) i, (VALUES ('st'), ('live')) v(p)" >/dev/null
fi
wurl() { echo "postgresql:///central?host=$W/sock&user=$1"; }

# --- backlog: 16 logs drained at once
# the generator is bench/report_1m.sh's (it links the report library too)
make -s BUILD="$BUILD" "$BUILD/libreport.a" "$BUILD/libdb.a" "$BUILD/libcommon.a" >&2
# shellcheck disable=SC2046
cc -std=c17 -D_GNU_SOURCE -I"$TOP" -O2 -o "$W/gen" bench/report_1m.c "$BUILD/libreport.a" \
	"$BUILD/libdb.a" "$BUILD/libcommon.a" \
	$(pkg-config --libs libserialport libftdi1 sqlite3 libcurl yaml-0.1 jansson) \
	-lmbedtls -lmbedx509 -lmbedcrypto -lpthread -lm
# each station its own units (the generator starts every log from the same
# serials): 16 real stations, each unit's first run on its own station
for i in $(seq $S); do
	"$W/gen" gen "$W/st$i.db" "$N" >/dev/null
	sqlite3 "$W/st$i.db" "UPDATE runs SET station = 'st$i', unit_serial = 'st$i-' || unit_serial"
done
# a sync that fails (a deadlock between stations) is run again, as a
# station's forwarder retries; the failed ones are counted
drain() {
	local i=$1 tries=0
	until "$BINDIR/station" central sync --url "$(wurl "st$i")" --db "$W/st$i.db" >>"$W/sync$i.out" 2>&1; do
		tries=$((tries + 1))
		[ "$tries" -lt 500 ] || return 1
	done
	echo "$tries" >"$W/retries$i"
}
t0=$(date +%s.%N)
for i in $(seq $S); do
	drain "$i" &
	PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p" || { tail -n 5 "$W"/sync*.out >&2; exit 1; }; done
PIDS=()
t1=$(date +%s.%N)
retries=$(cat "$W"/retries* | awk '{ n += $1 } END { print n + 0 }')
got=$(q "SELECT count(*) FROM runs")
[ "$got" = $((S * N)) ] || { echo "central bench: $got runs in the store, want $((S * N))" >&2; exit 1; }
rate=$(awk -v n="$got" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
meas=$(q "SELECT count(*) FROM measurements")
echo "central: 16 stations draining ${N} runs each (20 meas/run)|${rate} runs/s ($meas measurements, $retries failed syncs retried)||"

# --- live: 16 stations forwarding while they test
q "TRUNCATE runs, steps, measurements, run_files, images, identities, identity_trust,
	run_anchors, cms_registrations, step_values, suspects, events" >/dev/null
"$BINDIR/mkimage" --kind diag --version 1.4.2 --size 8192 -o "$W/diag.bin" >/dev/null
cp tests/e2e/central-seq.yaml "$W/seq.yaml"
for i in $(seq $S); do
	"$BINDIR/dut-sim" --pty "$W/f$i.pty" --ctrl "$W/f$i.ctl" --log "$W/f$i.log" --fast \
		--image "$W/diag.bin" >"$W/f$i.out" 2>&1 &
	PIDS+=($!)
done
for i in $(seq $S); do
	for _ in $(seq 200); do grep -qx ready "$W/f$i.out" 2>/dev/null && break; sleep 0.05; done
	printf 'name: f%s\ndriver: sim\nport: %s\nctrl: %s\nbaud: 115200\nmode: 8N1\nloader_mode: 8E1\n' \
		"$i" "$W/f$i.pty" "$W/f$i.ctl" >"$W/f$i.yaml"
	printf 'station: live%s\nlog: live%s.db\nsequence: seq.yaml\ncentral: {url: "%s"}\n' \
		"$i" "$i" "$(wurl "live$i")" >"$W/live$i.yaml"
done
LP=()
for i in $(seq $S); do
	"$BINDIR/station" run -c "$W/live$i.yaml" -f "$W/f$i.yaml" --units "$U" >"$W/live$i.out" 2>&1 &
	LP+=($!)
done
for p in "${LP[@]}"; do wait "$p" || true; done
lag=$(q "SELECT round(avg(received_us - ended_us) / 1000.0, 1) || ' ms mean, ' ||
	round(max(received_us - ended_us) / 1000.0, 1) || ' ms max (' || count(*) || ' runs)' FROM runs")
echo "central: lag, 16 stations testing while forwarding (end -> commit)|$lag||"
