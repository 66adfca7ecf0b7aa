#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fixtures/sim.yaml's comment says how to start the simulator it names (the
# station starts none): its '#   ' command lines, run with /tmp/station-sim-1
# moved into a temp dir, start a dut-sim that `station fixtures check` then
# reaches through the file's own port and ctrl; without it the check fails.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sed "s|/tmp/station-sim-1|$t/sim|g" "$ST_TOP/fixtures/sim.yaml" >"$t/sim.yaml"
# the commands of the comment, as written (bin/ is this build's)
sed -n 's/^#   //p' "$t/sim.yaml" | grep -E '^(mkdir|bin/dut-sim) ' >"$t/cmds" || true
assert_eq "$(wc -l <"$t/cmds")" 2 "fixtures/sim.yaml says how to start dut-sim: $(cat "$t/cmds")"

rc=0
"$BINDIR/station" fixtures check "$t/sim.yaml" >"$t/out" 2>&1 || rc=$?
assert_eq "$rc" 4 "no dut-sim yet: $(cat "$t/out")"
grep -q 'is dut-sim running?' "$t/out" || fail "the refusal says what to start: $(cat "$t/out")"

eval "$(head -1 "$t/cmds")"
start=$(sed -n 2p "$t/cmds" | sed "s|^bin/|$BINDIR/|; s/ *&\$//")
# shellcheck disable=SC2086 # the comment's words
st_bg $start --fast >"$t/sim.out" 2>"$t/sim.log"
for _ in $(seq 200); do grep -qx ready "$t/sim.out" && break; sleep 0.05; done
grep -qx ready "$t/sim.out" || fail "dut-sim as the comment starts it: $(cat "$t/sim.log")"

rc=0
"$BINDIR/station" fixtures check "$t/sim.yaml" >"$t/out" 2>&1 || rc=$?
assert_eq "$rc" 0 "fixtures/sim.yaml reaches the dut-sim its comment starts: $(cat "$t/out")"
echo "ok: fixtures/sim.yaml's comment starts the simulator the file names"
