#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/sequences.md "Try it on a simulated board": its two commands, as
# written (paths moved into a temporary directory, bin/ the build's), start
# dut-sim and pass the doc's first flow on it.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
doc=$ST_TOP/docs/sequences.md
python3 - "$doc" "$t" <<'PY' || fail "cannot extract the try-it commands"
import re, sys
text, out = open(sys.argv[1]).read(), sys.argv[2]
m = re.search(r"<!-- try-it -->\n```sh\n(.*?)```", text, re.S)
if not m or len(m.group(1).strip().split("\n")) != 2:
    sys.exit("no <!-- try-it --> block of two commands")
m2 = re.search(r"<!-- example: first-flow run -->\n```yaml\n(.*?)```", text, re.S)
open(out + "/flow.yaml", "w").write(m2.group(1))
open(out + "/try.sh", "w").write(m.group(1))
PY
sed -i -e "s|/tmp/|$t/|g" -e "s|bin/|$BINDIR/|g" -e "s|FLOW.yaml|$t/flow.yaml|" \
	-e "s|>$t/a.out & }|>$t/a.out \\& echo \$! >>\"$ST_REG/pids\"; }|" "$t/try.sh"
cat "$t/try.sh"
rc=0
timeout 60 bash -e "$t/try.sh" >"$t/out" 2>&1 || rc=$?
cat "$t/out"
assert_eq "$rc" 0 "the two commands"
grep -q "PASS unit SIM000001" "$t/out" || fail "no PASS verdict"
assert_eq "$(sql "$t/st.db" "SELECT outcome FROM runs")" pass "the run in the log"
echo ok
