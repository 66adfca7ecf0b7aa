// SPDX-License-Identifier: Apache-2.0
/*
 * mkpki's parts (tools/mkpki): the identities on disk (main.c) and the test
 * identities made from them (specials.c, hostile.c).
 */
#ifndef ST_TOOLS_MKPKI_H
#define ST_TOOLS_MKPKI_H

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

/* Make sure <name>.key/.crt exist (ensure's comment in main.c). */
int ensure(struct ctx *c, const char *name, struct pki_cert_req *r, enum pki_curve curve,
	   const struct ident *issuer, const struct pki_key *cert_key, struct ident *id);
void ident_free(struct ident *id);
/* Seeded runs derive each key and serial from "<seed>/<name>" (NULL: not seeded). */
const char *label(const struct ctx *c, const char *name, char *buf, size_t cap);
/* An IDevID leaf <name> issued by issuer; <name>.chain.pem holds chain. */
int make_leaf(struct ctx *c, const char *name, const char *serial, const struct ident *issuer,
	      const char *chain, const struct leaf_opts *o);

int make_specials(struct ctx *c, const struct ident *inter, const char *chain);
int make_policy_specials(struct ctx *c, const struct ident *root, const struct ident *inter);
int make_hostile(struct ctx *c);

#endif
