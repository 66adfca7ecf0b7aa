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

#include <mbedtls/sha256.h>

#include "tools/mkpki/mkpki.h"

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
const char *label(const struct ctx *c, const char *name, char *buf, size_t cap)
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
int ensure(struct ctx *c, const char *name, struct pki_cert_req *r, enum pki_curve curve,
	   const struct ident *issuer, const struct pki_key *cert_key, struct ident *id)
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

void ident_free(struct ident *id)
{
	pki_key_free(id->key);
	id->key = NULL;
}

/* An IDevID leaf: 802.1AR serialNumber in the subject, MASA URL, no expiry. */
int make_leaf(struct ctx *c, const char *name, const char *serial, const struct ident *issuer,
	      const char *chain, const struct leaf_opts *o)
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
	if (ret == 0)
		ret = make_hostile(c);
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
		"  nc-outside (+ nc-ca), nc-ip (+ nc-ip-ca); hostile (+ hostile-root, not in\n"
		"  trust/): names carrying escape sequences, line breaks, C1 and bidi controls.\n"
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
