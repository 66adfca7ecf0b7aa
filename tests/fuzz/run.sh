#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run one fuzz target: first its regression inputs (tests/fuzz/regress/T/,
# crashes found earlier, each must now pass), then libFuzzer for SECONDS on
# the committed seeds (tests/fuzz/corpus/T/) plus what earlier runs found.
# Prints one summary line: "fuzz T: N execs in S s, corpus C, no crash".
# Usage: tests/fuzz/run.sh BUILD TARGET SECONDS [extra libFuzzer flags]
set -euo pipefail
build=$1 t=$2 secs=$3
shift 3
bin=$build/fuzz_$t
[ -x "$bin" ] || { echo "fuzz $t: $bin not built (make fuzz-build)" >&2; exit 1; }
seeds=tests/fuzz/corpus/$t
work=$build/corpus/$t
log=$build/fuzz-$t.log
mkdir -p "$work"
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "fuzz $t: no seed corpus in $seeds" >&2; exit 1; }
if [ -d "tests/fuzz/regress/$t" ] && [ -n "$(ls -A "tests/fuzz/regress/$t")" ]; then
	"$bin" -close_fd_mask=2 tests/fuzz/regress/"$t"/* >"$log.regress" 2>&1 ||
		{ tail -n 40 "$log.regress" >&2; echo "fuzz $t: a regression input fails" >&2; exit 1; }
fi
rc=0
t0=$SECONDS
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 \
	-print_final_stats=1 -artifact_prefix="$build/crash-$t-" "$@" \
	"$work" "$seeds" </dev/null >"$log" 2>&1 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$rc" != 0 ]; then
	grep -B2 -A30 -m1 'ERROR:\|==ERROR\|runtime error\|deadly signal\|timeout' "$log" >&2 || tail -n 40 "$log" >&2
	echo "fuzz $t: CRASH after ${execs:-?} execs (reproducer: $(ls "$build"/crash-"$t"-* 2>/dev/null | tail -n 1))" >&2
	exit 1
fi
echo "fuzz $t: ${execs:-?} execs in $((SECONDS - t0)) s, corpus $(ls "$work" | wc -l) + $(ls "$seeds" | wc -l) seeds, no crash"
