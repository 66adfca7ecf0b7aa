#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What lint says about a file it cannot read as YAML, and about durations
# (issue 22): a tab is named as a tab; an unclosed bracket is reported where
# the parser gave up and where it opened; under `station run` a problem is
# printed once; every duration within 0..24h, a timeout at least 1ms.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
lint() { # FILE: LINT_RC, LINT_OUT
	LINT_RC=0
	LINT_OUT=$(cd "$t" && "$BINDIR/station" lint "$1" 2>&1) || LINT_RC=$?
}
printf 'name: x\nversion: 1\nsteps:\n\t- delay: 1ms\n' >"$t/tab.yaml"
lint tab.yaml
assert_eq "$LINT_RC/$LINT_OUT" "1/tab.yaml:4:1: YAML syntax error: found character that cannot start any token: a tab character; YAML indents with spaces only" \
	"a tab indenting a step"
printf 'name: x\nversion: 1\nsteps:\n  -\tdelay: 1ms\n' >"$t/tab2.yaml"
lint tab2.yaml
assert_match "$LINT_OUT" "^tab2.yaml:4:4: YAML syntax error: .*a tab character; YAML indents with spaces only$" \
	"a tab after a dash"
printf 'name: x\nversion: 1\nsteps:\n  - console: {command: version,\n      expect: [a, b\n  - delay: 1ms\n' >"$t/bracket.yaml"
lint bracket.yaml
assert_eq "$LINT_OUT" "bracket.yaml:6:10: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence, which started at line 5, column 15)" \
	"an unclosed '[' named where it opened"
rc=0
(cd "$t" && "$BINDIR/station" run -s bracket.yaml --dry-run) >"$t/out" 2>"$t/err" || rc=$?
assert_eq "$rc" 3 "run on a syntax error"
assert_eq "$(grep -c "started at line 5, column 15" "$t/err")" 1 "the problem printed once under run"

cat >"$t/dur.yaml" <<'YAML'
name: dur
version: 1.0.0
steps:
  - {delay: 1ms, timeout: 0}
  - {delay: 1ms, timeout: 0.5ms}
  - {delay: 1ms, timeout: 1e300}
  - {delay: 1e19}
  - {delay: 25h}
  - {delay: 1441min}
  - {delay: 1ms, retry_delay: 86401, retries: 1}
  - {lines: {power: on, settle: nan}}
  - {lines: {power: pulse, pulse: -1ms}}
  - {delay: 86400}
  - {delay: 1ms, timeout: 1ms}
  - {delay: 24min, timeout: 1440min}
  - {delay: 1ms, timeout: 2h}
  - {delay: 1ms, timeout: 24h}
YAML
lint dur.yaml
assert_eq "$LINT_OUT" "dur.yaml:4:27: timeout must be at least 1ms (and at most 24h)
dur.yaml:5:27: timeout must be at least 1ms (and at most 24h)
dur.yaml:6:27: duration '1e300' is over the limit of 24h
dur.yaml:7:13: duration '1e19' is over the limit of 24h
dur.yaml:8:13: duration '25h' is over the limit of 24h
dur.yaml:9:13: duration '1441min' is over the limit of 24h
dur.yaml:10:31: duration '86401' is over the limit of 24h
dur.yaml:11:33: expected a duration such as 5, 2.5s, 500ms, 1min or 2h, got 'nan'
dur.yaml:12:35: expected a duration such as 5, 2.5s, 500ms, 1min or 2h, got '-1ms'" \
	"durations out of bounds, and the bounds themselves accepted"
echo ok
