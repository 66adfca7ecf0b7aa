// SPDX-License-Identifier: Apache-2.0
/*
 * mkpki's test identities: each departs from a good IDevID in one way, so
 * the tests can prove each check of the station refuses what it should.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509.h>

#include "tools/mkpki/mkpki.h"

/* The identities the tests use to prove each check refuses what it should. */
int make_specials(struct ctx *c, const struct ident *inter, const char *chain)
{
	struct pki_cert_req rogue = {
		.subject = "CN=Station Sim Unknown Root CA,O=Somebody Else",
		.not_before = CA_FROM, .not_after = CA_UNTIL, .is_ca = 1, .pathlen = -1,
	};
	const struct leaf_opts expired = {
		.not_before = "20200101000000", .not_after = "20210101000000",
	};
	const struct leaf_opts ca_leaf = { .is_ca = 1 };
	const struct leaf_opts p384 = { .curve = PKI_P384 };
	struct leaf_opts mismatch = { 0 };
	struct ident rc = { 0 };
	struct pki_key *other = NULL;
	char lab[512];
	int ret;

	ret = make_leaf(c, "expired", "SIM900001", inter, chain, &expired);
	if (ret == 0)
		ret = ensure(c, "unknown-root-ca", &rogue, PKI_P256, NULL, NULL, &rc);
	if (ret == 0)
		ret = make_leaf(c, "unknown-root", "SIM900002", &rc, rc.pem, NULL);
	if (ret == 0)
		ret = make_leaf(c, "no-serial", NULL, inter, chain, NULL);
	if (ret == 0)
		ret = make_leaf(c, "ca-leaf", "SIM900004", inter, chain, &ca_leaf);
	if (ret == 0)
		ret = make_leaf(c, "p384", "SIM900005", inter, chain, &p384);
	if (ret < 0)
		goto out;
	/* The certificate names a key nobody keeps; mismatch.key is another one. */
	other = pki_key_generate(label(c, "mismatch-certified", lab, sizeof(lab)));
	if (!other) {
		ret = -1;
		goto out;
	}
	mismatch.cert_key = other;
	ret = make_leaf(c, "mismatch", "SIM900006", inter, chain, &mismatch);
out:
	pki_key_free(other);
	ident_free(&rc);
	return ret;
}

/* OIDs of the test PKI's own arc (an example private enterprise number). */
#define OID_TEST_ARC "\x2b\x06\x01\x04\x01\x83\xb2\x03"	/* 1.3.6.1.4.1.55555 */
static const unsigned char oid_unknown[] = OID_TEST_ARC "\x01\x01"; /* .1.1: nobody knows it */
static const unsigned char val_null[] = { 0x05, 0x00 };

/* EKU: SEQUENCE { id-kp-serverAuth } (a TLS server identity, not a device's). */
static const unsigned char val_eku_server[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01,
};
/* certificatePolicies: SEQUENCE { SEQUENCE { 1.3.6.1.4.1.55555.2.1 } } */
static const unsigned char val_policy[] = {
	0x30, 0x0e, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb2, 0x03,
	0x02, 0x01,
};
/* nameConstraints: permitted iPAddress 10.0.0.0/8 (a form the station refuses) */
static const unsigned char val_nc_ip[] = {
	0x30, 0x0e, 0xa0, 0x0c, 0x30, 0x0a, 0x87, 0x08, 10, 0, 0, 0, 255, 0, 0, 0,
};

/* nameConstraints: permitted directoryName dn (mbedTLS name syntax). */
static int nc_dirname(const char *dn, unsigned char *buf, size_t cap, const unsigned char **val,
		      size_t *len)
{
	mbedtls_asn1_named_data *names = NULL;
	unsigned char *p = buf + cap;
	int n = 0, ret;

	ret = mbedtls_x509_string_to_names(&names, dn);
	if (ret == 0) {
		ret = mbedtls_x509_write_names(&p, buf, names);	/* the Name SEQUENCE */
		n = ret;
	}
	mbedtls_asn1_free_named_data_list(&names);
	if (ret < 0)
		return -1;
	{
		static const int tags[] = {
			MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 4, /* directoryName */
			MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE,	/* GeneralSubtree */
			MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0, /* permitted */
			MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE,	/* NameConstraints */
		};

		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
			ret = mbedtls_asn1_write_len(&p, buf, (size_t)n);
			if (ret < 0)
				return -1;
			n += ret;
			ret = mbedtls_asn1_write_tag(&p, buf, (unsigned char)tags[i]);
			if (ret < 0)
				return -1;
			n += ret;
		}
	}
	*val = p;
	*len = (size_t)n;
	return 0;
}

/* An intermediate CA under the root (pathlen -1: none) with extra extensions. */
static int make_inter(struct ctx *c, const char *name, const char *cn, const struct ident *root,
		      int pathlen, const struct pki_ext *exts, int n_exts, struct ident *out)
{
	char subject[200];
	struct pki_cert_req r = {
		.subject = subject, .not_before = CA_FROM, .not_after = CA_UNTIL, .is_ca = 1,
		.pathlen = pathlen, .exts = exts, .n_exts = n_exts,
	};

	snprintf(subject, sizeof(subject), "CN=%s," ORG, cn);
	return ensure(c, name, &r, PKI_P256, root, NULL, out);
}

/*
 * The identity policy's test identities (docs/identity.md): names, MASA URL
 * encoding, extensions, path length, name constraints.  Each leaf's
 * <name>.chain.pem holds the certificates above it without the root.
 */
int make_policy_specials(struct ctx *c, const struct ident *root, const struct ident *inter)
{
	const struct pki_ext crit = { oid_unknown, sizeof(oid_unknown) - 1, 1, val_null,
				      sizeof(val_null) };
	const struct pki_ext eku = { (const unsigned char *)MBEDTLS_OID_EXTENDED_KEY_USAGE,
				     MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0,
				     val_eku_server, sizeof(val_eku_server) };
	const struct pki_ext pol = { (const unsigned char *)MBEDTLS_OID_CERTIFICATE_POLICIES,
				     MBEDTLS_OID_SIZE(MBEDTLS_OID_CERTIFICATE_POLICIES), 0,
				     val_policy, sizeof(val_policy) };
	const struct pki_ext ncip = { (const unsigned char *)MBEDTLS_OID_NAME_CONSTRAINTS,
				      MBEDTLS_OID_SIZE(MBEDTLS_OID_NAME_CONSTRAINTS), 1,
				      val_nc_ip, sizeof(val_nc_ip) };
	struct pki_ext ncdn = { (const unsigned char *)MBEDTLS_OID_NAME_CONSTRAINTS,
				MBEDTLS_OID_SIZE(MBEDTLS_OID_NAME_CONSTRAINTS), 1, NULL, 0 };
	const struct leaf_opts two = { .extra_serial = "SIM999999" };
	const struct leaf_opts u8 = { .serial_utf8 = 1 };
	const struct leaf_opts masa8 = { .masa_utf8 = 1 };
	const struct leaf_opts server = { .exts = &eku, .n_exts = 1 };
	const struct leaf_opts policy = { .exts = &pol, .n_exts = 1 };
	const struct leaf_opts in_o = {
		.subject = "O=Station Sim Manufacturer,CN=Station Sim Board SIM900017,"
			   "serialNumber=SIM900017" };
	const struct leaf_opts out_o = {
		.subject = "O=Somebody Else,CN=Station Sim Board SIM900018,serialNumber=SIM900018" };
	struct ident ic = { 0 }, sub = { 0 }, nc = { 0 }, nip = { 0 };
	unsigned char ncbuf[256];
	char chain[2 * PEM_MAX];
	int ret;

	ret = make_leaf(c, "two-serials", "SIM900010", inter, inter->pem, &two);
	if (ret == 0)
		ret = make_leaf(c, "serial-utf8", "SIM900011", inter, inter->pem, &u8);
	if (ret == 0)
		ret = make_leaf(c, "masa-utf8", "SIM900012", inter, inter->pem, &masa8);
	if (ret == 0)
		ret = make_leaf(c, "eku-server", "SIM900013", inter, inter->pem, &server);
	if (ret == 0)
		ret = make_leaf(c, "policy", "SIM900014", inter, inter->pem, &policy);
	/* an intermediate with a critical extension nobody knows */
	if (ret == 0)
		ret = make_inter(c, "critical-ca", "Station Sim Critical CA", root, 0, &crit, 1, &ic);
	if (ret == 0)
		ret = make_leaf(c, "critical-ext", "SIM900015", &ic, ic.pem, NULL);
	/* a sub-CA below the intermediate, whose pathLenConstraint is 0 */
	if (ret == 0)
		ret = make_inter(c, "sub-ca", "Station Sim Sub CA", inter, -1, NULL, 0, &sub);
	if (ret == 0) {
		snprintf(chain, sizeof(chain), "%s%s", sub.pem, inter->pem);
		ret = make_leaf(c, "path-length", "SIM900016", &sub, chain, NULL);
	}
	/* name constraints: directoryName O=Station Sim Manufacturer */
	if (ret == 0)
		ret = nc_dirname("O=Station Sim Manufacturer", ncbuf, sizeof(ncbuf), &ncdn.val,
				 &ncdn.val_len);
	if (ret == 0)
		ret = make_inter(c, "nc-ca", "Station Sim Constrained CA", root, 0, &ncdn, 1, &nc);
	if (ret == 0)
		ret = make_leaf(c, "nc-inside", "SIM900017", &nc, nc.pem, &in_o);
	if (ret == 0)
		ret = make_leaf(c, "nc-outside", "SIM900018", &nc, nc.pem, &out_o);
	/* name constraints in a form the station does not enforce */
	if (ret == 0)
		ret = make_inter(c, "nc-ip-ca", "Station Sim IP Constrained CA", root, 0, &ncip, 1,
				 &nip);
	if (ret == 0)
		ret = make_leaf(c, "nc-ip", "SIM900019", &nip, nip.pem, NULL);
	ident_free(&nip);
	ident_free(&nc);
	ident_free(&sub);
	ident_free(&ic);
	return ret;
}
