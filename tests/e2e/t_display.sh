#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The operator's view in its three modes, on two fixtures (one passes, one's
# 3V3 rail is out of limits):
#   --json   one valid JSON object per line: run_start, step_end, progress, run_end
#   plain    stdout is a file: one line per event and the verdict lines, no escapes
#   tty      under a pty (script): live lines redrawn in place (cursor up), a
#            progress bar while flashing, coloured PASS / FAIL banners with the
#            failing step and the reason
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

line_setup
line_board a SIM000701
line_board b SIM000702 --rail 3v3=2.950
fx=(-f "$LINE/a.yaml" -f "$LINE/b.yaml")
reason='rail_3v3 = 2.95 V, outside [3.2, 3.4]'

# --- json ------------------------------------------------------------------
line_run --once --json --db "$LINE/json.db" "${fx[@]}"
assert_eq "$RUN_RC" "1" "json: exit status with a failed unit"
ev=$LINE/events.db
{
	echo "CREATE TABLE ev (seq INTEGER PRIMARY KEY, j TEXT);"
	sed "s/'/''/g; s/.*/INSERT INTO ev (j) VALUES ('&');/" "$LINE/run.out"
} | sqlite3 -batch "$ev" || fail "cannot load the events"
[ "$(sql "$ev" "SELECT count(*) FROM ev")" -gt 20 ] || fail "json: too few events"
assert_eq "$(sql "$ev" "SELECT count(*) FROM ev WHERE NOT json_valid(j) OR json_type(j) <> 'object'
	OR json_extract(j, '$.event') IS NULL")" "0" "json: every line is one object with an event"
for e in run_start step_start step_end progress run_end; do
	[ "$(sql "$ev" "SELECT count(*) FROM ev WHERE json_extract(j, '$.event') = '$e'")" -gt 0 ] ||
		fail "json: no $e event"
done
assert_eq "$(sql "$ev" "SELECT json_extract(j, '$.verdict') || '|' || json_extract(j, '$.serial')
	FROM ev WHERE json_extract(j, '$.event') = 'run_end' AND json_extract(j, '$.fixture') = 'a'")" \
	"PASS|SIM000701" "json: a's verdict"
assert_eq "$(sql "$ev" "SELECT json_extract(j, '$.verdict') || '|' || json_extract(j, '$.failed_step') || '|' ||
	json_extract(j, '$.reason') FROM ev WHERE json_extract(j, '$.event') = 'run_end' AND json_extract(j, '$.fixture') = 'b'")" \
	"FAIL|rail 3V3|$reason" "json: b's verdict"
assert_eq "$(sql "$ev" "SELECT json_extract(j, '$.rail_3v3') FROM ev WHERE json_extract(j, '$.event') = 'step_end'
	AND json_extract(j, '$.fixture') = 'b' AND json_extract(j, '$.step') = 'rail 3V3'")" "2.95" "json: measurement"
assert_eq "$(sql "$ev" "SELECT json_extract(j, '$.done') = json_extract(j, '$.total') FROM ev
	WHERE json_extract(j, '$.event') = 'progress' AND json_extract(j, '$.fixture') = 'a' ORDER BY seq DESC LIMIT 1")" \
	"1" "json: the last progress event is the whole image"

# --- plain -----------------------------------------------------------------
line_run --once --db "$LINE/plain.db" "${fx[@]}"
assert_eq "$RUN_RC" "1" "plain: exit status"
grep -q $'\033' "$LINE/run.out" && fail "plain: escape sequences in output to a file"
grep -qx '\[a\] PASS unit SIM000701 ([0-9.]*s)' "$LINE/run.out" || fail "plain: no PASS line for a"
# (b fails before its identity is read: its serial is not known)
grep -qF "[b] FAIL unit unidentified at 'rail 3V3': $reason (" "$LINE/run.out" ||
	fail "plain: no FAIL line with step and reason for b"
grep -q '^\[b\] fail  rail 3V3 .*rail_3v3=2.95V$' "$LINE/run.out" || fail "plain: no step line with the measurement"
grep -q '^station: 1 passed, 1 failed, 0 error, 0 aborted' "$LINE/run.out" || fail "plain: no summary"

# --- tty ---------------------------------------------------------------------
# (a's third Write Memory is NACKed once: the loader's warning must print
# above the live lines, not through them)
sim_ctl a "fault nack-block=3" >/dev/null
out=$LINE/tty.out
rc=0
LC_ALL=C.UTF-8 script -qec "$(printf '%q ' "$BINDIR/station" run -c "$LINE/station.yaml" --once \
	--db "$LINE/tty.db" "${fx[@]}")" /dev/null >"$out" 2>&1 </dev/null || rc=$?
assert_eq "$rc" "1" "tty: exit status"
green=$'\033[1;97;42m' red=$'\033[1;97;41m'
grep -aqF "${green}  PASS  fixture a  unit SIM000701" "$out" || fail "tty: no green PASS line for a"
grep -aqF "${red}  FAIL  fixture b  unit unidentified" "$out" || fail "tty: no red FAIL line for b"
grep -aqF "${red}  step:   rail 3V3 " "$out" || fail "tty: the banner does not name the failing step"
grep -aqF "${red}  reason: $reason " "$out" || fail "tty: the banner does not give the reason"
# the large letters: five rows of block glyphs in the verdict's colour
[ "$(grep -acF "${green}  █" "$out")" -ge 5 ] || fail "tty: no large PASS"
[ "$(grep -acF "${red}  █" "$out")" -ge 5 ] || fail "tty: no large FAIL"
# two live lines redrawn in place: cursor up two lines, clear below
grep -aqF $'\r\033[2A\033[J' "$out" || fail "tty: the live lines are not redrawn in place"
# a warning while the view is live: the block is lifted, the line printed,
# the block drawn again under it
grep -aqF $'\r\033[2A\033[Jan3155: warning: write at 0x' "$out" ||
	fail "tty: the loader's warning is not printed above the live lines"
# a live line while flashing: serial, step, bar, percent, elapsed time
# (the serial is '?' until the identity step has read it)
grep -aqE ' a +\? +[0-9]+:[0-9]{2}\.[0-9] load diagnostic firmware \[#*\.+\] +[0-9]+% ' "$out" ||
	fail "tty: no progress bar on a's live line"
# ... and the serial from the moment the identity step has read it
grep -aqE ' a +SIM000701 +[0-9]+:[0-9]{2}\.[0-9] (register identity with the CMS|enter ROM bootloader for production)' "$out" ||
	fail "tty: a's live line does not show the serial once the identity step read it"
# the final live lines carry the verdicts in colour
grep -aqF "${red} b " "$out" || fail "tty: b's live line is not red at the end"
grep -aF "${green} a " "$out" | grep -q ' SIM000701 .* PASS' || fail "tty: a's live line is not green PASS at the end"
echo "ok"
