#!/usr/bin/env bash
# station export gives back the doubles the log holds: each value in the
# fewest digits (15, 16 or 17) that read back as the same double, in CSV,
# JSONL and --what wide (it wrote 15: 0.30000000000000004 came out 0.3).
# What 15 digits hold is written as before (3.3, 3.0 in JSON, 3 in CSV).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vals.sh"
st=$BINDIR/station
out=$(st_tmpdir)
db=$out/rt.db
vals=0.30000000000000004,3.3000000000000003,3.3,3.0,-2.5e-300,1e+300,0.1
VALS_LOW=0.30000000000000004 vals_log "$db" "$vals"
"$st" export --db "$db" --what measurements -f jsonl -o "$out/m.jsonl"
"$st" export --db "$db" --what measurements -f csv -o "$out/m.csv"
"$st" export --db "$db" --what wide -f jsonl -o "$out/w.jsonl"
"$st" export --db "$db" --what wide -f csv -o "$out/w.csv"
# every value and low (0.1 + 0.2) reads back as the log's double
python3 - "$db" "$out" <<'PY' || fail "export does not round-trip"
import csv, json, sqlite3, sys
db, out = sys.argv[1:3]
want = [r[0] for r in sqlite3.connect(db).execute("SELECT value FROM measurements ORDER BY id")]
m = [json.loads(l) for l in open(out + "/m.jsonl")]
assert [r["value"] for r in m] == want, ("jsonl", [r["value"] for r in m], want)
assert all(r["low"] == 0.1 + 0.2 for r in m), "jsonl low"
c = list(csv.DictReader(open(out + "/m.csv", newline="")))
assert [float(r["value"]) for r in c] == want, ("csv", [r["value"] for r in c])
assert all(float(r["low"]) == 0.1 + 0.2 for r in c), "csv low"
w = [json.loads(l)["measurements"]["rail/vdd [V]"] for l in open(out + "/w.jsonl")]
assert w == want, ("wide jsonl", w)
wc = [float(r["rail/vdd [V]"]) for r in csv.DictReader(open(out + "/w.csv", newline=""))]
assert wc == want, ("wide csv", wc)
PY
# the fewest digits: as written where 15 hold them
assert_eq "$(grep -o '"value":[^,]*' "$out/m.jsonl" | tr '\n' ' ')" \
	'"value":0.30000000000000004 "value":3.3000000000000003 "value":3.3 "value":3.0 "value":-2.5e-300 "value":1e300 "value":0.1 ' \
	"jsonl values"
assert_eq "$(cut -d, -f9 "$out/m.csv" | tr -d '\r' | tr '\n' ' ')" \
	'value 0.30000000000000004 3.3000000000000003 3.3 3 -2.5e-300 1e+300 0.1 ' "csv values"
assert_match "$(sed -n 2p "$out/m.csv")" ",0.30000000000000004,,V,0.30000000000000004,3.4," "csv low"
echo "t_export_exact: ok"
