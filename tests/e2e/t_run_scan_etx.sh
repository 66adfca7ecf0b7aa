#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A barcode may start with ETX (0x03, what Ctrl-C sends: Code 128 encodes
# it), and a scanner types a barcode as one burst.  On the operator's
# terminal (tests/e2e/pty_run.py, whose "send" types its text in one
# write, as a scanner's burst): a Ctrl-C with keys right before or after it
# is part of a scan, a lone Ctrl-C is the operator's stop (docs/operators.md),
# at a question (before or after keys typed: what was typed is dropped, and
# the screen says so) and in the live view between questions.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM001101
sim_fixture a "$t/a.yaml"
cat >"$t/flow.yaml" <<'YAML'
name: scan-etx
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the board serial, var: serial, pattern: '^SIM[0-9]{6}$'}
  - name: wait for the operator's hands
    exec: {cmd: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.05; done', sh, "${go}"]}
    timeout: 60s
  - name: scan the work order
    prompt: {message: Scan the work order, var: order}
YAML
pty() {	# pty NAME: the flow on a terminal of its own, the script $t/NAME.script
	rc=0
	TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/$1.out" \
		--termios "$t/$1.modes" --script "$t/$1.script" -- "$BINDIR/station" run \
		--db "$t/$1.db" -f "$t/a.yaml" -s "$t/flow.yaml" --var "go=$t/$1.go" --once || rc=$?
	[ "$rc" = 90 ] && { tr -d '\033' <"$t/$1.out" | tail -c 3000 >&2; fail "$1: the screen expected did not come"; }
	return 0
}

# --- scans that start with ETX: data, at a question and in the live view ----
cat >"$t/burst.script" <<SCRIPT
expect 60 \[a\] Scan the board serial: 
send \x03SIM001101\r
expect 60 \[a\] answer: \\\\x03SIM001101 \('\\\\x03SIM001101' does not match
answer 60 \[(a)\] Scan the board serial: => a=SIM001101
expect 60 wait for the operator's hands
send \x03WO-EARLY\r
sleep 0.3
touch $t/burst.go
expect 60 \[a\] 10 key\(s\) typed before this question were discarded
expect 60 \[a\] Scan the work order: 
send \x03WO-7\r
expect 60 \[a\] answer: \\\\x03WO-7
SCRIPT
pty burst
assert_eq "$rc" "0" "the scans starting with ETX stopped nothing"
db=$t/burst.db
assert_eq "$(sql "$db" "SELECT unit_serial || ':' || outcome FROM runs")" "SIM001101:pass" "the run"
assert_eq "$(sql "$db" "SELECT count(*) FROM events WHERE what = 'stop'")" "0" "no stop logged"
assert_eq "$(sql "$db" "SELECT hex(value) FROM step_values WHERE key = 'order'")" "03574F2D37" \
	"the work order is stored as scanned, its ETX included"
grep -aqF "[a] answer: \\x03SIM001101 ('\\x03SIM001101' does not match ^SIM[0-9]{6}\$: scan again)" "$t/burst.out" ||
	fail "the refused scan is not shown as docs/operators.md shows it"
assert_eq "$(cat "$t/burst.modes")" "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" "the terminal handed back"

# --- a lone Ctrl-C: the operator's stop, at a question ------------------------
printf 'expect 60 \\[a\\] Scan the board serial: \nsend \\x03\n' >"$t/ask.script"
pty ask
assert_eq "$rc" "5" "a lone Ctrl-C at a question stops the station"
assert_eq "$(sql "$t/ask.db" "SELECT count(*) FROM events WHERE what = 'stop'")" "1" "the stop is logged"
grep -aq 'Interrupt: stopping, every fixture to its safe state' "$t/ask.out" || fail "ask: no word of the stop"

# --- a lone Ctrl-C after keys typed: the stop too, what was typed dropped and said
# (a scan that ends in ETX, its ^C within 50 ms of the keys before it, is data)
cat >"$t/typed.script" <<SCRIPT
expect 60 \[a\] Scan the board serial: 
send SIM12\x03\r
expect 60 \[a\] answer: SIM12\\\\x03 \('SIM12\\\\x03' does not match
expect 60 \[a\] Scan the board serial: 
send SIM0002
sleep 1
send \x03
expect 60 \[a\] Ctrl-C: the station stops; 'SIM0002' typed is dropped
SCRIPT
pty typed
assert_eq "$rc" "5" "a lone Ctrl-C after typed keys stops the station"
assert_eq "$(sql "$t/typed.db" "SELECT count(*) FROM events WHERE what = 'stop'")" "1" "typed: the stop is logged"
grep -aq 'Interrupt: stopping, every fixture to its safe state' "$t/typed.out" || fail "typed: no word of the stop"
! grep -aqF 'SIM0002\x03' "$t/typed.out" || fail "typed: the Ctrl-C was taken as a key of the answer"
assert_eq "$(cat "$t/typed.modes")" "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" "typed: the terminal handed back"

# --- ... and in the live view ---------------------------------------------------
# (a person's Ctrl-C comes well after the scan's Enter: within 50 ms of it, it
# would be the end of the scan's burst, so the script waits as a person would)
cat >"$t/live.script" <<SCRIPT
answer 60 \[(a)\] Scan the board serial: => a=SIM001101
expect 60 wait for the operator's hands
sleep 0.3
send \x03
SCRIPT
pty live
assert_eq "$rc" "5" "a lone Ctrl-C in the live view stops the station"
assert_eq "$(sql "$t/live.db" "SELECT outcome FROM runs")" "aborted" "the run ends aborted"
assert_eq "$(sim_field a power)" "0" "the board is off"
assert_eq "$(cat "$t/live.modes")" "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" "live: the terminal handed back"
echo "ok"
