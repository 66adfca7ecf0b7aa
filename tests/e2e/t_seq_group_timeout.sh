#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A group's timeout that runs out while a step inside it runs: every reason
# names the time that ran out, the group's, not the inner step's own (which
# it never reached): 'timed out: the 1s of 'outer' ran out: sleep did not
# finish within 1s: killed', where it said 'timed out after 120s: sleep did
# not finish within 120s' after one second.  A step whose own timeout ends
# it still says its own.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM000951
sim_fixture a "$t/a.yaml"
echo "log: $t/station.db" >"$t/station.yaml"
cat >"$t/flow.yaml" <<'YAML'
name: group-timeout
version: 1.0.0
steps:
  - name: outer
    timeout: 1s
    group:
      - name: inner
        group:
          - name: the tool
            exec: {cmd: [sleep, "3"]}
  - name: never
    delay: 10ms
teardown:
  - name: own timeout
    exec: {cmd: [sleep, "3"]}
    timeout: 500ms
    on_fail: continue
YAML
rc=0
"$BINDIR/station" run -c "$t/station.yaml" -s "$t/flow.yaml" -f "$t/a.yaml" --once \
	>"$t/run.out" 2>&1 || rc=$?
assert_eq "$rc" "1" "a timed-out group fails the unit"
reason() { sql "$t/station.db" "SELECT reason FROM steps WHERE name = '$1'"; }
assert_match "$(reason 'the tool')" \
	"^timed out: the 1s of 'outer' ran out: sleep did not finish within (1|0\.[0-9]+)s: killed$" \
	"the inner step: the group's time"
assert_match "$(reason inner)" "^timed out: the 1s of 'outer' ran out: " "the inner group: the outer's time"
assert_match "$(reason outer)" "^timed out: the 1s of 'outer' ran out: sleep" "the group itself: the first failure's reason"
assert_match "$(reason 'own timeout')" "^timed out after 0\.5s: sleep did not finish within 0\.5s: killed$" \
	"a step ended by its own timeout says its own"
echo ok
