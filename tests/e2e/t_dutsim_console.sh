#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dut-sim's firmware consoles over the pty: diag commands, the secure element
# (identity from files and generated per board, signatures checked with the
# certificate's key), production firmware, power cycles.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkpki" --out "$t/pki" --boards 1 --seed console >/dev/null
"$BINDIR/mkimage" --kind diag --version 1.2.0 --size 8192 -o "$t/diag.bin"
"$BINDIR/mkimage" --kind prod --version 2.0.1 --size 8192 -o "$t/prod.bin"
sha() { printf '%s' "$1" | sha256sum | cut -c1-"$2"; }

sim_start a --fast --image "$t/diag.bin" --serial SIM000001 --rail 1v8=1.750 \
	--se-cert "$t/pki/board-1.crt" --se-key "$t/pki/board-1.key" \
	--se-chain "$t/pki/board-1.chain.pem"
con_open a
sim_ctl a "set power 1" >/dev/null
assert_eq "$(sim_field a mode)" diag "BOOT=0 runs the diag image"
assert_eq "$(con_line a)" "diag 1.2.0 ready" "banner"
assert_eq "$(con_cmd a version | paste -sd/)" "diag 1.2.0/OK" "version"
assert_eq "$(con_cmd a id | paste -sd/)" "uid: $(sha uid:SIM000001 24)/OK" "id"

r=$(con_cmd a "rail 3v3" | paste -sd/)
assert_match "$r" '^rail 3v3: 3\.(29[0-9]|30[0-9]|310) V/OK$' "3v3 within 10 mV"
assert_eq "$(con_cmd a "rail 1v8" | paste -sd/)" "rail 1v8: 1.750 V/OK" "--rail override"
assert_match "$(con_cmd a "rail 5v0")" '^rail 5v0: (4\.99|5\.0)' "5v0"
assert_match "$(con_cmd a "rail 12v")" "^ERR unknown rail '12v'" "unknown rail"
assert_eq "$(con_cmd a selftest | paste -sd/)" "selftest: pass/OK" "selftest"
assert_eq "$(con_cmd a "frobnicate now")" "ERR unknown command 'frobnicate'" "unknown command"
assert_eq "$(con_cmd a "$(printf 'x%.0s' {1..300})")" "ERR line too long" "bounded lines"
assert_eq "$(con_cmd a version | paste -sd/)" "diag 1.2.0/OK" "console fine after a long line"

assert_eq "$(con_cmd a "se info" | paste -sd/)" \
	"chip: VaultIC408/serial: $(sha SIM000001 16)/key: p256/OK" "se info"
con_cmd a "se cert" | grep -v '^OK$' >"$t/chain.pem"
assert_eq "$(cat "$t/chain.pem")" "$(cat "$t/pki/board-1.crt" "$t/pki/board-1.chain.pem" | tr -d '\r' | grep -v '^$')" \
	"se cert gives the leaf then the chain"
assert_match "$(con_cmd a "se sign")" '^ERR usage' "se sign without data"
assert_match "$(con_cmd a "se sign 0g")" '^ERR usage' "se sign with bad hex"
assert_match "$(con_cmd a "se sign $(printf '00%.0s' {1..65})")" '^ERR usage' "se sign over 64 bytes"
nonce=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
out=$(con_cmd a "se sign $nonce" | paste -sd/)
assert_match "$out" '^sig: 30[0-9a-f]+/OK$' "se sign gives a DER signature"
sig=${out#sig: }; sig=${sig%/OK}
grep -qx se <<<"$(con_cmd a help)" || fail "help lists se on diag"
! grep -qi "PRIVATE" "$SIM_A_LOG" || fail "the key reached the log"

verify() { # verify SIG_HEX MSG_HEX CERT
	printf '%s' "$1" | sed 's/../\\x&/g' | xargs -0 printf >"$t/sig.der"
	printf '%s' "$2" | sed 's/../\\x&/g' | xargs -0 printf >"$t/msg.bin"
	openssl x509 -in "$3" -pubkey -noout >"$t/pub.pem"
	openssl dgst -sha256 -verify "$t/pub.pem" -signature "$t/sig.der" "$t/msg.bin" >/dev/null
}
if command -v openssl >/dev/null; then
	verify "$sig" "$nonce" "$t/pki/board-1.crt" || fail "signature does not verify with the leaf's key"
	! verify "$sig" "${nonce%??}ff" "$t/pki/board-1.crt" || fail "signature verifies over other data"
else
	echo "openssl not installed: signature verification skipped (the station's tests verify with mbedTLS)"
fi

# power cycle: RAM state lost, flash kept, banner again
sim_ctl a "set power 0" >/dev/null
assert_eq "$(sim_field a mode)" off "power off"
sim_ctl a "set power 1" >/dev/null
assert_eq "$(con_line a)" "diag 1.2.0 ready" "banner after power cycle"

# production firmware: no rails, no secure element
sim_start p --fast --image "$t/prod.bin" --serial SIM000002
con_open p
sim_ctl p "set power 1" >/dev/null
assert_eq "$(con_line p)" "prod 2.0.1 ready" "prod banner"
assert_eq "$(sim_field p fw)" prod-2.0.1 "status fw"
assert_eq "$(con_cmd p version | paste -sd/)" "prod 2.0.1/OK" "prod version"
assert_eq "$(con_cmd p selftest | paste -sd/)" "selftest: pass/OK" "prod selftest"
assert_eq "$(con_cmd p "se info")" "ERR unknown command 'se'" "prod has no se"
assert_eq "$(con_cmd p "rail 3v3")" "ERR unknown command 'rail'" "prod has no rail"
assert_eq "$(con_cmd p id | paste -sd/)" "uid: $(sha uid:SIM000002 24)/OK" "prod id"

# no valid image: the board stays silent
sim_start e --fast
sim_ctl e "set power 1" >/dev/null
assert_eq "$(sim_field e mode)" dead "no firmware -> dead"

# identities generated per board by the intermediate CA: distinct, verifiable
for b in 11 12; do
	sim_start "g$b" --fast --image "$t/diag.bin" --serial "SIM0000$b" \
		--se-ca-cert "$t/pki/intermediate-ca.crt" --se-ca-key "$t/pki/intermediate-ca.key" \
		--se-ca-chain "$t/pki/board-1.chain.pem" --masa-url masa.test:9443
	con_open "g$b"
	sim_ctl "g$b" "set power 1" >/dev/null
	con_line "g$b" >/dev/null
	con_cmd "g$b" "se cert" | grep -v '^OK$' >"$t/g$b.pem"
	assert_eq "$(grep -c BEGIN "$t/g$b.pem")" 2 "generated: leaf + intermediate"
	out=$(con_cmd "g$b" "se sign $nonce" | head -1)
	if command -v openssl >/dev/null; then
		openssl x509 -in "$t/g$b.pem" -noout -subject -nameopt RFC2253 >"$t/g$b.subj"
		assert_match "$(cat "$t/g$b.subj")" "serialNumber=SIM0000$b,O=Station Sim Devices,CN=SIM0000$b" \
			"generated subject"
		openssl x509 -in "$t/g$b.pem" -noout -text | grep -q "masa.test:9443" ||
			fail "generated leaf lacks the MASA URL"
		openssl verify -CAfile "$t/pki/root-ca.crt" -untrusted "$t/pki/intermediate-ca.crt" \
			"$t/g$b.pem" >/dev/null || fail "generated leaf does not chain to the root"
		openssl x509 -in "$t/g$b.pem" -noout -serial >"$t/g$b.serial"
		verify "${out#sig: }" "$nonce" "$t/g$b.pem" || fail "generated key does not sign for its cert"
	fi
done
if command -v openssl >/dev/null; then
	[ "$(cat "$t/g11.serial")" != "$(cat "$t/g12.serial")" ] || fail "two boards, one cert serial"
fi
echo "t_dutsim_console: ok"
