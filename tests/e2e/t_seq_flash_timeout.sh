#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A flash step's own timeout, and a group's around it, bound the whole load:
# on a board that programs slowly (dut-sim --t-prog-us 1000: 128 ms a block,
# 4 s of programming for 8 KiB) a flash with 1 s stops within about one
# exchange, as an error whose reason names whose time ran out and how many
# bytes were written; the log's image size is those bytes.  It passed after
# 6 s, and its group with it: the loader had a limit per exchange only.  The
# next run, with time enough, erases and writes again, verifies, and the
# board holds the image.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkimage" --kind diag --version 3.1.0 --size 8192 -o "$t/img.bin" >/dev/null
sim_start a --serial SIMFLTO01 --t-prog-us 1000
sim_fixture a "$t/a.yaml"
db=$t/st.db

# own.yaml: lib.sh's flash flow with 1 s for the flash step;
# group.yaml: the same flash step, its own 60 s, inside a group of 1 s;
# full.yaml: the flow as it is (120 s)
flash_seq "$t/full.yaml"
sed 's/^    timeout: 120s$/    timeout: 1s/' "$t/full.yaml" >"$t/own.yaml"
grep -q '^    timeout: 1s$' "$t/own.yaml" || fail "own.yaml: the flash step's timeout not set"
sed -e 's/^  - name: load firmware$/  - name: flash group\n    timeout: 1s\n    group:\n      - name: load firmware/' \
	-e 's/^    flash: \(.*\)$/        flash: \1/' -e 's/^    timeout: 120s$/        timeout: 60s/' \
	"$t/full.yaml" >"$t/group.yaml"
grep -q "^        timeout: 60s$" "$t/group.yaml" || fail "group.yaml: the flash step not in the group"

# run SEQ: one unit through SEQ; its run id in RUN
run() {
	"$BINDIR/station" run -s "$t/$1.yaml" -f "$t/a.yaml" --var "image=$t/img.bin" --once \
		--db "$db" >"$t/run.out" 2>&1 || true
	RUN=$(sql "$db" "SELECT id FROM runs ORDER BY rowid DESC LIMIT 1")
	sql "$db" "SELECT name, outcome, reason FROM steps WHERE run_id = '$RUN' ORDER BY idx" |
		sed "s/^/  $1 | /"
}
step() { # NAME FIELD
	sql "$db" "SELECT $2 FROM steps WHERE run_id = '$RUN' AND name = '$1'"
}
# stopped WHO WHAT: the flash step's reason says WHO's time (a regex) ran
# out and how far the load got; the log's image size is the bytes written
stopped() {
	local r n size
	r=$(step 'load firmware' reason)
	assert_eq "$(step 'load firmware' outcome)" error "$2: the flash step"
	assert_match "$r" "^$1flashing stopped after " "$2: whose time, then the loader's words"
	assert_match "$r" "; the board is left in its ROM bootloader, " "$2: the state it is left in"
	size=$(sql "$db" "SELECT size FROM images i JOIN steps s ON s.id = i.step_id
		WHERE s.run_id = '$RUN' AND s.name = 'load firmware'")
	if [[ $r =~ after\ ([0-9]+)\ of\ 8192\ bytes\ were\ written:\ out\ of\ time\ during\ ([a-zA-Z]) ]]; then
		n=${BASH_REMATCH[1]}
		assert_eq "$((n % 256))" 0 "$2: whole blocks written ($n)"
		assert_eq "$size" "$n" "$2: the log's image size is the bytes written"
		[ "$n" = 0 ] || assert_match "$r" ", part of the image in its flash: the next run erases and writes it again$" \
			"$2: the flash written in part"
	else
		assert_match "$r" "after all 8192 bytes were written, [0-9]+ of them verified: out of time during read at 0x080" \
			"$2: the bytes written and read back"
		assert_eq "$size" 8192 "$2: the log's image size"
	fi
	assert_eq "$(step 'after the flash' outcome)" "" "$2: nothing ran after the flash"
	assert_eq "$(sql "$db" "SELECT outcome FROM runs WHERE id = '$RUN'")" error "$2: the run"
	assert_eq "$(sim_field a power)" 0 "$2: teardown powered the board off"
}

run own
stopped "timed out after 1s: " "the step's own 1 s"

run group
stopped "timed out: the 1s of 'flash group' ran out: " "a group's 1 s"
assert_eq "$(step 'flash group' outcome)" error "the group"
assert_eq "$(step 'flash group' reason)" "$(step 'load firmware' reason)" \
	"the group's reason is its flash step's"

# time enough: the next run erases and writes again, and verifies
sim_ctl a "counters reset" >/dev/null
run full
assert_eq "$(step 'load firmware' outcome)" pass "with 120 s the flash passes: $(cat "$t/run.out")"
assert_eq "$(step 'after the flash' outcome)" pass "and the flow goes on"
assert_eq "$(sim_field a prog_us)" $((4096 * 1000)) "every half-word programmed once, at 1000 us"
sim_ctl a "set boot 1" >/dev/null
sim_ctl a "set power 1" >/dev/null
stm32flash -m 8n1 -b 115200 -r "$t/back.bin" -S 0x08000000:8192 "$SIM_A_PTY" >"$t/sf.out" 2>&1 ||
	{ cat "$t/sf.out"; fail "stm32flash could not read the flash back"; }
cmp "$t/img.bin" "$t/back.bin" || fail "read back through the ROM, the flash differs"
echo "t_seq_flash_timeout: ok"
