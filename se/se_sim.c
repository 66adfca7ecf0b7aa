/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sim backend: an SE in-process, for unit tests and for checking an
 * identity on the bench.  The key and the chain come from PEM files, as
 * dut-sim takes them (--se-key, --se-chain); it signs like the real part,
 * ECDSA over SHA-256 of the message, DER-encoded.  Slots 1.. generate keys,
 * sign CSRs and store certificates for on-chip enrolment, in memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_csr.h>

#define LOG_PREFIX "se"
#include "common/hex.h"
#include "common/log.h"
#include "se/se-internal.h"

/* A key slot for on-chip enrolment (slot 0 is key + chain above). */
struct sim_slot {
	mbedtls_pk_context key;
	bool has_key;
	char *pem;		/* the stored certificate, or NULL */
};

struct sim_priv {
	mbedtls_pk_context key;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	char *chain;
	struct sim_slot slot[SE_SLOTS_MAX];
};

static int sim_info(struct se *se, char *chip_serial, size_t cap, struct st_error *e)
{
	struct sim_priv *s = se->priv;
	unsigned char der[256], hash[32];
	int len;

	/* A stable chip serial per key: the first 8 bytes of SHA-256(SPKI). */
	len = mbedtls_pk_write_pubkey_der(&s->key, der, sizeof(der));
	if (len <= 0)
		return st_fail(e, ST_ERR, "sim SE: cannot encode the public key");
	mbedtls_sha256_ret(der + sizeof(der) - len, (size_t)len, hash, 0);
	return hex_encode(hash, 8, chip_serial, cap, true) < 0 ?
	       st_fail(e, ST_ERR_LIMIT, "sim SE: chip serial buffer too small") : ST_OK;
}

static int sim_cert_chain(struct se *se, char *pem, size_t cap, struct st_error *e)
{
	struct sim_priv *s = se->priv;
	size_t n = strlen(s->chain);

	if (n + 1 > cap)
		return st_fail(e, ST_ERR_LIMIT, "sim SE: the chain (%zu bytes) does not fit in "
			       "%zu bytes", n, cap);
	memcpy(pem, s->chain, n + 1);
	return ST_OK;
}

static int pk_sign(mbedtls_pk_context *key, mbedtls_ctr_drbg_context *drbg, const uint8_t *msg,
		   size_t len, uint8_t *sig, size_t cap, size_t *sig_len, struct st_error *e)
{
	unsigned char hash[32], out[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	char m[200];
	int ret;

	mbedtls_sha256_ret(msg, len, hash, 0);
	ret = mbedtls_pk_sign(key, MBEDTLS_MD_SHA256, hash, sizeof(hash), out, sig_len,
			      mbedtls_ctr_drbg_random, drbg);
	if (ret != 0)
		return st_fail(e, ST_ERR, "sim SE: signing failed: %s",
			       se_mbedtls_msg(ret, m, sizeof(m)));
	if (*sig_len > cap)
		return st_fail(e, ST_ERR_LIMIT, "sim SE: signature of %zu bytes does not fit",
			       *sig_len);
	memcpy(sig, out, *sig_len);
	return ST_OK;
}

static int sim_sign(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig,
		    size_t cap, size_t *sig_len, struct st_error *e)
{
	struct sim_priv *s = se->priv;

	return pk_sign(&s->key, &s->drbg, msg, len, sig, cap, sig_len, e);
}

/* A slot that holds (or may take) a generated key: 1..SE_SLOTS_MAX-1. */
static struct sim_slot *user_slot(struct se *se, int n, bool need_key, struct st_error *e)
{
	struct sim_priv *s = se->priv;

	if (n == 0) {
		st_fail(e, ST_ERR_FAIL, "slot 0 holds the factory identity and is read-only");
		return NULL;
	}
	if (n < 0 || n >= SE_SLOTS_MAX) {
		st_fail(e, ST_ERR_ARG, "no slot %d (slots 0..%d)", n, SE_SLOTS_MAX - 1);
		return NULL;
	}
	if (need_key && !s->slot[n].has_key) {
		st_fail(e, ST_ERR_FAIL, "slot %d has no key: se keygen %d first", n, n);
		return NULL;
	}
	return &s->slot[n];
}

static int sim_keygen(struct se *se, int slot, struct st_error *e)
{
	struct sim_priv *s = se->priv;
	struct sim_slot *sl = user_slot(se, slot, false, e);
	char m[200];
	int ret;

	if (!sl)
		return e ? e->code : ST_ERR_ARG;
	mbedtls_pk_free(&sl->key);
	mbedtls_pk_init(&sl->key);
	free(sl->pem);
	sl->pem = NULL;
	sl->has_key = false;
	ret = mbedtls_pk_setup(&sl->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret == 0)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(sl->key),
					  mbedtls_ctr_drbg_random, &s->drbg);
	if (ret != 0)
		return st_fail(e, ST_ERR, "sim SE: key generation failed: %s",
			       se_mbedtls_msg(ret, m, sizeof(m)));
	sl->has_key = true;
	return ST_OK;
}

static int sim_csr(struct se *se, int slot, const char *subject, char *pem, size_t cap,
		   struct st_error *e)
{
	struct sim_priv *s = se->priv;
	struct sim_slot *sl = user_slot(se, slot, true, e);
	mbedtls_x509write_csr req;
	char m[200];
	int ret;

	if (!sl)
		return e ? e->code : ST_ERR_ARG;
	mbedtls_x509write_csr_init(&req);
	mbedtls_x509write_csr_set_md_alg(&req, MBEDTLS_MD_SHA256);
	mbedtls_x509write_csr_set_key(&req, &sl->key);
	ret = mbedtls_x509write_csr_set_subject_name(&req, subject);
	if (ret != 0) {
		ret = st_fail(e, ST_ERR_FAIL, "bad subject '%.96s' (want e.g. "
			      "CN=X,serialNumber=X)", subject);
		goto out;
	}
	ret = mbedtls_x509write_csr_pem(&req, (unsigned char *)pem, cap, mbedtls_ctr_drbg_random,
					&s->drbg);
	if (ret != 0)
		ret = st_fail(e, ST_ERR_LIMIT, "sim SE: cannot write the CSR: %s",
			      se_mbedtls_msg(ret, m, sizeof(m)));
out:
	mbedtls_x509write_csr_free(&req);
	return ret;
}

/* Like the part: a certificate is stored only when it carries the slot's key. */
static int sim_write_cert(struct se *se, int slot, const char *pem, struct st_error *e)
{
	struct sim_slot *sl = user_slot(se, slot, true, e);
	unsigned char out[4096];
	mbedtls_x509_crt crt;
	size_t olen = 0;
	char m[200];
	int ret;

	if (!sl)
		return e ? e->code : ST_ERR_ARG;
	mbedtls_x509_crt_init(&crt);
	ret = mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, strlen(pem) + 1);
	if (ret != 0) {
		ret = st_fail(e, ST_ERR_FAIL, "the SE refused the certificate: %s",
			      se_mbedtls_msg(ret, m, sizeof(m)));
		goto out;
	}
	if (mbedtls_pk_check_pair(&crt.pk, &sl->key) != 0) {
		ret = st_fail(e, ST_ERR_FAIL, "the SE refused the certificate: certificate does "
			      "not match the key in slot %d", slot);
		goto out;
	}
	ret = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
				       "-----END CERTIFICATE-----\n", crt.raw.p, crt.raw.len,
				       out, sizeof(out), &olen);
	if (ret != 0) {
		ret = st_fail(e, ST_ERR_LIMIT, "the SE refused the certificate: too large");
		goto out;
	}
	free(sl->pem);
	sl->pem = strdup((char *)out);
	ret = sl->pem ? ST_OK : st_fail(e, ST_ERR_NOMEM, "sim SE: out of memory");
out:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

static int sim_read_cert(struct se *se, int slot, char *pem, size_t cap, struct st_error *e)
{
	struct sim_slot *sl = user_slot(se, slot, true, e);

	if (!sl)
		return e ? e->code : ST_ERR_ARG;
	if (!sl->pem)
		return st_fail(e, ST_ERR_FAIL, "slot %d holds no certificate", slot);
	if (strlen(sl->pem) + 1 > cap)
		return st_fail(e, ST_ERR_LIMIT, "sim SE: the certificate does not fit");
	memcpy(pem, sl->pem, strlen(sl->pem) + 1);
	return ST_OK;
}

static int sim_slot_sign(struct se *se, int slot, const uint8_t *msg, size_t len, uint8_t *sig,
			 size_t cap, size_t *sig_len, struct st_error *e)
{
	struct sim_priv *s = se->priv;
	struct sim_slot *sl = slot == 0 ? NULL : user_slot(se, slot, true, e);

	if (slot == 0)
		return sim_sign(se, msg, len, sig, cap, sig_len, e);
	if (!sl)
		return e ? e->code : ST_ERR_ARG;
	return pk_sign(&sl->key, &s->drbg, msg, len, sig, cap, sig_len, e);
}

/* Test hook (not in se.h): the slot's key changes, as a faulty part's would. */
int se_sim_rekey(struct se *se, int slot);
int se_sim_rekey(struct se *se, int slot)
{
	return sim_keygen(se, slot, NULL);
}

static void sim_close(struct se *se)
{
	struct sim_priv *s = se->priv;

	if (!s)
		return;
	for (int i = 0; i < SE_SLOTS_MAX; i++) {
		mbedtls_pk_free(&s->slot[i].key);
		free(s->slot[i].pem);
	}
	mbedtls_pk_free(&s->key);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->ent);
	free(s->chain);
	free(s);
	se->priv = NULL;
}

const struct se_ops se_sim_ops = {
	.name = "sim",
	.info = sim_info,
	.cert_chain = sim_cert_chain,
	.sign = sim_sign,
	.close = sim_close,
	.keygen = sim_keygen,
	.csr = sim_csr,
	.write_cert = sim_write_cert,
	.read_cert = sim_read_cert,
	.slot_sign = sim_slot_sign,
};

static char *read_text(const char *path, struct st_error *e)
{
	char *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		st_fail(e, ST_ERR_IO, "sim SE: cannot read the chain %s: %s", path,
			strerror(errno));
		return NULL;
	}
	buf = malloc(SE_CHAIN_MAX);
	if (!buf) {
		fclose(f);
		st_fail(e, ST_ERR_NOMEM, "sim SE: out of memory");
		return NULL;
	}
	n = fread(buf, 1, SE_CHAIN_MAX - 1, f);
	if (!feof(f)) {
		st_fail(e, ST_ERR_LIMIT, "sim SE: the chain %s is larger than %d bytes", path,
			SE_CHAIN_MAX - 1);
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

int se_open_sim(struct se **out, const char *key_pem_path, const char *chain_pem_path,
		struct st_error *e)
{
	struct sim_priv *s;
	struct se *se;
	char m[200];
	int ret;

	se = calloc(1, sizeof(*se));
	s = calloc(1, sizeof(*s));
	if (!se || !s) {
		free(se);
		free(s);
		return st_fail(e, ST_ERR_NOMEM, "sim SE: out of memory");
	}
	mbedtls_pk_init(&s->key);
	for (int i = 0; i < SE_SLOTS_MAX; i++)
		mbedtls_pk_init(&s->slot[i].key);
	mbedtls_entropy_init(&s->ent);
	mbedtls_ctr_drbg_init(&s->drbg);
	se->ops = &se_sim_ops;
	se->priv = s;
	se->timeout_ms = 1000;
	ret = mbedtls_pk_parse_keyfile(&s->key, key_pem_path, NULL);
	if (ret != 0) {
		ret = st_fail(e, ST_ERR_PARSE, "sim SE: cannot load the key %s: %s",
			      key_pem_path, se_mbedtls_msg(ret, m, sizeof(m)));
		goto fail;
	}
	ret = se_drbg_seed(&s->ent, &s->drbg, "station sim se", e);
	if (ret < 0)
		goto fail;
	s->chain = read_text(chain_pem_path, e);
	if (!s->chain) {
		ret = e ? e->code : ST_ERR_IO;
		goto fail;
	}
	*out = se;
	return ST_OK;
fail:
	se_close(se);
	return ret;
}
