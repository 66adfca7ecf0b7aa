#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A thread the station cannot start (pthread_create fails, here through an
# LD_PRELOAD shim) is an error that names it, never a join on a thread that
# does not exist: without its signal thread nothing runs (Ctrl-C could not
# stop it); without one fixture's thread that fixture is reported and the
# others run; `station fixtures check` checks nothing without its own.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
${CC:-gcc} -shared -fPIC -O1 -o "$t/fail_thread.so" "$ST_TOP/tests/e2e/shim/fail_thread.c" -ldl
cat >"$t/seq.yaml" <<'YAML'
name: threads
version: 1.0.0
steps:
  - name: power on
    lines: {power: on}
teardown:
  - name: power off
    lines: {power: off}
YAML
echo "log: $t/station.db" >"$t/station.yaml"
fx=()
for n in a b; do
	sim_start "$n" --fast --serial "SIM00071${n}"
	sim_fixture "$n" "$t/$n.yaml"
	fx+=(-f "$t/$n.yaml")
done
# an ASan build wants its runtime first; the shim only passes calls on
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

run_failing() {	# N: the pthread_create that fails
	rc=0
	ST_FAIL_THREAD=$1 LD_PRELOAD=$t/fail_thread.so "$BINDIR/station" run -c "$t/station.yaml" \
		-s "$t/seq.yaml" --once --json "${fx[@]}" >"$t/run$1.out" 2>"$t/run$1.err" || rc=$?
	cat "$t/run$1.err" >&2
}

# 1st: the signal thread
run_failing 1
assert_eq "$rc" "4" "exit status without a signal thread"
grep -q "cannot start the signal thread (Resource temporarily unavailable): nothing run" \
	"$t/run1.err" || fail "no message naming the signal thread"
# (the signal thread starts before the log is opened: there may be no log yet)
[ ! -s "$t/station.db" ] ||
	assert_eq "$(sql "$t/station.db" "SELECT count(*) FROM runs")" "0" "no run without a signal thread"

# 2nd: fixture a's thread; b runs as usual
run_failing 2
assert_eq "$rc" "4" "exit status with a fixture not run"
grep -q "fixture a: cannot start its thread (Resource temporarily unavailable): not run" \
	"$t/run2.err" || fail "no message naming fixture a"
assert_eq "$(sql "$t/station.db" "SELECT fixture || ' ' || outcome FROM runs")" "b pass" \
	"fixture b ran and passed, a did not run"
assert_eq "$(sim_field a power)" "0" "board a never powered"

# station fixtures check: nobody to take Ctrl-C while a board is powered
rc=0
ST_FAIL_THREAD=1 LD_PRELOAD=$t/fail_thread.so "$BINDIR/station" fixtures check --power \
	"$t/a.yaml" >"$t/check.out" 2>"$t/check.err" || rc=$?
assert_eq "$rc" "4" "fixtures check without a signal thread"
grep -q "cannot start the signal thread (Resource temporarily unavailable): nothing checked" \
	"$t/check.err" || fail "fixtures check: no message naming the signal thread"
grep -q "fixture:" "$t/check.out" && fail "fixtures check touched a fixture"
echo "ok"
