#!/usr/bin/env bash
# Fault matrix, the station itself: killed (SIGKILL), interrupted (SIGINT),
# its disk full, its log read-only, its flow file edited during a run.
# Boards run with modelled time and a slow SE so that a signal or a full disk
# lands inside a known step (the identity step, ~4.5 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/fault.sh"

line_setup
pki=(--se-ca-cert "$LINE/pki/intermediate-ca.crt" --se-ca-key "$LINE/pki/intermediate-ca.key"
	--se-ca-chain "$LINE/pki/chain.pem")
step='read and verify SE identity'
MNT=
# Unmount first (the temp dirs cannot go while mounted), keeping the status.
cleanup_mnt() {
	local rc=$1
	set +e
	[ -z "$MNT" ] || umount "$MNT" 2>/dev/null
	(exit "$rc")
	st_cleanup
}
trap 'cleanup_mnt $?' EXIT

# station_bg NAME SERIAL [ARGS]: start one unit (UNITS=N: N units) on NAME in the background
# (--json on $LINE/NAME.json, pid in ST_PID) and wait until the identity step starts.
station_bg() {
	local name=$1 serial=$2
	shift 2
	"$BINDIR/station" run -c "$LINE/station.yaml" --json --units "${UNITS:-1}" --serial "$serial" \
		-f "$LINE/$name.yaml" "$@" >"$LINE/$name.json" 2>"$LINE/$name.err" &
	ST_PID=$!
	echo "$ST_PID" >>"$ST_REG/pids"
	for _ in $(seq 300); do
		grep -qF "\"step_start\",\"fixture\":\"$name\",\"index\":13,\"step\":\"$step\"" "$LINE/$name.json" && return 0
		kill -0 "$ST_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$LINE/$name.json" "$LINE/$name.err" >&2
	fail "$name: the station did not reach '$step'"
}
station_wait() {
	RUN_RC=0
	wait "$ST_PID" || RUN_RC=$?
}

# fault: station/sigkill
# No handler runs in a killed station: its guardian process sees it gone,
# puts the board in its safe state and marks the run aborted in the log,
# naming the last logged step.
fault_board killed SIM003001 "${pki[@]}" --fault slow-se=1500
station_bg killed SIM003001
assert_eq "$(sim_field killed power)" "1" "killed: board powered during the identity step"
kill -KILL "$ST_PID"
station_wait
assert_eq "$RUN_RC" "137" "killed: exit status"
wait_field killed power 0 "killed: the guardian powers the board off"
assert_eq "$(sim_field killed boot)/$(sim_field killed reset)" "0/0" "killed: BOOT and RESET released"
for _ in $(seq 200); do grep -q "marked aborted in the log" "$LINE/killed.err" && break; sleep 0.05; done
grep -qF "the station ended without stopping (killed?): fixture killed put in its safe state" \
	"$LINE/killed.err" || { cat "$LINE/killed.err"; fail "killed: the guardian did not say what it did"; }
grep -qF "1 run(s) of the stopped station marked aborted in the log" "$LINE/killed.err" ||
	{ cat "$LINE/killed.err"; fail "killed: the guardian did not mark the run"; }
"$BINDIR/station" db check --db "$LINE_DB" >/dev/null || fail "killed: db check"
reason=$(sql "$LINE_DB" "SELECT outcome || ': ' || reason FROM runs WHERE unit_serial = 'SIM003001' ORDER BY started_us LIMIT 1")
assert_match "$reason" "^aborted: station stopped during the run; last logged step [0-9]+ \(" "killed: run marked by the guardian"
# The same board again, at once: the simulated board still sends the answer
# the killed station asked for, so the loader starts out of step and must
# re-sync (its retry after a NACK to a command does).
sim_ctl killed "fault clear" >/dev/null
fault_run killed SIM003001
grep -qF "[killed] PASS unit SIM003001" "$LINE/run.out" || { cat "$LINE/run.out"; fail "killed: the board does not pass on the next start"; }
assert_eq "$(sim_field killed power)" "0" "killed: board power after the next run"
echo "ok: killed: $reason"
# The guardian killed too (as by a power cut): the run stays 'running' until
# the next start of the station marks it aborted.
sim_ctl killed "fault slow-se=1500" >/dev/null
station_bg killed SIM003001
guard=$(cat /proc/"$ST_PID"/task/*/children 2>/dev/null | xargs)
[ -n "$guard" ] || fail "killed: no guardian process under the station"
kill -KILL $guard "$ST_PID"
station_wait
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE unit_serial = 'SIM003001' AND outcome = 'running'")" "1" \
	"killed with its guardian: the run is left running"
sim_ctl killed "fault clear" >/dev/null
fault_run killed SIM003001
grep -qF "1 run(s) left unfinished by an earlier stop were marked aborted" "$LINE/run.err" ||
	{ cat "$LINE/run.err"; fail "killed: the restart does not say it recovered a run"; }
assert_eq "$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE unit_serial = 'SIM003001' AND outcome = 'running'")" "0" \
	"killed with its guardian: recovered at the next start"
echo "ok: killed with its guardian"

# fault: station/sigint
# The board is powered off at once; the step in flight then ends (at the
# stop, or at the latest when its wait for the unpowered board runs out: the
# identity step is given 3 s), teardown runs, the run is logged aborted
# naming the step, exit status 5.
seq=$(fault_seq)
sed -i '/identity: {expect_serial/a\    timeout: 3s' "$seq"
fault_board int SIM003003 "${pki[@]}" --fault slow-se=1500
station_bg int SIM003003 -s "$seq"
kill -INT "$ST_PID"
for _ in $(seq 100); do [ "$(sim_field int power)" = 0 ] && break; sleep 0.01; done
assert_eq "$(sim_field int power)" "0" "sigint: board powered off before the station exits"
station_wait
# At once means before the step in flight ended, whenever that was (the
# board's console may close with its power): in the board's log the power
# goes off once for the signal, then again in teardown, after the step.
n=$(sed -n '/console: se info/,$p' "$SIM_INT_LOG" | grep -c 'ctl: set power 0' || true)
[ "$n" -ge 2 ] || { cat "$SIM_INT_LOG"; fail "sigint: the board was not powered off before teardown ($n power-offs after the step began)"; }
assert_eq "$RUN_RC" "5" "sigint: exit status (interrupted)"
grep -F '"event":"run_end"' "$LINE/int.json" | grep -qF '"verdict":"ABORTED"' || fail "sigint: no ABORTED verdict"
grep -F '"event":"run_end"' "$LINE/int.json" | grep -qF "stopped by the operator (signal) during '$step'" ||
	{ cat "$LINE/int.json"; fail "sigint: the verdict does not name where it stopped"; }
assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE unit_serial = 'SIM003003'")" "aborted" "sigint: logged outcome"
assert_eq "$(sql "$LINE_DB" "SELECT s.outcome FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = 'SIM003003' AND s.name = 'power off'")" \
	"pass" "sigint: teardown ran"
assert_eq "$(sim_field int power)" "0" "sigint: board power"
echo "ok: sigint"

# fault: station/fixture-busy
# A second station started on a fixture a station is using is refused before
# it touches a line, naming the holder, and so is `station fixtures check`
# (which would switch the board off); the first one carries on and passes.
fault_board busy SIM003005 "${pki[@]}" --fault slow-se=1500
station_bg busy SIM003005
rc=0
"$BINDIR/station" run -c "$LINE/station.yaml" --once --serial SIM003005 -f "$LINE/busy.yaml" \
	>"$LINE/busy2.out" 2>"$LINE/busy2.err" || rc=$?
assert_eq "$rc" "4" "busy: the second station's exit status (station fault)"
grep -qF "fixture busy is in use by another station (pid $ST_PID)" "$LINE/busy2.err" ||
	{ cat "$LINE/busy2.err"; fail "busy: the second station does not say who holds the fixture"; }
rc=0
"$BINDIR/station" fixtures check "$LINE/busy.yaml" >"$LINE/busy3.out" 2>&1 || rc=$?
assert_eq "$rc" "4" "busy: station fixtures check on the busy fixture"
grep -qF "fixture busy is in use by another station (pid $ST_PID)" "$LINE/busy3.out" ||
	{ cat "$LINE/busy3.out"; fail "busy: station fixtures check does not say the fixture is in use"; }
assert_eq "$(sim_field busy power)" "1" "busy: the first station's board stays powered"
station_wait
assert_eq "$RUN_RC" "0" "busy: the first station's unit passes"
echo "ok: busy"

# fault: station/shared-log
# Two stations, one per fixture, log to one file: the second one's start-up
# recovery leaves the first one's run in flight alone (before, it marked it
# `aborted`); that run then passes, and the summaries count it once.
# (shareA's run in its slow identity step from station_bg on: db recover is
# asked first, at once, then shareB's whole run; CI under load once saw
# shareA end before a recover asked after shareB's run)
fault_board shareA SIM003008 "${pki[@]}" --fault slow-se=2500
fault_board shareB SIM003009 "${pki[@]}"
station_bg shareA SIM003008
"$BINDIR/station" db recover --db "$LINE_DB" >"$LINE/recover.out" || fail "shared log: db recover"
grep -qF "1 in flight in a running station, left as they are" "$LINE/recover.out" ||
	{ cat "$LINE/recover.out"; fail "shared log: station db recover touched a live run"; }
fault_run shareB SIM003009
assert_eq "$RUN_RC" "0" "shared log: the second station's unit passes"
grep -q "marked aborted" "$LINE/run.err" && { cat "$LINE/run.err"; fail "shared log: the second station recovered a live run"; }
assert_eq "$(sql "$LINE_DB" "SELECT outcome || ' ' || (SELECT count(*) FROM events e WHERE e.run_id = r.id AND e.what = 'recovered')
	FROM runs r WHERE unit_serial = 'SIM003008'")" "running 0" "shared log: the first station's run is still in flight, not recovered"
station_wait
assert_eq "$RUN_RC" "0" "shared log: the first station's unit passes"
assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE unit_serial = 'SIM003008'")" "pass" "shared log: logged outcome"
assert_eq "$(sql "$LINE_DB" "SELECT total(runs) FROM cells")" \
	"$(sql "$LINE_DB" "SELECT count(*) FROM runs WHERE outcome <> 'running'").0" "shared log: each ended run counted once"
echo "ok: shared log"

# A log on its own small file system, for the next two faults.
MNT=$(st_tmpdir)/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=4m tmpfs "$MNT" || fail "cannot mount a tmpfs (the full-disk and read-only faults need root)"
db=$MNT/station.db

# fault: station/disk-full
# The disk fills while the identity step runs: that step cannot be logged and
# fails, saying so; every step logged before it is kept; teardown still
# powers the board off.
fault_board full SIM003004 "${pki[@]}" --fault slow-se=1500
station_bg full SIM003004 --db "$db"
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null || true
station_wait
sed 's/^/  | /' "$LINE/full.json"
assert_eq "$RUN_RC" "4" "full: exit status (a station fault: the log, not the board)"
grep -F '"event":"run_end"' "$LINE/full.json" | grep -qF '"verdict":"ERROR"' || fail "full: the verdict is not ERROR"
grep -F '"event":"run_end"' "$LINE/full.json" | grep -qF "\"failed_step\":\"$step\"" || fail "full: verdict names another step"
grep -F '"event":"run_end"' "$LINE/full.json" | grep -qF "cannot log the result: " || fail "full: verdict does not say the result was not logged"
grep -qF "database or disk is full (SQLITE_FULL); free disk space" "$LINE/full.json" || fail "full: no SQLITE_FULL advice"
assert_eq "$(sim_field full power)" "0" "full: board power"
rm -f "$MNT/filler"
"$BINDIR/station" db check --db "$db" >/dev/null || fail "full: db check after the disk filled"
assert_eq "$(sql "$db" "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = 'SIM003004'")" \
	"13" "full: the 13 steps before the identity step are kept"
echo "ok: disk full"

# fault: station/read-only-log
# A log the station cannot write: it refuses to start a unit (exit 4), the
# board is never powered.
mount -o remount,ro "$MNT"
line_board ro SIM003005
fault_run ro SIM003005 --db "$db"
cat "$LINE/run.err"
assert_eq "$RUN_RC" "4" "ro: exit status (station fault)"
grep -qF "is read-only (Read-only file system); make it writable or pass --db with a writable path" "$LINE/run.err" ||
	fail "ro: no read-only verdict"
assert_eq "$(sim_field ro power)" "0" "ro: board power"
assert_eq "$(sim_field ro rx_bytes)" "0" "ro: nothing sent to the board"
umount "$MNT"
MNT=

# fault: station/yaml-changed
# The flow (and its limits file) edited while a unit runs: the station keeps
# the flow it loaded and checked at start, for this unit and the next; the
# log records the SHA-256 of what ran.  A new start picks up the edit.
seq=$(fault_seq)
sha0=$(sha256sum "$seq" | cut -d' ' -f1)
fault_board edit SIM003006 "${pki[@]}" --fault slow-se=500
UNITS=2 station_bg edit SIM003006 -s "$seq"
sed -i 's/^version: 1.0.0/version: 1.0.1/' "$seq"
sed -i 's/3\.4/3.25/' "$LINE/seq/limits/factory.yaml"
station_wait
assert_eq "$RUN_RC" "0" "edit: exit status"
assert_eq "$(grep -c '"verdict":"PASS"' "$LINE/edit.json")" "2" "edit: both units pass on the flow as loaded"
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(DISTINCT sequence_version || ' ' || sequence_sha256) FROM runs WHERE fixture = 'edit'")" \
	"1.0.0 $sha0" "edit: sequence_sha256 of the flow that ran"
fault_run edit SIM003007 -s "$seq"
assert_eq "$(sql "$LINE_DB" "SELECT sequence_version FROM runs WHERE unit_serial = 'SIM003007'")" "1.0.1" "edit: a new start loads the edit"
echo ok
