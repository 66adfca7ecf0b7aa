#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crash soak: run the station on simulated fixtures and SIGKILL it at a
# random point, N times.  After each kill:
#   - PRAGMA integrity_check of the log says ok;
#   - no completed step is lost: every step the station reported finished
#     (--json step_end, printed after the step's commit) is in the steps table;
#   - every run it had in flight is marked 'aborted': by its guardian
#     process at once, or (if the guardian did not get to it) by the next
#     start of the station, the last ones by station db recover;
#   - every board ends powered off (the guardian).
# Usage: tests/soak/soak.sh [N] [MAX_DELAY_MS]   (defaults 20 kills, 2500 ms)
#   SOAK_BOARDS (3) fixtures with --fast boards run the factory flow,
#   units without end; SOAK_SEED seeds $RANDOM (kill times) for a rerun.
# Prints one line per kill and a summary; exit 1 on any violation.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/line.sh"

n=${1:-20}
max_ms=${2:-2500}
boards=${SOAK_BOARDS:-3}
RANDOM=${SOAK_SEED:-$$}

line_setup
fx=()
for ((b = 1; b <= boards; b++)); do
	line_board "b$b" "$(printf 'SIM7%05d' "$b")"
	fx+=(-f "$LINE/b$b.yaml")
done
db=$LINE_DB
out=$LINE/soak
mkdir -p "$out"

# Steps reported finished: "run_id<TAB>step" per step_end of a complete line.
reported() {
	awk '/}$/ && /"event":"run_start"/ {
		match($0, /"fixture":"[^"]*"/); f = substr($0, RSTART + 11, RLENGTH - 12)
		match($0, /"run_id":"[^"]*"/); run[f] = substr($0, RSTART + 10, RLENGTH - 11) }
	/}$/ && /"event":"step_end"/ {
		match($0, /"fixture":"[^"]*"/); f = substr($0, RSTART + 11, RLENGTH - 12)
		match($0, /"step":"[^"]*"/); print run[f] "\t" substr($0, RSTART + 8, RLENGTH - 9) }' "$1"
}

# Reported steps missing from the log (counting repeats: a retried step has
# one row per attempt, at least one step_end).
lost_steps() {
	sqlite3 -batch -cmd '.timeout 10000' -separator $'\t' "$db" "SELECT run_id, name FROM steps" >"$out/db.tsv"
	awk -F'\t' 'FILENAME == ARGV[1] { have[$0]++; next } { want[$0]++ }
		END { for (k in want) if (want[k] > have[k]) { n += want[k] - have[k]; print "lost: " k > "/dev/stderr" }
		      print n + 0 }' "$out/db.tsv" "$1"
}

kills=0 finished=0 lost=0 bad_integrity=0 interrupted=0 recovered=0 not_recovered=0 powered=0
guarded=0
pending=""
: >"$out/recovered.seen"
for ((i = 1; i <= n; i++)); do
	delay=$((50 + RANDOM % max_ms))
	"$BINDIR/station" run -c "$LINE/station.yaml" --json --units 100000 "${fx[@]}" \
		>"$out/run.json" 2>"$out/run.err" &
	pid=$!
	echo "$pid" >>"$ST_REG/pids"
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null || fail "kill $i: the station had already exited: $(tail -n 3 "$out/run.err")"
	wait "$pid" 2>/dev/null || true
	kills=$((kills + 1))

	for ((b = 1; b <= boards; b++)); do
		for ((w = 0; w < 200; w++)); do
			[ "$(sim_field "b$b" power)" = 0 ] && break
			sleep 0.05
		done
		[ "$(sim_field "b$b" power)" = 0 ] ||
			{ powered=$((powered + 1)); echo "kill $i: board b$b still powered 10 s later" >&2; }
	done

	# the killed station's guardian may be marking its runs aborted right now:
	# a reader waits for that writer, as any reader of a live log does
	ic=$(sqlite3 -batch -cmd '.timeout 10000' "$db" 'PRAGMA integrity_check' 2>&1) || ic="sqlite3 failed: $ic"
	[ "$ic" = ok ] || { bad_integrity=$((bad_integrity + 1)); echo "kill $i: integrity_check: $ic" >&2; }

	reported "$out/run.json" >"$out/reported.tsv"
	f=$(wc -l <"$out/reported.tsv")
	l=$(lost_steps "$out/reported.tsv")
	finished=$((finished + f))
	lost=$((lost + l))

	# The runs the last kill interrupted were recovered by this start, if
	# it got as far as logging (it recovers before it starts a run).
	pending_before=$pending
	if [ -n "$pending" ] && grep -q '"event":"run_start"' "$out/run.json"; then
		for id in $pending; do
			o=$(sql "$db" "SELECT outcome FROM runs WHERE id = '$id'")
			if [ "$o" = aborted ]; then
				recovered=$((recovered + 1))
			else
				not_recovered=$((not_recovered + 1))
				echo "kill $i: run $id interrupted earlier is '$o' after a restart" >&2
			fi
		done
		pending=""
	fi
	# runs this kill's guardian marked (recovered events not seen before,
	# other than the earlier pending ones this start recovered)
	sql "$db" "SELECT run_id FROM events WHERE what = 'recovered'" | sort >"$out/recovered.now"
	g=0
	for id in $(comm -13 "$out/recovered.seen" "$out/recovered.now"); do
		[[ " $pending_before " == *" $id "* ]] && continue
		g=$((g + 1))
	done
	mv "$out/recovered.now" "$out/recovered.seen"
	guarded=$((guarded + g))
	interrupted=$((interrupted + g))
	now=$(sql "$db" "SELECT id FROM runs WHERE outcome = 'running'" | tr '\n' ' ')
	for id in $now; do
		[[ " $pending " == *" $id "* ]] && continue
		pending="$pending $id"
		interrupted=$((interrupted + 1))
	done
	printf 'kill %3d at %4d ms: %3d steps finished, %d lost, integrity %s, %d run(s) marked by the guardian, %d left running\n' \
		"$i" "$delay" "$f" "$l" "$ic" "$g" "$(wc -w <<<"$now")"
done

# The last kill's runs: station db recover marks them.
"$BINDIR/station" db recover --db "$db" >/dev/null
for id in $pending; do
	o=$(sql "$db" "SELECT outcome FROM runs WHERE id = '$id'")
	if [ "$o" = aborted ]; then recovered=$((recovered + 1)); else
		not_recovered=$((not_recovered + 1)); echo "run $id is '$o' after db recover" >&2; fi
done
left=$(sql "$db" "SELECT count(*) FROM runs WHERE outcome = 'running'")
"$BINDIR/station" db check --db "$db" >/dev/null || { echo "station db check fails" >&2; bad_integrity=$((bad_integrity + 1)); }
runs=$(sql "$db" "SELECT count(*) || ' runs (' || sum(outcome = 'pass') || ' pass, ' || sum(outcome = 'aborted') || ' aborted, ' || sum(outcome NOT IN ('pass', 'aborted')) || ' other)' FROM runs")
echo "soak: $kills kills, $finished steps reported finished, $lost lost, $bad_integrity integrity failures, $interrupted runs interrupted, $((guarded + recovered)) marked aborted ($guarded by the guardian, $recovered at the next start), $not_recovered not, $left left running, $powered boards left powered; log: $runs"
[ "$lost" = 0 ] && [ "$bad_integrity" = 0 ] && [ "$not_recovered" = 0 ] && [ "$left" = 0 ] &&
	[ "$((guarded + recovered))" = "$interrupted" ] && [ "$interrupted" -gt 0 ] && [ "$powered" = 0 ] ||
	fail "soak: the log lost or kept something it should not, or a board stayed powered"
echo ok
