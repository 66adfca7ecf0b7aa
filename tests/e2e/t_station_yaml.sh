#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# station.yaml's own mistakes are caught when it loads, before a board is
# touched: `station run --dry-run` and `station lint -c` exit 3 with each
# one at file:line:col (a trust store, a CMS CA that is not there, a CMS URL
# that is not https://), not once per unit after it was flashed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/line.sh"

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

# --- 1b. a mistyped key file and an unknown key: both listed, both located,
# exit 3 as lint --help says (the key file was reported alone, after the
# others were mended, with no place)
cat >line/typo.yaml <<'YAML'
station: st1
lgo: station.db
cms: {url: 'https://127.0.0.1:8443', api_key_file: cms.kye}
fixtures: [fx.yaml]
YAML
rc=0
"$BINDIR/station" lint -c line/typo.yaml seqs/flow.yaml >out 2>err || rc=$?
assert_eq "$rc" 3 "lint -c on a station.yaml with an unknown key"
assert_eq "$(cat err)" "line/typo.yaml:2:1: unknown key 'lgo' in station.yaml (did you mean 'log'?)
line/typo.yaml:3:52: cms.api_key_file: cannot read the CMS API key file line/cms.kye: No such file or directory; give the file with the CMS API key (one line), relative to station.yaml" \
	"lint -c lists the unknown key and the key file, each at its place"
assert_match "$("$BINDIR/station" lint --help)" "3 when station\.yaml is invalid or unreadable" \
	"lint --help gives the exit status lint -c has"

# --- 2. ${config_dir}: station.yaml's directory, absolute; a var is text ---
mkdir line/images
"$BINDIR/mkimage" --kind diag --version 1.0.0 --size 4096 -o line/images/diag.bin >/dev/null
real=$(cd line && pwd -P)
cat >seqs/img.yaml <<'YAML'
name: img
version: 1.0.0
vars:
  images: ~
steps:
  - name: load
    flash: {image: "${images}/diag.bin", go: false}
  - name: where
    exec: {cmd: ['true', '${config_dir}']}
YAML
cat >line/img.yaml <<'YAML'
sequence: ../seqs/img.yaml
vars: {images: "${config_dir}/images"}
fixtures: [fx.yaml]
YAML
"$BINDIR/station" run --dry-run -c line/img.yaml >out 2>err ||
	fail "\${config_dir}/images in station.yaml's vars: $(cat err)"
grep -qF "image $real/images/diag.bin (sha256 " out || fail "the image is not next to station.yaml: $(cat out)"
grep -qF "$real" <(grep -A3 where out) || fail "\${config_dir} in the sequence is not $real: $(cat out)"
# the same from the directory of station.yaml, as -c station.yaml
(cd line && "$BINDIR/station" run --dry-run -c img.yaml) >out 2>err ||
	fail "-c img.yaml: $(cat err)"
grep -qF "image $real/images/diag.bin (sha256 " out || fail "-c img.yaml: $(cat out)"
# a relative value is text, not a path: the step resolves it against the
# sequence file, as docs/fixtures.md says
sed -i 's|"${config_dir}/images"|images|' line/img.yaml
rc=0
"$BINDIR/station" run --dry-run -c line/img.yaml >out 2>err || rc=$?
assert_eq "$rc" 3 "a relative image directory in vars: $(cat out err)"
grep -qF "resolved to line/../seqs/images/diag.bin" out err || fail "not resolved against the sequence: $(cat out err)"

# --- 3. sequence: NAME is looked for as -s NAME is --------------------------
# an installed tree: PREFIX/bin/station finds PREFIX/share/station/sequences
mkdir -p prefix/bin prefix/share/station/sequences
cp "$BINDIR/station" prefix/bin/
sed 's/^name: flow/name: installed-flow/' seqs/flow.yaml >prefix/share/station/sequences/installed-flow.yaml
sed 's/^name: flow/name: local-flow/' seqs/flow.yaml >line/local-flow.yaml
st=$t/prefix/bin/station
printf 'sequence: installed-flow\nfixtures: [fx.yaml]\n' >line/s3.yaml
"$st" run --dry-run -c line/s3.yaml >out 2>err || fail "sequence: NAME, installed: $(cat err)"
grep -q '^sequence installed-flow 1.0.0' out || fail "not the installed sequence: $(cat out)"
# next to station.yaml, as for -s (a path or NAME.yaml there comes first)
printf 'sequence: local-flow\nfixtures: [fx.yaml]\n' >line/s3.yaml
"$st" run --dry-run -c line/s3.yaml >out 2>err || fail "sequence: NAME next to it: $(cat err)"
grep -q '^sequence local-flow 1.0.0' out || fail "not the sequence next to station.yaml: $(cat out)"
# none: said once, at station.yaml's line, before anything else
printf 'station: s3\nsequence: factory-provisioning\nfixtures: [fx.yaml]\n' >line/s3.yaml
rc=0
"$st" run --dry-run -c line/s3.yaml >out 2>err || rc=$?
assert_eq "$rc" 3 "sequence: a NAME nowhere"
assert_eq "$(cat err)" "line/s3.yaml:2:11: sequence: no sequence 'factory-provisioning' (nor factory-provisioning.yaml) in line, $t/prefix/share/station/sequences: give its path, relative to station.yaml, or a NAME" \
	"a sequence nowhere is said once, at its line"
# station lint looks as -s does too, and with no FILE checks station.yaml's
"$st" lint installed-flow >out 2>err || fail "lint installed-flow: $(cat out err)"
assert_eq "$(cat out)" "$t/prefix/share/station/sequences/installed-flow.yaml: ok (installed-flow 1.0.0)" "lint NAME"
printf 'sequence: installed-flow\n' >line/s3.yaml
"$st" lint -c line/s3.yaml >out 2>err || fail "lint -c with no FILE: $(cat out err)"
assert_eq "$(cat out)" "$t/prefix/share/station/sequences/installed-flow.yaml: ok (installed-flow 1.0.0)" "lint -c, no FILE"
rc=0
"$st" lint no-such-flow >out 2>err || rc=$?
assert_eq "$rc" 1 "lint of a NAME nowhere"
assert_match "$(cat out)" "^no sequence 'no-such-flow' \(nor no-such-flow.yaml\) in \., $t/prefix/share/station/sequences: give its path$" "lint of a NAME nowhere"
# not installed: a binary in the source tree it was built in (TREE/bin,
# TREE/station/main.c) finds TREE/sequences, from any directory
mkdir -p tree/bin tree/station tree/sequences elsewhere
cp "$BINDIR/station" tree/bin/
: >tree/station/main.c
sed 's/^name: flow/name: tree-flow/' seqs/flow.yaml >tree/sequences/tree-flow.yaml
(cd elsewhere && "$t/tree/bin/station" lint tree-flow) >out 2>err || fail "lint NAME in the tree: $(cat out err)"
assert_eq "$(cat out)" "$t/tree/sequences/tree-flow.yaml: ok (tree-flow 1.0.0)" "the source tree's sequences"
# -s PATH that is not there: said once
rc=0
"$st" run --dry-run -s ./nothere.yaml -f line/fx.yaml >out 2>err || rc=$?
assert_eq "$rc" 3 "-s a path not there"
assert_eq "$(cat err)" "station run: cannot read ./nothere.yaml: No such file or directory" "-s a path not there, said once"

# --- 5. docs/fixtures.md's station.yaml runs as written --------------------
# its first yaml block under "## station.yaml", on the line of line.sh (PKI,
# images, cms.key, cms-sim), the CMS's port its own; the installed
# sequences are the tree's (an installed layout around a copy of station)
doc=$ST_TOP/docs/fixtures.md
awk '/^## station.yaml$/ { on = 1 } on && /^```yaml$/ { copy = 1; next }
	copy && /^```$/ { exit } copy { print }' "$doc" >doc.yaml
grep -q '^station: ' doc.yaml || fail "no station.yaml example in $doc"
line_setup
line_board a SIM000501
mkdir "$LINE/fixtures"
mv "$LINE/a.yaml" "$LINE/fixtures/a.yaml"
sed "s|https://127.0.0.1:8443|https://127.0.0.1:$(cat "$LINE/cms.port")|" doc.yaml >"$LINE/station.yaml"
! cmp -s doc.yaml "$LINE/station.yaml" || fail "the example's CMS URL is not https://127.0.0.1:8443"
mkdir -p p5/bin p5/share/station
cp "$BINDIR/station" p5/bin/
ln -s "$ST_TOP/sequences" p5/share/station/sequences
(cd / && "$t/p5/bin/station" lint -c "$LINE/station.yaml") >out 2>err ||
	fail "lint -c the doc's station.yaml: $(cat out err)"
assert_match "$(cat out)" "factory-provisioning.yaml: ok \(factory-provisioning " "the doc's sequence, linted"
rc=0
(cd / && "$t/p5/bin/station" run -c "$LINE/station.yaml" --once) >out 2>err || rc=$?
assert_eq "$rc" 0 "the doc's station.yaml runs a unit: $(tail -5 out) $(cat err)"
assert_eq "$(sql "$LINE/station.db" "SELECT station || ' ' || unit_serial || ' ' || outcome FROM runs")" \
	"line1-st01 SIM000501 pass" "the run, in the log next to station.yaml"
assert_eq "$(sql "$LINE/station.db" "SELECT count(*) FROM images WHERE path = '$(cd "$LINE" && pwd -P)/images/diag.bin'")" 1 \
	"the diagnostic image from \${config_dir}/images"
# its variables snippet loads as written, next to the example
awk '/^### Variables and `\$\{config_dir\}`$/ { on = 1 } on && /^```yaml$/ { copy = 1; next }
	copy && /^```$/ { exit } copy { print }' "$doc" >vars.yaml
grep -q '^vars:' vars.yaml || fail "no vars: example in $doc"
sed '/^vars:/,/^fixtures:/{/^fixtures:/!d}' "$LINE/station.yaml" >"$LINE/vars.yaml"
cat vars.yaml >>"$LINE/vars.yaml"
(cd / && "$t/p5/bin/station" lint -c "$LINE/vars.yaml") >out 2>err ||
	fail "the vars: snippet: $(cat out err)"
echo "ok: station.yaml's files and URLs are checked when it loads; \${config_dir} is absolute; sequence: NAME is found as -s NAME; the docs' station.yaml runs"
