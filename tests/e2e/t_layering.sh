#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The include rules of the parts (tests/layering, run by make check):
# the tree follows them, and each kind of break planted in a copy of the
# tree is caught and named: an upward include, another part's private
# header, a foreign library's header in the engine, a simulator that uses
# the station's code, a part that uses a simulator's, HTTP outside web/.
. "$(dirname "$0")/lib.sh"
cd "$ST_TOP"
layers=$(make -s --no-print-directory print-layers)
[[ $layers == *"station="*"common="* ]] || fail "no layers from the Makefile: '$layers'"

out=$(python3 tests/layering $layers) || fail "the tree breaks its layering: $out"

T=$(st_tmpdir)
mkdir -p "$T/tree"
git ls-files -z '*.c' '*.h' | tar --null -T - -cf - | tar -C "$T/tree" -xf -
plant() {	# FILE LINE: add LINE to FILE in the copy, run the check, put FILE back
	printf '%s\n' "$2" >>"$T/tree/$1"
	if python3 tests/layering --root "$T/tree" $layers >"$T/out" 2>&1; then
		fail "planted '$2' in $1 and the check passed"
	fi
	cp "$1" "$T/tree/$1"
	cat "$T/out"
}
got=$(plant common/log.c '#include "station/engine.h"')
assert_match "$got" 'common/log.c:[0-9]+: common includes "station/engine.h": station is above common' "upward include"
got=$(plant link/link.c '#include "fixtures/fixture.h"')
assert_match "$got" 'link/link.c:[0-9]+: link includes "fixtures/fixture.h"' "fixtures above link"
got=$(plant station/engine.c '#include "fixtures/fixture-internal.h"')
assert_match "$got" 'the private header of fixtures' "private header"
got=$(plant station/engine.c '#include <jansson.h>')
assert_match "$got" 'station/engine.c:[0-9]+: station includes <jansson.h>, which only cms, mes, report, web may use' "jansson in station"
got=$(plant station/display.c '#include <termios.h>')
assert_match "$got" 'which only link may use' "termios in station"
got=$(plant station/cmd_run.c '#include <microhttpd.h>')
assert_match "$got" 'station/cmd_run.c:[0-9]+: station includes <microhttpd.h>, which only web may use' "HTTP in station"
got=$(plant web/server.c '#include "db/db.h"')
assert_match "$got" 'web/server.c:[0-9]+: web includes "db/db.h": db is above web' "web above db"
got=$(plant db/db.c '#include <libpq-fe.h>')
assert_match "$got" 'db/db.c:[0-9]+: db includes <libpq-fe.h>, which only central may use' "libpq in db"
got=$(plant central/send.c '#include "report/report.h"')
assert_match "$got" 'central includes "report/report.h": report is above central' "central using report"
got=$(plant tools/dut-sim/rom.c '#include "loader/loader.h"')
assert_match "$got" 'a simulator uses its own code and tools/simlib only' "a simulator using the loader"
got=$(plant cms/cms.c '#include "tools/simlib/pki.h"')
assert_match "$got" 'the station never uses the simulators' "the station using simlib"
got=$(plant tests/unit/test_link_tty.c '#include "fixtures/fixture.h"')
assert_match "$got" 'test_link_tty.c:[0-9]+: link:test includes "fixtures/fixture.h"' "a link test using fixtures"
echo "layering: the tree passes; 12 planted breaks caught"
