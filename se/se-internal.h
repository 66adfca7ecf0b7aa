/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to se/: helpers shared by the backends and the identity checks.
 */
#ifndef ST_SE_SE_INT_H
#define ST_SE_SE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/x509_crt.h>

#include "se/se.h"

/* Biggest certificate chain (PEM) we accept from a board or a file. */
#define SE_CHAIN_MAX (32 * 1024)
/* Biggest DER ECDSA signature we accept (P-521 is 139 bytes). */
#define SE_SIG_MAX 160

/* Strict hex decoding: even length, hex digits only. Returns the byte count
 * or ST_ERR_PARSE / ST_ERR_LIMIT. */

/* mbedTLS error code -> "text (-0xNNNN)" in buf; returns buf. */
const char *se_mbedtls_msg(int ret, char *buf, size_t cap);

/* Seed a CTR-DRBG from the platform entropy. pers personalises the stream. */
int se_drbg_seed(mbedtls_entropy_context *ent, mbedtls_ctr_drbg_context *drbg,
		 const char *pers, struct st_error *e);

/* "YYYY-MM-DD HH:MM:SS" (UTC). */
void se_time_str(const mbedtls_x509_time *t, char *out, size_t cap);
/* The certificate's distinguished name as text, for the log and messages:
 * values as received (valid UTF-8 kept, other bytes \xNN; se_dn.c).  Text
 * from outside: whatever shows it escapes it (common/text.h). */
void se_dn_str(const mbedtls_x509_name *dn, char *out, size_t cap);
/* A certificate field's bytes as text, the same way (cut to cap - 1 bytes,
 * never inside a character); returns out. */
const char *se_bytes_str(const unsigned char *p, size_t n, char *out, size_t cap);

/* Append a named result to id->checks (printf-style detail). */
void se_add_check(struct se_identity *id, const char *name, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Extensions mbedTLS 2.28 does not handle, seen while parsing (through
 * mbedtls_x509_crt_parse_der_with_ext_cb): which certificate, which OID,
 * critical or not, and the value of the ones se/ enforces itself (name
 * constraints).  A critical one is accepted by the parser and then failed
 * by name in the "critical-ext" check, instead of a "damaged certificate".
 */
#define SE_EXT_MAX 16
#define SE_EXT_VAL_MAX 1024
struct se_ext {
	const mbedtls_x509_crt *crt;	/* compared, never dereferenced after a failed parse */
	char oid[64];			/* dotted */
	bool critical;
	unsigned char val[SE_EXT_VAL_MAX];
	size_t val_len;			/* 0 when not kept (too long: then truncated is set) */
	bool truncated;
};
struct se_exts {
	struct se_ext e[SE_EXT_MAX];
	int n;
	bool overflow;			/* more than SE_EXT_MAX: every further one is refused */
};

/* Parse a chain (PEM text, NUL-terminated, or one DER certificate) into crt;
 * leaf first.  Fills id->pem_chain (when id is not NULL) with the canonical
 * PEM of every certificate, and x with the extensions mbedTLS left to us.
 * ST_ERR_PARSE with the mbedTLS text on failure. */
int se_chain_parse_x(mbedtls_x509_crt *crt, const uint8_t *buf, size_t len,
		     struct se_identity *id, struct se_exts *x, struct st_error *e);
int se_chain_parse(mbedtls_x509_crt *crt, const uint8_t *buf, size_t len,
		   struct se_identity *id, struct st_error *e);

/* Load the trust store (a PEM/DER file or a directory of *.crt / *.pem);
 * x (may be NULL) collects the anchors' unhandled extensions. */
int se_trust_load_x(mbedtls_x509_crt *trust, const char *path, struct se_exts *x,
		    struct st_error *e);
int se_trust_load(mbedtls_x509_crt *trust, const char *path, struct st_error *e);

/* The "chain" check: verify crt (leaf first, intermediates after) to trust
 * and explain every failure by name with dates.  trust may be NULL (no
 * store configured: the check fails and says so).  crl may be NULL.
 * Returns the anchor the chain ended at (NULL when it did not verify). */
const mbedtls_x509_crt *se_check_chain(mbedtls_x509_crt *crt, mbedtls_x509_crt *trust,
				       mbedtls_x509_crl *crl, const char *trust_label,
				       struct se_identity *id);

/* Is c self-signed (issuer = subject, and its own key verifies it)? */
bool se_self_signed(const mbedtls_x509_crt *c);
/* child's signature verifies with parent's key: 0, or the mbedTLS error. */
int se_check_sig(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent);

/*
 * The certification path as the station builds it for the checks mbedTLS
 * does not make: path[0] the leaf, each next one its issuer (by name, from
 * the presented chain, then the trust store), ending at a self-issued
 * certificate, one from the trust store, or where no issuer is found.
 */
#define SE_PATH_MAX 10
struct se_path {
	const mbedtls_x509_crt *c[SE_PATH_MAX];
	bool from_trust[SE_PATH_MAX];
	int n;
};
void se_path_build(const mbedtls_x509_crt *chain, const mbedtls_x509_crt *trust,
		   struct se_path *p);
/* The pathLenConstraint of parent (RFC 5280 4.2.1.9) allows depth CA
 * certificates between it and the leaf: true, or false with *allowed set. */
bool se_pathlen_ok(const mbedtls_x509_crt *parent, int depth, int *allowed);

/* The extension checks on the path (se_ext_checks.c): critical-ext,
 * path-length, name-constraints, anchor (when anchor is set), and on the
 * leaf ext-key-usage and policies. */
void se_check_path(const mbedtls_x509_crt *chain, const mbedtls_x509_crt *trust,
		   const mbedtls_x509_crt *anchor, const struct se_exts *x,
		   const struct se_policy *p, struct se_identity *id);

/* name constraints (se_names.c): apply every nameConstraints extension in x
 * held by a certificate of path to the certificates below it.  ST_OK, or
 * ST_ERR_CERT with the reason in why. */
int se_name_constraints(const struct se_path *path, const struct se_exts *x, char *why,
			size_t cap);

/* Load CRLs (a PEM/DER file or a directory of *.crl / *.pem). */
int se_crl_load(mbedtls_x509_crl *crl, const char *path, struct st_error *e);
/* The "revocation" check for the verified path; online names the online
 * source that also answers (NULL: none). */
void se_check_revocation(const struct se_path *path, const mbedtls_x509_crl *crl,
			 const char *crl_path, const char *online, struct se_identity *id);
/* The "cms-status" check (se_status.c), when p->status is set: the online
 * source's answer for leaf; Good passes, anything else fails.  ST_OK, or the
 * source's error (the check then says the status is unknown). */
int se_check_status(const mbedtls_x509_crt *leaf, const struct se_policy *p,
		    struct se_identity *id, struct st_error *e);
/* Every check on a parsed chain, in report order (se_identity.c): chain,
 * pop (when se is given and the policy does not skip it), the path's
 * extensions and anchor, revocation, cms-status, the leaf's fields.
 * Returns ST_OK once they ran (the verdict is se_verdict's), or an error
 * when the trust store or the CRLs cannot be read, the SE cannot sign, or
 * the online revocation source cannot answer. */
int se_run_checks(struct se *se, mbedtls_x509_crt *chain, const struct se_exts *cx,
		  const struct se_policy *p, struct se_identity *id, struct st_error *e);

/* Fill the identity's descriptive fields from the leaf and run the 802.1AR /
 * RFC 8995 checks on it (serialNumber, masa-url, not-after,
 * basic-constraints, key-type, key-usage). */
void se_check_leaf(const mbedtls_x509_crt *leaf, const struct se_policy *p,
		   struct se_identity *id);

/* Verdict: ST_OK, or ST_ERR_CERT naming the first failed check in e. */
int se_verdict(const struct se_identity *id, struct st_error *e);

/* The "pop" check: the SE signs a fresh random nonce with slot's key (0: the
 * factory identity's); it must verify with leaf's public key.  Fills
 * id->nonce and id->signature.  Errors only when the SE cannot be asked. */
int se_pop(struct se *se, int slot, mbedtls_x509_crt *leaf, struct se_identity *id,
	   struct st_error *e);

/* The Wi-Fi Easy Connect (DPP) bootstrapping URI for a P-256 public key:
 * DPP:[I:SN=<serial>;]K:<base64 DER SubjectPublicKeyInfo, compressed point>;;
 * ST_ERR_NOTSUP for other key types. */
int se_dpp_uri(const mbedtls_pk_context *pk, const char *serial, char *out, size_t cap);

#endif
