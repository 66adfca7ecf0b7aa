#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/central_1m.sh's cached store, its summaries rebuilt when their code
# changed (a SUMKEY unlike the cache's: every summary table, the bindings,
# the policies, every central_ function and measurements_name_run dropped,
# the schema taken back to version 3, `station central migrate` applying 4
# to the current version again), is the store a fresh build makes: the same
# schema (pg_dump --schema-only: every table, index, measurements_name_run
# of version 11 among them, function, policy, grant, each column's
# n_distinct of version 9), the same versions, bindings and summaries (the
# cells by what they count, not their serial ids; the measurement sums to
# 1e-12, summed in another order).  On a store of 600 runs (its own cache,
# bench/central_1m.sh's BENCH_CENTRAL_1M_RUNS), no reading taken.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

PG_BIN=$(_pg_bin)
# the cache's server runs as nobody (as root): not under $ST_REG (0700)
B=$(mktemp -d "${TMPDIR:-/tmp}/st-c1m.XXXXXX")
chmod 755 "$B"
rm_b() { rm -rf "$B"; }
st_atexit rm_b
CACHE=$B/bench/central_0k
bench() {	# what the bench does before its readings; its messages in $B/bench.err
	BUILD=$B BINDIR=$BINDIR BENCH_CENTRAL_1M_RUNS=600 BENCH_CENTRAL_1M_MODES=none R=1 \
		bash "$ST_TOP/bench/central_1m.sh" >"$B/bench.out" 2>"$B/bench.err" ||
		fail "bench/central_1m.sh: $(tail -n 5 "$B/bench.err")"
}
snap() {	# OUT: the cached store's schema and contents (its server started, then stopped)
	local s=$B/sock q
	mkdir -p "$s" "$1"
	[ "$(id -u)" = 0 ] && chown nobody "$s"
	_pg_as "$PG_BIN/pg_ctl" -D "$CACHE/data" -l "$s/log" -w -t 60 \
		-o "-k $s -c listen_addresses=" start >/dev/null || fail "the cache's server: $(tail -n 5 "$s/log")"
	q() { psql -X -A -t -v ON_ERROR_STOP=1 -h "$s" -U postgres -d central "$@"; }
	pg_dump --schema-only -h "$s" -U postgres central | grep -v '^\\\(un\)\?restrict ' >"$1/schema"
	q -c "SELECT version FROM central_schema ORDER BY 1" >"$1/versions"
	q -c "SELECT login, station FROM central_stations ORDER BY 1, 2" >"$1/bindings"
	for t in $(q -c "SELECT tablename FROM pg_tables WHERE tablename LIKE 'sum\\_%' ORDER BY 1"); do
		q -c "SELECT x::text FROM $t x ORDER BY 1" >"$1/$t"
	done
	_pg_as "$PG_BIN/pg_ctl" -D "$CACHE/data" -m fast -w stop >/dev/null
}

bench
grep -q "building a store of 600 runs" "$B/bench.err" || fail "not built: $(cat "$B/bench.err")"
snap "$B/fresh"
assert_eq "$(grep -c "CREATE INDEX measurements_name_run ON public.measurements USING btree (name, run_id) INCLUDE (value, unit, id);" "$B/fresh/schema")" \
	"1" "a fresh store has version 11's index"
# the summaries' code changed: the key the cache holds is not the build's
echo "an older build" >"$CACHE/sumkey"
bench
grep -q "rebuilding the summaries of $CACHE" "$B/bench.err" || fail "not rebuilt: $(cat "$B/bench.err")"
snap "$B/rebuilt"
diff "$B/fresh/schema" "$B/rebuilt/schema" >&2 || fail "the rebuilt store's schema is not a fresh one's"
for f in versions bindings; do
	cmp -s "$B/fresh/$f" "$B/rebuilt/$f" || fail "the $f differ: $(diff "$B/fresh/$f" "$B/rebuilt/$f" | head)"
done
assert_eq "$(tr '\n' ' ' <"$B/rebuilt/versions")" "$(seq 1 "$(tail -n 1 "$B/fresh/versions")" | tr '\n' ' ')" \
	"every version once"
# the summaries: the cells' serial ids (sum_cells.id, which the other
# tables name) differ with the order they were made in; each replaced by
# the cell it names
python3 - "$B/fresh" "$B/rebuilt" <<'PY' || fail "the rebuilt summaries are not a fresh build's"
import csv, io, math, os, sys
def rows(d, t):
    return [next(csv.reader(io.StringIO(l.rstrip("\n")[1:-1]))) for l in open(os.path.join(d, t))]
# table: (columns holding a cell id, columns holding an array of them)
refs = {"sum_cells": ([0], []), "sum_step_fails": ([0], []), "sum_unit_cells": ([2], []),
        "sum_unit_first": ([], [4]), "sum_meas": ([0], [])}
def load(d):
    cells = {r[0]: tuple(r[1:]) for r in rows(d, "sum_cells")}
    out = {}
    for t in sorted(f for f in os.listdir(d) if f.startswith("sum_")):
        one, arr = refs.get(t, ([], []))
        rs = []
        for r in rows(d, t):
            r = list(r)
            for c in one:
                r[c] = ("cell",) + cells[r[c]]
            for c in arr:
                r[c] = tuple(cells[x] for x in r[c].strip("{}").split(",") if x)
            rs.append(r)
        out[t] = sorted(rs, key=repr)
    return out
def same(x, y):
    if x == y:
        return True
    try:
        return math.isclose(float(x), float(y), rel_tol=1e-12, abs_tol=1e-12)
    except (TypeError, ValueError):
        return False
a, b = load(sys.argv[1]), load(sys.argv[2])
ok = a.keys() == b.keys() and len(a) >= 11
for t in a:
    if len(a[t]) != len(b.get(t, [])) or not a[t]:
        print(t, "rows", len(a[t]), len(b.get(t, []))); ok = False; continue
    for x, y in zip(a[t], b[t]):
        if len(x) != len(y) or not all(same(u, v) for u, v in zip(x, y)):
            print(t, "differs:", x, y); ok = False; break
sys.exit(0 if ok else 1)
PY
echo ok
