#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `station cert check` on the RFC 8995 example IDevID and vendor CA: the
# report's lines and the exit codes (0 pass, 1 a check failed, 2 usage,
# 3 unreadable file).
set -euo pipefail
ST_TOP=${ST_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BINDIR=${BINDIR:-bin}
case $BINDIR in /*) ;; *) BINDIR=$ST_TOP/$BINDIR ;; esac
station=$BINDIR/station
data=$ST_TOP/tests/data/rfc8995
leaf=$data/idevid_00-D0-E5-F2-00-02.crt
ca=$data/vendor-ca.crt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# run CMD...: stdout to $tmp/out, stderr to $tmp/err, exit code to $rc
run() { set +e; "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; set -e; }
has() { grep -qE -- "$1" "$tmp/out" || { cat "$tmp/out" >&2; fail "no line matching: $1"; }; }

# The example identity against its (expired) vendor CA.
run "$station" cert check "$leaf" --trust "$ca"
[ "$rc" = 1 ] || fail "expected exit 1 for an expired vendor CA, got $rc"
has '^serial +0D85DC2D$'
has '^subject +serialNumber=00-D0-E5-F2-00-02$'
has '^masa-url +highway-test.example.com:9443$'
# RFC 8995's example encodes serialNumber as a UTF8String (X.520: PrintableString)
has '^FAIL serialNumber +00-D0-E5-F2-00-02 is encoded as a UTF8String'
has '^PASS masa-url +highway-test.example.com:9443 \(UTF8String; RFC 8995 says IA5String\)'
has '^masa-encoding +UTF8String$'
has '^PASS basic-constraints +CA:FALSE$'
has '^PASS key-type +EC P-256 \(the policy allows P-256 only\)$'
has '^PASS not-after +2999-12-31 00:00:00 UTC$'
has "^FAIL chain +the issuer 'C=Canada, ST=Ontario, OU=Sandelman, CN=highway-test.example.com CA' expired on 2021-02-11 22:22:21 UTC"
has '^dpp +DPP:I:SN=00-D0-E5-F2-00-02;K:MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgAD[A-Za-z0-9+/=]+;;$'
has '^result: FAIL \(2 of 12 checks failed\)$'

# docs/identity.md's example is this output, line for line (run from the top).
cmd='station cert check tests/data/rfc8995/idevid_00-D0-E5-F2-00-02.crt --trust tests/data/rfc8995/vendor-ca.crt'
sed -n "/^\\$ $(printf '%s' "$cmd" | sed 's/[.\/]/\\&/g')\$/,/^\`\`\`\$/p" "$ST_TOP/docs/identity.md" |
	sed '1d;$d' >"$tmp/doc"
[ -s "$tmp/doc" ] || fail "docs/identity.md has no example for: $cmd"
(cd "$ST_TOP" && set +e; $BINDIR/$cmd >"$tmp/real"; true)
diff -u "$tmp/doc" "$tmp/real" || fail "docs/identity.md's cert check example differs from the output"

# The DPP key is the certificate's key (openssl as an independent reader).
if command -v openssl >/dev/null; then
	k=$(sed -n 's/^dpp .*;K:\(.*\);;$/\1/p' "$tmp/out")
	# K: carries the compressed point; compare both keys uncompressed.
	echo "$k" | base64 -d | openssl ec -pubin -inform DER -conv_form uncompressed \
		-outform DER -out "$tmp/dpp.der" 2>/dev/null
	openssl x509 -in "$leaf" -pubkey -noout >"$tmp/cert.pem"
	openssl pkey -pubin -in "$tmp/cert.pem" -outform DER -out "$tmp/cert.der"
	cmp -s "$tmp/dpp.der" "$tmp/cert.der" || fail "the DPP URI's key is not the certificate's key"
	spki=$(sha256sum <"$tmp/cert.der" | cut -d' ' -f1)
	has "^spki-sha256 +$spki$"
fi

# The serial the sequence expects, and the JSON form.
run "$station" cert check "$leaf" --trust "$ca" --serial 00-D0-E5-F2-00-09 --json
[ "$rc" = 1 ] || fail "expected exit 1, got $rc"
has '"serial": "0D85DC2D"'
has '"masa_url": "highway-test.example.com:9443"'
has "names '00-D0-E5-F2-00-02' but this board is '00-D0-E5-F2-00-09'"
has '"pass": false'

# A trust store that does not hold the issuer.
run "$station" cert check "$leaf" --trust "$leaf"
[ "$rc" = 1 ] || fail "expected exit 1 for an unknown issuer, got $rc"
has "^FAIL chain +issuer 'C=Canada, ST=Ontario, OU=Sandelman, CN=highway-test.example.com CA' is not in the trust store $leaf"

# The vendor CA is not a device identity: many checks fail, each by name.
run "$station" cert check "$ca" --trust "$data" --require-masa
[ "$rc" = 1 ] || fail "expected exit 1 for the CA, got $rc"
has '^FAIL basic-constraints +CA:TRUE'
has '^FAIL key-type +the key is EC P-384; the policy allows P-256 only'
has '^FAIL serialNumber +the subject has no serialNumber'
has '^FAIL masa-url +absent'
has "^FAIL chain +the certificate '.*' expired on 2021-02-11 22:22:21 UTC"

# The simulated manufacturer PKI (bin/mkpki, when built): a good board
# passes; its expired and unknown-root identities fail by name.
if [ -x "$BINDIR/mkpki" ]; then
	"$BINDIR/mkpki" --out "$tmp/pki" --boards 1 >/dev/null
	for n in board-1 expired unknown-root; do
		cat "$tmp/pki/$n.crt" "$tmp/pki/$n.chain.pem" >"$tmp/$n.pem"
	done
	run "$station" cert check "$tmp/board-1.pem" --trust "$tmp/pki/trust" --require-masa
	[ "$rc" = 0 ] || { cat "$tmp/out" >&2; fail "a good mkpki identity should pass"; }
	has '^PASS chain +[0-9] certificates up to the root'
	has '^PASS not-after +99991231235959Z'
	has '^result: PASS \(13 checks\)$'
	has '^PASS anchor +self-signed root'
	has '^anchor-sha256 +[0-9a-f]{64}$'
	run "$station" cert check "$tmp/expired.pem" --trust "$tmp/pki/trust"
	[ "$rc" = 1 ] || fail "expected exit 1 for an expired identity, got $rc"
	has "^FAIL chain +the certificate '.*' expired on [0-9-]+ [0-9:]+ UTC"
	run "$station" cert check "$tmp/unknown-root.pem" --trust "$tmp/pki/trust"
	[ "$rc" = 1 ] || fail "expected exit 1 for an unknown root, got $rc"
	has "^FAIL chain +the root '.*' is not in the trust store $tmp/pki/trust"
fi

# Usage and unreadable files.
run "$station" cert check
[ "$rc" = 2 ] || fail "expected exit 2 without a file, got $rc"
run "$station" cert check "$leaf" --bogus
[ "$rc" = 2 ] || fail "expected exit 2 for an unknown option, got $rc"
run "$station" cert check --help
[ "$rc" = 0 ] && has '^usage: station cert check FILE'
run "$station" cert check "$tmp/missing.crt"
[ "$rc" = 3 ] || fail "expected exit 3 for a missing file, got $rc"
grep -q "cannot read $tmp/missing.crt: No such file or directory" "$tmp/err" || fail "message"
run "$station" cert check "$data/README.md"
[ "$rc" = 3 ] || fail "expected exit 3 for a file that is not a certificate, got $rc"
grep -q "does not parse" "$tmp/err" || fail "no parse message"
run "$station" cert check "$leaf" --trust "$tmp/nowhere"
[ "$rc" = 3 ] || fail "expected exit 3 for a missing trust store, got $rc"
echo "t_cert_check: ok"
