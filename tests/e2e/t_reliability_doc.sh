#!/usr/bin/env bash
# docs/reliability.md's fault matrix and the fault tests cannot drift apart:
# every row names a test file holding a "# fault: ID" case that asserts the
# row's backticked verdict text literally; every such case has a row; and
# every fault issue 8 asks for is in the table.
set -euo pipefail
top=${ST_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
doc=$top/docs/reliability.md
dir=$top/tests/e2e
required="board/silence board/garbage board/drop-byte board/disconnect board/nack
	board/corrupt-flash board/no-se board/slow-se identity/expired identity/unknown-root
	identity/key-mismatch identity/no-serial identity/clone cms/down cms/5xx cms/slow
	cms/malformed cms/untrusted station/sigkill station/sigint station/disk-full
	station/read-only-log station/yaml-changed"
errors=0
bad() {
	echo "FAIL: $*" >&2
	errors=$((errors + 1))
}

[ -f "$doc" ] || { echo "FAIL: no $doc" >&2; exit 1; }
declare -A row_test
rows=0
# | `ID` | fault | injected by | verdict with one `asserted text` | test.sh |
while IFS='|' read -r _ id _ _ verdict test _; do
	id=$(sed -n 's/^ *`\([a-z0-9-]*\/[a-z0-9-]*\)` *$/\1/p' <<<"$id")
	[ -n "$id" ] || continue
	rows=$((rows + 1))
	test=$(xargs <<<"$test")
	[ -z "${row_test[$id]:-}" ] || bad "$id: two rows"
	row_test[$id]=$test
	[[ $test == t_fault_*.sh && -f $dir/$test ]] || { bad "$id: test '$test' is not a tests/e2e/t_fault_*.sh file"; continue; }
	grep -qx "# fault: $id" "$dir/$test" || bad "$id: $test has no '# fault: $id' case"
	n=$(grep -o '`[^`]*`' <<<"$verdict" | wc -l)
	[ "$n" -ge 1 ] || { bad "$id: the verdict column has no \`asserted text\`"; continue; }
	while IFS= read -r frag; do
		frag=${frag:1:-1}
		grep -qF -- "$frag" "$dir/$test" || bad "$id: $test does not assert '$frag'"
	done < <(grep -o '`[^`]*`' <<<"$verdict")
done < <(grep '^| `' "$doc")

for t in "$dir"/t_fault_*.sh; do
	while read -r id; do
		[ -n "${row_test[$id]:-}" ] || bad "$(basename "$t"): case '$id' has no row in docs/reliability.md"
		[ "${row_test[$id]:-}" = "$(basename "$t")" ] || [ -z "${row_test[$id]:-}" ] ||
			bad "$id: the doc names ${row_test[$id]}, the case is in $(basename "$t")"
	done < <(sed -n 's/^# fault: //p' "$t")
done
for id in $required; do
	[ -n "${row_test[$id]:-}" ] || bad "required fault '$id' is not in the matrix"
done
[ "$errors" = 0 ] || exit 1
echo "ok: $rows rows, each asserted by its test"
