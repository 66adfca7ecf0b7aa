#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A group's timeout that runs out while a step inside it waits on the board
# or on the CMS (t_seq_group_timeout.sh: on a program): the reasons name the
# group's time, whatever the step's own words.  The register step's say
# "Operation timed out after 1001 milliseconds" (curl's), which kept the
# engine from naming the group ('CMS registration: gave up after 1
# attempt: ...' one second into its 60 s).  Each group says what failed
# inside it: the second group said the first group's failure (the run's
# first).  A step whose own timeout ends it still says its own; the run's
# verdict stays its first failure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup delay-ms=5000
line_board a SIM000953 --image "$LINE/images/diag.bin"
line_flow_head group-timeout-steps >"$LINE/flow.yaml"
cat >>"$LINE/flow.yaml" <<'YAML'
  - name: console group
    timeout: 1s
    on_fail: continue
    group:
      - name: wait for a line
        console: {wait: '^never$'}
        timeout: 60s
  - name: cms group
    timeout: 1s
    on_fail: continue
    group:
      - name: register
        register: {serial: "${serial}"}
        timeout: 60s
  - name: own timeout
    console: {wait: '^never$'}
    timeout: 500ms
    on_fail: continue
YAML
line_flow_run SIM000953
assert_eq "$RUN_RC" "1" "the first failure, the console group's, is the verdict"
assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM steps WHERE name = 'read identity'")" "pass" \
	"the identity read, for register"
con="^timed out: the 1s of 'console group' ran out: "
cms="^timed out: the 1s of 'cms group' ran out: CMS registration: "
waited="waiting for '\^never\\$': [^ ]+: no line matching /\^never\\$/ within [0-9]+ ms; "
assert_match "$(line_reason 'wait for a line')" "$con$waited" "the console step: the group's time"
assert_match "$(line_reason 'console group')" "$con$waited" "the console group: its step's reason"
assert_match "$(line_reason register)" "$cms.*did not answer within [0-9]+ ms: " \
	"the register step: the group's time, though curl's words say 'timed out'"
assert_match "$(line_reason 'cms group')" "$cms" \
	"the cms group: its own step's failure, not the console group's"
assert_match "$(line_reason 'own timeout')" "^timed out after 0\.5s: $waited" \
	"a step ended by its own timeout says its own"
assert_match "$(sql "$LINE_DB" "SELECT reason FROM runs")" "${con}waiting for" \
	"the run's verdict: its first failure"
echo ok
