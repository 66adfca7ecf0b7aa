#!/usr/bin/env bash
# Every libFuzzer target (tests/fuzz/) for a few seconds on its committed
# seed corpus, after replaying its regression inputs (crashes found before,
# which must stay fixed): `make fuzz-smoke`.  `make fuzz` runs them longer.
set -euo pipefail
cd "${ST_TOP:-$(dirname "$0")/../..}"
command -v clang >/dev/null || { echo "FAIL: clang is not installed (make deps)" >&2; exit 1; }
out=$(make --no-print-directory fuzz-smoke FUZZ_BUILD="${FUZZ_BUILD:-build/fuzz}" 2>&1) ||
	{ echo "$out" | tail -n 60 >&2; echo "FAIL: make fuzz-smoke" >&2; exit 1; }
echo "$out" | grep '^fuzz '
n=$(echo "$out" | grep -c '^fuzz .* no crash$')
[ "$n" -ge 6 ] || { echo "FAIL: $n fuzz targets ran, want 6" >&2; exit 1; }
echo ok
