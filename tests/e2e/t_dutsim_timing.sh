#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dut-sim's modelled time, asserted through its counters (never elapsed time):
# the same stm32flash session with the timing model applied and with --fast
# gives identical byte counts and device times, and they follow the model.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkimage" --kind prod --version 3.0 --size 4096 -o "$t/img.bin"
for mode in paced fast; do
	extra=(); [ $mode = fast ] && extra=(--fast)
	sim_start "$mode" "${extra[@]}"
	sim_ctl "$mode" "set boot 1" >/dev/null
	sim_ctl "$mode" "set power 1" >/dev/null
	v=$(_sim_var "$mode" PTY)
	stm32flash -m 8n1 -b 115200 -w "$t/img.bin" -v "${!v}" >"$t/$mode.out" 2>&1 ||
		{ cat "$t/$mode.out"; fail "stm32flash ($mode)"; }
	for k in rx_bytes tx_bytes wire_us prog_us erase_us; do
		eval "${mode}_$k=$(sim_field "$mode" $k)"
	done
done
for k in rx_bytes tx_bytes wire_us prog_us erase_us; do
	p=paced_$k f=fast_$k
	assert_eq "${!p}" "${!f}" "$k the same with and without --fast"
done
assert_eq "$paced_prog_us" $((2048 * 52)) "4 KiB = 2048 halfwords at 52 us"
assert_eq "$paced_erase_us" $((2 * 20000)) "two 2 KiB pages at 20 ms"
assert_eq "$paced_wire_us" $(((paced_rx_bytes + paced_tx_bytes) * 11 * 1000000 / 115200)) \
	"11 bits per byte at 115200 baud"

# options change the model: 8N1 at 57600, 30 us per halfword, 5 ms per page
sim_start o --fast --baud 57600 --frame 8N1 --t-prog-us 30 --t-erase-ms 5
sim_ctl o "set boot 1" >/dev/null; sim_ctl o "set power 1" >/dev/null
stm32flash -m 8n1 -b 57600 -w "$t/img.bin" "$SIM_O_PTY" >"$t/o.out" 2>&1 || fail "stm32flash 57600"
assert_eq "$(sim_field o prog_us)" $((2048 * 30)) "--t-prog-us"
assert_eq "$(sim_field o erase_us)" $((2 * 5000)) "--t-erase-ms"
rx=$(sim_field o rx_bytes); tx=$(sim_field o tx_bytes)
assert_eq "$(sim_field o wire_us)" $(((rx + tx) * 10 * 1000000 / 57600)) "8N1 at 57600"
sim_ctl o "counters reset" >/dev/null
assert_eq "$(sim_field o wire_us)/$(sim_field o flash_us)" 0/0 "counters reset"
# --chip f407: 32-bit words at 16 us; a 4 KiB image erases 16 KiB sector 0
# (250 ms), as stm32flash, which knows the F4's sectors itself, asks for it
sim_start f4 --chip f407
sim_ctl f4 "set boot 1" >/dev/null
sim_ctl f4 "set power 1" >/dev/null
stm32flash -m 8n1 -b 115200 -w "$t/img.bin" "$SIM_F4_PTY" >"$t/f4.out" 2>&1 || fail "stm32flash f407"
grep -q 'Device ID    : 0x0413' "$t/f4.out" || { cat "$t/f4.out"; fail "f407: stm32flash did not see PID 0x0413"; }
assert_eq "$(sim_field f4 prog_us)" $((1024 * 16)) "f407: 1024 words at 16 us"
assert_eq "$(sim_field f4 erase_us)" 250000 "f407: one 16 KiB sector"
bad_chip() { # WHY ARGS...: dut-sim refuses ARGS, saying WHY
	local why=$1
	shift
	if "$BINDIR/dut-sim" --pty "$t/x.pty" --ctrl "$t/x.ctl" "$@" >"$t/bad.out" 2>&1; then
		fail "dut-sim $* started"
	fi
	grep -qF "$why" "$t/bad.out" || { cat "$t/bad.out"; fail "dut-sim $*: no '$why'"; }
}
bad_chip "unknown --chip 'f999' (f103, f407)" --chip f999
bad_chip "the f407's flash is 1 MiB in fixed sectors" --chip f407 --flash-kib 512
echo "t_dutsim_timing: ok"
