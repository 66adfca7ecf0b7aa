#!/usr/bin/env bash
# An infinity edited into a value (the station records none) is shown as
# --capability shows it (docs/quality.md): the mean that infinity, no sigma
# or index, the counts kept.  report -f json dropped the measurement
# (measurements: []), text and HTML said "sigma -nan" and a finite bin of
# the histogram held the infinity; --spc with one in its baseline drew CL inf
# and flagged every point: now no limits, nothing flagged, said why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vals.sh"
st=$BINDIR/station
out=$(st_tmpdir)
mk() {	# DB VALUES: vals.sh's log, its summaries made
	vals_log "$1" "$2"
	"$st" db rebuild --db "$1" >/dev/null
}
db=$out/inf.db
mk "$db" 3.30,inf,3.31
# the summaries' report and the rows' (--serial), each format
for f in "" "--serial U1"; do
	# shellcheck disable=SC2086
	"$st" report --db "$db" $f >"$out/t"
	assert_match "$(grep -A1 'seq / rail / vdd' "$out/t" | tail -1)" "^    n [0-9]+  mean inf  sigma -  min (3\.3[0-9]*|inf)  max inf$" "text $f: the mean inf, no sigma"
	! grep -q 'nan' "$out/t" || fail "text $f: nan: $(cat "$out/t")"
	! grep -q 'e+1[0-9]' "$out/t" || fail "text $f: the infinity in a finite bin: $(cat "$out/t")"
	# shellcheck disable=SC2086
	"$st" report --db "$db" $f -f json -o "$out/j"
	assert_eq "$(python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))['measurements']
print(len(m), m[0]['mean'], m[0]['sigma'], m[0]['max'], m[0]['ppk'], m[0]['beyond_high'])" "$out/j")" "1 None None None None 1" "json $f: the entry kept, null where not finite"
	# shellcheck disable=SC2086
	"$st" report --db "$db" $f -f csv -o "$out/c"
	assert_eq "$(grep '^measurement,.*,mean,' "$out/c" | cut -d, -f3- | tr -d '\r')" "mean," "csv $f: the mean empty"
	# shellcheck disable=SC2086
	"$st" report --db "$db" $f -f html -o "$out/h"
	! grep -q -E '>-?nan<|>-?inf<.*sigma' "$out/h" || fail "html $f: nan"
	assert_match "$(grep -o '<td>[^<]*</td><td>-</td>' "$out/h" | head -1)" "<td>inf</td><td>-</td>" "html $f: mean inf, sigma -"
done

# --spc: an infinity in the baseline gives no limits, flags nothing, says why
db=$out/spc.db
mk "$db" 3.30,inf,3.29,3.30,3.31,3.29,3.30,3.31
rc=0; "$st" report --db "$db" --spc vdd --baseline 4 >"$out/s" || rc=$?
assert_eq "$rc" "0" "--spc with an infinity"
assert_match "$(sed -n 3p "$out/s")" "^fixture a: 8 points, no limits: the baseline holds an infinite value \(a hand edit: the station records none\), nothing flagged$" "--spc: why no limits"
! grep -q 'flagged:\|rule' "$out/s" || fail "--spc flags points: $(cat "$out/s")"
"$st" report --db "$db" --spc vdd --baseline 4 -f json -o "$out/sj"
assert_eq "$(python3 -c "
import json, sys
f = json.load(open(sys.argv[1]))['fixtures'][0]
print(f['limits'], f['no_limits'], 'cl' in f, sum(len(p['rules']) for p in f['points']), f['points'][1]['value'])" "$out/sj")" \
	"False the baseline holds an infinite value False 0 None" "--spc json"
"$st" report --db "$db" --spc vdd --baseline 4 -f html -o "$out/sh"
! grep -q -i 'nan\|inf"' "$out/sh" || fail "--spc html: a coordinate not a number: $(grep -i -m3 'nan\|inf"' "$out/sh")"
# after the baseline the limits stand: the infinity is beyond them
db=$out/spc2.db
mk "$db" 3.30,3.31,3.29,3.30,3.31,inf,3.30,3.31
"$st" report --db "$db" --spc vdd --baseline 4 >"$out/s"
assert_match "$(cat "$out/s")" "CL 3.3  sigma" "finite limits"
assert_match "$(grep '#6 ' "$out/s")" "U5 +inf +rule 1" "the infinity beyond 3 sigma"
echo "t_report_infinity: ok"
