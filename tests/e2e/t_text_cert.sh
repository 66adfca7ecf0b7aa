#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Certificate text is data.  mkpki's "hostile" identity (tools/mkpki/hostile.c)
# carries escape sequences, line breaks, the C1 CSI U+009B, the bidi override
# U+202E and a leading '=' in its subject (CN, O, OU) and in its issuer, a
# root of its own; its serialNumber is the formula =SUM(1+2).  dut-sim's SE
# holds it; the identity flow runs on a real pty twice: with the hostile root
# untrusted (FAIL, the reason names the root) and trusted (PASS, the unit
# serial comes from the certificate).  The names are stored as the
# certificate says them and shown escaped on the terminal, in trace, in
# `cert check`; CSV holds them in quoted cells with the formula defused;
# --json is valid JSON with the stored text.
. "$(dirname "$0")/lib.sh"

t=$(st_tmpdir)
"$BINDIR/mkpki" --out "$t/pki" --boards 0 --seed certtext >/dev/null
"$BINDIR/mkimage" --kind diag --version 1.4.2 --size 8192 -o "$t/diag.bin" >/dev/null
mkdir "$t/trust2"
cp "$t/pki/trust/root-ca.crt" "$t/pki/hostile-root.crt" "$t/trust2/"
sim_start a --fast --image "$t/diag.bin" --serial SIM007001 --se-cert "$t/pki/hostile.crt" \
	--se-key "$t/pki/hostile.key" --se-chain "$t/pki/hostile.chain.pem"
sim_fixture a "$t/a.yaml"
printf 'station: st-text\nlog: log.db\ntrust: pki/trust\n' >"$t/untrusted.yaml"
printf 'station: st-text\nlog: log.db\ntrust: trust2\n' >"$t/trusted.yaml"
cat >"$t/seq.yaml" <<'YAML'
name: cert-text
version: 1.0.0
steps:
  - name: power on
    lines: {power: on}
  - name: wait for the firmware banner
    console: {wait: '^diag [^ ]+ ready$'}
  - name: read and verify SE identity
    identity: {}
teardown:
  - name: power off
    lines: {power: off}
YAML
# the names as the certificate holds them (bash's $'...' = the bytes)
leaf_cn=$'Board \e[2J\e]0;pwned\a\nPASS unit X\xc2\x9b31m\xe2\x80\xaeDRAOB'
root_cn=$'Evil Root \e[31mRED\e[0m\nPASS unit Y\xc2\x9b2J\xe2\x80\xaeTOOR'
# ... and shown (common/text.h; RFC 4514's specials escaped with '\')
leaf_shown='CN=Board \e[2J\e]0\;pwned\x07\nPASS unit X\u009b31m\u202eDRAOB, O=\=HYPERLINK(\"http://evil.example\"), OU=\u202e\e[5m\rblink, serialNumber=\=SUM(1\+2)'
root_shown="CN=Evil Root \\e[31mRED\\e[0m\\nPASS unit Y\\u009b2J\\u202eTOOR, O=\\=cmd|' /C calc'!A0"
raw_absent() {	# raw_absent FILE WHAT: none of the names' dangerous bytes in FILE
	! grep -aq $'\e\\[2J\|\e\\[31m\|\e\\]0\|\e\\[5m' "$1" || fail "$2: a name's escape sequence reached it raw"
	! grep -aq $'\xc2\x9b' "$1" || fail "$2: a raw C1 CSI"
	! grep -aq $'\xe2\x80\xae' "$1" || fail "$2: a raw right-to-left override"
	! grep -aq $'\a' "$1" || fail "$2: a raw BEL"
	! grep -aq '^PASS unit [XY]' "$1" || fail "$2: a forged line"
}
run_pty() {	# run_pty CONFIG OUT: the flow on a pty; exit status in RC
	RC=0
	(cd "$t" && TERM=xterm python3 "$ST_TOP/tests/e2e/pty_run.py" --out "$2" -- \
		"$BINDIR/station" run -c "$1" -f a.yaml -s seq.yaml --once) || RC=$?
}

# --- the hostile root untrusted: FAIL, the reason names it ---------------------
run_pty untrusted.yaml "$t/tty1.out"
assert_eq "$RC" "1" "untrusted: the unit fails"
raw_absent "$t/tty1.out" "the terminal (untrusted)"
grep -aqF "the root '$root_shown' is not in the trust store" "$t/tty1.out" ||
	fail "the terminal does not show the root's name escaped: $(grep -a reason "$t/tty1.out" | tail -1)"
run1=$(sql "$t/log.db" "SELECT id FROM runs ORDER BY started_us LIMIT 1")
python3 - "$t/log.db" "$run1" "$leaf_cn" "$root_cn" <<'PY' || fail "the log does not keep the names as the certificate says them"
import sqlite3, sys
db, run, leaf, root = sys.argv[1:5]
subject, issuer = sqlite3.connect(db).execute(
    "SELECT subject, issuer FROM identities WHERE run_id = ?", (run,)).fetchone()
want_s = ("CN=" + leaf.replace(";", "\\;") + ', O=\\=HYPERLINK(\\"http://evil.example\\"), '
          "OU=\u202e\x1b[5m\rblink, serialNumber=\\=SUM(1\\+2)")
want_i = "CN=" + root + ", O=\\=cmd|' /C calc'!A0"
assert subject == want_s, (subject, want_s)
assert issuer == want_i, (issuer, want_i)
PY

# --- the hostile root trusted: PASS, the serial from the certificate -----------
run_pty trusted.yaml "$t/tty2.out"
assert_eq "$RC" "0" "trusted: the unit passes"
raw_absent "$t/tty2.out" "the terminal (trusted)"
grep -aqF "PASS  fixture a  unit =SUM(1+2)" "$t/tty2.out" || fail "the verdict does not name the unit"
assert_eq "$(sql "$t/log.db" "SELECT count(*) FROM runs WHERE unit_serial = '=SUM(1+2)' AND outcome = 'pass'")" \
	"1" "the unit's serial is the certificate's"

# --- trace ---------------------------------------------------------------------
"$BINDIR/station" trace --db "$t/log.db" '=SUM(1+2)' >"$t/trace.out" || fail "trace does not find the unit"
raw_absent "$t/trace.out" "trace"
grep -aqF "subject $leaf_shown  issuer $root_shown" "$t/trace.out" ||
	fail "trace: the names are not shown escaped: $(grep -a subject "$t/trace.out")"
"$BINDIR/station" trace --db "$t/log.db" "$run1" >"$t/trace1.out" || fail "trace of the unidentified run"
raw_absent "$t/trace1.out" "trace (untrusted)"
grep -aqF "the root '$root_shown' is not in the trust store" "$t/trace1.out" ||
	fail "trace: the reason is not shown escaped"
"$BINDIR/station" trace --db "$t/log.db" --format json '=SUM(1+2)' |
	python3 -c 'import json,sys; json.load(sys.stdin)' || fail "trace --format json: not JSON"

# --- CSV -----------------------------------------------------------------------
for what in runs steps; do
	"$BINDIR/station" export --db "$t/log.db" --what $what >"$t/$what.csv" || fail "export $what"
	raw_absent "$t/$what.csv" "CSV ($what)"
done
assert_eq "$(wc -l <"$t/runs.csv")" "3" "CSV: a header and one line per run (no raw line break in a cell)"
python3 - "$t/runs.csv" "$t/steps.csv" "$root_shown" <<'PY' || fail "CSV: see above"
import csv, sys
runs = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
steps = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8")))
root = sys.argv[3]
assert [r["unit_serial"] for r in runs] == ["", "'=SUM(1+2)"], [r["unit_serial"] for r in runs]
assert "the root '%s' is not in the trust store" % root in runs[0]["reason"], runs[0]["reason"]
for row in runs + steps:                      # no cell a spreadsheet takes as a formula
    for k, v in row.items():
        assert not v or v[0] not in "=+-@\t\r" or v.lstrip("-").replace(".", "").isdigit(), (k, v)
ident = [s for s in steps if s["step"] == "read and verify SE identity"]
assert len(ident) == 2 and root in ident[0]["reason"], ident
PY
grep -aqF ",\"'=SUM(1+2)\"," "$t/runs.csv" || fail "CSV: the serial's cell is not quoted with its formula defused"

# --- --json ----------------------------------------------------------------------
for cfg in untrusted trusted; do
	(cd "$t" && "$BINDIR/station" run -c $cfg.yaml -f a.yaml -s seq.yaml --once --json \
		>"$t/$cfg.jsonl" 2>/dev/null) || true
done
python3 - "$t/untrusted.jsonl" "$t/trusted.jsonl" "$leaf_cn" "$root_cn" <<'PY' || fail "--json: see above"
import json, sys
leaf, root = sys.argv[3], sys.argv[4]
subject = "CN=%s, O=\\=HYPERLINK(\\\"http://evil.example\\\"), OU=\u202e\x1b[5m\rblink, serialNumber=\\=SUM(1\\+2)" % leaf.replace(";", "\\;")
issuer = "CN=%s, O=\\=cmd|' /C calc'!A0" % root
for path, verdict in ((sys.argv[1], "FAIL"), (sys.argv[2], "PASS")):
    ev = [json.loads(l) for l in open(path, encoding="utf-8").read().splitlines()]
    names = [e["event"] for e in ev]
    assert "run_start" in names and "run_end" in names and names[-1] == "summary", names
    ids = [e["identity"] for e in ev if e["event"] == "step_end" and "identity" in e]
    assert len(ids) == 1, ids
    assert ids[0]["subject"] == subject, (ids[0]["subject"], subject)
    assert ids[0]["issuer"] == issuer, (ids[0]["issuer"], issuer)
    end = next(e for e in ev if e["event"] == "run_end")
    assert end["verdict"] == verdict, end
    if verdict == "FAIL":
        assert "the root '%s' is not in the trust store" % issuer in end["reason"], end["reason"]
    else:
        assert end["serial"] == "=SUM(1+2)", end
PY

# --- cert check ------------------------------------------------------------------
cat "$t/pki/hostile.crt" "$t/pki/hostile.chain.pem" >"$t/hostile.pem"
"$BINDIR/station" cert check "$t/hostile.pem" --trust "$t/pki/trust" --require-cn >"$t/check.out" &&
	fail "cert check passes an identity whose root is not trusted"
raw_absent "$t/check.out" "cert check"
grep -aqxF "subject      $leaf_shown" "$t/check.out" || fail "cert check: the subject is not shown escaped"
grep -aqxF "issuer       $root_shown" "$t/check.out" || fail "cert check: the issuer is not shown escaped"
grep -aqF "FAIL chain              the root '$root_shown' is not in the trust store" "$t/check.out" ||
	fail "cert check: the chain's verdict does not show the root escaped"
"$BINDIR/station" cert check "$t/hostile.pem" --trust "$t/trust2" --require-cn >"$t/check2.out" ||
	fail "cert check: the identity under a trusted root: $(grep FAIL "$t/check2.out")"
raw_absent "$t/check2.out" "cert check (trusted)"
grep -aqxF 'PASS commonName         Board \e[2J\e]0;pwned\x07\nPASS unit X\u009b31m\u202eDRAOB' "$t/check2.out" ||
	fail "cert check: the commonName is not shown escaped: $(grep commonName "$t/check2.out")"
grep -aqF "anchor-subject $root_shown" "$t/check2.out" || fail "cert check: the anchor is not shown escaped"
echo ok
