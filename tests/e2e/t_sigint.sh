#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGINT while three fixtures are flashing (device timing modelled, so the
# flash takes seconds): the station stops without hanging, every board is
# powered off, each run is logged aborted with a reason, and it exits 5.
# Output piped (--json), then the live view on a terminal of its own
# (tests/e2e/pty_run.py): ^C typed there, SIGTERM, and the terminal hung up
# (SIGHUP), each stops it in order, the terminal's modes handed back; then `--json | head -1`: SIGPIPE does not end the
# runs, which pass and are logged.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkimage" --kind diag --version 1.0.0 --size 65536 -o "$t/img.bin" >/dev/null
flash_seq "$t/seq.yaml"
echo "log: $t/station.db" >"$t/station.yaml"
fx=()
for n in a b c; do
	sim_start "$n" --serial "SIM0009${n}"	# no --fast: wire and flash time are real
	sim_fixture "$n" "$t/$n.yaml"
	fx+=(-f "$t/$n.yaml")
done

"$BINDIR/station" run -c "$t/station.yaml" -s "$t/seq.yaml" --var "image=$t/img.bin" --once \
	--json "${fx[@]}" >"$t/run.out" 2>"$t/run.err" &
pid=$!
echo "$pid" >>"$ST_REG/pids"
wait_flashing "$pid" "$t/run.out" a b c
for n in a b c; do
	grep -q "\"event\":\"progress\",\"fixture\":\"$n\"" "$t/run.out" || fail "fixture $n never started flashing"
	assert_eq "$(sim_field "$n" power)" "1" "board $n powered while flashing"
done
kill -INT "$pid"
# no hang: it must be gone well within the loader's own timeouts
wait_gone "$pid" SIGINT
rc=$GONE_RC
cat "$t/run.err" >&2
assert_eq "$rc" "5" "exit status after SIGINT"

for n in a b c; do
	assert_eq "$(sim_field "$n" power)" "0" "board $n powered off"
	assert_eq "$(sim_field "$n" boot)" "0" "board $n BOOT released"
	grep -q "\"event\":\"run_end\",\"fixture\":\"$n\",.*\"verdict\":\"ABORTED\"" "$t/run.out" ||
		fail "no ABORTED run_end for $n"
done
grep -q '"step":"after the flash"' "$t/run.out" && fail "a step after the interrupted flash ran"
db=$t/station.db
assert_eq "$(sql "$db" "SELECT count(*) FROM runs")" "3" "three runs logged"
assert_eq "$(sql "$db" "SELECT count(*) FROM runs WHERE outcome = 'aborted' AND ended_us IS NOT NULL")" "3" \
	"every run marked aborted and ended"
assert_eq "$(sql "$db" "SELECT count(*) FROM runs WHERE reason LIKE 'stopped by the operator (signal) during ''load firmware''%'")" \
	"3" "each abort's reason names the stop and the step"
grep -q '"event":"run_end","fixture":"a",.*"failed_step":"load firmware","reason":"stopped by the operator' \
	"$t/run.out" || fail "run_end for a does not name the step and the stop"
# the flash is where each was stopped, and teardown still ran
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'load firmware' AND outcome = 'aborted'")" \
	"3" "the flash step is logged aborted on each fixture"
# the wait on the line itself ended at the stop (not at a timeout or a NACK)
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'load firmware' AND reason LIKE '%: stopped by the operator%'")" \
	"3" "the loader's wait was cut short by the stop"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'power off' AND phase = 'teardown'")" "3" "teardown ran"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'after the flash'")" "0" "no step after the stop"
assert_eq "$(sql "$db" "PRAGMA integrity_check")" "ok" "log integrity"

# --- the live view on a terminal: ^C typed, then a hang-up -----------------
live() {	# live NAME ACTION...: the live view until every fixture flashes, then ACTION
	local name=$1
	shift
	{
		for n in a b c; do echo "expect 30  $n +\\? +[0-9]+:[0-9.]+ load firmware \\[[#.]+\\] +[0-9]+%"; done
		for act; do echo "$act"; done
	} >"$t/$name.script"
	rc=0
	TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/$name.out" \
		--termios "$t/$name.modes" --script "$t/$name.script" -- "$BINDIR/station" run -c "$t/station.yaml" -s "$t/seq.yaml" \
		--var "image=$t/img.bin" --once --db "$t/$name.db" "${fx[@]}" || rc=$?
}
for name in ctrlc term hangup; do
	case $name in
	ctrlc) live $name 'send \x03' ;;
	term) live $name "termios $t/running.modes" 'kill TERM' ;;
	hangup) live $name hangup ;;
	esac
	assert_eq "$rc" "5" "$name: exit status of the live view"
	db=$t/$name.db
	assert_eq "$(sql "$db" "SELECT count(*) FROM runs WHERE outcome = 'aborted' AND ended_us IS NOT NULL")" "3" \
		"$name: every run ended aborted (not left for the guardian)"
	assert_eq "$(sql "$db" "SELECT count(*) FROM steps WHERE name = 'power off' AND phase = 'teardown'")" "3" \
		"$name: teardown ran"
	assert_eq "$(sql "$db" "SELECT count(*) FROM events WHERE what = 'stop'")" "1" "$name: the stop is logged"
	for n in a b c; do
		assert_eq "$(sim_field "$n" power)" "0" "$name: board $n powered off"
	done
	[ $name = hangup ] ||	# (a closed terminal has no modes to read)
		assert_eq "$(cat "$t/$name.modes")" "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" \
			"$name: the terminal handed back as it was"
done
# (while it ran the terminal echoed and edited nothing: so the hand-back is no accident)
assert_eq "$(cat "$t/running.modes")" "echo=0 icanon=0 isig=0 ixon=0 icrnl=0" "the live view's terminal modes (^C read by the station: a lone one stops, as ctrlc shows)"
out=$t/ctrlc.out
grep -aq 'Interrupt: stopping, every fixture to its safe state' "$out" || fail "ctrlc: no word of the stop"
[ "$(grep -ac '  ABORTED  fixture [abc]  unit unidentified' "$out")" = 3 ] || fail "ctrlc: not three ABORTED banners"
grep -aq 'station: 0 passed, 0 failed, 0 error, 3 aborted' "$out" || fail "ctrlc: no summary"

# --- `--json | head -1`: the reader goes, the runs go on and pass ----------
set +o pipefail
"$BINDIR/station" run -c "$t/station.yaml" -s "$t/seq.yaml" --var "image=$t/img.bin" --once \
	--json --db "$t/pipe.db" "${fx[@]}" 2>"$t/pipe.err" | head -1 >"$t/pipe.out"
rc=${PIPESTATUS[0]}
set -o pipefail
assert_eq "$rc" "0" "--json | head: exit status (SIGPIPE did not end it)"
grep -q '"event":"run_start"' "$t/pipe.out" || fail "--json | head: no first event"
grep -q "the view's output is closed" "$t/pipe.err" || fail "--json | head: the closed output is not said"
assert_eq "$(sql "$t/pipe.db" "SELECT count(*) FROM runs WHERE outcome = 'pass'")" "3" \
	"--json | head: every run went on to pass"
echo "ok"
