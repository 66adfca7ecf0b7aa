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
/* The certificate's distinguished name, quoted in messages. */
void se_dn_str(const mbedtls_x509_name *dn, char *out, size_t cap);

/* Append a named result to id->checks (printf-style detail). */
void se_add_check(struct se_identity *id, const char *name, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parse a chain (PEM text, NUL-terminated, or one DER certificate) into crt;
 * leaf first.  Fills id->pem_chain with the canonical PEM of every
 * certificate.  ST_ERR_PARSE with the mbedTLS text on failure. */
int se_chain_parse(mbedtls_x509_crt *crt, const uint8_t *buf, size_t len,
		   struct se_identity *id, struct st_error *e);

/* Load the trust store (a PEM/DER file or a directory of *.crt / *.pem). */
int se_trust_load(mbedtls_x509_crt *trust, const char *path, struct st_error *e);

/* The "chain" check: verify crt (leaf first, intermediates after) to trust
 * and explain every failure by name with dates.  trust may be NULL (no
 * store configured: the check fails and says so). */
void se_check_chain(mbedtls_x509_crt *crt, mbedtls_x509_crt *trust, const char *trust_label,
		    struct se_identity *id);

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
