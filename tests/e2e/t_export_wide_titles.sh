#!/usr/bin/env bash
# export --what wide: every measurement keeps a column of its own.  Step
# "a/b" measurement "c" and step "a" measurement "b/c" were both "a/b/c [V]":
# the CSV had two equal headers, the JSONL kept one value.  Titles that
# repeat get " (step STEP)" each; other titles are as before.
. "$(dirname "$0")/lib.sh"
st=$BINDIR/station
out=$(st_tmpdir)
db=$out/col.db
"$st" db migrate --db "$db" >/dev/null
sql "$db" "INSERT INTO stations (name, first_seen_us, last_seen_us) VALUES ('s', 1, 1);
INSERT INTO runs (id, unit_serial, station, fixture, sequence_name, sequence_version, started_us, ended_us, outcome) VALUES ('r1','U1','s','a','seq','1',1767600000000000,1767600001000000,'pass');
INSERT INTO steps (id, run_id, idx, name, outcome) VALUES (1,'r1',0,'a/b','pass'),(2,'r1',1,'a','pass'),(3,'r1',2,'x','pass'),(4,'r1',3,'x','pass');
INSERT INTO measurements (step_id, name, value, unit, outcome) VALUES (1,'c',1.0,'V','pass'),(2,'b/c',2.0,'V','pass'),
 (3,'y',3.0,'V','pass'),(3,'y [V]',4.0,NULL,'pass'),(4,'z',5.0,NULL,'pass')"
"$st" export --db "$db" --what wide -o "$out/w.csv"
assert_eq "$(head -1 "$out/w.csv" | tr -d '\r' | cut -d, -f12-)" \
	"a/b/c [V] (step a),a/b/c [V] (step a/b),x/y [V] (step x),x/y [V] (step x) #2,x/z" "unique titles"
assert_eq "$(sed -n 2p "$out/w.csv" | tr -d '\r' | cut -d, -f12-)" "2,1,3,4,5" "each value under its own title"
"$st" export --db "$db" --what wide -f jsonl -o "$out/w.jsonl"
assert_eq "$(python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['measurements']; print(len(m), m['a/b/c [V] (step a)'], m['a/b/c [V] (step a/b)'], m['x/y [V] (step x) #2'])" "$out/w.jsonl")" \
	"5 2.0 1.0 4.0" "JSONL keeps every value"
echo "t_export_wide_titles: ok"
