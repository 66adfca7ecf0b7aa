# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the fault-matrix tests (tests/e2e/t_fault_*.sh; source after
# lib.sh and line.sh).  Each fault case in a test starts with a comment
#   # fault: AREA/NAME
# and docs/reliability.md has one row per AREA/NAME naming the test file and
# the verdict text the case asserts (tests/e2e/t_reliability_doc.sh checks both).
#
#   fault_board NAME SERIAL [ARGS...]  a board like line_board's, but only with
#                                     ARGS (no --fast, no identity): for faults
#                                     that need modelled time (slow-se) or a
#                                     given identity (--se-cert ...)
#   fault_run NAME SERIAL [ARGS...]   one unit on board NAME (line_run --once)
#   fault_expect NAME SERIAL RC STEP TEXT
#                                     the run exited RC, its verdict is FAIL (RC 1:
#                                     the board) or ERROR (RC 4: the station) at
#                                     STEP (* any), the verdict and the run's reason in
#                                     the log hold TEXT, the board ends off
#   fault_seq                         a copy of sequences/ in $LINE/seq (to edit);
#                                     prints the factory flow's path in it

fault_board() {
	local name=$1 serial=$2
	shift 2
	sim_start "$name" --serial "$serial" "$@"
	sim_fixture "$name" "$LINE/$name.yaml"
}

fault_run() {
	local name=$1 serial=$2
	shift 2
	line_run --once --serial "$serial" -f "$LINE/$name.yaml" "$@"
}

fault_expect() {
	local name=$1 serial=$2 rc=$3 step=$4 text=$5 verdict reason word=FAIL outcome=fail
	[ "$rc" != 4 ] || { word=ERROR; outcome=error; }
	sed "s/^/  | /" "$LINE/run.out"
	assert_eq "$RUN_RC" "$rc" "$name: exit status"
	[ "$step" != "*" ] || step=
	verdict=$(grep -F "[$name] $word unit $serial at '$step" "$LINE/run.out") ||
		fail "$name: no $word verdict for $serial at '$step'"
	assert_eq "$(sql "$LINE_DB" "SELECT outcome FROM runs WHERE unit_serial = '$serial' ORDER BY started_us DESC LIMIT 1")" \
		"$outcome" "$name: the logged outcome"
	[[ $verdict == *"$text"* ]] || fail "$name: verdict '$verdict' does not say '$text'"
	reason=$(sql "$LINE_DB" "SELECT reason FROM runs WHERE unit_serial = '$serial' ORDER BY started_us DESC LIMIT 1")
	[[ $reason == *"$text"* ]] || fail "$name: logged reason '$reason' does not say '$text'"
	assert_eq "$(sim_field "$name" power)" "0" "$name: board power after the run"
	echo "ok: $name: $text"
}

fault_seq() {
	rm -rf "$LINE/seq"
	cp -r "$ST_TOP/sequences" "$LINE/seq"
	echo "$LINE/seq/factory-provisioning.yaml"
}
