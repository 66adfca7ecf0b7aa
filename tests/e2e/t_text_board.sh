#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a board prints is data.  Two boards whose diag firmware reports a
# hostile version string (mkimage --version: 16 bytes the firmware prints in
# its banner and its 'version' reply, as a corrupted or malicious image
# would):
#   a  "=1" + U+009B (a one-character CSI) + U+202E (a right-to-left
#      override), then a line break and "PASS u X": a line of its own
#      (in the banner, the line the wait matches; in the 'version' reply,
#      untagged: not part of the reply)
#   b  an ESC [31m escape sequence
# The link layer (link/console.c) takes valid UTF-8 as text, keeps only the
# lines tagged with the request (the untagged line reaches nothing), and
# refuses control characters in a reply (the board "sent non-text bytes",
# shown in hex); the text it takes is shown escaped on the terminal, in
# trace and in CSV (formula-safe), and --json stays valid.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
ver_a=$'=1\xc2\x9b\xe2\x80\xae\nPASS u X'
ver_b=$'1\e[31mX'
"$BINDIR/mkimage" --kind diag --version "$ver_a" --size 8192 -o "$t/a.bin" >/dev/null
"$BINDIR/mkimage" --kind diag --version "$ver_b" --size 8192 -o "$t/b.bin" >/dev/null
sim_start a --fast --image "$t/a.bin" --serial SIM007101
sim_start b --fast --image "$t/b.bin" --serial SIM007102
sim_fixture a "$t/a.yaml"
sim_fixture b "$t/b.yaml"
cat >"$t/seq.yaml" <<'YAML'
name: board-text
version: 1.0.0
steps:
  - name: power on
    lines: {power: on}
  - name: wait for the firmware banner
    console: {wait: 'ready$'}
  - name: firmware version
    measure: {name: fw_version, command: version, pattern: '^diag (.+)$', expect: "1.4.2"}
    on_fail: continue
  - name: firmware says its version
    console: {command: version, expect: '^diag 1[.]4[.]2$'}
teardown:
  - name: power off
    lines: {power: off}
YAML
raw_absent() {	# raw_absent FILE WHAT: none of the boards' dangerous bytes in FILE
	! grep -aq $'\e\\[31mX' "$1" || fail "$2: the board's escape sequence reached it raw"
	! grep -aq $'\xc2\x9b' "$1" || fail "$2: a raw C1 CSI"
	! grep -aq $'\xe2\x80\xae' "$1" || fail "$2: a raw right-to-left override"
	! grep -aq '^PASS u X' "$1" || fail "$2: a forged line"
}
a_shown='=1\u009b\u202e'

# --- a terminal --------------------------------------------------------------
rc=0
(cd "$t" && TERM=xterm python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/tty.out" -- \
	"$BINDIR/station" run --db log.db -f a.yaml -f b.yaml -s seq.yaml --once) || rc=$?
assert_eq "$rc" "1" "both boards fail"
raw_absent "$t/tty.out" "the terminal"
grep -aqF "[a]       fw_version = '$a_shown', expected '1.4.2'" "$t/tty.out" ||
	fail "the terminal does not show the measured text escaped"
grep -aqF "[a]       response to 'version' does not match '^diag 1[.]4[.]2\$': got 'diag $a_shown'" \
	"$t/tty.out" || fail "the terminal does not show the reply escaped"
grep -aqF "sent non-text bytes (0x1b 0x5b 0x33 0x31 0x6d 0x58" "$t/tty.out" ||
	fail "the board's escape sequence is not refused by the link, in hex"

# --- the log, trace, CSV -------------------------------------------------------
assert_eq "$(sql "$t/log.db" "SELECT hex(m.text) FROM measurements m WHERE m.name = 'fw_version'")" \
	"$(printf '%s' "${ver_a%%$'\n'*}" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" "the log keeps the measured text as received"
for run in $(sql "$t/log.db" "SELECT id FROM runs"); do
	"$BINDIR/station" trace --db "$t/log.db" "$run" >>"$t/trace.out" || fail "trace $run"
done
raw_absent "$t/trace.out" "trace"
grep -aqF "got 'diag $a_shown'" "$t/trace.out" || fail "trace: the reply is not shown escaped"
grep -aqF "'$a_shown'" "$t/trace.out" || fail "trace: the measured text is not shown escaped"
for what in runs steps measurements; do
	"$BINDIR/station" export --db "$t/log.db" --what $what >"$t/$what.csv" || fail "export $what"
	raw_absent "$t/$what.csv" "CSV ($what)"
done
python3 - "$t" "$a_shown" <<'PY' || fail "CSV: see above"
import csv, sys
d, shown = sys.argv[1], sys.argv[2]
rows = {w: list(csv.DictReader(open("%s/%s.csv" % (d, w), newline="", encoding="utf-8")))
        for w in ("runs", "steps", "measurements")}
assert len(rows["runs"]) == 2, rows["runs"]            # no raw line break split a row
m = [r for r in rows["measurements"] if r["name"] == "fw_version"]
assert [r["text"] for r in m] == ["'" + shown], m       # the formula defused
for w, rs in rows.items():
    for row in rs:
        for k, v in row.items():
            assert not v or v[0] not in "=+@\t\r" or k == "text", (w, k, v)
reasons = [r["reason"] for r in rows["steps"]]
assert any("got 'diag %s'" % shown in r for r in reasons), reasons
assert any("fw_version = '%s', expected '1.4.2'" % shown in r["reason"] for r in rows["runs"]), rows["runs"]
PY
grep -aqF ",\"'$a_shown\"," "$t/measurements.csv" || fail "CSV: the text cell is not quoted with its formula defused"

# --- --json --------------------------------------------------------------------
rc=0
(cd "$t" && "$BINDIR/station" run --db log.db -f a.yaml -f b.yaml -s seq.yaml --once --json \
	>"$t/events.jsonl" 2>/dev/null) || rc=$?
assert_eq "$rc" "1" "--json: exit status"
python3 - "$t/events.jsonl" "${ver_a%%$'\n'*}" <<'PY' || fail "--json: see above"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()]
text = sys.argv[2]
names = [e["event"] for e in ev]
assert names.count("run_start") == 2 and names.count("run_end") == 2 and names[-1] == "summary", names
ms = [m for e in ev if e["event"] == "step_end" for m in e.get("measurements") or []]
assert [m["value"] for m in ms if m["name"] == "fw_version"] == [text], ms
ends = {e["fixture"]: e for e in ev if e["event"] == "run_end"}
steps = [e for e in ev if e["event"] == "step_end" and e["fixture"] == "a" and e["step"] == "firmware says its version"]
assert len(steps) == 1 and steps[0]["reason"] == (
    "response to 'version' does not match '^diag 1[.]4[.]2$': got 'diag %s'" % text), steps
assert "non-text bytes (0x1b" in ends["b"]["reason"], ends["b"]
PY
echo ok
