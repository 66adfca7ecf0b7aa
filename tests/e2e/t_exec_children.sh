#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Programs started by `exec`: in a process group of their own, with the
# default signal mask and dispositions (the station blocks SIGINT/SIGTERM/
# SIGHUP and ignores SIGPIPE; a program must not inherit that), ended with
# their helpers on a timeout (SIGTERM reaches them), on a stop (^C), and by
# the guardian when the station is killed outright (SIGKILL).
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM000901
sim_fixture a "$t/a.yaml"
echo "log: $t/station.db" >"$t/station.yaml"
flow() {	# flow FILE TIMEOUT ARGV-AS-YAML-LIST
	cat >"$1" <<YAML
name: exec-children
version: 1.0.0
steps:
  - name: power on
    lines: {power: on}
  - name: the tool
    exec: {cmd: $3}
    timeout: $2
teardown:
  - name: power off
    lines: {power: off}
YAML
}
run() {	# run FLOW [ARGS]: in the background, pid in RUN_PID, --json on $t/run.out
	"$BINDIR/station" run -c "$t/station.yaml" -s "$1" -f "$t/a.yaml" --once --json "${@:2}" \
		>"$t/run.out" 2>"$t/run.err" &
	RUN_PID=$!
	echo "$RUN_PID" >>"$ST_REG/pids"
}
gone() {	# gone PID WHAT: PID ends within 10 s
	for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	fail "$2: process $1 still running"
}
wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; fail "no $1"; }

# --- the signal mask and dispositions a program gets ------------------------
flow "$t/sig.yaml" 10s "[grep, -E, '^Sig(Blk|Ign):', /proc/self/status]"
run "$t/sig.yaml"
wait_gone "$RUN_PID" "the grep"
assert_eq "$GONE_RC" "0" "grep: exit status"
output() {	# the last exec step's output in the log
	sql "$t/station.db" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
		WHERE s.name = 'the tool' AND v.key = 'output' ORDER BY v.id DESC LIMIT 1"
}
# Signals 32 and 33 are glibc's own (SIGCANCEL, SIGSETXID): no program can
# reset them through glibc, and a parent that ignores one passes it on (a
# CI harness does): they are left out of the check.
out=$(output)
blk=$(sed -n 's/^SigBlk:\t//p' <<<"$out"); ign=$(sed -n 's/^SigIgn:\t//p' <<<"$out")
[ -n "$blk" ] && [ -n "$ign" ] || fail "no signal masks in the program's output: '$out'"
assert_eq "$(printf '%016x' $((0x$blk & ~0x180000000)))" "0000000000000000" "nothing blocked in the program"
assert_eq "$(printf '%016x' $((0x$ign & ~0x180000000)))" "0000000000000000" "nothing ignored in the program"

# --- a timeout: SIGTERM reaches the program, its helper goes too -------------
rm -f "$t/pid" "$t/helper"
flow "$t/term.yaml" 1s "[sh, -c, 'sleep 300 & echo \$! >$t/helper; echo \$\$ >$t/pid; trap \"echo got TERM; exit 3\" TERM; wait']"
run "$t/term.yaml"
wait_gone "$RUN_PID" "the timeout"
assert_eq "$GONE_RC" "1" "a timed-out program fails the unit"
gone "$(cat "$t/helper")" "timeout: the program's helper"
assert_match "$(sql "$t/station.db" "SELECT reason FROM steps WHERE name = 'the tool' ORDER BY rowid DESC LIMIT 1")" \
	'sh did not finish within 1s: killed$' "the timeout's reason"
assert_eq "$(output)" "got TERM" "SIGTERM reached the program (not blocked)"

# --- a program that ignores SIGTERM: SIGKILL after the grace -----------------
rm -f "$t/pid"
flow "$t/deaf.yaml" 1s "[sh, -c, 'trap \"\" TERM; echo \$\$ >$t/pid; while :; do sleep 1; done']"
run "$t/deaf.yaml"
wait_file "$t/pid"
wait_gone "$RUN_PID" "the deaf program"
gone "$(cat "$t/pid")" "a program deaf to SIGTERM"

# --- a stop (SIGINT to the station): the program ends with the run ----------
rm -f "$t/pid" "$t/helper"
flow "$t/stop.yaml" 300s "[sh, -c, 'sleep 300 & echo \$! >$t/helper; echo \$\$ >$t/pid; wait']"
run "$t/stop.yaml"
wait_file "$t/helper"
kill -INT "$RUN_PID"
wait_gone "$RUN_PID" "SIGINT"
assert_eq "$GONE_RC" "5" "stopped: exit status"
gone "$(cat "$t/pid")" "stop: the program"
gone "$(cat "$t/helper")" "stop: its helper"

# --- the station killed outright: the guardian ends the program -------------
rm -f "$t/pid" "$t/helper"
run "$t/stop.yaml"
wait_file "$t/helper"
pgid=$(ps -o pgid= -p "$(cat "$t/pid")" | tr -d ' ')
assert_eq "$pgid" "$(cat "$t/pid")" "the program leads a process group of its own"
[ "$pgid" != "$(ps -o pgid= -p "$RUN_PID" | tr -d ' ')" ] || fail "the program is in the station's group"
kill -KILL "$RUN_PID"
wait_gone "$RUN_PID" "SIGKILL"
gone "$(cat "$t/pid")" "killed station: the program"
gone "$(cat "$t/helper")" "killed station: its helper"
wait_field a power 0 "killed station: the guardian powers the board off"
echo "ok"
