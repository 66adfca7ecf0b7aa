#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Files named through variables (issue 22, "everything checked before a
# board is touched"): an include list, the limits file and an include step
# may name their file with ${...}; it is resolved with the values known
# before the run (the flow's vars, station.yaml vars, --var) and read at
# load time, by lint and by run alike.  A ${...} only the run sets (a
# capture, the serial) is refused there, and a path that does not resolve to
# a readable file is named; --dry-run lists every file it read.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
mkdir -p "$t/lib-a" "$t/limits"
cat >"$t/lib-a/groups.yaml" <<'YAML'
name: groups
version: 1.0.0
groups:
  settle:
    - delay: 1ms
YAML
printf 'name: steps\nversion: 1.0.0\nsteps:\n  - name: from the library\n    delay: 1ms\n' >"$t/lib-a/steps.yaml"
printf 'rail_3v3: {low: 3.2, high: 3.4, unit: V}\n' >"$t/limits/board-a.yaml"
cat >"$t/flow.yaml" <<'YAML'
name: file-vars
version: 1.0.0
vars:
  lib: ~
  product: ~
include: ['${lib}/groups.yaml']
limits: 'limits/${product}.yaml'
steps:
  - group: settle
  - include: '${lib}/steps.yaml'
  - name: not before the run
    console: {command: id, capture: {uid: '^uid: (.*)$'}}
  - name: a late include
    include: '${uid}.yaml'
YAML
lint() {
	LINT_RC=0
	LINT_OUT=$(cd "$t" && "$BINDIR/station" lint "$@" 2>&1) || LINT_RC=$?
}
lint flow.yaml
assert_eq "$LINT_RC" 1 "no values: refused"
assert_eq "$LINT_OUT" "flow.yaml:6:11: '\${lib}/groups.yaml' is read when the sequence loads: each \${...} in it needs a value then (under 'vars:', in station.yaml or with --var), not one the run sets
flow.yaml:7:9: 'limits/\${product}.yaml' is read when the sequence loads: each \${...} in it needs a value then (under 'vars:', in station.yaml or with --var), not one the run sets
flow.yaml:9:12: no group named 'settle': define it under 'groups:' or in an included file
flow.yaml:10:14: '\${lib}/steps.yaml' is read when the sequence loads: each \${...} in it needs a value then (under 'vars:', in station.yaml or with --var), not one the run sets
flow.yaml:14:14: '\${uid}.yaml' is read when the sequence loads: each \${...} in it needs a value then (under 'vars:', in station.yaml or with --var), not one the run sets" \
	"every file behind a variable without a value named"
sed -i '/a late include/,$d' "$t/flow.yaml"
lint --var lib=lib-a --var product=board-a flow.yaml
assert_eq "$LINT_RC/$LINT_OUT" "0/flow.yaml: ok (file-vars 1.0.0)" "values from --var"
printf 'station: s1\nvars: {lib: %s/lib-a, product: board-a}\n' "$t" >"$t/station.yaml"
lint -c station.yaml flow.yaml
assert_eq "$LINT_RC/$LINT_OUT" "0/flow.yaml: ok (file-vars 1.0.0)" "values from station.yaml (an absolute path)"
lint --var lib=lib-b --var product=board-b flow.yaml
assert_eq "$LINT_OUT" "flow.yaml:6:11: cannot read included file '\${lib}/groups.yaml' (resolved to ./lib-b/groups.yaml)
flow.yaml:7:9: cannot read included file 'limits/\${product}.yaml' (resolved to ./limits/board-b.yaml)
flow.yaml:9:12: no group named 'settle': define it under 'groups:' or in an included file
flow.yaml:10:14: cannot read included file '\${lib}/steps.yaml' (resolved to ./lib-b/steps.yaml)" \
	"values that name no file"

# run: the same reading, and the plan lists each file it read
printf 'name: f\ndriver: sim\nctrl: %s/none.sock\n' "$t" >"$t/fx.yaml"
rc=0
(cd "$t" && "$BINDIR/station" run -c station.yaml -s flow.yaml -f fx.yaml --dry-run) >"$t/plan" 2>"$t/err" || rc=$?
assert_eq "$rc" 0 "dry-run with station.yaml's values: $(cat "$t/err")"
for f in lib-a/groups.yaml limits/board-a.yaml lib-a/steps.yaml; do
	grep -qE "^  file .*/$f \(sha256 [0-9a-f]{64}\)" "$t/plan" || fail "the plan does not list $f: $(cat "$t/plan")"
done
grep -qF -- "- from the library [delay]" "$t/plan" || fail "the included step is not in the plan"
rc=0
(cd "$t" && "$BINDIR/station" run -c station.yaml -s flow.yaml -f fx.yaml --var lib=lib-b --dry-run) \
	>"$t/plan" 2>"$t/err" || rc=$?
assert_eq "$rc" 3 "run with a --var naming no library"
grep -qF "cannot read included file '\${lib}/groups.yaml' (resolved to ./lib-b/groups.yaml)" "$t/err" ||
	fail "run does not name the missing library: $(cat "$t/err")"
echo ok
