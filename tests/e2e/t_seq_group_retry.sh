#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A CMS step that gives up because its next attempt no longer fits in the
# time it was given (the CMS's Retry-After, or the backoff, is longer than
# what is left) names whose time that was, a group's or its own, though the
# clock has not reached the deadline yet.  The engine named it only when
# now >= deadline: a CMS attempt cut to the group's time and timing out a hair
# before it, then no room for the backoff, said no owner
# (t_seq_group_timeout2 failed so under load); here the CMS answers 503 with
# Retry-After 5 s at once, so the give-up comes long before the deadline, every
# time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup fail-first=9,retry-after=5
line_board a SIM000954 --image "$LINE/images/diag.bin"
line_flow_head group-retry >"$LINE/flow.yaml"
cat >>"$LINE/flow.yaml" <<'YAML'
  - name: cms group
    timeout: 3s
    on_fail: continue
    group:
      - name: register in group
        register: {serial: "${serial}"}
        timeout: 60s
  - name: register alone
    register: {serial: "${serial}"}
    timeout: 3s
    on_fail: continue
YAML
line_flow_run SIM000954
assert_eq "$RUN_RC" "4" "the registration failed: an error on the station's side (the CMS), not the board's"
gave="CMS registration: gave up after 1 attempt: the step's time runs out before the next \(the CMS asks to retry after 5000 ms\): CMS unavailable \(HTTP 503\)"
assert_match "$(line_reason 'register in group')" "^timed out: the 3s of 'cms group' ran out: $gave" \
	"in a group: the group's time, named before the clock reaches it"
assert_match "$(line_reason 'cms group')" "^timed out: the 3s of 'cms group' ran out: " \
	"the group: its step's reason"
assert_match "$(line_reason 'register alone')" "^timed out after 3s: $gave" \
	"alone: its own time"
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(attempts || ':' || http_status) FROM (SELECT * FROM cms_registrations ORDER BY id)")" "1:503,1:503" \
	"one attempt each, both refused with 503"
echo ok
