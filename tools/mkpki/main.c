// SPDX-License-Identifier: Apache-2.0
/*
 * mkpki: the simulated manufacturer PKI for the demo and the tests.
 *
 *   mkpki --out DIR [--boards N] [--seed S] [--masa-url URL]
 *
 * Idempotent: a key or certificate already in DIR is kept, and a
 * certificate is only re-issued when its key or its issuer was re-made, so
 * a trust directory handed out earlier stays valid.  With --seed every key
 * and serial is derived from the seed, so the output is reproducible.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>

#include "tools/simlib/pki.h"

#define PEM_MAX 8192
#define CA_FROM "20240101000000"
#define CA_UNTIL "20491231235959"
#define IDEVID_UNTIL "99991231235959" /* IEEE 802.1AR: no well-defined expiry */
#define ORG "O=Station Sim Manufacturer"

struct ctx {
	const char *dir;
	const char *seed;
	const char *masa_url;
	int written;
};

/* An identity on disk: <dir>/<name>.key and <dir>/<name>.crt, plus its PEM. */
struct ident {
	struct pki_key *key;
	char pem[PEM_MAX];
	int fresh;	/* re-made this run: whatever it signed must be re-made too */
};

static int path_of(const struct ctx *c, char *buf, size_t cap, const char *name,
		   const char *ext)
{
	int n = snprintf(buf, cap, "%s/%s%s", c->dir, name, ext);

	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "mkpki: path too long under %s\n", c->dir);
		return -1;
	}
	return 0;
}

static int exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Seeded runs derive each key and serial from "<seed>/<name>". */
static const char *label(const struct ctx *c, const char *name, char *buf, size_t cap)
{
	if (!c->seed)
		return NULL;
	snprintf(buf, cap, "%s/%s", c->seed, name);
	return buf;
}

static uint64_t serial_for(const struct ctx *c, const char *name)
{
	unsigned char h[32];
	char lab[512];
	uint64_t s = 0;
	int i;

	if (!c->seed)
		return 0; /* pki_issue picks a random one */
	snprintf(lab, sizeof(lab), "%s/serial/%s", c->seed, name);
	mbedtls_sha256_ret((const unsigned char *)lab, strlen(lab), h, 0);
	for (i = 0; i < 8; i++)
		s = s << 8 | h[i];
	return (s & 0x7fffffffffffffffULL) | 0x4000000000000000ULL;
}

static int write_text(struct ctx *c, const char *name, const char *ext, const char *text,
		      int mode)
{
	char path[4096];

	char *old;
	int same;

	if (path_of(c, path, sizeof(path), name, ext) < 0)
		return -1;
	/* Leave a file that already says the same untouched (idempotent). */
	old = exists(path) ? pki_read_file(path, 4 * PEM_MAX) : NULL;
	same = old && strcmp(old, text) == 0;
	free(old);
	if (same)
		return 0;
	if (pki_write_file(path, text, strlen(text), mode) < 0)
		return -1;
	c->written++;
	return 0;
}

static int load_or_make_key(struct ctx *c, const char *name, enum pki_curve curve,
			    struct ident *id)
{
	char path[4096], lab[512];

	if (path_of(c, path, sizeof(path), name, ".key") < 0)
		return -1;
	if (exists(path)) {
		id->key = pki_key_load(path);
		return id->key ? 0 : -1;
	}
	id->key = pki_key_generate_curve(curve, label(c, name, lab, sizeof(lab)));
	if (!id->key || pki_key_save(id->key, path) < 0)
		return -1;
	c->written++;
	id->fresh = 1;
	return 0;
}

/*
 * Make sure <name>.key/.crt exist; issue the certificate when missing or when
 * its key or issuer is new.  issuer NULL: self-signed.  cert_key, when not
 * NULL, is the key the certificate is issued for (the "mismatch" case: the
 * .key file then holds a different key).
 */
static int ensure(struct ctx *c, const char *name, struct pki_cert_req *r,
		  enum pki_curve curve, const struct ident *issuer,
		  const struct pki_key *cert_key, struct ident *id)
{
	char path[4096];
	char *pem;

	memset(id, 0, sizeof(*id));
	if (load_or_make_key(c, name, curve, id) < 0)
		return -1;
	if (path_of(c, path, sizeof(path), name, ".crt") < 0)
		return -1;
	if (!id->fresh && !(issuer && issuer->fresh) && exists(path)) {
		pem = pki_read_file(path, PEM_MAX - 1);
		if (!pem)
			return -1;
		snprintf(id->pem, sizeof(id->pem), "%s", pem);
		free(pem);
		return 0;
	}
	if (!r->serial)
		r->serial = serial_for(c, name);
	if (pki_issue(r, cert_key ? cert_key : id->key, issuer ? issuer->key : id->key,
		      issuer ? issuer->pem : NULL, id->pem, sizeof(id->pem)) < 0) {
		fprintf(stderr, "mkpki: cannot issue %s\n", name);
		return -1;
	}
	id->fresh = 1;
	return write_text(c, name, ".crt", id->pem, 0644);
}

static void ident_free(struct ident *id)
{
	pki_key_free(id->key);
	id->key = NULL;
}

/* How a special test identity departs from a good IDevID. */
struct leaf_opts {
	const char *not_before, *not_after;	/* NULL: the defaults */
	int is_ca;
	enum pki_curve curve;
	const struct pki_key *cert_key;		/* certify this key instead */
	int masa_utf8;				/* MASA URL as a UTF8String */
	const char *extra_serial;		/* a second serialNumber */
	int serial_utf8;			/* serialNumber as a UTF8String */
	const char *subject;			/* instead of the usual one */
	const struct pki_ext *exts;		/* more extensions */
	int n_exts;
};

/* An IDevID leaf: 802.1AR serialNumber in the subject, MASA URL, no expiry. */
static int make_leaf(struct ctx *c, const char *name, const char *serial,
		     const struct ident *issuer, const char *chain,
		     const struct leaf_opts *o)
{
	static const struct leaf_opts good = { 0 };
	char subject[256];
	struct pki_cert_req r = {
		.subject = subject, .pathlen = -1, .masa_url = c->masa_url,
	};
	struct ident id;
	int ret;

	if (!o)
		o = &good;
	r.not_before = o->not_before ? o->not_before : CA_FROM;
	r.not_after = o->not_after ? o->not_after : IDEVID_UNTIL;
	r.is_ca = o->is_ca;
	r.masa_utf8 = o->masa_utf8;
	r.extra_serial = o->extra_serial;
	r.serial_utf8 = o->serial_utf8;
	r.exts = o->exts;
	r.n_exts = o->n_exts;
	if (o->subject)
		snprintf(subject, sizeof(subject), "%s", o->subject);
	else if (serial)
		snprintf(subject, sizeof(subject),
			 "CN=Station Sim Board %s," ORG ",serialNumber=%s", serial, serial);
	else
		snprintf(subject, sizeof(subject), "CN=Station Sim Board %s," ORG, name);
	ret = ensure(c, name, &r, o->curve, issuer, o->cert_key, &id);
	if (ret == 0)
		ret = write_text(c, name, ".chain.pem", chain, 0644);
	ident_free(&id);
	return ret;
}

static int make_specials(struct ctx *c, const struct ident *inter, const char *chain);
static int make_policy_specials(struct ctx *c, const struct ident *root,
				const struct ident *inter);

static int make_cms_tls(struct ctx *c)
{
	struct pki_cert_req ca = {
		.subject = "CN=Station Sim CMS TLS CA,O=Station Sim CMS",
		.not_before = CA_FROM, .not_after = CA_UNTIL, .is_ca = 1, .pathlen = 0,
	};
	struct pki_cert_req srv = {
		.subject = "CN=localhost,O=Station Sim CMS",
		.not_before = CA_FROM, .not_after = "20391231235959", .pathlen = -1,
		.san_dns = "localhost", .san_ip = "127.0.0.1",
	};
	struct ident cac, sc;
	int ret;

	ret = ensure(c, "cms-ca", &ca, PKI_P256, NULL, NULL, &cac);
	if (ret == 0)
		ret = ensure(c, "cms-server", &srv, PKI_P256, &cac, NULL, &sc);
	ident_free(&sc);
	ident_free(&cac);
	return ret;
}

/*
 * mTLS for the CMS's v2 and EST APIs: a station-client CA (the CMS trusts
 * it: cms-sim --client-ca) and the station's client certificate; plus a
 * second client certificate from an untrusted CA, and a localhost server
 * certificate from a CA the station does not trust (the "wrong server
 * certificate" fault).
 */
static int make_cms_mtls(struct ctx *c)
{
	struct pki_cert_req ca = {
		.subject = "CN=Station Sim Client CA,O=Station Sim CMS",
		.not_before = CA_FROM, .not_after = CA_UNTIL, .is_ca = 1, .pathlen = 0,
	};
	struct pki_cert_req cli = {
		.subject = "CN=station-e2e,O=Station Sim Line",
		.not_before = CA_FROM, .not_after = "20391231235959", .pathlen = -1,
	};
	struct pki_cert_req rca = {
		.subject = "CN=Station Sim Rogue CA,O=Somebody Else",
		.not_before = CA_FROM, .not_after = CA_UNTIL, .is_ca = 1, .pathlen = 0,
	};
	struct pki_cert_req rsrv = {
		.subject = "CN=localhost,O=Somebody Else",
		.not_before = CA_FROM, .not_after = "20391231235959", .pathlen = -1,
		.san_dns = "localhost", .san_ip = "127.0.0.1",
	};
	struct pki_cert_req rcli = {
		.subject = "CN=rogue-station,O=Somebody Else",
		.not_before = CA_FROM, .not_after = "20391231235959", .pathlen = -1,
	};
	struct ident cac = { 0 }, cc = { 0 }, rc = { 0 }, rs = { 0 }, rl = { 0 };
	int ret;

	ret = ensure(c, "client-ca", &ca, PKI_P256, NULL, NULL, &cac);
	if (ret == 0)
		ret = ensure(c, "station-client", &cli, PKI_P256, &cac, NULL, &cc);
	if (ret == 0)
		ret = ensure(c, "rogue-ca", &rca, PKI_P256, NULL, NULL, &rc);
	if (ret == 0)
		ret = ensure(c, "cms-server-rogue", &rsrv, PKI_P256, &rc, NULL, &rs);
	if (ret == 0)
		ret = ensure(c, "rogue-client", &rcli, PKI_P256, &rc, NULL, &rl);
	ident_free(&rl);
	ident_free(&rs);
	ident_free(&rc);
	ident_free(&cc);
	ident_free(&cac);
	return ret;
}

static int make_manufacturer(struct ctx *c, int boards)
{
	struct pki_cert_req root = {
		.subject = "CN=Station Sim Manufacturer Root CA," ORG,
		.not_before = CA_FROM, .not_after = CA_UNTIL, .is_ca = 1, .pathlen = -1,
	};
	struct pki_cert_req inter = {
		.subject = "CN=Station Sim Manufacturer Intermediate CA," ORG,
		.not_before = CA_FROM, .not_after = CA_UNTIL, .is_ca = 1, .pathlen = 0,
	};
	struct ident rc = { 0 }, ic = { 0 };
	char chain[2 * PEM_MAX], name[32], serial[32];
	int ret, i;

	ret = ensure(c, "root-ca", &root, PKI_P256, NULL, NULL, &rc);
	if (ret == 0)
		ret = ensure(c, "intermediate-ca", &inter, PKI_P256, &rc, NULL, &ic);
	if (ret < 0)
		goto out;
	snprintf(chain, sizeof(chain), "%s%s", ic.pem, rc.pem);
	ret = write_text(c, "chain", ".pem", chain, 0644);
	if (ret == 0)
		ret = write_text(c, "trust/root-ca", ".crt", rc.pem, 0644);
	/* A board presents its leaf plus the intermediate; the root is the trust anchor. */
	for (i = 1; ret == 0 && i <= boards; i++) {
		snprintf(name, sizeof(name), "board-%d", i);
		snprintf(serial, sizeof(serial), "SIM%06d", i);
		ret = make_leaf(c, name, serial, &ic, ic.pem, NULL);
	}
	if (ret == 0)
		ret = make_specials(c, &ic, ic.pem);
	if (ret == 0)
		ret = make_policy_specials(c, &rc, &ic);
out:
	ident_free(&ic);
	ident_free(&rc);
	return ret;
}

/* Copy board-1 as "clone": the same identity presented by a second board. */
static int make_clone(struct ctx *c)
{
	static const char *const ext[] = { ".crt", ".key", ".chain.pem" };
	char src[4096];
	char *text;
	size_t i;
	int ret = 0;

	for (i = 0; ret == 0 && i < sizeof(ext) / sizeof(ext[0]); i++) {
		if (path_of(c, src, sizeof(src), "board-1", ext[i]) < 0)
			return -1;
		text = pki_read_file(src, 2 * PEM_MAX);
		if (!text)
			return -1;
		ret = write_text(c, "clone", ext[i], text, i == 1 ? 0600 : 0644);
		free(text);
	}
	return ret;
}

/* The identities the tests use to prove each check refuses what it should. */
static int make_specials(struct ctx *c, const struct ident *inter, const char *chain)
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
static int make_policy_specials(struct ctx *c, const struct ident *root, const struct ident *inter)
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

static int mkdirs(const char *dir)
{
	char sub[4096];

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkpki: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(sub, sizeof(sub), "%s/trust", dir);
	if (mkdir(sub, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkpki: cannot create %s: %s\n", sub, strerror(errno));
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mkpki --out DIR [--boards N] [--seed S] [--masa-url URL]\n"
		"Writes the simulated manufacturer PKI into DIR:\n"
		"  root-ca.crt/.key, intermediate-ca.crt/.key, chain.pem (intermediate+root),\n"
		"  trust/root-ca.crt, cms-ca.crt/.key, cms-server.crt/.key (localhost, 127.0.0.1),\n"
		"  client-ca.crt/.key, station-client.crt/.key (the station's mTLS identity),\n"
		"  rogue-ca.crt/.key, cms-server-rogue.crt/.key, rogue-client.crt/.key (untrusted),\n"
		"  board-<i>.crt/.key/.chain.pem for i = 1..N (serialNumber SIM<6 digits>,\n"
		"  default N = 2), and test identities expired, unknown-root (+ unknown-root-ca),\n"
		"  no-serial, ca-leaf, p384, mismatch, clone (board-1 again); for the\n"
		"  identity policy two-serials, serial-utf8, masa-utf8, eku-server, policy,\n"
		"  critical-ext (+ critical-ca), path-length (+ sub-ca), nc-inside and\n"
		"  nc-outside (+ nc-ca), nc-ip (+ nc-ip-ca).\n"
		"Existing files are kept; --seed makes keys and serials reproducible.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "boards", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "masa-url", required_argument, NULL, 'm' },
		{ "special", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { .masa_url = "masa.station-sim.example:9443" };
	int boards = 2, opt, ret;
	char *end;

	while ((opt = getopt_long(argc, argv, "o:n:s:m:Sh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': c.dir = optarg; break;
		case 's': c.seed = optarg; break;
		case 'm': c.masa_url = optarg; break;
		case 'S': break; /* the test identities are always made */
		case 'n':
			boards = (int)strtol(optarg, &end, 10);
			if (*end || boards < 0 || boards > 999999) {
				fprintf(stderr, "mkpki: --boards wants 0..999999, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!c.dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (mkdirs(c.dir) < 0)
		return 1;
	ret = make_manufacturer(&c, boards);
	if (ret == 0)
		ret = make_cms_tls(&c);
	if (ret == 0)
		ret = make_cms_mtls(&c);
	if (ret == 0 && boards >= 1)
		ret = make_clone(&c);
	if (ret < 0) {
		fprintf(stderr, "mkpki: failed; %s may be incomplete (re-run to finish)\n", c.dir);
		return 1;
	}
	printf("mkpki: %s ready (%d files written, %d boards)\n", c.dir, c.written, boards);
	return 0;
}
