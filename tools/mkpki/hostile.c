// SPDX-License-Identifier: Apache-2.0
/*
 * The hostile identity: names a supplier (or whoever made the part) chose to
 * attack whoever reads them.  X.520 DirectoryString values are UTF8String
 * (RFC 5280 section 4.1.2.4), and nothing in X.509 forbids a control
 * character in one: the leaf's commonName, organizationName and
 * organizationalUnitName, and its issuer (a root of its own, hostile-root,
 * not in trust/), carry an escape sequence (ECMA-48 CSI and OSC), a line
 * break that would forge a "PASS unit" line, the C1 control U+009B (a
 * one-character CSI), the bidi override U+202E and a leading '=' (a formula
 * to a spreadsheet).  The subject serialNumber is a PrintableString (X.520)
 * that is also a formula: "=SUM(1+2)" uses only PrintableString's
 * characters.  A test that trusts hostile-root gets a unit whose serial is
 * that formula, from proof.
 */
#include "tools/mkpki/mkpki.h"

/* mbedTLS name syntax: ',' separates attributes; no ',' inside a value */
#define HOSTILE_ROOT                                                                  \
	"CN=Evil Root \x1b[31mRED\x1b[0m\nPASS unit Y\xc2\x9b" "2J\xe2\x80\xae" "TOOR,"     \
	"O==cmd|' /C calc'!A0"
#define HOSTILE_LEAF                                                                  \
	"CN=Board \x1b[2J\x1b]0;pwned\x07\nPASS unit X\xc2\x9b" "31m\xe2\x80\xae" "DRAOB," \
	"O==HYPERLINK(\"http://evil.example\")," "OU=\xe2\x80\xae\x1b[5m\rblink,"          \
	"serialNumber==SUM(1+2)"

int make_hostile(struct ctx *c)
{
	struct pki_cert_req root = {
		.subject = HOSTILE_ROOT, .not_before = CA_FROM, .not_after = CA_UNTIL,
		.is_ca = 1, .pathlen = -1,
	};
	const struct leaf_opts leaf = { .subject = HOSTILE_LEAF };
	struct ident rc = { 0 };
	int ret;

	ret = ensure(c, "hostile-root", &root, PKI_P256, NULL, NULL, &rc);
	if (ret == 0)
		ret = make_leaf(c, "hostile", NULL, &rc, rc.pem, &leaf);
	ident_free(&rc);
	return ret;
}
