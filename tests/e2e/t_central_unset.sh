#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `station central status` on a station with no central store configured
# says so and exits 3, as sync and migrate do: it printed the queued count
# and exited 0, which reads as a store that takes the runs.
. "$(dirname "$0")/lib.sh"
st=$BINDIR/station

t=$(st_tmpdir)
printf 'station: s1\nlog: station.db\n' >"$t/station.yaml"
"$st" db migrate --db "$t/station.db" >/dev/null
for what in status sync migrate; do
	rc=0
	(cd "$t" && "$st" central "$what") >"$t/out" 2>"$t/err" || rc=$?
	assert_eq "$rc" 3 "central $what without a store: $(cat "$t/out" "$t/err")"
	assert_eq "$(cat "$t/err")" "station central $what: no central store configured in station.yaml (central: {url: postgresql://HOST/DB}), and no --url given" \
		"central $what says what to configure"
	assert_eq "$(cat "$t/out")" "" "central $what: nothing that reads as done"
done
# -c names the file it read
rc=0
"$st" central status -c "$t/station.yaml" 2>"$t/err" || rc=$?
assert_eq "$rc" 3 "central status -c without a store"
grep -qF "configured in $t/station.yaml" "$t/err" || fail "the file named: $(cat "$t/err")"
echo "ok: central status, sync and migrate refuse a station.yaml with no central store (exit 3)"
