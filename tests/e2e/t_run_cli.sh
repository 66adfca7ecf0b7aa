#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The smaller things an operator or integrator hits with `station run` and
# friends: arguments refused when they are not what they look like; a log
# that is not a regular file refused before SQLite opens it; the log and
# the lock files follow the umask and are never world-writable; a stop is not
# held up by a log another program keeps locked; `fixtures check FILE
# --power`; the top-level help lists every command; global options after
# the command; a plain view with NO_COLOR, TERM=dumb and --color; on a
# terminal, --color=never takes the colour and keeps the live lines, and
# --color=always outranks NO_COLOR.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
sim_start a --fast --serial SIM001301
sim_fixture a "$t/a.yaml"
cat >"$t/slow.yaml" <<'YAML'
name: slow
version: 1.0.0
steps:
  - name: power on
    lines: {power: on}
  - name: a while
    delay: 2s
teardown:
  - name: power off
    lines: {power: off}
YAML
st=("$BINDIR/station")
usage_rc() {	# usage_rc WANT ARGS...: station exits WANT
	local rc=0
	"${st[@]}" "${@:2}" >"$t/out" 2>&1 || rc=$?
	assert_eq "$rc" "$1" "station ${*:2}: $(head -1 "$t/out")"
}
usage_rc 2 run --units 1x -f "$t/a.yaml" -s "$t/slow.yaml"
usage_rc 2 run --units 0 -f "$t/a.yaml" -s "$t/slow.yaml"
usage_rc 2 run --var '=x' -f "$t/a.yaml" -s "$t/slow.yaml"
usage_rc 2 run --var 'a}b=1' -f "$t/a.yaml" -s "$t/slow.yaml"
usage_rc 2 run --serial SIM1 -f "$t/a.yaml" -f "$t/a.yaml" -s "$t/slow.yaml"
grep -q -- '--serial names one unit' "$t/out" || fail "--serial with two fixtures: the reason"
usage_rc 2 --color=sometimes run
usage_rc 4 run --db /dev/null -f "$t/a.yaml" -s "$t/slow.yaml" --once
grep -q 'not a regular file' "$t/out" || fail "--db /dev/null: the reason"
[ ! -e /dev/null-journal ] || fail "a /dev/null-journal was made"

# help: every command, db migrate and cms lookup included
"${st[@]}" --help >"$t/help"
for w in run lint report trace export db cert fixtures cms migrate lookup; do
	grep -qw "$w" "$t/help" || fail "the top-level help does not name '$w'"
done

# fixtures check FILE --power: the option after the file is an option
"${st[@]}" fixtures check "$t/a.yaml" --power >"$t/check" 2>&1 || true
grep -q 'power: on (BOOT low)' "$t/check" || fail "fixtures check FILE --power did not power: $(cat "$t/check")"
grep -q "cannot read fixture file --power" "$t/check" && fail "--power taken as a file"

# the umask decides the log's and the locks' modes, never world-writable
mkdir -p "$t/locks"
(umask 000; STATION_LOCK_DIR=$t/locks exec "${st[@]}" run --db "$t/u000.db" -f "$t/a.yaml" \
	-s "$t/slow.yaml" --once --serial SIM001301 >"$t/u000.out" 2>&1) &
pid=$!
echo "$pid" >>"$ST_REG/pids"
for _ in $(seq 100); do ls "$t"/locks/*.lock >/dev/null 2>&1 && break; sleep 0.05; done
modes=$(stat -c '%a' "$t"/locks/*.lock | sort -u)
assert_eq "$modes" "664" "lock files under umask 000"
wait "$pid" || fail "the umask 000 run failed: $(cat "$t/u000.out")"
assert_eq "$(stat -c '%a' "$t/u000.db")" "664" "the log under umask 000"
(umask 027; exec "${st[@]}" run --db "$t/u027.db" -f "$t/a.yaml" -s "$t/slow.yaml" --once \
	--serial SIM001301 >/dev/null 2>&1) || fail "the umask 027 run failed"
assert_eq "$(stat -c '%a' "$t/u027.db")" "640" "the log under umask 027"

# a log held locked by another program: SIGTERM still ends the station soon
sqlite3 "$t/u027.db" "SELECT 1" >/dev/null
mkfifo "$t/hold"
sqlite3 "$t/u027.db" <"$t/hold" >/dev/null 2>&1 &
echo $! >>"$ST_REG/pids"
exec 7>"$t/hold"
echo "BEGIN EXCLUSIVE; INSERT INTO events (time_us, what) VALUES (0, 'held');" >&7
"${st[@]}" run --db "$t/u027.db" -f "$t/a.yaml" -s "$t/slow.yaml" --units 3 --serial SIM001301 \
	>"$t/locked.out" 2>&1 &
pid=$!
echo "$pid" >>"$ST_REG/pids"
sleep 1
kill -TERM "$pid"
wait_gone "$pid" "SIGTERM with the log locked"
exec 7>&-
assert_eq "$GONE_RC" "5" "locked log + SIGTERM: exit status ($(tail -1 "$t/locked.out"))"

# global options after the command; colour decided by NO_COLOR, TERM, --color
"${st[@]}" run --db "$t/g.db" -f "$t/a.yaml" -s "$t/slow.yaml" --once --serial SIM001301 -vv \
	>"$t/g.out" 2>"$t/g.err" || fail "-v after the command: $(cat "$t/g.err")"
grep -q ': debug: ' "$t/g.err" || fail "-vv after the command did not raise the log level"
"${st[@]}" run --db "$t/g.db" -f "$t/a.yaml" -s "$t/slow.yaml" --once --serial SIM001301 --color=always \
	>"$t/c.out" 2>&1 || fail "--color=always"
grep -q $'\033\\[1;97;42m\\[a\\] PASS unit SIM001301' "$t/c.out" || fail "--color=always: no green verdict in a file"
pty() {	# pty OUT ENV... [-- OPTION...]: the run on a terminal, with ENV and OPTIONs
	local out=$1 env=() opt=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do env+=("$1"); shift; done
	[ $# -gt 0 ] && shift && opt=("$@")
	env "${env[@]}" python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$out" -- "${st[@]}" run --db "$t/g.db" \
		-f "$t/a.yaml" -s "$t/slow.yaml" --once --serial SIM001301 "${opt[@]}" ||
		fail "the run on a terminal (${env[*]} ${opt[*]})"
}
pty "$t/tty.out" TERM=xterm
grep -aq $'\033\\[1;97;42m' "$t/tty.out" || fail "a terminal: no colour"
pty "$t/nocolor.out" TERM=xterm NO_COLOR=1
grep -aq $'\033\\[[0-9;]*m' "$t/nocolor.out" && fail "NO_COLOR: colour"
grep -aq $'\033\\[[0-9]*A' "$t/nocolor.out" || fail "NO_COLOR: the live lines are still redrawn in place"
pty "$t/never.out" TERM=xterm -- --color=never
grep -aq $'\033\\[[0-9;]*m' "$t/never.out" && fail "--color=never: colour on a terminal"
grep -aq $'\033\\[[0-9]*A' "$t/never.out" || fail "--color=never: the live lines are no longer redrawn in place"
grep -aq 'PASS  fixture a  unit SIM001301' "$t/never.out" || fail "--color=never: no verdict banner"
pty "$t/always.out" TERM=xterm NO_COLOR=1 -- --color=always
grep -aq $'\033\\[1;97;42m' "$t/always.out" || fail "--color=always does not outrank NO_COLOR"
pty "$t/dumb.out" TERM=dumb
grep -aq $'\033' "$t/dumb.out" && fail "TERM=dumb: an escape sequence"
grep -aq '^\[a\] PASS unit SIM001301' "$t/dumb.out" || fail "TERM=dumb: no plain verdict line"

echo "ok"
