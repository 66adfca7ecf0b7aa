#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint and schema agree (issue 22): every shipped flow and library file, and
# a corpus of broken files (tests/data/seq/agree/), is read by `station lint`
# and by sequences/schema.json as an editor reads it (yq: YAML 1.2 to JSON).
# Each corpus file says on its first line what both must conclude:
#   # both: accepted | # both: refused    the same verdict from each
#   # lint-only: CHECK                    the schema accepts, lint refuses:
#                                         CHECK is one of the semantic checks
#                                         docs/sequences.md lists as lint's alone
. "$(dirname "$0")/lib.sh"

command -v yq >/dev/null || { echo "ok (yq not installed: skipped)"; exit 0; }
t=$(st_tmpdir)
schema=$ST_TOP/sequences/schema.json
# the lint-only checks the docs list (section "Checks only lint does")
documented=$(sed -n '/^### Checks only lint does/,/^#/p' "$ST_TOP/docs/sequences.md" |
	grep -oE '^- `[a-z-]+`' | sed -E 's/^- `//; s/`$//')
[ -n "$documented" ] || fail "docs/sequences.md has no list of lint-only checks"

verdict_schema() { # FILE -> accepted/refused
	yq -c . "$1" >"$t/doc.json" 2>/dev/null || { echo refused; return; }
	if python3 "$ST_TOP/tests/e2e/schema_check.py" "$schema" "$t/doc.json" >"$t/schema.out"; then
		echo accepted
	else
		echo refused
	fi
}
verdict_lint() {
	if (cd "$(dirname "$1")" && "$BINDIR/station" lint "$(basename "$1")") >"$t/lint.out" 2>&1; then
		echo accepted
	else
		echo refused
	fi
}

n=0
for f in "$ST_TOP"/sequences/*.yaml "$ST_TOP"/sequences/common/*.yaml; do
	assert_eq "$(verdict_lint "$f")" accepted "lint of shipped $f: $(cat "$t/lint.out")"
	assert_eq "$(verdict_schema "$f")" accepted "schema of shipped $f: $(cat "$t/schema.out")"
	n=$((n + 1))
done
for f in "$ST_TOP"/tests/data/seq/agree/*.yaml; do
	head=$(head -1 "$f")
	l=$(verdict_lint "$f")
	s=$(verdict_schema "$f")
	case $head in
	"# both: accepted"*) want_l=accepted want_s=accepted ;;
	"# both: refused"*) want_l=refused want_s=refused ;;
	"# lint-only: "*)
		check=${head#\# lint-only: }
		check=${check%% *}
		grep -qxF "$check" <<<"$documented" || fail "$f: '$check' is not a documented lint-only check"
		want_l=refused want_s=accepted ;;
	*) fail "$f: first line must say '# both: ...' or '# lint-only: ...'" ;;
	esac
	[ "$l" = "$want_l" ] || fail "$f: lint $l, want $want_l: $(cat "$t/lint.out")"
	[ "$s" = "$want_s" ] || fail "$f: schema $s, want $want_s: $(cat "$t/schema.out")"
	n=$((n + 1))
done
# limits files: sequences/limits.schema.json, and lint through a flow using the file
for f in "$ST_TOP"/sequences/limits/*.yaml "$ST_TOP"/tests/data/seq/agree-limits/*.yaml; do
	want=accepted
	[[ $(head -1 "$f") == "# refused"* ]] && want=refused
	yq -c . "$f" >"$t/doc.json" || fail "yq cannot read $f"
	s=accepted
	python3 "$ST_TOP/tests/e2e/schema_check.py" "$ST_TOP/sequences/limits.schema.json" "$t/doc.json" \
		>"$t/schema.out" || s=refused
	printf 'name: x\nversion: 1\nlimits: %s\nsteps: [{delay: 1ms}]\n' "$f" >"$t/uses-limits.yaml"
	l=$(verdict_lint "$t/uses-limits.yaml")
	[ "$s" = "$want" ] || fail "$f: limits schema $s, want $want: $(cat "$t/schema.out")"
	[ "$l" = "$want" ] || fail "$f: lint $l, want $want: $(cat "$t/lint.out")"
	n=$((n + 1))
done
echo "ok: $n files, lint and schema agree"
