#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station.yaml's own mistakes are caught when it loads, before a board is
# touched: `station run --dry-run` and `station lint -c` exit 3 with each
# one at file:line:col (a trust store, a CMS CA that is not there, a CMS URL
# that is not https://), not once per unit after it was flashed.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
cd "$t"
mkdir line seqs
cat >seqs/flow.yaml <<'YAML'
name: flow
version: 1.0.0
steps:
  - name: wait
    delay: 10ms
YAML
printf 'name: fx\ndriver: sim\n' >line/fx.yaml
echo key-0123456789 >line/cms.key

# --- 1. files and URLs: at load, every one, with where and what to do -----
cat >line/station.yaml <<'YAML'
station: st1
trust: pki/nothere
sequence: ../seqs/flow.yaml
cms: {url: 'http://127.0.0.1:8443', ca: pki/nothere.crt, api_key_file: cms.key}
fixtures: [fx.yaml]
YAML
rc=0
"$BINDIR/station" run --dry-run -c line/station.yaml >out 2>err || rc=$?
assert_eq "$rc" 3 "run --dry-run on a station.yaml naming no trust store: $(cat err)"
grep -qF "line/station.yaml:2:8: trust: cannot read pki/nothere (line/pki/nothere): No such file or directory; give the manufacturer roots (a PEM file or a directory), relative to station.yaml" err ||
	fail "trust: not located: $(cat err)"
[ ! -s out ] || fail "a plan was printed: $(cat out)"
rc=0
"$BINDIR/station" lint -c line/station.yaml seqs/flow.yaml >out 2>err || rc=$?
assert_eq "$rc" 3 "lint -c on it"
assert_eq "$(cat err)" "line/station.yaml:2:8: trust: cannot read pki/nothere (line/pki/nothere): No such file or directory; give the manufacturer roots (a PEM file or a directory), relative to station.yaml
line/station.yaml:4:41: cms.ca: cannot read pki/nothere.crt (line/pki/nothere.crt): No such file or directory; give the CA certificate (PEM) of the CMS's server, relative to station.yaml
line/station.yaml:4:12: cms.url 'http://127.0.0.1:8443' is not https://: give https://HOST:PORT (insecure: true is for a lab CMS only)" \
	"lint -c lists every problem of station.yaml"
! grep -q ': ok' out || fail "lint said ok: $(cat out)"
# once they are there, the same file is fine
mkdir -p line/pki/nothere
touch line/pki/nothere.crt
sed -i 's|http://|https://|' line/station.yaml
"$BINDIR/station" run --dry-run -c line/station.yaml >out 2>err ||
	fail "run --dry-run on the mended station.yaml: $(cat err)"
echo "ok: station.yaml's files and URLs are checked when it loads"
