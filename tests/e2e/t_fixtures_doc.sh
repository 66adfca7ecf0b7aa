#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/fixtures.md's fixture files are valid as written: each ```yaml example
# with a 'driver:' passes the parser of `station fixtures check` and fails
# only at opening hardware this machine does not have (exit 4, not 3); the
# limit-override example is valid appended to a fixture file.  The ser2net
# example is run by t_ser2net.sh.
. "$(dirname "$0")/lib.sh"

doc=$ST_TOP/docs/fixtures.md
t=$(st_tmpdir)
awk -v dir="$t" '/^```yaml$/ { on = 1; n++; f = dir "/ex" n ".yaml"; next }
	/^```$/ { on = 0 } on { print > f }' "$doc"
fixtures=0
limits=
for f in "$t"/ex*.yaml; do
	if grep -q '^driver:' "$f"; then
		fixtures=$((fixtures + 1))
		rc=0
		"$BINDIR/station" fixtures check "$f" >"$t/out" 2>&1 || rc=$?
		assert_eq "$rc" 4 "$(head -1 "$f"): valid, only the device is missing: $(cat "$t/out")"
		! grep -q INVALID "$t/out" || fail "$(head -1 "$f"): not parsed: $(cat "$t/out")"
	elif grep -q '^limits:' "$f"; then
		limits=$f
	fi
done
[ "$fixtures" -ge 2 ] || fail "only $fixtures fixture examples in $doc"
[ -n "$limits" ] || fail "no limits: example in $doc"

# the overrides on a fixture of the doc's own
{ printf 'name: bench-b\ndriver: none\nport: %s/no-such-port\n' "$t"; cat "$limits"; } >"$t/limits.yaml"
rc=0
"$BINDIR/station" fixtures check "$t/limits.yaml" >"$t/out" 2>&1 || rc=$?
assert_eq "$rc" 4 "the limits example is valid in a fixture file: $(cat "$t/out")"
# and a typo in it is not: the check is real
sed -i 's/high:/hihg:/' "$t/limits.yaml"
rc=0
"$BINDIR/station" fixtures check "$t/limits.yaml" >"$t/out" 2>&1 || rc=$?
assert_eq "$rc" 3 "a misspelt limit is refused: $(cat "$t/out")"
echo "ok: $fixtures fixture examples and the limits example of docs/fixtures.md parse"
