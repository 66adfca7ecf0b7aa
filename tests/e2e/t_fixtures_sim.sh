#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `station fixtures check` against a real bin/dut-sim: the sim driver talks
# to its control socket, the termios link to its pty.  The board answers on
# its console when powered, a garbage fault is named as such, and on every
# exit path (done, Ctrl-C) the board is left powered off.
. "$(dirname "$0")/lib.sh"
t=$(st_tmpdir)
st=$BINDIR/station

"$BINDIR/mkimage" --kind diag --version 1.2.0 --size 4096 -o "$t/img.bin"
sim_start a --fast --serial SIM000042 --image "$t/img.bin"
cat >"$t/a.yaml" <<YAML
name: sim-a
driver: sim
port: $SIM_A_PTY
ctrl: $SIM_A_CTRL
YAML

# unpowered: the fixture and the console port open, the board is silent
out=$("$st" fixtures check "$t/a.yaml") || fail "check of an unpowered board exited $?"
assert_match "$out" "fixture: dut-sim at $SIM_A_CTRL: power=0 .*serial=SIM000042" "probe via status"
assert_match "$out" "lid: (open|closed)" "lid read over the control socket"
assert_match "$out" "console: $SIM_A_PTY open \\(termios, 115200 8N1\\)" "pty goes through termios"
assert_match "$out" "console: no answer to 'version' .*try --power" "a silent board is named"

# powered: the diag firmware boots (BOOT low) and answers
out=$("$st" fixtures check --power "$t/a.yaml") || fail "check --power exited $?"
assert_match "$out" "power: on \\(BOOT low\\)" "powered with BOOT low"
assert_match "$out" "console answers 'version': diag 1.2.0" "firmware answered"
assert_eq "$(sim_field a power)" 0 "safe state after check: power off"
assert_eq "$(sim_field a boot)" 0 "safe state after check: BOOT low"
assert_eq "$(sim_field a reset)" 0 "safe state after check: RESET released"

# a board at the wrong baud rate (simulated: random high bytes)
sim_ctl a "fault garbage" >/dev/null
out=$("$st" fixtures check --power "$t/a.yaml") || fail "check with garbage exited $?"
assert_match "$out" "non-text bytes \\(0x[89a-f][0-9a-f].*\\): wrong baud rate or the firmware crashed" \
	"garbage on the line is named"
sim_ctl a "fault clear" >/dev/null

# Ctrl-C while the board is powered: every fixture goes to its safe state
sim_ctl a "fault silent" >/dev/null
"$st" fixtures check --power "$t/a.yaml" >"$t/int.out" 2>&1 &
pid=$!
echo "$pid" >>"$ST_REG/pids"
for ((i = 0; i < 100; i++)); do
	[ "$(sim_field a power)" = 1 ] && break
	sleep 0.05
done
assert_eq "$(sim_field a power)" 1 "board powered during the check"
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
assert_eq "$rc" 5 "interrupted check exits 5 (aborted)"
assert_eq "$(sim_field a power)" 0 "power off after SIGINT"
grep -q "interrupted; fixtures in their safe state" "$t/int.out" || fail "no interrupt message"
sim_ctl a "fault clear" >/dev/null

# no simulator behind the socket: a station fault (4), with what to do
sed "s|^ctrl: .*|ctrl: $t/nobody.ctl|" "$t/a.yaml" >"$t/gone.yaml"
rc=0; out=$("$st" fixtures check "$t/gone.yaml") || rc=$?
assert_eq "$rc" 4 "unreachable fixture"
assert_match "$out" "is dut-sim running\\?" "says what to check"
echo "t_fixtures_sim: ok"
