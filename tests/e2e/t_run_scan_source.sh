#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where a prompt's answer came from is logged as the step value
# answer_source (docs/sequences.md, prompt): a serial scanned at the
# operator's terminal (tests/e2e/pty_run.py; a prompt into ${serial} is asked
# before the run starts) is the operator's answer, `operator`; one given with
# --serial is `given`, on the same terminal.  Other prompts answered there
# are `operator` too.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM001801
sim_fixture a "$t/a.yaml"
cat >"$t/flow.yaml" <<'YAML'
name: scan-source
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^SIM[0-9]{6}$'}
  - name: scan the work order
    prompt: {message: Scan the work order, var: order}
YAML
pty() {	# pty NAME ARGS...: the flow on a terminal of its own, the script $t/NAME.script
	rc=0
	TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/$1.out" \
		--script "$t/$1.script" -- "$BINDIR/station" run --db "$t/station.db" -f "$t/a.yaml" \
		-s "$t/flow.yaml" --once "${@:2}" || rc=$?
	[ "$rc" = 90 ] && { tr -d '\033' <"$t/$1.out" | tail -c 3000 >&2; fail "$1: the screen expected did not come"; }
	assert_eq "$rc" "0" "$1: exit status"
}
source_of() {	# source_of SERIAL STEP: the step's answer_source in SERIAL's run
	sql "$t/station.db" "SELECT v.value FROM step_values v JOIN steps s ON s.id = v.step_id
		JOIN runs r ON r.id = s.run_id WHERE r.unit_serial = '$1' AND s.name = '$2'
		AND v.key = 'answer_source'"
}
cat >"$t/scan.script" <<'SCRIPT'
answer 60 \[(a)\] Scan the (?:barcode on the board|work order): => a=SIM001801,WO-1
answer 60 \[(a)\] Scan the work order: 
SCRIPT
pty scan
cat >"$t/given.script" <<'SCRIPT'
answer 60 \[(a)\] Scan the work order: => a=WO-2
SCRIPT
pty given --serial SIM001802
assert_eq "$(sql "$t/station.db" "SELECT group_concat(unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY unit_serial)")" "SIM001801:pass SIM001802:pass" "the runs"
assert_eq "$(source_of SIM001801 'scan the board serial')" "operator" "a scanned serial: the operator's"
assert_eq "$(source_of SIM001801 'scan the work order')" "operator" "the work order: the operator's"
assert_eq "$(source_of SIM001802 'scan the board serial')" "given" "a serial from --serial: given"
assert_eq "$(source_of SIM001802 'scan the work order')" "operator" "--serial: the work order the operator's"
echo "ok"
