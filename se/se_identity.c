/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity step: read what the SE holds, verify the chain to the
 * manufacturer roots, prove the SE holds the certificate's key (it signs a
 * fresh nonce), and run the 802.1AR / RFC 8995 checks.  Every check runs
 * even when an earlier one failed, so the report names every problem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/sha256.h>

#define LOG_PREFIX "se"
#include "common/hex.h"
#include "common/log.h"
#include "se/se-internal.h"

#define NONCE_LEN 32
#define CHIP_HASH_LEN 18
#define SE_POP_MSG_MAX (sizeof(SE_POP_PREFIX) - 1 + CHIP_HASH_LEN + NONCE_LEN)

/*
 * What the SE signs for proof of possession, 64 bytes (the most the
 * diagnostic firmware's "se sign" takes, docs/identity.md):
 *   "IDevID-PoP-v1:" || SHA-256(chip serial as "se info" printed it)[0..17] || nonce
 * The prefix separates it from every other use of the key (a CSR, a TLS
 * handshake, a BRSKI voucher request all sign DER, which starts with a
 * SEQUENCE tag, never with 'I'), and the chip serial binds it to the SE that
 * answered "se info": a signature captured from one board or one protocol
 * cannot stand in for another.
 */
int se_pop_message(const char *chip_serial, const uint8_t *nonce, size_t nonce_len,
		   uint8_t *out, size_t cap)
{
	size_t pl = sizeof(SE_POP_PREFIX) - 1;
	uint8_t h[32];

	if (pl + CHIP_HASH_LEN + nonce_len > cap)
		return ST_ERR_LIMIT;
	mbedtls_sha256_ret((const unsigned char *)chip_serial, strlen(chip_serial), h, 0);
	memcpy(out, SE_POP_PREFIX, pl);
	memcpy(out + pl, h, CHIP_HASH_LEN);
	memcpy(out + pl + CHIP_HASH_LEN, nonce, nonce_len);
	return (int)(pl + CHIP_HASH_LEN + nonce_len);
}

int se_verdict(const struct se_identity *id, struct st_error *e)
{
	int n = se_identity_failures(id);

	for (int i = 0; i < id->n_checks; i++)
		if (!id->checks[i].pass)
			return st_fail(e, ST_ERR_CERT, "identity check %s failed: %s%s",
				       id->checks[i].name, id->checks[i].detail,
				       n > 1 ? " (and more: see the report)" : "");
	return ST_OK;
}

/* Proof of possession: the SE signs a fresh random nonce with the slot's key
 * and the signature must verify with the leaf certificate's public key. */
int se_pop(struct se *se, int slot, mbedtls_x509_crt *leaf, struct se_identity *id,
	   struct st_error *e)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	uint8_t nonce[NONCE_LEN], sig[SE_SIG_MAX], hash[32], m[SE_POP_MSG_MAX];
	size_t sig_len = 0;
	char msg[200];
	int ret, mlen;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	ret = se_drbg_seed(&ent, &drbg, "station se pop nonce", e);
	if (ret < 0)
		goto out;
	ret = mbedtls_ctr_drbg_random(&drbg, nonce, sizeof(nonce));
	if (ret != 0) {
		ret = st_fail(e, ST_ERR, "cannot draw a nonce: %s",
			      se_mbedtls_msg(ret, msg, sizeof(msg)));
		goto out;
	}
	hex_encode(nonce, sizeof(nonce), id->nonce, sizeof(id->nonce), false);
	mlen = se_pop_message(id->chip_serial, nonce, sizeof(nonce), m, sizeof(m));
	if (mlen < 0) {
		ret = st_fail(e, ST_ERR_LIMIT, "internal: the proof-of-possession message does "
			      "not fit");
		goto out;
	}
	if (slot == 0)
		ret = se->ops->sign(se, m, (size_t)mlen, sig, sizeof(sig), &sig_len, e);
	else
		ret = se_slot_sign(se, slot, m, (size_t)mlen, sig, sizeof(sig), &sig_len, e);
	if (ret < 0)
		goto out;
	if (hex_encode(sig, sig_len, id->signature, sizeof(id->signature), false) < 0)
		id->signature[0] = '\0';
	log_info("proof of possession: nonce %s signature %s", id->nonce, id->signature);
	mbedtls_sha256_ret(m, (size_t)mlen, hash, 0);
	ret = mbedtls_pk_verify(&leaf->pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, sig_len);
	if (ret == 0)
		se_add_check(id, "pop", true, "the SE signed a fresh %d-byte nonce, bound to "
			     "chip %s, with the certificate's key", NONCE_LEN, id->chip_serial);
	else if (ret == MBEDTLS_ERR_ECP_VERIFY_FAILED || ret == MBEDTLS_ERR_RSA_VERIFY_FAILED ||
		 ret == MBEDTLS_ERR_PK_TYPE_MISMATCH)
		se_add_check(id, "pop", false, "the SE's signature does not verify with the "
			     "certificate's public key: the certificate does not belong to this SE");
	else
		se_add_check(id, "pop", false, "the SE returned a malformed signature (%s): "
			     "check the diagnostic firmware", se_mbedtls_msg(ret, msg, sizeof(msg)));
	ret = ST_OK;
out:
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return ret;
}

int se_run_checks(struct se *se, mbedtls_x509_crt *chain, const struct se_exts *cx,
		  const struct se_policy *p, struct se_identity *id, struct st_error *e)
{
	mbedtls_x509_crt trust;
	mbedtls_x509_crl crl;
	const mbedtls_x509_crt *anchor;
	struct se_exts *x = NULL;
	struct se_path path;
	int ret = ST_OK;

	mbedtls_x509_crt_init(&trust);
	mbedtls_x509_crl_init(&crl);
	x = malloc(sizeof(*x));
	if (!x) {
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory for the extension records");
		goto out;
	}
	*x = *cx;
	if (p && p->trust) {
		snprintf(id->trust_path, sizeof(id->trust_path), "%s", p->trust);
		ret = se_trust_load_x(&trust, p->trust, x, e);
		if (ret < 0)
			goto out;
	}
	if (p && p->crl) {
		ret = se_crl_load(&crl, p->crl, e);
		if (ret < 0)
			goto out;
	}
	anchor = se_check_chain(chain, p && p->trust ? &trust : NULL,
				p && p->crl ? &crl : NULL, p ? p->trust : NULL, id);
	if (se && !(p && p->skip_pop)) {
		ret = se_pop(se, 0, chain, id, e);
		if (ret < 0)
			goto out;
	}
	se_check_path(chain, p && p->trust ? &trust : NULL, anchor, x, p, id);
	se_path_build(chain, p && p->trust ? &trust : NULL, &path);
	se_check_revocation(&path, p && p->crl ? &crl : NULL, p ? p->crl : NULL,
			    p && p->status ? p->status_source : NULL, id);
	/* the leaf's fields run even when the status source is down: the
	 * report names every problem */
	ret = se_check_status(chain, p, id, e);
	se_check_leaf(chain, p, id);
out:
	free(x);
	mbedtls_x509_crl_free(&crl);
	mbedtls_x509_crt_free(&trust);
	return ret;
}

/* Every check, then the verdict: an error when a check could not run. */
static int run_checks(struct se *se, mbedtls_x509_crt *chain, const struct se_exts *cx,
		      const struct se_policy *p, struct se_identity *id, struct st_error *e)
{
	int ret = se_run_checks(se, chain, cx, p, id, e);

	return ret < 0 ? ret : se_verdict(id, e);
}

int se_trust_anchors(const char *path, struct se_anchor *out, int cap, int *n,
		     struct st_error *e)
{
	mbedtls_x509_crt trust;
	int ret;

	*n = 0;
	mbedtls_x509_crt_init(&trust);
	ret = se_trust_load(&trust, path, e);
	for (const mbedtls_x509_crt *c = &trust; ret == ST_OK && c && c->raw.p; c = c->next) {
		if (*n < cap) {
			sha256_hex(c->raw.p, c->raw.len, out[*n].sha256);
			se_dn_str(&c->subject, out[*n].subject, sizeof(out[*n].subject));
		}
		(*n)++;
	}
	mbedtls_x509_crt_free(&trust);
	return ret;
}

static void identity_reset(struct se_identity *id)
{
	se_identity_free(id);
	memset(id, 0, sizeof(*id));
}

int se_identity_read(struct se *se, const struct se_policy *p, struct se_identity *id,
		     struct st_error *e)
{
	struct st_error pe = { 0 };
	mbedtls_x509_crt chain;
	struct se_exts *x = NULL;
	char *pem = NULL;
	int ret;

	identity_reset(id);
	mbedtls_x509_crt_init(&chain);
	x = calloc(1, sizeof(*x));
	if (!x)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for the extension records");
	ret = se->ops->info(se, id->chip_serial, sizeof(id->chip_serial), e);
	if (ret < 0)
		goto out;
	pem = malloc(SE_CHAIN_MAX);
	if (!pem) {
		ret = st_fail(e, ST_ERR_NOMEM, "out of memory for the certificate chain");
		goto out;
	}
	ret = se->ops->cert_chain(se, pem, SE_CHAIN_MAX, e);
	if (ret < 0)
		goto out;
	ret = se_chain_parse_x(&chain, (const uint8_t *)pem, strlen(pem) + 1, id, x, &pe);
	if (ret < 0) {
		se_add_check(id, "chain", false, "the SE's certificate chain: %s", pe.msg);
		ret = se_verdict(id, e);
		goto out;
	}
	ret = run_checks(se, &chain, x, p, id, e);
out:
	free(x);
	free(pem);
	mbedtls_x509_crt_free(&chain);
	return ret;
}

/* A certificate file (PEM or DER), bounded, NUL-terminated. */
static int read_cert_file(const char *path, uint8_t **buf, size_t *len, struct st_error *e)
{
	struct stat st;
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (!f)
		return st_fail(e, ST_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SE_CHAIN_MAX) {
		fclose(f);
		return st_fail(e, ST_ERR_IO, "%s is not a certificate file (not a regular file "
			       "of at most %d bytes)", path, SE_CHAIN_MAX);
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		fclose(f);
		return st_fail(e, ST_ERR_NOMEM, "out of memory reading %s", path);
	}
	n = fread(*buf, 1, (size_t)st.st_size, f);
	fclose(f);
	(*buf)[n] = '\0';
	*len = n;
	return ST_OK;
}

int se_identity_check_file(const char *path, const struct se_policy *p,
			   struct se_identity *id, struct st_error *e)
{
	mbedtls_x509_crt chain;
	struct se_exts *x = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	identity_reset(id);
	mbedtls_x509_crt_init(&chain);
	x = calloc(1, sizeof(*x));
	if (!x)
		return st_fail(e, ST_ERR_NOMEM, "out of memory for the extension records");
	ret = read_cert_file(path, &buf, &len, e);
	if (ret < 0)
		goto out;
	/* PEM text goes in with its NUL; anything else is tried as DER. */
	if (memmem(buf, len, "-----BEGIN", 10))
		len++;
	ret = se_chain_parse_x(&chain, buf, len, id, x, e);
	if (ret < 0) {
		st_error_prefix(e, "%s", path);
		goto out;
	}
	ret = run_checks(NULL, &chain, x, p, id, e);
out:
	free(x);
	free(buf);
	mbedtls_x509_crt_free(&chain);
	return ret;
}
