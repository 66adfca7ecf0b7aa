#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The central store at scale: a PostgreSQL of 1,000,000 runs and 20,000,000
# measurements (bench/central_gen.sql, built on the server with
# generate_series, not through the forwarder), then `station report
# --central` as a quality engineer runs it, filtered by a time window, a
# fixture, a station, a sequence, combinations and nothing, each with the
# plain report (yield, first-pass yield, Pareto, Ppk: the summaries),
# --with-errors, --capability (Cpk), --spc, --operations and --group-by
# station, operator and work-order: the medians of R runs of each, of the
# time its statements took on the server (its log) and of the whole
# command's wall time, against <= 200 ms.  The store is built once and kept in
# $BUILD/bench/central_1m (a PostgreSQL data directory) while the generator
# is unchanged; a newer central schema is applied to it by `station central
# migrate`, as a plant's store would be.  Lines "name|value|target|verdict"
# for bench/run's table; alone, prints them.
#   BENCH_CENTRAL_1M_RUNS=N  another size (its own cache)   R=N  repeats (5)
#   R_ROWS=N  repeats of the readings that read the rows (3)
#   BENCH_CENTRAL_1M_MODES="report --with-errors ..."  only those readings
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
BUILD=${BUILD:-build}
BINDIR=${BINDIR:-$TOP/bin}
RUNS=${BENCH_CENTRAL_1M_RUNS:-1000000}
R=${R:-5}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PG_BIN=$(pg_config --bindir)
CACHE=$BUILD/bench/central_$((RUNS / 1000))k
[ "$RUNS" = 1000000 ] && CACHE=$BUILD/bench/central_1m
ROWKEY=$( (cat bench/central_gen.sql; echo "$RUNS") | sha256sum | cut -c1-16)
SUMKEY=$(cat central/schema_sum.c central/schema_v5.c central/schema_v6.c central/schema_v7.c \
	central/schema_v8.c central/schema_v12.c central/schema_v13.c central/schema_v14.c \
	central/schema_v15.c |
	sha256sum | cut -c1-16)
W=$(mktemp -d "${TMPDIR:-/tmp}/st-bench-c1m.XXXXXX")
chmod 755 "$W"
mkdir -p "$W/sock" "$BUILD/bench"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown nobody "$W/sock"
cleanup() {
	as_pg "$PG_BIN/pg_ctl" -D "$CACHE/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
# one bench at a time on the cache
exec 9>"$CACHE.lock"
flock 9
start() {
	as_pg "$PG_BIN/pg_ctl" -D "$CACHE/data" -l "$W/sock/log" -w -t 120 \
		-o "-k $W/sock -c listen_addresses= -c shared_buffers=512MB -c work_mem=64MB -c max_wal_size=4GB -c log_min_duration_statement=0" \
		start >/dev/null || { tail -n 20 "$W/sock/log" >&2; exit 1; }
}
URL="postgresql:///central?host=$W/sock&user=postgres"
q() { psql -X -A -t -v ON_ERROR_STOP=1 -h "$W/sock" -U postgres -d central "$@"; }
if [ "$(cat "$CACHE/rowkey" 2>/dev/null)" != "$ROWKEY" ]; then
	echo "central_1m: building a store of $RUNS runs in $CACHE (once; minutes)" >&2
	rm -rf "$CACHE"
	mkdir -p "$CACHE/data"
	[ "$(id -u)" = 0 ] && chown nobody "$CACHE" "$CACHE/data"
	as_pg "$PG_BIN/initdb" -D "$CACHE/data" -U postgres -A trust --no-sync >/dev/null
	start
	psql -q -h "$W/sock" -U postgres -d postgres -c "CREATE DATABASE central" >/dev/null
	t0=$(date +%s)
	"$BINDIR/station" central migrate --url "$URL" >/dev/null
	q -q -v runs="$RUNS" -f bench/central_gen.sql >/dev/null
	echo "$(($(date +%s) - t0))" >"$CACHE/rows_s"
	# the rows are there as if forwarded; the summaries from them, as the
	# migration that adds them builds them for an existing store
	t0=$(date +%s)
	q -q -c "SELECT central_summarise_all()" >/dev/null
	q -q -c "VACUUM ANALYZE" >/dev/null
	echo "$(($(date +%s) - t0))" >"$CACHE/sum_s"
	echo "$ROWKEY" >"$CACHE/rowkey"
	echo "$SUMKEY" >"$CACHE/sumkey"
else
	start
	if [ "$(cat "$CACHE/sumkey" 2>/dev/null)" != "$SUMKEY" ]; then
		# the summaries' code changed (a build between versions): build
		# them again from the cached rows, by their migration (versions 4
		# to the current one again: measurements_name_run of version 11
		# and runs_outcome_line of 13 too; tests/e2e/t_central_benchsum.sh:
		# a fresh build's store)
		echo "central_1m: rebuilding the summaries of $CACHE" >&2
		t0=$(date +%s)
		q -q -c "DO \$\$ DECLARE f regprocedure; k \"char\"; p record; BEGIN
			-- version 10's policies call its functions: dropped first
			FOR p IN SELECT policyname, tablename FROM pg_policies
				WHERE schemaname = 'public' LOOP
				EXECUTE format('DROP POLICY %I ON %I', p.policyname, p.tablename);
			END LOOP;
			DROP TABLE IF EXISTS central_stations;
			DROP INDEX IF EXISTS measurements_name_run;
			-- version 13's index back to version 1's
			DROP INDEX IF EXISTS runs_outcome_line;
			CREATE INDEX IF NOT EXISTS runs_outcome ON runs (outcome, started_us);
			DROP TABLE IF EXISTS sum_runs, sum_cells, sum_unit_cells, sum_unit_first,
				sum_step_fails, sum_meas_keys, sum_meas, sum_cap_keys, sum_cap, sum_cap_day,
				sum_cap_month, sum_cap_lines, sum_hours, sum_meas_hour, sum_fail_hour;
			FOR f, k IN SELECT oid::regprocedure, prokind FROM pg_proc
				WHERE proname LIKE 'central\\_%' ORDER BY prokind LOOP
				EXECUTE CASE k WHEN 'a' THEN 'DROP AGGREGATE ' ELSE 'DROP FUNCTION ' END
					|| f::text;
			END LOOP;
			DELETE FROM central_schema WHERE version >= 4; END \$\$" >/dev/null
		"$BINDIR/station" central migrate --url "$URL" >/dev/null
		q -q -c "VACUUM ANALYZE" >/dev/null
		echo "$(($(date +%s) - t0))" >"$CACHE/sum_s"
		echo "$SUMKEY" >"$CACHE/sumkey"
	fi
	# a newer schema (a plant's upgrade): its migration, timed, once
	t0=$(date +%s)
	mig=$("$BINDIR/station" central migrate --url "$URL")
	case $mig in *" -> "*)
		q -q -c "VACUUM ANALYZE" >/dev/null
		echo "${mig##*: } $(($(date +%s) - t0)) s" >"$CACHE/migrate_s" ;;
	esac
fi
runs=$(q -c "SELECT count(*) FROM runs")
meas=$(q -c "SELECT count(*) FROM measurements")
size=$(q -c "SELECT pg_database_size('central') / 1048576")
echo "central 1M: the store ($runs runs, $meas measurements)|$size MiB||"
echo "central 1M: building it on the server (generate_series), once, cached|rows $(cat "$CACHE/rows_s") s, summaries $(cat "$CACHE/sum_s") s||"
[ ! -f "$CACHE/migrate_s" ] ||
	echo "central 1M: the cached store brought to this build's schema, once|$(cat "$CACHE/migrate_s")||"

# report --central ARGS: "S W": the medians of R runs of the time its
# statements took on the server (parse, bind, execute: the server's log) and
# of the whole command's wall time (start, connect, queries, JSON out)
ms() {
	local i t0 t1 off
	for ((i = 0; i < ${N:-$R}; i++)); do
		off=$(stat -c %s "$W/sock/log")
		t0=$(date +%s%N)
		if ! "$BINDIR/station" report --central "$URL" -f json -o "$W/r.json" "$@" \
			>/dev/null 2>"$W/err"; then
			echo "refused"	# a refusal's time is no answer's
			break
		fi
		t1=$(date +%s%N)
		echo "$(tail -c +$((off + 1)) "$W/sock/log" | sed -n 's/.*duration: \([0-9.]*\) ms.*/\1/p' |
			awk '{ s += $1 } END { printf "%.0f", s }') $(((t1 - t0) / 1000000))"
	done >"$W/ms"
	if grep -q refused "$W/ms"; then
		echo refused
		return
	fi
	echo "$(cut -d' ' -f1 "$W/ms" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" \
		"$(cut -d' ' -f2 "$W/ms" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
}
row() {	# NAME ARGS...: the verdict on the queries' time on the server
	local name=$1 v
	shift
	read -r srv wall <<<"$(ms "$@")"
	if [ "$srv" = refused ]; then
		echo "central 1M: report --central $name|refused: $(head -n 1 "$W/err" | tr '|' '/')|<= 200 ms|MISSED"
		return
	fi
	echo "central 1M: report --central $name|$srv ms on the server ($wall ms the whole command)|<= 200 ms|$(awk -v v="$srv" 'BEGIN { print (v <= 200) ? "met" : "MISSED" }')"
}
# what a command costs before it asks anything: the process's start
for ((i = 0; i < R; i++)); do
	t0=$(date +%s%N)
	"$BINDIR/station" --version >/dev/null
	echo $((($(date +%s%N) - t0) / 1000000))
done | sort -n | awk '{ v[NR] = $1 } END { printf "central 1M: station --version (the process alone)|%d ms||\n", v[int((NR + 1) / 2)] }'
echo "central 1M: load average at the start|$(cut -d' ' -f1-3 /proc/loadavg)||"
# each filter with each reading: the report (yield, first-pass yield,
# Pareto, Ppk), --with-errors, --capability (Cpk), --spc, --operations and
# --group-by station, operator, work-order (R_ROWS repeats, the rows'
# readings being slow)
RR=${R_ROWS:-3}
filters=("--since/--until, one week|--since 2026-02-02 --until 2026-02-09"
	"--fixture st03-f1, all time|--fixture st03-f1"
	"--station st11, all time|--station st11"
	"--sequence final, all time (half the store)|--sequence final"
	"--station st05 --since/--until, a month|--station st05 --since 2026-03-01 --until 2026-04-01"
	"--station st05 --sequence ict --fixture st05-f2, a week|--station st05 --sequence ict --fixture st05-f2 --since 2026-02-02 --until 2026-02-09"
	"no filter (the whole store)|"
	"--outcome fail, one week|--outcome fail --since 2026-02-02 --until 2026-02-09"
	"--outcome fail, all time|--outcome fail"
	"a shift, 06:00-14:00 (hour cells, the yields from the rows)|--since 2026-02-03T06:00 --until 2026-02-03T14:00"
	"a week, Monday 06:00 to Monday 06:00 (day and hour cells, the partial days' yields from the rows)|--since 2026-02-02T06:00 --until 2026-02-09T06:00"
	"--operator op1, one week|--operator op1 --since 2026-02-02 --until 2026-02-09"
	"--operator op1, all time|--operator op1"
	"--operator op1 --outcome pass --station st05, all time|--operator op1 --outcome pass --station st05")
modes=("|" "--with-errors|--with-errors" "--capability|--capability" "--spc v1|--spc v1"
	"--operations|--operations" "--group-by station|--group-by station"
	"--group-by operator|--group-by operator" "--group-by work-order|--group-by work-order")
for fl in "${filters[@]}"; do
	read -ra f <<<"${fl#*|}"
	for md in "${modes[@]}"; do
		read -ra m <<<"${md#*|}"
		name=${md%%|*}
		case " ${BENCH_CENTRAL_1M_MODES:-${name:-report}} " in
		*" ${name:-report} "*) ;; *) continue ;; esac
		# a chart is of one sequence (v1 is in ict and final): where the
		# filter names none, its stations' (1-8 run ict), or final
		if [[ "${m[0]:-}" == --spc && " ${f[*]} " != *" --sequence "* ]]; then
			seq=final
			[[ " ${f[*]}" =~ \ st0[1-8]([ -]|$) ]] && seq=ict
			m+=(--sequence "$seq")
			name+=" --sequence $seq"
		fi
		N=$R
		[ "${#m[@]}" = 0 ] || [ "${m[0]}" = --with-errors ] || N=$RR
		row "${name:+$name }${fl%%|*}" "${m[@]}" "${f[@]}"
	done
done
