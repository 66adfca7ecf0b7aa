/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sim backend: an SE in-process, for unit tests and for checking an
 * identity on the bench.  The key and the chain come from PEM files, as
 * dut-sim takes them (--se-key, --se-chain); it signs like the real part,
 * ECDSA over SHA-256 of the message, DER-encoded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#define LOG_PREFIX "se"
#include "../common/log.h"
#include "se_int.h"

struct sim_priv {
	mbedtls_pk_context key;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	char *chain;
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
	return se_hex_encode(hash, 8, chip_serial, cap, true) < 0 ?
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

static int sim_sign(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig,
		    size_t cap, size_t *sig_len, struct st_error *e)
{
	struct sim_priv *s = se->priv;
	unsigned char hash[32], out[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	char m[200];
	int ret;

	mbedtls_sha256_ret(msg, len, hash, 0);
	ret = mbedtls_pk_sign(&s->key, MBEDTLS_MD_SHA256, hash, sizeof(hash), out, sig_len,
			      mbedtls_ctr_drbg_random, &s->drbg);
	if (ret != 0)
		return st_fail(e, ST_ERR, "sim SE: signing failed: %s",
			       se_mbedtls_msg(ret, m, sizeof(m)));
	if (*sig_len > cap)
		return st_fail(e, ST_ERR_LIMIT, "sim SE: signature of %zu bytes does not fit",
			       *sig_len);
	memcpy(sig, out, *sig_len);
	return ST_OK;
}

static void sim_close(struct se *se)
{
	struct sim_priv *s = se->priv;

	if (!s)
		return;
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
