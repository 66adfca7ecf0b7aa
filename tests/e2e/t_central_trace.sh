#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station trace and export on the central store print, byte for byte, what
# they print on the station's log, for runs with everything a run can carry:
# `make demo`'s factory flow (flashed images, SE identities with their
# trust records, CMS registrations, captured values) on two simulated
# fixtures, its log sent by `station central sync`; each unit traced by its
# board serial, its certificate serial (as an operator types it), its SE
# chip serial and its 802.1AR serial, as text, JSON and label.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/central.sh"
st=$BINDIR/station

pg_start
central_setup
d=$CENTRAL/demo
rc=0
DEMO_DIR=$d BINDIR=$BINDIR "$ST_TOP/tools/demo.sh" >"$CENTRAL/demo.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "the demo passes: $(tail -n 20 "$CENTRAL/demo.out")"
cp "$d/station.yaml" "$d/central.yaml"
cat >>"$d/central.yaml" <<YAML
central:
  url: "$CENTRAL_URL"
  passfile: $CENTRAL_PASS
YAML
central_bind "$(sed -n 's/^station: //p' "$d/station.yaml")"
"$st" central sync -c "$d/central.yaml" >"$CENTRAL/sync.out" || fail "sync: $(cat "$CENTRAL/sync.out")"
assert_match "$(cat "$CENTRAL/sync.out")" "2 sent, 0 still queued" "both runs sent"

CEN=(--central "$CENTRAL_READER_URL" --passfile "$PG_DIR/qe.pass")
same() { central_same "$d/station.db" "$@"; }
keys=()
while IFS='|' read -r unit cert chip subj; do
	colons=$(echo "$cert" | sed -E 's/(..)/\1:/g; s/:$//')	# 6E:C1:...
	keys+=("$unit" "$colons" "0x${cert,,}" "$chip" "$subj")
done < <(sql "$d/station.db" "SELECT r.unit_serial, i.cert_serial, i.chip_serial, i.subject_serial
	FROM identities i JOIN runs r ON r.id = i.run_id ORDER BY r.unit_serial")
assert_eq "${#keys[@]}" "10" "two units, five keys each"
for k in "${keys[@]}"; do
	for fmt in text json label; do
		same trace "$k" -f "$fmt"
	done
done
same trace NOSUCH
# the trace carries everything: compared above, present here
"$st" trace SIM000101 -f json "${CEN[@]}" >"$CENTRAL/t.json"
assert_eq "$(python3 -c 'import json, sys
u = json.load(open(sys.argv[1]))["units"][0]
steps = [s for r in u["runs"] for s in r["steps"]]
print(*(sum(len(s[k]) for s in steps) for k in ("measurements", "images", "identities", "cms", "values")))' "$CENTRAL/t.json")" \
	"$(sql "$d/station.db" "SELECT (SELECT count(*) FROM v_measurements m JOIN runs r ON r.id = m.run_id WHERE r.unit_serial = 'SIM000101')
	|| ' ' || (SELECT count(*) FROM images g JOIN runs r ON r.id = g.run_id WHERE r.unit_serial = 'SIM000101')
	|| ' 1 1 ' || (SELECT count(*) FROM step_values v JOIN runs r ON r.id = v.run_id WHERE r.unit_serial = 'SIM000101')")" \
	"measurements, images, identity, CMS and values of SIM000101"
for what in runs steps measurements wide; do
	for fmt in csv jsonl; do
		same export --what "$what" -f "$fmt"
	done
done
same export --what runs --station demo-station
same report --operations -f json
same report --capability -f csv
same report --group-by station
echo ok
