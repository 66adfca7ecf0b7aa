#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `station fixtures` on a machine without FTDI hardware (this one): it lists
# what there is, says clearly that no FTDI device was found, and exits 0;
# `check` reports a missing device or an invalid file with the right exit code.
. "$(dirname "$0")/lib.sh"
t=$(st_tmpdir)
st=$BINDIR/station

out=$("$st" fixtures) || fail "station fixtures exited $?"
assert_match "$out" $'^Serial ports:\n' "lists serial ports first"
assert_match "$out" $'\nFTDI devices:\n  no FTDI device found \\(looked for 0403:6014 FT232H, 0403:6010 FT2232H, 0403:6001 FT232R\\); check the USB cable and udev permissions' \
	"says clearly there is no FTDI device"

out=$("$st" fixtures --help) || fail "fixtures --help exited $?"
assert_match "$out" "station fixtures check \\[--power\\]" "fixtures --help shows check"
out=$("$st" fixtures check --help) || fail "fixtures check --help exited $?"
assert_match "$out" "safe state" "check --help says it leaves fixtures safe"

rc=0; "$st" fixtures frobnicate >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "unknown argument is a usage error"
rc=0; "$st" fixtures check >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "check without files is a usage error"

# the shipped FT232H example: valid, but there is no such device here
rc=0; out=$("$st" fixtures check "$ST_TOP/fixtures/ftdi-ft232h.yaml") || rc=$?
assert_eq "$rc" 4 "a fixture that cannot be opened is a station fault"
assert_match "$out" "fixture: FAILED: fixture bench-a: no FTDI device 0403:6014 serial FT9ABC01: check the USB cable" \
	"names the missing device"

# an invalid file names file:line:col and exits 3 (config), before the other file's 4
printf 'name: x\ndriver: ftdi\nport: /dev/ttyUSB0\nusb: {vid: 0x0403, pid: 0x6014}\nlines:\n  power: {pin: 0, active: sideways}\n' >"$t/bad.yaml"
rc=0; out=$("$st" fixtures check "$ST_TOP/fixtures/ftdi-ft232h.yaml" "$t/bad.yaml") || rc=$?
assert_eq "$rc" 3 "invalid fixture file"
assert_match "$out" "$t/bad.yaml:6:27: 'active' must be 'low' or 'high', not 'sideways'" \
	"error names file:line:col"
echo "t_fixtures_cli: ok"
