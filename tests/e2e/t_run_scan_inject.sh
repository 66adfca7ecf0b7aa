#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A barcode scanner types what its barcode holds, control characters and
# escape sequences included (Code 128 encodes every ASCII control).  On the
# operator's terminal (tests/e2e/pty_run.py), two fixtures sharing it, such
# scans are data: the terminal neither edits them (a ^U that would erase
# "XX" and leave a serial that matches), nor stops, suspends or freezes the
# station (^C, ^Z, ^\, ^S in the middle of a scan), nor runs the escape
# sequences (clear the screen, set the window title, a C1 CSI, a
# right-to-left override, a line separator): the station echoes them
# escaped, refuses what does not match, stores what it takes as received,
# and hands the terminal back as it was.  Backspace takes back a key.  A lone Ctrl-C (no key within
# 50 ms of it) is the operator's stop; a station killed outright during a
# question leaves its terminal to the guardian, which sets it back.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_fast_boards "$t" SIM00090 a b
cat >"$t/scan.yaml" <<'YAML'
name: scan-inject
version: 1.0.0
steps:
  - name: scan the board serial
    prompt: {message: Scan the board serial, var: serial, pattern: '^SIM[0-9]{6}$'}
  - name: power on
    lines: {power: on}
  - name: scan the work order
    prompt: {message: Scan the work order, var: order}
teardown:
  - name: power off
    lines: {power: off}
YAML
printf 'log: %s\nsequence: scan.yaml\nfixtures: [a.yaml, b.yaml]\n' "$t/station.db" >"$t/station.yaml"
pty() {	# pty NAME: station run on a terminal of its own, the script $t/NAME.script
	rc=0
	TERM=xterm LC_ALL=C.UTF-8 python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$t/$1.out" \
		--termios "$t/$1.modes" --script "$t/$1.script" -- \
		"$BINDIR/station" run -c "$t/station.yaml" --once "${@:2}" || rc=$?
	[ "$rc" = 90 ] && { tr -d '\033' <"$t/$1.out" | tail -c 3000 >&2; fail "$1: a question was not asked"; }
	return 0
}

# --- scans with controls and escapes, two fixtures ---------------------------
q='\[([ab])\] Scan the (?:board serial|work order): '
{
	echo "answer 60 $q => a=XX\\x15SIM000901,SIM\\x03\\x1a\\x1c\\x13000901,SIM000901,WO-1\\xe2\\x80\\xa8PASS\\x20unit\\x20X\\xc2\\x9b1m\\xe2\\x80\\xaeZ b=\\x1b[2J\\x1b]0;pwned\\x07SIM000902,SIM000902,WO-3\\x7f2"
	for _ in 1 2 3 4 5 6; do echo "answer 60 $q"; done
} >"$t/inject.script"
pty inject
out=$t/inject.out
assert_eq "$rc" "0" "exit status: both units passed, nothing stopped the station"
db=$t/station.db
assert_eq "$(sql "$db" "SELECT group_concat(fixture || '=' || unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY fixture)")" "a=SIM000901:pass b=SIM000902:pass" \
	"each fixture's serial is the one scanned for it, after the refused scans"
assert_eq "$(sql "$db" "SELECT count(*) FROM events WHERE what = 'stop'")" "0" "a ^C inside a scan stopped nothing"
# ^U is data: the scan is refused as a whole (the terminal's line editing
# would have left SIM000901, which matches)
grep -aqF "[a] answer: XX\\x15SIM000901 ('XX\\x15SIM000901' does not match ^SIM[0-9]{6}\$: scan again)" "$out" ||
	fail "a scan with ^U was not refused whole, or not shown escaped"
grep -aqF "[a] answer: SIM\\x03\\x1a\\x1c\\x13000901 (" "$out" || fail "^C ^Z ^\\ ^S inside a scan are not data"
grep -aqF "[b] answer: \\e[2J\\e]0;pwned\\x07SIM000902 (" "$out" || fail "the escape sequences are not shown escaped"
grep -aqF "[a] answer: WO-1\\u2028PASS unit X\\u009b1m\\u202eZ" "$out" ||
	fail "a line separator, a C1 CSI and a bidi override are not shown escaped"
# Backspace (DEL) takes back a character: the one editing key
assert_eq "$(sql "$db" "SELECT v.value FROM step_values v JOIN runs r ON r.id = v.run_id
	WHERE r.fixture = 'b' AND v.key = 'order'")" "WO-2" "Backspace takes back the last character"
grep -aqF "[b] answer: WO-2" "$out" || fail "the answer after a Backspace is not shown"
# stored as received: the log is the record of what was scanned
assert_eq "$(sql "$db" "SELECT hex(v.value) FROM step_values v JOIN runs r ON r.id = v.run_id
	WHERE r.fixture = 'a' AND v.key = 'order'")" \
	"$(printf 'WO-1\xe2\x80\xa8PASS unit X\xc2\x9b1m\xe2\x80\xaeZ' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
	"the work order is stored as it was scanned"
# nothing of it reached the terminal raw (the station's own escapes are
# \e[K, \e[J, \e[nA and colours only), and the terminal echoed nothing
for raw in $'\e[2J' $'\e]0;' $'\a' $'\x15' $'\x03' $'\x1a' $'\x1c' $'\x13' $'\xc2\x9b' $'\xe2\x80\xae' \
	$'\xe2\x80\xa8' '^U' '^['; do
	! grep -aqF -- "$raw" "$out" || fail "$(printf '%q' "$raw") reached the terminal"
done
# what was typed is echoed by the station while it is typed, escaped
grep -aqF "[b] Scan the board serial: "$'\e[0m'"\\e[2J\\e]0;pwned\\x07SIM" "$out" || fail "the scan is not echoed escaped as it comes"
assert_eq "$(cat "$t/inject.modes")" "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" "the terminal is handed back as it was"

# --- --json for a line controller, the operator at the terminal: the
# questions and the echo on stderr, a Backspace rubbed out -------------------
cat >"$t/json.script" <<'SCRIPT'
expect 60 \[a\] Scan the board serial: 
send SIM00X\x7f0901\r
expect 60 \[a\] Scan the work order: 
send WO\x1b[2J9\r
SCRIPT
pty json --db "$t/json.db" --json -f "$t/a.yaml"
assert_eq "$rc" "0" "--json: exit status"
grep -aqF $'[a] Scan the board serial: SIM00X\b \b0901\r\n' "$t/json.out" ||
	fail "--json: the answer is not echoed on stderr, or the Backspace not rubbed out"
grep -aqF '[a] Scan the work order: WO\e[2J9' "$t/json.out" || fail "--json: the echo is not escaped"
! grep -aqF $'\e[2J' "$t/json.out" || fail "--json: the escape sequence reached the terminal"
grep -aq '"event":"run_end","fixture":"a",.*"serial":"SIM000901","verdict":"PASS"' "$t/json.out" ||
	fail "--json: no passing run_end with the serial as corrected"

# --- Ctrl-C as an answer's first key: the operator's stop -------------------
printf 'expect 60 %s\nsend \\x03\n' "$q" >"$t/ctrlc.script"
pty ctrlc --db "$t/ctrlc.db"
assert_eq "$rc" "5" "Ctrl-C at a question: exit status"
grep -aq 'Interrupt: stopping, every fixture to its safe state' "$t/ctrlc.out" || fail "Ctrl-C: no word of the stop"
assert_eq "$(cat "$t/ctrlc.modes")" "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" "Ctrl-C: the terminal handed back"

# --- killed outright during a question: the guardian sets the terminal back --
cat >"$t/kill.script" <<SCRIPT
expect 60 $q
termios $t/asking.modes
kill KILL
expect 60 the station ended without stopping: the terminal's settings restored
SCRIPT
pty kill --db "$t/kill.db"
assert_eq "$rc" "137" "SIGKILL: the station died at once"
assert_eq "$(cat "$t/asking.modes")" "echo=0 icanon=0 isig=0 ixon=0 icrnl=0" \
	"while asking, the terminal echoes, edits and signals nothing"
assert_eq "$(cat "$t/kill.modes")" "echo=1 icanon=1 isig=1 ixon=1 icrnl=1" "SIGKILL: the terminal set back"
echo "ok"
