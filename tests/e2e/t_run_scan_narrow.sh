#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A question longer than the terminal is wide is cut to leave room for the
# answer (a wrapped line would break the live view's redraw): the cut is
# shown, an ellipsis, and the answer still comes after ": ", never glued to
# the question's last word.  On a 40-column terminal (tests/e2e/pty_run.py),
# in UTF-8 ("…") and in plain ASCII ("...").
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM001601
sim_fixture a "$t/a.yaml"
cat >"$t/flow.yaml" <<'YAML'
name: scan-narrow
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the barcode on the board, var: serial, pattern: '^SIM[0-9]{6}$'}
YAML
pty() {	# pty NAME LOCALE: the flow on a 40-column terminal, the script $t/NAME.script
	rc=0
	TERM=xterm LC_ALL=$2 python3 "$ST_TOP/tests/e2e/pty_run.py" --cols 40 --out "$t/$1.out" \
		--script "$t/$1.script" -- "$BINDIR/station" run --db "$t/$1.db" -f "$t/a.yaml" \
		-s "$t/flow.yaml" --once || rc=$?
	[ "$rc" = 90 ] && { tr -d '\033' <"$t/$1.out" | tail -c 3000 >&2; fail "$1: the screen expected did not come"; }
	assert_eq "$rc" "0" "$1: exit status"
	assert_eq "$(sql "$t/$1.db" "SELECT unit_serial || ':' || outcome FROM runs")" "SIM001601:pass" "$1: the run"
}
# (the question's line: bold, then plain for the answer)
cat >"$t/utf8.script" <<'SCRIPT'
expect 60 \[a\] Scan the barcode\xe2\x80\xa6: (\x1b\[0m)?\x1b\[K
send SIM001601
expect 10 \[a\] Scan the barcode\xe2\x80\xa6: (\x1b\[0m)?SIM001601\x1b\[K
send \r
expect 10 \[a\] answer: SIM001601
SCRIPT
pty utf8 C.UTF-8
cat >"$t/ascii.script" <<'SCRIPT'
expect 60 \[a\] Scan the barco\.\.\.: (\x1b\[0m)?\x1b\[K
send SIM001601
expect 10 \[a\] Scan the barco\.\.\.: (\x1b\[0m)?SIM001601\x1b\[K
send \r
expect 10 \[a\] answer: SIM001601
SCRIPT
pty ascii C
! grep -aq 'Scan the barcode on\(.\[0m\)\?SIM' "$t/utf8.out" "$t/ascii.out" ||
	fail "the answer glued to the cut question"
echo "ok"
