#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `station run --dry-run` on the factory flow prints the expanded plan: the
# sequence and every file it was built from with their SHA-256, the steps in
# order (groups and includes expanded), the limits of each measurement, and
# the images with the SHA-256 of the files - and touches no fixture: the
# simulated board sees no line change and no byte, and no log is written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

sha() { sha256sum "$1" | cut -d' ' -f1; }

line_setup
line_board a SIM000401
line_board b SIM000402
flow=$ST_TOP/sequences/factory-provisioning.yaml
out=$LINE/plan.out
line_run --dry-run -f "$LINE/a.yaml"
cp "$LINE/run.out" "$out"
[ "$RUN_RC" = 0 ] || { cat "$out" "$LINE/run.err"; fail "station run --dry-run exited $RUN_RC"; }

# the flow and every file it was built from, with their hashes
grep -qxF "sequence factory-provisioning 1.0.0 (sha256 $(sha "$flow"))" "$out" ||
	fail "no sequence line with the flow's SHA-256: $(head -1 "$out")"
for f in common/boot.yaml common/final-test.yaml limits/factory.yaml; do
	grep -qxF "  file $ST_TOP/sequences/$f (sha256 $(sha "$ST_TOP/sequences/$f"))" "$out" ||
		fail "no line for $f with its SHA-256"
done
grep -qxF "fixture a (port $SIM_A_PTY)" "$out" || fail "no fixture line"

# the phases and the steps, in order, with their kinds (groups expanded)
want='setup:
- fixture in a known state [lines]
steps:
- enter ROM bootloader [group]
- power on with BOOT high (ROM bootloader) [lines]
- release reset into the ROM bootloader [lines]
- load diagnostic firmware [flash]
- boot diagnostic firmware [group]
- BOOT low, reset into flash [lines]
- wait for the firmware banner [console]
- diagnostic firmware version [console]
- rail 3V3 [measure]
- rail 1V8 [measure]
- rail 5V0 [measure]
- self test [measure]
- read and verify SE identity [identity]
- register identity with the CMS [register]
- enter ROM bootloader for production firmware [group]
- power on with BOOT high (ROM bootloader) [lines]
- release reset into the ROM bootloader [lines]
- load production firmware [flash]
- boot production firmware [group]
- BOOT low, reset into flash [lines]
- wait for the firmware banner [console]
- final test [include]
- production firmware version [console]
- production self test [measure]
teardown:
- power off [lines]'
got=$(grep -E '^(setup|steps|teardown):$|^ +- ' "$out" | sed -E 's/^ +//; s/\] .*/]/')
[ "$got" == "$want" ] || fail "plan steps differ:"$'\n'"$(diff <(echo "$want") <(echo "$got"))"
grep -qE '^  - load diagnostic firmware \[flash\] timeout=90s$' "$out" || fail "flash step timeout not shown"
grep -qE '^  - boot diagnostic firmware \[group\] retries=1 ' "$out" || fail "group retries not shown"

# the limits, from the separate limits file
for l in "rail_3v3, limits \[3.2, 3.4\] V" "rail_1v8, limits \[1.74, 1.86\] V" \
	"rail_5v0, limits \[4.85, 5.15\] V" "as selftest, expect 'pass'" "as prod_selftest, expect 'pass'"; do
	grep -qE "$l\$" "$out" || fail "limit '$l' not in the plan"
done

# the images, expanded from the station's vars, with the files' SHA-256
for img in diag prod; do
	grep -qxF "      image $LINE/images/$img.bin (sha256 $(sha "$LINE/images/$img.bin")) via an3155, verify readback" "$out" ||
		fail "no $img image line with the file's SHA-256"
done

# --var overrides the station's images: the plan shows the other files' hashes
mkdir -p "$LINE/other"
"$BINDIR/mkimage" --kind diag --version 9.9.9 --size 4096 -o "$LINE/other/diag.bin" >/dev/null
"$BINDIR/mkimage" --kind prod --version 9.9.9 --size 4096 -o "$LINE/other/prod.bin" >/dev/null
line_run --dry-run -f "$LINE/a.yaml" -f "$LINE/b.yaml" --var "images=$LINE/other"
[ "$RUN_RC" = 0 ] || { cat "$LINE/run.err"; fail "dry-run with --var exited $RUN_RC"; }
assert_eq "$(grep -cF "image $LINE/other/diag.bin (sha256 $(sha "$LINE/other/diag.bin"))" "$LINE/run.out")" 2 \
	"--var images: one plan per fixture, with the other image's hash"
grep -qxF "fixture b (port $SIM_B_PTY)" "$LINE/run.out" || fail "no plan for fixture b"

# an image behind a variable the station or --var gives is checked when the
# flow loads: refused (exit 3, file:line:col) before any fixture is opened
line_run --dry-run -f "$LINE/a.yaml" --var "images=$LINE/nowhere"
assert_eq "$RUN_RC" 3 "dry-run exit status with an unreadable image"
grep -qF "factory-provisioning.yaml:" "$LINE/run.err" &&
	grep -qF "cannot read '$LINE/nowhere/diag.bin'" "$LINE/run.err" ||
	{ cat "$LINE/run.err"; fail "the unreadable image is not named at load"; }
line_run -f "$LINE/a.yaml" --once --serial SIM000401 --var "images=$LINE/nowhere"
assert_eq "$RUN_RC" 3 "run exit status with an unreadable image"

# an image that needs a value only the run gives (the serial) is checked in
# the plan: marked PROBLEM, and the dry run exits non-zero; exec arguments
# are shown as a quoted list
cat >"$LINE/per-unit.yaml" <<'YAML'
name: per-unit
version: 1.0.0
steps:
  - name: calibration image
    flash: {image: '${images}/cal-${serial}.bin'}
  - name: a script
    exec: {cmd: [sh, -c, 'echo "a b"', '${serial}']}
YAML
line_run --dry-run -s "$LINE/per-unit.yaml" -f "$LINE/a.yaml"
cat "$LINE/run.out" "$LINE/run.err"
assert_eq "$RUN_RC" 3 "dry-run exit status with a per-unit image unreadable"
grep -qF "image $LINE/images/cal-.bin (PROBLEM: unreadable: " "$LINE/run.out" ||
	fail "the unreadable per-unit image is not marked in the plan"
grep -qxF '      run ["sh", "-c", "echo \"a b\"", ""] (expect exit 0)' "$LINE/run.out" ||
	fail "exec arguments not a quoted list"
# given the serial, the file is checked when the flow loads
line_run --dry-run -s "$LINE/per-unit.yaml" -f "$LINE/a.yaml" --serial SIM000401
assert_eq "$RUN_RC" 3 "dry-run exit status with the serial's image missing"
grep -qF "per-unit.yaml:5:20: cannot read '$LINE/images/cal-SIM000401.bin'" "$LINE/run.err" ||
	fail "the serial's image not checked at load"
cp "$LINE/images/diag.bin" "$LINE/images/cal-SIM000401.bin"
line_run --dry-run -s "$LINE/per-unit.yaml" -f "$LINE/a.yaml" --serial SIM000401
assert_eq "$RUN_RC" 0 "dry-run exit status once the image is there"

# an invalid flow: exit 3 with file:line:col, nothing touched
"$BINDIR/station" run -c "$LINE/station.yaml" -s "$ST_TOP/tests/data/seq/broken.yaml" \
	-f "$LINE/a.yaml" --dry-run >"$LINE/bad.out" 2>&1 && fail "dry-run of a broken flow passed"
grep -qF "tests/data/seq/broken.yaml:8:33: unknown key 'expekt' in console" "$LINE/bad.out" ||
	fail "dry-run of a broken flow does not report file:line:col"

# no fixture was touched: no line set, no byte on the console, no log written
for b in a b; do
	assert_eq "$(sim_field $b power)" 0 "board $b power"
	assert_eq "$(sim_field $b mode)" off "board $b mode"
	assert_eq "$(sim_field $b rx_bytes)" 0 "bytes board $b received"
	assert_eq "$(sim_field $b tx_bytes)" 0 "bytes board $b sent"
	v=$(_sim_var $b LOG)
	grep -q 'ctl: set' "${!v}" && fail "board $b had a line set: $(grep 'ctl: set' "${!v}")"
done
[ ! -e "$LINE_DB" ] || fail "a dry run wrote the log $LINE_DB"
echo "ok"
