# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for the end-to-end tests (source it: . "$(dirname "$0")/lib.sh").
# Every process started through these helpers is killed, and every temp dir
# removed, when the test exits.  On failure the simulators' logs are shown.
#
#   st_tmpdir                   print a fresh temp dir (removed at exit; $(...) is fine)
#   sim_start NAME [ARGS...]    start bin/dut-sim, wait for "ready"; exports
#                               SIM_<NAME>_PTY, _CTRL, _LOG, _PID, _DIR (NAME upper-cased,
#                               '-' -> '_').  ARGS go to dut-sim (--fast, --image, ...)
#   sim_ctl NAME "CMD"          one control command; prints the reply (OK.../ERR...)
#   sim_field NAME KEY          one KEY=value field of "status" (e.g. mode, prog_us)
#   con_open NAME               open the sim's console (fd $CON_<NAME>, for con_xfer)
#   con_cmd NAME "CMD" [T]      send a console line, print the reply lines (CR removed)
#                               up to and including OK / ERR ..., each within T s (5)
#   con_line NAME [T]           print one console line (fails on timeout)
#   con_xfer NAME HEX N [T]     send bytes (hex), print up to N bytes read within T s (hex)
#   st_bg CMD...                run CMD in the background, killed at exit; pid in $!
#   st_atexit FUNC              call shell function FUNC at exit (after the kills)
#   fail MSG / assert_eq GOT WANT MSG / assert_match GOT REGEX MSG
#   sql DB "QUERY"              sqlite3 -batch
set -euo pipefail
shopt -s inherit_errexit

ST_TOP=${ST_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BINDIR=${BINDIR:-bin}
case $BINDIR in /*) ;; *) BINDIR=$ST_TOP/$BINDIR ;; esac
export ST_TOP BINDIR

# Registry of what to clean, in files so helpers called in $(...) register too.
ST_REG=$(mktemp -d "${TMPDIR:-/tmp}/st-e2e.XXXXXX")
: >"$ST_REG/pids"
: >"$ST_REG/atexit"

st_cleanup() {
	local rc=$? pid fn
	trap - EXIT
	while read -r pid; do
		kill "$pid" 2>/dev/null || true
	done <"$ST_REG/pids"
	while read -r pid; do
		wait "$pid" 2>/dev/null || true
	done <"$ST_REG/pids"
	while read -r fn; do
		"$fn" || true
	done <"$ST_REG/atexit"
	if [ "$rc" != 0 ]; then
		for f in "$ST_REG"/*/*.simlog; do
			[ -f "$f" ] || continue
			echo "--- $(basename "$f" .simlog) (dut-sim log, last 30 lines)" >&2
			tail -n 30 "$f" >&2
		done
	fi
	rm -rf "$ST_REG"
	exit "$rc"
}
trap st_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

assert_eq() {
	[ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}

assert_match() {
	[[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/"
}

sql() {
	sqlite3 -batch -cmd '.timeout 10000' "$1" "$2"
}

st_tmpdir() {
	mktemp -d "$ST_REG/tmp.XXXXXX"
}

# DB SERIAL: one ended run written by hand into a log (schema 14 or later):
# station 's', fixture 'a', sequence 'seq' 1, run 0123...cdef, passed, its
# step id 1 'rail'; for tests that fill its measurements by SQL.
log_one_run() {
	sql "$1" "INSERT INTO stations (name, first_seen_us, last_seen_us) VALUES ('s', 1, 1);
INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us,
	ended_us, outcome) VALUES ('0123456789abcdef0123456789abcdef', '$2', 's', 'a', 'seq', '1',
	1767600000000000, 1767600001000000, 'pass');
INSERT INTO steps (id, run_id, idx, name, outcome) VALUES
	(1, '0123456789abcdef0123456789abcdef', 0, 'rail', 'pass');"
}

st_atexit() {
	echo "$1" >>"$ST_REG/atexit"
}

st_bg() {
	"$@" &
	echo $! >>"$ST_REG/pids"
}

_sim_var() {
	local n=${1^^}
	echo "SIM_${n//-/_}_$2"
}

sim_start() {
	local name=$1 dir pid i
	shift
	dir=$(st_tmpdir)
	"$BINDIR/dut-sim" --pty "$dir/$name.pty" --ctrl "$dir/$name.ctl" \
		--log "$dir/$name.simlog" "$@" >"$dir/$name.out" 2>>"$dir/$name.simlog" &
	pid=$!
	echo "$pid" >>"$ST_REG/pids"
	for ((i = 0; i < 200; i++)); do
		grep -qx ready "$dir/$name.out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { cat "$dir/$name.simlog" >&2; fail "dut-sim $name exited at start"; }
		sleep 0.05
	done
	grep -qx ready "$dir/$name.out" || fail "dut-sim $name not ready within 10 s"
	export "$(_sim_var "$name" PTY)=$dir/$name.pty" "$(_sim_var "$name" CTRL)=$dir/$name.ctl" \
		"$(_sim_var "$name" LOG)=$dir/$name.simlog" "$(_sim_var "$name" PID)=$pid" \
		"$(_sim_var "$name" DIR)=$dir"
}

# flash_seq FILE [KEYS]: a flow that boots the ROM bootloader and flashes
# ${image} with read-back (seconds of modelled time), then one step more;
# KEYS replace the flash step's "verify: readback, go: false"
flash_seq() {
	local keys=${2:-verify: readback, go: false}
	sed "s/@KEYS@/$keys/" >"$1" <<'YAML'
name: flash-then-one-step
version: 1.0.0
vars:
  image: ~
setup:
  - name: fixture in a known state
    lines: {power: off, boot: off, reset: off}
steps:
  - name: power on with BOOT high
    lines: {reset: on, boot: on, power: on, settle: 20ms}
  - name: release reset into the ROM bootloader
    lines: {reset: off, settle: 20ms}
  - name: load firmware
    flash: {image: "${image}", @KEYS@}
    timeout: 120s
  - name: after the flash
    delay: 1ms
teardown:
  - name: power off
    lines: {power: off, boot: off, reset: off}
YAML
}

# sim_fixture NAME FILE: a fixture file for dut-sim NAME (sim_start first)
sim_fixture() {
	local pty ctrl
	pty=$(_sim_var "$1" PTY) ctrl=$(_sim_var "$1" CTRL)
	printf 'name: %s\ndriver: sim\nport: %s\nctrl: %s\nbaud: 115200\nmode: 8N1\nloader_mode: 8E1\n' \
		"$1" "${!pty}" "${!ctrl}" >"$2"
}

# sim_fast_boards DIR PREFIX NAME...: a --fast dut-sim per NAME, serial
# PREFIX followed by NAME, and its fixture file DIR/NAME.yaml
sim_fast_boards() {
	local dir=$1 prefix=$2 n
	shift 2
	for n; do
		sim_start "$n" --fast --serial "$prefix$n"
		sim_fixture "$n" "$dir/$n.yaml"
	done
}

# wait_flashing PID OUT NAME...: until `station run --json` (PID, writing
# OUT) has reported flash progress on every fixture NAME
wait_flashing() {
	local pid=$1 out=$2 n all i
	shift 2
	for ((i = 0; i < 300; i++)); do
		all=1
		for n; do grep -q "\"event\":\"progress\",\"fixture\":\"$n\"" "$out" || all=; done
		[ -n "$all" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "station exited before flashing"
		sleep 0.05
	done
	fail "not every fixture of '$*' started flashing within 15 s"
}

# wait_gone PID WHAT: PID (a child of this shell) ends within 10 s, else it
# is killed and the test fails; its exit status in GONE_RC
wait_gone() {
	local pid=$1 i
	for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		fail "station still running 10 s after $2"
	fi
	GONE_RC=0
	wait "$pid" || GONE_RC=$?
}

# wait_field NAME FIELD VALUE WHAT: dut-sim NAME's status FIELD becomes VALUE
# within 10 s (something else changes it: a guardian, a crash handler)
wait_field() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(sim_field "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	fail "$4: $1's $2 is $(sim_field "$1" "$2") after 10 s, not $3"
}

sim_ctl() {
	local v rc=0
	v=$(_sim_var "$1" CTRL)
	"$BINDIR/dut-sim" --ctl "${!v}" "$2" || rc=$?
	[ "$rc" -le 1 ] || fail "no reply from dut-sim $1 to '$2'"
}

sim_field() {
	local st f
	st=$(sim_ctl "$1" status)
	for f in $st; do
		[[ $f == "$2="* ]] && { echo "${f#*=}"; return 0; }
	done
	fail "status of $1 has no field $2: $st"
}

con_open() {
	local v fd n=${1^^}
	v=$(_sim_var "$1" PTY)
	exec {fd}<>"${!v}"
	export "CON_${n//-/_}=$fd"
}

_con_fd() {
	local n=${1^^}
	n=CON_${n//-/_}
	[ -n "${!n:-}" ] || fail "console of $1 not open (con_open $1)"
	echo "${!n}"
}

# Console lines are read by `dut-sim --console`, one byte at a time: bash's
# read buffers ahead on a tty (lost with a $(...) subshell) and, with -d, turns
# on ICRNL while it waits.  Unread bytes stay queued in the pty.
con_line() {
	local v
	_con_fd "$1" >/dev/null
	v=$(_sim_var "$1" PTY)
	"$BINDIR/dut-sim" --console "${!v}" --timeout "${2:-5}" ||
		fail "no line from $1's console within ${2:-5} s"
}

con_cmd() {
	local v
	_con_fd "$1" >/dev/null
	v=$(_sim_var "$1" PTY)
	"$BINDIR/dut-sim" --console "${!v}" --timeout "${3:-5}" "$2" ||
		fail "no complete reply from $1's console to '$2' within ${3:-5} s"
}

con_xfer() {
	local fd
	fd=$(_con_fd "$1")
	# shellcheck disable=SC2059
	[ -z "$2" ] || printf "$(sed 's/../\\x&/g' <<<"$2")" >&"$fd"
	[ "$3" -gt 0 ] || return 0
	# fewer bytes than N on timeout: the caller asserts on what came
	{ timeout "${4:-5}" dd bs=1 count="$3" status=none <&"$fd" || true; } |
		od -An -v -tx1 | tr -d ' \n'
	echo
}
