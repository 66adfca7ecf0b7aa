#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The operator panel of station serve in a real browser: Debian's headless
# Chromium driven over the DevTools protocol (tests/e2e/cdp.py, a client in
# python3's standard library) against two simulated fixtures; what it does
# is in tests/e2e/panel_check.py.  Screenshots are kept in
# $BUILD/artefacts/serve-panel/.  The log then holds what the panel did.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"
. "$(dirname "$0")/serve.sh"

[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium: make deps installs it"
shots=${BUILD:-build}/artefacts/serve-panel
case $shots in /*) ;; *) shots=$ST_TOP/$shots ;; esac
rm -rf "$shots"
serve_setup
# the line's MES (docs/api.md, "MES hooks"): it holds SIM000898, with a
# reason that carries markup (shown as text on the tile)
mes_start --port 0 --refuse "SIM000898=unit on hold: <b>NCR-17</b> open"
mes_yaml "$(cat "$LINE/serve.yaml")" "$LINE/serve.yaml"
serve_start
python3 "$ST_TOP/tests/e2e/panel_check.py" "$STATION" "$(st_tmpdir)" "$shots" ||
	fail "the panel (station serve's stderr: $(tail -n 20 "$SERVE_ERR"))"
for s in 1-pass 2-fail 3-misscan 3b-mes-refused 4-reloaded-mid-run 5-stopped 6-retest; do
	[ "$(head -c 8 "$shots/$s.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] ||
		fail "no screenshot $s.png"
done
assert_eq "$(sql "$LINE_DB" "SELECT group_concat(fixture || ':' || unit_serial || ':' || outcome, ' ')
	FROM (SELECT * FROM runs ORDER BY started_us)")" \
	"a:SIM000801:pass b:SIM000899:fail a:SIM000801:aborted b:SIM000899:fail" "the runs the panel made"
serve_stop
echo "ok: the panel in Chromium; screenshots in $shots"
