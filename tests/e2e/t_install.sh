#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install` into a fresh PREFIX, then the installed station run from
# another directory, as a line would use it: ./station.yaml read without
# -c, `-s factory-provisioning` found in PREFIX/share/station/sequences with
# its includes and limits, the demo flow passing on two simulated boards;
# a global option after the command; the man page renders.  A sequence
# of the same name in the current directory comes first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

prefix=$(st_tmpdir)/prefix
make -s -C "$ST_TOP" -o all install PREFIX="$prefix" BUILD="$BUILD" BINDIR="$BINDIR" >/dev/null ||
	fail "make install failed"
st=$prefix/bin/station
for f in sequences/factory-provisioning.yaml sequences/common/boot.yaml sequences/common/final-test.yaml \
	sequences/limits/factory.yaml sequences/schema.json fixtures/sim.yaml db/schema.sql; do
	[ -f "$prefix/share/station/$f" ] || fail "not installed: share/station/$f"
done
[ -f "$prefix/share/doc/station/operators.md" ] || fail "not installed: the operators' guide"
[ -f "$prefix/share/doc/station/examples/ser2net.yaml" ] || fail "not installed: the ser2net example"
man -l "$prefix/share/man/man1/station.1" 2>&1 | grep -q 'bed-of-nails test station' ||
	fail "the man page does not render"

line_setup
line_board a SIM001101
line_board b SIM001102
work=$(st_tmpdir)/elsewhere
mkdir -p "$work"
# the line's station.yaml, without 'sequence:' and with its fixtures, in the
# directory the operator starts station from
{
	grep -v '^sequence:' "$LINE/station.yaml" | sed "s|^log: .*|log: $work/station.db|;
		s|^trust: .*|trust: $LINE/pki/trust|; s|ca: pki/|ca: $LINE/pki/|; s|api_key_file: .*|api_key_file: $LINE/cms.key|"
	echo "fixtures: [$LINE/a.yaml, $LINE/b.yaml]"
} >"$work/station.yaml"
rc=0
(cd "$work" && "$st" run -s factory-provisioning --once -v) >"$work/run.out" 2>"$work/run.err" || rc=$?
cat "$work/run.err" >&2
assert_eq "$rc" "0" "the installed station passes the demo flow from another directory"
assert_eq "$(sql "$work/station.db" "SELECT group_concat(unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY unit_serial)")" "SIM001101:pass SIM001102:pass" "both units pass"
assert_eq "$(sql "$work/station.db" "SELECT count(*) FROM run_files WHERE path LIKE '$prefix/share/station/sequences/%'")" \
	"$(sql "$work/station.db" "SELECT count(*) FROM run_files")" "every file of the flow came from the installed sequences"
[ "$(sql "$work/station.db" "SELECT count(DISTINCT path) FROM run_files")" -ge 3 ] ||
	fail "the flow's files (flow and its includes) are not logged"
grep -q 'info' "$work/run.err" || fail "-v after the command did not raise the log level"

# every command reads ./station.yaml the same way: its log, with no --db
(cd "$work" && "$st" trace SIM001101) | grep -q 'pass' || fail "trace did not read ./station.yaml's log"
(cd "$work" && "$st" db check) >/dev/null || fail "db check did not read ./station.yaml's log"
(cd "$work" && "$st" report) >/dev/null || fail "report did not read ./station.yaml's log"

# a NAME in the current directory comes first; a NAME nowhere is said
cp "$ST_TOP/sequences/factory-provisioning.yaml" "$work/mine.yaml"
sed -i 's/^name: .*/name: local-flow/; s|include: \[common/boot.yaml\]|include: ['"$prefix"'/share/station/sequences/common/boot.yaml]|;
	s|^limits: .*|limits: '"$prefix"'/share/station/sequences/limits/factory.yaml|' "$work/mine.yaml"
sed -i 's|include: common/final-test.yaml|include: '"$prefix"'/share/station/sequences/common/final-test.yaml|' "$work/mine.yaml"
cp "$work/mine.yaml" "$work/factory-provisioning.yaml"
(cd "$work" && "$st" run -s factory-provisioning --dry-run) | grep -q '^sequence local-flow ' ||
	fail "-s NAME did not take the current directory's file first"
rc=0
(cd "$work" && "$st" run -s no-such-flow --once) 2>"$work/nf.err" || rc=$?
assert_eq "$rc" "3" "an unknown sequence name"
grep -q "no sequence 'no-such-flow' (nor no-such-flow.yaml) in ., .*/share/station/sequences: give its path" "$work/nf.err" ||
	fail "the places looked in are not said: $(cat "$work/nf.err")"
echo "ok"
