#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every example in docs/sequences.md is real: each whole sequence marked
# <!-- example: NAME --> passes `station lint`; those marked `run` pass on a
# simulated board (diagnostic firmware in flash, an SE identity, a CMS); the
# <!-- broken: NAME --> file gives exactly the lint output the doc shows.
# A whole-sequence block left unmarked fails the test, so none goes unchecked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

doc=$ST_TOP/docs/sequences.md
ex=$(st_tmpdir)
line_setup

# Extract the marked blocks: files under $ex, and a manifest (kind name args).
python3 - "$doc" "$ex" <<'PY' || fail "cannot extract the examples of $doc"
import os, re, sys
doc, out = sys.argv[1], sys.argv[2]
lines = open(doc).read().split("\n")
mark = re.compile(r"^<!-- (example|file|broken|lint-output): (\S+)(.*?) -->$")
manifest, pending, unmarked = [], None, []
i = 0
while i < len(lines):
    m = mark.match(lines[i])
    if m:
        pending = (m.group(1), m.group(2), m.group(3).strip(), i + 1)
        i += 1
        continue
    if lines[i].startswith("```"):
        start = i
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        body = "\n".join(lines[i + 1:j]) + "\n"
        whole = lines[i] == "```yaml" and re.search(r"^name: ", body, re.M) \
            and re.search(r"^steps:", body, re.M)
        if pending:
            kind, name, args, at = pending
            if start != at and lines[at:start] != [""] * (start - at):
                sys.exit("%s:%d: marker not followed by a code block" % (doc, at))
            path = {"example": name + ".yaml", "broken": name + ".yaml",
                    "file": name, "lint-output": name + ".lint"}[kind]
            os.makedirs(os.path.dirname(os.path.join(out, path)) or out, exist_ok=True)
            with open(os.path.join(out, path), "w") as f:
                f.write(body)
            manifest.append("%s %s %s" % (kind, name, args))
        elif whole:
            unmarked.append("%s:%d" % (doc, start + 1))
        pending = None
        i = j + 1
        continue
    i += 1
if unmarked:
    sys.exit("whole sequences without an <!-- example: NAME --> marker at " + ", ".join(unmarked))
with open(os.path.join(out, "manifest"), "w") as f:
    f.write("\n".join(manifest) + "\n")
PY

n_lint=0 n_run=0 n_broken=0 board=0
while read -r kind name args; do
	case $kind in
	example)
		out=$(cd "$ex" && "$BINDIR/station" lint -c "$LINE/station.yaml" "$name.yaml" 2>&1) ||
			fail "docs example '$name' does not pass station lint:"$'\n'"$out"
		assert_match "$out" "^$name.yaml: ok \\($name " "lint of docs example '$name'"
		n_lint=$((n_lint + 1))
		[[ $args == run* ]] || continue
		board=$((board + 1))
		serial=$(printf 'SIM%06d' $((900 + board)))
		line_board "ex$board" "$serial" --image "$LINE/images/diag.bin"
		extra=${args#run}
		# shellcheck disable=SC2086 # the marker's arguments, split as on a command line
		line_run --once --serial "$serial" -s "$ex/$name.yaml" -f "$LINE/ex$board.yaml" \
			--db "$ex/$name.db" $extra
		[ "$RUN_RC" = 0 ] || { cat "$LINE/run.out" "$LINE/run.err"; fail "docs example '$name' does not pass on the simulated board (exit $RUN_RC)"; }
		grep -q "PASS unit $serial" "$LINE/run.out" || { cat "$LINE/run.out"; fail "no PASS verdict for docs example '$name'"; }
		assert_eq "$(sql "$ex/$name.db" "SELECT outcome || ' ' || sequence_name || ' ' || sequence_sha256 FROM runs")" \
			"pass $name $(sha256sum "$ex/$name.yaml" | cut -d' ' -f1)" "log of docs example '$name'"
		assert_eq "$(sql "$ex/$name.db" "SELECT count(*) FROM steps WHERE outcome NOT IN ('pass', 'skipped')")" \
			"0" "steps of docs example '$name'"
		assert_eq "$(sim_field "ex$board" power)" 0 "board of docs example '$name' powered off"
		n_run=$((n_run + 1))
		;;
	broken)
		[ -f "$ex/$name.lint" ] || fail "broken example '$name' has no <!-- lint-output: $name --> block"
		rc=0
		out=$(cd "$ex" && "$BINDIR/station" lint "$name.yaml" 2>&1) || rc=$?
		assert_eq "$rc" 1 "station lint exit status on broken example '$name'"
		[ "$out"$'\n' == "$(cat "$ex/$name.lint")"$'\n' ] ||
			fail "lint output of '$name' differs from the doc:"$'\n'"$(diff <(echo "$out") "$ex/$name.lint")"
		n_broken=$((n_broken + 1))
		;;
	esac
done <"$ex/manifest"

# The doc shows every kind of example, and the tests really ran them.
[ "$n_lint" -ge 10 ] || fail "only $n_lint examples found in $doc"
[ "$n_run" -ge 8 ] || fail "only $n_run runnable examples found in $doc"
[ "$n_broken" -ge 1 ] || fail "no broken example with its lint output in $doc"
# The flagship flows the doc names load too.
"$BINDIR/station" lint -c "$LINE/station.yaml" "$ST_TOP"/sequences/*.yaml >/dev/null ||
	fail "a flow in sequences/ does not pass station lint"
echo "ok: $n_lint examples lint, $n_run run on dut-sim, $n_broken broken example matches"
